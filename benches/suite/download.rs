//! Consent file download of a 1 GiB body: throughput and peak resident memory of the library's
//! streaming path against raw reqwest streaming. Each download runs in a child process of this
//! binary so each variant's peak (`VmHWM`) is its own.
//!
//! The library path is `consent::Client::download_consent_file` on a client from
//! `Config::consent()`, read chunk by chunk to the end.

use std::process::Command;
use std::time::Instant;

use crate::server::Server;
use crate::stats::Rounds;

/// The body size.
const BYTES: u64 = 1 << 30;
/// Rounds per variant.
const ROUNDS: usize = 6;
/// Set in a child: which variant to run (`raw` or `library`).
pub const CHILD_ENV: &str = "LIVERAMP_BENCH_DOWNLOAD";
/// Set in a child: the server's base URL.
const BASE_ENV: &str = "LIVERAMP_BENCH_BASE";

/// One child's figures.
struct Figures {
    seconds: f64,
    peak_kib: u64,
}

/// Prints the download ratios and peaks.
pub fn run(server: &Server) {
    println!(
        "## consent file download, {} MiB body, {ROUNDS} interleaved rounds, one child process per download",
        BYTES >> 20
    );
    let mut peaks = (Vec::new(), Vec::new());
    let rounds = Rounds::run(
        ROUNDS,
        || {
            let f = child("raw", server);
            peaks.0.push(f.peak_kib);
            f.seconds
        },
        || {
            let f = child("library", server);
            peaks.1.push(f.peak_kib);
            f.seconds
        },
    );
    // Throughput ratio = baseline time / library time.
    let throughput: Vec<f64> = rounds.ratios().iter().map(|r| 1.0 / r).collect();
    let (lo, hi) = crate::stats::spread(&throughput);
    let mib_s = |v: &[f64]| (BYTES >> 20) as f64 / crate::stats::median(v);
    println!(
        "download throughput, library / raw: {:.3}x (rounds {lo:.3}–{hi:.3}, n={ROUNDS}) (goal >= 0.9x); \
         median raw {:.0} MiB/s, library {:.0} MiB/s",
        crate::stats::median(&throughput),
        mib_s(&rounds.baseline),
        mib_s(&rounds.measured),
    );
    let max = |v: &[u64]| v.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
    println!(
        "download peak resident memory (VmHWM, worst round): library {:.1} MiB (goal < 64 MiB), raw {:.1} MiB; ratio {:.3}x",
        max(&peaks.1),
        max(&peaks.0),
        max(&peaks.1) / max(&peaks.0),
    );
}

/// Runs one download of `variant` in a child process of this binary.
fn child(variant: &str, server: &Server) -> Figures {
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(exe)
        .env(CHILD_ENV, variant)
        .env(BASE_ENV, server.base())
        .output()
        .expect("child runs");
    assert!(
        output.status.success(),
        "child {variant} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let seconds = fields.next().and_then(|s| s.parse().ok()).expect("seconds");
    let peak_kib = fields.next().and_then(|s| s.parse().ok()).expect("peak");
    Figures { seconds, peak_kib }
}

/// The child's side: downloads once with `variant`, prints "seconds peak_kib".
pub fn child_main(variant: &str) {
    let base = std::env::var(BASE_ENV).expect("base URL");
    let url = format!("{base}/file?bytes={BYTES}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (seconds, bytes) = runtime.block_on(async {
        match variant {
            "raw" => raw(&url).await,
            _ => library(&base, &url).await,
        }
    });
    assert_eq!(bytes, BYTES, "the whole body arrived");
    println!("{seconds} {}", peak_kib());
}

/// Raw reqwest: a client from `liveramp::http::client_builder()`, `chunk()` until the end.
async fn raw(url: &str) -> (f64, u64) {
    let client = liveramp::http::client_builder().build().expect("client");
    let started = Instant::now();
    let mut response = client.get(url).send().await.expect("send");
    let mut bytes = 0u64;
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        bytes += chunk.len() as u64;
    }
    (started.elapsed().as_secs_f64(), bytes)
}

/// The library's streaming path (see the module docs).
async fn library(base: &str, url: &str) -> (f64, u64) {
    let consent = liveramp::Config::new()
        .with_consent_url(base)
        .with_service_account_tokens(std::sync::Arc::new(liveramp::auth::StaticToken::new(
            "unused",
        )))
        .consent()
        .expect("consent client");
    let file: liveramp::consent::types::ConsentFile = serde_json::from_value(serde_json::json!({
        "id": "c0442751-d144-493d-a40c-a408588f929a",
        "identifierType": "MUID",
        "requestType": "OPT_OUT",
        "dataController": {"liverampControlled": false},
        "fileURL": url,
        "createdAt": "2019-11-26T21:37:19Z",
    }))
    .expect("a consent file");
    let started = Instant::now();
    let mut body = consent
        .download_consent_file(&file)
        .await
        .expect("download starts");
    let mut bytes = 0u64;
    while let Some(chunk) = body.chunk().await.expect("chunk") {
        bytes += chunk.len() as u64;
    }
    (started.elapsed().as_secs_f64(), bytes)
}

/// This process's peak resident set (`VmHWM` in `/proc/self/status`), in KiB.
pub fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
