//! Exit codes and the one-line error report of the `liveramp` process.

use crate::support;

use std::process::{Command, Output, Stdio};

use support::FakeConsent;

fn liveramp(args: &[&str], env: &[(&'static str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args(args)
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The one error line of a failed run: `error: ...`, or under `--json` the JSON report's
/// message (whose exit code must be the process's).
fn one_error_line(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr:?}");
    if lines[0].starts_with('{') {
        let report: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            report["exitCode"].as_i64(),
            output.status.code().map(i64::from)
        );
        return format!("error: {}", report["error"].as_str().unwrap());
    }
    assert!(lines[0].starts_with("error: "), "{stderr:?}");
    lines[0].to_owned()
}

#[test]
fn help_and_version_exit_zero() {
    for flag in ["--help", "--version"] {
        let output = liveramp(&[flag], &[]);
        assert_eq!(output.status.code(), Some(0), "{flag}");
        assert!(!output.stdout.is_empty());
    }
}

#[test]
fn under_json_help_and_version_are_json() {
    // Found by review: `--json --help` and `--json --version` printed text on stdout.
    let version = liveramp(&["--json", "--version"], &[]);
    assert_eq!(version.status.code(), Some(0));
    let shown: serde_json::Value = serde_json::from_slice(&version.stdout).unwrap();
    assert_eq!(shown["version"], env!("CARGO_PKG_VERSION"));
    let help = liveramp(&["--json", "consent", "--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    let shown: serde_json::Value = serde_json::from_slice(&help.stdout).unwrap();
    let text = shown["help"].as_str().unwrap();
    assert!(text.contains("Usage: liveramp consent"), "{text}");
    assert!(!text.contains('\u{1b}'), "no terminal styling: {text:?}");
}

#[test]
fn under_json_csv_on_stdout_is_refused_before_the_credentials_are_read() {
    // Found by review: without credentials, the configuration error came first.
    let output = Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args([
            "--json",
            "abilitec",
            "match-file",
            "people.csv",
            "--format",
            "csv",
        ])
        .env_remove("LIVERAMP_CREDENTIALS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let line = one_error_line(&output);
    assert!(line.contains("--output"), "{line}");
}

#[test]
fn usage_errors_exit_two() {
    for args in [&["consent"][..], &["nonsense"], &["consent", "sync"]] {
        let output = liveramp(args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    // Found by review: under `--json`, clap's text report came instead of the JSON one.
    let output = liveramp(&["--json", "consent", "sync"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let line = one_error_line(&output);
    assert!(
        line.contains("required arguments") && line.contains("--dir"),
        "{line}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).starts_with('{'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_exits_five() {
    let fake = FakeConsent::start(1, 10, 10).await;
    let mut env = fake.env();
    let refused = support::server::RefusedPort::bind();
    env.push((
        "LIVERAMP_CONSENT_URL",
        format!("http://127.0.0.1:{}", refused.port),
    ));
    let output = tokio::task::spawn_blocking(move || liveramp(&["consent", "list"], &env))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(5));
    assert!(one_error_line(&output).starts_with("error: listing the consent files failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_exit_four_and_refused_credentials_exit_three() {
    for (status, code) in [(422, 4), (400, 4), (401, 3)] {
        let fake = FakeConsent::start(1, 10, 10).await;
        fake.fail_lists(status);
        let env = fake.env();
        let output =
            tokio::task::spawn_blocking(move || liveramp(&["--json", "consent", "list"], &env))
                .await
                .unwrap();
        assert_eq!(output.status.code(), Some(code), "HTTP {status}");
        assert!(output.stdout.is_empty(), "no JSON on failure");
        let line = one_error_line(&output);
        assert!(line.contains(&status.to_string()), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_list_prints_json_and_text() {
    let fake = FakeConsent::start(3, 10, 2).await;
    let env = fake.env();
    let json = tokio::task::spawn_blocking(move || liveramp(&["consent", "list", "--json"], &env))
        .await
        .unwrap();
    assert!(json.status.success());
    let files: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let ids: Vec<_> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = fake.files().into_iter().map(|f| f.id).collect();
    assert_eq!(ids, expected);

    let env = fake.env();
    let text = tokio::task::spawn_blocking(move || liveramp(&["consent", "list"], &env))
        .await
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("3 consent file(s)"), "{text}");
    for id in expected {
        assert!(text.contains(&id), "{text}");
    }
}

#[test]
fn missing_credentials_exit_two_and_say_which_variable() {
    let output = liveramp(&["consent", "list"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(one_error_line(&output).contains("LIVERAMP_CREDENTIALS"));
}

#[test]
fn under_json_an_error_is_json_on_stderr_and_names_no_library_method() {
    // No credentials at all: a configuration error.
    let output = Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args(["--json", "consent", "list"])
        .env_remove("LIVERAMP_CREDENTIALS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(report["exitCode"], 2);
    assert_eq!(report["kind"], "usage");
    let message = report["error"].as_str().unwrap();
    assert!(message.contains("LIVERAMP_CREDENTIALS"), "{message}");
    assert!(!message.contains("Config::"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_and_rust_log_log_the_calls_on_stderr() {
    let fake = FakeConsent::start(1, 10, 10).await;
    let env = fake.env();
    let quiet = liveramp(&["--json", "consent", "list"], &env);
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "nothing logged by default");
    let verbose = liveramp(&["--json", "-v", "consent", "list"], &env);
    assert!(verbose.status.success());
    let log = String::from_utf8(verbose.stderr).unwrap();
    assert!(log.contains("call finished"), "{log}");
    assert!(
        log.contains("liveramp.operation=\"list_consent_files\""),
        "{log}"
    );
    let mut with_rust_log = env.clone();
    with_rust_log.push(("RUST_LOG", "liveramp=trace".to_owned()));
    let traced = liveramp(&["--json", "consent", "list"], &with_rust_log);
    let log = String::from_utf8(traced.stderr).unwrap();
    assert!(log.contains("attempt answered"), "{log}");
    assert!(!log.to_lowercase().contains("bearer"), "{log}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = liveramp(&["completions", shell], &[]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("match-file"), "{shell}");
        if shell == "zsh" {
            assert!(script.contains("credentials file (serviceAccount/v2)]:PATH:_files"));
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn completions_to_a_full_disk_exit_one_without_a_panic() {
    // Found by review: clap_complete's `generate` panicked (exit 101) on a failed write.
    let output = Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args(["completions", "bash"])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(one_error_line(&output).starts_with("error: cannot write the completions"));
}

#[test]
fn auth_check_reports_a_refused_token_uri_as_failed_not_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials.json");
    support::write_credentials(
        &credentials,
        &serde_json::json!({
            "type": "serviceAccount/v2",
            "account_id": "svc@serviceaccounts.liveramp.com",
            "secret_key": "secret-key-value",
            "client_id": "liveramp-api",
            "token_uri": "https://collector.example.net/token",
        }),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args(["--json", "auth", "check"])
        .env("LIVERAMP_CREDENTIALS", &credentials)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let checks: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    let service_account = checks
        .as_array()
        .and_then(|c| c.iter().find(|c| c["credential"] == "service-account"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(service_account["status"], "failed", "{stdout}");
    assert!(
        service_account["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not a LiveRamp host"),
        "{stdout}"
    );
    assert!(!stdout.contains("secret-key-value"));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credentials_file_others_may_read_is_warned_about_without_asking() {
    use std::os::unix::fs::PermissionsExt;
    // Found by review: warnings were logged only under `-v`, so nobody saw this one.
    let fake = FakeConsent::start(1, 10, 10).await;
    let env = fake.env();
    let stderr = |args: &[&str]| {
        let output = liveramp(args, &env);
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    assert_eq!(
        stderr(&["consent", "list"]),
        "",
        "a private file: no warning"
    );
    let (_, credentials) = env
        .iter()
        .find(|(name, _)| *name == "LIVERAMP_CREDENTIALS")
        .unwrap();
    std::fs::set_permissions(credentials, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(stderr(&["consent", "list"]).contains("chmod 600"));
    // Under `--json`, stderr holds only an error report.
    assert_eq!(stderr(&["--json", "consent", "list"]), "");
}

#[cfg(unix)]
#[test]
fn the_sandboxs_credentials_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.json");
    std::fs::write(&path, "old").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sandbox = liveramp_sandbox::Sandbox::start().await.unwrap();
        liveramp_cli::sandbox::environment(&sandbox, &path).unwrap();
    });
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[cfg(unix)]
#[test]
fn a_credentials_path_that_is_not_utf8_is_a_usage_error_not_another_path() {
    use std::os::unix::ffi::OsStrExt;
    // Found by review: the path was converted lossily, so another file was looked for.
    let path = std::ffi::OsStr::from_bytes(b"/tmp/\xff-credentials.json");
    let output = Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args(["consent", "list", "--credentials"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("UTF-8"), "{stderr}");
}
