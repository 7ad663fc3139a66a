//! The Data Integration legacy client against httpmock: what it sends and what it decodes.

mod common;

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
/// that answers its 200 example and, for a POST, expects its request example as the body.
async fn mock_example<'a>(
    server: &'a MockServer,
    operation_id: &str,
    path: &str,
) -> (httpmock::Mock<'a>, serde_json::Value) {
    let body = common::example(SPEC, operation_id, 200);
    let method = spec_method(operation_id);
    let request = (method == "POST").then(|| common::request_example(SPEC, operation_id));
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
async fn get_oauth2_credentials_posts_the_pull_id_and_keeps_large_ids_exact() {
    let server = MockServer::start_async().await;
    let (mock, body) = mock_example(&server, "get_oauth2_credentials", "/oauth2/credentials").await;
    let pull_id = common::request_example(SPEC, "get_oauth2_credentials")["pull_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let credentials = client(&server)
        .get_oauth2_credentials()
        .body(types::OAuth2CredentialsQuery { pull_id })
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
async fn get_connection_puts_the_id_in_the_path() {
    let server = MockServer::start_async().await;
    let id = "5f1e6a0b9c1d2e3f4a5b6c7d";
    let path = format!("/connections/{id}");
    let (mock, body) = mock_example(&server, "get_connection", &path).await;
    let connection = client(&server)
        .get_connection()
        .connection_id(id)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&connection, &body);
    assert_eq!(connection.id, id);
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
    let (mock, body) = mock_example(
        &server,
        "get_connection_type",
        "/connection_types/facebook_ads",
    )
    .await;
    let connection_type = client(&server)
        .get_connection_type()
        .type_("facebook_ads")
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
