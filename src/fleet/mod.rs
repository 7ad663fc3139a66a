//! Fleets on Redis (the `redis` feature): many processes sharing one token per credential, one
//! rate limit per bucket and one owner per consent file.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let fleet = liveramp::fleet::Fleet::connect("redis://127.0.0.1:6379", "liveramp-prod").await?;
//! let config = liveramp::Config::from_env()?.with_fleet(fleet);
//! // Every client of `config`, in every process configured the same way, now shares the
//! // token and the rate limits through Redis.
//! # #[cfg(feature = "abilitec")]
//! let abilitec = config.abilitec()?;
//! # Ok(()) }
//! ```
//!
//! - **Tokens** ([`tokens`]): the local single-flight cache stays in front, so a warm call never
//!   reads its token from Redis. A cold process reads the token another stored; if there is
//!   none, one process fetches it under a short lock while the others wait for it. The token is stored encrypted
//!   (ChaCha20-Poly1305, with a key derived by HKDF from the credential's own secret), so reading
//!   Redis alone does not hand it out.
//! - **Rate limits**: each bucket of [`crate::limit`] is a GCRA kept in one Redis
//!   key by an atomic script, so the documented limits hold for the whole fleet; a `429` answering
//!   an AbiliTec call in one process pauses that bucket for all.
//! - **Consent files** ([`leases`]): a [`SyncStore`](crate::consent::SyncStore) whose claims are
//!   leases with expiry, taken as each file's download starts: the workers share the files,
//!   each file is handled by one worker at a time, a crashed worker's lease expires and another
//!   takes the file over, and a file is recorded done once.
//!
//! A Redis outage never fails a call once [`Fleet::connect`] has connected: tokens are then
//! fetched per process and the limits are enforced per process, until Redis answers again.
//! The consent leases are the exception: they are the workers' only agreement on who handles a
//! file, so a sync on a [`LeaseStore`](leases::LeaseStore) stops with
//! [`SyncError::Store`](crate::consent::sync::SyncError::Store) while Redis is down, and the
//! next run takes up the files left.
//! Keys start with the fleet's prefix: give each account (each set of credentials and limits)
//! its own.
//!
//! Keys of state a process can rebuild (a token, a rate limit's) are `prefix:v1:kind:name`; the
//! `v1` ([`KEY_FORMAT`]) changes with any release that stores such state in a way an earlier
//! one would misread, so that during a rolling upgrade across it the two versions keep apart
//! (each with its own token and limits) instead of misreading each other. The consent sync's
//! records (`prefix:consent:done`, `prefix:consent:records`, `prefix:consent:lease:<id>`) are
//! the only account of which files were handled: they keep their names across releases, and a
//! release that changes their format reads the old one.

pub mod leases;
pub(crate) mod limit;
pub mod tokens;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The format of the rebuildable state the crate stores in Redis (tokens, rate limits), the
/// second part of their keys.
pub const KEY_FORMAT: &str = "v1";

/// How long a Redis command may take before the crate falls back to working locally.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// A Redis connection that reconnects, and the prefix of every key the crate writes.
#[derive(Clone)]
pub struct Fleet {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Connects to the Redis at `url` (`redis://host:port/db`), keys starting with `prefix`.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let connection = client.get_connection_manager_with_config(config).await?;
        Ok(Self::new(connection, prefix))
    }

    /// A fleet on a connection you made, keys starting with `prefix`.
    pub fn new(connection: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            connection,
            prefix: prefix.into(),
        }
    }

    /// `prefix:v1:kind:name`: state a process can rebuild, kept apart by format.
    pub(crate) fn state_key(&self, kind: &str, name: &str) -> String {
        format!("{}:{KEY_FORMAT}:{kind}:{name}", self.prefix)
    }

    /// `prefix:kind:name`: a record that must outlive every release.
    pub(crate) fn record_key(&self, kind: &str, name: &str) -> String {
        format!("{}:{kind}:{name}", self.prefix)
    }

    /// A clone of the connection, for one command.
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

/// A random hex token, for lock and lease owners.
pub(crate) fn owner_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// A Redis error as the fleet's warnings log it: on one line and clipped, as a server's text
/// (a reply of the wrong type is quoted whole in the error, whatever its size).
pub(crate) fn shown(error: &redis::RedisError) -> String {
    crate::error::server_text(&error.to_string(), &crate::redact::Redactor::default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_redis_error_is_shown_on_one_bounded_line() {
        // Found by review: a reply of the wrong type is quoted whole in the error, which the
        // warnings logged as it came.
        let reply = format!("[{}]\nINFO forged line", "\"x\", ".repeat(100_000));
        let error = redis::RedisError::from((redis::ErrorKind::Parse, "unexpected reply", reply));
        let shown = super::shown(&error);
        assert!(
            shown.chars().count() <= 201,
            "{} chars",
            shown.chars().count()
        );
        assert!(!shown.contains('\n'));
    }
}
