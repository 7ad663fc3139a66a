//! Every `liveramp` command end to end against the sandbox, `--json` output parsed.

use std::collections::BTreeMap;
use std::process::{Output, Stdio};
use std::time::Duration;

use liveramp_sandbox::{RouteMatch, Sandbox};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A sandbox and the environment that points the CLI at it.
struct Harness {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    env: BTreeMap<&'static str, String>,
}

impl Harness {
    async fn start() -> Self {
        let sandbox = Sandbox::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let env =
            liveramp_cli::sandbox::environment(&sandbox, &dir.path().join("credentials.json"))
                .unwrap();
        Self { sandbox, dir, env }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_liveramp"));
        for (name, _) in std::env::vars() {
            if name.starts_with("LIVERAMP_") {
                command.env_remove(name);
            }
        }
        command
            .args(args)
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    /// Runs `abilitec match-file input --output output`.
    async fn match_file_to(&self, input: &str, output: &std::path::Path) -> Output {
        let output = output.display().to_string();
        self.run(&["abilitec", "match-file", input, "--output", &output])
            .await
    }

    /// Runs `args` with `--json`, expects success, parses stdout.
    async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all).await;
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&output.stdout))
        })
    }

    /// Runs a command that prints a URL to open on stderr, opens it like a browser, and
    /// returns the command's JSON output.
    async fn with_browser(&self, args: &[&str]) -> (String, Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let mut child = self.command(&all).spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let line = lines.next_line().await.unwrap().expect("a URL on stderr");
                if line.starts_with("http") {
                    return line;
                }
            }
        })
        .await
        .unwrap();
        let page = liveramp::http::client()
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap();
        assert!(page.status().is_success(), "{}", page.status());
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(output.status.success());
        (url, serde_json::from_slice(&output.stdout).unwrap())
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_check_gets_a_token_with_each_credential() {
    let h = Harness::start().await;
    let checks = h.json(&["auth", "check"]).await;
    let by_name: BTreeMap<_, _> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["credential"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_name["service-account"], "ok");
    assert_eq!(by_name["abilitec"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_check_with_a_wrong_secret_exits_three_without_showing_it() {
    let h = Harness::start().await;
    let path = h.dir.path().join("wrong.json");
    let mut credentials: Value = serde_json::from_str(&h.sandbox.service_account_json()).unwrap();
    credentials["secret_key"] = "not-the-secret-key-1234".into();
    crate::support::write_credentials(&path, &credentials);
    let output = h
        .command(&["auth", "check"])
        .env("LIVERAMP_CREDENTIALS", &path)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("not-the-secret-key-1234"), "{all}");
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("error: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_destinations_integrations_and_connections() {
    let h = Harness::start().await;
    let destinations = h.json(&["activation", "destinations"]).await;
    let destination_ids = ids(&destinations);
    assert!(!destination_ids.is_empty());
    let unique: std::collections::BTreeSet<_> = destination_ids.iter().collect();
    assert_eq!(unique.len(), destination_ids.len(), "every page once");

    // An integration without OAuth, to connect directly.
    let mut plain = None;
    for destination in &destination_ids {
        let integrations = h
            .json(&[
                "activation",
                "integrations",
                "--destination-id",
                destination,
            ])
            .await;
        if let Some(found) = integrations
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i.get("oAuthEndpointID").is_none())
        {
            plain = Some((destination.clone(), found.clone()));
            break;
        }
    }
    let (destination, integration) = plain.expect("an integration without OAuth");
    let mut args: Vec<String> = [
        "activation",
        "connections",
        "create",
        "--destination-id",
        &destination,
        "--integration-id",
        integration["id"].as_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    for property in integration["requiredProperties"].as_array().unwrap() {
        args.push("--property".into());
        args.push(format!("{}=value", property["name"].as_str().unwrap()));
    }
    for device_type in integration["deviceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .take(1)
    {
        args.push("--device-type".into());
        args.push(device_type.as_str().unwrap().to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let created = h.json(&args).await;
    let id = created["id"].as_str().unwrap().to_owned();

    let listed = h.json(&["activation", "connections", "list"]).await;
    assert!(ids(&listed).contains(&id));
    let got = h.json(&["activation", "connections", "get", &id]).await;
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["integrationID"][0], destination.as_str());
    let deleted = h.json(&["activation", "connections", "delete", &id]).await;
    assert_eq!(deleted["id"], id.as_str());
    let missing = h.run(&["activation", "connections", "get", &id]).await;
    assert_eq!(
        missing.status.code(),
        Some(4),
        "a deleted connection is a 404"
    );
    // Found by review: a malformed `--property` was quoted in the error, and its value may be
    // a platform's API key.
    for json in [false, true] {
        let mut malformed = vec!["activation", "connections", "create"];
        if json {
            malformed.insert(0, "--json");
        }
        malformed.extend([
            "--destination-id",
            &destination,
            "--integration-id",
            "1",
            "--property",
            "apiKey:s3cr3t",
        ]);
        let refused = h.run(&malformed).await;
        assert_eq!(refused.status.code(), Some(2));
        let shown = String::from_utf8_lossy(&refused.stderr);
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_oauth_connect_prints_the_url_and_the_new_connection() {
    let h = Harness::start().await;
    let mut endpoint = None;
    for destination in ids(&h.json(&["activation", "destinations"]).await) {
        let integrations = h
            .json(&[
                "activation",
                "integrations",
                "--destination-id",
                &destination,
            ])
            .await;
        if let Some(id) = integrations
            .as_array()
            .unwrap()
            .iter()
            .find_map(|i| i["oAuthEndpointID"].as_str())
        {
            endpoint = Some(id.to_owned());
            break;
        }
    }
    let endpoint = endpoint.expect("an integration with OAuth");
    let (url, connected) = h
        .with_browser(&["activation", "oauth", "connect", "--endpoint-id", &endpoint])
        .await;
    assert!(url.starts_with(h.sandbox.url()));
    // Found by review: the report repeated the URL, which carries the flow's state, on stdout.
    assert!(!connected.to_string().contains(&url), "{connected}");
    let id = connected["oAuthConnectionID"].as_str().unwrap();
    assert!(!id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_list_and_a_sync_cut_by_a_fault_then_finished() {
    let h = Harness::start().await;
    let files = h.json(&["consent", "list"]).await;
    let file_ids = ids(&files);
    assert!(file_ids.len() >= 2);
    // A signed URL lets anyone download the file: the listing leaves it out, in both modes.
    for file in files.as_array().unwrap() {
        assert!(file.get("fileURL").is_none(), "{file}");
        assert!(file.get("createdAt").is_some(), "{file}");
    }
    let human = h.run(&["consent", "list"]).await;
    assert!(human.status.success());
    assert!(!String::from_utf8_lossy(&human.stdout).contains("signature="));

    let dir = h.dir.path().join("consent");
    let dir_arg = dir.to_str().unwrap();
    // Cut three times in a row: more than the sync's own retries of one file.
    h.sandbox
        .faults()
        .drop_mid_body(RouteMatch::operation("download_consent_file"), 3);
    // One at a time, so that the three cuts fall on one file.
    let cut = h
        .run(&[
            "consent",
            "sync",
            "--downloads-in-flight",
            "1",
            "--dir",
            dir_arg,
        ])
        .await;
    assert_eq!(
        cut.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );

    let report = h.json(&["consent", "sync", "--dir", dir_arg]).await;
    assert_eq!(report["listed"], file_ids.len());
    let again = h.json(&["consent", "sync", "--dir", dir_arg]).await;
    assert_eq!(again["downloaded"].as_array().unwrap().len(), 0);
    assert_eq!(again["alreadySynced"], file_ids.len());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<_> = file_ids.iter().map(|id| format!("{id}.csv")).collect();
    expected.push("consent-manifest.json".to_owned());
    expected.push(liveramp::consent::sync::LOCK_NAME.to_owned());
    expected.sort();
    assert_eq!(names, expected, "every file once, no partial file");

    // Found by review: under `--json`, what `--exec`'s program printed went to stdout too, and
    // the report no longer parsed.
    let applied = h.dir.path().join("applied");
    let applied_arg = applied.to_str().unwrap();
    let report = h
        .json(&[
            "consent",
            "sync",
            "--dir",
            applied_arg,
            "--exec",
            "/bin/echo",
        ])
        .await;
    assert_eq!(
        report["downloaded"].as_array().unwrap().len(),
        file_ids.len()
    );
    // A size limit of 0 would refuse every file: a usage error.
    let zero = h
        .run(&[
            "consent",
            "sync",
            "--dir",
            applied_arg,
            "--max-file-bytes",
            "0",
        ])
        .await;
    assert_eq!(zero.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_answers_a_consumer_link_and_refuses_a_bad_email() {
    let h = Harness::start().await;
    let args = [
        "abilitec",
        "match",
        "--name",
        "Jane Doe",
        "--street-address",
        "100 Main St",
        "--city",
        "Little Rock",
        "--state",
        "AR",
        "--zip-code",
        "72201",
    ];
    let first = h.json(&args).await;
    let link = first["document"]["person"]["abilitec"]["consumerLink"].clone();
    assert!(link.is_string(), "{first}");
    assert_eq!(
        h.json(&args).await["document"],
        first["document"],
        "deterministic"
    );

    let bad = h
        .run(&["abilitec", "match", "--email", "not-an-email"])
        .await;
    assert!(matches!(bad.status.code(), Some(2 | 4)), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_integration_oauth_waits_for_the_browser() {
    let h = Harness::start().await;
    let (url, received) = h
        .with_browser(&[
            "data-integration",
            "oauth",
            "--datasource",
            "fb",
            "--validity",
            "300",
        ])
        .await;
    // Found by review: the report repeated the URL, which carries the pull_id, on stdout.
    assert!(!received.to_string().contains(&url), "{received}");
    assert_eq!(received["accessTokenReceived"], true);
    let shown = received.to_string();
    assert!(!shown.contains("access_token\""), "{shown}");

    let refused = h
        .run(&[
            "data-integration",
            "oauth",
            "--datasource",
            "fb",
            "--validity",
            "5",
        ])
        .await;
    assert_eq!(
        refused.status.code(),
        Some(2),
        "validity below 300 s is refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_command_serves_until_stopped() {
    let h = Harness::start().await;
    let mut child = h
        .command(&["--json", "sandbox", "--port", "0"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let started: Value = serde_json::from_str(&line).unwrap();
    let env: BTreeMap<String, String> = serde_json::from_value(started["env"].clone()).unwrap();
    assert!(env["LIVERAMP_CONSENT_URL"].starts_with(started["url"].as_str().unwrap()));

    let listed = Command::new(env!("CARGO_BIN_EXE_liveramp"))
        .args(["--json", "consent", "list"])
        .envs(&env)
        .output()
        .await
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let files: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(!files.as_array().unwrap().is_empty());
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_walks_through_every_api() {
    let h = Harness::start().await;
    let steps = h.json(&["demo"]).await;
    let apis: std::collections::BTreeSet<_> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["api"].as_str().unwrap().to_owned())
        .collect();
    for api in [
        "token",
        "activation",
        "activation oauth",
        "browser",
        "consent",
        "consent sync",
        "abilitec",
        "data integration",
    ] {
        assert!(apis.contains(api), "{api} missing from {apis:?}");
    }
    let text = h.run(&["demo"]).await;
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("oAuthConnectionID"), "{text}");
    assert!(!text.contains(h.sandbox.data_integration_token()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_file_writes_every_row_in_order_with_a_summary() {
    let h = Harness::start().await;
    let input = h.dir.path().join("people.csv");
    let mut text = String::from("email,firstName,lastName,zipCode\n");
    for i in 0..30 {
        if i == 4 {
            text.push_str("opted-out@example.com,,,\n");
        } else {
            text.push_str(&format!("p{i}@example.com,\"O'Brien, Zoë\",Smith,72201\n"));
        }
    }
    std::fs::write(&input, text).unwrap();
    let input = input.display().to_string();

    let output = h
        .run(&["abilitec", "match-file", &input, "--format", "jsonl"])
        .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 30);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["row"], i + 1);
        let expected = if i == 4 { "error" } else { "matched" };
        assert_eq!(line["outcome"], expected, "{line}");
    }
    assert_eq!(lines[4]["code"], liveramp::error::abilitec::OPTED_OUT);
    let summary = String::from_utf8(output.stderr).unwrap();
    assert!(
        summary.contains("30 rows: 29 matched, 0 not found, 1 error 600-0117"),
        "{summary}"
    );

    let results = h.dir.path().join("results.csv");
    // Found by review: a results file that was there kept its mode, readable by all.
    std::fs::write(&results, "old").unwrap();
    std::fs::set_permissions(
        &results,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let output = h.match_file_to(&input, &results).await;
    assert!(output.status.success());
    let mode = std::os::unix::fs::PermissionsExt::mode(&results.metadata().unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // Found by review: the credentials file the run had just read could be its output.
    let credentials = &h.env["LIVERAMP_CREDENTIALS"];
    let before = std::fs::read(credentials).unwrap();
    let clobber = h
        .run(&["abilitec", "match-file", &input, "--output", credentials])
        .await;
    assert_eq!(clobber.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&clobber.stderr).contains("credentials file"));
    assert_eq!(std::fs::read(credentials).unwrap(), before);
    let mut reader = csv::Reader::from_path(&results).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 30);
    assert_eq!(&rows[0][1], "matched");
    assert!(!rows[0][2].is_empty(), "a consumer link");
    assert_eq!(&rows[4][3], "600-0117");

    // Found by review: `--json` wrote CSV to stdout and dropped the summary. Under it the
    // results default to JSON Lines, and with `--output` the summary is stdout's JSON.
    let output = h.run(&["--json", "abilitec", "match-file", &input]).await;
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 30);
    assert!(
        stdout
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "{stdout}"
    );
    let results = results.display().to_string();
    let output = h
        .run(&[
            "--json",
            "abilitec",
            "match-file",
            &input,
            "--output",
            &results,
        ])
        .await;
    assert!(output.status.success());
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["matched"], 29, "{summary}");
    // The file keeps the default format, CSV.
    assert_eq!(
        csv::Reader::from_path(&results).unwrap().records().count(),
        30
    );
    // Found by review: `--json --format csv` wrote CSV to stdout. It needs `--output`.
    let output = h
        .run(&[
            "--json",
            "abilitec",
            "match-file",
            &input,
            "--format",
            "csv",
        ])
        .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let report: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert!(
        report["error"].as_str().unwrap().contains("--output"),
        "{report}"
    );
}

/// The file is checked whole before anything is sent: a bad last row fails the run with a usage
/// error naming it, and no result is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_file_refuses_a_bad_row_before_sending_anything() {
    let h = Harness::start().await;
    let input = h.dir.path().join("people.csv");
    let mut text = String::from("email,zipCode\n");
    for i in 0..29 {
        text.push_str(&format!("p{i}@example.com,72201\n"));
    }
    text.push_str("not-an-email,72201\n");
    std::fs::write(&input, text).unwrap();
    let results = h.dir.path().join("results.csv");
    let output = h
        .run(&[
            "abilitec",
            "match-file",
            &input.display().to_string(),
            "--output",
            &results.display().to_string(),
        ])
        .await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("row 30") && stderr.contains("email"),
        "{stderr}"
    );
    assert!(
        !results.exists(),
        "nothing is written before every row is checked"
    );
}

/// A file of more rows than `--max-rows` fails the run before anything is sent; one of exactly
/// that many is matched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_file_refuses_more_rows_than_max_rows() {
    let h = Harness::start().await;
    let input = h.dir.path().join("people.csv");
    let mut text = String::from("email,zipCode\n");
    for i in 0..12 {
        text.push_str(&format!("p{i}@example.com,72201\n"));
    }
    std::fs::write(&input, text).unwrap();
    let input = input.display().to_string();
    let results = h.dir.path().join("results.csv");
    let output = h
        .run(&[
            "abilitec",
            "match-file",
            &input,
            "--max-rows",
            "11",
            "--output",
            &results.display().to_string(),
        ])
        .await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("more than 11 rows") && stderr.contains("--max-rows"),
        "{stderr}"
    );
    assert!(!results.exists(), "nothing is written");
    let output = h
        .run(&[
            "--json",
            "abilitec",
            "match-file",
            &input,
            "--max-rows",
            "12",
        ])
        .await;
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().lines().count(),
        12
    );
    let zero = h
        .run(&["abilitec", "match-file", &input, "--max-rows", "0"])
        .await;
    assert_eq!(zero.status.code(), Some(2));
}

/// A row longer than the bound fails the run with a usage error naming it, and its text is not
/// echoed; a row that does not end within the read bound fails before the reader holds it
/// whole; a row just under the bound is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_file_refuses_a_row_longer_than_the_bound() {
    let h = Harness::start().await;
    let input = h.dir.path().join("people.csv");
    let bound = liveramp_cli::match_file::MAX_ROW_BYTES;
    let rows = |third: &str| {
        format!("email,zipCode,note\na@example.com,72201,\nb@example.com,72201,\n{third}\n")
    };
    // The run's exit code and stderr on `contents`.
    let match_file = async |contents: String| {
        std::fs::write(&input, contents).unwrap();
        let output = h
            .run(&["abilitec", "match-file", &input.display().to_string()])
            .await;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stderr)
    };
    for (long, expected) in [
        ("x".repeat(bound * 4), "row 3 is longer than 64 KiB"),
        ("x".repeat(bound * 32), "row 3: no row ends within 1024 KiB"),
    ] {
        let (code, stderr) = match_file(rows(&format!("{long}@example.com,72201,"))).await;
        assert_eq!(code, Some(2));
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("xxxxxxxx"), "the row is not echoed");
    }
    // The bound is exact: a valid row (blank fields are skipped) a little over it is refused.
    let padding = " ".repeat(bound + 6 * 1024);
    let (code, stderr) = match_file(rows(&format!("c@example.com,72201,{padding}"))).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("row 3 is longer than 64 KiB"), "{stderr}");
    // Blank lines are no row's length.
    let blank = "\n".repeat(100 * 1024);
    let (code, stderr) = match_file(rows(&format!("{blank}c@example.com,72201,"))).await;
    assert_eq!(code, Some(0), "{stderr}");
    // A header longer than the bound is refused too.
    let long_name = "n".repeat(bound * 2);
    let (code, stderr) = match_file(format!("email,{long_name}\na@example.com,x\n")).await;
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the header is longer than 64 KiB"),
        "{stderr}"
    );
    // Blank fields are skipped, so padding makes a valid row of any length.
    let padding = " ".repeat(bound - 64);
    let (code, stderr) = match_file(rows(&format!("c@example.com,72201,{padding}"))).await;
    assert_eq!(code, Some(0), "{stderr}");
}

/// A file without a header has its first row read as one: the run fails on the unknown column
/// names without repeating them (they are a person's email and zip code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_file_without_a_header_does_not_echo_its_first_row() {
    let h = Harness::start().await;
    let input = h.dir.path().join("people.csv");
    std::fs::write(
        &input,
        "jane.doe@example.com,72201\nbob@example.com,10001\n",
    )
    .unwrap();
    let output = h
        .run(&["abilitec", "match-file", &input.display().to_string()])
        .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not one of match_people's"), "{stderr}");
    assert!(
        stderr.contains("email"),
        "the names it takes are listed: {stderr}"
    );
    for value in ["jane.doe", "72201", "bob@example.com"] {
        assert!(!stderr.contains(value), "{stderr}");
    }
}

/// An output that is the input itself is refused before anything happens to the input; so is
/// input that cannot be read twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abilitec_match_file_refuses_to_write_over_its_input() {
    let h = Harness::start().await;
    let input = h.dir.path().join("people.csv");
    let text = "email,zipCode\np1@example.com,72201\n";
    std::fs::write(&input, text).unwrap();
    let path = input.display().to_string();
    let output = h
        .run(&["abilitec", "match-file", &path, "--output", &path])
        .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is the input file"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        text,
        "the input is intact"
    );
    // Found by review: a hard link to the input passed as another file.
    let link = h.dir.path().join("link.csv");
    std::fs::hard_link(&input, &link).unwrap();
    let output = h.match_file_to(&path, &link).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
    // Found by review: a symlink planted at the output path had its target emptied.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let victim = h.dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let planted = h.dir.path().join("planted.csv");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let output = h.match_file_to(&path, &planted).await;
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        // A new results file is its owner's only.
        let fresh = h.dir.path().join("fresh.csv");
        let output = h.match_file_to(&path, &fresh).await;
        assert!(output.status.success(), "{output:?}");
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // An output that cannot be created is a local file's failure (1), not a usage error.
    let nowhere = h.dir.path().join("missing-dir").join("out.csv");
    let output = h.match_file_to(&path, &nowhere).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let output = h
        .run(&[
            "abilitec",
            "match-file",
            &h.dir.path().display().to_string(),
        ])
        .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
}
