//! The sandbox's clock: the wall clock plus an offset tests move forward, so that token,
//! signed-URL and OAuth-pull expiry can be tested without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The furthest [`Clock::advance`] moves the clock ahead, however far it is asked to: a century.
const MAX_OFFSET_MS: i64 = 100 * 365 * 86_400_000;

/// A clock shared by every handler of one sandbox; [`Clock::advance`] moves it forward.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        let offset = chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst));
        now.checked_add_signed(offset).unwrap_or(now)
    }

    /// The sandbox's current time in whole seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Moves the clock forward by `by`, a century ahead of the wall clock at most: tokens,
    /// signed URLs and OAuth pulls expire as if that much time had passed.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(ms).min(MAX_OFFSET_MS))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_as_far_as_asked_never_overflows_or_goes_back() {
        // Found by review: a huge `advanceSeconds` overflowed the date (a panic in every
        // handler), and offsets added up past `i64::MAX` wrapped the clock backwards.
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(u64::MAX));
        clock.advance(Duration::from_secs(u64::MAX));
        let after = clock.now();
        assert!(after > before + chrono::Duration::days(365 * 99), "{after}");
        assert!(
            after < before + chrono::Duration::days(365 * 101),
            "{after}"
        );
    }
}
