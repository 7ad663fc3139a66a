//! Conformance against Prism, a spec-driven mock server we did not write.
//!
//! For each API: every operation, called through the typed client with valid inputs, must pass
//! Prism's request validation, and every random schema-valid answer Prism makes up (dynamic mode)
//! must decode — the success answers, and each documented error answer (asked for with
//! `Prefer: code=<status>`), which must decode into the API's error type.
//!
//! Prism runs without `--errors`: it then still answers a request that breaks the spec and lists
//! every violation in its `sl-violations` header, which is checked on every answer, so one run
//! reports all the violations of all the calls.
//!
//! Adding an API is one module: a function calling each of its operations, and a test.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::peers::Peer;
use liveramp_codegen::APIS;

/// Rounds of random success answers per operation.
const ROUNDS: usize = 12;

/// The APIs that have a module below.
const COVERED: &[&str] = &["consent"];

/// What one typed call got back.
enum Answer {
    /// A decoded answer (success or documented error) and Prism's violations, if any.
    Typed {
        status: u16,
        violations: Option<String>,
    },
    /// Anything else: an answer that does not decode, an undocumented status, no connection.
    Failed(String),
}

/// Runs one typed call of the API module `$api` and classifies its result as an [`Answer`].
macro_rules! answer {
    ($api:ident, $call:expr) => {
        match $call.await {
            Ok(answer) => Answer::Typed {
                status: answer.status().as_u16(),
                violations: violations(answer.headers()),
            },
            Err(liveramp::$api::Error::ErrorResponse(answer)) => Answer::Typed {
                status: answer.status().as_u16(),
                violations: violations(answer.headers()),
            },
            Err(e) => Answer::Failed(e.to_string()),
        }
    };
}

/// Prism's report of a request that breaks the spec: its `sl-violations` header.
fn violations(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("sl-violations")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A `reqwest` client that asks Prism for a given status, or for its default answer.
fn http(prefer: Option<u16>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(code) = prefer {
        headers.insert(
            "prefer",
            format!("code={code}, dynamic=true").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A Prism mock of one spec and what the calls against it showed.
struct Conformance {
    prism: Peer,
    spec: &'static str,
    /// Each operation's documented error statuses.
    errors: BTreeMap<String, BTreeSet<u16>>,
    called: BTreeSet<&'static str>,
    failures: Vec<String>,
}

impl Conformance {
    /// Starts `prism mock --dynamic` on the spec.
    fn start(spec: &'static str) -> Conformance {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(spec);
        let doc = liveramp_codegen::load(&path).unwrap();
        let errors = doc
            .paths
            .iter()
            .filter_map(|(_, item)| item.as_item())
            .flat_map(|item| item.iter().map(|(_, op)| op))
            .map(|op| {
                let codes = op.responses.responses.keys().filter_map(|code| match code {
                    liveramp_codegen::openapiv3::StatusCode::Code(c) if *c >= 400 => Some(*c),
                    _ => None,
                });
                (op.operation_id.clone().unwrap(), codes.collect())
            })
            .collect();
        let prism = Peer::spawn(
            "prism",
            &[
                "mock",
                "-d",
                path.to_str().unwrap(),
                "-p",
                "{port}",
                "-h",
                "127.0.0.1",
            ],
        );
        Conformance {
            prism,
            spec,
            errors,
            called: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// The mock's base URL.
    fn url(&self) -> String {
        self.prism.url()
    }

    /// Every error status some operation documents.
    fn error_statuses(&self) -> BTreeSet<u16> {
        self.errors.values().flatten().copied().collect()
    }

    /// Records one round of calls made with `prefer` (None: Prism's default success answer).
    fn record(&mut self, prefer: Option<u16>, answers: Vec<(&'static str, Answer)>) {
        for (operation_id, answer) in answers {
            self.called.insert(operation_id);
            let documents = |code| {
                self.errors
                    .get(operation_id)
                    .is_some_and(|c| c.contains(&code))
            };
            if prefer.is_some_and(|code| !documents(code)) {
                continue;
            }
            let round = match prefer {
                Some(code) => format!("asked for {code}"),
                None => "success".to_owned(),
            };
            let problem = match answer {
                Answer::Failed(e) => Some(format!("the call failed: {e}")),
                Answer::Typed {
                    violations: Some(v),
                    ..
                } => Some(format!("Prism reports request violations: {v}")),
                Answer::Typed { status, .. } => match prefer {
                    Some(code) if status != code => Some(format!("status {status}")),
                    None if !(200..300).contains(&status) => Some(format!("status {status}")),
                    _ => None,
                },
            };
            if let Some(problem) = problem {
                self.failures
                    .push(format!("{operation_id} ({round}): {problem}"));
            }
        }
    }

    /// Fails unless every operation of the spec was called and every call conformed.
    fn finish(self) {
        let missing: Vec<&String> = self
            .errors
            .keys()
            .filter(|id| !self.called.contains(id.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: operations never called: {missing:?}",
            self.spec
        );
        assert!(
            self.failures.is_empty(),
            "{}: {} failures:\n{}",
            self.spec,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

#[test]
fn every_api_with_a_spec_has_conformance_calls() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let uncovered: Vec<&str> = APIS
        .iter()
        .filter(|api| root.join(api.spec).exists() && !COVERED.contains(&api.module))
        .map(|api| api.spec)
        .collect();
    assert!(
        uncovered.is_empty(),
        "specs without a module in tests/conformance_prism.rs: {uncovered:?}"
    );
}

#[cfg(feature = "consent")]
mod consent {
    use super::*;
    use liveramp::consent::Client;

    async fn every_operation(client: &Client) -> Vec<(&'static str, Answer)> {
        let after: chrono::DateTime<chrono::Utc> = "2019-11-01T00:00:00Z".parse().unwrap();
        let before: chrono::DateTime<chrono::Utc> = "2019-12-01T00:00:00Z".parse().unwrap();
        vec![
            (
                "list_consent_files",
                answer!(consent, client.list_consent_files().send()),
            ),
            (
                "list_consent_files",
                answer!(
                    consent,
                    client
                        .list_consent_files()
                        .limit(100)
                        .after("eyJpZCI6IjEyMyJ9")
                        .created_after(after)
                        .created_before(before)
                        .send()
                ),
            ),
        ]
    }

    #[tokio::test]
    async fn consent_calls_conform_and_random_answers_decode() {
        let mut check = Conformance::start("specs/consent.yaml");
        let url = check.url();
        let client = |prefer| Client::new_with_client(&url, http(prefer), common::transport(None));
        // The signal this test relies on: Prism reports an invalid request.
        let invalid = reqwest::get(format!("{}/v2/consent-files?limit=1000", check.url()))
            .await
            .unwrap();
        assert!(violations(invalid.headers()).is_some());
        let default = client(None);
        for _ in 0..ROUNDS {
            check.record(None, every_operation(&default).await);
        }
        for code in check.error_statuses() {
            let answers = every_operation(&client(Some(code))).await;
            check.record(Some(code), answers);
        }
        check.finish();
    }
}
