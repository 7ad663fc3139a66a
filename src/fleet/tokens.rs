//! One token per credential for the whole fleet.
//!
//! [`SharedFetch`] is the fetcher behind a process's [`TokenCache`](crate::auth::TokenCache):
//! the cache answers warm calls locally and calls it only when it needs a token, at most once at
//! a time. It then reads the token Redis holds; if there is none (or only the one the API just
//! rejected), it takes a short lock (`SET NX PX`) and fetches one from the token endpoint,
//! stores it encrypted until shortly before it expires and releases the lock (compare and
//! delete); processes that did not get the lock wait for the token to appear. Any Redis failure
//! falls back to fetching in this process: an outage costs token requests, never a failed call.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::Fleet;
use crate::auth::{AccessToken, AuthError, BoxFuture, Fetch, FetchedToken, TokenSource};

/// How long one process may hold the fetch lock.
const LOCK_TTL: Duration = Duration::from_secs(10);
/// How often a process waiting for another's token looks again.
const WAIT_STEP: Duration = Duration::from_millis(25);
/// A stored token is dropped this long before it expires, so no process reads a dying one.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// A stored value longer than this is not read (a token is a few KiB at most).
const MAX_STORED_BYTES: usize = 64 * 1024;
/// A stored token with less left than this is not taken.
const MIN_LEFT: Duration = Duration::from_secs(5);

/// Releases the lock only if this process still holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Fetches through Redis: see the [module docs](self).
pub struct SharedFetch<F> {
    inner: F,
    fleet: Fleet,
    key: String,
    lock_key: String,
    cipher: LessSafeKey,
    /// The token the API last rejected: never taken from Redis again.
    rejected: Arc<Mutex<Option<AccessToken>>>,
    wait_for: Duration,
}

impl<F> std::fmt::Debug for SharedFetch<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFetch")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl<F: Fetch> SharedFetch<F> {
    /// Shares `inner`'s tokens through `fleet` for the credential named by `identity` (an
    /// account or client ID and its token URL: not secret), encrypted with a key derived from
    /// `secret`. A process waits up to `wait_for` for another's token before fetching its own.
    pub fn new(
        inner: F,
        fleet: Fleet,
        identity: &str,
        secret: &str,
        wait_for: Duration,
    ) -> Result<Self, AuthError> {
        let name = hex(ring::digest::digest(&ring::digest::SHA256, identity.as_bytes()).as_ref());
        let key = fleet.state_key("token", &name[..32]);
        Ok(Self {
            lock_key: format!("{key}:lock"),
            cipher: cipher(secret)?,
            inner,
            fleet,
            key,
            rejected: Arc::default(),
            wait_for,
        })
    }

    /// The handle that tells this fetcher which token the API rejected.
    pub(crate) fn rejections(&self) -> Arc<Mutex<Option<AccessToken>>> {
        Arc::clone(&self.rejected)
    }

    /// The token Redis holds or this process fetched under the lock (the endpoint's own
    /// answer, refusal included); `None` when another process held the lock for too long.
    async fn fetch_shared(
        &self,
    ) -> Result<Option<Result<FetchedToken, AuthError>>, redis::RedisError> {
        let mut redis = self.fleet.connection();
        let owner = super::owner_token();
        let give_up = crate::retry::later(tokio::time::Instant::now(), self.wait_for);
        loop {
            if let Some(token) = self.stored(&mut redis).await? {
                return Ok(Some(Ok(token)));
            }
            let locked: Option<String> = redis::cmd("SET")
                .arg(&self.lock_key)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(LOCK_TTL.as_millis() as u64)
                .query_async(&mut redis)
                .await?;
            if locked.is_some() {
                // Another process may have stored one between the GET and the lock. Whatever
                // happens, the lock is released before returning.
                let result = match self.stored(&mut redis).await {
                    Ok(Some(token)) => Ok(Some(Ok(token))),
                    Ok(None) => Ok(Some(self.fetch_and_store(&mut redis).await)),
                    Err(error) => Err(error),
                };
                let _: Result<i64, _> = redis::Script::new(RELEASE)
                    .key(&self.lock_key)
                    .arg(&owner)
                    .invoke_async(&mut redis)
                    .await;
                return result;
            }
            if tokio::time::Instant::now() >= give_up {
                return Ok(None);
            }
            tokio::time::sleep(WAIT_STEP).await;
        }
    }

    /// The token Redis holds, if it opens: at most one byte more than [`MAX_STORED_BYTES`] of
    /// the value is read, however large the key has grown.
    async fn stored(
        &self,
        redis: &mut redis::aio::ConnectionManager,
    ) -> Result<Option<FetchedToken>, redis::RedisError> {
        let stored: Vec<u8> = redis::cmd("GETRANGE")
            .arg(&self.key)
            .arg(0)
            .arg(MAX_STORED_BYTES)
            .query_async(redis)
            .await?;
        Ok(std::str::from_utf8(&stored)
            .ok()
            .filter(|s| !s.is_empty())
            .and_then(|s| self.open(s)))
    }

    /// Fetches from the token endpoint and stores the token. A token Redis does not store is
    /// still this process's: fetching another would spend the endpoint's limit for nothing.
    async fn fetch_and_store(
        &self,
        redis: &mut redis::aio::ConnectionManager,
    ) -> Result<FetchedToken, AuthError> {
        let fetched = self.inner.fetch().await?;
        let now = SystemTime::now();
        let lifetime = fetched.lifetime(now);
        if let Some(lifetime) = lifetime.filter(|l| *l > EXPIRY_MARGIN + MIN_LEFT) {
            let keep = lifetime - EXPIRY_MARGIN;
            let sealed = self.seal(fetched.token.expose(), now + lifetime);
            let stored: Result<(), _> = redis::cmd("SET")
                .arg(&self.key)
                .arg(sealed)
                .arg("PX")
                .arg(keep.as_millis() as u64)
                .query_async(redis)
                .await;
            if let Err(error) = stored {
                tracing::warn!(
                    target: "liveramp::fleet",
                    error = %super::shown(&error),
                    "Redis did not store the token: the other processes fetch their own"
                );
            }
        }
        Ok(fetched)
    }

    /// `expiry-ms.base64(nonce || ciphertext)`, the key name bound in as associated data.
    fn seal(&self, token: &str, expires: SystemTime) -> String {
        let expires_ms = expires
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let mut nonce = [0u8; 12];
        if SystemRandom::new().fill(&mut nonce).is_err() {
            return String::new();
        }
        let mut sealed = token.as_bytes().to_vec();
        let aad = format!("{}|{expires_ms}", self.key);
        if self
            .cipher
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut sealed,
            )
            .is_err()
        {
            return String::new();
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{expires_ms}.{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        )
    }

    /// The token of a stored value, unless it cannot be opened, is nearly expired or is the
    /// one the API rejected.
    fn open(&self, stored: &str) -> Option<FetchedToken> {
        if stored.len() > MAX_STORED_BYTES {
            return None;
        }
        let (expires_ms, sealed) = stored.split_once('.')?;
        let expires = UNIX_EPOCH.checked_add(Duration::from_millis(expires_ms.parse().ok()?))?;
        let left = expires.duration_since(SystemTime::now()).ok()?;
        if left < MIN_LEFT {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(sealed)
            .ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let aad = format!("{}|{expires_ms}", self.key);
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .cipher
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buffer)
            .ok()?;
        let token = String::from_utf8(plain.to_vec()).ok()?;
        let rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        if rejected.as_ref().map(AccessToken::expose) == Some(token.as_str()) {
            return None;
        }
        Some(FetchedToken::new(AccessToken::new(token), Some(left)))
    }
}

impl<F: Fetch> Fetch for SharedFetch<F> {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        Box::pin(async move {
            match self.fetch_shared().await {
                Ok(Some(answer)) => answer,
                // Waited out another process: fetch here rather than fail.
                Ok(None) => self.inner.fetch().await,
                Err(error) => {
                    tracing::warn!(
                        target: "liveramp::fleet",
                        error = %super::shown(&error),
                        "Redis is unavailable: fetching the token in this process"
                    );
                    self.inner.fetch().await
                }
            }
        })
    }
}

/// A process's token source over a [`SharedFetch`]: the local cache in front, and the API's
/// rejection of a token passed on so that Redis's copy is not taken again.
#[derive(Debug)]
pub struct SharedTokens<F: Fetch> {
    cache: crate::auth::TokenCache<SharedFetch<F>>,
    /// As an `AccessToken`, whose `Debug` shows no token.
    rejected: Arc<Mutex<Option<AccessToken>>>,
}

impl<F: Fetch> SharedTokens<F> {
    /// `fetch` behind a local cache with `policy`.
    pub fn new(fetch: SharedFetch<F>, policy: crate::auth::CachePolicy) -> Self {
        let rejected = fetch.rejections();
        Self {
            cache: crate::auth::TokenCache::with_policy(fetch, policy),
            rejected,
        }
    }
}

impl<F: Fetch> TokenSource for SharedTokens<F> {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        self.cache.token()
    }

    fn ready_token(&self) -> Option<AccessToken> {
        self.cache.ready_token()
    }

    fn invalidate(&self, rejected: &AccessToken) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) = Some(rejected.clone());
        self.cache.invalidate(rejected);
    }
}

/// ChaCha20-Poly1305 with a key derived from `secret` by HKDF-SHA256.
fn cipher(secret: &str) -> Result<LessSafeKey, AuthError> {
    let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"liveramp fleet token store v1");
    let mut key = [0u8; 32];
    salt.extract(secret.as_bytes())
        .expand(&[b"token"], &CHACHA20_POLY1305)
        .and_then(|okm| okm.fill(&mut key))
        .map_err(|_| AuthError::new("cannot derive the token store's key"))?;
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, &key)
        .map_err(|_| AuthError::new("cannot derive the token store's key"))?;
    Ok(LessSafeKey::new(unbound))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
