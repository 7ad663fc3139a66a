//! The library's own grants and token cache against the sandbox's token endpoints.

use std::sync::Arc;

use liveramp::auth::{
    ClientCredentials, ClientCredentialsGrant, PasswordGrant, ServiceAccountCredentials,
    TokenCache, TokenSource,
};
use liveramp::transport::Transport;
use liveramp_sandbox::Sandbox;

#[tokio::test]
async fn the_sandbox_credentials_file_works_with_the_password_grant() {
    let sandbox = Sandbox::start().await.unwrap();
    let credentials =
        ServiceAccountCredentials::from_json(&sandbox.service_account_json()).unwrap();
    let tokens = Arc::new(TokenCache::new(PasswordGrant::new(credentials).unwrap()));
    let transport = Transport::builder().token_source(tokens).build();
    let client = liveramp::consent::Client::new_with_client(
        &sandbox.consent_url(),
        liveramp::http::client().unwrap(),
        transport,
    );
    let page = client
        .list_consent_files()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!page.v2_consent_files.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_key_is_reported_as_the_documented_oauth_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut file: serde_json::Value =
        serde_json::from_str(&sandbox.service_account_json()).unwrap();
    file["secret_key"] = "wrong".into();
    let credentials = ServiceAccountCredentials::from_json(&file.to_string()).unwrap();
    let tokens = TokenCache::new(PasswordGrant::new(credentials).unwrap());
    let error = tokens.token().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
}

#[tokio::test]
async fn abilitec_client_credentials_work_and_a_bad_secret_is_invalid_client() {
    let sandbox = Sandbox::start().await.unwrap();
    let good = ClientCredentials::new(
        sandbox.abilitec_client_id(),
        sandbox.abilitec_client_secret(),
    );
    let tokens =
        TokenCache::new(ClientCredentialsGrant::new(&sandbox.abilitec_token_url(), good).unwrap());
    assert!(!tokens.token().await.unwrap().expose().is_empty());

    let bad = ClientCredentials::new(sandbox.abilitec_client_id(), "nope");
    let tokens =
        TokenCache::new(ClientCredentialsGrant::new(&sandbox.abilitec_token_url(), bad).unwrap());
    let error = tokens.token().await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.oauth_error(), Some("invalid_client"));
}

#[tokio::test]
async fn a_token_expired_at_the_sandbox_is_refreshed_once_by_the_transport() {
    let sandbox = Sandbox::start().await.unwrap();
    let credentials =
        ServiceAccountCredentials::from_json(&sandbox.service_account_json()).unwrap();
    let tokens = Arc::new(TokenCache::new(PasswordGrant::new(credentials).unwrap()));
    let transport = Transport::builder().token_source(tokens.clone()).build();
    let client = liveramp::consent::Client::new_with_client(
        &sandbox.consent_url(),
        liveramp::http::client().unwrap(),
        transport,
    );
    client.list_consent_files().send().await.unwrap();
    let first = tokens.token().await.unwrap();
    sandbox.clock().advance(std::time::Duration::from_secs(601));
    client.list_consent_files().send().await.unwrap();
    let second = tokens.token().await.unwrap();
    assert_ne!(
        first.expose(),
        second.expose(),
        "the rejected token was replaced"
    );
}
