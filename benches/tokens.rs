//! Token cache figures: fetches for 1,000 cold concurrent callers, fetches during a token
//! endpoint outage with 1,000 callers, and the cost of a warm-cache lookup.
//!
//! Run with `cargo bench --bench tokens`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use liveramp::auth::{
    AccessToken, AuthError, BoxFuture, CachePolicy, Fetch, FetchedToken, TokenCache, TokenSource,
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

/// Nanoseconds per lookup of a cached token, on one thread and on `threads` threads at once.
fn warm_lookup(threads: usize) -> (f64, f64) {
    const LOOKUPS: u32 = 1_000_000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (endpoint, _) = Endpoint::new(Duration::ZERO, false);
        let cache = Arc::new(TokenCache::new(endpoint));
        cache.token().await.expect("first token");
        let single = {
            let started = std::time::Instant::now();
            for _ in 0..LOOKUPS {
                std::hint::black_box(cache.token().await.expect("cached"));
            }
            started.elapsed().as_nanos() as f64 / f64::from(LOOKUPS)
        };
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
        (single, contended)
    })
}

fn main() {
    let policy = CachePolicy::default();
    println!(
        "token fetches for {CALLERS} concurrent cold callers: {}",
        cold_callers()
    );
    let minutes = 3;
    let (fetches, calls) = outage(minutes);
    println!(
        "token fetches during a {minutes}-minute outage, {CALLERS} callers every 100 ms \
         ({calls} calls, backoff {:?} doubling to {:?}): {fetches}",
        policy.min_backoff, policy.max_backoff
    );
    let threads = 2;
    let (single, contended) = warm_lookup(threads);
    println!(
        "warm-cache lookup: {single:.0} ns (1 thread), {contended:.0} ns per lookup ({threads} threads at once)"
    );
}
