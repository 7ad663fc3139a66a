//! Canned error answers for your own httpmock tests (feature `httpmock`).
//!
//! Each API has its typed helpers in `liveramp::<api>::mock` (a `MockServerExt` trait with one
//! method per operation, `when`/`then` typed by the spec). The answers that tests need most are
//! not a successful body, though, but the failures: a rate limit with `Retry-After`, a 503, a
//! rejected token, the API's own error document. The functions here write those on any
//! [`httpmock::Then`], the typed helpers' `then.into_inner()` included, in the document
//! format of the [`Api`] you name, so that [`crate::Error::api_error`] reads them back as it
//! reads the real API's.
//!
//! Point a client at the `MockServer` with the `with_*_url` methods of [`crate::Config`]
//! (every API client then shares its retry policy, token cache and HTTP client), or build one
//! on a [`crate::transport::Transport`] with `Client::new_with_client`.
//!
//! ```
//! # #[cfg(feature = "data-integration")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use httpmock::MockServer;
//! use liveramp::mock::{self, Api};
//!
//! let server = MockServer::start_async().await;
//! let limited = server.mock(|when, then| {
//!     when.path("/connections/list");
//!     mock::rate_limited(then, Api::DataIntegration, Duration::from_secs(1));
//! });
//! let config = liveramp::Config::new()
//!     .with_data_integration_token("test-token")
//!     .with_data_integration_url(server.base_url())
//!     .with_retry_policy(liveramp::retry::RetryPolicy::no_retry());
//! let error = config
//!     .data_integration()?
//!     .list_connections()
//!     .send()
//!     .await
//!     .err()
//!     .ok_or("the mock answered 429")?;
//! assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
//! assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
//! limited.assert_async().await;
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use httpmock::Then;
use serde_json::{Value, json};

/// Which API's error document an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Api {
    /// Activation v2: `{"httpStatus", "errorCode", "message"}`.
    Activation,
    /// Activation v1.1: `{"message"}`.
    ActivationV1,
    /// Consent Files: `{"httpStatuscode", "errorCode", "message"}`.
    Consent,
    /// AbiliTec: `{"error": {"code", "message", "requestId"}}`.
    Abilitec,
    /// Data Integration: `{"message", "status"}`.
    DataIntegration,
}

impl Api {
    /// Every API, in the order of the crate's modules.
    pub const ALL: [Api; 5] = [
        Api::Activation,
        Api::ActivationV1,
        Api::Consent,
        Api::Abilitec,
        Api::DataIntegration,
    ];

    /// The API's error document for `status` with `code` and `message` (the APIs without a code
    /// field leave `code` out; AbiliTec gets a fixed `requestId`).
    pub fn error_document(self, status: u16, code: &str, message: &str) -> Value {
        match self {
            Api::Activation => json!({"httpStatus": status, "errorCode": code, "message": message}),
            Api::ActivationV1 => json!({"message": message}),
            Api::Consent => {
                json!({"httpStatuscode": status, "errorCode": code, "message": message})
            }
            Api::Abilitec => json!({"error": {
                "code": code,
                "message": message,
                "requestId": "00000000-0000-4000-8000-000000000000",
            }}),
            Api::DataIntegration => json!({"message": message, "status": status}),
        }
    }

    /// The code the API gives for `status` in the answers below (AbiliTec's gateway codes).
    fn code(self, status: u16) -> &'static str {
        match (self, status) {
            (Api::Abilitec, 401) => "000-0001",
            (Api::Abilitec, 429) => "000-0002",
            (Api::Abilitec, _) => "000-0003",
            (_, 401) => "UNAUTHORIZED",
            (_, 429) => "TOO_MANY_REQUESTS",
            (_, 503) => "SERVICE_UNAVAILABLE",
            _ => "ERROR",
        }
    }
}

/// Answers `status` with `api`'s error document holding `code` and `message`.
pub fn api_error(then: Then, api: Api, status: u16, code: &str, message: &str) -> Then {
    then.status(status)
        .header("content-type", "application/json")
        .json_body(api.error_document(status, code, message))
}

/// Answers 429 with `Retry-After` (whole seconds, rounded up) and `api`'s error document: the
/// transport waits that long before its retry, and a call that gives up reports it in
/// [`crate::Error::retry_after`].
pub fn rate_limited(then: Then, api: Api, retry_after: Duration) -> Then {
    let seconds = retry_after
        .as_secs()
        .saturating_add(u64::from(retry_after.subsec_nanos() > 0));
    api_error(then, api, 429, api.code(429), "Too many requests")
        .header("retry-after", seconds.to_string())
}

/// Answers 503 with `api`'s error document: retried by the transport.
pub fn unavailable(then: Then, api: Api) -> Then {
    api_error(then, api, 503, api.code(503), "Service unavailable")
}

/// Answers 401 with `api`'s error document: the token is refreshed once, then the call fails
/// (the APIs authenticated by a static key or token fail at once).
pub fn unauthorized(then: Then, api: Api) -> Then {
    api_error(then, api, 401, api.code(401), "Unauthorized")
}
