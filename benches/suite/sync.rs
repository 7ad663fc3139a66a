//! Consent sync of 1,000 files of 1 MiB: throughput and peak resident memory of
//! `consent::Syncer` (a no-op handler, its default downloads in flight, and one at a time)
//! against raw reqwest downloading the same URLs one after another into files. Every variant
//! runs in a child process of this binary, in interleaved rounds, each in a fresh directory.
//!
//! Raw reqwest is measured twice: fsyncing each file (the durability the sync gives a body) and
//! not. The sync also fsyncs the directory after each rename and rewrites its manifest (fsynced)
//! after each file.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::server::{SYNC_FILE_BYTES, SYNC_FILES, Server};

/// Rounds per variant.
const ROUNDS: usize = 3;
/// Set in a child: which variant to run.
pub const CHILD_ENV: &str = "LIVERAMP_BENCH_SYNC";
/// Set in a child: the server's base URL and the directory to fill.
const BASE_ENV: &str = "LIVERAMP_BENCH_SYNC_BASE";
const DIR_ENV: &str = "LIVERAMP_BENCH_SYNC_DIR";

/// The variants, the baseline first.
const VARIANTS: [&str; 4] = ["raw-fsync", "raw", "library", "library-1"];

/// Prints the sync ratios and peaks.
pub fn run(server: &Server) {
    println!(
        "## consent sync, {SYNC_FILES} files of {} MiB, {ROUNDS} interleaved rounds, one child process per sync",
        SYNC_FILE_BYTES >> 20
    );
    let mut seconds: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    let mut peaks: Vec<u64> = vec![0; VARIANTS.len()];
    for round in 0..ROUNDS {
        // Rotate which variant goes first, so drift in machine load falls on each.
        for k in 0..VARIANTS.len() {
            let i = (k + round) % VARIANTS.len();
            let (secs, peak) = child(VARIANTS[i], server);
            seconds[i].push(secs);
            peaks[i] = peaks[i].max(peak);
        }
    }
    let mib = (SYNC_FILES as u64 * SYNC_FILE_BYTES) as f64 / f64::from(1 << 20);
    let median = |i: usize| crate::stats::median(&seconds[i]);
    for (i, variant) in VARIANTS.iter().enumerate() {
        println!(
            "  {variant:<10} median {:.2} s ({:.0} MiB/s), rounds {:?}, peak RSS {:.1} MiB",
            median(i),
            mib / median(i),
            seconds[i]
                .iter()
                .map(|s| (s * 100.0).round() / 100.0)
                .collect::<Vec<_>>(),
            peaks[i] as f64 / 1024.0
        );
    }
    // Throughput ratio = baseline time / variant time, per round, then the median.
    let ratio = |of: usize, to: usize| {
        let per_round: Vec<f64> = seconds[to]
            .iter()
            .zip(&seconds[of])
            .map(|(b, m)| b / m)
            .collect();
        let (lo, hi) = crate::stats::spread(&per_round);
        format!(
            "{:.3}x (rounds {lo:.3}–{hi:.3})",
            crate::stats::median(&per_round)
        )
    };
    println!(
        "sync throughput, library / raw reqwest one after another with fsync: {} (goal >= 0.9x)",
        ratio(2, 0)
    );
    println!(
        "sync throughput, library / raw reqwest one after another without fsync: {}",
        ratio(2, 1)
    );
    println!(
        "sync throughput, library one at a time / raw with fsync: {}",
        ratio(3, 0)
    );
    println!(
        "sync peak resident memory (VmHWM, worst round): library {:.1} MiB (goal < 64 MiB), raw {:.1} MiB",
        peaks[2] as f64 / 1024.0,
        peaks[0] as f64 / 1024.0
    );
}

/// Runs one sync of `variant` in a child process in a fresh directory: (seconds, peak KiB).
fn child(variant: &str, server: &Server) -> (f64, u64) {
    let dir = tempfile::tempdir().expect("a directory");
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(exe)
        .env(CHILD_ENV, variant)
        .env(BASE_ENV, server.base())
        .env(DIR_ENV, dir.path())
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
    let peak = fields.next().and_then(|s| s.parse().ok()).expect("peak");
    (seconds, peak)
}

/// The child's side: one sync with `variant`, prints "seconds peak_kib".
pub fn child_main(variant: &str) {
    let base = std::env::var(BASE_ENV).expect("base URL");
    let dir = std::path::PathBuf::from(std::env::var(DIR_ENV).expect("directory"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let seconds = runtime.block_on(async {
        match variant {
            "raw-fsync" => raw(&base, &dir, true).await,
            "raw" => raw(&base, &dir, false).await,
            "library-1" => library(&base, &dir, 1).await,
            _ => {
                library(
                    &base,
                    &dir,
                    liveramp::consent::sync::DEFAULT_DOWNLOADS_IN_FLIGHT,
                )
                .await
            }
        }
    });
    println!("{seconds} {}", crate::download::peak_kib());
}

/// Raw reqwest, one file after another, each body written to a file as it arrives.
async fn raw(base: &str, dir: &Path, fsync: bool) -> f64 {
    use tokio::io::AsyncWriteExt;
    let client = liveramp::http::client_builder().build().expect("client");
    let started = Instant::now();
    for i in 0..SYNC_FILES {
        let url = format!("{base}/file?bytes={SYNC_FILE_BYTES}&n={i}");
        let mut response = client.get(url).send().await.expect("send");
        let mut out = tokio::fs::File::create(dir.join(format!("{i}.csv")))
            .await
            .expect("create");
        let mut bytes = 0u64;
        while let Some(chunk) = response.chunk().await.expect("chunk") {
            out.write_all(&chunk).await.expect("write");
            bytes += chunk.len() as u64;
        }
        out.flush().await.expect("flush");
        if fsync {
            out.sync_all().await.expect("fsync");
        }
        assert_eq!(bytes, SYNC_FILE_BYTES);
    }
    started.elapsed().as_secs_f64()
}

/// `consent::Syncer` into `dir` with `in_flight` downloads at once and a no-op handler.
async fn library(base: &str, dir: &Path, in_flight: usize) -> f64 {
    let consent = liveramp::Config::new()
        .with_consent_url(format!("{base}/sync"))
        .with_service_account_tokens(std::sync::Arc::new(liveramp::auth::StaticToken::new(
            "unused",
        )))
        .consent()
        .expect("consent client");
    let started = Instant::now();
    let report =
        liveramp::consent::Syncer::new(&consent, dir, liveramp::consent::DirStore::new(dir))
            .downloads_in_flight(in_flight)
            .run(|_| std::future::ready(Ok::<(), std::convert::Infallible>(())))
            .await
            .expect("the sync");
    assert_eq!(report.downloaded.len(), SYNC_FILES);
    started.elapsed().as_secs_f64()
}
