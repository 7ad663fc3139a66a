//! Access tokens as handed out and as fetched.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::HeaderValue;

/// The longest a token is taken to live, whatever its server says.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// A bearer access token. Its value never appears in `Debug` or `Display`. Cloning it is a
/// reference count: a cache hands out the same token to every call.
#[derive(Clone)]
pub struct AccessToken {
    inner: Arc<Held>,
}

/// The value and its ready-made `Authorization` header.
struct Held {
    value: Box<str>,
    /// `Bearer <value>`, marked sensitive; `None` when the value cannot be a header.
    bearer: Option<HeaderValue>,
}

impl AccessToken {
    /// Wraps a token value.
    pub fn new(value: impl Into<String>) -> Self {
        let value: Box<str> = value.into().into_boxed_str();
        let bearer =
            HeaderValue::from_maybe_shared(Bytes::from([b"Bearer ", value.as_bytes()].concat()))
                .ok()
                .map(|mut header| {
                    header.set_sensitive(true);
                    header
                });
        Self {
            inner: Arc::new(Held { value, bearer }),
        }
    }

    /// The token value, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.inner.value
    }

    /// `Authorization: Bearer <token>` as a sensitive header value, built once per token;
    /// `None` when the token holds characters a header cannot.
    pub(crate) fn bearer_header(&self) -> Option<&HeaderValue> {
        self.inner.bearer.as_ref()
    }

    /// The `exp` claim when the token is a JWT (read without checking the signature).
    pub fn jwt_expiry(&self) -> Option<SystemTime> {
        super::jwt::expiry(&self.inner.value)
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.inner.value == other.inner.value
    }
}

impl Eq for AccessToken {}

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

/// A token as a [`Fetch`](super::Fetch) returns it: the token and the lifetime the server
/// announced (`expires_in`), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedToken {
    /// The access token.
    pub token: AccessToken,
    /// The `expires_in` of the answer. The cache also reads a JWT's `exp`; the earlier wins.
    pub expires_in: Option<Duration>,
}

impl FetchedToken {
    /// A token with the lifetime `expires_in`.
    pub fn new(token: AccessToken, expires_in: Option<Duration>) -> Self {
        Self { token, expires_in }
    }

    /// How long the token lives from `now`: the earlier of `expires_in` and the JWT `exp`, a
    /// year at most whatever the server says; `None` when neither is known.
    pub fn lifetime(&self, now: SystemTime) -> Option<Duration> {
        let from_jwt = super::jwt::remaining(self.token.expose(), now);
        let lifetime = match (self.expires_in, from_jwt) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        lifetime.map(|l| l.min(MAX_LIFETIME))
    }
}
