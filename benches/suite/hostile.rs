//! What a hostile server costs: the peak resident memory of a call answered with 1 GiB (in a
//! child process of this binary, so the peak is its own), and the time to build an error from
//! a 1 MiB body made to be expensive to redact, against one plain scan of it.

use std::process::Command;
use std::time::Instant;

use crate::server::Server;

/// Set in a child: the server's base URL; the child makes the 1 GiB call.
pub const CHILD_ENV: &str = "LIVERAMP_BENCH_HOSTILE";
/// Repetitions of the error figure.
const REPEAT: usize = 20;

/// Prints both figures.
pub fn run(server: &Server) {
    println!("## hostile answers");
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(exe)
        .env(CHILD_ENV, server.base())
        .output()
        .expect("child runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let peak_kib: f64 = fields.next().and_then(|s| s.parse().ok()).expect("peak");
    let error = fields.collect::<Vec<_>>().join(" ");
    println!(
        "peak resident memory of a call answered with 1 GiB (chunked, no length): {:.1} MiB \
         (goal < 128 MiB); the call failed with: {error}",
        peak_kib / 1024.0
    );

    // 1 MiB of `"eyJ "` inside an error document's message: every word looks like a JWT.
    let message = "eyJ ".repeat(1 << 18);
    let body = serde_json::json!({"httpStatus": 500, "errorCode": "X", "message": message});
    let bytes = serde_json::to_vec(&body).expect("json");
    let status = reqwest::StatusCode::INTERNAL_SERVER_ERROR;
    let scan = time(|| bytes.iter().filter(|b| **b == b' ').count());
    let parse = time(|| {
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        liveramp::error::ApiError::parse(status, &value)
            .message
            .map(|m| m.len())
    });
    let scan_ms = scan * 1000.0;
    let parse_ms = parse * 1000.0;
    println!(
        "error from a 1 MiB hostile body (parse and redact the whole message): {parse_ms:.2} ms \
         (goal < 50 ms), one scan of it {scan_ms:.3} ms: ratio {:.1}x",
        parse / scan
    );
}

/// The median seconds of `REPEAT` runs of `f`.
fn time<T>(mut f: impl FnMut() -> T) -> f64 {
    let mut runs: Vec<f64> = (0..REPEAT)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed().as_secs_f64()
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

/// The child's side: one consent list call answered with 1 GiB; prints "peak_kib error".
pub fn child_main(base: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let error = runtime.block_on(async {
        let consent = liveramp::Config::new()
            .with_consent_url(format!("{base}/huge"))
            .with_service_account_tokens(std::sync::Arc::new(liveramp::auth::StaticToken::new(
                "unused",
            )))
            .consent()
            .expect("consent client");
        match consent.list_consent_files().send().await {
            Ok(_) => "none: the answer was accepted".to_owned(),
            Err(error) => error.to_string(),
        }
    });
    println!("{} {error}", crate::download::peak_kib());
}
