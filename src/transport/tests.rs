//! Which requests are retried, by method and by the spec's `x-idempotent` mark.

use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use progenitor_client::OperationInfo;

use super::Transport;
use crate::error::{Error, NetworkKind};
use crate::retry::RecordingClock;
use crate::validate::{ApiSpec, Constraint, OperationSpec, Place, Rule};

#[allow(dead_code)]
#[path = "../../tests/suite/common/server.rs"]
mod server;

/// Sorted by operation ID, as the generated tables are.
static API: ApiSpec = ApiSpec {
    api: "test",
    operations: &[
        OperationSpec {
            rate_limit: None,
            operation_id: "create",
            idempotent: false,
            json_success: true,
            documented: None,
            constraints: &[Constraint {
                place: Place::Body(&["segments"]),
                rule: Rule::MaxItems(2),
            }],
        },
        OperationSpec {
            rate_limit: Some(crate::limit::ABILITEC_RECORDS),
            operation_id: "limited",
            idempotent: true,
            json_success: true,
            documented: None,
            constraints: &[],
        },
        OperationSpec {
            rate_limit: None,
            operation_id: "lookup",
            idempotent: true,
            json_success: true,
            documented: None,
            constraints: &[],
        },
    ],
};

async fn post(
    base_url: &str,
    operation_id: &'static str,
    body: serde_json::Value,
) -> (Result<super::Answer, Error>, RecordingClock) {
    let clock = RecordingClock::default();
    let transport = Transport::builder().clock(Arc::new(clock.clone())).build();
    let client = crate::http::client().unwrap();
    let request = client
        .post(format!("{base_url}/x"))
        .header("accept", "application/json")
        .json(&body)
        .build()
        .unwrap();
    (
        send(&transport, &client, request, operation_id).await,
        clock,
    )
}

/// Sends `request` through `transport` as the operation `operation_id` of [`API`], its failure
/// taken out of the `reqwest::Error` it is shipped in.
async fn send(
    transport: &Transport,
    client: &reqwest::Client,
    request: reqwest::Request,
    operation_id: &'static str,
) -> Result<super::Answer, Error> {
    let info = OperationInfo { operation_id };
    transport
        .exec(client, request, &info, &API)
        .await
        .map_err(|e| Error::from(progenitor_client::Error::<()>::CommunicationError(e)))
}

/// A body read from a stream: it cannot be copied, so its request is sent itself, once.
fn streamed_body() -> reqwest::Body {
    reqwest::Body::wrap_stream(futures::stream::iter([Ok::<_, std::io::Error>("{}")]))
}

#[tokio::test]
async fn a_post_answered_500_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(500)
                .json_body(serde_json::json!({"message": "boom"}));
        })
        .await;
    let (result, clock) = post(&server.base_url(), "create", serde_json::json!({})).await;
    let error = result.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(error.attempts(), Some(1));
    assert_eq!(mock.calls_async().await, 1);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_post_marked_idempotent_is_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(503)
                .json_body(serde_json::json!({"message": "busy"}));
        })
        .await;
    let (result, clock) = post(&server.base_url(), "lookup", serde_json::json!({})).await;
    let error = result.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.attempts(), Some(3));
    assert_eq!(mock.calls_async().await, 3);
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn a_post_that_could_not_connect_is_retried() {
    let refused = server::RefusedPort::bind();
    let base_url = format!("http://127.0.0.1:{}", refused.port);
    let (result, clock) = post(&base_url, "create", serde_json::json!({})).await;
    match result.unwrap_err() {
        Error::Network { kind, attempts, .. } => {
            assert_eq!(kind, NetworkKind::Connect);
            assert_eq!(attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn a_post_reset_before_its_answer_is_not_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = tokio::spawn(async move {
        let mut count = 0;
        while let Ok(Ok((mut stream, _))) =
            tokio::time::timeout(Duration::from_millis(300), listener.accept()).await
        {
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
            count += 1;
        }
        count
    });
    let (result, clock) = post(&base_url, "create", serde_json::json!({})).await;
    let error = result.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Network {
                kind: NetworkKind::Request,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(clock.sleeps().is_empty());
    assert_eq!(accepted.await.unwrap(), 1);
}

#[tokio::test]
async fn a_body_breaking_the_spec_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(201);
        })
        .await;
    let body = serde_json::json!({"segments": [1, 2, 3]});
    let (result, _) = post(&server.base_url(), "create", body).await;
    let error = result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: `segments` must hold at most 2 items (got 3); nothing was sent"
    );
    assert_eq!(mock.calls_async().await, 0);
}

#[tokio::test]
async fn the_client_hook_answers_through_the_transport_with_the_whole_answer() {
    use progenitor_client::ClientHooks;
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/consent-files")
                .header("authorization", "Bearer hook-token");
            then.status(200)
                .header("x-request-id", "req-1")
                .body(r#"{"v2/ConsentFiles":[]}"#);
        })
        .await;
    let transport = Transport::builder()
        .token_source(Arc::new(crate::auth::StaticToken::new("hook-token")))
        .build();
    let http = crate::http::client().unwrap();
    let client =
        crate::consent::Client::new_with_client(&server.base_url(), http.clone(), transport);
    let request = http
        .get(format!("{}/v2/consent-files", server.base_url()))
        .build()
        .unwrap();
    let info = OperationInfo {
        operation_id: "list_consent_files",
    };
    let response = client.exec(request, &info).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req-1");
    assert_eq!(response.text().await.unwrap(), r#"{"v2/ConsentFiles":[]}"#);
    assert_eq!(mock.calls_async().await, 1);
}

#[test]
fn an_answer_debugs_without_its_body_or_headers() {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("set-cookie", "session=s3cr3t".parse().unwrap());
    let answer = super::Answer {
        status: reqwest::StatusCode::OK,
        version: reqwest::Version::HTTP_11,
        headers,
        body: bytes::Bytes::from_static(br#"{"email":"jane@example.com"}"#),
    };
    let shown = format!("{answer:?}");
    assert_eq!(shown, "Answer { status: 200, body_bytes: 28, .. }");
}

#[tokio::test]
async fn the_client_hook_refuses_a_request_for_another_origin_unsent() {
    use progenitor_client::ClientHooks;
    let ours = MockServer::start_async().await;
    let other = MockServer::start_async().await;
    let elsewhere = other
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("{}");
        })
        .await;
    let transport = Transport::builder()
        .token_source(Arc::new(crate::auth::StaticToken::new("hook-token")))
        .build();
    let http = crate::http::client().unwrap();
    let client = crate::consent::Client::new_with_client(&ours.base_url(), http.clone(), transport);
    let request = http
        .get(format!(
            "{}/v2/consent-files?email=jane%40example.com",
            other.base_url()
        ))
        .build()
        .unwrap();
    let info = OperationInfo {
        operation_id: "list_consent_files",
    };
    let error = client.exec(request, &info).await.unwrap_err();
    let error = Error::from(progenitor_client::Error::<()>::CommunicationError(error));
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "invalid request: the request's URL is not on the client's base URL's origin; nothing \
         was sent"
    );
    assert_eq!(elsewhere.calls_async().await, 0);
}

#[tokio::test]
async fn an_attempt_out_of_time_is_a_timeout_however_reqwest_labels_it() {
    let error = super::timed_out().await;
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(NetworkKind::of(&error), NetworkKind::Timeout);
    assert!(error.url().is_none());
}

#[tokio::test]
async fn a_request_sent_itself_still_has_its_query_values_redacted() {
    // A streamed body cannot be copied: the request is sent itself, once, and what it sent is
    // no longer there to read when the answer echoes it.
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/x");
            then.status(400)
                .header("content-type", "application/json")
                .body(r#"{"message":"no account for jane@example.com"}"#);
        })
        .await;
    let transport = Transport::builder().build();
    let client = crate::http::client().unwrap();
    let request = client
        .post(format!("{}/x?email=jane%40example.com", server.base_url()))
        .header("accept", "application/json")
        .body(streamed_body())
        .build()
        .unwrap();
    let error = send(&transport, &client, request, "create")
        .await
        .unwrap_err();
    assert_eq!(mock.calls_async().await, 1);
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("no account for"), "{shown}");
    assert!(!shown.contains("jane@example.com"), "{shown}");
}

#[tokio::test]
async fn a_request_sent_itself_is_not_retried_and_carries_the_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/x")
                .header("authorization", "Bearer stream-token");
            then.status(503).body("{}");
        })
        .await;
    let clock = RecordingClock::default();
    let transport = Transport::builder()
        .token_source(Arc::new(crate::auth::StaticToken::new("stream-token")))
        .clock(Arc::new(clock.clone()))
        .build();
    let client = crate::http::client().unwrap();
    let request = client
        .put(format!("{}/x", server.base_url()))
        .body(streamed_body())
        .build()
        .unwrap();
    let error = send(&transport, &client, request, "create")
        .await
        .unwrap_err();
    // PUT is idempotent and 503 retryable, but the body went with the one attempt.
    assert_eq!(mock.calls_async().await, 1);
    assert!(clock.sleeps().is_empty());
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
}

#[test]
fn an_attempts_copy_keeps_the_method_url_headers_and_version() {
    let client = crate::http::client().unwrap();
    let request = client
        .delete("https://api.example.com/x?email=a%40b.c")
        .header("lr-org-id", "org-1")
        .version(reqwest::Version::HTTP_2)
        .build()
        .unwrap();
    let copy = super::attempt_copy(&request).unwrap();
    assert_eq!(copy.method(), request.method());
    assert_eq!(copy.url(), request.url());
    assert_eq!(copy.headers(), request.headers());
    assert_eq!(copy.version(), reqwest::Version::HTTP_2);
    assert!(copy.body().is_none() && copy.timeout().is_none());
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_fails_before_taking_a_rate_limit_permit() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/limited");
            then.status(200).body("{}");
        })
        .await;
    // One call a minute, shared by both transports.
    let limits = crate::limit::RateLimits::none().with_abilitec(std::num::NonZeroU32::new(1), None);
    let limiters = Arc::new(crate::limit::Limiters::new(&limits));
    let transport = |token: &str| {
        Transport::builder()
            .token_source(Arc::new(crate::auth::StaticToken::new(token)))
            .limiters(Arc::clone(&limiters))
            .build()
    };
    let client = crate::http::client().unwrap();
    let request = || {
        client
            .get(format!("{}/limited", server.base_url()))
            .build()
            .unwrap()
    };
    let error = send(&transport("bad\nvalue"), &client, request(), "limited")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    // The minute's one call is still there: the next call does not wait for the next minute.
    let good = transport("good");
    let next = send(&good, &client, request(), "limited");
    let answer = tokio::time::timeout(Duration::from_secs(5), next).await;
    assert!(matches!(answer, Ok(Ok(_))), "{answer:?}");
    assert_eq!(mock.calls_async().await, 1);
}
