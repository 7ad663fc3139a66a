//! The sandbox's Activation answers decode into the types generated from `specs/activation.yaml`:
//! a walk through every operation with the typed `liveramp::activation::Client`.

use crate::common;

use std::num::NonZeroU32;
use std::sync::Arc;

use liveramp::activation::{Client, types};
use liveramp::auth::StaticToken;
use liveramp::transport::Transport;
use liveramp_sandbox::Sandbox;

async fn typed_client(sandbox: &Sandbox) -> Client {
    let token = common::service_token(sandbox, &common::client()).await;
    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(token)))
        .org_id(sandbox.org_id())
        .unwrap()
        .build();
    Client::new_with_client(
        &sandbox.activation_url(),
        liveramp::http::client().unwrap(),
        transport,
    )
}

fn limit(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

#[tokio::test]
async fn every_catalog_answer_decodes_into_the_generated_types() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = typed_client(&sandbox).await;
    let mut after = None;
    let mut destinations = Vec::new();
    loop {
        let mut request = client.list_destinations().limit(limit(100));
        if let Some(a) = after.take() {
            request = request.after(a);
        }
        let page = request.send().await.unwrap().into_inner();
        destinations.extend(page.v2_destinations);
        match page.pagination.and_then(|p| p.after) {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    assert_eq!(destinations.len(), 25);
    let one = client
        .get_destination()
        .destination_id("101")
        .send()
        .await
        .unwrap();
    assert_eq!(one.name, destinations[0].name);

    let standard = client
        .list_destination_integrations()
        .destination_id("101")
        .send()
        .await
        .unwrap()
        .into_inner();
    let all = client
        .list_destination_integrations()
        .destination_id("101")
        .view(types::IntegrationView::StandardWithUnavailable)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(standard.integrations.len() < all.integrations.len());
    assert!(
        all.integrations
            .iter()
            .all(|i| !matches!(i.type_, types::IntegrationType::Unknown(_)))
    );
    let oauth = client
        .get_destination_integration()
        .destination_id("101")
        .integration_id("1011")
        .send()
        .await
        .unwrap();
    assert!(oauth.oauth_endpoint_id.is_some());

    let segments = client
        .list_segments()
        .limit(limit(100))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(segments.v2_segments.len(), 30);
    let segment = client
        .get_segment()
        .segment_id("seg-001")
        .send()
        .await
        .unwrap();
    assert_eq!(segment.type_, types::SegmentType::Onboarding);
    let statuses = client
        .list_segment_statuses()
        .segment_type(types::SegmentType::Onboarding)
        .segment_ids(vec!["seg-001".to_owned(), "seg-019".to_owned()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(statuses.v2_segment_statuses.len(), 2);
    let deliveries = client
        .list_deliveries()
        .integration_connection_id("ic-0001")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        deliveries
            .v2_deliveries
            .iter()
            .all(|d| d.status == types::DeliveryStatus::Delivered)
    );
}

#[tokio::test]
async fn the_oauth_flow_and_the_configuration_calls_decode_into_the_generated_types() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = typed_client(&sandbox).await;
    let http = common::client();

    let attempt_id = client
        .create_oauth_connection_attempt()
        .body(
            types::OAuthConnectionAttemptInput::builder()
                .oauth_endpoint_id("oauth-sandbox-social")
                .oauth_connection_id(None)
                .redirect_url(None)
                .state(Some("s".into())),
        )
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    let pending = client
        .get_oauth_connection_attempt()
        .attempt_id(attempt_id)
        .send()
        .await
        .unwrap();
    assert_eq!(pending.status, types::OAuthConnectionAttemptStatus::Pending);
    http.get(pending.authorization_url.expose())
        .send()
        .await
        .unwrap();
    let processing = client
        .get_oauth_connection_attempt()
        .attempt_id(attempt_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        processing.status,
        types::OAuthConnectionAttemptStatus::Processing
    );
    let authorized = client
        .get_oauth_connection_attempt()
        .attempt_id(attempt_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        authorized.status,
        types::OAuthConnectionAttemptStatus::Authorized
    );
    let oauth_id = authorized.oauth_connection_id.clone().unwrap();
    let oauth = client
        .get_oauth_connection()
        .oauth_connection_id(&oauth_id)
        .send()
        .await
        .unwrap();
    assert_eq!(oauth.oauth_endpoint_id, "oauth-sandbox-social");
    let listed = client
        .list_oauth_connections()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.v2_oauth_connections.len(), 1);

    let connection_id = client
        .create_integration_connection()
        .body(common::oauth_connection_input(&oauth_id))
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    let connection = client
        .get_integration_connection()
        .integration_connection_id(&connection_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        connection.oauth_status,
        Some(types::OAuthStatus::Authorized)
    );
    client
        .update_integration_connection()
        .integration_connection_id(&connection_id)
        .body(
            types::IntegrationConnectionUpdate::builder()
                .oauth_connection_id(Some(oauth_id))
                .properties(connection.properties.clone())
                .device_types(vec![types::DeviceType::Web, types::DeviceType::Ios]),
        )
        .send()
        .await
        .unwrap();
    let connections = client
        .list_integration_connections()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(connections.v2_integration_connections.len(), 2);

    let manager_id = client
        .create_distribution_manager()
        .body(
            types::DistributionManagerInput::builder()
                .name("Social audiences")
                .integration_connection_id(connection_id.clone())
                .status(None)
                .expire_at(None),
        )
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    client
        .update_distribution_manager()
        .distribution_manager_id(&manager_id)
        .body(
            types::DistributionManagerUpdate::builder()
                .name("Social audiences 2")
                .status(types::DistributionManagerStatus::Inactive)
                .expire_at(Some("2027-01-31".parse().unwrap())),
        )
        .send()
        .await
        .unwrap();
    let manager = client
        .get_distribution_manager()
        .distribution_manager_id(&manager_id)
        .send()
        .await
        .unwrap();
    assert_eq!(manager.status, types::DistributionManagerStatus::Inactive);
    assert_eq!(manager.expire_at, Some("2027-01-31".parse().unwrap()));
    let managers = client
        .list_distribution_managers()
        .integration_connection_id(&connection_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(managers.v2_distribution_managers.len(), 1);

    let results = client
        .create_segment_configs()
        .distribution_manager_id(&manager_id)
        .body(types::SegmentConfigInputs(vec![
            types::SegmentConfigInput::try_from(
                types::SegmentConfigInput::builder()
                    .segment_id("seg-003")
                    .segment_type(types::SegmentType::Onboarding)
                    .destination_segment_id(None)
                    .distribution_manager_id(manager_id.clone()),
            )
            .expect("every field is set"),
        ]))
        .send()
        .await
        .unwrap()
        .into_inner();
    let config_id = results.0[0].id.clone().unwrap();
    assert_eq!(results.0[0].status.as_ref().unwrap().http_status, 201);
    let config = client
        .get_segment_config()
        .distribution_manager_id(&manager_id)
        .segment_config_id(&config_id)
        .send()
        .await
        .unwrap();
    assert_eq!(config.segment_id, "seg-003");
    let configs = client
        .list_segment_configs()
        .distribution_manager_id(&manager_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(configs.segment_configs.len(), 1);
    let removed = client
        .delete_segment_configs()
        .distribution_manager_id(&manager_id)
        .body(types::SegmentConfigRefs(vec![
            types::SegmentConfigRef::try_from(types::SegmentConfigRef::builder().id(config_id))
                .expect("every field is set"),
        ]))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed.0[0].status.as_ref().unwrap().http_status, 200);
    client
        .delete_distribution_manager()
        .distribution_manager_id(&manager_id)
        .send()
        .await
        .unwrap();
    client
        .delete_integration_connection()
        .integration_connection_id(&connection_id)
        .send()
        .await
        .unwrap();
    match client
        .get_integration_connection()
        .integration_connection_id(&connection_id)
        .send()
        .await
    {
        Err(liveramp::Error::Api(e)) => assert_eq!(e.status.as_u16(), 404),
        other => panic!("expected a 404 StandardError, got {other:?}"),
    }
}
