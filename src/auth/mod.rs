//! Credentials and access tokens.
//!
//! A [`TokenSource`] hands out bearer tokens; the transport asks it for one before each request
//! and tells it when the API rejected one. [`TokenCache`] is the source to use for OAuth grants
//! ([`PasswordGrant`] for service accounts, [`ClientCredentialsGrant`] for AbiliTec);
//! [`StaticToken`] serves a fixed token. Secrets live in [`Secret`] and [`AccessToken`], which
//! print `[redacted]`.

mod cache;
mod credentials;
mod endpoint;
mod error;
mod grant;
pub(crate) use grant::trusted_token_uri;
mod jwt;
mod secret;
mod token;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use cache::{CachePolicy, Fetch, TokenCache};
pub use credentials::{
    CREDENTIALS_ENV, ClientCredentials, MAX_CREDENTIALS_FILE_BYTES, SERVICE_ACCOUNT_TYPE,
    ServiceAccountCredentials,
};
pub use endpoint::DEFAULT_TOKEN_TIMEOUT;
pub use error::{
    AuthError, AuthErrorKind, PERMANENT_OAUTH_ERRORS, TRANSIENT_OAUTH_ERRORS, is_oauth_error_code,
};
pub use grant::{ClientAuth, ClientCredentialsGrant, PasswordGrant};
pub use secret::{Secret, SecretMap};
pub use token::{AccessToken, FetchedToken};

/// A boxed future, as returned by [`TokenSource::token`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Hands out bearer tokens. Implement it to plug in your own source (a cache shared by many
/// processes, a secrets manager).
pub trait TokenSource: Send + Sync + fmt::Debug + 'static {
    /// A token valid now, from the cache or freshly fetched.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>>;

    /// A token valid now, when one is at hand without waiting or fetching (a warm cache); the
    /// transport asks this first and falls back to [`token`](Self::token). `None` by default.
    fn ready_token(&self) -> Option<AccessToken> {
        None
    }

    /// The API answered 401 (or a 403 that may mean an expired token) to `rejected`: forget it
    /// if it is still the current token.
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

    fn ready_token(&self) -> Option<AccessToken> {
        Some(self.0.clone())
    }
}
