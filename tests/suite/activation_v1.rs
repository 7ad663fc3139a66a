//! The legacy Activation v1.1 client against httpmock: what it sends and what it decodes.

use crate::common;

use httpmock::prelude::*;
use liveramp::activation_v1::{Client, types};
use liveramp::auth::Secret;
use liveramp::transport::Transport;
use serde::Serialize;

const SPEC: &str = "specs/activation-v1.yaml";

/// A client of `server` with no bearer token: v1 authenticates with `x-api-key`.
fn client(server: &MockServer) -> Client {
    Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        Transport::builder().build(),
    )
}

/// Asserts that `decoded` serializes back to the example answer it was decoded from.
fn assert_round_trips<T: Serialize>(decoded: &T, body: &serde_json::Value) {
    assert_eq!(
        serde_json::to_value(decoded).unwrap(),
        common::without_nulls(body)
    );
}

#[tokio::test]
async fn list_destinations_decodes_the_spec_example() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "list_destinations", 200);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/distribution/destinations")
                .header_missing("api-version");
            then.status(200).json_body(body.clone());
        })
        .await;
    let list = client(&server)
        .list_destinations()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&list, &body);
    assert_eq!(list.destinations[0].id, 1234);
}

#[tokio::test]
async fn new_destination_account_template_sends_the_destination_id() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "new_destination_account_template", 200);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/distribution/accounts/new")
                .query_param("destination_id", "1234")
                .header_missing("api-version");
            then.status(200).json_body(body.clone());
        })
        .await;
    let template = client(&server)
        .new_destination_account_template()
        .destination_id(1234)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&template, &body);
    let property = &template.account.properties[0];
    assert_eq!(property.name, "advertiser_id");
    assert_eq!(
        property.needed_for_device_types,
        [
            types::DeviceType::Web,
            types::DeviceType::Ios,
            types::DeviceType::Android
        ]
    );
}

#[tokio::test]
async fn create_destination_account_posts_the_filled_template() {
    let server = MockServer::start_async().await;
    let request = common::request_example(SPEC, "create_destination_account");
    let body = common::example(SPEC, "create_destination_account", 201);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/distribution/accounts")
                .header("content-type", "application/json")
                .header_missing("api-version")
                .json_body(request.clone());
            then.status(201).json_body(body.clone());
        })
        .await;
    let new_account = types::NewDestinationAccount::builder()
        .destination_id(1234)
        .integration_id(42)
        .name("My_Test_Account")
        .device_types(vec![types::DeviceType::Web, types::DeviceType::Android])
        .properties(vec![
            types::AccountProperty::try_from(
                types::AccountProperty::builder()
                    .name("advertiser_id")
                    .value("ABC_123"),
            )
            .expect("every field is set"),
        ]);
    let account = client(&server)
        .create_destination_account()
        .body(types::CreateDestinationAccountRequest::builder().destination_account(new_account))
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&account, &body);
    assert_eq!(account.destination_account.id, 987654);
    assert_eq!(
        account.destination_account.oauth_status,
        types::OAuthStatus::OauthUnauthorized
    );
}

#[tokio::test]
async fn get_destination_account_puts_the_id_in_the_path() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "get_destination_account", 200);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/distribution/accounts/987654")
                .header_missing("api-version");
            then.status(200).json_body(body.clone());
        })
        .await;
    let account = client(&server)
        .get_destination_account()
        .id(987654)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&account, &body);
    assert_eq!(
        account.destination_account.oauth_status,
        types::OAuthStatus::OauthAuthorized
    );
}

#[tokio::test]
async fn perform_oauth_authorization_posts_the_redirect_url_and_state() {
    let server = MockServer::start_async().await;
    let request = common::request_example(SPEC, "perform_oauth_authorization");
    let body = common::example(SPEC, "perform_oauth_authorization", 200);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/distribution/accounts/987654/oauth")
                .header_missing("api-version")
                .json_body(request.clone());
            then.status(200).json_body(body.clone());
        })
        .await;
    let authorization = client(&server)
        .perform_oauth_authorization()
        .id(987654)
        .body(
            types::OAuthAuthorizationRequest::builder()
                .redirect_url("https://app.example.com/liveramp/oauth-done")
                .state(Some("session-7f3a".into())),
        )
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&authorization, &body);
    assert!(
        authorization
            .authorization_url
            .expose()
            .starts_with("https://")
    );
}

#[test]
fn the_oauth_redirect_query_decodes_into_its_schema() {
    let redirect: types::OAuthRedirect = serde_json::from_value(
        serde_json::json!({"status": "service_unavailable", "state": "s-1"}),
    )
    .unwrap();
    assert_eq!(
        redirect.status,
        types::OAuthRedirectStatus::ServiceUnavailable
    );
    assert_eq!(redirect.state.as_ref().map(Secret::expose), Some("s-1"));
}

#[tokio::test]
async fn unknown_enum_values_decode_and_round_trip() {
    let server = MockServer::start_async().await;
    let mut body = common::example(SPEC, "get_destination_account", 200);
    body["destination_account"]["oauth_status"] = "oauth_expired".into();
    body["destination_account"]["device_types"][0] = "ctv".into();
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/distribution/accounts/1");
            then.status(200).json_body(body.clone());
        })
        .await;
    let account = client(&server)
        .get_destination_account()
        .id(1)
        .send()
        .await
        .expect("decodes")
        .into_inner()
        .destination_account;
    assert_eq!(
        account.oauth_status,
        types::OAuthStatus::Unknown("oauth_expired".into())
    );
    assert_eq!(account.device_types[0].as_str(), "ctv");
    assert_round_trips(
        &types::DestinationAccountEnvelope::try_from(
            types::DestinationAccountEnvelope::builder().destination_account(account),
        )
        .expect("every field is set"),
        &body,
    );
}

#[tokio::test]
async fn documented_errors_decode_into_the_error_message_schema() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "get_destination_account", 404);
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/distribution/accounts/404");
            then.status(404).json_body(body.clone());
        })
        .await;
    let err = client(&server)
        .get_destination_account()
        .id(404)
        .send()
        .await
        .expect_err("404");
    match err {
        liveramp::Error::Api(answer) => {
            assert_eq!(answer.status.as_u16(), 404);
            assert_eq!(answer.message.as_deref(), body["message"].as_str());
        }
        other => panic!("expected the ErrorMessage body, got {other:?}"),
    }
}
