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

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::peers::Peer;
use liveramp_codegen::APIS;

/// Rounds of random success answers per operation.
const ROUNDS: usize = 12;

/// The APIs that have a module below.
const COVERED: &[&str] = &[
    "activation",
    "activation_v1",
    "consent",
    "abilitec",
    "data_integration",
];

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
            Err(liveramp::Error::Api(answer)) => Answer::Typed {
                status: answer.status.as_u16(),
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

/// A `reqwest` client that sends `headers` and asks Prism for a given status, or for its
/// default answer.
fn http(headers: &[(&'static str, &'static str)], prefer: Option<u16>) -> reqwest::Client {
    let mut defaults = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        defaults.insert(*name, value.parse().unwrap());
    }
    if let Some(code) = prefer {
        defaults.insert(
            "prefer",
            format!("code={code}, dynamic=true").parse().unwrap(),
        );
    }
    liveramp::http::client_builder()
        .default_headers(defaults)
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
            "listening on http://127.0.0.1:{port}",
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
    fn finish(mut self) {
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
        let prism = match self.prism.exited() {
            Some(status) => format!("Prism exited during the run ({status})"),
            None => "Prism is still running".to_owned(),
        };
        assert!(
            self.failures.is_empty(),
            "{}: {} failures ({prism}):\n{}",
            self.spec,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Starts Prism on `spec`, then calls `every_operation` on a client made by `client` from a
/// `reqwest` client that sends `headers`: [`ROUNDS`] times for random success answers, then once
/// per documented error status.
async fn conform<C>(
    spec: &'static str,
    headers: &[(&'static str, &'static str)],
    client: impl Fn(&str, reqwest::Client) -> C,
    every_operation: impl AsyncFn(&C) -> Vec<(&'static str, Answer)>,
) {
    let mut check = Conformance::start(spec);
    let url = check.url();
    let default = client(&url, http(headers, None));
    // The rounds run at once: Prism answers them concurrently, and one after another they
    // would mostly wait on it.
    let rounds = (0..ROUNDS).map(|_| every_operation(&default));
    for answers in futures::future::join_all(rounds).await {
        check.record(None, answers);
    }
    let codes = check.error_statuses();
    let clients: Vec<C> = codes
        .iter()
        .map(|code| client(&url, http(headers, Some(*code))))
        .collect();
    let rounds = clients.iter().map(|client| every_operation(client));
    for (code, answers) in codes
        .into_iter()
        .zip(futures::future::join_all(rounds).await)
    {
        check.record(Some(code), answers);
    }
    check.finish();
}

/// The request body example the spec gives for `operation_id` (or else its schema's example), as
/// the body type `T`.
#[cfg(any(
    feature = "activation",
    feature = "activation-v1",
    feature = "abilitec",
    feature = "data-integration"
))]
fn body_example<T: serde::de::DeserializeOwned>(spec: &str, operation_id: &str) -> T {
    use liveramp_codegen::openapiv3::ReferenceOr;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(spec);
    let doc = liveramp_codegen::load(&path).unwrap();
    let (_, _, op) = liveramp_codegen::operation(&doc, operation_id).unwrap();
    let media = &op.request_body.as_ref().unwrap().as_item().unwrap().content["application/json"];
    let example = media
        .example
        .clone()
        .or_else(|| match media.schema.as_ref()? {
            ReferenceOr::Reference { reference } => {
                let name = reference.rsplit('/').next()?;
                let schema = doc.components.as_ref()?.schemas.get(name)?.as_item()?;
                schema.schema_data.example.clone()
            }
            ReferenceOr::Item(schema) => schema.schema_data.example.clone(),
        });
    let example = example.unwrap_or_else(|| panic!("{spec}: {operation_id} has no body example"));
    serde_json::from_value(example).unwrap()
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

    const SPEC: &str = "specs/consent.yaml";

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
        let client = |url: &str, http| Client::new_with_client(url, http, common::transport(None));
        conform(SPEC, &[], client, every_operation).await;
    }

    /// The signal the conformance tests rely on: Prism reports a request that breaks the spec.
    #[tokio::test]
    async fn prism_reports_an_invalid_request() {
        let prism = Conformance::start(SPEC);
        let invalid = http(&[], None)
            .get(format!("{}/v2/consent-files?limit=1000", prism.url()))
            .send()
            .await
            .unwrap();
        let found = violations(invalid.headers()).unwrap_or_default();
        assert!(found.contains("limit"), "{found:?}");
    }
}

#[cfg(feature = "abilitec")]
mod abilitec {
    use super::*;
    use liveramp::abilitec::{Client, types};

    const SPEC: &str = "specs/abilitec.yaml";

    async fn every_operation(client: &Client) -> Vec<(&'static str, Answer)> {
        let batch: types::BatchRequest = body_example(SPEC, "batch_match");
        let key = "5d41402abc4b2a76b9719d911017c592";
        let kind = types::LookupType::Sha256;
        vec![
            (
                "match_people",
                answer!(
                    abilitec,
                    client
                        .match_people()
                        .name("mary robinson")
                        .zip_code("94104")
                        .send()
                ),
            ),
            (
                "match_places",
                answer!(
                    abilitec,
                    client
                        .match_places()
                        .street_address("1 Main St")
                        .zip_code("94104")
                        .send()
                ),
            ),
            (
                "match_households",
                answer!(
                    abilitec,
                    client
                        .match_households()
                        .name("mary robinson")
                        .zip_code("94104")
                        .send()
                ),
            ),
            (
                "match_entities",
                answer!(
                    abilitec,
                    client.match_entities().email("mary@example.com").send()
                ),
            ),
            (
                "lookup_people",
                answer!(
                    abilitec,
                    client
                        .lookup_people()
                        .lookup_type(kind.clone())
                        .key(key)
                        .send()
                ),
            ),
            (
                "lookup_places",
                answer!(
                    abilitec,
                    client
                        .lookup_places()
                        .lookup_type(kind.clone())
                        .key(key)
                        .send()
                ),
            ),
            (
                "lookup_households",
                answer!(
                    abilitec,
                    client
                        .lookup_households()
                        .lookup_type(kind.clone())
                        .key(key)
                        .send()
                ),
            ),
            (
                "lookup_entities",
                answer!(
                    abilitec,
                    client
                        .lookup_entities()
                        .lookup_type(kind.clone())
                        .key(key)
                        .send()
                ),
            ),
            (
                "batch_match",
                answer!(abilitec, client.batch_match().body(batch.clone()).send()),
            ),
            (
                "batch_lookup",
                answer!(abilitec, client.batch_lookup().body(batch).send()),
            ),
        ]
    }

    #[tokio::test]
    async fn abilitec_calls_conform_and_random_answers_decode() {
        let client = |url: &str, http| Client::new_with_client(url, http, common::transport(None));
        conform(SPEC, &[], client, every_operation).await;
    }
}

#[cfg(feature = "data-integration")]
mod data_integration {
    use super::*;
    use liveramp::data_integration::{Client, types};

    const SPEC: &str = "specs/data-integration.yaml";

    async fn every_operation(client: &Client) -> Vec<(&'static str, Answer)> {
        let request: types::NewOAuth2Request = body_example(SPEC, "create_oauth2_request");
        let pull: types::OAuth2CredentialsQuery = body_example(SPEC, "get_oauth2_credentials");
        let connection = "5f1e6a0b9c1d2e3f4a5b6c7e";
        let new_connection: types::NewConnection = body_example(SPEC, "create_connection");
        let update: types::ConnectionUpdate = body_example(SPEC, "update_connection");
        let reference: types::ConnectionRef = body_example(SPEC, "delete_connection");
        let run: types::RunRequest = body_example(SPEC, "run_river");
        vec![
            (
                "create_oauth2_request",
                answer!(
                    data_integration,
                    client.create_oauth2_request().body(request).send()
                ),
            ),
            (
                "get_oauth2_credentials",
                answer!(
                    data_integration,
                    client.get_oauth2_credentials().body(pull).send()
                ),
            ),
            (
                "list_connections",
                answer!(data_integration, client.list_connections().send()),
            ),
            (
                "list_connections_of_type",
                answer!(
                    data_integration,
                    client
                        .list_connections_of_type()
                        .connection_type("fb")
                        .cross_id(connection)
                        .send()
                ),
            ),
            (
                "create_connection",
                answer!(
                    data_integration,
                    client.create_connection().body(new_connection).send()
                ),
            ),
            (
                "update_connection",
                answer!(
                    data_integration,
                    client.update_connection().body(update).send()
                ),
            ),
            (
                "delete_connection",
                answer!(
                    data_integration,
                    client.delete_connection().body(reference).send()
                ),
            ),
            (
                "list_rivers",
                answer!(
                    data_integration,
                    client.list_rivers().group("Marketing").send()
                ),
            ),
            (
                "get_river",
                answer!(
                    data_integration,
                    client
                        .get_river()
                        .river_id("5faa76e31e78e0001d61d7cf")
                        .send()
                ),
            ),
            (
                "run_river",
                answer!(data_integration, client.run_river().body(run).send()),
            ),
            (
                "check_run",
                answer!(
                    data_integration,
                    client.check_run().run_id("5e473b95567f0d3050af5ed5").send()
                ),
            ),
            (
                "list_connection_types",
                answer!(data_integration, client.list_connection_types().send()),
            ),
            (
                "get_connection_type",
                answer!(
                    data_integration,
                    client.get_connection_type().type_("fb").send()
                ),
            ),
            ("get_me", answer!(data_integration, client.get_me().send())),
        ]
    }

    #[tokio::test]
    async fn data_integration_calls_conform_and_random_answers_decode() {
        let client = |url: &str, http| Client::new_with_client(url, http, common::transport(None));
        conform(SPEC, &[], client, every_operation).await;
    }
}

#[cfg(feature = "activation")]
mod activation {
    use super::*;
    use liveramp::activation::{Client, types};

    const SPEC: &str = "specs/activation.yaml";
    /// An identifier for every path parameter: Prism accepts any string.
    const ID: &str = "b3a1c2d4-0000-4000-8000-000000000001";

    async fn every_operation(client: &Client) -> Vec<(&'static str, Answer)> {
        vec![
            (
                "list_deliveries",
                answer!(activation, client.list_deliveries().send()),
            ),
            (
                "list_destinations",
                answer!(activation, client.list_destinations().send()),
            ),
            (
                "get_destination",
                answer!(
                    activation,
                    client.get_destination().destination_id(ID).send()
                ),
            ),
            (
                "list_destination_integrations",
                answer!(
                    activation,
                    client
                        .list_destination_integrations()
                        .destination_id(ID)
                        .send()
                ),
            ),
            (
                "get_destination_integration",
                answer!(
                    activation,
                    client
                        .get_destination_integration()
                        .destination_id(ID)
                        .integration_id(ID)
                        .send()
                ),
            ),
            (
                "create_distribution_manager",
                answer!(
                    activation,
                    client
                        .create_distribution_manager()
                        .body(body_example::<types::DistributionManagerInput>(
                            SPEC,
                            "create_distribution_manager"
                        ))
                        .send()
                ),
            ),
            (
                "list_distribution_managers",
                answer!(activation, client.list_distribution_managers().send()),
            ),
            (
                "get_distribution_manager",
                answer!(
                    activation,
                    client
                        .get_distribution_manager()
                        .distribution_manager_id(ID)
                        .send()
                ),
            ),
            (
                "update_distribution_manager",
                answer!(
                    activation,
                    client
                        .update_distribution_manager()
                        .distribution_manager_id(ID)
                        .body(body_example::<types::DistributionManagerUpdate>(
                            SPEC,
                            "update_distribution_manager"
                        ))
                        .send()
                ),
            ),
            (
                "delete_distribution_manager",
                answer!(
                    activation,
                    client
                        .delete_distribution_manager()
                        .distribution_manager_id(ID)
                        .send()
                ),
            ),
            (
                "create_segment_configs",
                answer!(
                    activation,
                    client
                        .create_segment_configs()
                        .distribution_manager_id(ID)
                        .body(body_example::<types::SegmentConfigInputs>(
                            SPEC,
                            "create_segment_configs"
                        ))
                        .send()
                ),
            ),
            (
                "delete_segment_configs",
                answer!(
                    activation,
                    client
                        .delete_segment_configs()
                        .distribution_manager_id(ID)
                        .body(body_example::<types::SegmentConfigRefs>(
                            SPEC,
                            "delete_segment_configs"
                        ))
                        .send()
                ),
            ),
            (
                "list_segment_configs",
                answer!(
                    activation,
                    client
                        .list_segment_configs()
                        .distribution_manager_id(ID)
                        .send()
                ),
            ),
            (
                "get_segment_config",
                answer!(
                    activation,
                    client
                        .get_segment_config()
                        .distribution_manager_id(ID)
                        .segment_config_id(ID)
                        .send()
                ),
            ),
            (
                "create_integration_connection",
                answer!(
                    activation,
                    client
                        .create_integration_connection()
                        .body(body_example::<types::IntegrationConnectionInput>(
                            SPEC,
                            "create_integration_connection"
                        ))
                        .send()
                ),
            ),
            (
                "list_integration_connections",
                answer!(activation, client.list_integration_connections().send()),
            ),
            (
                "get_integration_connection",
                answer!(
                    activation,
                    client
                        .get_integration_connection()
                        .integration_connection_id(ID)
                        .send()
                ),
            ),
            (
                "update_integration_connection",
                answer!(
                    activation,
                    client
                        .update_integration_connection()
                        .integration_connection_id(ID)
                        .body(body_example::<types::IntegrationConnectionUpdate>(
                            SPEC,
                            "update_integration_connection"
                        ))
                        .send()
                ),
            ),
            (
                "delete_integration_connection",
                answer!(
                    activation,
                    client
                        .delete_integration_connection()
                        .integration_connection_id(ID)
                        .send()
                ),
            ),
            (
                "list_oauth_connections",
                answer!(activation, client.list_oauth_connections().send()),
            ),
            (
                "get_oauth_connection",
                answer!(
                    activation,
                    client.get_oauth_connection().oauth_connection_id(ID).send()
                ),
            ),
            (
                "create_oauth_connection_attempt",
                answer!(
                    activation,
                    client
                        .create_oauth_connection_attempt()
                        .body(body_example::<types::OAuthConnectionAttemptInput>(
                            SPEC,
                            "create_oauth_connection_attempt"
                        ))
                        .send()
                ),
            ),
            (
                "get_oauth_connection_attempt",
                answer!(
                    activation,
                    client.get_oauth_connection_attempt().attempt_id(ID).send()
                ),
            ),
            (
                "list_segments",
                answer!(activation, client.list_segments().send()),
            ),
            (
                "get_segment",
                answer!(activation, client.get_segment().segment_id(ID).send()),
            ),
            (
                "list_segment_statuses",
                answer!(
                    activation,
                    client
                        .list_segment_statuses()
                        .segment_ids(vec![ID.to_owned()])
                        .send()
                ),
            ),
        ]
    }

    #[tokio::test]
    async fn activation_calls_conform_and_random_answers_decode() {
        let client = |url: &str, http| {
            Client::new_with_client(url, http, common::transport(Some(common::ORG_ID)))
        };
        conform(SPEC, &[], client, every_operation).await;
    }
}

#[cfg(feature = "activation-v1")]
mod activation_v1 {
    use super::*;
    use liveramp::activation_v1::{Client, types};
    use liveramp::transport::Transport;

    const SPEC: &str = "specs/activation-v1.yaml";

    async fn every_operation(client: &Client) -> Vec<(&'static str, Answer)> {
        let account: types::CreateDestinationAccountRequest =
            body_example(SPEC, "create_destination_account");
        let oauth: types::OAuthAuthorizationRequest =
            body_example(SPEC, "perform_oauth_authorization");
        vec![
            (
                "list_destinations",
                answer!(activation_v1, client.list_destinations().send()),
            ),
            (
                "new_destination_account_template",
                answer!(
                    activation_v1,
                    client
                        .new_destination_account_template()
                        .destination_id(1234)
                        .send()
                ),
            ),
            (
                "create_destination_account",
                answer!(
                    activation_v1,
                    client.create_destination_account().body(account).send()
                ),
            ),
            (
                "get_destination_account",
                answer!(activation_v1, client.get_destination_account().id(5).send()),
            ),
            (
                "perform_oauth_authorization",
                answer!(
                    activation_v1,
                    client
                        .perform_oauth_authorization()
                        .id(5)
                        .body(oauth)
                        .send()
                ),
            ),
        ]
    }

    #[tokio::test]
    async fn activation_v1_calls_conform_and_random_answers_decode() {
        // v1 authenticates with an API key header, which the caller's reqwest client sends.
        let client =
            |url: &str, http| Client::new_with_client(url, http, Transport::builder().build());
        conform(
            SPEC,
            &[("x-api-key", "test-api-key")],
            client,
            every_operation,
        )
        .await;
    }
}
