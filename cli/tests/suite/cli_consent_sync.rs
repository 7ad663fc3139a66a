//! `liveramp consent sync` as a process: killed mid-download and rerun, a cut download's exit
//! code, `--json` output.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use liveramp::consent::store::{MANIFEST_NAME, Manifest};
use liveramp::consent::sync::LOCK_NAME;
use support::{FakeConsent, Fault};
use tokio::process::Command;

fn liveramp(fake: &FakeConsent, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_liveramp"));
    command
        // One at a time: the tests count each file's downloads exactly.
        .args([
            "--json",
            "consent",
            "sync",
            "--downloads-in-flight",
            "1",
            "--dir",
        ])
        .arg(dir)
        .envs(fake.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn visible(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn assert_complete(fake: &FakeConsent, dir: &Path) {
    let manifest = Manifest::load(dir).unwrap();
    let mut expected: BTreeSet<String> = [MANIFEST_NAME.to_owned(), LOCK_NAME.to_owned()].into();
    for file in fake.files() {
        let name = format!("{}.csv", file.id);
        assert_eq!(std::fs::read(dir.join(&name)).unwrap(), file.body, "{name}");
        assert!(manifest.contains(&file.id));
        expected.insert(name);
    }
    assert_eq!(manifest.files.len(), fake.files().len());
    assert_eq!(visible(dir), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_download_resumes_and_finishes_with_every_file_once() {
    let fake = FakeConsent::start(4, 500_000, 10).await;
    fake.fault(2, Fault::StallAfter(200_000));
    let dir = tempfile::tempdir().unwrap();

    let mut child = liveramp(&fake, dir.path()).spawn().unwrap();
    // Wait (bounded) until the stalled download's temporary file holds what was sent.
    let stalled = &fake.files()[2].id;
    let mut reached = false;
    for _ in 0..600 {
        reached = std::fs::read_dir(dir.path()).unwrap().any(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            name.contains(stalled.as_str())
                && name.ends_with(".part")
                && e.metadata().is_ok_and(|m| m.len() == 200_000)
        });
        if reached {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reached, "the stalled download left a partial file");
    child.kill().await.unwrap();
    assert_eq!(Manifest::load(dir.path()).unwrap().files.len(), 2);

    let output = liveramp(&fake, dir.path()).output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["listed"], 4);
    assert_eq!(report["alreadySynced"], 2);
    assert_eq!(report["staleTempFilesRemoved"], 1);
    assert_eq!(report["downloaded"].as_array().unwrap().len(), 2);
    assert_complete(&fake, dir.path());
    assert_eq!([0, 1, 3].map(|i| fake.downloads(i)), [1, 1, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_max_file_bytes_exits_with_the_api_code_and_keeps_nothing_of_it() {
    let fake = FakeConsent::start(2, 100_000, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let output = liveramp(&fake, dir.path())
        .args(["--max-file-bytes", "99999"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("is larger than 99999 bytes"), "{stderr}");
    assert_eq!(
        visible(dir.path()),
        [LOCK_NAME.to_owned()].into(),
        "nothing of the file is kept"
    );
    // With room for it, the same run takes every file.
    let output = liveramp(&fake, dir.path())
        .args(["--max-file-bytes", "100000"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    assert_complete(&fake, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_download_exits_with_the_network_code_and_one_error_line() {
    let fake = FakeConsent::start(2, 100_000, 10).await;
    // Cut on every attempt: the sync's own retries cannot get past it.
    fake.fault_always(0, Fault::CutAfter(10));
    let dir = tempfile::tempdir().unwrap();

    let output = liveramp(&fake, dir.path()).output().await.unwrap();
    assert_eq!(output.status.code(), Some(5));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    // `--json`: the error is one JSON object with the exit code.
    let report: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(report["exitCode"], 5);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .starts_with("downloading consent file "),
        "{stderr}"
    );
    assert!(
        !stderr.contains("sig="),
        "the signed URL is not shown: {stderr}"
    );

    fake.heal(0);
    let output = liveramp(&fake, dir.path()).output().await.unwrap();
    assert!(output.status.success());
    assert_complete(&fake, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_applying_a_file_the_rerun_hands_it_again_and_it_is_applied_once() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeConsent::start(3, 1_000, 10).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("consent");
    let applied = work.path().join("applied.log");
    let paused = work.path().join("paused");
    // Applies a file once per ID (idempotent), and the first time it meets file 1 stays in the
    // middle of its work: the process is killed there, after the file's effect, before its record.
    let script = work.path().join("apply.sh");
    std::fs::write(
        &script,
        r#"#!/bin/sh
grep -qx "$LIVERAMP_CONSENT_FILE_ID" "$APPLIED" 2>/dev/null || echo "$LIVERAMP_CONSENT_FILE_ID" >> "$APPLIED"
if [ "$LIVERAMP_CONSENT_FILE_ID" = "$PAUSE_ON" ] && [ ! -e "$PAUSED" ]; then
  touch "$PAUSED"
  sleep 10
fi
exit 0
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = || {
        let mut command = liveramp(&fake, &dir);
        command
            .arg("--exec")
            .arg(&script)
            .env("APPLIED", &applied)
            .env("PAUSED", &paused)
            .env("PAUSE_ON", &fake.files()[1].id);
        command
    };

    let mut child = run().spawn().unwrap();
    let mut reached = false;
    for _ in 0..200 {
        if paused.exists() {
            reached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reached, "the handler reached file 1");
    child.kill().await.unwrap(); // SIGKILL
    let manifest = Manifest::load(&dir).unwrap();
    assert_eq!(
        manifest.files.len(),
        1,
        "only the file before the kill is recorded"
    );

    let output = run().output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_complete(&fake, &dir);
    let log = std::fs::read_to_string(&applied).unwrap();
    let ids: Vec<&str> = log.lines().collect();
    let expected: Vec<String> = fake.files().iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids, expected, "every file applied, none twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_process_on_the_same_directory_is_refused() {
    let fake = FakeConsent::start(2, 500_000, 10).await;
    fake.fault(0, Fault::StallAfter(1_000));
    let dir = tempfile::tempdir().unwrap();
    let mut first = liveramp(&fake, dir.path()).spawn().unwrap();
    let mut started = false;
    for _ in 0..200 {
        started = std::fs::read_dir(dir.path())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".part"));
        if started {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started, "the first sync is downloading");
    let second = liveramp(&fake, dir.path()).output().await.unwrap();
    assert_eq!(second.status.code(), Some(2));
    let report: serde_json::Value =
        serde_json::from_slice(&second.stderr).expect("a JSON error report");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("another consent sync is running"),
        "{report}"
    );
    // The first one's partial file is untouched by the refused second.
    assert!(
        std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".part"))
    );
    first.kill().await.unwrap();
}
