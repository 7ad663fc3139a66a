//! Token cache figures: fetches for 1,000 cold concurrent callers, fetches during a token
//! endpoint outage with 1,000 callers, and the cost of a warm-cache lookup.
//!
//! `cargo bench -p liveramp-bench --bench suite` runs them with the other figures; `cargo bench -p liveramp-bench --bench tokens`
//! runs them alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::stats::{self, Rounds};

use liveramp::auth::{
    AccessToken, AuthError, BoxFuture, CachePolicy, Fetch, FetchedToken, StaticToken, TokenCache,
    TokenSource,
};

/// A token endpoint that answers after `delay`, with a token or (when `down`) an error.
#[derive(Debug)]
struct Endpoint {
    fetches: Arc<AtomicUsize>,
    delay: Duration,
    down: bool,
}

impl Endpoint {
    fn new(delay: Duration, down: bool) -> (Self, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let endpoint = Self {
            fetches: fetches.clone(),
            delay,
            down,
        };
        (endpoint, fetches)
    }
}

impl Fetch for Endpoint {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        Box::pin(async move {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(self.delay).await;
            if self.down {
                Err(AuthError::new("token endpoint unavailable"))
            } else {
                Ok(FetchedToken::new(
                    AccessToken::new(format!("token-{n}")),
                    Some(Duration::from_secs(600)),
                ))
            }
        })
    }
}

const CALLERS: usize = 1000;

/// Fetches made when `CALLERS` tasks ask a cold cache at once (real clock, 4 worker threads).
fn cold_callers() -> usize {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (endpoint, fetches) = Endpoint::new(Duration::from_millis(50), false);
        let cache = Arc::new(TokenCache::new(endpoint));
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.token().await.is_ok() })
            })
            .collect();
        for caller in callers {
            assert!(caller.await.expect("caller"), "every caller gets a token");
        }
        fetches.load(Ordering::SeqCst)
    })
}

/// Fetches made during a `minutes`-long outage with `CALLERS` callers every 100 ms, on a paused
/// clock (the figure does not depend on machine speed).
fn outage(minutes: u64) -> (usize, usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (endpoint, fetches) = Endpoint::new(Duration::from_millis(200), true);
        let cache = Arc::new(TokenCache::new(endpoint));
        let start = tokio::time::Instant::now();
        let mut calls = 0;
        while start.elapsed() < Duration::from_secs(60 * minutes) {
            let callers: Vec<_> = (0..CALLERS)
                .map(|_| {
                    let cache = cache.clone();
                    tokio::spawn(async move { cache.token().await.is_err() })
                })
                .collect();
            for caller in callers {
                assert!(caller.await.expect("caller"));
                calls += 1;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (fetches.load(Ordering::SeqCst), calls)
    })
}

/// Backoff windows that fit in `minutes` of outage with `fetch_time` per fetch, the fewest
/// (every backoff at its full length, plus the 100 ms callers may take to notice) and the most
/// (every backoff jittered down by half, never under the minimum fetch interval).
fn backoff_windows(policy: &CachePolicy, minutes: u64, fetch_time: Duration) -> (usize, usize) {
    let count = |shortest: bool| {
        let end = Duration::from_secs(60 * minutes);
        let (mut at, mut fetches) = (Duration::ZERO, 0usize);
        while at < end {
            fetches += 1;
            let doublings = (fetches as u32).saturating_sub(1).min(30);
            let full = policy
                .min_backoff
                .saturating_mul(1 << doublings)
                .min(policy.max_backoff);
            let step = if shortest {
                (fetch_time + full / 2).max(policy.min_fetch_interval)
            } else {
                fetch_time + full + Duration::from_millis(100)
            };
            at += step;
        }
        fetches
    };
    (count(false), count(true))
}

/// Nanoseconds per lookup from `source`, `lookups` times on this thread.
async fn lookups(source: &dyn TokenSource, lookups: u32) -> f64 {
    let started = std::time::Instant::now();
    for _ in 0..lookups {
        std::hint::black_box(source.token().await.expect("token"));
    }
    started.elapsed().as_nanos() as f64 / f64::from(lookups)
}

/// Warm-cache lookups against the cheapest source there is (a fixed token, cloned), in
/// interleaved rounds; and nanoseconds per lookup with `threads` threads at once.
fn warm_lookup(threads: usize) -> (Rounds, f64) {
    const LOOKUPS: u32 = 1_000_000;
    const ROUNDS: usize = 10;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (endpoint, _) = Endpoint::new(Duration::ZERO, false);
        let cache = Arc::new(TokenCache::new(endpoint));
        cache.token().await.expect("first token");
        let fixed = StaticToken::new("token-1");
        let per_round = LOOKUPS / ROUNDS as u32;
        let mut rounds = Rounds::default();
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                rounds.baseline.push(lookups(&fixed, per_round).await);
                rounds.measured.push(lookups(&*cache, per_round).await);
            } else {
                rounds.measured.push(lookups(&*cache, per_round).await);
                rounds.baseline.push(lookups(&fixed, per_round).await);
            }
        }
        let started = std::time::Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    for _ in 0..LOOKUPS {
                        std::hint::black_box(cache.token().await.expect("cached"));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.expect("worker");
        }
        let total = f64::from(LOOKUPS) * threads as f64;
        let contended = started.elapsed().as_nanos() as f64 / total;
        (rounds, contended)
    })
}

/// Prints every token figure.
pub fn run() {
    let policy = CachePolicy::default();
    println!("## token cache");
    println!(
        "token fetches for {CALLERS} concurrent cold callers: {} (goal: exactly 1)",
        cold_callers()
    );
    let minutes = 3;
    let (fetches, calls) = outage(minutes);
    let (fewest, most) = backoff_windows(&policy, minutes, Duration::from_millis(200));
    println!(
        "token fetches during a {minutes}-minute outage, {CALLERS} callers every 100 ms \
         ({calls} calls, backoff {:?} doubling to {:?}, jittered down up to half): {fetches}; \
         backoff windows in that time: {fewest} to {most} (goal: one fetch per window)",
        policy.min_backoff, policy.max_backoff
    );
    let threads = 2;
    let (rounds, contended) = warm_lookup(threads);
    println!(
        "warm-cache lookup vs a fixed token: {}; median {:.0} ns vs {:.0} ns (1 thread); \
         {contended:.0} ns per lookup with {threads} threads at once",
        rounds.ratio_summary(),
        stats::median(&rounds.measured),
        stats::median(&rounds.baseline),
    );
}
