//! `cargo xtask test`: every check CI runs, each announced on one line: the specs first (lint,
//! generated docs, drift from LiveRamp's published Activation file, Redocly), then the code
//! (fmt, clippy, tests), then the release rehearsal (`cargo xtask release --dry-run`).

use std::path::Path;
use std::process::Command;

use liveramp_codegen::APIS;

/// Where the npm test peers are pinned and installed.
const PEERS: &str = "tests/peers";
/// The lockfile hash the installed `node_modules` was made from.
const STAMP: &str = "tests/peers/node_modules/.liveramp-lock-hash";

/// Runs every check; stops at the first that fails.
pub fn run() -> Result<(), String> {
    step("cargo xtask lint");
    crate::lint_command(&[])?;
    step("cargo xtask regen --check");
    crate::regen::run(true)?;
    let published = crate::drift::published_beside(&crate::root())?;
    step(&format!("cargo xtask drift {}", published.display()));
    crate::drift::run(
        std::path::Path::new(crate::drift::SPEC),
        &published,
        std::path::Path::new(crate::drift::DEVIATIONS),
    )?;
    npm_peers()?;
    redis_server()?;
    redocly()?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])?;
    crate::release::msrv()?;
    only_enabled_apis_are_generated()?;
    docs()?;
    // The tests mostly wait on servers and timers: more threads than cores.
    let features = test_features()?;
    cargo(&[
        "test",
        "--workspace",
        "--locked",
        "--features",
        &features,
        "--",
        "--test-threads=6",
    ])?;
    // The release rehearsal: every published crate packaged, built from its package and checked
    // against the others' (`cargo xtask release` without `--dry-run` uploads them).
    step("cargo xtask release --dry-run");
    crate::release::run(true)?;
    println!("xtask: every check passed");
    Ok(())
}

/// The TLS features the tests leave out (clippy builds them): `rustls-aws-lc` brings reqwest's
/// own provider, which would hide a missing one from `generated_new`, the test of a user's
/// default build.
const UNTESTED_TLS: &[&str] = &["rustls-aws-lc", "native-tls"];

/// The `liveramp` features the tests turn on: every one its manifest declares that the default
/// features do not already bring, but the other TLS stacks (`liveramp/redis,...`).
fn test_features() -> Result<String, String> {
    let metadata = cargo_metadata(Deps::No)?;
    let features = package(&metadata, "liveramp")
        .and_then(|liveramp| liveramp["features"].as_object())
        .ok_or("`cargo metadata` lists no features of liveramp")?;
    Ok(extra_features(features))
}

/// Whether [`cargo_metadata`] resolves the dependencies or lists the workspace's packages only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Deps {
    Yes,
    No,
}

/// `cargo metadata` of the workspace, parsed.
pub fn cargo_metadata(deps: Deps) -> Result<serde_json::Value, String> {
    let mut args = vec!["metadata", "--format-version", "1", "--locked"];
    if deps == Deps::No {
        args.push("--no-deps");
    }
    serde_json::from_str(&cargo_stdout(&args)?)
        .map_err(|e| format!("`cargo metadata` did not give JSON: {e}"))
}

/// The package named `name` in `metadata` (the first, when dependencies list several).
pub fn package<'a>(metadata: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    metadata["packages"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
}

/// The features of `features` (a manifest's table) beyond the default ones and
/// [`UNTESTED_TLS`], as `liveramp/<name>` joined by commas.
fn extra_features(features: &serde_json::Map<String, serde_json::Value>) -> String {
    let default: Vec<&str> = features
        .get("default")
        .and_then(|d| d.as_array())
        .map(|d| d.iter().filter_map(|f| f.as_str()).collect())
        .unwrap_or_default();
    features
        .keys()
        .filter(|name| {
            *name != "default"
                && !default.contains(&name.as_str())
                && !UNTESTED_TLS.contains(&name.as_str())
        })
        .map(|name| format!("liveramp/{name}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `--no-default-features --features consent` must generate the consent client and nothing else.
fn only_enabled_apis_are_generated() -> Result<(), String> {
    let args = [
        "check",
        "--package",
        "liveramp",
        "--no-default-features",
        "--features",
        "consent,rustls-ring",
        "--locked",
        "--message-format=json",
    ];
    step(&format!(
        "cargo {} (only the consent client is generated)",
        args.join(" ")
    ));
    let out_dir = cargo_stdout(&args)?
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "build-script-executed")
        .filter(|m| {
            m["package_id"]
                .as_str()
                .is_some_and(|id| id.contains("#liveramp@"))
        })
        .find_map(|m| m["out_dir"].as_str().map(str::to_owned))
        .ok_or("cargo did not report the liveramp build script's OUT_DIR")?;
    let mut generated: Vec<String> = std::fs::read_dir(&out_dir)
        .map_err(|e| format!("cannot read {out_dir}: {e}"))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    generated.sort();
    if generated == ["consent.rs"] {
        Ok(())
    } else {
        Err(format!(
            "with only the consent feature, {out_dir} holds {generated:?} instead of [\"consent.rs\"]"
        ))
    }
}

/// The API documentation builds without a warning (broken or private intra-doc links).
fn docs() -> Result<(), String> {
    cargo_with_env(
        &[
            "doc",
            "--workspace",
            "--lib",
            "--no-deps",
            "--all-features",
            "--locked",
        ],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )
    .map_err(|e| format!("the documentation has warnings: {e}"))
}

/// Announces a step, with the time since the first step began (CI's timeline).
pub fn step(what: &str) {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let elapsed = STARTED.get_or_init(std::time::Instant::now).elapsed();
    println!("xtask: running {what} (at {} s)", elapsed.as_secs());
}

pub fn cargo(args: &[&str]) -> Result<(), String> {
    cargo_with_env(args, &[])
}

/// Runs cargo with `args` (announced by the caller) and returns what it printed on stdout; its
/// stderr is in the error when it fails.
pub fn cargo_stdout(args: &[&str]) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo {}` failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs cargo with `args` and the environment variables `env` added.
pub fn cargo_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    cargo_at(None, args, env)
}

/// Runs cargo with `args` and the environment variables `env` added, in `dir` (the current
/// directory when `None`).
pub fn cargo_at(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    step(&format!("{}cargo {}", shown.concat(), args.join(" ")));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let status = command
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed", args.join(" ")))
    }
}

/// Installs the pinned npm peers with `npm ci` unless `node_modules` matches the lockfile.
fn npm_peers() -> Result<(), String> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!(
                "`{tool}` is missing: the tests run third-party servers (Prism, \
                 oauth2-mock-server) and Redocly from npm; install Node.js 20 or later with npm"
            ));
        }
    }
    let lock = std::fs::read(format!("{PEERS}/package-lock.json"))
        .map_err(|e| format!("cannot read {PEERS}/package-lock.json: {e}"))?;
    let manifest = std::fs::read(format!("{PEERS}/package.json"))
        .map_err(|e| format!("cannot read {PEERS}/package.json: {e}"))?;
    let hash = format!("{:016x}", fnv1a(&[&manifest, &lock]));
    let installed = std::fs::read_to_string(STAMP).unwrap_or_default();
    if installed.trim() == hash {
        println!("xtask: npm peers in {PEERS}/node_modules match the lockfile");
        return Ok(());
    }
    let args = ["ci", "--prefix", PEERS, "--no-audit", "--no-fund"];
    step(&format!("npm {}", args.join(" ")));
    let status = Command::new("npm")
        .args(args)
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !status.success() {
        return Err(format!("`npm {}` failed", args.join(" ")));
    }
    std::fs::write(STAMP, hash).map_err(|e| format!("cannot write {STAMP}: {e}"))
}

/// Installs Debian's `redis-server` with apt-get when it is missing (the fleet tests start
/// their own on a loopback port); elsewhere says how to get it.
fn redis_server() -> Result<(), String> {
    let found = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if found("redis-server") {
        return Ok(());
    }
    if !found("apt-get") {
        return Err(
            "`redis-server` is missing: the fleet tests (the `redis` feature) start one on \
             loopback; install Redis 7 or later"
                .into(),
        );
    }
    for args in [
        vec!["update", "-qq"],
        vec!["install", "-y", "-qq", "redis-server"],
    ] {
        step(&format!("apt-get {}", args.join(" ")));
        let status = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if !status.success() {
            return Err(format!("`apt-get {}` failed", args.join(" ")));
        }
    }
    Ok(())
}

/// FNV-1a, 64 bits: a stable fingerprint of the lockfile (not a security measure).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Redocly's `recommended` ruleset as a second opinion: 0 errors and 0 warnings on every spec.
/// Redocly is also what checks the specs' examples against their schemas, so a made-up spec with
/// broken examples must draw its warnings first (the rules cannot be switched off unnoticed).
fn redocly() -> Result<(), String> {
    let canary = Path::new(&std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
        .join("xtask-redocly-canary.yaml");
    std::fs::write(&canary, BROKEN_EXAMPLE)
        .map_err(|e| format!("cannot write {}: {e}", canary.display()))?;
    let spec = canary.to_string_lossy();
    step(&format!(
        "redocly lint --extends recommended {spec} (a broken example)"
    ));
    let problems = redocly_problems(&spec)?;
    let reported = |rule: &str, at: &str| {
        problems
            .iter()
            .any(|p| p.contains(&format!("({rule})")) && p.contains(at))
    };
    if !reported("no-invalid-media-type-examples", "/example/count")
        || !reported("no-invalid-schema-examples", "/example/cuont")
    {
        return Err(format!(
            "redocly did not report both broken examples of {spec}: {problems:?}"
        ));
    }
    for api in APIS {
        step(&format!("redocly lint --extends recommended {}", api.spec));
        let problems = redocly_problems(api.spec)?;
        if !problems.is_empty() {
            for problem in &problems {
                println!("{}: {problem}", api.spec);
            }
            return Err(format!(
                "redocly: {} has {} problems",
                api.spec,
                problems.len()
            ));
        }
    }
    Ok(())
}

/// A spec with two broken examples: an answer's with a string where its schema wants an
/// integer, and a schema's with a property the schema does not declare.
const BROKEN_EXAMPLE: &str = r#"openapi: 3.0.3
info: {title: Canary, version: '1', description: A broken example., license: {name: MIT, url: 'https://opensource.org/licenses/MIT'}}
servers: [{url: 'https://api.example.org'}]
security: []
tags: [{name: Counts, description: Counts.}]
paths:
  /count:
    get:
      operationId: count
      tags: [Counts]
      summary: Count
      responses:
        '200':
          description: The count.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Count'}
              example: {count: many}
        '400': {description: Refused.}
components:
  schemas:
    Count:
      type: object
      properties: {count: {type: integer}}
      example: {count: 1, cuont: 2}
"#;

/// Every error and warning Redocly's recommended rules find in `spec`, one line each
/// (`pointer: message (rule)`).
fn redocly_problems(spec: &str) -> Result<Vec<String>, String> {
    let bin = Path::new(PEERS).join("node_modules/.bin/redocly");
    let output = Command::new(&bin)
        .args(["lint", "--extends", "recommended", "--format", "json", spec])
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = stdout
        .find('{')
        .and_then(|start| serde_json::from_str(&stdout[start..]).ok())
        .ok_or_else(|| {
            format!(
                "redocly gave no JSON report for {spec}: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let count = |key: &str| report["totals"][key].as_u64().unwrap_or(u64::MAX);
    let mut problems: Vec<String> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|problem| {
            format!(
                "{}: {} ({})",
                problem["location"][0]["pointer"].as_str().unwrap_or("/"),
                problem["message"].as_str().unwrap_or("?"),
                problem["ruleId"].as_str().unwrap_or("?")
            )
        })
        .collect();
    if problems.is_empty() && (count("errors") != 0 || count("warnings") != 0) {
        problems.push(format!("totals: {}", report["totals"]));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tests_turn_on_every_feature_but_the_defaults_and_the_other_tls_stacks() {
        let features = serde_json::json!({
            "default": ["consent", "rustls-ring"],
            "consent": [],
            "rustls-ring": ["reqwest/rustls-no-provider"],
            "rustls-aws-lc": ["reqwest/rustls"],
            "native-tls": ["reqwest/native-tls"],
            "redis": ["dep:redis"],
            "test-util": [],
        });
        assert_eq!(
            super::extra_features(features.as_object().unwrap()),
            "liveramp/redis,liveramp/test-util"
        );
    }

    #[test]
    fn the_lockfile_fingerprint_changes_with_any_byte() {
        let a = super::fnv1a(&[b"{}", b"lock"]);
        assert_eq!(a, super::fnv1a(&[b"{}", b"lock"]));
        assert_ne!(a, super::fnv1a(&[b"{}", b"lokc"]));
    }
}
