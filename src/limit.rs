//! Client-side rate limits: the APIs' documented limits, enforced before a request leaves, so
//! the server does not have to refuse it.
//!
//! | bucket | default | documented |
//! |---|---|---|
//! | AbiliTec single calls (match, lookup) | 10,000 per minute | records per minute |
//! | AbiliTec batch calls | 360 per minute | batch calls per minute |
//! | token requests | 4 per second | LiveRamp's token endpoint |
//!
//! Each bucket is a GCRA limiter (`governor`) whose burst is one second's worth of its rate,
//! so calls are spread evenly rather than sent in a burst the server may refuse. Every client
//! of one [`Config`](crate::Config) (and its clones) shares the buckets: a `429` answering a
//! call of a limited operation (AbiliTec's), seen by any of them, pauses that bucket for all,
//! for its `Retry-After` (at most the retry policy's `max_retry_after`) or one second without
//! one. Set them with
//! [`Config::with_rate_limits`](crate::Config::with_rate_limits); [`RateLimits::none`] switches
//! them off.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};
use tokio::time::Instant;

/// The longest a bucket is paused, whatever a server's `Retry-After` or the fleet's Redis says.
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(3600);

/// The limits a [`Config`](crate::Config) enforces; `None` leaves a bucket unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimits {
    /// AbiliTec single match and lookup calls per minute (documented: 10,000 records).
    pub abilitec_records_per_minute: Option<NonZeroU32>,
    /// AbiliTec batch calls per minute (documented: 360).
    pub abilitec_batches_per_minute: Option<NonZeroU32>,
    /// Token requests per second, every token endpoint together (documented: 4).
    pub token_requests_per_second: Option<NonZeroU32>,
}

impl Default for RateLimits {
    /// The documented limits.
    fn default() -> Self {
        Self {
            abilitec_records_per_minute: NonZeroU32::new(10_000),
            abilitec_batches_per_minute: NonZeroU32::new(360),
            token_requests_per_second: NonZeroU32::new(4),
        }
    }
}

impl RateLimits {
    /// No client-side limit at all.
    pub fn none() -> Self {
        Self {
            abilitec_records_per_minute: None,
            abilitec_batches_per_minute: None,
            token_requests_per_second: None,
        }
    }

    /// These limits with the AbiliTec ones set (per minute).
    pub fn with_abilitec(
        mut self,
        records: Option<NonZeroU32>,
        batches: Option<NonZeroU32>,
    ) -> Self {
        self.abilitec_records_per_minute = records;
        self.abilitec_batches_per_minute = batches;
        self
    }

    /// These limits with the token one set (per second).
    pub fn with_token_requests(mut self, per_second: Option<NonZeroU32>) -> Self {
        self.token_requests_per_second = per_second;
        self
    }
}

/// One bucket: a GCRA limiter and a pause that a `429` sets for everyone.
#[derive(Debug)]
pub(crate) struct Limiter {
    gcra: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
    /// The fleet's bucket, tried first; this one limits alone while Redis does not answer.
    #[cfg(feature = "redis")]
    remote: Option<crate::fleet::limit::RemoteBucket>,
}

impl Limiter {
    /// `count` per `period`, spread evenly with a burst of one second's worth (at least 1).
    pub fn new(count: NonZeroU32, period: Duration) -> Self {
        let (interval, burst) = pace(count, period);
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(burst);
        Self {
            gcra: governor::RateLimiter::direct(quota),
            paused_until: Mutex::new(None),
            #[cfg(feature = "redis")]
            remote: None,
        }
    }

    /// The same limits, kept in the fleet's bucket `name` as well.
    #[cfg(feature = "redis")]
    fn shared(
        count: NonZeroU32,
        period: Duration,
        fleet: &crate::fleet::Fleet,
        name: &str,
    ) -> Self {
        let (interval, burst) = pace(count, period);
        let mut limiter = Self::new(count, period);
        limiter.remote = Some(crate::fleet::limit::RemoteBucket::new(
            fleet.clone(),
            name,
            interval,
            burst.get(),
        ));
        limiter
    }

    /// Waits until one more call is allowed: out of this process's pause first (the fleet's
    /// may not have it yet: it is sent in the background, and may fail), then for the fleet's
    /// bucket (and out of a pause this process saw meanwhile), or this process's bucket when
    /// Redis does not answer or the fleet's asks for a wait longer than any it sets.
    pub async fn acquire(&self) {
        self.wait_out_pause().await;
        #[cfg(feature = "redis")]
        if let Some(remote) = &self.remote {
            match remote.acquire().await {
                // The slot is taken: a pause this process saw meanwhile is waited out with it.
                Ok(()) => return self.wait_out_pause().await,
                Err(error) => tracing::warn!(
                    target: "liveramp::fleet",
                    error = %error,
                    "the fleet's bucket is unavailable: rate limiting in this process only"
                ),
            }
        }
        self.gcra.until_ready().await;
    }

    /// Waits until this process's pause is over.
    async fn wait_out_pause(&self) {
        loop {
            let pause = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            match pause {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => break,
            }
        }
    }

    /// Pauses the bucket for `wait` (a server's `Retry-After`) for every caller sharing it; an
    /// hour at most.
    pub fn slow_down(&self, wait: Duration) {
        let wait = wait.min(MAX_PAUSE);
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
        #[cfg(feature = "redis")]
        if let (Some(remote), Ok(runtime)) =
            (self.remote.clone(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                if let Err(error) = remote.pause(wait).await {
                    tracing::warn!(
                        target: "liveramp::fleet",
                        error = %crate::fleet::shown(&error),
                        "cannot pause the fleet's bucket"
                    );
                }
            });
        }
    }
}

/// The interval between calls and the burst (one second's worth, at least 1) of `count` per
/// `period`.
fn pace(count: NonZeroU32, period: Duration) -> (Duration, NonZeroU32) {
    let per_second = (u64::from(count.get()) * 1000 / period.as_millis().max(1) as u64).max(1);
    let burst = NonZeroU32::new(
        u32::try_from(per_second)
            .unwrap_or(u32::MAX)
            .min(count.get()),
    )
    .unwrap_or(NonZeroU32::MIN);
    (period / count.get(), burst)
}

/// The buckets of one `Config`, shared by its clients.
#[derive(Debug, Default)]
pub(crate) struct Limiters {
    abilitec_records: Option<Limiter>,
    abilitec_batches: Option<Limiter>,
    tokens: Option<Limiter>,
}

/// The bucket name an operation's `x-rate-limit` gives for AbiliTec single calls.
pub(crate) const ABILITEC_RECORDS: &str = "abilitec-records";
/// The bucket name an operation's `x-rate-limit` gives for AbiliTec batch calls.
pub(crate) const ABILITEC_BATCHES: &str = "abilitec-batches";

impl Limiters {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            abilitec_records: limits
                .abilitec_records_per_minute
                .map(|n| Limiter::new(n, minute)),
            abilitec_batches: limits
                .abilitec_batches_per_minute
                .map(|n| Limiter::new(n, minute)),
            tokens: limits
                .token_requests_per_second
                .map(|n| Limiter::new(n, Duration::from_secs(1))),
        }
    }

    /// The buckets of `limits`, shared by the fleet.
    #[cfg(feature = "redis")]
    pub(crate) fn shared(limits: &RateLimits, fleet: &crate::fleet::Fleet) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            abilitec_records: limits
                .abilitec_records_per_minute
                .map(|n| Limiter::shared(n, minute, fleet, ABILITEC_RECORDS)),
            abilitec_batches: limits
                .abilitec_batches_per_minute
                .map(|n| Limiter::shared(n, minute, fleet, ABILITEC_BATCHES)),
            tokens: limits
                .token_requests_per_second
                .map(|n| Limiter::shared(n, Duration::from_secs(1), fleet, "tokens")),
        }
    }

    /// The bucket an operation's `x-rate-limit` names, if it is limited.
    pub(crate) fn bucket(&self, name: &str) -> Option<&Limiter> {
        match name {
            ABILITEC_RECORDS => self.abilitec_records.as_ref(),
            ABILITEC_BATCHES => self.abilitec_batches.as_ref(),
            _ => None,
        }
    }

    /// The bucket of token requests, if limited.
    pub(crate) fn tokens(&self) -> Option<&Limiter> {
        self.tokens.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bucket_spreads_calls_at_its_rate() {
        let limiter = Limiter::new(NonZeroU32::new(600).unwrap(), Duration::from_secs(60));
        let started = std::time::Instant::now();
        // 10 per second, a burst of 10: 30 calls take about two seconds.
        for _ in 0..30 {
            limiter.acquire().await;
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(1900), "{took:?}");
    }

    #[tokio::test]
    async fn a_slow_down_holds_every_caller() {
        let limiter = Limiter::new(NonZeroU32::new(1000).unwrap(), Duration::from_secs(1));
        limiter.slow_down(Duration::from_millis(300));
        let started = std::time::Instant::now();
        limiter.acquire().await;
        assert!(started.elapsed() >= Duration::from_millis(290));
    }
}
