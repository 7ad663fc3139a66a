//! Helpers shared by the sandbox tests.
#![allow(dead_code)]

use liveramp_sandbox::Sandbox;

#[path = "../../../../tests/suite/common/server.rs"]
pub mod server;
use serde_json::Value;

/// A started sandbox and a client that does not follow redirects.
pub async fn start() -> (Sandbox, reqwest::Client) {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    (sandbox, client())
}

/// A client that does not follow redirects (the tests look at them).
pub fn client() -> reqwest::Client {
    liveramp::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The password-grant form of the sandbox's service account.
pub fn password_form(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    let account = sandbox.service_account();
    vec![
        ("grant_type", "password".into()),
        ("username", account.account_id),
        ("password", account.secret_key),
        ("scope", "openid".into()),
        ("client_id", account.client_id),
        ("response_type", "token".into()),
    ]
}

/// A service-account access token.
pub async fn service_token(sandbox: &Sandbox, http: &reqwest::Client) -> String {
    let answer: Value = http
        .post(sandbox.service_account_token_url())
        .form(&password_form(sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// An AbiliTec access token.
pub async fn abilitec_token(sandbox: &Sandbox, http: &reqwest::Client) -> String {
    let answer: Value = http
        .post(sandbox.abilitec_token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sandbox.abilitec_client_id()),
            ("client_secret", sandbox.abilitec_client_secret()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// A request to the Activation API with a bearer token and `LR-Org-ID`.
pub fn activation(
    sandbox: &Sandbox,
    http: &reqwest::Client,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    http.request(method, format!("{}{path}", sandbox.activation_url()))
        .bearer_auth(token)
        .header("LR-Org-ID", sandbox.org_id())
}

/// GET an Activation path and decode the JSON answer, asserting `status`.
pub async fn activation_json(
    sandbox: &Sandbox,
    http: &reqwest::Client,
    token: &str,
    path: &str,
    status: u16,
) -> Value {
    let response = activation(sandbox, http, token, reqwest::Method::GET, path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), status, "GET {path}");
    response.json().await.unwrap()
}

/// The body creating a connection to the sandbox's OAuth integration (`101`/`1011`) through
/// the OAuth connection `oauth_id`, on the ad account `act_1`.
pub fn oauth_connection_input(
    oauth_id: &str,
) -> liveramp::activation::types::builder::IntegrationConnectionInput {
    use liveramp::activation::types;
    types::IntegrationConnectionInput::builder()
        .integration_id(["101".into(), "1011".into()])
        .oauth_connection_id(Some(oauth_id.to_owned()))
        .properties(vec![
            types::IntegrationConnectionProperty::try_from(
                types::IntegrationConnectionProperty::builder()
                    .property_key("adAccountId")
                    .property_value("act_1"),
            )
            .expect("every field is set"),
        ])
        .device_types(vec![types::DeviceType::Web])
        .distribution_manager_name(None)
}
