//! The sandbox's AbiliTec, Data Integration and Activation v1.1 answers decode into the types
//! generated from their specs, through the typed clients.

use crate::common;

use std::sync::Arc;

use liveramp::auth::StaticToken;
use liveramp::transport::Transport;
use liveramp::{abilitec, activation_v1, data_integration};
use liveramp_sandbox::Sandbox;

fn bearer(token: &str) -> Transport {
    Transport::builder()
        .token_source(Arc::new(StaticToken::new(token)))
        .build()
}

#[tokio::test]
async fn abilitec_answers_decode_and_batches_keep_their_order() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = common::abilitec_token(&sandbox, &common::client()).await;
    let client = abilitec::Client::new_with_client(
        &sandbox.abilitec_url(),
        liveramp::http::client().unwrap(),
        bearer(&token),
    );
    let person = client
        .match_people()
        .name("Jane Doe")
        .email(
            "jane@example.com"
                .parse::<abilitec::types::EmailAddress>()
                .unwrap(),
        )
        .zip_code("72201".parse::<abilitec::types::ZipCode>().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    let links = person.person.abilitec.unwrap();
    assert!(links.consumer_link.is_some());
    let again = client
        .match_people()
        .name("Jane Doe")
        .email(
            "jane@example.com"
                .parse::<abilitec::types::EmailAddress>()
                .unwrap(),
        )
        .zip_code("72201".parse::<abilitec::types::ZipCode>().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.person.abilitec.unwrap().consumer_link,
        links.consumer_link
    );
    let lookup = client
        .lookup_people()
        .lookup_type(abilitec::types::LookupType::Sha256)
        .key("b".repeat(64))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(lookup.person.abilitec.is_some());
    let batch = client
        .batch_match()
        .body(abilitec::types::BatchRequest(vec![
            "/people/match?name=Jane%20Doe&email=jane@example.com".into(),
            "/people/match?zipCode=1".into(),
        ]))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        batch.0.iter().map(|r| r.code).collect::<Vec<_>>(),
        vec![200, 400]
    );
    let opted_out = client
        .match_people()
        .email(
            "opted-out@example.com"
                .parse::<abilitec::types::EmailAddress>()
                .unwrap(),
        )
        .send()
        .await;
    match opted_out {
        Err(liveramp::Error::Api(e)) => {
            assert_eq!(e.status.as_u16(), 404);
            assert_eq!(
                e.code.as_deref(),
                Some(liveramp::error::abilitec::OPTED_OUT)
            );
        }
        other => panic!("expected an error document, got {other:?}"),
    }
}

#[tokio::test]
async fn data_integration_answers_decode() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = data_integration::Client::new_with_client(
        &sandbox.data_integration_url(),
        liveramp::http::client().unwrap(),
        bearer(sandbox.data_integration_token()),
    );
    let pull = client
        .create_oauth2_request()
        .body(
            data_integration::types::NewOAuth2Request::builder()
                .datasource_id("fb")
                .validity_duration(300),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let query = || {
        data_integration::types::OAuth2CredentialsQuery::try_from(
            data_integration::types::OAuth2CredentialsQuery::builder()
                .auth_uri(pull.auth_uri.clone())
                .pull_id(pull.pull_id.clone()),
        )
        .expect("every field is set")
    };
    let pending = client
        .get_oauth2_credentials()
        .body(query())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pending.status, Some(202));
    assert!(pending.access_token.is_none());
    let auth_uri = pull.auth_uri.clone().unwrap();
    common::client()
        .get(auth_uri.expose())
        .send()
        .await
        .unwrap();
    let done = client
        .get_oauth2_credentials()
        .body(query())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status, Some(200));
    assert!(done.access_token.is_some());
    let connections = client.list_connections().send().await.unwrap().into_inner();
    let first = &connections.0[0];
    let same = client
        .list_connections_of_type()
        .connection_type(&first.connection_type)
        .cross_id(first.cross_id.clone().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.0.len(), 1);
    assert_eq!(same.0[0].connection_name, first.connection_name);
    let types = client
        .list_connection_types()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(types.0.iter().any(|t| t.oauth == Some(true)));
    let fb = client
        .get_connection_type()
        .type_("fb")
        .send()
        .await
        .unwrap();
    assert_eq!(fb.oauth, Some(true));
    client.get_me().send().await.unwrap();
}

#[tokio::test]
async fn data_integration_connections_are_created_renamed_and_deleted() {
    use data_integration::types::{ConnectionRef, ConnectionUpdate, NewConnection};
    let sandbox = Sandbox::start().await.unwrap();
    let client = data_integration::Client::new_with_client(
        &sandbox.data_integration_url(),
        liveramp::http::client().unwrap(),
        bearer(sandbox.data_integration_token()),
    );
    let of_s3 = || async {
        client
            .list_connections_of_type()
            .connection_type("s3")
            .send()
            .await
            .unwrap()
            .into_inner()
            .0
    };
    let before = of_s3().await.len();
    let created = client
        .create_connection()
        .body(
            NewConnection::builder()
                .connection_name("Archive bucket")
                .connection_type("s3")
                .credentials(None),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(of_s3().await.len(), before + 1);
    let renamed = client
        .update_connection()
        .body(
            ConnectionUpdate::builder()
                .id(created.id.clone())
                .connection_name(Some("Cold archive".into()))
                .credentials(None),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.connection_name, "Cold archive");
    assert_eq!(renamed.cross_id, created.cross_id);
    client
        .delete_connection()
        .body(ConnectionRef::builder().id(created.id.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(of_s3().await.len(), before);
    let again = client
        .delete_connection()
        .body(ConnectionRef::builder().id(created.id))
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.status().map(|s| s.as_u16()), Some(404));
    let unknown_type = client
        .list_connections_of_type()
        .connection_type("no-such-type")
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown_type.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn data_integration_runs_move_from_waiting_to_done_or_error() {
    use data_integration::types::{RunRequest, RunStatus};
    let sandbox = Sandbox::start().await.unwrap();
    let client = data_integration::Client::new_with_client(
        &sandbox.data_integration_url(),
        liveramp::http::client().unwrap(),
        bearer(sandbox.data_integration_token()),
    );
    let rivers = client.list_rivers().send().await.unwrap().into_inner();
    assert_eq!(rivers.0.len(), 3);
    let sales = client
        .list_rivers()
        .group("Sales")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sales.0.len(), 2);
    let first = rivers.0[0].river_id.clone().unwrap();
    let river = client.get_river().river_id(&first).send().await.unwrap();
    assert_eq!(river.cross_id, rivers.0[0].cross_id);
    for (river_id, end) in [
        (first.as_str(), RunStatus::D),
        (
            liveramp_sandbox::DATA_INTEGRATION_FAILING_RIVER,
            RunStatus::E,
        ),
    ] {
        let run = client
            .run_river()
            .body(RunRequest::builder().river_id(river_id))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(run.river_run_status, Some(RunStatus::W));
        let run_id = run.run_id.unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let status = client.check_run().run_id(&run_id).send().await.unwrap();
            seen.push(status.river_run_status.clone().unwrap());
        }
        assert_eq!(seen, [RunStatus::R, end.clone(), end.clone()]);
        let last = client.check_run().run_id(&run_id).send().await.unwrap();
        assert_eq!(last.error_description.is_some(), end == RunStatus::E);
    }
    let missing = client.check_run().run_id("nope").send().await.unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn activation_v1_answers_decode() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-api-key",
        sandbox.activation_v1_api_key().parse().unwrap(),
    );
    let http = liveramp::http::client_builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let client = activation_v1::Client::new_with_client(
        &sandbox.activation_v1_url(),
        http,
        Transport::default(),
    );
    let destinations = client
        .list_destinations()
        .send()
        .await
        .unwrap()
        .into_inner();
    let oauth_destination = destinations
        .destinations
        .iter()
        .find(|d| d.name.contains("OAuth"))
        .unwrap()
        .id;
    let created = client
        .create_destination_account()
        .body(
            activation_v1::types::CreateDestinationAccountRequest::builder().destination_account(
                activation_v1::types::NewDestinationAccount::builder()
                    .destination_id(oauth_destination)
                    .integration_id(None)
                    .name("Mine")
                    .device_types(vec![activation_v1::types::DeviceType::Web])
                    .properties(vec![
                        activation_v1::types::AccountProperty::try_from(
                            activation_v1::types::AccountProperty::builder()
                                .name("advertiser_id")
                                .value("A1"),
                        )
                        .expect("every field is set"),
                    ]),
            ),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let id = created.destination_account.id;
    assert_eq!(
        created.destination_account.oauth_status,
        activation_v1::types::OAuthStatus::OauthUnauthorized
    );
    let authorization = client
        .perform_oauth_authorization()
        .id(id)
        .body(
            activation_v1::types::OAuthAuthorizationRequest::builder()
                .redirect_url("https://app.example.com/cb")
                .state(None),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    common::client()
        .get(authorization.authorization_url.expose())
        .send()
        .await
        .unwrap();
    let account = client
        .get_destination_account()
        .id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        account.destination_account.oauth_status,
        activation_v1::types::OAuthStatus::OauthAuthorized
    );
}
