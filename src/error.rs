//! [`Error`]: the one error type of the crate, with the API's own error body parsed.
//!
//! Every generated `send()` returns `progenitor_client::Error<E>`; `?` turns it into [`Error`]
//! (see the `From` impl), which recovers what the transport knew: the failure it shipped through
//! the generated code (see [`crate::transport`]), the answer's status, its buffered body and
//! which of the known error documents it is:
//! Activation `StandardError {httpStatus, errorCode, message}`, Consent
//! `Errors {httpStatuscode, message, errorCode}`, the AbiliTec error document
//! `{"error": {"message", "code", "requestId"}}` with its `600-xxxx` code explained, Data
//! Integration `{"message"|"error"|"detail", ...}`, and pages from an edge proxy such as
//! Cloudflare. Messages and excerpts never repeat a bearer token or a secret field.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::auth::AuthError;
use crate::retry::is_retryable_status;

/// How many characters of an unexpected body an error keeps.
const EXCERPT_CHARS: usize = 200;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value breaks a constraint documented in the spec; nothing was sent.
    #[error("invalid request: `{field}` {reason}; nothing was sent")]
    InvalidField {
        /// The field, e.g. `limit` or `integrationID`.
        field: String,
        /// What the spec allows and what was given.
        reason: String,
    },
    /// The request could not be built (e.g. a required parameter is missing); nothing was sent.
    #[error("invalid request: {0}; nothing was sent")]
    InvalidRequest(String),
    /// The API answered with an error status.
    #[error("{0}")]
    Api(ApiError),
    /// A proxy in front of the API (Cloudflare) answered instead of the API.
    #[error("{0}")]
    Edge(EdgeError),
    /// The answer's body is not what the spec documents.
    #[error("{}", decode_message(*.status, .excerpt, .source))]
    Decode {
        /// The answer's status; `None` for a success answer that opened like a JSON document
        /// but did not decode into the documented type.
        status: Option<StatusCode>,
        /// The start of the body, secrets removed.
        excerpt: String,
        /// The JSON decoder's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// The answer had no body where the spec documents a JSON document.
    #[error("the API answered {status} with an empty body where a JSON document was expected")]
    EmptyBody {
        /// The answer's status.
        status: StatusCode,
    },
    /// The request or its answer was lost on the way (connect, reset, timeout, torn body).
    #[error("{kind} after {attempts} attempt(s)")]
    Network {
        /// What went wrong.
        kind: NetworkKind,
        /// How many attempts were made.
        attempts: u32,
        /// The HTTP client's error (its URL removed: query strings may hold personal data).
        #[source]
        source: reqwest::Error,
    },
    /// No access token could be had.
    #[error("could not get an access token")]
    Auth(#[source] AuthError),
    /// The call's overall deadline passed.
    #[error("the call did not finish within its {deadline:?} deadline ({attempts} attempt(s))")]
    DeadlineExceeded {
        /// The deadline of the call.
        deadline: Duration,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure before the deadline, if an attempt had failed.
        #[source]
        last: Option<Box<Error>>,
    },
    /// Retries were stopped because the transport's retry budget is spent (an outage is likely).
    #[error("retry budget exhausted after {attempts} attempt(s): the API keeps failing")]
    RetryBudgetExhausted {
        /// How many attempts were made.
        attempts: u32,
        /// The failure that would have been retried.
        #[source]
        last: Box<Error>,
    },
    /// Anything else the generated client reported.
    #[error("{0}")]
    Other(String),
}

fn decode_message(status: Option<StatusCode>, excerpt: &str, source: &serde_json::Error) -> String {
    let what = if source.is_syntax() || source.is_eof() {
        "is not valid JSON"
    } else {
        "does not have the documented shape"
    };
    let status = status.map(|s| format!(" ({s})")).unwrap_or_default();
    format!("the answer{status} {what}: {source}; body starts: {excerpt:?}")
}

/// What went wrong on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetworkKind {
    /// No connection could be made: the request was never sent.
    Connect,
    /// No answer in time.
    Timeout,
    /// The connection broke before an answer arrived.
    Request,
    /// The answer's body was cut off.
    Body,
}

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect to the API",
            Self::Timeout => "the API did not answer in time",
            Self::Request => "the connection broke before the API answered",
            Self::Body => "the answer was cut off mid-body",
        })
    }
}

impl NetworkKind {
    /// Classifies an HTTP client error.
    pub fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Connect
        } else if error.is_body() || error.is_decode() {
            Self::Body
        } else {
            Self::Request
        }
    }
}

impl Error {
    /// The HTTP status of the answer behind this error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Edge(e) => Some(e.status),
            Self::Decode { status, .. } => *status,
            Self::EmptyBody { status } => Some(*status),
            Self::DeadlineExceeded { last, .. } => last.as_ref().and_then(|e| e.status()),
            Self::RetryBudgetExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// Whether the same call may succeed later (an outage, throttling, a lost connection), as
    /// opposed to a request that will keep failing.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(e) => is_retryable_status(e.status),
            Self::Edge(e) => {
                is_retryable_status(e.status) || (520..=524).contains(&e.status.as_u16())
            }
            Self::Network { .. } | Self::DeadlineExceeded { .. } => true,
            Self::RetryBudgetExhausted { .. } => true,
            Self::Auth(e) => e.is_transient(),
            _ => false,
        }
    }

    /// The API's own error document, when it sent one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            Self::DeadlineExceeded { last, .. } => last.as_ref().and_then(|e| e.api_error()),
            Self::RetryBudgetExhausted { last, .. } => last.api_error(),
            _ => None,
        }
    }

    /// The error an answer stands for, from its status, headers and body.
    pub fn from_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        if let Some(edge) = EdgeError::recognise(status, headers, body) {
            return Self::Edge(edge);
        }
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            return Self::Api(ApiError::bare(status, None));
        }
        match serde_json::from_slice::<serde_json::Value>(trimmed) {
            Ok(value) => Self::Api(ApiError::parse(status, &value)),
            Err(source) => Self::Decode {
                status: Some(status),
                excerpt: excerpt(body),
                source,
            },
        }
    }

    pub(crate) fn network(source: reqwest::Error, attempts: u32) -> Self {
        Self::Network {
            kind: NetworkKind::of(&source),
            attempts,
            source: source.without_url(),
        }
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

/// Which known error document an answer held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorShape {
    /// Activation `StandardError {httpStatus, errorCode, message}`.
    ActivationStandardError,
    /// Consent `Errors {httpStatuscode, message, errorCode}`.
    ConsentErrors,
    /// AbiliTec `{"error": {"message", "code", "requestId"}}`.
    AbiliTec,
    /// An OAuth error `{"error", "error_description"}`.
    OAuth,
    /// Another JSON document with a message (Data Integration answers `message`, `error` or
    /// `detail`).
    Generic,
    /// No body, or JSON without a recognisable message.
    Unrecognised,
}

/// The error codes of RFC 6749 §5.2 (and §4.1.2.1).
const OAUTH_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
];

/// An error answer of the API, its document parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Which document it was.
    pub shape: ErrorShape,
    /// The API's error code (`errorCode`, AbiliTec `600-0043`, OAuth `invalid_grant`).
    pub code: Option<String>,
    /// The API's message, secrets removed.
    pub message: Option<String>,
    /// The request ID to quote to support (AbiliTec).
    pub request_id: Option<String>,
    /// The start of an unrecognised body, secrets removed.
    pub excerpt: Option<String>,
}

impl ApiError {
    fn bare(status: StatusCode, excerpt: Option<String>) -> Self {
        Self {
            status,
            shape: ErrorShape::Unrecognised,
            code: None,
            message: None,
            request_id: None,
            excerpt,
        }
    }

    /// Reads the known error documents out of a JSON body.
    pub fn parse(status: StatusCode, body: &serde_json::Value) -> Self {
        let text = |v: Option<&serde_json::Value>| -> Option<String> {
            match v? {
                serde_json::Value::String(s) => Some(redact(s)),
                serde_json::Value::Null => None,
                other => Some(redact(&other.to_string())),
            }
        };
        let mut error = Self::bare(status, None);
        if let Some(inner) = body.get("error").filter(|e| e.is_object()) {
            error.shape = ErrorShape::AbiliTec;
            error.code = text(inner.get("code"));
            error.message = text(inner.get("message"));
            error.request_id = text(inner.get("requestId"));
        } else if body.get("httpStatus").is_some() {
            error.shape = ErrorShape::ActivationStandardError;
            error.code = text(body.get("errorCode"));
            error.message = text(body.get("message"));
        } else if body.get("httpStatuscode").is_some() {
            error.shape = ErrorShape::ConsentErrors;
            error.code = text(body.get("errorCode"));
            error.message = text(body.get("message"));
        } else if body.get("error_description").is_some()
            || body
                .get("error")
                .and_then(|e| e.as_str())
                .is_some_and(|e| OAUTH_ERRORS.contains(&e))
        {
            error.shape = ErrorShape::OAuth;
            error.code = text(body.get("error"));
            error.message = text(body.get("error_description")).or(text(body.get("message")));
        } else if let Some(message) = ["message", "detail", "error_message", "error"]
            .iter()
            .find_map(|k| text(body.get(*k)))
        {
            error.shape = ErrorShape::Generic;
            error.message = Some(message);
            error.code = ["code", "error_code", "errorCode"]
                .iter()
                .find_map(|k| text(body.get(*k)));
        } else {
            error.excerpt = Some(excerpt(body.to_string().as_bytes()));
        }
        error
    }

    /// What an AbiliTec `600-xxxx` code means, as documented.
    pub fn meaning(&self) -> Option<&'static str> {
        abilitec_meaning(self.code.as_deref()?)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status.is_success() {
            write!(
                f,
                "the API answered {}, a status its spec does not document here",
                self.status
            )?;
        } else {
            write!(f, "the API answered {}", self.status)?;
        }
        if let Some(code) = &self.code {
            write!(f, " [{code}")?;
            if let Some(meaning) = self.meaning() {
                write!(f, ": {meaning}")?;
            }
            f.write_str("]")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request ID {id})")?;
        }
        if let Some(excerpt) = &self.excerpt {
            write!(f, "; body starts: {excerpt:?}")?;
        }
        Ok(())
    }
}

/// The documented meaning of an AbiliTec error code; `000-` codes come from the gateway.
pub fn abilitec_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "600-0000" => "unhandled error (system/OS error)",
        "600-0010" => "internal server error",
        "600-0020" => "authorization error",
        "600-0025" => "username, tenant and role not authorized",
        "600-0030" => "document not found",
        "600-0031" => "invalid document ID",
        "600-0032" => "invalid document class",
        "600-0033" => "unknown path",
        "600-0040" => "missing parameter",
        "600-0041" => "invalid data type",
        "600-0042" => "invalid content type",
        "600-0043" => "invalid request value",
        "600-0044" => "AbiliTec link error",
        "600-0045" => "invalid request parameter",
        "600-0050" => "conflicting values for parameter and header",
        "600-0052" => "method not allowed",
        "600-0060" => "batch request limit exceeded",
        "600-0070" | "600-0080" | "600-0095" | "600-0100" => "generic backend service error",
        "600-0117" => "opted-out entity",
        c if c.starts_with("000-") => "API gateway error",
        _ => return None,
    })
}

/// An answer from a proxy in front of the API rather than from the API.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Whether Cloudflare sent it.
    pub cloudflare: bool,
    /// Cloudflare's error code (e.g. 1020), when the page gives one.
    pub code: Option<u32>,
    /// The start of the page, secrets removed.
    pub excerpt: String,
}

impl EdgeError {
    /// Recognises an edge answer: an HTML page, or Cloudflare's headers or 52x codes without a
    /// JSON body.
    pub fn recognise(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let head = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).to_lowercase();
        let json = serde_json::from_slice::<serde_json::Value>(body).is_ok();
        let html = !body.trim_ascii().is_empty()
            && (head.trim_start().starts_with('<')
                || headers
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("text/html")));
        let by_header = headers.contains_key("cf-ray")
            || headers
                .get(reqwest::header::SERVER)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("cloudflare"));
        let cloudflare = by_header || head.contains("cloudflare");
        let cf_status = matches!(status.as_u16(), 520..=527 | 530);
        if json || !(html || (cloudflare && (cf_status || status.as_u16() == 403))) {
            return None;
        }
        Some(Self {
            status,
            cloudflare,
            code: cloudflare.then(|| cloudflare_code(&head)).flatten(),
            excerpt: excerpt(body),
        })
    }
}

/// The `1xxx` code of a Cloudflare error page ("Error 1020", "error code: 1020").
fn cloudflare_code(page: &str) -> Option<u32> {
    ["error code: ", "error code ", "error ", "cf-error-code\">"]
        .iter()
        .flat_map(|marker| {
            page.match_indices(marker)
                .map(move |(i, _)| i + marker.len())
        })
        .find_map(|start| {
            let digits: String = page[start..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok().filter(|c| (1000..2000).contains(c))
        })
}

impl fmt::Display for EdgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.as_u16();
        match (self.cloudflare, self.code) {
            (true, Some(1020)) => write!(
                f,
                "blocked before reaching LiveRamp (Cloudflare 1020, {}): is this IP allowlisted?",
                self.status
            ),
            (true, Some(code)) => write!(
                f,
                "blocked before reaching LiveRamp (Cloudflare {code}, {})",
                self.status
            ),
            (true, None) if (520..=530).contains(&status) => write!(
                f,
                "Cloudflare could not get an answer from LiveRamp ({}): the API is unreachable or down",
                self.status
            ),
            (true, None) => write!(
                f,
                "Cloudflare answered {} before reaching LiveRamp; page starts: {:?}",
                self.status, self.excerpt
            ),
            (false, _) => write!(
                f,
                "an HTML page came back with {} instead of an API answer (a proxy or gateway?); page starts: {:?}",
                self.status, self.excerpt
            ),
        }
    }
}

/// The start of a body, lossily decoded, whitespace folded, secrets removed.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact_json(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned(),
    };
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let redacted = redact(&folded);
    match redacted.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &redacted[..cut]),
        None => redacted,
    }
}

/// JSON members whose values are never repeated.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "secret_key",
    "password",
    "authorization",
    "token",
];

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
                    *inner = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_json(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// `text` with bearer credentials and JWT-looking strings replaced by `[redacted]`.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, skip)) = next_secret(rest) {
        out.push_str(&rest[..start]);
        out.push_str("[redacted]");
        let after = &rest[start + skip..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(c)))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Where the next secret starts in `text`, and how much of it is a prefix to drop with it.
fn next_secret(text: &str) -> Option<(usize, usize)> {
    // ASCII lowercasing keeps byte offsets, so positions in `lower` are positions in `text`.
    let lower = text.to_ascii_lowercase();
    let bearer = lower.find("bearer ").map(|i| (i, "bearer ".len()));
    let jwt = text.find("eyJ").map(|i| (i, 0));
    match (bearer, jwt) {
        (Some(b), Some(j)) => Some(if b.0 <= j.0 { b } else { j }),
        (b, j) => b.or(j),
    }
}

/// Our own failure, shipped from `exec` through the generated code inside a `reqwest::Error`'s
/// source chain and taken back out by the `From` impl below.
pub(crate) struct Carried(Mutex<Option<Error>>);

impl Carried {
    pub(crate) fn new(error: Error) -> Self {
        Self(Mutex::new(Some(error)))
    }

    fn take(&self) -> Option<Error> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl fmt::Debug for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(error) => write!(f, "{error}"),
            None => f.write_str("liveramp transport error (already taken)"),
        }
    }
}

impl std::error::Error for Carried {}

/// The buffered body of an answer, kept in the rebuilt response's extensions so that an
/// undocumented answer (`UnexpectedResponse`) can still be read synchronously.
#[derive(Clone, Debug)]
pub(crate) struct BufferedBody(pub(crate) bytes::Bytes);

fn take_carried(error: &reqwest::Error) -> Option<Error> {
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(carried) = inner.downcast_ref::<Carried>() {
            return carried.take();
        }
        source = inner.source();
    }
    None
}

impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(message) => Self::InvalidRequest(message),
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                take_carried(&e).unwrap_or_else(|| Self::network(e, 1))
            }
            P::ErrorResponse(answer) => {
                let status = answer.status();
                let headers = answer.headers().clone();
                let body = match serde_json::to_value(answer.into_inner()) {
                    Ok(serde_json::Value::Null) | Err(_) => Vec::new(),
                    Ok(value) => value.to_string().into_bytes(),
                };
                Self::from_answer(status, &headers, &body)
            }
            P::InvalidResponsePayload(body, source) => Self::Decode {
                status: None,
                excerpt: excerpt(&body),
                source,
            },
            P::UnexpectedResponse(answer) => {
                let body = answer
                    .extensions()
                    .get::<BufferedBody>()
                    .map(|b| b.0.clone())
                    .unwrap_or_default();
                Self::from_answer(answer.status(), answer.headers(), &body)
            }
            P::Custom(message) => Self::Other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Error {
        Error::from_answer(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn each_known_error_document_is_read() {
        let e = answer(
            422,
            r#"{"httpStatus":422,"errorCode":"INVALID","message":"bad id"}"#,
        );
        let api = e.api_error().unwrap();
        assert_eq!(api.shape, ErrorShape::ActivationStandardError);
        assert_eq!(api.code.as_deref(), Some("INVALID"));
        assert_eq!(
            e.to_string(),
            "the API answered 422 Unprocessable Entity [INVALID]: bad id"
        );

        let e = answer(
            401,
            r#"{"httpStatuscode":401,"message":"Unauthenticated user."}"#,
        );
        assert_eq!(e.api_error().unwrap().shape, ErrorShape::ConsentErrors);
        assert_eq!(e.status(), Some(StatusCode::UNAUTHORIZED));

        let e = answer(
            400,
            r#"{"error":{"message":"invalid zipCode: 94107f","code":"600-0043","requestId":"91da"}}"#,
        );
        assert_eq!(
            e.to_string(),
            "the API answered 400 Bad Request [600-0043: invalid request value]: \
             invalid zipCode: 94107f (request ID 91da)"
        );

        let e = answer(
            400,
            r#"{"error":"invalid_grant","error_description":"bad creds"}"#,
        );
        assert_eq!(e.api_error().unwrap().shape, ErrorShape::OAuth);

        let e = answer(201, "");
        assert_eq!(
            e.to_string(),
            "the API answered 201 Created, a status its spec does not document here"
        );

        let e = answer(403, r#"{"error":"Token has no scope connection:edit"}"#);
        let api = e.api_error().unwrap();
        assert_eq!(api.shape, ErrorShape::Generic);
        assert_eq!(
            api.message.as_deref(),
            Some("Token has no scope connection:edit")
        );

        let e = answer(429, r#"{"message":"invalid param","status":429}"#);
        assert_eq!(e.api_error().unwrap().shape, ErrorShape::Generic);
        assert!(e.is_retryable());
    }

    #[test]
    fn cloudflare_pages_say_so() {
        let page = "<!DOCTYPE html><html><title>Access denied | api.liveramp.com used Cloudflare \
                    to restrict access</title><body>Error 1020</body></html>";
        let e = answer(403, page);
        assert_eq!(
            e.to_string(),
            "blocked before reaching LiveRamp (Cloudflare 1020, 403 Forbidden): is this IP allowlisted?"
        );
        assert!(!e.is_retryable());
        let mut headers = HeaderMap::new();
        headers.insert("server", "cloudflare".parse().unwrap());
        let e = Error::from_answer(
            StatusCode::from_u16(522).unwrap(),
            &headers,
            b"error code: 522",
        );
        assert!(
            e.to_string()
                .starts_with("Cloudflare could not get an answer"),
            "{e}"
        );
        assert!(e.is_retryable());
    }

    #[test]
    fn malformed_bodies_keep_a_redacted_excerpt_and_the_status() {
        let e = answer(
            500,
            "oops Bearer abc.def-123 and eyJhbGciOi.eyJzdWIi.sig trailing",
        );
        match &e {
            Error::Decode {
                status, excerpt, ..
            } => {
                assert_eq!(*status, Some(StatusCode::INTERNAL_SERVER_ERROR));
                assert_eq!(excerpt, "oops [redacted] and [redacted] trailing");
            }
            other => panic!("{other:?}"),
        }
        let e = answer(400, r#"{"unexpected":{"access_token":"s3cret"}}"#);
        let text = e.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
        let long = "x".repeat(1000);
        match answer(502, &long) {
            Error::Decode { excerpt, .. } => assert_eq!(excerpt.chars().count(), 201),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_abilitec_code_in_the_table_has_a_meaning() {
        for code in [
            "600-0000", "600-0020", "600-0060", "600-0117", "600-0052", "000-0001",
        ] {
            assert!(abilitec_meaning(code).is_some(), "{code}");
        }
        assert_eq!(abilitec_meaning("600-9999"), None);
    }
}
