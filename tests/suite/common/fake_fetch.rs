//! A scripted [`Fetch`] that counts and times its fetches, for cache tests on a paused clock.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use liveramp::auth::{AccessToken, AuthError, BoxFuture, Fetch, FetchedToken};
use tokio::time::Instant;

/// What the n-th fetch (from 1) answers.
pub type Script = dyn Fn(usize) -> Result<FetchedToken, AuthError> + Send + Sync;

/// The counts a [`FakeFetch`] keeps; tests hold a clone after the cache owns the fetcher.
#[derive(Debug, Default)]
pub struct Counters {
    starts: Mutex<Vec<Instant>>,
    completed: AtomicUsize,
}

impl Counters {
    /// How many fetches started.
    pub fn started(&self) -> usize {
        self.starts.lock().unwrap().len()
    }

    /// When each fetch started.
    pub fn start_times(&self) -> Vec<Instant> {
        self.starts.lock().unwrap().clone()
    }

    /// How many fetches ran to the end.
    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::SeqCst)
    }
}

/// A fetcher that takes `delay` and answers from `script`.
pub struct FakeFetch {
    pub counters: Arc<Counters>,
    delay: Duration,
    script: Box<Script>,
}

impl FakeFetch {
    pub fn new(
        delay: Duration,
        script: impl Fn(usize) -> Result<FetchedToken, AuthError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            counters: Arc::default(),
            delay,
            script: Box::new(script),
        }
    }
}

impl fmt::Debug for FakeFetch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeFetch").finish_non_exhaustive()
    }
}

impl Fetch for FakeFetch {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        Box::pin(async move {
            let n = {
                let mut starts = self.counters.starts.lock().unwrap();
                starts.push(Instant::now());
                starts.len()
            };
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let answer = (self.script)(n);
            self.counters.completed.fetch_add(1, Ordering::SeqCst);
            answer
        })
    }
}

/// An opaque token `value` announced to live `expires_in` seconds.
pub fn opaque(value: &str, expires_in: u64) -> Result<FetchedToken, AuthError> {
    Ok(FetchedToken::new(
        AccessToken::new(value),
        Some(Duration::from_secs(expires_in)),
    ))
}

/// An unsigned JWT whose `exp` lies `exp_in` seconds from now (wall clock).
pub fn jwt_expiring_in(exp_in: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let payload = format!(r#"{{"iat":{now},"exp":{}}}"#, now + exp_in);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload)
    )
}
