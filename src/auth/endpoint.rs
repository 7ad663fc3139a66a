//! One POST to an OAuth token endpoint, and the reading of its answer.

use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{Client, Url};
use serde_json::Value;

use super::error::{PERMANENT_OAUTH_ERRORS, TRANSIENT_OAUTH_ERRORS};
use super::{AccessToken, AuthError, AuthErrorKind, FetchedToken};
use crate::http::{ReadError, read_capped};
use crate::redact::Redactor;

/// The default timeout of one token request.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest OAuth `error_description` kept in an error.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// The largest token endpoint answer read; a token answer is a few hundred bytes.
pub(crate) const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;

/// Form fields whose values are not secret (everything else a token request sends is redacted
/// from what the endpoint answers). The AbiliTec `role` is not a token field: LiveRamp's "API
/// Roles" page sends it with each API call, which the transport does.
const PUBLIC_FIELDS: [&str; 3] = ["grant_type", "scope", "response_type"];

/// A token endpoint, https unless loopback, each request with a timeout: with its own HTTP
/// client ([`TokenEndpoint::new`]), which follows no redirect, or a `Config`'s shared one
/// ([`TokenEndpoint::with_client`]), which follows redirects within the endpoint's origin only
/// (`http::client_builder`): the credentials never leave it. `Debug` names its URL as errors
/// do.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    client: Client,
    url: Url,
    /// The URL as errors name it (`config::shown_url`: without its query or fragment).
    shown: String,
    timeout: Duration,
    limiters: Option<std::sync::Arc<crate::limit::Limiters>>,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.shown)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TokenEndpoint {
    /// An endpoint at `url` whose requests time out after `timeout`.
    pub(crate) fn new(url: &str, timeout: Duration) -> Result<Self, AuthError> {
        let client = crate::http::direct_to_loopback(crate::http::client_builder())
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                AuthError::config("cannot build the token endpoint's HTTP client").with_source(e)
            })?;
        Self::at(url, timeout, client, None)
    }

    /// An endpoint at `url` that sends through `client` (a `Config`'s shared client), each
    /// request timing out after `timeout` and paced by the token bucket of `limiters`.
    pub(crate) fn with_client(
        url: &str,
        timeout: Duration,
        client: Client,
        limiters: std::sync::Arc<crate::limit::Limiters>,
    ) -> Result<Self, AuthError> {
        Self::at(url, timeout, client, Some(limiters))
    }

    fn at(
        url: &str,
        timeout: Duration,
        client: Client,
        limiters: Option<std::sync::Arc<crate::limit::Limiters>>,
    ) -> Result<Self, AuthError> {
        let url = crate::config::check_url(url)?;
        Ok(Self {
            shown: crate::config::shown_url(&url),
            client,
            url,
            timeout,
            limiters,
        })
    }

    /// The endpoint's URL.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// POSTs the form `fields` and reads the token out of the answer.
    pub(crate) async fn request(&self, fields: &[(&str, &str)]) -> Result<FetchedToken, AuthError> {
        self.request_as(fields, None).await
    }

    /// POSTs the form `fields`, the client authenticated with HTTP Basic when `basic` gives
    /// its ID and secret, and reads the token out of the answer.
    pub(crate) async fn request_as(
        &self,
        fields: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<FetchedToken, AuthError> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            "liveramp.token",
            "server.address" = self.url.host_str().unwrap_or_default(),
            "http.response.status_code" = tracing::field::Empty,
        );
        let result = self.send_form(fields, basic).instrument(span.clone()).await;
        if let Some(status) = result.as_ref().err().and_then(AuthError::status) {
            span.record("http.response.status_code", status);
        }
        result
    }

    async fn send_form(
        &self,
        fields: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<FetchedToken, AuthError> {
        if let Some(bucket) = self.limiters.as_deref().and_then(|l| l.tokens()) {
            // Within the request's timeout: a fetch that never ends would hold every caller
            // of the token cache, which joins the fetch in flight.
            if tokio::time::timeout(self.timeout, bucket.acquire())
                .await
                .is_err()
            {
                return Err(AuthError::of(
                    AuthErrorKind::Unavailable,
                    format!(
                        "the token request to {} waited {:?} for the token rate limit",
                        self.shown, self.timeout
                    ),
                ));
            }
        }
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(ACCEPT, "application/json")
            .form(fields);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.network_error(e, None))?;
        let status = response.status().as_u16();
        let retry_after =
            crate::retry::retry_after(response.headers(), std::time::SystemTime::now());
        let body = match read_capped(response, MAX_TOKEN_ANSWER_BYTES).await {
            Ok(body) => body,
            Err(ReadError::Network(e)) => {
                return Err(self.network_error(e, Some(status)));
            }
            Err(ReadError::TooLarge { limit }) => {
                return Err(AuthError::of(
                    AuthErrorKind::InvalidResponse,
                    format!(
                        "token endpoint {} answered HTTP {status} with more than {limit} bytes",
                        self.shown
                    ),
                )
                .with_status(status));
            }
        };
        // The `Authorization: Basic` credentials too, as sent: an echoed header is decoded as
        // easily as it was encoded.
        let basic_header = basic.map(|(id, secret)| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        });
        let secrets = Redactor::new(
            fields
                .iter()
                .filter(|(name, _)| !PUBLIC_FIELDS.contains(name))
                .map(|(_, value)| *value)
                .chain(basic.into_iter().flat_map(|(id, secret)| [id, secret]))
                .chain(basic_header.as_deref()),
        );
        interpret(&self.shown, status, &body, &secrets).map_err(|e| e.with_retry_after(retry_after))
    }

    /// [`request`](Self::request) with owned field values.
    pub(crate) async fn request_owned(
        &self,
        fields: Vec<(&'static str, String)>,
    ) -> Result<FetchedToken, AuthError> {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.request(&borrowed).await
    }

    /// [`request_as`](Self::request_as) with owned values.
    pub(crate) async fn request_owned_as(
        &self,
        fields: Vec<(&'static str, String)>,
        basic: Option<(String, String)>,
    ) -> Result<FetchedToken, AuthError> {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let basic = basic
            .as_ref()
            .map(|(id, secret)| (id.as_str(), secret.as_str()));
        self.request_as(&borrowed, basic).await
    }

    /// A failed request as an error whose source is `error` without its URL (the query could
    /// hold a credential).
    fn network_error(&self, error: reqwest::Error, status: Option<u16>) -> AuthError {
        let what = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "could not connect"
        } else if status.is_some() {
            "answer was cut off"
        } else {
            "request failed"
        };
        let shown = &self.shown;
        let message = match status {
            Some(status) => format!("token endpoint {shown}: {what} (HTTP {status})"),
            None => format!("token endpoint {shown}: {what}"),
        };
        let failure =
            AuthError::of(AuthErrorKind::Network, message).with_source(error.without_url());
        match status {
            Some(status) => failure.with_status(status),
            None => failure,
        }
    }
}

/// Reads a token endpoint's answer: a bearer token, or the error it describes, naming the
/// endpoint as `url` (shown without its query).
pub(crate) fn interpret(
    url: &str,
    status: u16,
    body: &[u8],
    secrets: &Redactor,
) -> Result<FetchedToken, AuthError> {
    let clean = |text: &str, max: usize| crate::error::server_text_within(text, secrets, max);
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let object = json.as_ref().and_then(Value::as_object);
    let oauth_code = object
        .and_then(|o| o.get("error"))
        .and_then(Value::as_str)
        // Without control characters, so that a code sent with a line break (or worse) still
        // names its class.
        .map(|code| clean(&code.replace(char::is_control, ""), 64));
    let oauth_description = object
        .and_then(|o| o.get("error_description"))
        .and_then(Value::as_str)
        .map(|d| clean(d.trim(), MAX_DESCRIPTION_CHARS));
    let oauth_suffix = match (&oauth_code, &oauth_description) {
        (Some(code), Some(description)) => format!(", {code}: {description}"),
        (Some(code), None) => format!(", {code}"),
        _ => String::new(),
    };

    if !(200..300).contains(&status) {
        let transient_code = oauth_code
            .as_deref()
            .is_some_and(|c| TRANSIENT_OAUTH_ERRORS.contains(&c));
        let (kind, what) = match status {
            _ if reqwest::StatusCode::from_u16(status)
                .is_ok_and(crate::retry::is_retryable_status) =>
            {
                (AuthErrorKind::Unavailable, "is unavailable")
            }
            _ if transient_code => (AuthErrorKind::Unavailable, "is unavailable"),
            300..=399 => (
                AuthErrorKind::Rejected,
                "redirected (redirects are not followed)",
            ),
            _ => (AuthErrorKind::Rejected, "refused the request"),
        };
        return Err(AuthError::of(
            kind,
            format!("token endpoint {url} {what} (HTTP {status}{oauth_suffix})"),
        )
        .with_status(status)
        .with_oauth(oauth_code, oauth_description));
    }

    let invalid = |problem: &str| {
        AuthError::of(
            AuthErrorKind::InvalidResponse,
            format!("token endpoint {url} answered HTTP {status} {problem}"),
        )
        .with_status(status)
    };
    let Some(object) = object else {
        return Err(invalid("with a body that is not a JSON object"));
    };
    if let Some(code) = &oauth_code {
        let kind = if PERMANENT_OAUTH_ERRORS.contains(&code.as_str()) {
            AuthErrorKind::Rejected
        } else if TRANSIENT_OAUTH_ERRORS.contains(&code.as_str()) {
            AuthErrorKind::Unavailable
        } else {
            AuthErrorKind::InvalidResponse
        };
        return Err(AuthError::of(
            kind,
            format!("token endpoint {url} answered HTTP {status} with an error{oauth_suffix}"),
        )
        .with_status(status)
        .with_oauth(oauth_code, oauth_description));
    }
    let token = match object.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() => AccessToken::new(token.clone()),
        _ => return Err(invalid("without an access_token")),
    };
    match object.get("token_type") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(t)) => {
            return Err(invalid(&format!(
                "with token_type `{}`, not Bearer",
                clean(t, 40)
            )));
        }
        Some(_) => return Err(invalid("with a token_type that is not a string")),
    }
    let expires_in = match object.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(seconds) => Some(seconds),
            Err(_) => return Err(invalid("with an expires_in that is not a number")),
        },
        Some(_) => return Err(invalid("with an expires_in that is not a number")),
    };
    let expires_in = match expires_in {
        None => None,
        Some(seconds) if seconds.is_finite() => {
            Some(Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX))
        }
        Some(_) => return Err(invalid("with an expires_in that is not a number")),
    };
    Ok(FetchedToken::new(token, expires_in))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> String {
        "https://sso.example.com/token".to_owned()
    }

    #[test]
    fn expires_in_may_be_a_number_or_a_numeric_string() {
        for body in [
            r#"{"access_token":"t","token_type":"Bearer","expires_in":600}"#,
            r#"{"access_token":"t","token_type":"bearer","expires_in":"600"}"#,
            r#"{"access_token":"t","token_type":"BEARER","expires_in":" 600.0 "}"#,
        ] {
            let fetched = interpret(&url(), 200, body.as_bytes(), &Redactor::default()).unwrap();
            assert_eq!(fetched.expires_in, Some(Duration::from_secs(600)), "{body}");
            assert_eq!(fetched.token.expose(), "t");
        }
        let fetched = interpret(
            &url(),
            200,
            br#"{"access_token":"t"}"#,
            &Redactor::default(),
        )
        .unwrap();
        assert_eq!(fetched.expires_in, None);
        let fetched = interpret(
            &url(),
            200,
            br#"{"access_token":"t","expires_in":-5}"#,
            &Redactor::default(),
        )
        .unwrap();
        assert_eq!(fetched.expires_in, Some(Duration::ZERO));
    }

    #[test]
    fn malformed_success_answers_are_clear_errors() {
        for (body, needle) in [
            (r#"{"token_type":"Bearer"}"#, "without an access_token"),
            (r#"{"access_token":""}"#, "without an access_token"),
            (
                r#"{"access_token":"t","token_type":"mac"}"#,
                "token_type `mac`",
            ),
            (r#"{"access_token":"t","expires_in":"soon"}"#, "expires_in"),
            ("<html>oops</html>", "not a JSON object"),
        ] {
            let error = interpret(&url(), 200, body.as_bytes(), &Redactor::default()).unwrap_err();
            assert_eq!(error.kind(), AuthErrorKind::InvalidResponse, "{body}");
            assert!(!error.is_transient());
            assert!(error.to_string().contains(needle), "{error}");
        }
    }

    #[test]
    fn an_error_body_with_status_200_is_an_error() {
        let body = br#"{"error":"invalid_grant","error_description":"bad password"}"#;
        let error = interpret(&url(), 200, body, &Redactor::default()).unwrap_err();
        assert_eq!(error.kind(), AuthErrorKind::Rejected);
        assert_eq!(error.oauth_error(), Some("invalid_grant"));
        assert_eq!(error.oauth_description(), Some("bad password"));
        let body = br#"{"error":"temporarily_unavailable"}"#;
        assert!(
            interpret(&url(), 200, body, &Redactor::default())
                .unwrap_err()
                .is_transient()
        );
    }

    #[test]
    fn statuses_are_classified() {
        for status in [408, 429, 500, 502, 503, 504] {
            let error = interpret(&url(), status, b"", &Redactor::default()).unwrap_err();
            assert!(error.is_transient(), "{status}");
            assert_eq!(error.status(), Some(status));
        }
        for status in [302, 400, 401, 403, 404] {
            let error = interpret(&url(), status, b"<html/>", &Redactor::default()).unwrap_err();
            assert!(!error.is_transient(), "{status}");
        }
        let error = interpret(
            &url(),
            400,
            br#"{"error":"server_error"}"#,
            &Redactor::default(),
        )
        .unwrap_err();
        assert!(error.is_transient());
        // A code sent with a line break still names its class.
        let error = interpret(
            &url(),
            400,
            br#"{"error":"temporarily_unavailable\u0000\n"}"#,
            &Redactor::default(),
        )
        .unwrap_err();
        assert!(error.is_transient());
    }

    #[test]
    fn an_echoed_secret_is_removed_from_a_token_type() {
        // Found by review: the token type was shown through a redactor without the secrets.
        let body = br#"{"access_token":"t","token_type":"s3cret-key"}"#;
        let error = interpret(&url(), 200, body, &Redactor::new(["s3cret-key"])).unwrap_err();
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
}
