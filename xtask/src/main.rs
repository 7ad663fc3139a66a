//! `cargo xtask`: the project's own chores.
//!
//! - `cargo xtask lint [spec...]`: checks the specs (default: every spec of the crate).
//! - `cargo xtask regen [--check]`: writes `docs/operations.md`, or checks it is fresh.
//! - `cargo xtask drift <published-openapi-file>`: the differences between
//!   `specs/activation.yaml` and LiveRamp's published Activation file that
//!   `specs/activation.deviations.yaml` does not list.
//! - `cargo xtask test`: every check CI runs.
//! - `cargo xtask release [--dry-run]`: publishes `liveramp-codegen`, `liveramp` and
//!   `liveramp-sandbox` together (`cargo publish --workspace`), after checking their file lists.
//! - `cargo xtask bench`: every benchmark: `cargo bench -p liveramp-bench --bench suite`, then `bench-build`.
//! - `cargo xtask bench-build [downstream]`: build-time figures (see `BENCHMARKS.md`), or only
//!   the downstream crate's.

mod bench_build;
mod ci;
mod diff;
mod drift;
mod lint;
mod pointer;
mod regen;
mod release;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use liveramp_codegen::{APIS, Api};

const USAGE: &str = "usage: cargo xtask <lint [spec...] | regen [--check] | drift <published-openapi-file> | test | release [--dry-run] | bench | bench-build [downstream]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = std::env::set_current_dir(root()) {
        eprintln!("xtask: cannot enter the workspace root: {e}");
        return ExitCode::FAILURE;
    }
    let result = match args.first().map(String::as_str) {
        Some("lint") => lint_command(&args[1..]),
        Some("regen") => match &args[1..] {
            [] => regen::run(false),
            [flag] if flag == "--check" => regen::run(true),
            _ => Err(USAGE.to_owned()),
        },
        Some("drift") => drift::command(&args[1..]),
        Some("test") if args.len() == 1 => ci::run(),
        Some("release") => match &args[1..] {
            [] => release::run(false),
            [flag] if flag == "--dry-run" => release::run(true),
            _ => Err(USAGE.to_owned()),
        },
        Some("bench") if args.len() == 1 => bench_build::run_all(),
        Some("bench-build") => match &args[1..] {
            [] => bench_build::run(),
            [only] if only == "downstream" => bench_build::downstream(),
            _ => Err(USAGE.to_owned()),
        },
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root, where the specs and `Cargo.toml` are.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The crate module a spec file is generated into: its entry in `APIS`, or its file stem.
fn module_of(spec: &str) -> String {
    let normal = spec.trim_start_matches("./");
    APIS.iter()
        .find(|api| api.spec == normal)
        .map(|api| api.module.to_owned())
        .unwrap_or_else(|| {
            Path::new(spec)
                .file_stem()
                .map(|s| s.to_string_lossy().replace('-', "_"))
                .unwrap_or_default()
        })
}

/// `cargo xtask lint`: prints `file: /pointer: message` per problem, then a summary.
fn lint_command(files: &[String]) -> Result<(), String> {
    let files: Vec<String> = if files.is_empty() {
        APIS.iter().map(|api: &Api| api.spec.to_owned()).collect()
    } else {
        files.to_vec()
    };
    let mut problems = 0;
    let mut summary = Vec::new();
    for file in &files {
        let report = lint_file(file);
        for p in &report.problems {
            println!("{file}: {p}");
        }
        problems += report.problems.len();
        summary.push(format!(
            "{file}: {} operations, {} inferred, {} problems",
            report.operations,
            report.inferred,
            report.problems.len()
        ));
    }
    println!("lint summary:");
    for line in summary {
        println!("  {line}");
    }
    if problems == 0 {
        Ok(())
    } else {
        Err(format!("lint found {problems} problems"))
    }
}

/// Lints one spec file, then runs the generator on it when every rule passed.
fn lint_file(file: &str) -> lint::Report {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            return lint::Report {
                problems: vec![lint::Problem {
                    pointer: "/".into(),
                    message: format!("cannot read the spec: {e}"),
                }],
                ..lint::Report::default()
            };
        }
    };
    let mut report = lint::lint(&text);
    if report.problems.is_empty() {
        // A generator panic is reported as a problem; its default message would be noise.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let failure = lint::generation(&text, &module_of(file));
        std::panic::set_hook(hook);
        report.problems.extend(failure);
    }
    report
}
