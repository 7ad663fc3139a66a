//! The sandbox's answers checked against the specs by Prism, a validating proxy we did not write.
//!
//! For each API, `prism proxy <spec> <sandbox base URL>` stands between the typed client and the
//! sandbox. Prism checks every request and every answer against the spec and lists what breaks
//! it in the `sl-violations` header (`--errors=false`: the answer itself passes through). A
//! realistic walk calls every operation the sandbox implements; every answer must decode and
//! carry no violation. A spec operation neither called nor listed as not served fails the test.
//! `prism_reports_a_violation` shows the header signal works, so the checks cannot pass vacuously.

use crate::common;

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use liveramp::{abilitec, activation, activation_v1, data_integration};
use liveramp_sandbox::{FaultAction, FaultRule, RouteMatch, Sandbox};

/// The repository root (the sandbox crate lives in `sandbox/`).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `prism proxy`, killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    /// Starts `prism proxy` on `spec` (relative to the repository root) in front of `upstream`.
    fn start(spec: &str, upstream: &str) -> Proxy {
        let bin = root().join("tests/peers/node_modules/.bin/prism");
        assert!(
            bin.exists(),
            "{} is missing: run `npm ci --prefix tests/peers` first",
            bin.display()
        );
        let command = |port: u16| {
            let mut command = Command::new(&bin);
            command
                .arg("proxy")
                .arg(root().join(spec))
                .arg(upstream)
                .args(["-p", &port.to_string(), "-h", "127.0.0.1", "--errors=false"]);
            command
        };
        let (child, port) = common::server::start_on_free_port(
            "prism proxy",
            command,
            "listening on http://127.0.0.1:{port}",
            Duration::from_secs(60),
        );
        Proxy { child, port }
    }

    /// `http://127.0.0.1:<port>`.
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prism's report on one exchange: its `sl-violations` header.
fn violations(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("sl-violations")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// What the calls of one API showed.
struct Check {
    spec: &'static str,
    called: BTreeSet<&'static str>,
    failures: Vec<String>,
}

impl Check {
    fn new(spec: &'static str) -> Check {
        Check {
            spec,
            called: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Records an answer of `operation_id` that decoded, with its headers.
    fn answered(&mut self, operation_id: &'static str, headers: &reqwest::header::HeaderMap) {
        self.called.insert(operation_id);
        if let Some(v) = violations(headers) {
            self.failures
                .push(format!("{operation_id}: Prism reports violations: {v}"));
        }
    }

    /// Records a call of `operation_id` that did not succeed.
    fn failed(&mut self, operation_id: &'static str, problem: String) {
        self.called.insert(operation_id);
        self.failures.push(format!("{operation_id}: {problem}"));
    }

    /// A value an earlier call should have produced, or a failure listing what went wrong.
    fn need<T>(&self, value: Option<T>) -> T {
        value.unwrap_or_else(|| panic!("{}: {:#?}", self.spec, self.failures))
    }

    /// Fails unless every operation of the spec was called or listed in `not_served` (with a
    /// reason), and every call decoded without a violation.
    fn finish(self, not_served: &[(&str, &str)]) {
        let text = std::fs::read_to_string(root().join(self.spec)).unwrap();
        let operations: BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("operationId:"))
            .map(str::trim)
            .collect();
        assert!(!operations.is_empty(), "{}: no operations", self.spec);
        let missing: Vec<&&str> = operations
            .iter()
            .filter(|op| !self.called.contains(**op))
            .filter(|op| !not_served.iter().any(|(n, _)| n == *op))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: operations neither called nor listed: {missing:?}",
            self.spec
        );
        let stale: Vec<&&str> = not_served
            .iter()
            .map(|(n, _)| n)
            .filter(|n| !operations.contains(**n) || self.called.contains(**n))
            .collect();
        assert!(stale.is_empty(), "{}: stale list: {stale:?}", self.spec);
        assert!(
            self.failures.is_empty(),
            "{}: {} failures:\n{}",
            self.spec,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Runs one typed call of operation `$op` of API module `$api`, records it in `$check`, and
/// gives its decoded answer (None on failure).
macro_rules! call {
    ($check:expr, $api:ident, $op:literal, $call:expr) => {
        match $call.await {
            Ok(answer) => {
                $check.answered($op, answer.headers());
                Some(answer.into_inner())
            }
            Err(e) => {
                $check.failed($op, e.to_string());
                None
            }
        }
    };
}

/// The settings a deployment would give, as environment variables: the sandbox's credentials
/// file (returned: it lives as long as the caller keeps it) and keys, and the API under test
/// (`url_var`, e.g. `LIVERAMP_CONSENT_URL`) at its Prism proxy. Clients come from `Config`,
/// with the tokens, headers and transport it sets up.
fn config(
    sandbox: &Sandbox,
    url_var: &str,
    proxy: &Proxy,
) -> (liveramp::Config, tempfile::NamedTempFile) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), sandbox.service_account_json()).unwrap();
    let vars = [
        ("LIVERAMP_CREDENTIALS", file.path().display().to_string()),
        ("LIVERAMP_ORG_ID", sandbox.org_id().to_owned()),
        (
            "LIVERAMP_ABILITEC_CLIENT_ID",
            sandbox.abilitec_client_id().to_owned(),
        ),
        (
            "LIVERAMP_ABILITEC_CLIENT_SECRET",
            sandbox.abilitec_client_secret().to_owned(),
        ),
        ("LIVERAMP_ABILITEC_TOKEN_URL", sandbox.abilitec_token_url()),
        (
            "LIVERAMP_DATA_INTEGRATION_TOKEN",
            sandbox.data_integration_token().to_owned(),
        ),
        (
            "LIVERAMP_ACTIVATION_V1_API_KEY",
            sandbox.activation_v1_api_key().to_owned(),
        ),
        (url_var, proxy.url()),
    ];
    (liveramp::Config::from_vars(vars).unwrap(), file)
}

fn limit(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

/// The signal every check relies on: through the proxy, a request that breaks the spec (limit
/// above its maximum) gets an `sl-violations` header naming it.
#[tokio::test]
async fn prism_reports_a_violation() {
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start("specs/consent.yaml", &sandbox.consent_url());
    let token = common::service_token(&sandbox, &common::client()).await;
    let answer = common::client()
        .get(format!("{}/v2/consent-files?limit=101", proxy.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let found = violations(answer.headers()).unwrap_or_default();
    assert!(found.contains("limit"), "{found:?}");
    let valid = common::client()
        .get(format!("{}/v2/consent-files?limit=100", proxy.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(violations(valid.headers()), None);
}

/// The same signal for answers: a sandbox answer made to break the spec (a fault answering 200
/// with a body missing the required list) is reported as a response violation.
#[tokio::test]
async fn prism_reports_an_answer_that_breaks_the_spec() {
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start("specs/consent.yaml", &sandbox.consent_url());
    let token = common::service_token(&sandbox, &common::client()).await;
    let broken = FaultAction::Fail {
        status: 200,
        body: Some(serde_json::json!({"unexpected": true})),
        retry_after: None,
    };
    sandbox
        .faults()
        .add(FaultRule::new(RouteMatch::operation("list_consent_files"), broken).times(1));
    let answer = common::client()
        .get(format!("{}/v2/consent-files", proxy.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let found = violations(answer.headers()).unwrap_or_default();
    assert!(found.contains(r#""location":["response""#), "{found:?}");
}

#[tokio::test]
async fn consent_answers_conform() {
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start("specs/consent.yaml", &sandbox.consent_url());
    let (config, _file) = config(&sandbox, "LIVERAMP_CONSENT_URL", &proxy);
    let client = config.consent().unwrap();
    let mut check = Check::new("specs/consent.yaml");
    let first = call!(
        check,
        consent,
        "list_consent_files",
        client.list_consent_files().limit(limit(2)).send()
    );
    let after = check.need(first).pagination.and_then(|p| p.after);
    if let Some(after) = after {
        call!(
            check,
            consent,
            "list_consent_files",
            client
                .list_consent_files()
                .limit(limit(2))
                .after(after)
                .send()
        );
    }
    check.finish(&[]);
}

#[tokio::test]
async fn activation_answers_conform() {
    use activation::types;
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start("specs/activation.yaml", &sandbox.activation_url());
    let (config, _file) = config(&sandbox, "LIVERAMP_ACTIVATION_URL", &proxy);
    let client = config.activation().unwrap();
    let mut check = Check::new("specs/activation.yaml");

    let page = call!(
        check,
        activation,
        "list_destinations",
        client.list_destinations().limit(limit(2)).send()
    );
    let after = check.need(check.need(page).pagination.and_then(|p| p.after));
    call!(
        check,
        activation,
        "list_destinations",
        client
            .list_destinations()
            .limit(limit(2))
            .after(after)
            .send()
    );
    call!(
        check,
        activation,
        "get_destination",
        client.get_destination().destination_id("101").send()
    );
    call!(
        check,
        activation,
        "list_destination_integrations",
        client
            .list_destination_integrations()
            .destination_id("101")
            .view(types::IntegrationView::StandardWithUnavailable)
            .send()
    );
    call!(
        check,
        activation,
        "get_destination_integration",
        client
            .get_destination_integration()
            .destination_id("101")
            .integration_id("1011")
            .send()
    );
    call!(
        check,
        activation,
        "list_segments",
        client.list_segments().limit(limit(100)).send()
    );
    call!(
        check,
        activation,
        "get_segment",
        client.get_segment().segment_id("seg-001").send()
    );
    call!(
        check,
        activation,
        "list_segment_statuses",
        client
            .list_segment_statuses()
            .segment_type(types::SegmentType::Onboarding)
            .segment_ids(vec!["seg-001".to_owned(), "seg-019".to_owned()])
            .send()
    );
    call!(
        check,
        activation,
        "list_deliveries",
        client
            .list_deliveries()
            .integration_connection_id("ic-0001")
            .send()
    );

    let attempt = call!(
        check,
        activation,
        "create_oauth_connection_attempt",
        client
            .create_oauth_connection_attempt()
            .body(
                types::OAuthConnectionAttemptInput::builder()
                    .oauth_endpoint_id("oauth-sandbox-social")
                    .oauth_connection_id(None)
                    .redirect_url(None)
                    .state(Some("s".into()))
            )
            .send()
    );
    let attempt_id: uuid::Uuid = check.need(attempt).id;
    let pending = call!(
        check,
        activation,
        "get_oauth_connection_attempt",
        client
            .get_oauth_connection_attempt()
            .attempt_id(attempt_id)
            .send()
    );
    common::client()
        .get(check.need(pending).authorization_url.expose())
        .send()
        .await
        .unwrap();
    let mut oauth_id = None;
    for _ in 0..2 {
        let read = call!(
            check,
            activation,
            "get_oauth_connection_attempt",
            client
                .get_oauth_connection_attempt()
                .attempt_id(attempt_id)
                .send()
        );
        oauth_id = check.need(read).oauth_connection_id;
    }
    let oauth_id = check.need(oauth_id);
    call!(
        check,
        activation,
        "get_oauth_connection",
        client
            .get_oauth_connection()
            .oauth_connection_id(&oauth_id)
            .send()
    );
    call!(
        check,
        activation,
        "list_oauth_connections",
        client.list_oauth_connections().send()
    );

    let created = call!(
        check,
        activation,
        "create_integration_connection",
        client
            .create_integration_connection()
            .body(common::oauth_connection_input(&oauth_id),)
            .send()
    );
    let connection_id = check.need(created).id;
    let connection = call!(
        check,
        activation,
        "get_integration_connection",
        client
            .get_integration_connection()
            .integration_connection_id(&connection_id)
            .send()
    );
    let properties = check.need(connection).properties;
    call!(
        check,
        activation,
        "update_integration_connection",
        client
            .update_integration_connection()
            .integration_connection_id(&connection_id)
            .body(
                types::IntegrationConnectionUpdate::builder()
                    .oauth_connection_id(Some(oauth_id))
                    .properties(properties)
                    .device_types(vec![types::DeviceType::Web, types::DeviceType::Ios])
            )
            .send()
    );
    call!(
        check,
        activation,
        "list_integration_connections",
        client.list_integration_connections().send()
    );

    let manager = call!(
        check,
        activation,
        "create_distribution_manager",
        client
            .create_distribution_manager()
            .body(
                types::DistributionManagerInput::builder()
                    .name("Social audiences")
                    .integration_connection_id(connection_id.clone())
                    .status(None)
                    .expire_at(None)
            )
            .send()
    );
    let manager_id = check.need(manager).id;
    call!(
        check,
        activation,
        "update_distribution_manager",
        client
            .update_distribution_manager()
            .distribution_manager_id(&manager_id)
            .body(
                types::DistributionManagerUpdate::builder()
                    .name("Social audiences 2")
                    .status(types::DistributionManagerStatus::Inactive)
                    .expire_at(Some("2027-01-31".parse().unwrap()))
            )
            .send()
    );
    call!(
        check,
        activation,
        "get_distribution_manager",
        client
            .get_distribution_manager()
            .distribution_manager_id(&manager_id)
            .send()
    );
    call!(
        check,
        activation,
        "list_distribution_managers",
        client
            .list_distribution_managers()
            .integration_connection_id(&connection_id)
            .send()
    );

    let results = call!(
        check,
        activation,
        "create_segment_configs",
        client
            .create_segment_configs()
            .distribution_manager_id(&manager_id)
            .body(types::SegmentConfigInputs(vec![
                types::SegmentConfigInput::try_from(
                    types::SegmentConfigInput::builder()
                        .segment_id("seg-003")
                        .segment_type(types::SegmentType::Onboarding)
                        .destination_segment_id(None)
                        .distribution_manager_id(manager_id.clone())
                )
                .expect("every field is set")
            ]))
            .send()
    );
    let config_id = check.need(check.need(results).0.into_iter().next().and_then(|r| r.id));
    call!(
        check,
        activation,
        "get_segment_config",
        client
            .get_segment_config()
            .distribution_manager_id(&manager_id)
            .segment_config_id(&config_id)
            .send()
    );
    call!(
        check,
        activation,
        "list_segment_configs",
        client
            .list_segment_configs()
            .distribution_manager_id(&manager_id)
            .send()
    );
    call!(
        check,
        activation,
        "delete_segment_configs",
        client
            .delete_segment_configs()
            .distribution_manager_id(&manager_id)
            .body(types::SegmentConfigRefs(vec![
                types::SegmentConfigRef::try_from(types::SegmentConfigRef::builder().id(config_id))
                    .expect("every field is set")
            ]))
            .send()
    );
    call!(
        check,
        activation,
        "delete_distribution_manager",
        client
            .delete_distribution_manager()
            .distribution_manager_id(&manager_id)
            .send()
    );
    call!(
        check,
        activation,
        "delete_integration_connection",
        client
            .delete_integration_connection()
            .integration_connection_id(&connection_id)
            .send()
    );
    check.finish(&[]);
}

#[tokio::test]
async fn activation_v1_answers_conform() {
    use activation_v1::types;
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start("specs/activation-v1.yaml", &sandbox.activation_v1_url());
    let (config, _file) = config(&sandbox, "LIVERAMP_ACTIVATION_V1_URL", &proxy);
    let client = config.activation_v1().unwrap();
    let mut check = Check::new("specs/activation-v1.yaml");

    let destinations = call!(
        check,
        activation_v1,
        "list_destinations",
        client.list_destinations().send()
    );
    let destination = check.need(
        check
            .need(destinations)
            .destinations
            .into_iter()
            .find(|d| d.name.contains("OAuth")),
    );
    call!(
        check,
        activation_v1,
        "new_destination_account_template",
        client
            .new_destination_account_template()
            .destination_id(destination.id)
            .send()
    );
    let created = call!(
        check,
        activation_v1,
        "create_destination_account",
        client
            .create_destination_account()
            .body(
                types::CreateDestinationAccountRequest::builder().destination_account(
                    types::NewDestinationAccount::builder()
                        .destination_id(destination.id)
                        .integration_id(None)
                        .name("Mine")
                        .device_types(vec![types::DeviceType::Web])
                        .properties(vec![
                            types::AccountProperty::try_from(
                                types::AccountProperty::builder()
                                    .name("advertiser_id")
                                    .value("A1")
                            )
                            .expect("every field is set")
                        ])
                )
            )
            .send()
    );
    let id = check.need(created).destination_account.id;
    let authorization = call!(
        check,
        activation_v1,
        "perform_oauth_authorization",
        client
            .perform_oauth_authorization()
            .id(id)
            .body(
                types::OAuthAuthorizationRequest::builder()
                    .redirect_url("https://app.example.com/cb")
                    .state(None)
            )
            .send()
    );
    common::client()
        .get(check.need(authorization).authorization_url.expose())
        .send()
        .await
        .unwrap();
    call!(
        check,
        activation_v1,
        "get_destination_account",
        client.get_destination_account().id(id).send()
    );
    check.finish(&[(
        "receive_oauth_redirect",
        "a callback served by the caller's application, not by the API: the sandbox redirects the browser to it",
    )]);
}

#[tokio::test]
async fn abilitec_answers_conform() {
    use abilitec::types;
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start("specs/abilitec.yaml", &sandbox.abilitec_url());
    let (config, _file) = config(&sandbox, "LIVERAMP_ABILITEC_URL", &proxy);
    let client = config.abilitec().unwrap();
    let mut check = Check::new("specs/abilitec.yaml");
    let email: types::EmailAddress = "jane@example.com".parse().unwrap();
    let zip: types::ZipCode = "72201".parse().unwrap();
    let key = "b".repeat(64);
    let kind = types::LookupType::Sha256;

    call!(
        check,
        abilitec,
        "match_people",
        client
            .match_people()
            .name("Jane Doe")
            .email(email.clone())
            .zip_code(zip.clone())
            .send()
    );
    call!(
        check,
        abilitec,
        "match_places",
        client
            .match_places()
            .street_address("1 Main St")
            .zip_code(zip.clone())
            .send()
    );
    call!(
        check,
        abilitec,
        "match_households",
        client
            .match_households()
            .name("Jane Doe")
            .street_address("1 Main St")
            .zip_code(zip.clone())
            .send()
    );
    call!(
        check,
        abilitec,
        "match_entities",
        client.match_entities().email(email.clone()).send()
    );
    call!(
        check,
        abilitec,
        "lookup_people",
        client
            .lookup_people()
            .lookup_type(kind.clone())
            .key(&key)
            .send()
    );
    call!(
        check,
        abilitec,
        "lookup_places",
        client
            .lookup_places()
            .lookup_type(kind.clone())
            .key(&key)
            .send()
    );
    call!(
        check,
        abilitec,
        "lookup_households",
        client
            .lookup_households()
            .lookup_type(kind.clone())
            .key(&key)
            .send()
    );
    call!(
        check,
        abilitec,
        "lookup_entities",
        client
            .lookup_entities()
            .lookup_type(kind.clone())
            .key(&key)
            .send()
    );
    call!(
        check,
        abilitec,
        "batch_match",
        client
            .batch_match()
            .body(types::BatchRequest(vec![
                "/people/match?name=Jane%20Doe&email=jane@example.com".into(),
                "/people/match?zipCode=1".into(),
            ]))
            .send()
    );
    call!(
        check,
        abilitec,
        "batch_lookup",
        client
            .batch_lookup()
            .body(types::BatchRequest(vec![format!(
                "/people/lookup?type=sha256&key={key}"
            ),]))
            .send()
    );
    // A miss is the documented 404 error document.
    let unknown = "0".repeat(64);
    match client
        .lookup_people()
        .lookup_type(kind.clone())
        .key(&unknown)
        .send()
        .await
    {
        Err(error) => {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error}");
            let code = error.api_error().and_then(|e| e.code.as_deref());
            assert_eq!(code, Some(liveramp::error::abilitec::NOT_FOUND));
        }
        other => panic!("a lookup of an unknown key answered {other:?}"),
    }
    // The same miss read raw: Prism checks the error document against the spec.
    let token = config.abilitec_tokens().unwrap().token().await.unwrap();
    let raw = liveramp::http::client()
        .unwrap()
        .post(format!("{}/people/sha256", proxy.url()))
        .query(&[("key", unknown.as_str())])
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 404);
    assert_eq!(violations(raw.headers()), None);
    check.finish(&[]);
}

#[tokio::test]
async fn data_integration_answers_conform() {
    use data_integration::types;
    let sandbox = Sandbox::start().await.unwrap();
    let proxy = Proxy::start(
        "specs/data-integration.yaml",
        &sandbox.data_integration_url(),
    );
    let (config, _file) = config(&sandbox, "LIVERAMP_DATA_INTEGRATION_URL", &proxy);
    let client = config.data_integration().unwrap();
    let mut check = Check::new("specs/data-integration.yaml");

    let pull = call!(
        check,
        data_integration,
        "create_oauth2_request",
        client
            .create_oauth2_request()
            .body(
                types::NewOAuth2Request::builder()
                    .datasource_id("fb")
                    .validity_duration(300)
            )
            .send()
    );
    let pull = check.need(pull);
    let query = || {
        types::OAuth2CredentialsQuery::try_from(
            types::OAuth2CredentialsQuery::builder()
                .auth_uri(pull.auth_uri.clone())
                .pull_id(pull.pull_id.clone()),
        )
        .expect("every field is set")
    };
    call!(
        check,
        data_integration,
        "get_oauth2_credentials",
        client.get_oauth2_credentials().body(query()).send()
    );
    let auth_uri = check.need(pull.auth_uri.clone());
    common::client()
        .get(auth_uri.expose())
        .send()
        .await
        .unwrap();
    call!(
        check,
        data_integration,
        "get_oauth2_credentials",
        client.get_oauth2_credentials().body(query()).send()
    );
    let connections = call!(
        check,
        data_integration,
        "list_connections",
        client.list_connections().send()
    );
    let first = check.need(check.need(connections).0.into_iter().next());
    call!(
        check,
        data_integration,
        "list_connections_of_type",
        client
            .list_connections_of_type()
            .connection_type(&first.connection_type)
            .cross_id(check.need(first.cross_id.clone()))
            .send()
    );
    let created = call!(
        check,
        data_integration,
        "create_connection",
        client
            .create_connection()
            .body(
                types::NewConnection::builder()
                    .connection_name("Archive bucket")
                    .connection_type("s3")
                    .credentials(None)
            )
            .send()
    );
    let created = check.need(created);
    call!(
        check,
        data_integration,
        "update_connection",
        client
            .update_connection()
            .body(
                types::ConnectionUpdate::builder()
                    .id(created.id.clone())
                    .connection_name(Some("Cold archive".into()))
                    .credentials(None)
            )
            .send()
    );
    call!(
        check,
        data_integration,
        "delete_connection",
        client
            .delete_connection()
            .body(types::ConnectionRef::builder().id(created.id))
            .send()
    );
    let rivers = call!(
        check,
        data_integration,
        "list_rivers",
        client.list_rivers().send()
    );
    let river = check.need(check.need(rivers).0.into_iter().next());
    let river_id = check.need(river.river_id);
    call!(
        check,
        data_integration,
        "get_river",
        client.get_river().river_id(&river_id).send()
    );
    let run = call!(
        check,
        data_integration,
        "run_river",
        client
            .run_river()
            .body(types::RunRequest::builder().river_id(river_id))
            .send()
    );
    let run_id = check.need(check.need(run).run_id);
    call!(
        check,
        data_integration,
        "check_run",
        client.check_run().run_id(&run_id).send()
    );
    call!(
        check,
        data_integration,
        "list_connection_types",
        client.list_connection_types().send()
    );
    call!(
        check,
        data_integration,
        "get_connection_type",
        client.get_connection_type().type_("fb").send()
    );
    call!(check, data_integration, "get_me", client.get_me().send());
    check.finish(&[]);
}
