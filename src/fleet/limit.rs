//! A rate-limit bucket shared by the fleet: a GCRA whose one Redis key holds the theoretical
//! arrival time, updated by an atomic script on Redis's own clock, and a pause key a `429`
//! sets for everyone.

use std::time::Duration;

use super::Fleet;

/// Admits one call now (returns 0) or says how many microseconds to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > now then
  return pause - now
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local allowed_at = tat - tolerance
if now < allowed_at then
  return allowed_at - now
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now + tolerance) / 1000) + 1000)
return 0";

/// Pauses the bucket until `now + wait` unless it is paused longer already.
const PAUSE: &str = r"
local t = redis.call('TIME')
local until_us = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_us > current then
  redis.call('SET', KEYS[1], until_us, 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1)
end
return 0";

/// Why the fleet's bucket did not admit a call: the caller then limits locally.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unavailable {
    /// Redis did not answer (its error as the fleet's warnings show it).
    #[error("{}", super::shown(.0))]
    Redis(#[from] redis::RedisError),
    /// The bucket's keys asked for a wait longer than any the fleet sets: a pause is
    /// [`MAX_PAUSE`](crate::limit::MAX_PAUSE) at most, a call's turn an interval. A pause or
    /// a bucket set far ahead (by hand, or by a process that went wrong) would otherwise hold
    /// every call of the fleet for as long as it stays.
    #[error("the fleet's bucket asked for a wait longer than any the fleet sets")]
    HeldTooLong,
}

/// How long to wait when the bucket asks for `wait_us` microseconds; `None` when that is
/// longer than any wait the fleet sets (a minute of clock skew allowed).
fn next_wait(wait_us: u64) -> Option<Duration> {
    let wait = Duration::from_micros(wait_us);
    (wait <= crate::limit::MAX_PAUSE + Duration::from_secs(60)).then_some(wait)
}

/// One bucket in Redis.
#[derive(Clone)]
pub(crate) struct RemoteBucket {
    fleet: Fleet,
    tat_key: String,
    pause_key: String,
    interval_us: u64,
    tolerance_us: u64,
}

impl std::fmt::Debug for RemoteBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteBucket")
            .field("key", &self.tat_key)
            .finish_non_exhaustive()
    }
}

impl RemoteBucket {
    /// The bucket `name` of `fleet`: one call per `interval`, `burst` at once.
    pub(crate) fn new(fleet: Fleet, name: &str, interval: Duration, burst: u32) -> Self {
        let interval_us = u64::try_from(interval.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        Self {
            tat_key: fleet.state_key("limit", name),
            pause_key: fleet.state_key("limit", &format!("{name}:pause")),
            fleet,
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(burst.saturating_sub(1))),
        }
    }

    /// Waits until the fleet-wide bucket admits one call; `Err` when Redis does not answer, or
    /// the bucket asks for a wait longer than any the fleet sets (the caller then limits
    /// locally).
    pub(crate) async fn acquire(&self) -> Result<(), Unavailable> {
        let mut redis = self.fleet.connection();
        let script = redis::Script::new(GCRA);
        loop {
            let wait_us: u64 = script
                .key(&self.tat_key)
                .key(&self.pause_key)
                .arg(self.interval_us)
                .arg(self.tolerance_us)
                .invoke_async(&mut redis)
                .await?;
            if wait_us == 0 {
                return Ok(());
            }
            tokio::time::sleep(next_wait(wait_us).ok_or(Unavailable::HeldTooLong)?).await;
        }
    }

    /// Pauses the bucket for the whole fleet.
    pub(crate) async fn pause(&self, wait: Duration) -> Result<(), redis::RedisError> {
        let mut redis = self.fleet.connection();
        let _: i64 = redis::Script::new(PAUSE)
            .key(&self.pause_key)
            .arg(u64::try_from(wait.as_micros()).unwrap_or(u64::MAX))
            .invoke_async(&mut redis)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::MAX_PAUSE;

    #[test]
    fn a_wait_longer_than_any_the_fleet_sets_is_not_waited() {
        // Found by review: each wait was cut to an hour, but the script was asked again and
        // again, so a pause key set for ever held every call of the fleet for ever. A wait
        // after a legitimate hour's pause is still a wait (found by review of the first fix).
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap();
        assert_eq!(next_wait(u64::MAX), None);
        assert_eq!(next_wait(micros(MAX_PAUSE * 2)), None);
        assert_eq!(next_wait(micros(MAX_PAUSE)), Some(MAX_PAUSE));
        assert_eq!(next_wait(1_000), Some(Duration::from_millis(1)));
    }
}
