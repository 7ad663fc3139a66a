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

    /// Waits until the fleet-wide bucket admits one call; `Err` when Redis does not answer
    /// (the caller then limits locally).
    pub(crate) async fn acquire(&self) -> Result<(), redis::RedisError> {
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
            // Bounded whatever the keys hold: the script is asked again after the wait.
            tokio::time::sleep(Duration::from_micros(wait_us).min(crate::limit::MAX_PAUSE)).await;
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
