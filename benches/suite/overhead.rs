//! Per-call overhead of the typed consent client (cached token source, transport with
//! validation and retries) against a raw reqwest call to the same loopback server decoding the
//! same generated type.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use liveramp::auth::{AccessToken, AuthError, BoxFuture, Fetch, FetchedToken, TokenCache};
use liveramp::consent::types::ConsentFileList;

use crate::server::Server;
use crate::stats::Rounds;

/// Calls per variant over all rounds.
const CALLS: usize = 50_000;
/// Rounds each variant is split into.
const ROUNDS: usize = 100;
/// Calls in flight for the concurrent figure.
pub const IN_FLIGHT: usize = 64;

/// A token endpoint that answers at once; the cache serves it warm after the first call.
#[derive(Debug)]
struct InstantEndpoint;

impl Fetch for InstantEndpoint {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        Box::pin(std::future::ready(Ok(FetchedToken::new(
            AccessToken::new("bench-access-token"),
            Some(Duration::from_secs(3600)),
        ))))
    }
}

/// The two ways of listing consent files.
struct Callers {
    raw: reqwest::Client,
    url: String,
    library: liveramp::consent::Client,
    unvalidated: liveramp::consent::Client,
    limit: NonZeroU32,
}

impl Callers {
    fn new(base: &str) -> Self {
        // The same User-Agent as the library's clients send, so both requests are the same bytes.
        let http =
            || liveramp::http::client_builder().user_agent(liveramp::config::DEFAULT_USER_AGENT);
        let raw = http().build().expect("raw reqwest client");
        let library = liveramp::Config::new()
            .with_consent_url(base)
            .with_service_account_tokens(Arc::new(TokenCache::new(InstantEndpoint)))
            .consent()
            .expect("consent client");
        // The same client and transport with spec validation off, to tell its share.
        let transport = liveramp::transport::Transport::builder()
            .token_source(Arc::new(TokenCache::new(InstantEndpoint)))
            .validate(false)
            .build();
        let unvalidated = liveramp::consent::Client::new_with_client(
            base,
            http().build().expect("unvalidated client"),
            transport,
        );
        Self {
            raw,
            url: format!("{base}/v2/consent-files?limit=10"),
            library,
            unvalidated,
            limit: NonZeroU32::new(10).expect("nonzero"),
        }
    }

    /// The baseline: reqwest, the same bearer header, Accept and User-Agent, and the body decoded
    /// into the same generated type.
    fn raw_call(&self) -> impl Future<Output = usize> + '_ {
        // The same future as a plain `async fn` would be: the identity adds nothing to it.
        self.raw_call_with(std::convert::identity)
    }

    /// The baseline with a per-request timeout as long as the library's per-attempt one (its
    /// default policy's), reqwest's own, for the reference figure: what the layer costs beyond
    /// the timeout every production call has (the library times attempts with its own timer).
    fn raw_timed_out_call(&self) -> impl Future<Output = usize> + '_ {
        let timeout = liveramp::retry::RetryPolicy::default().attempt_timeout;
        self.raw_call_with(move |request| request.timeout(timeout))
    }

    async fn raw_call_with(
        &self,
        adjust: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> usize {
        let request = self
            .raw
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .bearer_auth("bench-access-token");
        let response = adjust(request).send().await.expect("raw call");
        assert!(response.status().is_success());
        let body = response.bytes().await.expect("raw body");
        let page: ConsentFileList = serde_json::from_slice(&body).expect("raw decode");
        page.v2_consent_files.len()
    }

    /// The library: the generated client through the transport.
    async fn library_call(&self) -> usize {
        Self::list(&self.library, self.limit).await
    }

    /// The library with spec validation off.
    async fn unvalidated_call(&self) -> usize {
        Self::list(&self.unvalidated, self.limit).await
    }

    async fn list(client: &liveramp::consent::Client, limit: NonZeroU32) -> usize {
        let page = client
            .list_consent_files()
            .limit(limit)
            .send()
            .await
            .expect("library call");
        page.into_inner().v2_consent_files.len()
    }
}

/// How the calls of a figure run: "sequential", or "64 in flight".
pub fn shape(in_flight: usize) -> String {
    match in_flight {
        1 => "sequential".to_owned(),
        n => format!("{n} in flight"),
    }
}

/// Seconds for `calls` calls of `call`, `in_flight` at a time.
async fn timed<F, Fut>(calls: usize, in_flight: usize, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let started = Instant::now();
    let files: usize = futures::stream::iter((0..calls).map(|_| call()))
        .buffer_unordered(in_flight)
        .fold(0, |sum, n| async move { sum + n })
        .await;
    assert_eq!(files, calls * 10, "every call read the whole page");
    started.elapsed().as_secs_f64()
}

/// The callers' runtime: tokio's multi-thread runtime with one worker.
fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime")
}

/// `calls` calls of `call`, `in_flight` at a time, after a warm-up of the same shape.
async fn warm_then_time<F, Fut>(calls: usize, in_flight: usize, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    timed(8 * in_flight, in_flight, &call).await;
    timed(calls, in_flight, call).await
}

/// Prints the overhead ratios, sequential and `IN_FLIGHT` in flight.
pub fn run(server: &Server) {
    let runtime = client_runtime();
    let callers = Callers::new(&server.base());
    let per_round = CALLS / ROUNDS;
    println!(
        "## per-call overhead: typed consent client + cached token + transport vs raw reqwest \
         ({} byte JSON page, {CALLS} calls per variant in {ROUNDS} interleaved rounds)",
        crate::server::consent_page().len()
    );
    // Warm both connection pools and the token cache.
    runtime.block_on(async {
        timed(IN_FLIGHT * 2, IN_FLIGHT, || callers.raw_call()).await;
        timed(IN_FLIGHT * 2, IN_FLIGHT, || callers.library_call()).await;
    });
    for in_flight in [1, IN_FLIGHT] {
        let rounds = Rounds::run(
            ROUNDS,
            || runtime.block_on(timed(per_round, in_flight, || callers.raw_call())),
            || runtime.block_on(timed(per_round, in_flight, || callers.library_call())),
        );
        let per_call = |v: &[f64]| crate::stats::median(v) / per_round as f64 * 1e6;
        println!(
            "overhead, {}: {} (goal <= 1.05x); median per call: raw {:.1} µs, library {:.1} µs",
            shape(in_flight),
            rounds.ratio_summary(),
            per_call(&rounds.baseline),
            per_call(&rounds.measured),
        );
    }
    // A reference without a goal: the same library call against raw reqwest given the same
    // per-request timeout, which the plain baseline does without.
    for in_flight in [1, IN_FLIGHT] {
        let rounds = Rounds::run(
            ROUNDS,
            || runtime.block_on(timed(per_round, in_flight, || callers.raw_timed_out_call())),
            || runtime.block_on(timed(per_round, in_flight, || callers.library_call())),
        );
        println!(
            "reference, {}: library / raw reqwest with the same per-request timeout: {}",
            shape(in_flight),
            rounds.ratio_summary(),
        );
    }
    let validation = Rounds::run(
        ROUNDS,
        || runtime.block_on(timed(per_round, 1, || callers.unvalidated_call())),
        || runtime.block_on(timed(per_round, 1, || callers.library_call())),
    );
    println!(
        "share of spec validation, sequential: library / library without validation: {}",
        validation.ratio_summary()
    );
    print_sizes(&callers);
}

/// Prints the size of a call's future and of the state every library call boxes.
fn print_sizes(callers: &Callers) {
    println!(
        "size of one call's future: raw {} bytes, library {} bytes (what moving it copies)",
        std::mem::size_of_val(&callers.raw_call()),
        std::mem::size_of_val(&callers.library_call())
    );
    // What every call boxes: past glibc's per-thread cache limit, each box costs about 2,000
    // instructions more (BENCHMARKS.md).
    let limit = liveramp::transport::PER_THREAD_CACHE_BYTES;
    match liveramp::transport::Transport::default().call_state_bytes(&callers.raw) {
        Some(bytes) if bytes <= limit => {
            println!("size of the state a library call boxes: {bytes} bytes (limit {limit})")
        }
        Some(bytes) => println!(
            "size of the state a library call boxes: {bytes} bytes, OVER the allocator's \
             per-thread cache limit of {limit}: every call pays its slow path"
        ),
        None => println!("size of the state a library call boxes: not measured"),
    }
}

/// Runs `calls` calls of one variant (`raw`, `raw-timeout` (the baseline with the library's
/// per-request timeout) or `library`, sequential; `raw@64`, `raw-timeout@64` or `library@64`,
/// that many in flight) to the server at `base` after a warm-up, for a profiler
/// (`valgrind --tool=callgrind`) to count.
pub fn profile(base: &str, variant: &str, calls: usize) {
    let runtime = client_runtime();
    let callers = Callers::new(base);
    print_sizes(&callers);
    let (variant, in_flight) = match variant.split_once('@') {
        Some((variant, n)) => (variant, n.parse().ok().filter(|n| *n > 0)),
        None => (variant, Some(1)),
    };
    let (Some(in_flight), "raw" | "raw-timeout" | "library") = (in_flight, variant) else {
        eprintln!(
            "profile: the variant is raw, raw-timeout or library, alone or with @N (N > 0) calls \
             in flight"
        );
        std::process::exit(2);
    };
    runtime.block_on(async {
        match variant {
            "raw" => warm_then_time(calls, in_flight, || callers.raw_call()).await,
            "raw-timeout" => {
                warm_then_time(calls, in_flight, || callers.raw_timed_out_call()).await
            }
            _ => warm_then_time(calls, in_flight, || callers.library_call()).await,
        }
    });
}
