//! Fleets on a real `redis-server`: one token fetch for many processes, the rate limit held
//! across processes, a Redis restart that fails no call, and a consent lease taken over after
//! its worker died. Processes are this test binary run again in a child mode.
#![cfg(feature = "redis")]

use crate::common;
use crate::common::redis_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::raw_tcp::KeepAliveServer;
use liveramp::auth::ClientCredentials;
use liveramp::fleet::Fleet;
use liveramp::limit::RateLimits;
use redis_server::RedisServer;

/// Set in a child process: the Redis URL, the token/API server and the job.
const CHILD_REDIS: &str = "LIVERAMP_FLEET_TEST_REDIS";
const CHILD_SERVER: &str = "LIVERAMP_FLEET_TEST_SERVER";
const CHILD_PREFIX: &str = "LIVERAMP_FLEET_TEST_PREFIX";

/// The Redis URL, server URL and key prefix a parent gave this child process.
fn child_env() -> Option<(String, String, String)> {
    Some((
        std::env::var(CHILD_REDIS).ok()?,
        std::env::var(CHILD_SERVER).ok()?,
        std::env::var(CHILD_PREFIX).ok()?,
    ))
}

/// A token endpoint (`/token`, counting fetches) and an AbiliTec match endpoint (recording when
/// each call arrived).
struct Upstream {
    server: KeepAliveServer,
    token_fetches: Arc<AtomicUsize>,
    matches: Arc<Mutex<Vec<Instant>>>,
}

async fn upstream() -> Upstream {
    let token_fetches = Arc::new(AtomicUsize::new(0));
    let matches = Arc::new(Mutex::new(Vec::new()));
    let (fetches, calls) = (token_fetches.clone(), matches.clone());
    let server = KeepAliveServer::start(Arc::new(move |_, head: &str| {
        if head.starts_with("POST /token") {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            let body = format!(
                r#"{{"access_token":"fleet-token-{n}","token_type":"Bearer","expires_in":3600}}"#
            );
            (200, vec![], body)
        } else {
            calls.lock().unwrap().push(Instant::now());
            (200, vec![], r#"{"person":{}}"#.to_owned())
        }
    }))
    .await;
    Upstream {
        server,
        token_fetches,
        matches,
    }
}

async fn config(
    redis_url: &str,
    server_url: &str,
    prefix: &str,
    limits: RateLimits,
) -> liveramp::Config {
    let fleet = Fleet::connect(redis_url, prefix).await.unwrap();
    liveramp::Config::new()
        .with_abilitec_credentials(ClientCredentials::new("fleet-client", "fleet-secret"))
        .with_abilitec_token_url(format!("{server_url}/token"))
        .with_abilitec_url(server_url)
        .with_rate_limits(limits)
        .with_fleet(fleet)
}

/// Runs this test binary's `test` in `n` child processes with `env`; waits for them all.
fn children(test: &str, n: usize, env: &[(&str, String)]) {
    let exe = std::env::current_exe().unwrap();
    // Test names are module paths without the crate's name: `fleet::name`.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let test = format!("{module}::{test}");
    let spawned: Vec<_> = (0..n)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", &test, "--test-threads=1", "--nocapture"])
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in spawned {
        assert!(
            child.wait().unwrap().success(),
            "a child process of {test} failed"
        );
    }
}

/// 1,000 cold callers of one process asking for a token at once.
async fn thousand_cold_callers(config: &liveramp::Config) {
    let tokens = config.abilitec_tokens().unwrap();
    let calls = (0..1_000).map(|_| {
        let tokens = tokens.clone();
        async move { tokens.token().await }
    });
    for token in futures::future::join_all(calls).await {
        assert!(token.unwrap().expose().starts_with("fleet-token-"));
    }
}

/// In a child: 1,000 cold callers against the parent's servers. Run directly: the same job
/// in two processes' worth of token caches (two `Config`s) sharing one Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_of_a_thousand_cold_callers() {
    if let Some((redis, server, prefix)) = child_env() {
        let config = config(&redis, &server, &prefix, RateLimits::none()).await;
        thousand_cold_callers(&config).await;
        return;
    }
    let redis = RedisServer::start();
    let upstream = upstream().await;
    for _ in 0..2 {
        let config = config(
            &redis.url(),
            &upstream.server.base_url,
            "one",
            RateLimits::none(),
        )
        .await;
        thousand_cold_callers(&config).await;
    }
    assert_eq!(upstream.token_fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_of_a_thousand_cold_callers_fetch_one_token() {
    let redis = RedisServer::start();
    let upstream = upstream().await;
    let env = [
        (CHILD_REDIS, redis.url()),
        (CHILD_SERVER, upstream.server.base_url.clone()),
        (CHILD_PREFIX, "eight".to_owned()),
    ];
    tokio::task::spawn_blocking(move || children("a_process_of_a_thousand_cold_callers", 8, &env))
        .await
        .unwrap();
    assert_eq!(upstream.token_fetches.load(Ordering::SeqCst), 1);
}

/// In a child: 75 AbiliTec matches under a fleet-wide limit of 100 per second. Run directly:
/// the same in this process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_of_limited_matches() {
    let limits = RateLimits::none()
        .with_abilitec(std::num::NonZeroU32::new(6_000), None)
        .with_token_requests(None);
    let run = |config: liveramp::Config| async move {
        let client = config.abilitec().unwrap();
        for i in 0..75 {
            client
                .match_people()
                .email(format!("p{i}@example.com").as_str())
                .send()
                .await
                .unwrap();
        }
    };
    if let Some((redis, server, prefix)) = child_env() {
        run(config(&redis, &server, &prefix, limits).await).await;
        return;
    }
    let redis = RedisServer::start();
    let upstream = upstream().await;
    run(config(&redis.url(), &upstream.server.base_url, "alone", limits).await).await;
    assert_eq!(upstream.matches.lock().unwrap().len(), 75);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_across_four_processes() {
    let redis = RedisServer::start();
    let upstream = upstream().await;
    let env = [
        (CHILD_REDIS, redis.url()),
        (CHILD_SERVER, upstream.server.base_url.clone()),
        (CHILD_PREFIX, "four".to_owned()),
    ];
    tokio::task::spawn_blocking(move || children("a_process_of_limited_matches", 4, &env))
        .await
        .unwrap();
    let mut arrivals = upstream.matches.lock().unwrap().clone();
    arrivals.sort();
    assert_eq!(arrivals.len(), 300);
    // 100 per second with a burst of 100: no second holds more than 200 calls, and 300 calls
    // take at least two seconds (each process alone would send its 75 at once).
    for (i, start) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 205, "{in_window} calls within one second");
    }
    let span = arrivals[arrivals.len() - 1].duration_since(arrivals[0]);
    assert!(span >= Duration::from_millis(1_900), "{span:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_fails_no_call() {
    let mut redis = RedisServer::start();
    let port = redis.port;
    let upstream = upstream().await;
    let url = redis.url();
    let server = upstream.server.base_url.clone();
    let fleet = Fleet::connect(&url, "restart").await.unwrap();
    let fresh = |fleet: &Fleet| {
        liveramp::Config::new()
            .with_abilitec_credentials(ClientCredentials::new("fleet-client", "fleet-secret"))
            .with_abilitec_token_url(format!("{server}/token"))
            .with_abilitec_url(&server)
            .with_fleet(fleet.clone())
    };
    fresh(&fleet)
        .abilitec_tokens()
        .unwrap()
        .token()
        .await
        .unwrap();
    assert_eq!(upstream.token_fetches.load(Ordering::SeqCst), 1);

    redis.stop();
    // Redis is down: a cold process fetches its own token, and calls still go through.
    let config = fresh(&fleet);
    config.abilitec_tokens().unwrap().token().await.unwrap();
    config
        .abilitec()
        .unwrap()
        .match_people()
        .email("during@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(upstream.token_fetches.load(Ordering::SeqCst), 2);

    let _redis = RedisServer::start_on(port);
    // Once the connection is back, one process stores a token and the next cold one reads it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let before = upstream.token_fetches.load(Ordering::SeqCst);
        fresh(&fleet)
            .abilitec_tokens()
            .unwrap()
            .token()
            .await
            .unwrap();
        let after = upstream.token_fetches.load(Ordering::SeqCst);
        if after == before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the fleet never shared a token again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_lease_expires_and_the_file_is_recorded_done_once() {
    use liveramp::consent::{Claim, SyncStore};
    use liveramp::fleet::leases::LeaseStore;
    let redis = RedisServer::start();
    let fleet = Fleet::connect(&redis.url(), "leases").await.unwrap();
    let lease = Duration::from_millis(300);
    let dead = LeaseStore::new(fleet.clone(), lease);
    let alive = LeaseStore::new(fleet.clone(), lease);
    assert_eq!(dead.claim("file-1").await.unwrap(), Claim::Mine);
    // Re-entrant: a sync claims its files again after listing them for fresh URLs.
    assert_eq!(dead.claim("file-1").await.unwrap(), Claim::Mine);
    // The worker dies holding the lease: nobody else may take the file until it expires.
    assert_eq!(alive.claim("file-1").await.unwrap(), Claim::Taken);
    // Found by review: a clone was the same worker, so two syncs given clones both held it.
    assert_eq!(
        dead.another_worker().claim("file-1").await.unwrap(),
        Claim::Taken
    );
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert_eq!(alive.claim("file-1").await.unwrap(), Claim::Mine);
    let record: liveramp::consent::SyncedFile = serde_json::from_value(serde_json::json!({
        "id": "file-1", "file": "file-1.csv", "bytes": 3, "identifierType": "MUID",
        "requestType": "OPT_OUT", "createdAt": "2026-11-01T00:00:00Z",
        "downloadedAt": "2026-11-01T00:00:01Z"
    }))
    .unwrap();
    alive.complete(&record).await.unwrap();
    // The dead worker coming back late does not record it a second time.
    dead.complete(&record).await.unwrap();
    let ids = ["file-2".to_owned(), "file-1".to_owned()];
    assert_eq!(alive.done_among(&ids).await.unwrap(), [false, true]);
    assert_eq!(alive.done_among(&[]).await.unwrap(), Vec::<bool>::new());
    assert_eq!(
        LeaseStore::new(fleet.clone(), lease)
            .claim("file-1")
            .await
            .unwrap(),
        Claim::Done
    );
    let mut connection = connect(&redis).await;
    let done: usize = redis::cmd("SCARD")
        .arg("leases:consent:done")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(done, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_seen_by_one_process_pauses_the_bucket_for_the_fleet() {
    let redis = RedisServer::start();
    let refused = Arc::new(AtomicUsize::new(0));
    let once = refused.clone();
    let server = KeepAliveServer::start(Arc::new(move |_, head: &str| {
        if head.starts_with("POST /token") {
            let body = r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#;
            return (200, vec![], body.to_owned());
        }
        if once.fetch_add(1, Ordering::SeqCst) == 0 {
            let retry = vec![("retry-after".to_owned(), "1".to_owned())];
            return (
                429,
                retry,
                r#"{"error":{"code":"000-0429","message":"slow down"}}"#.to_owned(),
            );
        }
        (200, vec![], r#"{"person":{}}"#.to_owned())
    }))
    .await;
    let limits = || {
        RateLimits::none()
            .with_abilitec(std::num::NonZeroU32::new(1_000_000), None)
            .with_token_requests(None)
    };
    // Two processes' worth: each its own Config, buckets and token cache, one Redis.
    let first = config(&redis.url(), &server.base_url, "pause", limits())
        .await
        .with_retry_policy(liveramp::retry::RetryPolicy::no_retry());
    let second = config(&redis.url(), &server.base_url, "pause", limits()).await;
    let refused_call = first
        .abilitec()
        .unwrap()
        .match_people()
        .email("a@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused_call.status().map(|s| s.as_u16()), Some(429));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    second
        .abilitec()
        .unwrap()
        .match_people()
        .email("b@example.com")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "the other process waited out the Retry-After: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_process_that_saw_a_429_waits_even_before_the_fleet_knows() {
    // Found by review: with Redis answering, a call asked the fleet's bucket only, before the
    // pause this process had just seen reached Redis (it is sent in the background): the
    // next call went at once. One thread, so the pause's command goes after the call's.
    let redis = RedisServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = KeepAliveServer::start(Arc::new(move |_, head: &str| {
        if head.starts_with("POST /token") {
            let body = r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#;
            return (200, vec![], body.to_owned());
        }
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            let retry = vec![("retry-after".to_owned(), "1".to_owned())];
            let body = r#"{"error":{"code":"000-0429","message":"slow down"}}"#;
            return (429, retry, body.to_owned());
        }
        (200, vec![], r#"{"person":{}}"#.to_owned())
    }))
    .await;
    let limits = RateLimits::none()
        .with_abilitec(std::num::NonZeroU32::new(1_000_000), None)
        .with_token_requests(None);
    let abilitec = config(&redis.url(), &server.base_url, "own-pause", limits)
        .await
        .with_retry_policy(liveramp::retry::RetryPolicy::no_retry())
        .abilitec()
        .unwrap();
    let call = |email: &'static str| abilitec.match_people().email(email).send();
    let refused = call("a@example.com").await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(429));
    let started = Instant::now();
    call("b@example.com").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the Retry-After was waited out: {:?}",
        started.elapsed()
    );
}

/// A connection of the test's own to `redis`.
async fn connect(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The key under which the fleet with `prefix` stores its one token.
async fn token_key(connection: &mut redis::aio::MultiplexedConnection, prefix: &str) -> String {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:v1:token:*"))
        .query_async(connection)
        .await
        .unwrap();
    keys.into_iter()
        .find(|k| !k.ends_with(":lock"))
        .expect("a stored token")
}

/// A token endpoint whose every token says it lives `expires_in` seconds.
async fn token_endpoint(expires_in: &'static str) -> (KeepAliveServer, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = fetches.clone();
    let server = KeepAliveServer::start(Arc::new(move |_, _: &str| {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        let body = format!(
            r#"{{"access_token":"fleet-token-{n}","token_type":"Bearer","expires_in":{expires_in}}}"#
        );
        (200, vec![], body)
    }))
    .await;
    (server, fetches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_said_to_live_for_ever_is_shared_for_a_year_at_most() {
    // Found by review: the fleet stored the token with the server's own lifetime, and adding
    // 1e300 seconds to the clock panicked.
    let redis = RedisServer::start();
    let (server, fetches) = token_endpoint("1e300").await;
    for _ in 0..2 {
        let config = config(
            &redis.url(),
            &server.base_url,
            "forever",
            RateLimits::none(),
        )
        .await;
        let token = config.abilitec_tokens().unwrap().token().await.unwrap();
        assert_eq!(token.expose(), "fleet-token-0");
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "the second process read Redis"
    );
    let mut connection = connect(&redis).await;
    let key = token_key(&mut connection, "forever").await;
    assert_expires_within_a_year(&mut connection, &key).await;
}

/// Asserts that `key` expires, within a year.
async fn assert_expires_within_a_year(
    connection: &mut redis::aio::MultiplexedConnection,
    key: &str,
) {
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(key)
        .query_async(connection)
        .await
        .unwrap();
    assert!(
        ttl_ms > 0 && ttl_ms <= 365 * 24 * 3600 * 1000,
        "{key}: {ttl_ms} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_redis_will_not_store_is_used_not_fetched_again() {
    // Found by review: when storing the fetched token failed, the token was thrown away and
    // the process fetched another.
    let redis = RedisServer::start();
    let mut admin = connect(&redis).await;
    // A user that may take the fetch's lock but only read every other key.
    let _: () = redis::cmd("ACL")
        .arg(
            &[
                "SETUSER", "reader", "on", "nopass", "+@all", "~*:lock", "%R~*",
            ][..],
        )
        .query_async(&mut admin)
        .await
        .unwrap();
    let (server, fetches) = token_endpoint("3600").await;
    let url = redis.url().replace("redis://", "redis://reader:any@");
    let config = config(&url, &server.base_url, "unstored", RateLimits::none()).await;
    let token = config.abilitec_tokens().unwrap().token().await.unwrap();
    assert_eq!(token.expose(), "fleet-token-0");
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched once");
    let locks: Vec<String> = redis::cmd("KEYS")
        .arg("unstored:*")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(
        locks.is_empty(),
        "nothing stored, the lock released: {locks:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_pause_set_for_ever_does_not_hold_the_token_fetch() {
    // Found by review: the token request waited for the fleet's token bucket outside any
    // timeout, and every caller of the cache joins the fetch in flight. A pause the fleet may
    // set (half an hour) holds the fetch until its timeout; one longer than any it sets (a key
    // written by hand, or by a process gone wrong) is left for the process's own limit (found by
    // review: it held every call of the fleet for as long as it stayed).
    let redis = RedisServer::start();
    let (server, fetches) = token_endpoint("3600").await;
    let mut connection = connect(&redis).await;
    let now_us = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    };
    for (prefix, until) in [
        ("paused", now_us() + 30 * 60 * 1_000_000),
        ("for-ever", 99_999_999_999_999_999),
    ] {
        let _: () = redis::cmd("SET")
            .arg(format!("{prefix}:v1:limit:tokens:pause"))
            .arg(until.to_string())
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    let paused = config(
        &redis.url(),
        &server.base_url,
        "paused",
        RateLimits::default(),
    )
    .await
    .with_token_timeout(Duration::from_millis(500));
    let fetched = tokio::time::timeout(
        Duration::from_secs(20),
        paused.abilitec_tokens().unwrap().token(),
    )
    .await
    .expect("the fetch ends within its timeout");
    let error = fetched.unwrap_err();
    assert_eq!(
        error.kind(),
        liveramp::auth::AuthErrorKind::Unavailable,
        "{error}"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 0, "the pause was kept");

    let for_ever = config(
        &redis.url(),
        &server.base_url,
        "for-ever",
        RateLimits::default(),
    )
    .await
    .with_token_timeout(Duration::from_secs(10));
    let fetched = tokio::time::timeout(
        Duration::from_secs(20),
        for_ever.abilitec_tokens().unwrap().token(),
    )
    .await
    .expect("the fetch ends within its timeout");
    assert!(fetched.is_ok(), "{fetched:?}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "limited locally");
}

/// Bytes Redis has sent to its clients so far.
async fn redis_output_bytes(redis: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(redis)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("total_net_output_bytes:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("INFO stats has total_net_output_bytes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_token_grown_huge_is_not_read_whole() {
    // Found by review: the stored value was read whole before its size was checked.
    let redis = RedisServer::start();
    let (server, fetches) = token_endpoint("3600").await;
    let redis_url = redis.url();
    // A token as a cold process gets it: through Redis.
    let cold_token = || async {
        config(&redis_url, &server.base_url, "huge", RateLimits::none())
            .await
            .abilitec_tokens()
            .unwrap()
            .token()
            .await
            .unwrap()
    };
    cold_token().await;
    let mut connection = connect(&redis).await;
    let key = token_key(&mut connection, "huge").await;
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("x".repeat(8 * 1024 * 1024))
        .query_async(&mut connection)
        .await
        .unwrap();
    let before = redis_output_bytes(&mut connection).await;
    let token = cold_token().await;
    let sent = redis_output_bytes(&mut connection).await - before;
    assert_eq!(
        token.expose(),
        "fleet-token-1",
        "the value did not open: a new fetch"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    assert!(sent < 1024 * 1024, "Redis sent {sent} bytes");
}

/// A consent API of `files` files, whose files download whole (the first download answers 403,
/// an expired signed URL, when `expire_first`), a Redis, a fleet on it with keys under
/// `prefix`, and a client of the API.
async fn consent_fleet(
    files: usize,
    expire_first: bool,
    prefix: &str,
) -> (
    KeepAliveServer,
    RedisServer,
    Fleet,
    liveramp::consent::Client,
) {
    let server = consent_files(files, expire_first).await;
    let redis = RedisServer::start();
    let fleet = Fleet::connect(&redis.url(), prefix).await.unwrap();
    let client = common::consent_client(&server.base_url);
    (server, redis, fleet, client)
}

/// The consent API of [`consent_fleet`].
async fn consent_files(files: usize, expire_first: bool) -> KeepAliveServer {
    let ids: Vec<String> = (0..files)
        .map(|i| format!("c0442751-d144-493d-a40c-a408588f92{i:02}"))
        .collect();
    let downloads = AtomicUsize::new(0);
    KeepAliveServer::start(Arc::new(move |_, head: &str| {
        if head.starts_with("GET /v2/consent-files") {
            let files: Vec<_> = ids
                .iter()
                .map(|id| {
                    let host = common::raw_tcp::request_host(head);
                    common::consent_file(id, format!("http://{host}/files/{id}.csv"))
                })
                .collect();
            let page =
                serde_json::json!({"v2/ConsentFiles": files, "_pagination": {"after": null}});
            return (200, vec![], page.to_string());
        }
        if expire_first && downloads.fetch_add(1, Ordering::SeqCst) == 0 {
            return (403, vec![], String::new());
        }
        (200, vec![], "0123456789\n".repeat(10))
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_syncing_one_account_share_the_files_and_handle_each_once() {
    // Found by review: a sync claimed every listed file before downloading any, so the first
    // worker held them all (the others skipped every one as taken), and the leases of the
    // files at the end of its queue ran while they waited. Now a file is claimed as its
    // download starts.
    use liveramp::consent::Syncer;
    use liveramp::fleet::leases::LeaseStore;
    const FILES: usize = 8;
    let (_server, _redis, fleet, client) = consent_fleet(FILES, false, "share").await;
    let handled = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let (first_done, first_handled) = tokio::sync::oneshot::channel::<()>();
    let first_done = Mutex::new(Some(first_done));
    let sync = |worker: usize, dir: std::path::PathBuf| {
        let (client, fleet, handled) = (client.clone(), fleet.clone(), handled.clone());
        let first_done = &first_done;
        async move {
            let store = LeaseStore::new(fleet, Duration::from_secs(60));
            Syncer::new(&client, &dir, store)
                .downloads_in_flight(1)
                .run(|file| {
                    handled
                        .lock()
                        .unwrap()
                        .push((worker, file.record.id.clone()));
                    if let Some(done) = first_done.lock().unwrap().take() {
                        let _ = done.send(());
                    }
                    async {
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        Ok::<(), std::io::Error>(())
                    }
                })
                .await
                .unwrap()
        }
    };
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = sync(0, dirs.0.path().to_owned());
    let second = async {
        // The second worker starts once the first is under way.
        first_handled.await.unwrap();
        sync(1, dirs.1.path().to_owned()).await
    };
    let (first, second) = tokio::join!(first, second);
    let handled = handled.lock().unwrap().clone();
    let mut once: Vec<&String> = handled.iter().map(|(_, id)| id).collect();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), FILES, "every file handled: {handled:?}");
    assert_eq!(handled.len(), FILES, "each file handled once: {handled:?}");
    assert!(
        handled.iter().any(|(worker, _)| *worker == 1),
        "the second worker handled none: {handled:?}"
    );
    assert_eq!(
        first.downloaded.len() + second.downloaded.len(),
        FILES,
        "{first:?} {second:?}"
    );
    for report in [&first, &second] {
        let accounted = report.already_synced + report.taken_elsewhere + report.downloaded.len();
        assert_eq!(accounted, FILES, "{report:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_that_lists_again_for_fresh_urls_keeps_its_own_leases() {
    // The first download answers as an expired URL: the sync lists again and claims the files
    // it held again, which a shared store must grant to the worker that holds them.
    use liveramp::consent::Syncer;
    use liveramp::fleet::leases::LeaseStore;
    const FILES: usize = 3;
    let (_server, _redis, fleet, client) = consent_fleet(FILES, true, "again").await;
    let dir = tempfile::tempdir().unwrap();
    let report = Syncer::new(
        &client,
        dir.path(),
        LeaseStore::new(fleet, Duration::from_secs(60)),
    )
    .run(|_| async { Ok::<(), std::io::Error>(()) })
    .await
    .unwrap();
    assert_eq!(report.url_refreshes, 1, "{report:?}");
    assert_eq!(report.downloaded.len(), FILES, "{report:?}");
    assert_eq!(report.taken_elsewhere, 0, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_set_for_ever_claims_for_a_year_at_most() {
    // Found by review: `Duration::MAX` was sent as `u64::MAX` milliseconds, which Redis
    // refuses, so every claim failed.
    use liveramp::consent::store::{Claim, SyncStore};
    let redis = RedisServer::start();
    let fleet = Fleet::connect(&redis.url(), "forever-lease").await.unwrap();
    let store = liveramp::fleet::leases::LeaseStore::new(fleet, Duration::MAX);
    assert_eq!(store.claim("file-1").await.unwrap(), Claim::Mine);
    let mut connection = connect(&redis).await;
    assert_expires_within_a_year(&mut connection, "forever-lease:consent:lease:file-1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_not_shown_by_debug() {
    // Found by review: the fleet's token source kept the token the API rejected (after a 403,
    // likely still valid) as text, which its derived `Debug`, and every client's, printed.
    let redis = RedisServer::start();
    let (server, _) = token_endpoint("3600").await;
    let config = config(&redis.url(), &server.base_url, "debug", RateLimits::none()).await;
    let tokens = config.abilitec_tokens().unwrap();
    tokens.invalidate(&liveramp::auth::AccessToken::new("s3cr3tTOKEN"));
    let client = config.abilitec().unwrap();
    let shown = format!("{tokens:?} {client:?} {config:?}");
    assert!(!shown.contains("s3cr3tTOKEN"), "{shown}");
}
