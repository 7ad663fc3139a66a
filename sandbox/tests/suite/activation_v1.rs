//! Activation v1.1 accounts: `oauth_status` and the OAuth redirect with `status` and `state`.

use crate::common;

use serde_json::{Value, json};

#[tokio::test]
async fn oauth_authorization_redirects_with_status_and_state_and_authorizes() {
    let (sandbox, http) = common::start().await;
    let base = format!("{}/v1/distribution", sandbox.activation_v1_url());
    let key = sandbox.activation_v1_api_key();
    let forbidden = http
        .get(format!("{base}/destinations"))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);

    let created = http
        .post(format!("{base}/accounts"))
        .header("x-api-key", key)
        .json(&json!({ "destination_account": {
            "destination_id": 5678, "name": "Mine", "device_types": ["web"],
            "properties": [{ "name": "advertiser_id", "value": "A1" }],
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let account: Value = created.json().await.unwrap();
    let id = account["destination_account"]["id"].as_i64().unwrap();
    assert_eq!(
        account["destination_account"]["oauth_status"],
        "oauth_unauthorized"
    );

    let authorization: Value = http
        .post(format!("{base}/accounts/{id}/oauth"))
        .header("x-api-key", key)
        .json(&json!({ "redirect_url": "https://app.example.com/cb?x=1", "state": "abc" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = authorization["authorization_url"].as_str().unwrap();
    assert!(url.starts_with(sandbox.url()));
    let browser = http.get(url).send().await.unwrap();
    assert_eq!(browser.status(), 303);
    let location = url::Url::parse(browser.headers()["location"].to_str().unwrap()).unwrap();
    let query: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert_eq!(location.path(), "/cb");
    assert!(query.contains(&("status".into(), "ok".into())));
    assert!(query.contains(&("state".into(), "abc".into())));
    assert!(query.contains(&("x".into(), "1".into())));

    let after: Value = http
        .get(format!("{base}/accounts/{id}"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["destination_account"]["oauth_status"],
        "oauth_authorized"
    );
    assert_eq!(
        http.get(url).send().await.unwrap().status(),
        404,
        "links work once"
    );
}

#[tokio::test]
async fn a_denied_authorization_redirects_with_an_error_status() {
    let (sandbox, http) = common::start().await;
    let base = format!("{}/v1/distribution", sandbox.activation_v1_url());
    let key = sandbox.activation_v1_api_key();
    let account: Value = http
        .post(format!("{base}/accounts"))
        .header("x-api-key", key)
        .json(&json!({ "destination_account": {
            "destination_id": 5678, "name": "Mine", "device_types": ["ios"],
            "properties": [{ "name": "advertiser_id", "value": "A1" }],
        }}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = account["destination_account"]["id"].as_i64().unwrap();
    let authorization: Value = http
        .post(format!("{base}/accounts/{id}/oauth"))
        .header("x-api-key", key)
        .json(&json!({ "redirect_url": "https://app.example.com/cb" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{}?deny=1",
        authorization["authorization_url"].as_str().unwrap()
    );
    let browser = http.get(url).send().await.unwrap();
    let location = browser.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("status=unprocessable_entity"),
        "{location}"
    );
    assert!(!location.contains("state="));
}
