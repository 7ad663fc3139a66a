//! [`TokenCache`]: the caching, single-flight [`TokenSource`] around any [`Fetch`].
//!
//! Rules:
//! - A token is served until its refresh time, which lies ahead of its expiry (the earlier of
//!   `expires_in` and the JWT `exp`) by [`CachePolicy::refresh_ahead`], scaled down to a tenth
//!   of the lifetime for short-lived tokens and jittered up to a quarter more.
//! - Past its refresh time and before its expiry, the token is still served at once while one
//!   background fetch replaces it; a failed refresh leaves it in place.
//! - Only one fetch runs at a time; every caller without a valid token waits for it and gets its
//!   result. The fetch runs in a task of its own, so a caller that gives up (a timeout, a drop)
//!   does not cancel it for the others; the task is aborted when the cache is dropped.
//! - A failed fetch is shared by its waiters and remembered: until a jittered, exponentially
//!   growing backoff has passed, callers get the same error at once and no fetch starts.
//! - Two fetches start at least [`CachePolicy::min_fetch_interval`] apart, so a server handing
//!   out nearly expired tokens, or a stream of 401s, cannot cause a busy loop.
//! - Time is Tokio's monotonic clock (`tokio::time::pause()` drives it in tests).

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::Shared;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::{AccessToken, AuthError, AuthErrorKind, BoxFuture, FetchedToken, TokenSource};

/// Fetches a new token from its source (a token endpoint, a secrets store, a test double).
pub trait Fetch: Send + Sync + fmt::Debug + 'static {
    /// One fetch attempt, with no retry of its own.
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>>;
}

/// The timing rules of a [`TokenCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CachePolicy {
    /// How long before expiry a refresh starts, for tokens living at least ten times as long
    /// (60 s: 60 s before expiry for 600 s tokens). Shorter lifetimes use a tenth of the
    /// lifetime. Jitter adds up to a quarter more.
    pub refresh_ahead: Duration,
    /// The backoff after the first failed fetch (1 s); it doubles with each further failure.
    pub min_backoff: Duration,
    /// The longest backoff (60 s). A `Retry-After` longer than this is cut to it.
    pub max_backoff: Duration,
    /// The least time between the starts of two fetches (1 s).
    pub min_fetch_interval: Duration,
    /// The lifetime assumed for a token with neither `expires_in` nor a JWT `exp` (300 s).
    pub default_lifetime: Duration,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            refresh_ahead: Duration::from_secs(60),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            min_fetch_interval: Duration::from_secs(1),
            default_lifetime: Duration::from_secs(300),
        }
    }
}

impl CachePolicy {
    /// How long before expiry to refresh a token living `lifetime`, before jitter.
    fn ahead(&self, lifetime: Duration) -> Duration {
        self.refresh_ahead.min(lifetime / 10)
    }

    /// The backoff after `failures` consecutive failures, before jitter.
    fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.min_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// A caching, single-flight [`TokenSource`] over a [`Fetch`].
///
/// ```no_run
/// # fn main() -> Result<(), liveramp::auth::AuthError> {
/// use std::sync::Arc;
/// use liveramp::auth::{PasswordGrant, ServiceAccountCredentials, TokenCache, TokenSource};
///
/// let credentials = ServiceAccountCredentials::from_file("credentials.json")?;
/// let tokens: Arc<dyn TokenSource> = Arc::new(TokenCache::new(PasswordGrant::new(credentials)?));
/// # Ok(()) }
/// ```
pub struct TokenCache<F: Fetch> {
    shared: Arc<Inner<F>>,
}

struct Inner<F> {
    fetcher: F,
    policy: CachePolicy,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    inflight: Option<Inflight>,
    failure: Option<Failure>,
    failures: u32,
    last_fetch_start: Option<Instant>,
}

impl State {
    /// The current token if it is not yet due for refresh at `now`.
    fn fresh(&self, now: Instant) -> Option<AccessToken> {
        self.current
            .as_ref()
            .filter(|c| now < c.refresh_at)
            .map(|c| c.token.clone())
    }
}

struct Current {
    token: AccessToken,
    refresh_at: Instant,
    expires_at: Instant,
}

type SharedResult = Shared<BoxFuture<'static, Result<AccessToken, AuthError>>>;

struct Inflight {
    result: SharedResult,
    abort: AbortHandle,
}

struct Failure {
    error: AuthError,
    retry_at: Instant,
}

enum Lookup {
    Ready(Result<AccessToken, AuthError>),
    Wait(SharedResult),
}

impl<F: Fetch> TokenCache<F> {
    /// A cache over `fetcher` with the default [`CachePolicy`].
    pub fn new(fetcher: F) -> Self {
        Self::with_policy(fetcher, CachePolicy::default())
    }

    /// A cache over `fetcher` with `policy`.
    pub fn with_policy(fetcher: F, policy: CachePolicy) -> Self {
        Self {
            shared: Arc::new(Inner {
                fetcher,
                policy,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// How long the cached token remains valid, if there is one that is.
    pub fn remaining(&self) -> Option<Duration> {
        let now = Instant::now();
        let state = self.shared.lock();
        state
            .current
            .as_ref()
            .filter(|c| now < c.expires_at)
            .map(|c| c.expires_at - now)
    }

    fn lookup(&self) -> Lookup {
        let now = Instant::now();
        let mut state = self.shared.lock();
        if let Some(token) = state.fresh(now) {
            return Lookup::Ready(Ok(token));
        }
        let valid = state
            .current
            .as_ref()
            .filter(|c| now < c.expires_at)
            .map(|c| c.token.clone());
        // A fetch ends by clearing `inflight`: one that ended without doing so was cancelled
        // (its runtime shut down), and is started again rather than waited on for good.
        if state
            .inflight
            .as_ref()
            .is_some_and(|inflight| inflight.abort.is_finished())
        {
            state.inflight = None;
        }
        let pending = if let Some(inflight) = &state.inflight {
            inflight.result.clone()
        } else if let Some(failure) = state.failure.as_ref().filter(|f| now < f.retry_at) {
            return Lookup::Ready(valid.ok_or_else(|| failure.error.clone()));
        } else {
            match Inner::start_fetch(&self.shared, &mut state, now) {
                Ok(pending) => pending,
                Err(error) => return Lookup::Ready(valid.ok_or(error)),
            }
        };
        match valid {
            Some(token) => Lookup::Ready(Ok(token)),
            None => Lookup::Wait(pending),
        }
    }
}

impl<F: Fetch> Inner<F> {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent after every statement, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Spawns the one fetch; its result lands in the state whether or not anyone waits.
    fn start_fetch(
        this: &Arc<Self>,
        state: &mut State,
        now: Instant,
    ) -> Result<SharedResult, AuthError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            AuthError::of(
                AuthErrorKind::Other,
                "fetching a token needs a Tokio runtime",
            )
        })?;
        let start = state
            .last_fetch_start
            .map_or(now, |last| (last + this.policy.min_fetch_interval).max(now));
        state.last_fetch_start = Some(start);
        let inner = Arc::clone(this);
        let task = runtime.spawn(async move {
            if start > Instant::now() {
                tokio::time::sleep_until(start).await;
            }
            let started = Instant::now();
            let outcome = AssertUnwindSafe(inner.fetcher.fetch())
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    Err(AuthError::of(
                        AuthErrorKind::Other,
                        "the token fetcher panicked",
                    ))
                });
            inner.complete(started, outcome)
        });
        let abort = task.abort_handle();
        let result: BoxFuture<'static, Result<AccessToken, AuthError>> =
            Box::pin(task.map(|joined| {
                joined.unwrap_or_else(|_| {
                    Err(AuthError::of(
                        AuthErrorKind::Other,
                        "the token fetch was cancelled",
                    ))
                })
            }));
        let result = result.shared();
        state.inflight = Some(Inflight {
            result: result.clone(),
            abort,
        });
        Ok(result)
    }

    /// Records the outcome of the fetch that started at `started`.
    fn complete(
        &self,
        started: Instant,
        outcome: Result<FetchedToken, AuthError>,
    ) -> Result<AccessToken, AuthError> {
        let now = Instant::now();
        let mut state = self.lock();
        state.inflight = None;
        match outcome {
            Ok(fetched) => {
                let lifetime = fetched
                    .lifetime(SystemTime::now())
                    .unwrap_or(self.policy.default_lifetime)
                    .min(super::token::MAX_LIFETIME);
                let ahead =
                    crate::retry::jitter_up(self.policy.ahead(lifetime), 0.25).min(lifetime);
                let expires_at = started + lifetime;
                state.current = Some(Current {
                    token: fetched.token.clone(),
                    refresh_at: expires_at - ahead,
                    expires_at,
                });
                state.failure = None;
                state.failures = 0;
                Ok(fetched.token)
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let backoff = crate::retry::jitter_down(self.policy.backoff(state.failures), 0.5);
                let asked = error
                    .retry_after()
                    .map_or(Duration::ZERO, |d| d.min(self.policy.max_backoff));
                state.failure = Some(Failure {
                    error: error.clone(),
                    retry_at: crate::retry::later(now, backoff.max(asked)),
                });
                tracing::debug!(error = %error, ?backoff, "token fetch failed");
                Err(error)
            }
        }
    }
}

impl<F: Fetch> TokenSource for TokenCache<F> {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        match self.lookup() {
            Lookup::Ready(result) => Box::pin(std::future::ready(result)),
            Lookup::Wait(pending) => Box::pin(pending),
        }
    }

    fn ready_token(&self) -> Option<AccessToken> {
        self.shared.lock().fresh(Instant::now())
    }

    fn invalidate(&self, rejected: &AccessToken) {
        let mut state = self.shared.lock();
        if state
            .current
            .as_ref()
            .is_some_and(|current| &current.token == rejected)
        {
            state.current = None;
        }
    }
}

impl<F: Fetch> Drop for TokenCache<F> {
    fn drop(&mut self) {
        if let Some(inflight) = self.shared.lock().inflight.take() {
            inflight.abort.abort();
        }
    }
}

impl<F: Fetch> fmt::Debug for TokenCache<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("fetcher", &self.shared.fetcher)
            .field("policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_ahead_scales_with_the_lifetime() {
        let policy = CachePolicy::default();
        assert_eq!(
            policy.ahead(Duration::from_secs(600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            policy.ahead(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            policy.ahead(Duration::from_secs(30)),
            Duration::from_secs(3)
        );
        assert_eq!(policy.ahead(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = CachePolicy::default();
        let secs: Vec<u64> = (1..=8).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_in_its_band() {
        for _ in 0..1000 {
            let up = crate::retry::jitter_up(Duration::from_secs(60), 0.25);
            assert!(up >= Duration::from_secs(60) && up <= Duration::from_secs(75));
            let down = crate::retry::jitter_down(Duration::from_secs(4), 0.5);
            assert!(down >= Duration::from_secs(2) && down <= Duration::from_secs(4));
        }
    }
}
