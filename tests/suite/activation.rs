//! The Activation v2 client against httpmock: for every operation, what it sends (method, path,
//! query, auth headers, JSON body) and that it decodes the spec's own example answer.

use crate::common;
use crate::common::script;

use httpmock::prelude::*;
use httpmock::{Method, Mock};
use liveramp::activation::{Client, types};
use serde_json::{Value, json};

const SPEC: &str = "specs/activation.yaml";

/// The request a test expects the client to send.
struct Expected<'a> {
    method: Method,
    path: &'a str,
    query: Vec<(&'a str, &'a str)>,
    body: Option<Value>,
}

impl<'a> Expected<'a> {
    fn new(method: Method, path: &'a str) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    /// Expects these query parameters and no others; a key may repeat.
    fn query(mut self, query: &[(&'a str, &'a str)]) -> Self {
        self.query = query.to_vec();
        self
    }

    /// Expects exactly this JSON body.
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// A client for `server` that authenticates with the test token and org ID.
fn client(server: &MockServer) -> Client {
    client_on(server, common::transport(Some(common::ORG_ID)))
}

/// A client for `server` that sends through `transport`.
fn client_on(server: &MockServer, transport: liveramp::transport::Transport) -> Client {
    Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        transport,
    )
}

/// Onboarding segment config `i` (segment `21000000 + i`) of distribution manager `dm-1`.
fn segment(i: usize, destination: Option<&str>) -> types::SegmentConfigInput {
    types::SegmentConfigInput::try_from(
        types::SegmentConfigInput::builder()
            .segment_id(format!("{}", 21_000_000 + i))
            .segment_type(types::SegmentType::Onboarding)
            .distribution_manager_id("dm-1".to_owned())
            .destination_segment_id(destination.map(str::to_owned)),
    )
    .expect("every field is set")
}

/// The example the spec documents for `operation_id` answering `status`.
fn example(operation_id: &str, status: u16) -> Value {
    common::example(SPEC, operation_id, status)
}

/// Mocks one call: the request must match `expected` and carry the bearer token and org ID and
/// no `api-version`; the mock answers `status` with `answer` as JSON, or with no body.
async fn mock<'s>(
    server: &'s MockServer,
    expected: Expected<'_>,
    status: u16,
    answer: Option<&Value>,
) -> Mock<'s> {
    server
        .mock_async(|when, then| {
            let mut when = when
                .method(expected.method)
                .path(expected.path)
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .header("lr-org-id", common::ORG_ID)
                .header_missing("api-version")
                .query_param_count(".*", ".*", expected.query.len());
            for (key, value) in &expected.query {
                when = when.query_param(*key, *value);
            }
            if let Some(body) = &expected.body {
                when.json_body(body.clone());
            }
            let then = then.status(status);
            if let Some(answer) = answer {
                then.json_body(answer.clone());
            }
        })
        .await
}

/// Asserts that a decoded answer serializes back to the example it was decoded from.
fn assert_round_trips<T: serde::Serialize>(decoded: &T, example: &Value) {
    assert_eq!(
        serde_json::to_value(decoded).unwrap(),
        common::without_nulls(example)
    );
}

#[tokio::test]
async fn list_deliveries_sends_filters_and_exploded_segment_ids() {
    let server = MockServer::start_async().await;
    let answer = example("list_deliveries", 200);
    let expected = Expected::new(GET, "/v2/deliveries").query(&[
        ("limit", "25"),
        ("after", "cursor-1"),
        ("integrationConnectionID", "ic-1"),
        ("segmentIDs", "21984472"),
        ("segmentIDs", "21984473"),
    ]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_deliveries()
        .limit(25)
        .after("cursor-1")
        .integration_connection_id("ic-1")
        .segment_ids(vec!["21984472".to_owned(), "21984473".to_owned()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
    let delivery = &page.v2_deliveries[0];
    assert_eq!(delivery.status, types::DeliveryStatus::Delivered);
    assert_eq!(delivery.device_type, types::DeviceType::Ios);
    assert_eq!(
        page.v2_deliveries[1].operation_type,
        types::OperationType::Delete
    );
    assert_eq!(page.pagination.unwrap().total, Some(37));
}

#[tokio::test]
async fn list_destinations_pages() {
    let server = MockServer::start_async().await;
    let answer = example("list_destinations", 200);
    let expected = Expected::new(GET, "/v2/destinations").query(&[("limit", "2"), ("after", "c2")]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_destinations()
        .limit(2)
        .after("c2")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
    assert_eq!(page.pagination.unwrap().after, None);
}

#[tokio::test]
async fn get_destination() {
    let server = MockServer::start_async().await;
    let answer = example("get_destination", 200);
    let mock = mock(
        &server,
        Expected::new(GET, "/v2/destinations/1180"),
        200,
        Some(&answer),
    )
    .await;
    let destination = client(&server)
        .get_destination()
        .destination_id("1180")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&destination, &answer);
}

#[tokio::test]
async fn list_destination_integrations_sends_type_and_view() {
    let server = MockServer::start_async().await;
    let answer = example("list_destination_integrations", 200);
    let expected = Expected::new(GET, "/v2/destinations/1180/integrations").query(&[
        ("limit", "10"),
        ("after", "c3"),
        ("type", "ONBOARDING"),
        ("view", "STANDARD_WITH_UNAVAILABLE"),
    ]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_destination_integrations()
        .destination_id("1180")
        .limit(10)
        .after("c3")
        .type_(types::IntegrationType::Onboarding)
        .view(types::IntegrationView::StandardWithUnavailable)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
    assert_eq!(
        page.integrations[0].required_properties[0].name,
        "advertiserId"
    );
}

#[tokio::test]
async fn get_destination_integration_exposes_its_oauth_endpoint() {
    let server = MockServer::start_async().await;
    let answer = example("get_destination_integration", 200);
    let expected = Expected::new(GET, "/v2/destinations/1204/integrations/5530");
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let integration = client(&server)
        .get_destination_integration()
        .destination_id("1204")
        .integration_id("5530")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&integration, &answer);
    assert_eq!(
        integration.oauth_endpoint_id.as_deref(),
        Some("meta-business")
    );
}

#[tokio::test]
async fn create_distribution_manager_sends_the_body() {
    let server = MockServer::start_async().await;
    let answer = example("create_distribution_manager", 201);
    let expected = Expected::new(POST, "/v2/distribution-managers").body(json!({
        "name": "Spring campaign - TTD",
        "integrationConnectionID": "ic-1",
        "status": "ACTIVE",
        "expireAt": "2024-06-30",
    }));
    let mock = mock(&server, expected, 201, Some(&answer)).await;
    let created = client(&server)
        .create_distribution_manager()
        .body(
            types::DistributionManagerInput::builder()
                .name("Spring campaign - TTD")
                .integration_connection_id("ic-1")
                .status(Some(types::DistributionManagerStatus::Active))
                .expire_at(Some("2024-06-30".parse().unwrap())),
        )
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(created.status().as_u16(), 201);
    assert_round_trips(&created.into_inner(), &answer);
}

#[test]
fn distribution_manager_names_are_limited_to_50_characters() {
    assert!(
        "a".repeat(50)
            .parse::<types::DistributionManagerName>()
            .is_ok()
    );
    assert!(
        "a".repeat(51)
            .parse::<types::DistributionManagerName>()
            .is_err()
    );
}

#[tokio::test]
async fn list_distribution_managers_filters_by_connection() {
    let server = MockServer::start_async().await;
    let answer = example("list_distribution_managers", 200);
    let expected = Expected::new(GET, "/v2/distribution-managers").query(&[
        ("limit", "50"),
        ("after", "c4"),
        ("integrationConnectionID", "ic-1"),
    ]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_distribution_managers()
        .limit(50)
        .after("c4")
        .integration_connection_id("ic-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
}

#[tokio::test]
async fn get_distribution_manager_decodes_its_expiry_date() {
    let server = MockServer::start_async().await;
    let answer = example("get_distribution_manager", 200);
    let expected = Expected::new(GET, "/v2/distribution-managers/dm-1");
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let manager = client(&server)
        .get_distribution_manager()
        .distribution_manager_id("dm-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&manager, &answer);
    assert_eq!(
        manager.expire_at,
        Some(chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap())
    );
    assert_eq!(manager.status, types::DistributionManagerStatus::Active);
}

#[tokio::test]
async fn update_distribution_manager_sends_a_null_expiry() {
    let server = MockServer::start_async().await;
    let expected = Expected::new(PUT, "/v2/distribution-managers/dm-1").body(json!({
        "name": "Spring campaign - TTD",
        "status": "INACTIVE",
        "expireAt": null,
    }));
    let mock = mock(&server, expected, 200, None).await;
    let answer = client(&server)
        .update_distribution_manager()
        .distribution_manager_id("dm-1")
        .body(
            types::DistributionManagerUpdate::builder()
                .name("Spring campaign - TTD")
                .status(types::DistributionManagerStatus::Inactive)
                .expire_at(None),
        )
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn delete_distribution_manager() {
    let server = MockServer::start_async().await;
    let expected = Expected::new(DELETE, "/v2/distribution-managers/dm-1");
    let mock = mock(&server, expected, 200, None).await;
    let answer = client(&server)
        .delete_distribution_manager()
        .distribution_manager_id("dm-1")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn create_segment_configs_decodes_the_multi_status_answer() {
    let server = MockServer::start_async().await;
    let answer = example("create_segment_configs", 207);
    let expected =
        Expected::new(POST, "/v2/distribution-managers/dm-1/segment-configs").body(json!([
            {
                "segmentID": "21984472",
                "segmentType": "ONBOARDING",
                "distributionManagerID": "dm-1",
            },
            {
                "segmentID": "21984475",
                "segmentType": "DATA_MARKETPLACE",
                "destinationSegmentID": "ttd-seg-1",
                "distributionManagerID": "dm-1",
            },
        ]));
    let mock = mock(&server, expected, 207, Some(&answer)).await;
    let results = client(&server)
        .create_segment_configs()
        .distribution_manager_id("dm-1")
        .body(vec![
            types::SegmentConfigInput::try_from(
                types::SegmentConfigInput::builder()
                    .segment_id("21984472")
                    .segment_type(types::SegmentType::Onboarding)
                    .destination_segment_id(None)
                    .distribution_manager_id("dm-1"),
            )
            .expect("every field is set"),
            types::SegmentConfigInput::try_from(
                types::SegmentConfigInput::builder()
                    .segment_id("21984475")
                    .segment_type(types::SegmentType::DataMarketplace)
                    .destination_segment_id(Some("ttd-seg-1".into()))
                    .distribution_manager_id("dm-1"),
            )
            .expect("every field is set"),
        ])
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(results.status().as_u16(), 207);
    let results = results.into_inner();
    assert_round_trips(&results, &answer);
    let statuses: Vec<i32> = results
        .iter()
        .map(|item| item.status.as_ref().unwrap().http_status)
        .collect();
    assert_eq!(statuses, [201, 422]);
}

#[tokio::test]
async fn delete_segment_configs_sends_ids_in_the_body() {
    let server = MockServer::start_async().await;
    let answer = example("delete_segment_configs", 207);
    let expected = Expected::new(DELETE, "/v2/distribution-managers/dm-1/segment-configs")
        .body(json!([{"id": "sc-1"}, {"id": "sc-2"}]));
    let mock = mock(&server, expected, 207, Some(&answer)).await;
    let results = client(&server)
        .delete_segment_configs()
        .distribution_manager_id("dm-1")
        .body(vec![
            types::SegmentConfigRef::try_from(types::SegmentConfigRef::builder().id("sc-1"))
                .expect("every field is set"),
            types::SegmentConfigRef::try_from(types::SegmentConfigRef::builder().id("sc-2"))
                .expect("every field is set"),
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&results, &answer);
    assert_eq!(results[1].status.as_ref().unwrap().error_code, "NOT_FOUND");
}

#[tokio::test]
async fn list_segment_configs_pages() {
    let server = MockServer::start_async().await;
    let answer = example("list_segment_configs", 200);
    let expected = Expected::new(GET, "/v2/distribution-managers/dm-1/segment-configs")
        .query(&[("limit", "100"), ("after", "c5")]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_segment_configs()
        .distribution_manager_id("dm-1")
        .limit(100)
        .after("c5")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
}

#[tokio::test]
async fn get_segment_config() {
    let server = MockServer::start_async().await;
    let answer = example("get_segment_config", 200);
    let expected = Expected::new(GET, "/v2/distribution-managers/dm-1/segment-configs/sc-1");
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let config = client(&server)
        .get_segment_config()
        .distribution_manager_id("dm-1")
        .segment_config_id("sc-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&config, &answer);
    assert_eq!(config.segment_type, types::SegmentType::Onboarding);
}

#[tokio::test]
async fn create_integration_connection_sends_the_integration_pair() {
    let server = MockServer::start_async().await;
    let answer = example("create_integration_connection", 201);
    let expected = Expected::new(POST, "/v2/integration-connections").body(json!({
        "integrationID": ["1204", "5530"],
        "oAuthConnectionID": "oc-1",
        "properties": [{"propertyKey": "adAccountId", "propertyValue": "act_1"}],
        "deviceTypes": ["PII", "RAMP_ID"],
        "distributionManagerName": "Spring campaign",
    }));
    let mock = mock(&server, expected, 201, Some(&answer)).await;
    let created = client(&server)
        .create_integration_connection()
        .body(
            types::IntegrationConnectionInput::builder()
                .integration_id(["1204".into(), "5530".into()])
                .oauth_connection_id(Some("oc-1".into()))
                .properties(vec![property("adAccountId", "act_1")])
                .device_types(vec![types::DeviceType::Pii, types::DeviceType::RampId])
                .distribution_manager_name(Some("Spring campaign".into())),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&created, &answer);
}

#[tokio::test]
async fn list_integration_connections_decodes_oauth_status() {
    let server = MockServer::start_async().await;
    let answer = example("list_integration_connections", 200);
    let expected =
        Expected::new(GET, "/v2/integration-connections").query(&[("limit", "1"), ("after", "c6")]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_integration_connections()
        .limit(1)
        .after("c6")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
    let connection = &page.v2_integration_connections[1];
    assert_eq!(connection.integration_id, ["1204", "5530"]);
    assert_eq!(
        connection.oauth_status,
        Some(types::OAuthStatus::Authorized)
    );
}

#[tokio::test]
async fn get_integration_connection() {
    let server = MockServer::start_async().await;
    let answer = example("get_integration_connection", 200);
    let expected = Expected::new(GET, "/v2/integration-connections/ic-1");
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let connection = client(&server)
        .get_integration_connection()
        .integration_connection_id("ic-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&connection, &answer);
    assert_eq!(
        connection.oauth_status,
        Some(types::OAuthStatus::Unauthorized)
    );
}

#[tokio::test]
async fn update_integration_connection_sends_the_body() {
    let server = MockServer::start_async().await;
    let expected = Expected::new(PUT, "/v2/integration-connections/ic-1").body(json!({
        "oAuthConnectionID": "oc-2",
        "properties": [{"propertyKey": "adAccountId", "propertyValue": "act_2"}],
        "deviceTypes": ["MIXED"],
    }));
    let mock = mock(&server, expected, 200, None).await;
    let answer = client(&server)
        .update_integration_connection()
        .integration_connection_id("ic-1")
        .body(
            types::IntegrationConnectionUpdate::builder()
                .oauth_connection_id(Some("oc-2".into()))
                .properties(vec![property("adAccountId", "act_2")])
                .device_types(vec![types::DeviceType::Mixed]),
        )
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn delete_integration_connection() {
    let server = MockServer::start_async().await;
    let expected = Expected::new(DELETE, "/v2/integration-connections/ic-1");
    let mock = mock(&server, expected, 200, None).await;
    let answer = client(&server)
        .delete_integration_connection()
        .integration_connection_id("ic-1")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn list_oauth_connections_filters_by_endpoint() {
    let server = MockServer::start_async().await;
    let answer = example("list_oauth_connections", 200);
    let expected = Expected::new(GET, "/v2/oauth-connections").query(&[
        ("limit", "10"),
        ("after", "c7"),
        ("oAuthEndpointID", "meta-business"),
    ]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_oauth_connections()
        .limit(10)
        .after("c7")
        .oauth_endpoint_id("meta-business")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
}

#[tokio::test]
async fn get_oauth_connection() {
    let server = MockServer::start_async().await;
    let answer = example("get_oauth_connection", 200);
    let expected = Expected::new(GET, "/v2/oauth-connections/oc-1");
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let connection = client(&server)
        .get_oauth_connection()
        .oauth_connection_id("oc-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&connection, &answer);
}

#[tokio::test]
async fn create_oauth_connection_attempt_for_a_reauthorization() {
    let server = MockServer::start_async().await;
    let answer = example("create_oauth_connection_attempt", 201);
    let expected = Expected::new(POST, "/v2/oauth-connection-attempts").body(json!({
        "oAuthEndpointID": "meta-business",
        "redirectUrl": "https://app.example.com/done",
        "state": "s-1",
        "oAuthConnectionID": "oc-1",
    }));
    let mock = mock(&server, expected, 201, Some(&answer)).await;
    let created = client(&server)
        .create_oauth_connection_attempt()
        .body(
            types::OAuthConnectionAttemptInput::builder()
                .oauth_endpoint_id("meta-business")
                .redirect_url(Some("https://app.example.com/done".into()))
                .state(Some("s-1".into()))
                .oauth_connection_id(Some("oc-1".into())),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&created, &answer);
}

#[tokio::test]
async fn get_oauth_connection_attempt_by_uuid() {
    let server = MockServer::start_async().await;
    let answer = example("get_oauth_connection_attempt", 200);
    let id: uuid::Uuid = "123e4567-e89b-12d3-a456-426655440000".parse().unwrap();
    let path = format!("/v2/oauth-connection-attempts/{id}");
    let mock = mock(&server, Expected::new(GET, &path), 200, Some(&answer)).await;
    let attempt = client(&server)
        .get_oauth_connection_attempt()
        .attempt_id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&attempt, &answer);
    assert_eq!(attempt.id, id);
    assert_eq!(
        attempt.status,
        types::OAuthConnectionAttemptStatus::Authorized
    );
}

#[tokio::test]
async fn list_segments_searches_by_field_and_value() {
    let server = MockServer::start_async().await;
    let answer = example("list_segments", 200);
    let expected = Expected::new(GET, "/v2/segments").query(&[
        ("limit", "10"),
        ("after", "c8"),
        ("fieldName", "Loyalty tier"),
        ("valueName", "Gold"),
    ]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_segments()
        .limit(10)
        .after("c8")
        .field_name("Loyalty tier")
        .value_name("Gold")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
}

#[tokio::test]
async fn get_segment() {
    let server = MockServer::start_async().await;
    let answer = example("get_segment", 200);
    let expected = Expected::new(GET, "/v2/segments/21984472");
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let segment = client(&server)
        .get_segment()
        .segment_id("21984472")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&segment, &answer);
    assert_eq!(segment.field.name, "Loyalty tier");
}

#[tokio::test]
async fn list_segment_statuses_sends_type_and_exploded_ids() {
    let server = MockServer::start_async().await;
    let answer = example("list_segment_statuses", 200);
    let expected = Expected::new(GET, "/v2/segment-statuses").query(&[
        ("limit", "10"),
        ("after", "c9"),
        ("segmentType", "ONBOARDING"),
        ("segmentIDs", "21984472"),
        ("segmentIDs", "21984473"),
    ]);
    let mock = mock(&server, expected, 200, Some(&answer)).await;
    let page = client(&server)
        .list_segment_statuses()
        .limit(10)
        .after("c9")
        .segment_type(types::SegmentType::Onboarding)
        .segment_ids(vec!["21984472".to_owned(), "21984473".to_owned()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&page, &answer);
    assert_eq!(
        page.v2_segment_statuses[1].taxonomy.taxonomy_sync_status,
        Some(types::TaxonomySyncStatus::NeverSynced)
    );
}

#[tokio::test]
async fn segment_statuses_without_segment_ids_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("{}");
        })
        .await;
    let error = client(&server)
        .list_segment_statuses()
        .segment_type(types::SegmentType::Onboarding)
        .send()
        .await
        .unwrap_err();
    any.assert_calls_async(0).await;
    match &error {
        liveramp::Error::InvalidField { field, reason, .. } => {
            assert_eq!(
                (field.as_str(), reason.as_str()),
                ("segmentIDs", "must be sent")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "invalid request: `segmentIDs` must be sent; nothing was sent"
    );
}

#[tokio::test]
async fn unknown_enum_values_decode_and_round_trip() {
    let server = MockServer::start_async().await;
    let mut integration = example("get_destination_integration", 200);
    integration["deviceTypes"][0] = "CONNECTED_TV".into();
    let mut attempt = example("get_oauth_connection_attempt", 200);
    attempt["status"] = "EXPIRED".into();
    let id = "123e4567-e89b-12d3-a456-426655440000";
    let attempt_path = format!("/v2/oauth-connection-attempts/{id}");
    mock(
        &server,
        Expected::new(GET, "/v2/destinations/1204/integrations/5530"),
        200,
        Some(&integration),
    )
    .await;
    mock(
        &server,
        Expected::new(GET, &attempt_path),
        200,
        Some(&attempt),
    )
    .await;
    let client = client(&server);

    let decoded = client
        .get_destination_integration()
        .destination_id("1204")
        .integration_id("5530")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decoded.device_types[0],
        types::DeviceType::Unknown("CONNECTED_TV".into())
    );
    assert_round_trips(&decoded, &integration);

    let decoded = client
        .get_oauth_connection_attempt()
        .attempt_id(id.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decoded.status.as_str(), "EXPIRED");
    assert_round_trips(&decoded, &attempt);
}

#[tokio::test]
async fn not_found_decodes_into_standard_error() {
    let server = MockServer::start_async().await;
    let body = example("get_segment", 404);
    mock(
        &server,
        Expected::new(GET, "/v2/segments/missing"),
        404,
        Some(&body),
    )
    .await;
    let err = client(&server)
        .get_segment()
        .segment_id("missing")
        .send()
        .await
        .expect_err("404");
    match err {
        liveramp::Error::Api(answer) => {
            assert_eq!(answer.status.as_u16(), 404);
            assert_eq!(
                answer.shape,
                liveramp::error::ErrorShape::ActivationStandardError
            );
            assert_eq!(answer.code.as_deref(), Some("NOT_FOUND"));
            assert_eq!(answer.message.as_deref(), body["message"].as_str());
        }
        other => panic!("expected the StandardError body, got {other:?}"),
    }
}

#[tokio::test]
async fn rate_limited_answers_decode_into_standard_error() {
    let server = MockServer::start_async().await;
    let body = example("list_destinations", 429);
    mock(
        &server,
        Expected::new(GET, "/v2/destinations"),
        429,
        Some(&body),
    )
    .await;
    let err = client(&server)
        .list_destinations()
        .send()
        .await
        .expect_err("429");
    match err {
        liveramp::Error::Api(answer) => {
            assert_eq!(answer.status.as_u16(), 429);
            assert_eq!(answer.code.as_deref(), Some("TOO_MANY_REQUESTS"));
        }
        other => panic!("expected the StandardError body, got {other:?}"),
    }
}

/// A page of destinations with these IDs and the cursor of the next page.
fn destination_page(ids: &[&str], after: Option<&str>) -> Value {
    serde_json::json!({
        "v2/Destinations": ids
            .iter()
            .map(|id| serde_json::json!({"id": id, "name": format!("d{id}"), "logoUrl": "https://x/l.png"}))
            .collect::<Vec<_>>(),
        "_pagination": {"after": after},
    })
}

#[tokio::test]
async fn a_list_streams_every_item_across_pages() {
    use futures::TryStreamExt;
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/destinations")
                .query_param("limit", "2")
                .query_param_missing("after");
            then.status(200)
                .json_body(destination_page(&["1", "2"], Some("c1")));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/destinations")
                .query_param("limit", "2")
                .query_param("after", "c1");
            then.status(200)
                .json_body(destination_page(&["3", "4"], Some("c2")));
        })
        .await;
    let last = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/destinations")
                .query_param("after", "c2");
            then.status(200).json_body(destination_page(&["5"], None));
        })
        .await;
    let ids: Vec<String> = client(&server)
        .list_destinations()
        .limit(2)
        .stream()
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    for mock in [first, second, last] {
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_and_an_error_ends_it_with_the_error() {
    use futures::{StreamExt, TryStreamExt};
    let server = MockServer::start_async().await;
    let looping = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/destinations");
            then.status(200)
                .json_body(destination_page(&["1"], Some("same")));
        })
        .await;
    let items: Vec<_> = client(&server)
        .list_destinations()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        items.len(),
        2,
        "the first page and the one the cursor named"
    );
    looping.assert_calls_async(2).await;

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/destinations")
                .query_param_missing("after");
            then.status(200)
                .json_body(destination_page(&["1"], Some("c1")));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/destinations")
                .query_param("after", "c1");
            then.status(422).json_body(serde_json::json!({
                "httpStatus": 422, "errorCode": "INVALID_CURSOR", "message": "bad cursor"
            }));
        })
        .await;
    let results: Vec<_> = client(&server).list_destinations().stream().collect().await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let error = results[1].as_ref().unwrap_err();
    assert_eq!(
        error.api_error().and_then(|e| e.code.as_deref()),
        Some("INVALID_CURSOR")
    );
}

/// Scripts the answers of `server`'s segment-config creation for `dm-1`, one per call.
async fn segment_config_calls(
    server: &MockServer,
    answers: Vec<script::Answer>,
) -> script::Script<'_> {
    script::script(
        server,
        "POST",
        "/v2/distribution-managers/dm-1/segment-configs",
        answers,
    )
    .await
}

/// The 207 answer `body`.
fn multi(body: Value) -> script::Answer {
    script::Answer {
        status: 207,
        body,
        retry_after: None,
    }
}

/// A 207 answer of `n` items, item `i` with `status(i)`.
fn multi_status(n: usize, status: impl Fn(usize) -> u16) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let code = status(i);
                serde_json::json!({
                    "id": format!("sc-{i}"),
                    "status": {"httpStatus": code, "errorCode": if code < 300 { "CREATED" } else { "REFUSED" }, "message": "m"}
                })
            })
            .collect(),
    )
}

#[tokio::test]
async fn any_number_of_segments_is_added_in_calls_of_500_with_one_report() {
    let server = MockServer::start_async().await;
    let calls = segment_config_calls(
        &server,
        vec![
            // Item 3 is busy, item 7 refused; the second and third chunks succeed.
            multi(multi_status(500, |i| match i {
                3 => 503,
                7 => 422,
                _ => 201,
            })),
            multi(multi_status(500, |_| 201)),
            multi(multi_status(200, |_| 201)),
            // Item 3 alone, again.
            multi(multi_status(1, |_| 201)),
        ],
    )
    .await;
    let segments = (0..1_200).map(|i| segment(i, None));
    // The retry round waits the policy's backoff on the transport's clock.
    let clock = liveramp::retry::RecordingClock::default();
    let mut policy = liveramp::retry::RetryPolicy::default();
    policy.base_delay = std::time::Duration::from_secs(7);
    let client = client_on(
        &server,
        common::transport_on(Some(common::ORG_ID), clock.clone(), policy),
    );
    let report = client.add_segment_configs("dm-1", segments).await.unwrap();
    let sleeps = clock.sleeps();
    assert!(
        sleeps.len() == 1 && sleeps[0] <= std::time::Duration::from_secs(7),
        "one wait before the retry round: {sleeps:?}"
    );
    assert_eq!(calls.requests(), 4);
    assert_eq!(report.items.len(), 1_200);
    assert!(report.items.iter().enumerate().all(|(i, o)| o.index == i));
    assert!(
        report.items[3].result.is_ok(),
        "retried: {:?}",
        report.items[3]
    );
    let refused: Vec<_> = report.failed().collect();
    assert_eq!(refused.len(), 1);
    let error = refused[0].result.as_ref().unwrap_err();
    assert_eq!((refused[0].index, error.status.as_u16()), (7, 422));
    assert_eq!(error.code.as_deref(), Some("REFUSED"));
}

#[tokio::test]
async fn a_refused_segment_config_does_not_quote_what_it_sent() {
    let server = MockServer::start_async().await;
    let calls = segment_config_calls(
        &server,
        vec![multi(serde_json::json!([{
            "id": "sc-0",
            "status": {
                "httpStatus": 422,
                "errorCode": "REFUSED",
                "message": "destination segment dest-jane-doe-42 is taken"
            }
        }]))],
    )
    .await;
    let client = client(&server);
    let segments = [segment(0, Some("dest-jane-doe-42"))];
    let report = client.add_segment_configs("dm-1", segments).await.unwrap();
    assert_eq!(calls.requests(), 1);
    let error = report.items[0].result.as_ref().unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("is taken"), "{shown}");
    assert!(!shown.contains("dest-jane-doe-42"), "{shown}");
}

#[tokio::test]
async fn a_removal_answered_out_of_order_is_credited_by_id() {
    // Found by review: results were matched to items by position, so a removal answered in
    // another order was reported for the wrong segment config.
    let server = MockServer::start_async().await;
    let result = |id: &str, status: i64| {
        serde_json::json!({"id": id, "status": {
            "httpStatus": status, "errorCode": "X", "message": "m"
        }})
    };
    let removals = script::script(
        &server,
        "DELETE",
        "/v2/distribution-managers/dm-1/segment-configs",
        vec![
            multi(serde_json::json!([
                result("sc-B", 200),
                result("sc-A", 404)
            ])),
            multi(serde_json::json!([
                result("sc-C", 200),
                result("sc-A", 200)
            ])),
        ],
    )
    .await;
    let client = client(&server);
    let ids = ["sc-A".to_owned(), "sc-B".to_owned()];
    let report = client
        .remove_segment_configs("dm-1", ids.clone())
        .await
        .unwrap();
    let statuses: Vec<Option<u16>> = report
        .items
        .iter()
        .map(|o| o.result.as_ref().err().map(|e| e.status.as_u16()))
        .collect();
    assert_eq!(statuses, [Some(404), None], "{report:?}");
    // A result naming an id the call did not send cannot be credited: the change stops.
    let stopped = client
        .remove_segment_configs("dm-1", ids)
        .await
        .unwrap_err();
    assert!(
        stopped.error.to_string().contains("did not send"),
        "{stopped:?}"
    );
    assert_eq!(removals.requests(), 2);
}

#[tokio::test]
async fn an_item_status_out_of_range_is_a_failure_not_a_success() {
    // Found by review: a status of 0 (or negative, or 1000 and up) fell back to 200, so a
    // refused item was reported applied.
    let server = MockServer::start_async().await;
    let broken = |status: i64| {
        serde_json::json!({"id": "sc-0", "status": {
            "httpStatus": status, "errorCode": "INTERNAL", "message": "boom"
        }})
    };
    segment_config_calls(
        &server,
        vec![multi(serde_json::json!([
            broken(0),
            broken(-1),
            broken(1000)
        ]))],
    )
    .await;
    let client = client_on(
        &server,
        common::transport_on(
            Some(common::ORG_ID),
            liveramp::retry::RecordingClock::default(),
            liveramp::retry::RetryPolicy::no_retry(),
        ),
    );
    let segments = (0..3).map(|i| segment(i, None));
    let report = client.add_segment_configs("dm-1", segments).await.unwrap();
    assert_eq!(report.succeeded().count(), 0, "{report:?}");
    for item in &report.items {
        let error = item.result.as_ref().unwrap_err();
        assert_eq!(error.status.as_u16(), 500, "{error:?}");
    }
}

#[tokio::test]
async fn a_refused_segment_config_does_not_quote_the_token_its_call_sent() {
    // Found by review: an item's error was cleaned of the token source's current token, asked
    // for after the answer; a token refreshed meanwhile left the one sent in the text.
    let server = MockServer::start_async().await;
    segment_config_calls(
        &server,
        vec![multi(serde_json::json!([{
            "id": "sc-0",
            "status": {
                "httpStatus": 403,
                "errorCode": "FORBIDDEN",
                "message": format!("token {} may not", common::NewTokenEachAsk::FIRST)
            }
        }]))],
    )
    .await;
    let client = client_on(
        &server,
        common::transport_with_new_token_each_ask(Some(common::ORG_ID)),
    );
    let report = client
        .add_segment_configs("dm-1", [segment(0, None)])
        .await
        .unwrap();
    let error = report.items[0].result.as_ref().unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("token [redacted] may not"), "{shown}");
}

#[tokio::test]
async fn a_segment_call_that_fails_reports_what_earlier_calls_applied() {
    // Found by review: the outcomes of the calls before a failed one were dropped with it, so
    // a caller could not tell which configs existed.
    let server = MockServer::start_async().await;
    let calls = segment_config_calls(
        &server,
        vec![
            multi(multi_status(500, |_| 201)),
            script::Answer {
                status: 400,
                body: serde_json::json!({"httpStatus": 400, "errorCode": "BAD", "message": "no"}),
                retry_after: None,
            },
        ],
    )
    .await;
    let segments = (0..600).map(|i| segment(i, None));
    let client = client(&server);
    let stopped = client
        .add_segment_configs("dm-1", segments)
        .await
        .unwrap_err();
    assert_eq!(calls.requests(), 2);
    assert_eq!(stopped.report.items.len(), 500);
    assert!(
        stopped
            .report
            .items
            .iter()
            .enumerate()
            .all(|(i, o)| o.index == i)
    );
    assert_eq!(stopped.error.status().map(|s| s.as_u16()), Some(400));
    let error: liveramp::Error = stopped.into();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn segment_retries_take_from_the_budget_and_errors_quote_no_item_of_the_call() {
    use liveramp::retry::RetryBudget;
    // Found by review: items were retried whatever the budget held, and an item's error had
    // only its own values removed, not its neighbours' nor the client's token.
    let server = MockServer::start_async().await;
    let echo = format!("dest-jane-doe-42 is busy for {}", common::TOKEN);
    let calls = segment_config_calls(
        &server,
        vec![multi(serde_json::json!([
            {"id": "sc-0", "status": {"httpStatus": 201, "errorCode": "", "message": ""}},
            {"id": "sc-1", "status": {"httpStatus": 503, "errorCode": "BUSY", "message": echo}}
        ]))],
    )
    .await;
    let transport = common::transport_with_budget(std::sync::Arc::new(RetryBudget::new(4, 5, 10)));
    let client = client_on(&server, transport);
    let segments = ["dest-jane-doe-42", "dest-john-roe-43"].map(|d| segment(0, Some(d)));
    let report = client.add_segment_configs("dm-1", segments).await.unwrap();
    assert_eq!(calls.requests(), 1, "no retry left in the budget");
    let error = report.items[1].result.as_ref().unwrap_err();
    assert_eq!(error.status.as_u16(), 503);
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("dest-jane-doe-42"), "{shown}");
    assert!(!shown.contains(common::TOKEN), "{shown}");
    assert!(
        shown.contains("[redacted] is busy for [redacted]"),
        "{shown}"
    );
}

/// An integration connection's property.
fn property(key: &str, value: &str) -> types::IntegrationConnectionProperty {
    types::IntegrationConnectionProperty::try_from(
        types::IntegrationConnectionProperty::builder()
            .property_key(key)
            .property_value(value),
    )
    .expect("every field is set")
}
