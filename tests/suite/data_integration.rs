//! The Data Integration legacy client against httpmock: what it sends and what it decodes.

use crate::common;

use httpmock::prelude::*;
use liveramp::data_integration::{Client, types};
use serde::Serialize;

const SPEC: &str = "specs/data-integration.yaml";

fn client(server: &MockServer) -> Client {
    Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(None),
    )
}

/// The HTTP method the spec gives `operation_id`, upper-case.
fn spec_method(operation_id: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SPEC);
    let doc = liveramp_codegen::load(&path).unwrap();
    let (_, method, _) = liveramp_codegen::operation(&doc, operation_id).unwrap();
    method.to_uppercase()
}

/// Mocks a bearer-authenticated call to `path` with the spec's method for `operation_id`
/// that answers its 200 example and, for a call with a body, expects its request example.
async fn mock_example<'a>(
    server: &'a MockServer,
    operation_id: &str,
    path: &str,
) -> (httpmock::Mock<'a>, serde_json::Value) {
    let body = common::example(SPEC, operation_id, 200);
    let method = spec_method(operation_id);
    let request = matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
        .then(|| common::request_example(SPEC, operation_id));
    let mock = server
        .mock_async(|when, then| {
            let when = when
                .method(method.as_str())
                .path(path)
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .header_missing("api-version");
            if let Some(request) = request {
                when.json_body(request);
            }
            then.status(200).json_body(body.clone());
        })
        .await;
    (mock, body)
}

/// Asserts that `decoded` serializes back to the example answer it was decoded from.
fn assert_round_trips<T: Serialize>(decoded: &T, body: &serde_json::Value) {
    assert_eq!(
        serde_json::to_value(decoded).unwrap(),
        common::without_nulls(body)
    );
}

#[tokio::test]
async fn create_oauth2_request_posts_the_datasource_and_validity() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "create_oauth2_request", "/oauth2").await;
    let started = client(&server)
        .create_oauth2_request()
        .body(
            types::NewOAuth2Request::builder()
                .datasource_id("fb")
                .validity_duration(300),
        )
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&started, &body);
}

#[tokio::test]
async fn get_oauth2_credentials_posts_the_pull_id_and_auth_uri_and_keeps_large_ids_exact() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "get_oauth2_credentials", "/oauth2/credentials").await;
    let query: types::OAuth2CredentialsQuery =
        serde_json::from_value(common::request_example(SPEC, "get_oauth2_credentials")).unwrap();
    assert!(query.auth_uri.is_some());
    let credentials = client(&server)
        .get_oauth2_credentials()
        .body(query)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&credentials, &body);
    assert_eq!(credentials.client_id, body["clientId"].as_i64());
    assert!(credentials.client_id > Some(1 << 53));
}

#[tokio::test]
async fn list_connections_decodes_the_spec_example() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "list_connections", "/connections/list").await;
    let connections = client(&server)
        .list_connections()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&connections, &body);
    assert_eq!(connections.0[1].connection_type, "snowflake");
}

#[tokio::test]
async fn list_connections_of_type_puts_the_type_in_the_path_and_the_cross_id_in_the_query() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "list_connections_of_type", 200);
    let cross_id = "5f1e6a0b9c1d2e3f4a5b6c7e";
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/connections/fb")
                .query_param("cross_id", cross_id)
                .header("authorization", format!("Bearer {}", common::TOKEN));
            then.status(200).json_body(body.clone());
        })
        .await;
    let connections = client(&server)
        .list_connections_of_type()
        .connection_type("fb")
        .cross_id(cross_id)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&connections, &body);
    assert_eq!(connections.0[0].cross_id.as_deref(), Some(cross_id));
}

#[tokio::test]
async fn create_connection_puts_the_new_connection_with_its_credentials() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "create_connection", "/connections/create/data").await;
    let example = common::request_example(SPEC, "create_connection");
    let request: types::NewConnection = serde_json::from_value(example.clone()).unwrap();
    let token = example["credentials"]["access_token"].as_str().unwrap();
    assert!(request.credentials.is_some());
    // The credentials are sent as they are, and never shown.
    assert_eq!(serde_json::to_value(&request).unwrap(), example);
    let shown = format!("{request:?}");
    assert!(
        !shown.contains(token) && shown.contains("access_token"),
        "{shown}"
    );
    let created = client(&server)
        .create_connection()
        .body(request)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&created, &body);
}

#[tokio::test]
async fn update_and_delete_connection_name_the_connection_in_the_body() {
    let server = MockServer::start_async().await;
    let (update, body) = mock_example(&server, "update_connection", "/connections").await;
    let updated = client(&server)
        .update_connection()
        .body(
            types::ConnectionUpdate::builder()
                .id("5f1e6a0b9c1d2e3f4a5b6c7d")
                .connection_name(Some("Facebook Ads - Brand".to_owned())),
        )
        .send()
        .await
        .expect("decodes")
        .into_inner();
    update.assert_async().await;
    assert_round_trips(&updated, &body);
    let (delete, body) = mock_example(&server, "delete_connection", "/connections").await;
    let deleted = client(&server)
        .delete_connection()
        .body(types::ConnectionRef::builder().id("5f1e6a0b9c1d2e3f4a5b6c7d"))
        .send()
        .await
        .expect("decodes")
        .into_inner();
    delete.assert_async().await;
    assert_round_trips(&deleted, &body);
}

#[tokio::test]
async fn rivers_are_listed_by_group_and_fetched_by_id() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "list_rivers", 200);
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/rivers")
                .query_param("group", "Marketing");
            then.status(200).json_body(body.clone());
        })
        .await;
    let rivers = client(&server)
        .list_rivers()
        .group("Marketing")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    list.assert_async().await;
    assert_round_trips(&rivers, &body);
    let (get, body) = mock_example(&server, "get_river", "/rivers/5faa76e31e78e0001d61d7cf").await;
    let river = client(&server)
        .get_river()
        .river_id("5faa76e31e78e0001d61d7cf")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    get.assert_async().await;
    assert_round_trips(&river, &body);
}

#[tokio::test]
async fn run_river_posts_the_river_and_check_run_asks_by_run_id() {
    let server = MockServer::start_async().await;
    let (run, body) = mock_example(&server, "run_river", "/run").await;
    let started = client(&server)
        .run_river()
        .body(types::RunRequest::builder().river_id("5e5fbbc2567409482d8511cd"))
        .send()
        .await
        .expect("decodes")
        .into_inner();
    run.assert_async().await;
    assert_round_trips(&started, &body);
    assert_eq!(started.river_run_status, Some(types::RunStatus::W));
    let body = common::example(SPEC, "check_run", 200);
    let check = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/check_run")
                .query_param("run_id", "5e473b95567f0d3050af5ed5");
            then.status(200).json_body(body.clone());
        })
        .await;
    let status = client(&server)
        .check_run()
        .run_id("5e473b95567f0d3050af5ed5")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    check.assert_async().await;
    assert_round_trips(&status, &body);
    assert_eq!(status.river_run_status, Some(types::RunStatus::D));
}

#[tokio::test]
async fn list_connection_types_decodes_the_oauth_flags() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "list_connection_types", "/connection_types").await;
    let types = client(&server)
        .list_connection_types()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&types, &body);
    let oauth: Vec<_> = types.0.iter().map(|t| t.oauth).collect();
    assert_eq!(oauth, [Some(true), Some(false)]);
}

#[tokio::test]
async fn get_connection_type_puts_the_type_in_the_path() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "get_connection_type", "/connection_types/fb").await;
    let connection_type = client(&server)
        .get_connection_type()
        .type_("fb")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&connection_type, &body);
}

#[tokio::test]
async fn get_me_decodes_the_spec_example() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "get_me", "/me").await;
    let me = client(&server)
        .get_me()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&me, &body);
}

#[tokio::test]
async fn the_documented_429_decodes_into_the_error_message_schema() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "create_oauth2_request", 429);
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2");
            then.status(429).json_body(body.clone());
        })
        .await;
    let err = client(&server)
        .create_oauth2_request()
        .body(
            types::NewOAuth2Request::builder()
                .datasource_id("fb")
                .validity_duration(300),
        )
        .send()
        .await
        .expect_err("429");
    match err {
        liveramp::Error::Api(answer) => {
            assert_eq!(answer.status.as_u16(), 429);
            assert_eq!(answer.message.as_deref(), body["message"].as_str());
        }
        other => panic!("expected the ErrorMessage body, got {other:?}"),
    }
}

#[test]
fn provider_access_tokens_are_redacted_in_debug() {
    let body = common::example("specs/data-integration.yaml", "get_oauth2_credentials", 200);
    let credentials: liveramp::data_integration::types::OAuth2Credentials =
        serde_json::from_value(body.clone()).unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert!(!format!("{credentials:?}").contains(token));
    assert_eq!(
        credentials.access_token.as_ref().map(|t| t.expose()),
        Some(token)
    );
    assert_eq!(serde_json::to_value(&credentials).unwrap(), body);
}
