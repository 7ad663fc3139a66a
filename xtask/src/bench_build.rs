//! `cargo xtask bench-build`: build-time figures of the library.
//!
//! - A clean build of the `liveramp` crate (its build script, which generates the clients, and
//!   the library) with one API feature (`consent`) against every API feature (the default set),
//!   in interleaved rounds in a target directory of their own (`target/bench-build`), the
//!   shared dependencies built once beforehand. CPU time (user + sys of the cargo processes and
//!   everything they waited for, from `/proc/self/stat`) and wall time are both reported; CPU
//!   time is the steadier figure on a busy machine.
//! - A no-op rebuild does not run the build script again (`cargo build -v` must not print a
//!   `build-script-build` run nor compile `liveramp`).
//! - A downstream crate's clean build, every dependency included, in a fresh target directory
//!   each round: a small program on `liveramp` with one API (`consent`, `rustls-ring`) against
//!   the same program's shape on `reqwest` + `serde` + `tokio` with the same TLS (reqwest
//!   without a provider, rustls with ring). Both start from the workspace's `Cargo.lock`, so
//!   they build the same versions.

use std::process::Command;
use std::time::Instant;

/// The target directory of these builds, under the workspace's `target/`.
const TARGET_DIR: &str = "target/bench-build";
/// Rounds per variant.
const ROUNDS: usize = 3;
/// Clock ticks per second of `/proc/self/stat` times (`getconf CLK_TCK` on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// One build configuration.
struct Variant {
    name: &'static str,
    features: &'static [&'static str],
}

const ONE_API: Variant = Variant {
    name: "one API (consent)",
    features: &["--no-default-features", "--features", "consent,rustls-ring"],
};
const ALL_APIS: Variant = Variant {
    name: "every API (default features)",
    features: &[],
};

/// CPU and wall seconds of one build.
#[derive(Clone, Copy)]
struct Timing {
    cpu: f64,
    wall: f64,
}

/// Runs every benchmark: the runtime suite (`cargo bench -p liveramp-bench --bench suite`), then [`run`].
pub fn run_all() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["bench", "-p", "liveramp-bench", "--bench", "suite"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo bench --bench suite failed".into());
    }
    run()
}

/// Runs the build benchmark and prints its figures.
pub fn run() -> Result<(), String> {
    println!("bench-build: warming the shared dependencies in {TARGET_DIR}");
    for variant in [&ONE_API, &ALL_APIS] {
        build(variant, false)?;
    }
    let (mut one, mut all) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 {
            [&ONE_API, &ALL_APIS]
        } else {
            [&ALL_APIS, &ONE_API]
        };
        for variant in order {
            cargo(&["clean", "-p", "liveramp", "--target-dir", TARGET_DIR])?;
            let timing = timed(|| build(variant, false))?;
            println!(
                "bench-build: round {} {}: {:.1} s CPU, {:.1} s wall",
                round + 1,
                variant.name,
                timing.cpu,
                timing.wall
            );
            if variant.name == ONE_API.name {
                one.push(timing);
            } else {
                all.push(timing);
            }
        }
    }
    let ratio = |pick: fn(&Timing) -> f64| -> Vec<f64> {
        one.iter()
            .zip(&all)
            .map(|(o, a)| pick(o) / pick(a))
            .collect()
    };
    let cpu = ratio(|t| t.cpu);
    let wall = ratio(|t| t.wall);
    println!(
        "clean build of the liveramp crate, one API / every API: CPU {} (goal <= 0.5x); wall {}",
        summary(&cpu),
        summary(&wall)
    );
    println!(
        "median CPU: one API {:.1} s, every API {:.1} s; median wall: {:.1} s, {:.1} s",
        median(one.iter().map(|t| t.cpu).collect()),
        median(all.iter().map(|t| t.cpu).collect()),
        median(one.iter().map(|t| t.wall).collect()),
        median(all.iter().map(|t| t.wall).collect()),
    );
    let log = build(&ALL_APIS, true)?;
    let reran = log
        .lines()
        .any(|l| l.contains("Running") && l.contains("build-script-build"));
    let recompiled = log.lines().any(|l| l.contains("Compiling liveramp "));
    println!(
        "no-op rebuild (`cargo build -v`): build script run: {}, liveramp recompiled: {} (goal: no, no)",
        yes_no(reran),
        yes_no(recompiled)
    );
    if reran || recompiled {
        return Err("a no-op rebuild did work".into());
    }
    downstream()
}

/// A downstream program on `liveramp` with one API.
const ON_LIVERAMP: (&str, &str) = (
    r#"liveramp = { path = "ROOT", default-features = false, features = ["consent", "rustls-ring"] }
tokio = { version = "1", features = ["rt", "macros"] }"#,
    r#"#[tokio::main(flavor = "current_thread")]
async fn main() {
    let consent = liveramp::Config::from_env().and_then(|c| c.consent());
    if let Ok(consent) = consent {
        let _ = consent.list_consent_files().send().await;
    }
}"#,
);

/// The same program's shape on reqwest, serde and tokio with the same TLS.
const ON_REQWEST: (&str, &str) = (
    r#"reqwest = { version = "0.13", default-features = false, features = ["json", "query", "form", "stream", "http2", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["rt", "macros"] }"#,
    r#"#[derive(serde::Deserialize)]
struct Page {
    #[serde(rename = "v2/ConsentFiles")]
    files: Vec<serde_json::Value>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    if let Ok(answer) = client.get("https://api.liveramp.com/privacy/v2/consent-files").send().await {
        let _ = answer.json::<Page>().await.map(|p| p.files.len());
    }
}"#,
);

/// Clean builds of a downstream program on `liveramp` against one on reqwest + serde + tokio,
/// every dependency included, interleaved.
pub fn downstream() -> Result<(), String> {
    let root = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let base = root.join(TARGET_DIR).join("downstream");
    let make = |name: &str, (deps, main): (&str, &str)| -> Result<std::path::PathBuf, String> {
        let dir = base.join(name);
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{}\n\n[workspace]\n",
            deps.replace("ROOT", &root.display().to_string())
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("src/main.rs"), main).map_err(|e| e.to_string())?;
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
            .map_err(|e| e.to_string())?;
        Ok(dir)
    };
    let library = make("on-liveramp", ON_LIVERAMP)?;
    let baseline = make("on-reqwest", ON_REQWEST)?;
    let clean_build = |dir: &std::path::Path| -> Result<Timing, String> {
        let target = dir.join("target");
        let _ = std::fs::remove_dir_all(&target);
        let manifest = dir.join("Cargo.toml").display().to_string();
        let target = target.display().to_string();
        timed(|| {
            cargo(&[
                "build",
                "--manifest-path",
                &manifest,
                "--target-dir",
                &target,
            ])
        })
    };
    let (mut lib, mut raw) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for on_liveramp in order {
            let timing = clean_build(if on_liveramp { &library } else { &baseline })?;
            println!(
                "bench-build: round {} downstream on {}: {:.1} s CPU, {:.1} s wall",
                round + 1,
                if on_liveramp { "liveramp" } else { "reqwest" },
                timing.cpu,
                timing.wall
            );
            if on_liveramp {
                lib.push(timing);
            } else {
                raw.push(timing);
            }
        }
    }
    let ratio = |pick: fn(&Timing) -> f64| -> Vec<f64> {
        lib.iter()
            .zip(&raw)
            .map(|(l, r)| pick(l) / pick(r))
            .collect()
    };
    println!(
        "downstream clean build, on liveramp (consent) / on reqwest+serde+tokio: CPU {}; wall {}",
        summary(&ratio(|t| t.cpu)),
        summary(&ratio(|t| t.wall))
    );
    println!(
        "median CPU: on liveramp {:.1} s, on reqwest {:.1} s",
        median(lib.iter().map(|t| t.cpu).collect()),
        median(raw.iter().map(|t| t.cpu).collect()),
    );
    Ok(())
}

/// Builds the library with `variant`'s features; returns cargo's stderr.
fn build(variant: &Variant, verbose: bool) -> Result<String, String> {
    let mut args = vec![
        "build",
        "-p",
        "liveramp",
        "--lib",
        "--target-dir",
        TARGET_DIR,
    ];
    if verbose {
        args.push("-v");
    }
    args.extend_from_slice(variant.features);
    cargo(&args)
}

/// Runs cargo with `args`; its stderr, or an error when it fails.
fn cargo(args: &[&str]) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stderr)
    } else {
        Err(format!("cargo {} failed:\n{stderr}", args.join(" ")))
    }
}

/// CPU seconds (user + sys) and wall seconds `work` took, its children included.
fn timed<T>(work: impl FnOnce() -> Result<T, String>) -> Result<Timing, String> {
    let cpu_before = children_cpu()?;
    let started = Instant::now();
    work()?;
    Ok(Timing {
        wall: started.elapsed().as_secs_f64(),
        cpu: children_cpu()? - cpu_before,
    })
}

/// User + sys seconds of this process's waited-for children (`cutime` + `cstime`).
fn children_cpu() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .map_err(|e| format!("cannot read /proc/self/stat: {e}"))?;
    // Fields after the command name, which is in parentheses; cutime is field 16.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .ok_or_else(|| "unexpected /proc/self/stat".to_owned())
    };
    Ok((ticks(13)? + ticks(14)?) / TICKS_PER_SECOND)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// "median (min–max, n)".
fn summary(values: &[f64]) -> String {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{:.3}x (rounds {lo:.3}–{hi:.3}, n={})",
        median(values.to_vec()),
        values.len()
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
