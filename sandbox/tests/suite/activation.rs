//! Activation v2: the OAuth attempt lifecycle, connection rules, pagination, multi-status.

use crate::common;

use std::collections::HashSet;

use liveramp_sandbox::Sandbox;
use reqwest::Method;
use serde_json::{Value, json};

async fn post(
    sandbox: &Sandbox,
    http: &reqwest::Client,
    token: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    common::activation(sandbox, http, token, Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn new_attempt(
    sandbox: &Sandbox,
    http: &reqwest::Client,
    token: &str,
    body: Value,
) -> String {
    let response = post(sandbox, http, token, "/v2/oauth-connection-attempts", body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn oauth_attempt_goes_pending_processing_authorized_through_the_consent_page() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let integration = common::activation_json(
        &sandbox,
        &http,
        &token,
        "/v2/destinations/101/integrations/1011",
        200,
    )
    .await;
    let endpoint = integration["oAuthEndpointID"].as_str().unwrap().to_owned();
    let id = new_attempt(
        &sandbox,
        &http,
        &token,
        json!({ "oAuthEndpointID": endpoint }),
    )
    .await;
    let path = format!("/v2/oauth-connection-attempts/{id}");

    let pending = common::activation_json(&sandbox, &http, &token, &path, 200).await;
    assert_eq!(pending["status"], "PENDING");
    assert!(pending.get("oAuthConnectionID").is_none());
    let url = pending["authorizationUrl"].as_str().unwrap();
    assert!(url.starts_with(sandbox.url()), "{url} is on the sandbox");

    let browser = http.get(url).send().await.unwrap();
    assert_eq!(browser.status(), 200);

    let processing = common::activation_json(&sandbox, &http, &token, &path, 200).await;
    assert_eq!(processing["status"], "PROCESSING");
    let authorized = common::activation_json(&sandbox, &http, &token, &path, 200).await;
    assert_eq!(authorized["status"], "AUTHORIZED");
    let connection = authorized["oAuthConnectionID"].as_str().unwrap().to_owned();

    let listed = common::activation_json(
        &sandbox,
        &http,
        &token,
        &format!("/v2/oauth-connections?oAuthEndpointID={endpoint}"),
        200,
    )
    .await;
    let ids: Vec<&str> = listed["v2/OauthConnections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![connection.as_str()]);

    // A second visit of the same link is refused.
    assert_eq!(http.get(url).send().await.unwrap().status(), 409);

    // Re-authorization keeps the connection's ID.
    let again = new_attempt(
        &sandbox,
        &http,
        &token,
        json!({ "oAuthEndpointID": endpoint, "oAuthConnectionID": connection }),
    )
    .await;
    let again_path = format!("/v2/oauth-connection-attempts/{again}");
    let attempt = common::activation_json(&sandbox, &http, &token, &again_path, 200).await;
    http.get(attempt["authorizationUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    common::activation_json(&sandbox, &http, &token, &again_path, 200).await;
    let reauthorized = common::activation_json(&sandbox, &http, &token, &again_path, 200).await;
    assert_eq!(reauthorized["status"], "AUTHORIZED");
    assert_eq!(reauthorized["oAuthConnectionID"], connection.as_str());
}

#[tokio::test]
async fn denied_consent_fails_the_attempt_with_a_status_detail_and_redirects() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let id = new_attempt(
        &sandbox,
        &http,
        &token,
        json!({ "oAuthEndpointID": "oauth-sandbox-video", "redirectUrl": "https://app.example.com/done", "state": "s-1" }),
    )
    .await;
    let path = format!("/v2/oauth-connection-attempts/{id}");
    let attempt = common::activation_json(&sandbox, &http, &token, &path, 200).await;
    let browser = http
        .get(format!(
            "{}?deny=1",
            attempt["authorizationUrl"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 303);
    assert_eq!(
        browser.headers()["location"],
        "https://app.example.com/done"
    );
    common::activation_json(&sandbox, &http, &token, &path, 200).await;
    let failed = common::activation_json(&sandbox, &http, &token, &path, 200).await;
    assert_eq!(failed["status"], "FAILED");
    assert!(failed["statusDetail"].as_str().unwrap().contains("denied"));
    assert!(failed.get("oAuthConnectionID").is_none());
}

#[tokio::test]
async fn integration_connections_check_integration_id_properties_and_oauth() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let create = |body: Value| post(&sandbox, &http, &token, "/v2/integration-connections", body);
    let props = json!([{ "propertyKey": "adAccountId", "propertyValue": "act_1" }]);

    let three = create(json!({ "integrationID": ["101", "1011", "x"], "properties": props, "deviceTypes": ["WEB"] })).await;
    assert_eq!(three.status(), 422);
    let error: Value = three.json().await.unwrap();
    assert_eq!(error["httpStatus"], 422);
    assert!(error["message"].as_str().unwrap().contains("exactly 2"));

    let no_oauth = create(
        json!({ "integrationID": ["101", "1011"], "properties": props, "deviceTypes": ["WEB"] }),
    )
    .await;
    assert_eq!(no_oauth.status(), 422);
    let error: Value = no_oauth.json().await.unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("oAuthConnectionID")
    );

    let missing = create(json!({ "integrationID": ["102", "1021"], "properties": [{ "propertyKey": "seatId", "propertyValue": "1" }], "deviceTypes": ["WEB"] })).await;
    assert_eq!(missing.status(), 422);
    let error: Value = missing.json().await.unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("advertiserName")
    );

    let ok = create(json!({
        "integrationID": ["102", "1021"],
        "properties": [{ "propertyKey": "seatId", "propertyValue": "1" }, { "propertyKey": "advertiserName", "propertyValue": "A" }],
        "deviceTypes": ["WEB"],
        "distributionManagerName": "Created with the connection",
    }))
    .await;
    assert_eq!(ok.status(), 201);
    let id = ok.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let connection = common::activation_json(
        &sandbox,
        &http,
        &token,
        &format!("/v2/integration-connections/{id}"),
        200,
    )
    .await;
    assert_eq!(connection["integrationID"], json!(["102", "1021"]));
    let managers = common::activation_json(
        &sandbox,
        &http,
        &token,
        &format!("/v2/distribution-managers?integrationConnectionID={id}"),
        200,
    )
    .await;
    assert_eq!(
        managers["v2/DistributionManagers"][0]["name"],
        "Created with the connection"
    );

    let deleted = common::activation(
        &sandbox,
        &http,
        &token,
        Method::DELETE,
        &format!("/v2/integration-connections/{id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(deleted.status(), 200);
    common::activation_json(
        &sandbox,
        &http,
        &token,
        &format!("/v2/integration-connections/{id}"),
        404,
    )
    .await;
}

#[tokio::test]
async fn pagination_walks_every_destination_exactly_once() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    let mut total: Option<u64>;
    loop {
        let path = match &after {
            Some(a) => format!("/v2/destinations?limit=7&after={a}"),
            None => "/v2/destinations?limit=7".to_owned(),
        };
        let page = common::activation_json(&sandbox, &http, &token, &path, 200).await;
        pages += 1;
        total = Some(page["_pagination"]["total"].as_u64().unwrap());
        let items = page["v2/Destinations"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        match page["_pagination"]["after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no destination twice");
    assert_eq!(seen.len() as u64, total.unwrap());
    assert_eq!(pages, seen.len().div_ceil(7));
    let default = common::activation_json(&sandbox, &http, &token, "/v2/destinations", 200).await;
    assert_eq!(default["v2/Destinations"].as_array().unwrap().len(), 10);
    for bad in ["limit=0", "limit=101", "after=bogus"] {
        let error = common::activation_json(
            &sandbox,
            &http,
            &token,
            &format!("/v2/destinations?{bad}"),
            422,
        )
        .await;
        assert_eq!(error["httpStatus"], 422);
    }
}

#[tokio::test]
async fn the_org_header_is_required() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let missing = http
        .get(format!("{}/v2/destinations", sandbox.activation_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 422);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["errorCode"], "MISSING_ORG_ID");
}

#[tokio::test]
async fn segment_configs_answer_207_per_item_and_limit_names_to_50() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let long = post(
        &sandbox,
        &http,
        &token,
        "/v2/distribution-managers",
        json!({ "name": "x".repeat(51), "integrationConnectionID": "ic-0001" }),
    )
    .await;
    assert_eq!(long.status(), 422);
    let created = post(
        &sandbox,
        &http,
        &token,
        "/v2/distribution-managers",
        json!({ "name": "x".repeat(50), "integrationConnectionID": "ic-0001" }),
    )
    .await;
    assert_eq!(created.status(), 201);
    let dm = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let configs = json!([
        { "segmentID": "seg-010", "segmentType": "ONBOARDING", "distributionManagerID": dm },
        { "segmentID": "seg-999", "segmentType": "ONBOARDING", "distributionManagerID": dm },
        { "segmentID": "seg-011", "segmentType": "ONBOARDING", "distributionManagerID": dm },
    ]);
    let path = format!("/v2/distribution-managers/{dm}/segment-configs");
    let answer = post(&sandbox, &http, &token, &path, configs).await;
    assert_eq!(answer.status(), 207);
    let items: Vec<Value> = answer.json().await.unwrap();
    let statuses: Vec<u64> = items
        .iter()
        .map(|i| i["status"]["httpStatus"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![201, 404, 201]);
    let listed = common::activation_json(&sandbox, &http, &token, &path, 200).await;
    assert_eq!(listed["segmentConfigs"].as_array().unwrap().len(), 2);
    let too_many: Vec<Value> = (0..501).map(|_| json!({ "segmentID": "seg-001", "segmentType": "ONBOARDING", "distributionManagerID": dm })).collect();
    assert_eq!(
        post(&sandbox, &http, &token, &path, Value::Array(too_many))
            .await
            .status(),
        422
    );

    let remove = common::activation(&sandbox, &http, &token, Method::DELETE, &path)
        .json(&json!([{ "id": items[0]["id"] }, { "id": "nope" }]))
        .send()
        .await
        .unwrap();
    assert_eq!(remove.status(), 207);
    let removed: Vec<Value> = remove.json().await.unwrap();
    assert_eq!(removed[0]["status"]["httpStatus"], 200);
    assert_eq!(removed[1]["status"]["httpStatus"], 404);
}

#[tokio::test]
async fn deliveries_progress_with_the_sandbox_clock() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let dm = "dm-0001";
    let path = format!("/v2/distribution-managers/{dm}/segment-configs");
    post(&sandbox, &http, &token, &path, json!([{ "segmentID": "seg-012", "segmentType": "ONBOARDING", "distributionManagerID": dm }])).await;
    let query = "/v2/deliveries?segmentIDs=seg-012&limit=100";
    let fresh = common::activation_json(&sandbox, &http, &token, query, 200).await;
    let statuses = |page: &Value| -> Vec<String> {
        page["v2/Deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(statuses(&fresh), vec!["PENDING", "PENDING"]);
    sandbox
        .clock()
        .advance(std::time::Duration::from_secs(3600));
    let token = common::service_token(&sandbox, &http).await;
    let later = common::activation_json(&sandbox, &http, &token, query, 200).await;
    assert_eq!(statuses(&later), vec!["DELIVERED", "DELIVERED"]);
}

#[tokio::test]
async fn deleting_a_connection_removes_its_managers_and_their_segment_configs() {
    let (sandbox, http) = common::start().await;
    let token = common::service_token(&sandbox, &http).await;
    let second = post(
        &sandbox,
        &http,
        &token,
        "/v2/distribution-managers",
        json!({ "name": "Second manager", "integrationConnectionID": "ic-0001" }),
    )
    .await;
    assert_eq!(second.status(), 201);
    let second = second.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    common::activation_json(
        &sandbox,
        &http,
        &token,
        "/v2/distribution-managers/dm-0001/segment-configs/sc-0001",
        200,
    )
    .await;

    let deleted = common::activation(
        &sandbox,
        &http,
        &token,
        Method::DELETE,
        "/v2/integration-connections/ic-0001",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(deleted.status(), 200);

    for manager in ["dm-0001", second.as_str()] {
        let path = format!("/v2/distribution-managers/{manager}");
        common::activation_json(&sandbox, &http, &token, &path, 404).await;
        common::activation_json(
            &sandbox,
            &http,
            &token,
            &format!("{path}/segment-configs"),
            404,
        )
        .await;
    }
    common::activation_json(
        &sandbox,
        &http,
        &token,
        "/v2/distribution-managers/dm-0001/segment-configs/sc-0001",
        404,
    )
    .await;
    let managers =
        common::activation_json(&sandbox, &http, &token, "/v2/distribution-managers", 200).await;
    assert!(
        managers["v2/DistributionManagers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["integrationConnectionID"] != "ic-0001"),
        "{managers}"
    );
    // The segments it distributed are no longer synced anywhere.
    let statuses = common::activation_json(
        &sandbox,
        &http,
        &token,
        "/v2/segment-statuses?segmentIDs=seg-001",
        200,
    )
    .await;
    let status = &statuses["v2/SegmentStatuses"][0];
    assert_eq!(
        status["taxonomy"]["taxonomySyncStatus"], "NEVER_SYNCED",
        "{statuses}"
    );
    assert!(
        status
            .get("integrationConnectionID")
            .is_none_or(Value::is_null),
        "{statuses}"
    );
}
