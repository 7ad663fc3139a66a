//! The v1.1 destination account authorization: the request, the state and the redirect check.
#![cfg(feature = "activation-v1")]

use crate::common;

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use liveramp::activation_v1::{Client, OAuthState, RedirectError, types};
use liveramp::poll::FlowError;
use serde_json::json;

fn client(server: &MockServer) -> Client {
    Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(None),
    )
}

#[test]
fn only_not_applicable_needs_no_authorization() {
    use types::OAuthStatus as S;
    assert!(!S::OauthNotApplicable.needs_authorization());
    assert!(S::OauthUnauthorized.needs_authorization());
    assert!(S::OauthAuthorized.needs_authorization());
    assert!(S::Unknown("oauth_expired".into()).needs_authorization());
}

#[tokio::test]
async fn authorization_sends_the_redirect_and_a_fresh_state() {
    let server = MockServer::start_async().await;
    let sent_state = Arc::new(Mutex::new(None::<String>));
    let recorder = Arc::clone(&sent_state);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/distribution/accounts/987654/oauth")
                .json_body_includes(r#"{"redirect_url": "https://app.example.com/done"}"#)
                .is_true(move |req| {
                    let body: serde_json::Value =
                        serde_json::from_slice(req.body().as_ref()).unwrap_or_default();
                    let state = body["state"].as_str().map(str::to_owned);
                    *recorder.lock().unwrap() = state;
                    true
                });
            then.status(200)
                .json_body(json!({"authorization_url": "https://platform.example/authorize?x=1"}));
        })
        .await;
    let authorization = client(&server)
        .authorize_destination_account(987654, "https://app.example.com/done")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        authorization.authorization_url,
        "https://platform.example/authorize?x=1"
    );
    let state = authorization.state.as_str();
    assert_eq!(sent_state.lock().unwrap().as_deref(), Some(state));
    assert_eq!(state.len(), 64);
    assert!(state.chars().all(|c| c.is_ascii_hexdigit()));
    let shown = format!("{authorization:?}");
    assert!(!shown.contains(state), "state is redacted: {shown}");
    assert!(!shown.contains("authorize?x=1"), "so is the URL: {shown}");
}

#[tokio::test]
async fn an_authorization_url_that_is_not_https_is_never_handed_out() {
    // Found by review: any string was handed to the caller to send a user to.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .json_body(json!({"authorization_url": "javascript:alert(document.cookie)"}));
        })
        .await;
    let error = client(&server)
        .authorize_destination_account(987654, "https://app.example.com/done")
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("not an https URL"), "{shown}");
    assert!(!shown.contains("cookie"), "{shown}");
}

#[tokio::test]
async fn a_plain_http_redirect_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .json_body(json!({"authorization_url": "https://x"}));
        })
        .await;
    let error = client(&server)
        .authorize_destination_account(1, "http://app.example.com/done")
        .await
        .unwrap_err();
    assert!(matches!(error, FlowError::Invalid(_)), "{error}");
    assert_eq!(mock.calls_async().await, 0);
}

#[test]
fn generated_states_differ() {
    assert_ne!(OAuthState::generate(), OAuthState::generate());
}

#[test]
fn the_redirect_status_is_typed_once_the_state_matches() {
    let state = OAuthState::from_saved("s-1 2");
    use types::OAuthRedirectStatus as S;
    for (query, expected) in [
        ("ok", S::Ok),
        ("internal_server_error", S::InternalServerError),
        ("service_unavailable", S::ServiceUnavailable),
        ("unprocessable_entity", S::UnprocessableEntity),
        ("gateway_timeout", S::Unknown("gateway_timeout".into())),
    ] {
        let url = format!("https://app.example.com/done?status={query}&state=s-1%202");
        assert_eq!(state.check_redirect(&url), Ok(expected.clone()), "{url}");
        let bare = format!("?state=s-1+2&status={query}");
        assert_eq!(state.check_redirect(&bare), Ok(expected), "{bare}");
    }
}

#[test]
fn a_redirect_with_another_or_no_state_is_refused() {
    let state = OAuthState::from_saved("expected-state");
    let check = |url: &str| state.check_redirect(url);
    assert_eq!(
        check("https://app.example.com/done?status=ok&state=forged-state"),
        Err(RedirectError::StateMismatch)
    );
    assert_eq!(
        check("https://app.example.com/done?status=ok&state=expected-stat"),
        Err(RedirectError::StateMismatch)
    );
    assert_eq!(
        check("https://app.example.com/done?status=ok"),
        Err(RedirectError::MissingState)
    );
    assert_eq!(
        check("https://app.example.com/done?state=expected-state"),
        Err(RedirectError::MissingStatus)
    );
    assert_eq!(
        check("https://app.example.com/done?status=ok&state=expected-state&state=x"),
        Err(RedirectError::Repeated)
    );
    // Found by review: an empty saved state (a session without one) matched `state=`.
    for saved in ["", " "] {
        assert_eq!(
            OAuthState::from_saved(saved).check_redirect("?state=&status=ok"),
            Err(RedirectError::NoSavedState)
        );
    }
}
