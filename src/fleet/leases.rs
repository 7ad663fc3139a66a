//! A consent sync store shared by workers: each claim is a lease with expiry (`SET NX PX`), so
//! one worker at a time handles a file and a crashed worker's file is taken over once its lease
//! expires; done files are a Redis set, so a file is recorded done once however many workers
//! finished it.
//!
//! A sync claims each file as its download starts, at most `2 × downloads_in_flight` files
//! ahead of its handler, so the workers share the files. A lease can still expire while its
//! worker has the file (a lease shorter than that many handler runs and downloads): another
//! worker may then handle it too. The handler must be idempotent per file ID in any case (see
//! [`crate::consent::sync`]); choose a lease longer than `2 × downloads_in_flight` of your
//! slowest handler runs, with their downloads. A sync that fails gives its claims back; one
//! whose future is dropped mid-run leaves them (at most that many) until their leases expire.

use std::time::Duration;

use futures::future::BoxFuture;

use super::Fleet;
use crate::consent::store::{Claim, StoreError, SyncStore, SyncedFile};

/// `done` if recorded, `mine` if the lease was taken (or this worker held it: renewed), `taken`
/// if another worker holds it.
const CLAIM: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return 'done'
end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return 'mine'
end
if redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return 'mine'
end
return 'taken'";

/// Records the file done (once) and drops the lease if it is still this worker's.
const COMPLETE: &str = r"
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[2])
end
return 0";

/// Drops the lease if it is still this worker's.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// The default lease: longer than any reasonable handler.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(600);

/// The longest lease: a longer one (`Duration::MAX`) counts as this long, since Redis refuses
/// an expiry past its range.
pub const MAX_LEASE: Duration = Duration::from_secs(365 * 24 * 3600);

/// A [`SyncStore`] shared through Redis by every worker syncing one account. Each store is a
/// worker of its own (not `Clone`: a copy would hold its leases too; see
/// [`another_worker`](Self::another_worker)).
#[derive(Debug)]
pub struct LeaseStore {
    fleet: Fleet,
    worker: String,
    lease: Duration,
}

impl LeaseStore {
    /// A store on `fleet` whose claims last `lease` (at most [`MAX_LEASE`]).
    pub fn new(fleet: Fleet, lease: Duration) -> Self {
        Self {
            fleet,
            worker: super::owner_token(),
            lease: lease.min(MAX_LEASE),
        }
    }

    /// Another worker on the same fleet with the same lease, for another sync: its claims are
    /// its own (a worker holding a lease may claim it again, as a sync does after listing its
    /// files again for fresh URLs, so two syncs must not share one).
    pub fn another_worker(&self) -> Self {
        Self::new(self.fleet.clone(), self.lease)
    }

    fn done_key(&self) -> String {
        self.fleet.record_key("consent", "done")
    }

    fn records_key(&self) -> String {
        self.fleet.record_key("consent", "records")
    }

    fn lease_key(&self, id: &str) -> String {
        self.fleet.record_key("consent:lease", id)
    }
}

fn store_error(error: redis::RedisError) -> StoreError {
    Box::new(error)
}

impl SyncStore for LeaseStore {
    /// One `SMISMEMBER` for all of `ids`.
    fn done_among<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<bool>, StoreError>> {
        Box::pin(async move {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut redis = self.fleet.connection();
            let done: Vec<bool> = redis::cmd("SMISMEMBER")
                .arg(self.done_key())
                .arg(ids)
                .query_async(&mut redis)
                .await
                .map_err(store_error)?;
            if done.len() != ids.len() {
                return Err(
                    format!("SMISMEMBER answered {} of {} IDs", done.len(), ids.len()).into(),
                );
            }
            Ok(done)
        })
    }

    fn claim<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let mut redis = self.fleet.connection();
            let answer: String = redis::Script::new(CLAIM)
                .key(self.done_key())
                .key(self.lease_key(id))
                .arg(id)
                .arg(&self.worker)
                .arg(u64::try_from(self.lease.as_millis()).map_or(1, |ms| ms.max(1)))
                .invoke_async(&mut redis)
                .await
                .map_err(store_error)?;
            Ok(match answer.as_str() {
                "done" => Claim::Done,
                "mine" => Claim::Mine,
                _ => Claim::Taken,
            })
        })
    }

    fn complete<'a>(&'a self, file: &'a SyncedFile) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let record = serde_json::to_string(file).map_err(|e| -> StoreError { Box::new(e) })?;
            let mut redis = self.fleet.connection();
            let _: i64 = redis::Script::new(COMPLETE)
                .key(self.done_key())
                .key(self.lease_key(&file.id))
                .key(self.records_key())
                .arg(&file.id)
                .arg(&self.worker)
                .arg(record)
                .invoke_async(&mut redis)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut redis = self.fleet.connection();
            let _: i64 = redis::Script::new(RELEASE)
                .key(self.lease_key(id))
                .arg(&self.worker)
                .invoke_async(&mut redis)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}
