//! `cargo xtask release [--dry-run]`: publishes the workspace's crates to crates.io in one
//! command, after checking what each package carries.
//!
//! `liveramp` generates its clients in `build.rs` with `liveramp-codegen`, and
//! `liveramp-sandbox` depends on `liveramp`: none of them can be published (or verified) before
//! the one it depends on is on the registry. `cargo publish --workspace` publishes them together
//! in dependency order, and its dry run verifies each against the others' packages, so the
//! release and its rehearsal are the same command.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The crates this workspace publishes; every other member has `publish = false`.
pub const PUBLISHED: &[&str] = &["liveramp-codegen", "liveramp", "liveramp-sandbox"];

/// What no package may carry: tests, benches, examples, the npm peers and CI files.
const NEVER_PACKAGED: &[&str] = &[
    "tests/",
    "benches/",
    "examples/",
    "node_modules",
    "package-lock.json",
    "package.json",
    ".github/",
    "target/",
    "BENCHMARKS.md",
];

/// What every package carries besides its code: the licences it declares.
const ALWAYS_PACKAGED: &[&str] = &["Cargo.toml", "LICENSE-MIT", "LICENSE-APACHE"];

/// Checks every package's file list, then runs `cargo publish --workspace` (with `--dry-run`,
/// nothing is uploaded and a dirty tree is allowed).
pub fn run(dry_run: bool) -> Result<(), String> {
    for package in PUBLISHED {
        let files = package_list(package)?;
        check_list(package, &files)?;
        println!("xtask: {package} packages {} files", files.len());
    }
    if !dry_run {
        return crate::ci::cargo(&["publish", "--workspace", "--locked"]);
    }
    // The dry run builds each package against the others' packages, in the workspace's target
    // directory so that the dependencies the tests built are reused (CI builds both without
    // debug info).
    rehearse(None, &published_versions()?, &[])
}

/// `cargo publish --workspace --dry-run` in `workspace` (the current directory when `None`),
/// whose published packages are `packages` (name, version), with `env` added. What an earlier
/// rehearsal left goes first: the packages' unpacked sources (see `forget_unpacked`) and, with
/// `cargo clean --package`, their builds.
fn rehearse(
    workspace: Option<&Path>,
    packages: &[(String, String)],
    env: &[(&str, &str)],
) -> Result<(), String> {
    forget_unpacked(&cargo_home(|name| std::env::var_os(name))?, packages)?;
    let mut clean = vec!["clean"];
    for (name, _) in packages {
        clean.extend(["--package", name]);
    }
    crate::ci::cargo_at(workspace, &clean, env)?;
    let publish = [
        "publish",
        "--workspace",
        "--locked",
        "--dry-run",
        "--allow-dirty",
    ];
    crate::ci::cargo_at(workspace, &publish, env)
}

/// Cargo's home directory (`CARGO_HOME` unless empty, else `.cargo` in the home directory),
/// from the environment variables `var` reads.
fn cargo_home(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, String> {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    if let Some(home) = set("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    ["HOME", "USERPROFILE"]
        .into_iter()
        .find_map(set)
        .map(|home| Path::new(&home).join(".cargo"))
        .ok_or_else(|| "none of CARGO_HOME, HOME and USERPROFILE is set".to_owned())
}

/// `(name, version)` of every published package, from the workspace's manifests.
fn published_versions() -> Result<Vec<(String, String)>, String> {
    let metadata = crate::ci::cargo_metadata(crate::ci::Deps::No)?;
    PUBLISHED
        .iter()
        .map(|name| {
            crate::ci::package(&metadata, name)
                .and_then(|package| package["version"].as_str())
                .map(|version| ((*name).to_owned(), version.to_owned()))
                .ok_or_else(|| format!("`cargo metadata` does not list {name}"))
        })
        .collect()
}

/// Removes our packages' sources that an earlier dry run unpacked. The dry run hands each
/// package its dependencies' packages from a local registry, which Cargo unpacks under
/// `$CARGO_HOME/registry/src/-<hash>/<name>-<version>` once and never again; every packaged
/// file carries one fixed mtime, so neither those sources nor their builds would look stale
/// after a change. (`cargo clean --package`, run after this, removes the builds.) Only local
/// registries' directories (named `-<hash>`) and exactly `versions` are touched.
fn forget_unpacked(cargo_home: &Path, versions: &[(String, String)]) -> Result<(), String> {
    let registries = match std::fs::read_dir(cargo_home.join("registry/src")) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", cargo_home.display())),
    };
    for registry in registries.flatten() {
        let local = registry.file_name().to_string_lossy().starts_with('-');
        if !(local && registry.file_type().is_ok_and(|t| t.is_dir())) {
            continue;
        }
        for (name, version) in versions {
            let unpacked = registry.path().join(format!("{name}-{version}"));
            if unpacked.is_dir() {
                std::fs::remove_dir_all(&unpacked)
                    .map_err(|e| format!("cannot remove {}: {e}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

/// `cargo package --list` of one package.
fn package_list(package: &str) -> Result<Vec<String>, String> {
    let args = [
        "package",
        "--list",
        "--allow-dirty",
        "--locked",
        "--package",
        package,
    ];
    crate::ci::step(&format!("cargo {}", args.join(" ")));
    Ok(crate::ci::cargo_stdout(&args)?
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Whether `files` (one package's list) carries the licences and nothing it must not.
fn check_list(package: &str, files: &[String]) -> Result<(), String> {
    let unwanted: Vec<&String> = files
        .iter()
        .filter(|file| {
            NEVER_PACKAGED
                .iter()
                .any(|never| file.starts_with(never) || file.contains(&format!("/{never}")))
        })
        .collect();
    if !unwanted.is_empty() {
        return Err(format!(
            "{package} would publish {unwanted:?}: narrow its `include` list"
        ));
    }
    let missing: Vec<&&str> = ALWAYS_PACKAGED
        .iter()
        .filter(|needed| !files.iter().any(|file| file == *needed))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{package} would publish without {missing:?}: add them to its `include` list"
        ));
    }
    Ok(())
}

/// The part of the MSRV promise a single toolchain can check: the workspace's `rust-version`
/// is no older than the `rust-version` of any crate the published crates build with (normal and
/// build dependencies, for every target). Clippy's `incompatible_msrv` lint, on in
/// `cargo xtask test`, checks the std APIs the workspace's own code calls against the same
/// `rust-version`; language features are not checked.
pub fn msrv() -> Result<(), String> {
    crate::ci::step("cargo metadata (no dependency needs a newer Rust than `rust-version`)");
    let metadata = crate::ci::cargo_metadata(crate::ci::Deps::Yes)?;
    let too_new = newer_than_msrv(&metadata)?;
    if too_new.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these dependencies need a newer Rust than the workspace's `rust-version`: {}",
            too_new.join(", ")
        ))
    }
}

/// A `rust-version` as (major, minor, patch); a missing part is 0.
fn version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(|p| p.parse::<u64>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

/// The `name@version (rust-version)` of every package the published crates need to build whose
/// `rust-version` is newer than theirs.
fn newer_than_msrv(metadata: &serde_json::Value) -> Result<Vec<String>, String> {
    let packages = metadata["packages"].as_array().ok_or("no packages")?;
    let by_id = |id: &str| packages.iter().find(|p| p["id"] == id);
    let rust_version = |p: &serde_json::Value| p["rust_version"].as_str().and_then(version);
    let roots: Vec<&serde_json::Value> = packages
        .iter()
        .filter(|p| p["name"].as_str().is_some_and(|n| PUBLISHED.contains(&n)))
        .collect();
    let msrv = roots
        .iter()
        .filter_map(|p| rust_version(p))
        .min()
        .ok_or("the published crates declare no `rust-version`")?;
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or("no resolve")?;
    let mut seen: Vec<&str> = roots.iter().filter_map(|p| p["id"].as_str()).collect();
    let mut queue = seen.clone();
    let mut too_new = Vec::new();
    while let Some(id) = queue.pop() {
        let Some(node) = nodes.iter().find(|n| n["id"] == id) else {
            continue;
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let not_dev_only = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"] != "dev");
            let Some(dep_id) = dep["pkg"].as_str() else {
                continue;
            };
            if !not_dev_only || seen.contains(&dep_id) {
                continue;
            }
            seen.push(dep_id);
            queue.push(dep_id);
            if let Some(package) = by_id(dep_id)
                && let Some(needed) = rust_version(package)
                && needed > msrv
            {
                too_new.push(format!(
                    "{}@{} ({})",
                    package["name"].as_str().unwrap_or("?"),
                    package["version"].as_str().unwrap_or("?"),
                    package["rust_version"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    too_new.sort();
    Ok(too_new)
}

#[cfg(test)]
mod tests {
    use super::check_list;

    /// Writes a workspace of two published packages into `dir`, `b` calling `a::one`.
    fn two_packages(dir: &std::path::Path) {
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
        );
        for (name, deps) in [
            ("a", ""),
            (
                "b",
                "[dependencies]\nliveramp-rehearsal-test-a = { path = \"../a\", version = \"0.1.0\" }\n",
            ),
        ] {
            write(
                &format!("{name}/Cargo.toml"),
                &format!(
                    "[package]\nname = \"liveramp-rehearsal-test-{name}\"\nversion = \"0.1.0\"\n\
                     edition = \"2021\"\nlicense = \"MIT\"\ndescription = \"test\"\n{deps}"
                ),
            );
        }
        write("a/src/lib.rs", "pub fn one() -> u8 { 1 }\n");
        write(
            "b/src/lib.rs",
            "pub fn two() -> u8 { liveramp_rehearsal_test_a::one() + 1 }\n",
        );
    }

    /// A rehearsal verifies each package against the others as they are now: after `a` drops
    /// the function `b` calls, the next rehearsal fails (Cargo would reuse the earlier one's
    /// unpacked `a` and its build).
    #[test]
    fn a_rehearsal_after_a_change_verifies_the_changed_package() {
        let dir = tempfile::tempdir().unwrap();
        two_packages(dir.path());
        let target = dir.path().join("target");
        let target = target.to_str().unwrap();
        // Its own target directory: the `cargo test` running this holds the workspace's.
        let env = [("CARGO_TARGET_DIR", target)];
        crate::ci::cargo_at(Some(dir.path()), &["generate-lockfile", "--offline"], &env).unwrap();
        let packages: Vec<(String, String)> = ["a", "b"]
            .iter()
            .map(|n| (format!("liveramp-rehearsal-test-{n}"), "0.1.0".to_owned()))
            .collect();
        super::rehearse(Some(dir.path()), &packages, &env).unwrap();
        std::fs::write(
            dir.path().join("a/src/lib.rs"),
            "pub fn uno() -> u8 { 1 }\n",
        )
        .unwrap();
        assert!(
            super::rehearse(Some(dir.path()), &packages, &env).is_err(),
            "b was verified against the old a"
        );
    }

    #[test]
    fn an_empty_cargo_home_counts_as_unset_as_cargo_has_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let home = |vars| super::cargo_home(env(vars));
        assert_eq!(
            home(&[("CARGO_HOME", "/c"), ("HOME", "/h")]),
            Ok("/c".into())
        );
        assert_eq!(
            home(&[("CARGO_HOME", ""), ("HOME", "/h")]),
            Ok("/h/.cargo".into())
        );
        assert_eq!(
            home(&[("HOME", ""), ("USERPROFILE", "/u")]),
            Ok("/u/.cargo".into())
        );
        assert!(home(&[("CARGO_HOME", ""), ("HOME", "")]).is_err());
    }

    #[test]
    fn a_rehearsal_forgets_exactly_our_packages_unpacked_from_local_registries() {
        let home = tempfile::tempdir().unwrap();
        let src = home.path().join("registry/src");
        let dirs = [
            "-1587ccbc362cdbac/liveramp-codegen-0.1.0",
            "-1587ccbc362cdbac/liveramp-0.1.0",
            "-2ae2b680f9ecee11/liveramp-sandbox-0.1.0",
            "-2ae2b680f9ecee11/liveramp-0.0.9",
            "-2ae2b680f9ecee11/liveramp-2fa-0.1.0",
            "index.crates.io-1949cf8c6b5b557f/liveramp-0.1.0",
            "index.crates.io-1949cf8c6b5b557f/serde-1.0.229",
        ];
        for dir in dirs {
            std::fs::create_dir_all(src.join(dir).join("src")).unwrap();
        }
        let versions: Vec<(String, String)> = ["liveramp-codegen", "liveramp", "liveramp-sandbox"]
            .iter()
            .map(|name| ((*name).to_owned(), "0.1.0".to_owned()))
            .collect();
        super::forget_unpacked(home.path(), &versions).unwrap();
        let left: Vec<&str> = dirs
            .iter()
            .copied()
            .filter(|dir| src.join(dir).exists())
            .collect();
        assert_eq!(
            left,
            [
                "-2ae2b680f9ecee11/liveramp-0.0.9",
                "-2ae2b680f9ecee11/liveramp-2fa-0.1.0",
                "index.crates.io-1949cf8c6b5b557f/liveramp-0.1.0",
                "index.crates.io-1949cf8c6b5b557f/serde-1.0.229",
            ]
        );
        // No registry at all is not an error.
        super::forget_unpacked(&home.path().join("none"), &versions).unwrap();
    }

    #[test]
    fn a_dependency_newer_than_the_msrv_is_named_and_dev_dependencies_are_not() {
        let metadata = serde_json::json!({
            "packages": [
                {"id": "a", "name": "liveramp", "version": "0.1.0", "rust_version": "1.89"},
                {"id": "b", "name": "old", "version": "1.0.0", "rust_version": "1.70"},
                {"id": "c", "name": "new", "version": "2.0.0", "rust_version": "1.90.1"},
                {"id": "d", "name": "devonly", "version": "3.0.0", "rust_version": "1.95"},
                {"id": "e", "name": "deep", "version": "4.0.0", "rust_version": "1.91"}
            ],
            "resolve": {"nodes": [
                {"id": "a", "deps": [
                    {"pkg": "b", "dep_kinds": [{"kind": null}]},
                    {"pkg": "c", "dep_kinds": [{"kind": "build"}]},
                    {"pkg": "d", "dep_kinds": [{"kind": "dev"}]}
                ]},
                {"id": "b", "deps": [{"pkg": "e", "dep_kinds": [{"kind": null}]}]}
            ]}
        });
        assert_eq!(
            super::newer_than_msrv(&metadata),
            Ok(vec![
                "deep@4.0.0 (1.91)".to_owned(),
                "new@2.0.0 (1.90.1)".to_owned()
            ])
        );
    }

    fn list(files: &[&str]) -> Vec<String> {
        files.iter().map(|f| (*f).to_owned()).collect()
    }

    #[test]
    fn a_package_with_its_licences_and_code_passes() {
        let files = list(&[
            "Cargo.toml",
            "Cargo.toml.orig",
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "src/lib.rs",
        ]);
        assert_eq!(check_list("p", &files), Ok(()));
    }

    #[test]
    fn tests_npm_locks_and_missing_licences_are_refused() {
        let base = ["Cargo.toml", "LICENSE-APACHE", "LICENSE-MIT", "src/lib.rs"];
        for extra in [
            "tests/faults.rs",
            "tests/peers/package-lock.json",
            "benches/suite/main.rs",
            ".github/workflows/ci.yml",
        ] {
            let mut files = list(&base);
            files.push(extra.to_owned());
            let error = check_list("p", &files).unwrap_err();
            assert!(error.contains(extra), "{error}");
        }
        let error = check_list("p", &list(&["Cargo.toml", "LICENSE-MIT"])).unwrap_err();
        assert!(error.contains("LICENSE-APACHE"), "{error}");
    }
}
