//! Data Integration: the OAuth pull flow, its expiry, connections.

use crate::common;

use std::time::Duration;

use liveramp_sandbox::Sandbox;
use serde_json::{Value, json};

async fn post(sandbox: &Sandbox, http: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
    let response = http
        .post(format!("{}{path}", sandbox.data_integration_url()))
        .bearer_auth(sandbox.data_integration_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_pull_is_pending_until_the_browser_completes_auth_uri() {
    let (sandbox, http) = common::start().await;
    let (status, pull) = post(
        &sandbox,
        &http,
        "/oauth2",
        json!({ "datasource_id": "fb", "validity_duration": 300 }),
    )
    .await;
    assert_eq!(status, 200);
    let pull_id = pull["pull_id"].as_str().unwrap();
    let auth_uri = pull["auth_uri"].as_str().unwrap();
    assert!(auth_uri.starts_with(sandbox.url()));

    let (status, pending) = post(
        &sandbox,
        &http,
        "/oauth2/credentials",
        json!({ "pull_id": pull_id }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(pending["status"], 202);
    assert!(pending.get("access_token").is_none());

    assert_eq!(http.get(auth_uri).send().await.unwrap().status(), 200);
    let (status, done) = post(
        &sandbox,
        &http,
        "/oauth2/credentials",
        json!({ "pull_id": pull_id }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(done["status"], 200);
    assert!(done["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(done["userId"].is_u64() && done["clientId"].is_u64());
}

#[tokio::test]
async fn a_pull_expires_after_its_validity_duration() {
    let (sandbox, http) = common::start().await;
    let (_, pull) = post(
        &sandbox,
        &http,
        "/oauth2",
        json!({ "datasource_id": "google_ads", "validity_duration": 300 }),
    )
    .await;
    let pull_id = pull["pull_id"].as_str().unwrap();
    sandbox.clock().advance(Duration::from_secs(300));
    assert_eq!(
        http.get(pull["auth_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status(),
        410
    );
    let (status, body) = post(
        &sandbox,
        &http,
        "/oauth2/credentials",
        json!({ "pull_id": pull_id }),
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn invalid_pull_parameters_get_429_and_a_denied_pull_403() {
    let (sandbox, http) = common::start().await;
    for body in [
        json!({ "datasource_id": "fb", "validity_duration": 299 }),
        json!({ "datasource_id": "fb", "validity_duration": 43201 }),
        json!({ "datasource_id": "mysql", "validity_duration": 300 }),
    ] {
        assert_eq!(post(&sandbox, &http, "/oauth2", body).await.0, 429);
    }
    let (_, pull) = post(
        &sandbox,
        &http,
        "/oauth2",
        json!({ "datasource_id": "fb", "validity_duration": 600 }),
    )
    .await;
    http.get(format!("{}?deny=1", pull["auth_uri"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let (status, _) = post(
        &sandbox,
        &http,
        "/oauth2/credentials",
        json!({ "pull_id": pull["pull_id"] }),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn connections_and_types_need_the_api_token() {
    let (sandbox, http) = common::start().await;
    let base = sandbox.data_integration_url();
    assert_eq!(
        http.get(format!("{base}/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let get = |path: String| {
        http.get(format!("{base}{path}"))
            .bearer_auth(sandbox.data_integration_token())
            .send()
    };
    let list: Vec<Value> = get("/connections/list".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!list.is_empty());
    // The path names a connection type (the documented filter), not a connection's `_id`.
    let id = list[0]["_id"].as_str().unwrap();
    assert_eq!(
        get(format!("/connections/{id}")).await.unwrap().status(),
        404
    );
    let kind = list[0]["connection_type"].as_str().unwrap();
    let of_kind: Vec<Value> = get(format!("/connections/{kind}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(of_kind.iter().all(|c| c["connection_type"] == kind));
    assert!(of_kind.contains(&list[0]));
    let by_cross: Value = get(format!(
        "/connections/{kind}?cross_id={}",
        list[0]["cross_id"].as_str().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(by_cross, Value::Array(vec![list[0].clone()]));
    let fb: Value = get("/connection_types/fb".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fb["oauth"], true);
    assert_eq!(get("/me".into()).await.unwrap().status(), 200);
}
