//! Exit codes and the one-line error report of the `liveramp` process.

mod support;

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

fn one_error_line(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr:?}");
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
fn usage_errors_exit_two() {
    for args in [&["consent"][..], &["nonsense"], &["consent", "sync"]] {
        let output = liveramp(args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_exits_five() {
    let fake = FakeConsent::start(1, 10, 10).await;
    let mut env = fake.env();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.push(("LIVERAMP_CONSENT_URL", format!("http://127.0.0.1:{port}")));
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
