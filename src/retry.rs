//! When to try a request again and how long to wait: the [`RetryPolicy`], full-jitter
//! exponential backoff, `Retry-After` parsing, the shared [`RetryBudget`] and the [`Clock`] the
//! transport waits on (injectable, so tests record delays instead of sleeping).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How the transport retries, times out and waits. Every client has one; see
/// [`crate::transport::TransportBuilder::retry_policy`].
///
/// Start from [`RetryPolicy::default`] or [`RetryPolicy::no_retry`] and change what you need
/// with the `with_*` methods (or by assigning a field): the struct is `#[non_exhaustive]`, so a
/// later release can add a setting without breaking your code.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per call, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry is drawn from `0..=base_delay`, doubling after.
    pub base_delay: Duration,
    /// No backoff is drawn from a range wider than this.
    pub max_delay: Duration,
    /// A server's `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
    /// The whole call (token fetch, attempts, waits) ends by then.
    pub deadline: Duration,
    /// One attempt (send and read the answer) ends by then, or sooner when the deadline is closer
    /// (or when the HTTP client has a shorter timeout of its own).
    pub attempt_timeout: Duration,
    /// A retry starts only if at least this much of the deadline is left after its wait.
    pub min_attempt_time: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms base, 20 s cap, `Retry-After` up to 60 s, a 60 s deadline, 30 s per
    /// attempt, no retry with less than 250 ms left for it.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            deadline: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(30),
            min_attempt_time: Duration::from_millis(250),
        }
    }
}

impl RetryPolicy {
    /// This policy with another `max_attempts`: attempts per call, the first included (1 = never retry).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// This policy with another `base_delay`: the range the backoff before the first retry is drawn from (`0..=base_delay`).
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// This policy with another `max_delay`: the widest range a backoff is drawn from.
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// This policy with another `max_retry_after`: how long a server's `Retry-After` is honoured at most.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// This policy with another `deadline`: the deadline of a whole call (token fetch, attempts, waits).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// This policy with another `attempt_timeout`: the timeout of one attempt (send and read the answer).
    pub fn with_attempt_timeout(mut self, attempt_timeout: Duration) -> Self {
        self.attempt_timeout = attempt_timeout;
        self
    }

    /// This policy with another `min_attempt_time`: how much of the deadline must be left after a wait for a retry to start.
    pub fn with_min_attempt_time(mut self, min_attempt_time: Duration) -> Self {
        self.min_attempt_time = min_attempt_time;
        self
    }

    /// One attempt per call, the default deadline: retrying switched off.
    pub fn no_retry() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first retry): a uniform draw from
    /// `0..=min(max_delay, base_delay * 2^(retry-1))`, raised to the server's `Retry-After`
    /// (capped at `max_retry_after`) when it asked for longer.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(fastrand::u64(0..=ceiling_ms));
        match retry_after {
            Some(asked) => jittered.max(asked.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

/// `at + wait`, thirty years at most: a configured `Duration::MAX` means no limit, not an
/// `Instant` overflow.
pub(crate) fn later(at: tokio::time::Instant, wait: Duration) -> tokio::time::Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 86_400);
    at.checked_add(wait.min(FAR)).unwrap_or(at)
}

/// `d` made up to `fraction` longer, at random (spreads refreshes of many processes).
pub(crate) fn jitter_up(d: Duration, fraction: f64) -> Duration {
    d.mul_f64(1.0 + fraction * fastrand::f64())
}

/// `d` made up to `fraction` shorter, at random (spreads the retries of many callers).
pub(crate) fn jitter_down(d: Duration, fraction: f64) -> Duration {
    d.mul_f64(1.0 - fraction * fastrand::f64())
}

/// Whether an answer with this status is worth trying again (for a request safe to repeat).
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// The wait a `Retry-After` header asks for, in delta-seconds or as an HTTP date (measured
/// from `now`); `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A token bucket shared by every call of a transport: each retry spends tokens; a call that
/// succeeds gives back what its retries spent, or one token when it needed none (as smithy-rs's
/// standard retry strategy does). A long outage therefore stops retries instead of multiplying
/// traffic, while retries that work cost nothing in the long run.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    tokens: Mutex<u32>,
}

impl Default for RetryBudget {
    /// 500 tokens, 5 per retry, 10 per retry after a timeout, 1 back per success.
    fn default() -> Self {
        Self::new(500, 5, 10)
    }
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens; a retry costs `retry_cost`, or `timeout_cost` after a
    /// timeout.
    pub fn new(capacity: u32, retry_cost: u32, timeout_cost: u32) -> Self {
        Self {
            capacity,
            retry_cost,
            timeout_cost,
            tokens: Mutex::new(capacity),
        }
    }

    /// A bucket that never runs out.
    pub fn unlimited() -> Self {
        Self::new(u32::MAX, 0, 0)
    }

    /// Takes the cost of one retry and returns it; `None` (and nothing taken) when the bucket
    /// cannot pay.
    pub fn try_spend(&self, after_timeout: bool) -> Option<u32> {
        let cost = if after_timeout {
            self.timeout_cost
        } else {
            self.retry_cost
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let left = tokens.checked_sub(cost)?;
        *tokens = left;
        Some(cost)
    }

    /// Gives back what a successful call's retries `spent`, or one token when it spent none.
    pub fn refund(&self, spent: u32) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        *tokens = tokens.saturating_add(spent.max(1)).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A boxed sleep, as returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The time source the transport measures deadlines on and waits with.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Now, monotonic.
    fn now(&self) -> tokio::time::Instant;
    /// Now, wall clock (for `Retry-After` dates).
    fn wall(&self) -> SystemTime;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// tokio's clock (which a paused tokio runtime controls).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests (feature `test-util`): `sleep` returns at once, records the wait and moves this clock's `now`
/// forward by it, so retries over real sockets run fast and their delays can be asserted.
#[cfg(any(test, feature = "test-util"))]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
#[derive(Debug, Clone)]
pub struct RecordingClock {
    start: tokio::time::Instant,
    wall_start: SystemTime,
    state: std::sync::Arc<Mutex<Vec<Duration>>>,
}

#[cfg(any(test, feature = "test-util"))]
impl Default for RecordingClock {
    fn default() -> Self {
        Self::starting_at(SystemTime::now())
    }
}

#[cfg(any(test, feature = "test-util"))]
impl RecordingClock {
    /// A clock whose wall time starts at `wall`.
    pub fn starting_at(wall: SystemTime) -> Self {
        Self {
            start: tokio::time::Instant::now(),
            wall_start: wall,
            state: std::sync::Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Every wait asked for so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn slept(&self) -> Duration {
        self.sleeps().iter().sum()
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for RecordingClock {
    fn now(&self) -> tokio::time::Instant {
        self.start + self.start.elapsed() + self.slept()
    }

    fn wall(&self) -> SystemTime {
        self.wall_start + self.start.elapsed() + self.slept()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(duration);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_doubling_up_to_the_cap() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            assert!(policy.backoff(1, None) <= Duration::from_millis(200));
            assert!(policy.backoff(2, None) <= Duration::from_millis(400));
            assert!(policy.backoff(30, None) <= Duration::from_secs(20));
        }
        let draws: Vec<_> = (0..50).map(|_| policy.backoff(8, None)).collect();
        assert!(draws.iter().any(|d| *d != draws[0]), "jittered");
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default();
        let asked = Duration::from_secs(7);
        assert_eq!(policy.backoff(1, Some(asked)), asked);
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "12".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(12)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, date.parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        headers.insert(RETRY_AFTER, past.parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn the_budget_runs_out_and_refills_on_success() {
        let budget = RetryBudget::new(10, 5, 10);
        assert_eq!(budget.try_spend(false), Some(5));
        assert_eq!(budget.try_spend(true), None);
        assert_eq!(budget.try_spend(false), Some(5));
        assert_eq!(budget.try_spend(false), None);
        assert_eq!(budget.available(), 0);
        budget.refund(0);
        assert_eq!(budget.available(), 1);
        budget.refund(5);
        assert_eq!(budget.available(), 6);
        for _ in 0..20 {
            budget.refund(0);
        }
        assert_eq!(budget.available(), 10);
    }
}
