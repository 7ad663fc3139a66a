//! The transport's fault matrix, through the generated Consent Files client: how many attempts
//! each failure gets, the waits between them (recorded by an injected clock, never slept), and
//! the error the caller ends up with.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::raw_tcp::{self, Act, RawServer};
use httpmock::prelude::*;
use liveramp::auth::{AccessToken, AuthError, BoxFuture, StaticToken, TokenSource};
use liveramp::consent::Client;
use liveramp::error::{ErrorShape, NetworkKind};
use liveramp::retry::{RecordingClock, RetryBudget, RetryPolicy};
use liveramp::transport::{Transport, TransportBuilder};

fn builder(clock: &RecordingClock) -> TransportBuilder {
    Transport::builder()
        .token_source(Arc::new(StaticToken::new(common::TOKEN)))
        .clock(Arc::new(clock.clone()))
}

fn client(base_url: &str, transport: Transport) -> Client {
    Client::new_with_client(base_url, liveramp::http::client().unwrap(), transport)
}

/// A client of the server at `base_url` retrying by `policy` on `clock`.
fn client_with(base_url: &str, clock: &RecordingClock, policy: RetryPolicy) -> Client {
    client(base_url, builder(clock).retry_policy(policy).build())
}

/// A server that answers only after 30 s, longer than any attempt here waits.
async fn answering_too_late() -> RawServer {
    RawServer::start(vec![Act::Late(
        Duration::from_secs(30),
        raw_tcp::json(200, "{}"),
    )])
    .await
}

async fn list(client: &Client) -> Result<(), liveramp::Error> {
    client.list_consent_files().send().await?;
    Ok(())
}

fn assert_backoffs(sleeps: &[Duration]) {
    assert_eq!(sleeps.len(), 2, "{sleeps:?}");
    assert!(sleeps[0] <= Duration::from_millis(200), "{sleeps:?}");
    assert!(sleeps[1] <= Duration::from_millis(400), "{sleeps:?}");
}

/// Asserts that the server saw three attempts and that `err` is the timeout of the third.
fn assert_timed_out_three_times(server: &RawServer, err: &liveramp::Error) {
    assert_eq!(server.hits(), 3);
    assert!(
        matches!(
            err,
            liveramp::Error::Network {
                kind: NetworkKind::Timeout,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
}

async fn failing_status(status: u16) {
    let server = MockServer::start_async().await;
    let body = format!(r#"{{"httpStatuscode":{status},"message":"try later"}}"#);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/consent-files");
            then.status(status)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url(), builder(&clock).build());
    let err = list(&client).await.unwrap_err();
    assert_eq!(mock.calls_async().await, 3, "{status}: 3 attempts");
    assert_backoffs(&clock.sleeps());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    assert!(err.is_retryable());
    let api = err.api_error().expect("the Errors body");
    assert_eq!(api.shape, ErrorShape::ConsentErrors);
    assert_eq!(api.message.as_deref(), Some("try later"));
}

#[tokio::test]
async fn status_500_is_retried_twice_then_reported() {
    failing_status(500).await;
}

#[tokio::test]
async fn status_502_is_retried_twice_then_reported() {
    failing_status(502).await;
}

#[tokio::test]
async fn status_503_is_retried_twice_then_reported() {
    failing_status(503).await;
}

#[tokio::test]
async fn status_504_is_retried_twice_then_reported() {
    failing_status(504).await;
}

#[tokio::test]
async fn status_408_is_retried_twice_then_reported() {
    failing_status(408).await;
}

#[tokio::test]
async fn a_retry_succeeds_after_a_503() {
    let clock = RecordingClock::default();
    let ok = common::example("specs/consent.yaml", "list_consent_files", 200).to_string();
    let server = RawServer::start(vec![
        Act::Raw(raw_tcp::json(503, "{}")),
        Act::Raw(raw_tcp::json(200, &ok)),
    ])
    .await;
    let client = client(&server.base_url, builder(&clock).build());
    list(&client).await.unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(clock.sleeps().len(), 1);
}

#[tokio::test]
async fn status_429_waits_the_retry_after_seconds() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/consent-files");
            then.status(429).header("retry-after", "7").body("");
        })
        .await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url(), builder(&clock).build());
    let err = list(&client).await.unwrap_err();
    assert_eq!(mock.calls_async().await, 3);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7); 2]);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn status_429_waits_until_the_retry_after_date() {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = RecordingClock::starting_at(start);
    let date = httpdate::fmt_http_date(start + Duration::from_secs(5));
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/consent-files");
            then.status(429).header("retry-after", date);
        })
        .await;
    let policy = RetryPolicy::default().with_max_attempts(2);
    let client = client_with(&server.base_url(), &clock, policy);
    let err = list(&client).await.unwrap_err();
    assert_eq!(mock.calls_async().await, 2);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        sleeps[0] > Duration::from_secs(4) && sleeps[0] <= Duration::from_secs(5),
        "{sleeps:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
}

#[tokio::test]
async fn a_long_retry_after_is_capped() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503).header("retry-after", "86400");
        })
        .await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default()
        .with_max_attempts(2)
        .with_deadline(Duration::from_secs(600));
    let client = client_with(&server.base_url(), &clock, policy);
    list(&client).await.unwrap_err();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(60)]);
}

#[tokio::test]
async fn an_attempt_timer_as_long_as_the_deadline_ends_at_the_deadline() {
    // Found by review: the first attempt's time left is the whole deadline, and a timer just
    // as long was taken for the attempt's own timeout, a network error.
    let server = answering_too_late().await;
    let clock = RecordingClock::default();
    let both = Duration::from_millis(300);
    let policy = RetryPolicy::no_retry()
        .with_deadline(both)
        .with_attempt_timeout(both);
    let err = list(&client_with(&server.base_url, &clock, policy))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            liveramp::Error::DeadlineExceeded {
                attempts: 1,
                last: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_retry_that_cannot_fit_the_deadline_is_not_started() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503).header("retry-after", "30");
        })
        .await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default().with_deadline(Duration::from_secs(10));
    let client = client_with(&server.base_url(), &clock, policy);
    let err = list(&client).await.unwrap_err();
    assert_eq!(mock.calls_async().await, 1);
    assert!(clock.sleeps().is_empty());
    assert!(
        matches!(err, liveramp::Error::DeadlineExceeded { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn a_retry_without_time_left_for_its_attempt_is_not_started() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503).header("retry-after", "1");
        })
        .await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default()
        .with_deadline(Duration::from_millis(1200))
        .with_min_attempt_time(Duration::from_millis(250));
    let first = client_with(&server.base_url(), &clock, policy);
    let err = list(&first).await.unwrap_err();
    assert_eq!(
        mock.calls_async().await,
        1,
        "1 s wait + 250 ms attempt > 1.2 s deadline"
    );
    assert!(clock.sleeps().is_empty());
    assert!(
        matches!(err, liveramp::Error::DeadlineExceeded { .. }),
        "{err:?}"
    );

    let policy = RetryPolicy::default()
        .with_deadline(Duration::from_millis(1200))
        .with_min_attempt_time(Duration::from_millis(50))
        .with_max_attempts(2);
    let second = client_with(&server.base_url(), &clock, policy);
    list(&second).await.unwrap_err();
    assert_eq!(
        mock.calls_async().await,
        3,
        "with 50 ms enough, the retry runs"
    );
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_reset_before_the_answer_is_retried() {
    let server = RawServer::start(vec![Act::Reset]).await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url, builder(&clock).build());
    let err = list(&client).await.unwrap_err();
    assert_eq!(server.hits(), 3);
    assert_backoffs(&clock.sleeps());
    match &err {
        liveramp::Error::Network { kind, attempts, .. } => {
            assert_eq!(*kind, NetworkKind::Request);
            assert_eq!(*attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "the connection broke before the API answered after 3 attempt(s)"
    );
}

#[tokio::test]
async fn a_body_cut_mid_read_is_retried_and_can_recover() {
    let ok = common::example("specs/consent.yaml", "list_consent_files", 200).to_string();
    let server = RawServer::start(vec![
        Act::CutBody {
            declared: ok.len(),
            sent: ok.as_bytes()[..10].to_vec(),
        },
        Act::Raw(raw_tcp::json(200, &ok)),
    ])
    .await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url, builder(&clock).build());
    list(&client).await.unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(clock.sleeps().len(), 1);

    server.set(vec![Act::CutBody {
        declared: 100,
        sent: b"{\"v2/".to_vec(),
    }]);
    let err = list(&client).await.unwrap_err();
    assert_eq!(server.hits(), 3);
    assert!(
        matches!(
            err,
            liveramp::Error::Network {
                kind: NetworkKind::Body,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    // reqwest's own error says the body broke, not that it failed to decode.
    match &err {
        liveramp::Error::Network { source, .. } => {
            assert!(source.is_body() && !source.is_decode(), "{source:?}");
            // Nor does any text in its chain, which holds hyper's own error (reqwest's
            // `is_timeout` looks for it there).
            let mut chain: Vec<&dyn std::error::Error> = Vec::new();
            let mut next: Option<&dyn std::error::Error> = Some(source);
            while let Some(error) = next {
                chain.push(error);
                next = error.source();
            }
            let texts: Vec<String> = chain.iter().map(ToString::to_string).collect();
            assert!(texts.iter().all(|t| !t.contains("decod")), "{texts:?}");
            assert!(
                chain
                    .iter()
                    .any(|error| error.downcast_ref::<hyper::Error>().is_some()),
                "{texts:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The spec's example consent file, its signed URL on `base_url`.
fn signed_file_at(base_url: &str) -> liveramp::consent::types::ConsentFile {
    let mut file =
        common::example("specs/consent.yaml", "list_consent_files", 200)["v2/ConsentFiles"][0]
            .clone();
    file["fileURL"] = format!("{base_url}/file.csv?X-Goog-Signature=s").into();
    serde_json::from_value(file).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_consent_file_whose_head_never_comes_is_stalled() {
    // Found by review: only the whole download's 6-hour limit bounded the wait for the head,
    // so a host that took the connection and said nothing held a sync for hours.
    let server = RawServer::start(vec![Act::Stall(
        Vec::new(),
        Duration::from_secs(24 * 60 * 60),
    )])
    .await;
    let file = signed_file_at(&server.base_url);
    let client = client(&server.base_url, Transport::builder().build());
    let started = tokio::time::Instant::now();
    let error = client.download_consent_file(&file).await.unwrap_err();
    assert!(
        matches!(error, liveramp::consent::DownloadError::Stalled),
        "{error:?}"
    );
    assert!(
        started.elapsed() <= liveramp::consent::download::IDLE_TIMEOUT + Duration::from_secs(1)
    );
}

#[tokio::test]
async fn a_consent_file_cut_mid_download_is_a_body_error() {
    let server = RawServer::start(vec![Act::CutBody {
        declared: 1000,
        sent: b"id,consent\n1,true\n".to_vec(),
    }])
    .await;
    let file = signed_file_at(&server.base_url);
    let client = client(&server.base_url, Transport::builder().build());
    let mut body = client.download_consent_file(&file).await.unwrap();
    assert_eq!(body.framing(), liveramp::consent::Framing::Length(1000));
    // The signed URL is a credential: not even Debug shows it.
    let shown = format!("{body:?}");
    assert!(
        !shown.contains("X-Goog-Signature") && !shown.contains("file.csv"),
        "{shown}"
    );
    let mut received = 0;
    let err = loop {
        match body.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("a body cut short ended as if whole"),
            Err(err) => break err,
        }
    };
    assert_eq!(received, 18);
    // What the head announced, however much was read.
    assert_eq!(body.content_length(), Some(1000));
    assert_eq!(body.framing(), liveramp::consent::Framing::Length(1000));
    // reqwest's own error says the body broke, not that it failed to decode.
    match &err {
        liveramp::consent::DownloadError::Transport(source) => {
            assert!(source.is_body() && !source.is_decode(), "{source:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_attempt_timeout_is_retried() {
    let server = answering_too_late().await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default().with_attempt_timeout(Duration::from_millis(150));
    let client = client_with(&server.base_url, &clock, policy);
    let err = list(&client).await.unwrap_err();
    assert_timed_out_three_times(&server, &err);
    assert_backoffs(&clock.sleeps());
    // The transport's own timer stopped the attempt; its error is reqwest's kind of timeout.
    match &err {
        liveramp::Error::Network { source, .. } => assert!(source.is_timeout(), "{source:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the API did not answer in time after 3 attempt(s)"
    );
}

#[tokio::test]
async fn the_deadline_clamps_the_attempt_timeout() {
    let server = answering_too_late().await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default().with_deadline(Duration::from_millis(150));
    let client = client_with(&server.base_url, &clock, policy);
    let err = list(&client).await.unwrap_err();
    assert_eq!(server.hits(), 1);
    assert!(clock.sleeps().is_empty());
    match &err {
        liveramp::Error::DeadlineExceeded { attempts, last, .. } => {
            assert_eq!(*attempts, 1);
            assert!(matches!(
                last.as_deref(),
                Some(liveramp::Error::Network {
                    kind: NetworkKind::Timeout,
                    ..
                })
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_body_that_stalls_past_the_attempt_timeout_is_retried() {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"v2/";
    let server = RawServer::start(vec![Act::Stall(
        head.as_bytes().to_vec(),
        Duration::from_secs(30),
    )])
    .await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default().with_attempt_timeout(Duration::from_millis(150));
    let client = client_with(&server.base_url, &clock, policy);
    let err = list(&client).await.unwrap_err();
    assert_timed_out_three_times(&server, &err);
}

#[tokio::test]
async fn the_http_clients_own_timeout_is_a_network_failure_not_the_deadline() {
    // The deadline (10 s) is shorter than the attempt timeout (30 s), so the attempt's timer is
    // clamped; the HTTP client's own 100 ms timeout fires first, and is retried like any
    // timeout rather than taken for the deadline.
    let server = answering_too_late().await;
    let clock = RecordingClock::default();
    let policy = RetryPolicy::default().with_deadline(Duration::from_secs(10));
    let http = liveramp::http::client_builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let client = Client::new_with_client(
        &server.base_url,
        http,
        builder(&clock).retry_policy(policy).build(),
    );
    let err = list(&client).await.unwrap_err();
    assert_timed_out_three_times(&server, &err);
}

#[derive(Debug)]
struct NeverToken;

impl TokenSource for NeverToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn the_deadline_covers_the_token_fetch() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let policy = RetryPolicy::default().with_deadline(Duration::from_millis(100));
    let transport = Transport::builder()
        .token_source(Arc::new(NeverToken))
        .retry_policy(policy)
        .build();
    let err = list(&client(&server.base_url(), transport))
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 0);
    assert!(
        matches!(
            err,
            liveramp::Error::DeadlineExceeded {
                attempts: 0,
                last: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[derive(Debug)]
struct FailingToken;

impl TokenSource for FailingToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(std::future::ready(Err(AuthError::new(
            "invalid_grant: bad credentials",
        ))))
    }
}

#[tokio::test]
async fn a_failed_token_fetch_keeps_its_cause_and_sends_nothing() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let transport = Transport::builder()
        .token_source(Arc::new(FailingToken))
        .build();
    let err = list(&client(&server.base_url(), transport))
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 0);
    assert_eq!(
        err.to_string(),
        "could not get an access token: invalid_grant: bad credentials"
    );
    let cause = err.auth_error().expect("the AuthError");
    assert_eq!(cause.to_string(), "invalid_grant: bad credentials");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn the_retry_budget_stops_retries_during_an_outage() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503);
        })
        .await;
    let clock = RecordingClock::default();
    let budget = Arc::new(RetryBudget::new(5, 5, 10));
    let client = client(
        &server.base_url(),
        builder(&clock).retry_budget(budget.clone()).build(),
    );
    let err = list(&client).await.unwrap_err();
    assert_eq!(
        mock.calls_async().await,
        2,
        "one retry paid for, the next refused"
    );
    assert_eq!(budget.available(), 0);
    assert!(
        matches!(
            err,
            liveramp::Error::RetryBudgetExhausted { attempts: 2, .. }
        ),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn retrying_can_be_switched_off() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503);
        })
        .await;
    let clock = RecordingClock::default();
    let client = client(
        &server.base_url(),
        builder(&clock)
            .retry_policy(RetryPolicy::no_retry())
            .build(),
    );
    list(&client).await.unwrap_err();
    assert_eq!(mock.calls_async().await, 1);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_cloudflare_page_says_the_ip_is_blocked() {
    let page = "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>\
                <body><h1>Sorry, you have been blocked</h1><span>Error code 1020</span></body></html>";
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(403)
                .header("content-type", "text/html")
                .header("server", "cloudflare")
                .header("cf-ray", "8a1b2c3d4e5f-SJC")
                .body(page);
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(
        err.to_string(),
        "blocked before reaching LiveRamp (Cloudflare 1020, 403 Forbidden): is this IP \
         allowlisted? (request ID 8a1b2c3d4e5f-SJC)"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_html_page_on_a_documented_status_keeps_the_status() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200)
                .header("content-type", "text/html")
                .body("<html>maintenance</html>");
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    assert!(matches!(err, liveramp::Error::Edge(_)), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert!(
        err.to_string().contains("<html>maintenance</html>"),
        "{err}"
    );
}

#[tokio::test]
async fn a_malformed_error_body_keeps_the_status_and_an_excerpt() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(422)
                .header("content-type", "application/json")
                .body("{\"httpStatuscode\": 4");
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    match &err {
        liveramp::Error::Api(api) => {
            assert_eq!(api.status.as_u16(), 422);
            assert_eq!(api.excerpt.as_deref(), Some("{\"httpStatuscode\": 4"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("body starts"), "{err}");
}

#[tokio::test]
async fn a_success_body_cut_short_inside_its_json_is_a_decode_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200)
                .header("content-type", "application/json")
                .body("{\"v2/ConsentFiles\": [");
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    match &err {
        liveramp::Error::Decode { status, detail, .. } => {
            // Left to the typed decode, which does not know the status.
            assert_eq!(*status, None);
            // Described, not quoted: a success body may hold personal data.
            assert!(!detail.contains("ConsentFiles"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("is not valid JSON"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_undocumented_status_keeps_its_error_document() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(409)
                .json_body(serde_json::json!({"httpStatuscode": 409, "message": "busy elsewhere"}));
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    let api = err.api_error().expect("the API's error document");
    assert_eq!(api.status.as_u16(), 409);
    assert!(err.to_string().contains("busy elsewhere"), "{err}");
}

#[tokio::test]
async fn an_undocumented_success_status_is_an_error_with_its_document() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(202)
                .header("x-request-id", "req-202")
                .json_body(serde_json::json!({"message": "queued jane@example.com elsewhere"}));
        })
        .await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url(), builder(&clock).build());
    let err = client
        .list_consent_files()
        .after("jane@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(202), "{err:?}");
    assert_eq!(err.request_id(), Some("req-202"));
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("does not document") && shown.contains("queued"),
        "{shown}"
    );
    // The echoed query value is redacted, as in any error answer.
    assert!(!shown.contains("jane@example.com"), "{shown}");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_decode_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200).json_body(serde_json::json!({"files": []}));
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    assert!(matches!(err, liveramp::Error::Decode { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("does not have the documented shape"),
        "{text}"
    );
    assert!(
        text.contains("v2/ConsentFiles"),
        "names the missing field: {text}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_empty_body_where_json_is_expected_is_reported() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200);
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    assert!(matches!(err, liveramp::Error::EmptyBody { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the API answered 200 OK with an empty body where a JSON document was expected"
    );
}

/// Hands out `expired` until told it was rejected, then `fresh`.
#[derive(Debug, Default)]
struct Rotating {
    rejected: AtomicUsize,
    fetches: AtomicUsize,
}

impl TokenSource for Rotating {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let value = if self.rejected.load(Ordering::SeqCst) == 0 {
            "expired"
        } else {
            "fresh"
        };
        Box::pin(std::future::ready(Ok(AccessToken::new(value))))
    }

    fn invalidate(&self, rejected: &AccessToken) {
        assert_eq!(rejected.expose(), "expired", "only the rejected token");
        self.rejected.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_401_on_an_expired_token_refreshes_it_and_retries_once() {
    let server = MockServer::start_async().await;
    let body = common::example("specs/consent.yaml", "list_consent_files", 200);
    let expired = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer expired");
            then.status(401).json_body(
                serde_json::json!({"httpStatuscode": 401, "message": "Unauthenticated user."}),
            );
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer fresh");
            then.status(200).json_body(body);
        })
        .await;
    let tokens = Arc::new(Rotating::default());
    let clock = RecordingClock::default();
    let transport = Transport::builder()
        .token_source(tokens.clone())
        .clock(Arc::new(clock.clone()))
        .build();
    list(&client(&server.base_url(), transport)).await.unwrap();
    assert_eq!(expired.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 1);
    assert_eq!(tokens.rejected.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.fetches.load(Ordering::SeqCst), 2);
    assert!(
        clock.sleeps().is_empty(),
        "no backoff before the refresh retry"
    );
}

#[tokio::test]
async fn the_retry_after_a_refresh_carries_one_authorization_header_the_new_one() {
    // The bearer header is set on the call's kept request before each attempt's copy: a
    // refresh replaces it, never adds a second.
    let body = common::example("specs/consent.yaml", "list_consent_files", 200).to_string();
    let server = raw_tcp::KeepAliveServer::start(Arc::new(move |n: usize, _: &str| match n {
        0 => (
            401,
            vec![],
            r#"{"message":"Unauthenticated user."}"#.to_owned(),
        ),
        _ => (200, vec![], body.clone()),
    }))
    .await;
    let transport = Transport::builder()
        .token_source(Arc::new(Rotating::default()))
        .build();
    list(&client(&server.base_url, transport)).await.unwrap();
    let heads = server.heads();
    assert_eq!(heads.len(), 2, "{heads:?}");
    for (head, token) in heads.iter().zip(["expired", "fresh"]) {
        let lines: Vec<&str> = head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .collect();
        assert_eq!(lines, [format!("authorization: Bearer {token}")], "{head}");
    }
}

#[tokio::test]
async fn a_second_401_is_reported_not_looped_on() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(401).json_body(
                serde_json::json!({"httpStatuscode": 401, "message": "Unauthenticated user."}),
            );
        })
        .await;
    let clock = RecordingClock::default();
    let err = list(&client(&server.base_url(), builder(&clock).build()))
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 2);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(!err.is_retryable());
    assert_eq!(
        err.api_error().and_then(|e| e.message.as_deref()),
        Some("Unauthenticated user.")
    );
}

#[tokio::test]
async fn a_403_for_an_expired_token_refreshes_it_and_retries_once() {
    let server = MockServer::start_async().await;
    let body = common::example("specs/consent.yaml", "list_consent_files", 200);
    let expired = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer expired");
            then.status(403)
                .json_body(serde_json::json!({"httpStatuscode": 403, "message": "Token expired."}));
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer fresh");
            then.status(200).json_body(body);
        })
        .await;
    let tokens = Arc::new(Rotating::default());
    let clock = RecordingClock::default();
    let transport = Transport::builder()
        .token_source(tokens.clone())
        .clock(Arc::new(clock.clone()))
        .build();
    list(&client(&server.base_url(), transport)).await.unwrap();
    assert_eq!(expired.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 1);
    assert_eq!(tokens.rejected.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.fetches.load(Ordering::SeqCst), 2);
    assert!(clock.sleeps().is_empty(), "no backoff before the refresh");
}

#[tokio::test]
async fn a_403_with_a_fresh_token_is_a_permission_error_reported_after_one_refresh() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(403)
                .json_body(serde_json::json!({"httpStatuscode": 403, "message": "Not allowed."}));
        })
        .await;
    let tokens = Arc::new(Rotating::default());
    let clock = RecordingClock::default();
    let transport = Transport::builder()
        .token_source(tokens.clone())
        .clock(Arc::new(clock.clone()))
        .build();
    let err = list(&client(&server.base_url(), transport))
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 2, "one refresh, no more");
    assert_eq!(tokens.fetches.load(Ordering::SeqCst), 2);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(!err.is_retryable());
    assert_eq!(
        err.api_error().and_then(|e| e.message.as_deref()),
        Some("Not allowed.")
    );
}

#[tokio::test]
async fn a_documented_constraint_fails_fast_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url(), builder(&clock).build());
    let err = client
        .list_consent_files()
        .limit(500)
        .send()
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 0);
    // The value sent is not quoted.
    assert_eq!(
        err.to_string(),
        "invalid request: `limit` must be at most 100; nothing was sent"
    );
    match err {
        liveramp::Error::InvalidField { field, .. } => assert_eq!(field, "limit"),
        other => panic!("{other:?}"),
    }
    let err = client
        .list_consent_files()
        .limit(0)
        .send()
        .await
        .unwrap_err();
    // 0 is already refused by the generated builder (the type is `NonZeroU32`).
    assert_eq!(
        err.to_string(),
        "invalid request: `limit` must be a whole number of at least 1; nothing was sent"
    );
}

#[tokio::test]
async fn validation_can_be_switched_off() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.query_param("limit", "500");
            then.status(422).json_body(serde_json::json!({
                "httpStatuscode": 422, "message": "limit must be between 1 and 100.",
                "errorCode": "INVALID_PARAMETER"
            }));
        })
        .await;
    let clock = RecordingClock::default();
    let client = client(&server.base_url(), builder(&clock).validate(false).build());
    let err = client
        .list_consent_files()
        .limit(500)
        .send()
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(
        err.to_string(),
        "the API answered 422 Unprocessable Entity [INVALID_PARAMETER]: limit must be between 1 and 100."
    );
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_fails_without_sending_or_showing_it() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200);
        })
        .await;
    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new("secret\ntoken")))
        .build();
    let err = list(&client(&server.base_url(), transport))
        .await
        .unwrap_err();
    assert!(matches!(err, liveramp::Error::Auth(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("not a valid header value"), "{shown}");
    assert!(!shown.contains("secret"), "{shown}");
    assert_eq!(mock.calls_async().await, 0);
}

#[tokio::test]
async fn a_policy_of_unbounded_durations_means_no_limit_not_a_panic() {
    // Found by review: the call's deadline was `now + deadline`, which overflowed.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200).json_body(common::example(
                "specs/consent.yaml",
                "list_consent_files",
                200,
            ));
        })
        .await;
    let policy = RetryPolicy::default()
        .with_deadline(Duration::MAX)
        .with_attempt_timeout(Duration::MAX);
    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(common::TOKEN)))
        .retry_policy(policy)
        .build();
    list(&client(&server.base_url(), transport)).await.unwrap();
}
