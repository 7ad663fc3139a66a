//! The AbiliTec rate limits the sandbox enforces, as documented (10,000 single-call records and
//! 360 batch calls per minute), each a GCRA allowing a full minute's worth at once. A call past
//! the limit gets 429 with `Retry-After` and the AbiliTec error document (code `000-0429`, the
//! gateway's; the code is the sandbox's choice). [`SandboxConfig::time_scale`] shortens the
//! minute so tests and benchmarks run fast: with 60, a minute lasts a second.
//!
//! [`SandboxConfig::time_scale`]: crate::config::SandboxConfig::time_scale

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};

/// The limits one sandbox enforces, and how many calls each refused.
#[derive(Debug)]
pub(crate) struct Limits {
    records: Option<DefaultDirectRateLimiter>,
    batches: Option<DefaultDirectRateLimiter>,
    refused: AtomicU64,
}

impl Limits {
    /// `records` and `batches` per minute, a minute lasting `60 / time_scale` seconds.
    pub(crate) fn new(records: Option<u32>, batches: Option<u32>, time_scale: f64) -> Self {
        let scale = if time_scale.is_finite() && time_scale > 0.0 {
            time_scale
        } else {
            1.0
        };
        let minute = Duration::from_secs_f64(60.0 / scale);
        let limiter = |per_minute: Option<u32>| {
            let n = NonZeroU32::new(per_minute?)?;
            let quota = Quota::with_period(minute / n.get())?.allow_burst(n);
            Some(governor::RateLimiter::direct(quota))
        };
        Self {
            records: limiter(records),
            batches: limiter(batches),
            refused: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when a single call must be refused now.
    pub(crate) fn single(&self) -> Result<(), Duration> {
        self.check(self.records.as_ref())
    }

    /// `Err(wait)` when a batch call must be refused now.
    pub(crate) fn batch(&self) -> Result<(), Duration> {
        self.check(self.batches.as_ref())
    }

    /// How many calls were refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn check(&self, limiter: Option<&DefaultDirectRateLimiter>) -> Result<(), Duration> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check().map_err(|not_until| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            not_until.wait_time_from(DefaultClock::default().now())
        })
    }
}
