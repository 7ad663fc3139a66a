//! Data Integration OAuth2 credentials: the request, the polling and the validity window.
#![cfg(feature = "data-integration")]

use crate::common;
use crate::common::script;

use std::time::Duration;

use httpmock::prelude::*;
use liveramp::data_integration::Client;
use liveramp::poll::{FlowError, PollConfig, PollError};
use liveramp::retry::{RecordingClock, RetryPolicy};
use script::{Answer, script};
use serde_json::json;

const TOKEN: &str = "provider-secret-token-123";

/// A client retrying by `policy` and waiting on `clock`.
fn client_with(server: &MockServer, clock: RecordingClock, policy: RetryPolicy) -> Client {
    let transport = common::transport_on(None, clock, policy);
    Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        transport,
    )
}

/// A client that never retries (the poller's tolerance is under test), on a recording clock:
/// waits return at once and are recorded.
fn client(server: &MockServer) -> Client {
    client_with(server, RecordingClock::default(), RetryPolicy::no_retry())
}

/// The wait of a 300-second credentials request started on `server`, whose polls get
/// `answers`.
async fn wait_answered(
    server: &MockServer,
    answers: Vec<Answer>,
) -> Result<liveramp::data_integration::ProviderCredentials, FlowError<liveramp::Error>> {
    wait_answered_by(&client(server), server, answers).await
}

/// [`wait_answered`] by `client`.
async fn wait_answered_by(
    client: &Client,
    server: &MockServer,
    answers: Vec<Answer>,
) -> Result<liveramp::data_integration::ProviderCredentials, FlowError<liveramp::Error>> {
    mock_start(server, 300).await;
    script(server, "POST", "/oauth2/credentials", answers).await;
    client
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap()
        .poll_config(every_30s())
        .wait()
        .await
}

async fn mock_start(server: &MockServer, validity: u64) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2")
                .json_body(json!({"datasource_id": "fb", "validity_duration": validity}));
            then.status(200)
                .json_body(json!({"auth_uri": "https://www.facebook.com/dialog/oauth?x=1", "pull_id": "pull-1"}));
        })
        .await
}

fn waiting() -> Answer {
    Answer::ok(json!({"message": "Waiting for the user"}))
}

/// Polls at once, then every 30 s, no jitter.
fn every_30s() -> PollConfig {
    let mut config = PollConfig::interactive();
    config.first_delay = Duration::ZERO;
    config.interval = Duration::from_secs(30);
    config.max_interval = Duration::from_secs(30);
    config.backoff = 1.0;
    config.jitter = 0.0;
    config
}

#[tokio::test]
async fn a_refused_validity_is_not_quoted() {
    // Found by review: the error quoted the value given, unlike every other refused input.
    let server = MockServer::start_async().await;
    let error = client(&server)
        .request_oauth2_credentials("fb", Duration::from_secs(98_765))
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("98765"), "{shown}");
    assert!(shown.contains("300..=43200"), "{shown}");
}

#[tokio::test]
async fn validity_outside_300_to_43200_seconds_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2");
            then.status(200)
                .json_body(json!({"auth_uri": "https://x", "pull_id": "p"}));
        })
        .await;
    let client = client(&server);
    for validity in [
        Duration::from_secs(299),
        Duration::from_secs(43_201),
        Duration::from_millis(300_500),
    ] {
        let error = client
            .request_oauth2_credentials("fb", validity)
            .await
            .unwrap_err();
        assert!(
            matches!(error, FlowError::Invalid(_)),
            "{validity:?}: {error}"
        );
    }
    assert_eq!(mock.calls_async().await, 0);
    for validity in [300, 43_200] {
        client
            .request_oauth2_credentials("fb", Duration::from_secs(validity))
            .await
            .unwrap();
    }
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn credentials_arrive_after_the_user_consents_and_stay_redacted() {
    let server = MockServer::start_async().await;
    let start = mock_start(&server, 300).await;
    let polls = script(
        &server,
        "POST",
        "/oauth2/credentials",
        vec![
            waiting(),
            waiting(),
            Answer::ok(json!({
                "access_token": TOKEN,
                "message": "Facebook Ads Connected Successfully",
                "userId": 12847564034_i64,
                "status": 200,
                "clientId": 194785639383273_i64
            })),
        ],
    )
    .await;
    let pending = client(&server)
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap();
    start.assert_async().await;
    assert_eq!(
        pending.auth_uri(),
        Some("https://www.facebook.com/dialog/oauth?x=1")
    );
    assert!(!format!("{pending:?}").contains("pull-1"));
    let credentials = pending.poll_config(every_30s()).wait().await.unwrap();
    assert_eq!(credentials.access_token.expose(), TOKEN);
    assert_eq!(credentials.user_id, Some(12847564034));
    assert!(!format!("{credentials:?}").contains(TOKEN));
    assert_eq!(polls.requests(), 3);
}

#[tokio::test]
async fn the_wait_ends_with_the_validity_window() {
    let server = MockServer::start_async().await;
    mock_start(&server, 300).await;
    let polls = script(&server, "POST", "/oauth2/credentials", vec![waiting()]).await;
    let pending = client(&server)
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap();
    let error = pending.poll_config(every_30s()).wait().await.unwrap_err();
    match &error {
        FlowError::ValidityExpired { validity, polls } => {
            assert_eq!(*validity, Duration::from_secs(300));
            // 0, 30, ..., 270 and the last at 300 s.
            assert_eq!(*polls, 11);
        }
        other => panic!("expected ValidityExpired, got {other:?}"),
    }
    assert!(error.to_string().contains("validity window"), "{error}");
    assert_eq!(polls.requests(), 11);
}

#[tokio::test]
async fn by_default_the_wait_lasts_the_whole_window_and_a_shorter_deadline_is_no_expiry() {
    // Found by review: the default pace's 10-minute deadline ended an hour's window after ten
    // minutes, reported as the window's end.
    let server = MockServer::start_async().await;
    mock_start(&server, 3600).await;
    let polls = script(&server, "POST", "/oauth2/credentials", vec![waiting()]).await;
    let hour = Duration::from_secs(3600);
    let pending = client(&server)
        .request_oauth2_credentials("fb", hour)
        .await
        .unwrap();
    match pending.wait().await.unwrap_err() {
        FlowError::ValidityExpired { polls, .. } => {
            // At most 15 s apart: over 200 polls in an hour, some 45 in ten minutes.
            assert!(polls > 200, "{polls}");
        }
        other => panic!("expected ValidityExpired, got {other:?}"),
    }
    assert!(polls.requests() > 200);
    // A deadline of the caller's own, shorter than the window, is not the window's end.
    let pending = client(&server)
        .request_oauth2_credentials("fb", hour)
        .await
        .unwrap();
    let error = pending.poll_config(every_30s()).wait().await.unwrap_err();
    assert!(
        matches!(error, FlowError::Wait(PollError::DeadlineExceeded { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_retrying_client_still_makes_one_request_per_poll() {
    let server = MockServer::start_async().await;
    mock_start(&server, 300).await;
    let polls = script(
        &server,
        "POST",
        "/oauth2/credentials",
        vec![waiting(), Answer::unavailable(None)],
    )
    .await;
    // The default policy retries a 503 of this idempotent POST up to three attempts per call.
    let client = client_with(&server, RecordingClock::default(), RetryPolicy::default());
    let pending = client
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap();
    let mut config = every_30s();
    config.max_transient_errors = 2;
    match pending.poll_config(config).wait().await {
        Err(FlowError::Wait(PollError::TooManyErrors { count, .. })) => assert_eq!(count, 3),
        other => panic!("expected TooManyErrors, got {other:?}"),
    }
    // One request per poll: the poller alone retries.
    assert_eq!(polls.requests(), 4);
}

#[tokio::test]
async fn a_refusal_in_the_answer_ends_the_wait_with_its_message() {
    let server = MockServer::start_async().await;
    mock_start(&server, 300).await;
    script(
        &server,
        "POST",
        "/oauth2/credentials",
        vec![
            waiting(),
            Answer::ok(json!({"message": "The user denied access", "status": 403})),
        ],
    )
    .await;
    let pending = client(&server)
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap();
    match pending.poll_config(every_30s()).wait().await {
        Err(FlowError::Wait(PollError::Failed { detail })) => {
            assert_eq!(detail, "The user denied access");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refusal_never_repeats_the_pull_id_or_a_token_the_server_echoes() {
    // Found by review: the answer's message went into the error as it came.
    let server = MockServer::start_async().await;
    let echo = "denied for pull-1: Bearer ya29.s3cret and eyJhbGciOiJub25lIn0.e30.sig";
    let error = wait_answered(
        &server,
        vec![Answer::ok(json!({"message": echo, "status": 403}))],
    )
    .await
    .unwrap_err();
    let shown = format!("{error} {error:?}");
    for secret in ["pull-1", "s3cret", "eyJhbGciOiJub25lIn0"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("denied for [redacted]"), "{shown}");
}

#[tokio::test]
async fn no_message_repeats_the_clients_token_or_the_credentials_it_carries() {
    // Found by review: a final answer's message was kept as it came, and no message had the
    // client's own token removed.
    let server = MockServer::start_async().await;
    let own = common::TOKEN;
    let error = wait_answered(
        &server,
        vec![Answer::ok(
            json!({"message": format!("token {own} refused"), "status": 401}),
        )],
    )
    .await
    .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(own), "{shown}");
    assert!(shown.contains("token [redacted] refused"), "{shown}");

    let server = MockServer::start_async().await;
    let credentials = wait_answered(
        &server,
        vec![Answer::ok(json!({
            "access_token": TOKEN,
            "message": format!("stored {TOKEN} for {own}"),
            "status": 200
        }))],
    )
    .await
    .unwrap();
    assert_eq!(
        credentials.message.as_deref(),
        Some("stored [redacted] for [redacted]")
    );
}

#[tokio::test]
async fn a_consent_url_that_is_not_https_is_never_handed_out() {
    // Found by review: any non-empty auth_uri was handed to the caller to open.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2");
            then.status(200).json_body(
                json!({"auth_uri": "javascript:alert(document.cookie)", "pull_id": "pull-1"}),
            );
        })
        .await;
    let error = client(&server)
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("not an https URL"), "{shown}");
    assert!(!shown.contains("cookie"), "{shown}");
}

#[tokio::test]
async fn no_message_repeats_the_token_its_poll_sent_though_a_newer_one_is_ready() {
    // Found by review: a message was cleaned of the token source's current token, asked for
    // after the answer; a token refreshed meanwhile left the one sent in the text. The start
    // sends the first token, the first poll the second.
    let server = MockServer::start_async().await;
    let client = Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport_with_new_token_each_ask(None),
    );
    let refused = Answer::ok(json!({"message": "token TOKEN-SENT-2 refused", "status": 401}));
    let error = wait_answered_by(&client, &server, vec![refused])
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("token [redacted] refused"), "{shown}");
}

#[tokio::test]
async fn a_resumed_wait_keeps_out_a_token_first_fetched_during_it() {
    // Found by review: the secrets were read once, before the first poll, so the token a cold
    // client fetched for that poll (or one refreshed during a wait of hours) was shown.
    use liveramp::auth::TokenCache;
    let fetched = "opaque-tok-1111";
    let server = MockServer::start_async().await;
    script(
        &server,
        "POST",
        "/oauth2/credentials",
        vec![
            Answer::ok(json!({"message": format!("session {fetched} pending"), "status": 202})),
            Answer::ok(json!({"message": format!("session {fetched} refused"), "status": 401})),
        ],
    )
    .await;
    let tokens = TokenCache::new(common::fake_fetch::FakeFetch::new(Duration::ZERO, |_| {
        common::fake_fetch::opaque("opaque-tok-1111", 600)
    }));
    let transport = liveramp::transport::Transport::builder()
        .token_source(std::sync::Arc::new(tokens))
        .retry_policy(RetryPolicy::no_retry())
        .clock(std::sync::Arc::new(RecordingClock::default()))
        .build();
    let client = Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        transport,
    );
    let resumed = client.resume_oauth2_credentials(
        "pull-1",
        std::time::SystemTime::now() + Duration::from_secs(300),
    );
    let error = resumed.poll_config(every_30s()).wait().await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(fetched), "{shown}");
    assert!(shown.contains("session [redacted] refused"), "{shown}");
}

#[tokio::test]
async fn a_resumed_window_is_never_longer_than_the_api_allows() {
    // Found by review: an `expires_at` stored wrong (or tampered with) made the flow poll for
    // years.
    let server = MockServer::start_async().await;
    let client = client(&server);
    let year = Duration::from_secs(365 * 24 * 60 * 60);
    let resumed = client.resume_oauth2_credentials("p", std::time::SystemTime::now() + year);
    assert_eq!(resumed.validity(), Duration::from_secs(43_200));
    assert!(resumed.expires_at() <= std::time::SystemTime::now() + Duration::from_secs(43_200));
}

#[tokio::test]
async fn another_client_resumes_the_wait_from_the_pull_id() {
    let server = MockServer::start_async().await;
    mock_start(&server, 300).await;
    let credentials = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/credentials")
                .json_body(json!({"pull_id": "pull-1"}));
            then.status(200)
                .json_body(json!({"access_token": TOKEN, "message": "connected"}));
        })
        .await;
    let pending = client(&server)
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .unwrap();
    let (pull_id, expires_at) = (pending.pull_id().to_owned(), pending.expires_at());
    assert_eq!(pull_id, "pull-1");
    drop(pending);
    let resumed = client(&server).resume_oauth2_credentials(pull_id, expires_at);
    assert_eq!(resumed.auth_uri(), None);
    let received = resumed.poll_config(every_30s()).wait().await.unwrap();
    assert_eq!(received.access_token.expose(), TOKEN);
    credentials.assert_async().await;
}
