//! Credentials and access tokens.
//!
//! A [`TokenSource`] hands out bearer tokens; the transport asks it for one before each request
//! and tells it when the API rejected one.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, as returned by [`TokenSource::token`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A bearer access token. Its value never appears in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    value: String,
}

impl AccessToken {
    /// Wraps a token value.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
        }
    }

    /// The token value, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    message: String,
}

impl AuthError {
    /// An error with a message that holds no secret.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// Whether trying again later may succeed (an outage), as opposed to a permanent refusal
    /// (bad credentials).
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// Hands out bearer tokens. Implement it to plug in your own source (a cache shared by many
/// processes, a secrets manager).
pub trait TokenSource: Send + Sync + fmt::Debug + 'static {
    /// A token valid now, from the cache or freshly fetched.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>>;

    /// The API answered 401 to `rejected`: forget it if it is still the current token.
    fn invalidate(&self, rejected: &AccessToken) {
        let _ = rejected;
    }
}

/// A fixed token, such as a Data Integration API token.
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// A source that always answers `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self(AccessToken::new(token))
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }
}
