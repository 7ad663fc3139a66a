//! `liveramp::mock`: each canned answer is read back by the crate's error type the way the real
//! API's answer is.

use std::time::Duration;

use httpmock::MockServer;
use liveramp::error::ErrorShape;
use liveramp::mock::{self, Api};

/// The answer the mock server gives to a GET of `/x`, as the crate's error.
async fn answer(server: &MockServer) -> liveramp::Error {
    let response = liveramp::http::client()
        .unwrap()
        .get(format!("{}/x", server.base_url()))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    liveramp::Error::from_answer(status, &headers, &body)
}

#[tokio::test]
async fn every_api_error_document_is_read_back_with_its_code_and_message() {
    for api in Api::ALL {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.path("/x");
            mock::api_error(then, api, 422, "INVALID_PARAMETER", "limit is too large");
        });
        let error = answer(&server).await;
        let parsed = error.api_error().unwrap();
        assert_eq!(parsed.status.as_u16(), 422, "{api:?}");
        assert_eq!(
            parsed.message.as_deref(),
            Some("limit is too large"),
            "{api:?}"
        );
        let (shape, code) = match api {
            Api::Activation => (
                ErrorShape::ActivationStandardError,
                Some("INVALID_PARAMETER"),
            ),
            Api::Consent => (ErrorShape::ConsentErrors, Some("INVALID_PARAMETER")),
            Api::Abilitec => (ErrorShape::AbiliTec, Some("INVALID_PARAMETER")),
            Api::ActivationV1 | Api::DataIntegration => (ErrorShape::Generic, None),
            _ => unreachable!("a new Api needs its expectation here"),
        };
        assert_eq!(parsed.shape, shape, "{api:?}");
        assert_eq!(parsed.code.as_deref(), code, "{api:?}");
        if api == Api::Abilitec {
            assert!(error.request_id().is_some());
        }
    }
}

#[tokio::test]
async fn rate_limited_says_when_to_retry_in_whole_seconds() {
    for (wait, seconds) in [
        (Duration::from_secs(2), 2),
        (Duration::from_millis(1500), 2),
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.path("/x");
            mock::rate_limited(then, Api::Activation, wait);
        });
        let error = answer(&server).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(seconds)));
        assert!(error.is_retryable());
    }
}

#[tokio::test]
async fn unavailable_is_retryable_and_unauthorized_is_not() {
    for api in Api::ALL {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.path("/x");
            mock::unavailable(then, api);
        });
        let error = answer(&server).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{api:?}");
        assert!(error.is_retryable(), "{api:?}");
        assert!(error.api_error().unwrap().message.is_some(), "{api:?}");

        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.path("/x");
            mock::unauthorized(then, api);
        });
        let error = answer(&server).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{api:?}");
        assert!(!error.is_retryable(), "{api:?}");
    }
}

/// A downstream test end to end: a client pointed at the mock server by `Config`, its 503
/// retried once under the policy, then reported.
#[cfg(feature = "activation-v1")]
#[tokio::test]
async fn a_client_pointed_at_the_mock_server_retries_a_503() {
    let server = MockServer::start_async().await;
    let unavailable = server.mock(|when, then| {
        when.header("x-api-key", "test-key");
        mock::unavailable(then, Api::ActivationV1);
    });
    let config = liveramp::Config::new()
        .with_activation_v1_api_key("test-key")
        .with_activation_v1_url(server.base_url())
        .with_retry_policy(
            liveramp::retry::RetryPolicy::default()
                .with_max_attempts(2)
                .with_base_delay(Duration::from_millis(1)),
        );
    let error = config
        .activation_v1()
        .unwrap()
        .list_destinations()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.attempts(), Some(2));
    unavailable.assert_calls_async(2).await;
}
