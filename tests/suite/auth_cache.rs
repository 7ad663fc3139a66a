//! The token cache's rules, on a paused Tokio clock with a scripted fetcher.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::fake_fetch::{FakeFetch, jwt_expiring_in, opaque};
use liveramp::auth::{AccessToken, AuthError, CachePolicy, FetchedToken, TokenCache, TokenSource};
use tokio::time::Instant;

/// Lets spawned tasks run (the paused clock moves only when every task is idle).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Moves the paused clock to `secs` after `origin`.
async fn at(origin: Instant, secs: f64) {
    tokio::time::sleep_until(origin + Duration::from_secs_f64(secs)).await;
}

#[tokio::test(start_paused = true)]
async fn one_fetch_for_1000_concurrent_first_calls() {
    let fake = FakeFetch::new(Duration::from_secs(1), |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = Arc::new(TokenCache::new(fake));
    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap().expose(), "t1");
    }
    assert_eq!(counters.started(), 1);
    assert_eq!(cache.token().await.unwrap().expose(), "t1");
    assert_eq!(counters.started(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_600_s_token_is_refreshed_60_to_75_s_ahead_while_still_served() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::ZERO, |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    assert_eq!(cache.token().await.unwrap().expose(), "t1");
    at(origin, 524.9).await;
    assert_eq!(cache.token().await.unwrap().expose(), "t1");
    settle().await;
    assert_eq!(counters.started(), 1, "no refresh before 75 s ahead");
    at(origin, 540.1).await;
    // Past the refresh time the old token is served at once while the refresh runs.
    assert_eq!(cache.token().await.unwrap().expose(), "t1");
    settle().await;
    assert_eq!(counters.started(), 2, "refresh by 60 s ahead");
    assert_eq!(cache.token().await.unwrap().expose(), "t2");
}

#[tokio::test(start_paused = true)]
async fn a_ready_token_is_only_one_not_yet_due_for_refresh_and_asking_fetches_nothing() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::ZERO, |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    assert!(cache.ready_token().is_none(), "cold");
    settle().await;
    assert_eq!(counters.started(), 0, "asking a cold cache starts no fetch");
    assert_eq!(cache.token().await.unwrap().expose(), "t1");
    assert_eq!(cache.ready_token().unwrap().expose(), "t1");
    at(origin, 540.1).await;
    // Due for refresh: the caller must go through `token()`, which starts it.
    assert!(cache.ready_token().is_none());
    settle().await;
    assert_eq!(counters.started(), 1);
    assert_eq!(cache.token().await.unwrap().expose(), "t1");
    settle().await;
    assert_eq!(counters.started(), 2);
    assert_eq!(cache.ready_token().unwrap().expose(), "t2");
}

#[tokio::test(start_paused = true)]
async fn short_lifetimes_refresh_a_tenth_ahead() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::ZERO, |n| opaque(&format!("t{n}"), 20));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    cache.token().await.unwrap();
    at(origin, 17.4).await;
    cache.token().await.unwrap();
    settle().await;
    assert_eq!(counters.started(), 1);
    at(origin, 18.1).await;
    cache.token().await.unwrap();
    settle().await;
    assert_eq!(counters.started(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_jwt_exp_wins_when_earlier_than_expires_in() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::ZERO, |_| {
        Ok(FetchedToken::new(
            AccessToken::new(jwt_expiring_in(120)),
            Some(Duration::from_secs(600)),
        ))
    });
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    cache.token().await.unwrap();
    let remaining = cache.remaining().unwrap();
    assert!(
        remaining <= Duration::from_secs(120) && remaining >= Duration::from_secs(118),
        "{remaining:?}"
    );
    at(origin, 100.0).await;
    cache.token().await.unwrap();
    settle().await;
    assert_eq!(counters.started(), 1);
    at(origin, 109.0).await;
    cache.token().await.unwrap();
    settle().await;
    assert_eq!(counters.started(), 2);
}

#[tokio::test(start_paused = true)]
async fn expires_in_wins_when_earlier_than_the_jwt_exp() {
    let fake = FakeFetch::new(Duration::ZERO, |_| {
        Ok(FetchedToken::new(
            AccessToken::new(jwt_expiring_in(3600)),
            Some(Duration::from_secs(300)),
        ))
    });
    let cache = TokenCache::new(fake);
    cache.token().await.unwrap();
    assert_eq!(cache.remaining(), Some(Duration::from_secs(300)));
}

#[tokio::test(start_paused = true)]
async fn already_expired_tokens_cause_at_most_one_fetch_per_second() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::ZERO, |n| opaque(&format!("t{n}"), 0));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    // Each caller gets the token of a fetch; the fetches are spaced, not looped.
    while origin.elapsed() < Duration::from_secs(5) {
        cache.token().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = counters.started();
    assert!((2..=6).contains(&started), "{started} fetches in 5 s");
    let starts = counters.start_times();
    for pair in starts.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_secs(1));
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_keeps_serving_the_valid_token_until_it_expires() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::ZERO, |n| match n {
        1 => opaque("t1", 600),
        _ => Err(AuthError::new("token endpoint down")),
    });
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    cache.token().await.unwrap();
    at(origin, 541.0).await;
    let mut t = 541.0;
    while t < 599.9 {
        assert_eq!(cache.token().await.unwrap().expose(), "t1", "at {t} s");
        settle().await;
        t += 0.5;
        at(origin, t).await;
    }
    let refreshes = counters.started() - 1;
    assert!(refreshes >= 2, "the refresh is retried: {refreshes}");
    assert!(refreshes <= 8, "with backoff: {refreshes}");
    at(origin, 600.5).await;
    let error = cache.token().await.unwrap_err();
    assert_eq!(error.to_string(), "token endpoint down");
}

#[tokio::test(start_paused = true)]
async fn a_failed_fetch_is_shared_and_retried_only_after_the_backoff() {
    let origin = Instant::now();
    let fake = FakeFetch::new(Duration::from_secs(1), |_| {
        Err(AuthError::new("token endpoint down"))
    });
    let counters = fake.counters.clone();
    let cache = Arc::new(TokenCache::new(fake));
    let call_many = |n: usize| {
        let callers: Vec<_> = (0..n)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.token().await })
            })
            .collect();
        async move {
            for caller in callers {
                let error = caller.await.unwrap().unwrap_err();
                assert_eq!(error.to_string(), "token endpoint down");
            }
        }
    };
    call_many(1000).await;
    assert_eq!(counters.started(), 1);
    call_many(1000).await;
    assert_eq!(
        counters.started(),
        1,
        "the failure is served during the backoff"
    );

    // An outage of two minutes, with 1000 callers every second.
    while origin.elapsed() < Duration::from_secs(120) {
        call_many(1000).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let starts = counters.start_times();
    let policy = CachePolicy::default();
    // Fetch k (from 1) failed after 1 s; the next may start only after half its backoff.
    for (k, pair) in starts.windows(2).enumerate() {
        let backoff = policy
            .min_backoff
            .saturating_mul(1 << k.min(20))
            .min(policy.max_backoff);
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_secs(1) + backoff / 2,
            "fetch {}: gap {gap:?}",
            k + 2
        );
        assert!(
            gap <= Duration::from_secs(2) + backoff + Duration::from_millis(100),
            "fetch {}: retried late, gap {gap:?}",
            k + 2
        );
    }
    assert!(starts.len() >= 5, "{} fetches", starts.len());
}

#[tokio::test(start_paused = true)]
async fn invalidate_drops_only_the_rejected_current_token() {
    let fake = FakeFetch::new(Duration::ZERO, |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    let t1 = cache.token().await.unwrap();
    cache.invalidate(&AccessToken::new("some-other-token"));
    assert_eq!(cache.token().await.unwrap(), t1);
    assert_eq!(counters.started(), 1);

    cache.invalidate(&t1);
    let t2 = cache.token().await.unwrap();
    assert_eq!(t2.expose(), "t2");
    assert_eq!(counters.started(), 2);

    // A late 401 for the old token does not drop the new one.
    cache.invalidate(&t1);
    assert_eq!(cache.token().await.unwrap(), t2);
    assert_eq!(counters.started(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_does_not_cancel_the_fetch() {
    let fake = FakeFetch::new(Duration::from_secs(5), |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = Arc::new(TokenCache::new(fake));
    let gave_up = tokio::time::timeout(Duration::from_secs(1), cache.token()).await;
    assert!(gave_up.is_err(), "the caller's own timeout fired");
    // Another caller joins the same fetch.
    let joined = tokio::spawn({
        let cache = cache.clone();
        async move { cache.token().await }
    });
    assert_eq!(joined.await.unwrap().unwrap().expose(), "t1");
    assert_eq!(counters.started(), 1);
    assert_eq!(counters.completed(), 1);

    // With no waiter left at all, the fetch still completes and its token is cached.
    cache.invalidate(&AccessToken::new("t1"));
    let gave_up = tokio::time::timeout(Duration::from_secs(1), cache.token()).await;
    assert!(gave_up.is_err());
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(counters.completed(), 2);
    assert_eq!(cache.token().await.unwrap().expose(), "t2");
    assert_eq!(counters.started(), 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_cache_aborts_its_fetch() {
    let fake = FakeFetch::new(Duration::from_secs(5), |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    let gave_up = tokio::time::timeout(Duration::from_secs(1), cache.token()).await;
    assert!(gave_up.is_err());
    assert_eq!(counters.started(), 1);
    drop(cache);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(counters.completed(), 0, "no task outlives the cache");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_fetcher_gives_an_error_not_a_panic() {
    let fake = FakeFetch::new(Duration::ZERO, |n| {
        if n == 1 {
            panic!("fetcher bug");
        }
        opaque("t2", 600)
    });
    let cache = TokenCache::new(fake);
    let error = cache.token().await.unwrap_err();
    assert!(error.to_string().contains("panicked"), "{error}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(cache.token().await.unwrap().expose(), "t2");
}

#[test]
fn a_fetch_cancelled_with_its_runtime_is_started_again() {
    // Found by review: the fetch of a runtime that shut down left the cache waiting on it, so
    // every later caller, on any runtime, got "the token fetch was cancelled" for good.
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let fake = FakeFetch::new(Duration::from_millis(50), |n| opaque(&format!("t{n}"), 600));
    let counters = fake.counters.clone();
    let cache = TokenCache::new(fake);
    let first = runtime();
    let gave_up = first
        .block_on(async { tokio::time::timeout(Duration::from_millis(5), cache.token()).await });
    assert!(gave_up.is_err(), "the fetch is still running");
    drop(first);
    let token = runtime()
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), cache.token()).await });
    assert_eq!(token.unwrap().unwrap().expose(), "t2");
    assert_eq!(counters.started(), 2);
}
