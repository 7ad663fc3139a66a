//! Fleets on a real `redis-server` (the `redis` feature): token fetches for 8 processes of
//! 1,000 cold callers, fleet-wide AbiliTec records per minute against the sandbox's limit across
//! 4 processes (and its 429s), and what a warm call pays for the feature.

use std::num::NonZeroU32;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use liveramp::auth::ClientCredentials;
use liveramp::fleet::Fleet;
use liveramp::limit::RateLimits;

#[allow(dead_code)]
#[path = "../../tests/suite/common/redis.rs"]
mod redis_server;
#[allow(dead_code)]
#[path = "../../tests/suite/common/server.rs"]
mod server;

/// Set in a child: `tokens` or `matches`, and what it connects to.
pub const CHILD_ENV: &str = "LIVERAMP_BENCH_FLEET";
const REDIS_ENV: &str = "LIVERAMP_BENCH_FLEET_REDIS";
const ABILITEC_ENV: &str = "LIVERAMP_BENCH_FLEET_ABILITEC";
const TOKEN_ENV: &str = "LIVERAMP_BENCH_FLEET_TOKEN";
const PREFIX_ENV: &str = "LIVERAMP_BENCH_FLEET_PREFIX";
const ID_ENV: &str = "LIVERAMP_BENCH_FLEET_ID";
const SECRET_ENV: &str = "LIVERAMP_BENCH_FLEET_SECRET";

/// Single-call records per minute the sandbox allows, and how much faster its minute runs (a
/// ten-second minute: the clients' one-second burst stays well inside the sandbox's allowance).
const RECORDS_PER_MINUTE: u32 = 600;
const SCALE: f64 = 6.0;
/// Matches per process.
const MATCHES: usize = 300;

/// Prints the fleet figures.
pub fn run() {
    println!("## fleet on redis-server");
    let redis = redis_server::RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // A token endpoint that counts its fetches.
        let fetches = Arc::new(AtomicUsize::new(0));
        let counted = fetches.clone();
        let sso = crate::server::TokenServer::start(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .await;
        let env = vec![
            (REDIS_ENV, redis.url()),
            (TOKEN_ENV, format!("{}/token", sso.base())),
            (ABILITEC_ENV, sso.base()),
            (PREFIX_ENV, "bench-tokens".to_owned()),
            (ID_ENV, "bench-client".to_owned()),
            (SECRET_ENV, "bench-secret".to_owned()),
        ];
        children("tokens", 8, &env);
        println!(
            "token fetches for 8 processes x 1,000 cold callers: {} (goal 1)",
            fetches.load(Ordering::SeqCst)
        );

        // The sandbox enforcing the records limit; 4 processes share the fleet's bucket.
        let sandbox = liveramp_sandbox::Sandbox::builder()
            .abilitec_limits(Some(RECORDS_PER_MINUTE), None, SCALE)
            .start()
            .await
            .expect("sandbox");
        let env = vec![
            (REDIS_ENV, redis.url()),
            (TOKEN_ENV, sandbox.abilitec_token_url()),
            (ABILITEC_ENV, sandbox.abilitec_url()),
            (PREFIX_ENV, "bench-limit".to_owned()),
            (ID_ENV, sandbox.abilitec_client_id().to_owned()),
            (SECRET_ENV, sandbox.abilitec_client_secret().to_owned()),
        ];
        let started = Instant::now();
        children("matches", 4, &env);
        let seconds = started.elapsed().as_secs_f64();
        let limit_per_second = f64::from(RECORDS_PER_MINUTE) * SCALE / 60.0;
        // Each process starts with one second's worth; the fleet's bucket holds the rest.
        let steady = (4.0 * MATCHES as f64 - limit_per_second) / seconds;
        println!(
            "fleet-wide records per minute / limit across 4 processes: {:.3} past the first \
             second (goal 0.95-1.0); 429 answers: {} (goal 0); {seconds:.2} s including process start",
            steady / limit_per_second,
            sandbox.rate_limited()
        );

        // What a warm call pays: the token source's answer with and without the fleet.
        let fleet = Fleet::connect(&redis.url(), "bench-warm").await.expect("fleet");
        let base = liveramp::Config::new()
            .with_abilitec_credentials(ClientCredentials::new("bench-client", "bench-secret"))
            .with_abilitec_token_url(format!("{}/token", sso.base()));
        let local = base.clone().abilitec_tokens().expect("tokens");
        let shared = base.with_fleet(fleet).abilitec_tokens().expect("tokens");
        local.token().await.expect("warm");
        shared.token().await.expect("warm");
        let mut ratios = Vec::new();
        for _ in 0..5 {
            let time = |tokens: &Arc<dyn liveramp::auth::TokenSource>| {
                let started = Instant::now();
                for _ in 0..200_000 {
                    std::hint::black_box(tokens.ready_token());
                }
                started.elapsed().as_secs_f64()
            };
            let off = time(&local);
            let on = time(&shared);
            ratios.push(on / off);
        }
        println!(
            "warm call with the fleet on / off: {:.3}x (median of 5 rounds of 200,000; goal 1.00x)",
            crate::stats::median(&ratios)
        );
    });
}

/// Runs `n` children doing `job`, all at once; waits for them.
fn children(job: &str, n: usize, env: &[(&str, String)]) {
    let exe = std::env::current_exe().expect("current exe");
    let spawned: Vec<_> = (0..n)
        .map(|_| {
            Command::new(&exe)
                .env(CHILD_ENV, job)
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .spawn()
                .expect("child")
        })
        .collect();
    for mut child in spawned {
        assert!(
            child.wait().expect("child").success(),
            "a {job} child failed"
        );
    }
}

/// A child's side.
pub fn child_main(job: &str) {
    let var = |name: &str| std::env::var(name).expect("set by the parent");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let fleet = Fleet::connect(&var(REDIS_ENV), var(PREFIX_ENV))
            .await
            .expect("fleet");
        let per_real_minute = (f64::from(RECORDS_PER_MINUTE) * SCALE) as u32;
        let config = liveramp::Config::new()
            .with_abilitec_credentials(ClientCredentials::new(var(ID_ENV), var(SECRET_ENV)))
            .with_abilitec_token_url(var(TOKEN_ENV))
            .with_abilitec_url(var(ABILITEC_ENV))
            .with_rate_limits(
                RateLimits::none().with_abilitec(NonZeroU32::new(per_real_minute), None),
            )
            .with_fleet(fleet);
        match job {
            "tokens" => {
                let tokens = config.abilitec_tokens().expect("tokens");
                let calls = (0..1_000).map(|_| {
                    let tokens = tokens.clone();
                    async move { tokens.token().await }
                });
                for token in futures::future::join_all(calls).await {
                    token.expect("a token");
                }
            }
            _ => {
                let client = config.abilitec().expect("client");
                for i in 0..MATCHES {
                    client
                        .match_people()
                        .email(format!("p{i}@example.com").as_str())
                        .send()
                        .await
                        .expect("a match");
                }
            }
        }
    });
}
