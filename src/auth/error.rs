//! [`AuthError`]: why no token (or no client) could be had. Its text never holds a secret.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The OAuth `error` codes that mean the request or the credentials are wrong: asking again
/// with the same credentials cannot succeed.
pub const PERMANENT_OAUTH_ERRORS: [&str; 5] = [
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "invalid_request",
];

/// The OAuth `error` codes that mean the token endpoint is unavailable for now.
pub const TRANSIENT_OAUTH_ERRORS: [&str; 2] = ["temporarily_unavailable", "server_error"];

/// Whether `code` is one of the OAuth error codes of RFC 6749 (§5.2 and §4.1.2.1).
pub fn is_oauth_error_code(code: &str) -> bool {
    PERMANENT_OAUTH_ERRORS.contains(&code)
        || TRANSIENT_OAUTH_ERRORS.contains(&code)
        || [
            "unsupported_grant_type",
            "access_denied",
            "unsupported_response_type",
        ]
        .contains(&code)
}

/// The family of an [`AuthError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// A credentials file or value is missing, unreadable or malformed.
    Credentials,
    /// A setting is missing or invalid (a non-https URL, a missing org ID).
    Config,
    /// The token endpoint refused the request (an OAuth error such as `invalid_grant`, or a
    /// 4xx status). Permanent.
    Rejected,
    /// The token endpoint is unavailable for now (5xx, 429, 408). Transient.
    Unavailable,
    /// The request did not complete: timeout, connection refused or reset, a torn body.
    /// Transient.
    Network,
    /// The token endpoint answered 2xx with something that is not a usable bearer token.
    InvalidResponse,
    /// Anything else (a panicked fetcher, no async runtime).
    Other,
}

/// Why no token (or no client) could be had.
///
/// It names the file, field, HTTP status and OAuth error where known; it never holds a secret.
/// Cloning is cheap (a failed fetch is shared by all its waiters).
#[derive(Clone)]
pub struct AuthError {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: AuthErrorKind,
    message: String,
    status: Option<u16>,
    oauth_error: Option<String>,
    oauth_description: Option<String>,
    path: Option<PathBuf>,
    field: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl AuthError {
    /// An error of kind [`AuthErrorKind::Other`] with a message that holds no secret.
    pub fn new(message: impl Into<String>) -> Self {
        Self::of(AuthErrorKind::Other, message)
    }

    pub(crate) fn of(kind: AuthErrorKind, message: impl Into<String>) -> Self {
        let inner = Inner {
            kind,
            message: message.into(),
            status: None,
            oauth_error: None,
            oauth_description: None,
            path: None,
            field: None,
            retry_after: None,
            source: None,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::of(AuthErrorKind::Config, message)
    }

    /// A credentials problem in `origin` (a file path or "credentials JSON"), about `field`.
    pub(crate) fn credentials(
        path: Option<&Path>,
        field: Option<&str>,
        problem: impl fmt::Display,
    ) -> Self {
        let origin = match path {
            Some(path) => format!("credentials file {}", path.display()),
            None => "credentials JSON".to_owned(),
        };
        let message = match field {
            Some(field) => format!("{origin}: field `{field}` {problem}"),
            None => format!("{origin}: {problem}"),
        };
        let mut error = Self::of(AuthErrorKind::Credentials, message);
        let inner = error.inner_mut();
        inner.path = path.map(Path::to_path_buf);
        inner.field = field.map(str::to_owned);
        error
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner_mut().status = Some(status);
        self
    }

    pub(crate) fn with_oauth(mut self, code: Option<String>, description: Option<String>) -> Self {
        let inner = self.inner_mut();
        inner.oauth_error = code;
        inner.oauth_description = description;
        self
    }

    pub(crate) fn with_field(mut self, field: &str) -> Self {
        self.inner_mut().field = Some(field.to_owned());
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner_mut().retry_after = retry_after;
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.inner_mut().source = Some(Arc::new(source));
        self
    }

    /// The family of this error.
    pub fn kind(&self) -> AuthErrorKind {
        self.inner.kind
    }

    /// Whether trying again later may succeed (an outage), as opposed to a permanent refusal
    /// (bad credentials, a bad setting, a malformed answer).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.inner.kind,
            AuthErrorKind::Unavailable | AuthErrorKind::Network
        )
    }

    /// The HTTP status the token endpoint answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The OAuth `error` code of the token endpoint's answer (`invalid_grant`, ...).
    pub fn oauth_error(&self) -> Option<&str> {
        self.inner.oauth_error.as_deref()
    }

    /// The OAuth `error_description` of the token endpoint's answer.
    pub fn oauth_description(&self) -> Option<&str> {
        self.inner.oauth_description.as_deref()
    }

    /// The credentials file concerned, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The credentials field or setting concerned, if any.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// How long the token endpoint asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("AuthError");
        s.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(status) = self.inner.status {
            s.field("status", &status);
        }
        if let Some(code) = &self.inner.oauth_error {
            s.field("oauth_error", code);
        }
        if let Some(description) = &self.inner.oauth_description {
            s.field("oauth_description", description);
        }
        if let Some(path) = &self.inner.path {
            s.field("path", path);
        }
        if let Some(field) = &self.inner.field {
            s.field("field", field);
        }
        if let Some(retry_after) = &self.inner.retry_after {
            s.field("retry_after", retry_after);
        }
        if let Some(source) = &self.inner.source {
            s.field("source", &format_args!("{source}"));
        }
        s.finish()
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}
