//! `liveramp consent sync` as a process: killed mid-download and rerun, a cut download's exit
//! code, `--json` output.

mod support;

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
        .args(["--json", "consent", "sync", "--dir"])
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
