//! Token endpoints: the documented grants and errors, JWT-shaped tokens, expiry.

use crate::common;

use std::time::Duration;

use base64::Engine;
use liveramp_sandbox::{RouteMatch, Sandbox};
use serde_json::Value;

fn payload(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "header.payload.signature");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn password_grant_issues_a_jwt_living_600_seconds() {
    let (sandbox, http) = common::start().await;
    let answer: Value = http
        .post(sandbox.service_account_token_url())
        .form(&common::password_form(&sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 600);
    let claims = payload(answer["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
}

#[tokio::test]
async fn wrong_password_is_a_401_with_an_oauth_error() {
    let (sandbox, http) = common::start().await;
    let mut form = common::password_form(&sandbox);
    form[2].1 = "wrong".into();
    let response = http
        .post(sandbox.service_account_token_url())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn abilitec_client_credentials_and_their_400_errors() {
    let (sandbox, http) = common::start().await;
    let url = sandbox.abilitec_token_url();
    let ok: Value = http
        .post(&url)
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
    assert_eq!(ok["expires_in"], 3600);
    let claims = payload(ok["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    let bad_secret = http
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sandbox.abilitec_client_id()),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_secret.status(), 400);
    let body: Value = bad_secret.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let no_grant = http
        .post(&url)
        .form(&[("client_id", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_grant.status(), 400);
    let body: Value = no_grant.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_description"], "Missing grant_type");
}

#[tokio::test]
async fn an_expired_token_gets_401_and_a_fresh_one_works() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    common::activation_json(&sandbox, &http, &token, "/v2/destinations", 200).await;
    sandbox.clock().advance(Duration::from_secs(601));
    let body = common::activation_json(&sandbox, &http, &token, "/v2/destinations", 401).await;
    assert_eq!(body["httpStatus"], 401);
    assert!(body["errorCode"].is_string());
    let fresh = common::service_token(&sandbox, &http).await;
    common::activation_json(&sandbox, &http, &fresh, "/v2/destinations", 200).await;
}

#[tokio::test]
async fn unknown_tokens_and_tokens_of_another_sandbox_get_401() {
    let (sandbox, http) = common::start().await;
    let other = Sandbox::start().await.unwrap();
    let foreign = common::service_token(&other, &http).await;
    for token in ["not-a-token", foreign.as_str()] {
        common::activation_json(&sandbox, &http, token, "/v2/destinations", 401).await;
    }
    let abilitec = common::abilitec_token(&sandbox, &http).await;
    common::activation_json(&sandbox, &http, &abilitec, "/v2/destinations", 401).await;
}

#[tokio::test]
async fn a_token_lifetime_fault_shortens_tokens() {
    let (sandbox, http) = common::start().await;
    sandbox.faults().token_lifetime(
        RouteMatch::operation("service_account_token"),
        Duration::from_secs(5),
    );
    let answer: Value = http
        .post(sandbox.service_account_token_url())
        .form(&common::password_form(&sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["expires_in"], 5);
    let token = answer["access_token"].as_str().unwrap();
    common::activation_json(&sandbox, &http, token, "/v2/destinations", 200).await;
    sandbox.clock().advance(Duration::from_secs(6));
    common::activation_json(&sandbox, &http, token, "/v2/destinations", 401).await;
}
