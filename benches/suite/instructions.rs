//! The per-call overhead counted in instructions rather than seconds: each variant runs in a
//! child process of this binary under `valgrind --tool=callgrind`, once with few calls and once
//! with many, and the difference divided by the extra calls is its cost per call (start-up and
//! warm-up cancel out). The server answers from this process, so only the client's
//! instructions are counted. Instruction counts do not depend on what else
//! the machine is doing, which on a shared machine makes this the steadier of the two figures;
//! they do not see cache misses, system calls or waiting, which the timed figure does.

use std::process::Command;

use crate::server::Server;
use crate::stats::Rounds;

/// Calls in the short and the long run of a variant.
const SHORT: usize = 1_000;
const LONG: usize = 5_000;
/// Rounds of (raw, library), alternating which goes first; the counts of one variant still
/// vary by about 0.5% between runs with the interleaving of its threads.
const ROUNDS: usize = 3;

/// Instructions of one `profile <variant> <calls>` child, as callgrind reports them.
fn instructions(base: &str, variant: &str, calls: usize) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out_file = std::env::temp_dir().join(format!(
        "liveramp-bench-callgrind-{}-{variant}-{calls}",
        std::process::id()
    ));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(exe)
        .args(["profile", variant, &calls.to_string(), base])
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&out_file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|line| line.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
}

/// Instructions per call of `variant`.
fn per_call(base: &str, variant: &str) -> f64 {
    match (
        instructions(base, variant, SHORT),
        instructions(base, variant, LONG),
    ) {
        (Some(short), Some(long)) => (long - short) / (LONG - SHORT) as f64,
        _ => f64::NAN,
    }
}

/// Prints the instruction ratio, or why it was skipped.
pub fn run(server: &Server) {
    println!(
        "## per-call overhead in instructions (callgrind; {LONG} minus {SHORT} calls per variant, \
         sequential and in flight, {ROUNDS} interleaved rounds; the client's process only)"
    );
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        println!("skipped: valgrind is not installed");
        return;
    }
    let base = server.base();
    // The goal's baseline, then the reference one: raw reqwest with the same per-request timeout.
    for (baseline, what) in [
        ("raw", "overhead in instructions"),
        (
            "raw-timeout",
            "reference in instructions, against raw reqwest with the same timeout",
        ),
    ] {
        for in_flight in [1, crate::overhead::IN_FLIGHT] {
            let (raw, library) = match in_flight {
                1 => (baseline.to_owned(), "library".to_owned()),
                n => (format!("{baseline}@{n}"), format!("library@{n}")),
            };
            let rounds = Rounds::run(
                ROUNDS,
                || per_call(&base, &raw),
                || per_call(&base, &library),
            );
            if rounds.ratios().iter().any(|r| !r.is_finite()) {
                println!("skipped: a callgrind run failed");
                return;
            }
            println!(
                "{what}, {}: {}{}; median per call: {baseline} {:.0}, library {:.0} instructions",
                crate::overhead::shape(in_flight),
                rounds.ratio_summary(),
                if baseline == "raw" {
                    " (goal <= 1.03x)"
                } else {
                    ""
                },
                crate::stats::median(&rounds.baseline),
                crate::stats::median(&rounds.measured),
            );
        }
    }
}
