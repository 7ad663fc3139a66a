//! The Consent Files client against httpmock: what it sends and what it decodes.

use crate::common;

use httpmock::prelude::*;
use liveramp::consent::{Client, types};

#[tokio::test]
async fn list_consent_files_sends_filters_and_decodes_the_spec_example() {
    let server = MockServer::start_async().await;
    let body = common::example("specs/consent.yaml", "list_consent_files", 200);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/consent-files")
                .query_param("limit", "5")
                .query_param("after", "cursor-1")
                .query_param("createdAfter", "2019-11-01T00:00:00Z")
                .query_param_missing("createdBefore")
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .header_missing("lr-org-id")
                .header_missing("api-version");
            then.status(200).json_body(body.clone());
        })
        .await;
    let client = Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(None),
    );
    let after: chrono::DateTime<chrono::Utc> = "2019-11-01T00:00:00Z".parse().unwrap();
    let page = client
        .list_consent_files()
        .limit(5)
        .after("cursor-1")
        .created_after(after)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(
        serde_json::to_value(&page).unwrap(),
        common::without_nulls(&body)
    );
    let file = &page.v2_consent_files[0];
    assert_eq!(file.identifier_type, types::IdentifierType::Muid);
    assert_eq!(file.muid_device_type, Some(types::MuidDeviceType::Idfa));
    assert!(!file.data_controller.liveramp_controlled);
}

#[tokio::test]
async fn unknown_enum_values_decode_and_round_trip() {
    let server = MockServer::start_async().await;
    let mut body = common::example("specs/consent.yaml", "list_consent_files", 200);
    body["v2/ConsentFiles"][0]["identifierType"] = "EMAIL_SHA256".into();
    body["v2/ConsentFiles"][0]["requestType"] = "RESTRICT".into();
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/consent-files");
            then.status(200).json_body(body.clone());
        })
        .await;
    let client = Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(None),
    );
    let page = client
        .list_consent_files()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    let file = &page.v2_consent_files[0];
    assert_eq!(
        file.identifier_type,
        types::IdentifierType::Unknown("EMAIL_SHA256".into())
    );
    assert_eq!(file.request_type.as_str(), "RESTRICT");
    assert_eq!(
        serde_json::to_value(&page).unwrap(),
        common::without_nulls(&body)
    );
}

#[tokio::test]
async fn documented_errors_decode_into_the_errors_schema() {
    let server = MockServer::start_async().await;
    let body = common::example("specs/consent.yaml", "list_consent_files", 422);
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/consent-files");
            then.status(422).json_body(body.clone());
        })
        .await;
    let client = Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(None),
    );
    let err = client.list_consent_files().send().await.expect_err("422");
    match err {
        liveramp::Error::Api(answer) => {
            assert_eq!(answer.status.as_u16(), 422);
            assert_eq!(answer.shape, liveramp::error::ErrorShape::ConsentErrors);
            assert_eq!(answer.code.as_deref(), Some("INVALID_PARAMETER"));
        }
        other => panic!("expected the Errors body, got {other:?}"),
    }
}
