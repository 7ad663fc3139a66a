//! Conformance against Prism, a spec-driven mock server we did not write: every operation, called
//! through the typed client with valid inputs, passes Prism's request validation (0 violations in
//! its `sl-violations` header), and every random schema-valid answer Prism makes up (dynamic mode)
//! decodes. Adding an API is one module: a function calling each of its operations, and a test.

mod common;

use std::collections::BTreeSet;

use common::peers::Peer;

/// Random answers decoded per operation.
const ITERATIONS: usize = 12;

/// What one call showed: `Err` with what went wrong.
type Outcome = Result<(), String>;

/// Runs one typed call and turns its result into an [`Outcome`].
macro_rules! outcome {
    ($call:expr) => {
        match $call.await {
            Ok(answer) => violations(answer.headers()),
            Err(e) => Err(format!("the call failed: {e}")),
        }
    };
}

/// Prism's report of a request that breaks the spec: the `sl-violations` header.
fn violations(headers: &reqwest::header::HeaderMap) -> Outcome {
    match headers.get("sl-violations") {
        None => Ok(()),
        Some(v) => Err(format!(
            "Prism reports request violations: {}",
            String::from_utf8_lossy(v.as_bytes())
        )),
    }
}

/// A Prism mock of one spec and what the calls against it showed.
struct Conformance {
    prism: Peer,
    spec: &'static str,
    called: BTreeSet<&'static str>,
    failures: Vec<String>,
}

impl Conformance {
    /// Starts `prism mock --dynamic` on the spec.
    fn start(spec: &'static str) -> Conformance {
        let path = format!("{}/{spec}", env!("CARGO_MANIFEST_DIR"));
        let prism = Peer::spawn(
            "prism",
            &["mock", "-d", &path, "-p", "{port}", "-h", "127.0.0.1"],
        );
        Conformance {
            prism,
            spec,
            called: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// The mock's base URL.
    fn url(&self) -> String {
        self.prism.url()
    }

    /// Records the outcome of one round of calls.
    fn record(&mut self, round: usize, outcomes: Vec<(&'static str, Outcome)>) {
        for (operation_id, outcome) in outcomes {
            self.called.insert(operation_id);
            if let Err(e) = outcome {
                self.failures
                    .push(format!("{operation_id} (round {round}): {e}"));
            }
        }
    }

    /// Fails unless every operation of the spec was called and every call conformed.
    fn finish(self) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(self.spec);
        let doc = liveramp_codegen::load(&path).unwrap();
        let missing: Vec<String> = liveramp_codegen::operations::operation_rows(&doc)
            .into_iter()
            .map(|row| row.operation_id)
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

#[cfg(feature = "consent")]
mod consent {
    use super::*;
    use liveramp::consent::Client;

    async fn every_operation(client: &Client) -> Vec<(&'static str, Outcome)> {
        let after: chrono::DateTime<chrono::Utc> = "2019-11-01T00:00:00Z".parse().unwrap();
        let before: chrono::DateTime<chrono::Utc> = "2019-12-01T00:00:00Z".parse().unwrap();
        vec![
            (
                "list_consent_files",
                outcome!(client.list_consent_files().send()),
            ),
            (
                "list_consent_files",
                outcome!(
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
        let client = Client::new_with_client(
            &check.url(),
            reqwest::Client::new(),
            common::transport(None),
        );
        // The signal this test relies on: an invalid request is reported.
        let invalid = reqwest::get(format!("{}/v2/consent-files?limit=1000", check.url()))
            .await
            .unwrap();
        assert!(violations(invalid.headers()).is_err());
        for round in 0..ITERATIONS {
            check.record(round, every_operation(&client).await);
        }
        check.finish();
    }
}
