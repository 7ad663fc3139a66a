//! The AbiliTec client against httpmock: what it sends and what it decodes.

use crate::common;
use crate::common::script;

use httpmock::prelude::*;
use liveramp::abilitec::{Client, types};
use script::{Answer, script};
use serde::Serialize;

const SPEC: &str = "specs/abilitec.yaml";

fn client(server: &MockServer) -> Client {
    client_on(server, common::transport(None))
}

/// A client for `server` that sends through `transport`.
fn client_on(server: &MockServer, transport: liveramp::transport::Transport) -> Client {
    Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        transport,
    )
}

/// Mocks a bearer-authenticated `POST path?query` that answers the spec's 200 example of
/// `operation_id`; returns the mock and that example.
async fn mock_example<'a>(
    server: &'a MockServer,
    operation_id: &str,
    path: &str,
    query: &[(&str, &str)],
) -> (httpmock::Mock<'a>, serde_json::Value) {
    let body = common::example(SPEC, operation_id, 200);
    let mock = server
        .mock_async(|when, then| {
            let when = when
                .method(POST)
                .path(path)
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .header_missing("api-version");
            query
                .iter()
                .fold(when, |when, (name, value)| when.query_param(*name, *value));
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
async fn match_people_sends_the_pii_in_the_query() {
    let server = MockServer::start_async().await;
    let query = [
        ("name", "mary robinson"),
        ("zipCode", "94104"),
        ("limit", "1"),
        ("matchLevel", "strict"),
    ];
    let (mock, body) = mock_example(&server, "match_people", "/people/match", &query).await;
    let found = client(&server)
        .match_people()
        .name("mary robinson")
        .zip_code("94104")
        .limit(1)
        .match_level(types::MatchLevel::Strict)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&found, &body);
    let metadata = found.person.match_metadata.expect("match metadata");
    assert_eq!(
        metadata.match_components,
        [types::MatchComponent::Name, types::MatchComponent::ZipCode]
    );
    assert_eq!(
        metadata.name_match_integrity,
        Some(types::NameMatchIntegrity::Complete)
    );
}

#[tokio::test]
async fn match_places_sends_a_parsed_address() {
    let server = MockServer::start_async().await;
    let query = [
        ("primaryNumber", "225"),
        ("street", "bush st"),
        ("city", "san francisco"),
        ("state", "CA"),
    ];
    let (mock, body) = mock_example(&server, "match_places", "/places/match", &query).await;
    let found = client(&server)
        .match_places()
        .primary_number("225")
        .street("bush st")
        .city("san francisco")
        .state("CA")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&found, &body);
    assert!(found.place.abilitec.expect("links").address_link.is_some());
}

#[tokio::test]
async fn match_households_sends_a_parsed_name_and_location() {
    let server = MockServer::start_async().await;
    let query = [
        ("lastName", "robinson"),
        ("latitude", "37.7907"),
        ("longitude", "-122.4019"),
    ];
    let (mock, body) = mock_example(&server, "match_households", "/households/match", &query).await;
    let found = client(&server)
        .match_households()
        .last_name("robinson")
        .latitude(37.7907)
        .longitude(-122.4019)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&found, &body);
}

#[tokio::test]
async fn match_entities_sends_email_and_phone() {
    let server = MockServer::start_async().await;
    let query = [
        ("email", "mary.robinson@example.com"),
        ("phone", "4155550101"),
    ];
    let (mock, body) = mock_example(&server, "match_entities", "/entities/match", &query).await;
    let found = client(&server)
        .match_entities()
        .email("mary.robinson@example.com")
        .phone("4155550101")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&found, &body);
    let flags = found.entity.contact_flags.expect("contact flags");
    assert_eq!(flags.is_best_email_touchpoint, Some(true));
    assert_eq!(flags.is_best_postal_touchpoint, None);
}

#[tokio::test]
async fn invalid_match_parameters_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let bad_zip = client(&server).match_people().zip_code("9410").send().await;
    match bad_zip {
        Err(liveramp::Error::InvalidField { field, reason, .. }) => {
            assert_eq!(field, "zip_code");
            assert!(reason.starts_with("must match the pattern"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let bad_email = client(&server)
        .match_people()
        .email("mary@localhost")
        .send()
        .await;
    let bad_email = bad_email.expect_err("refused");
    assert!(
        bad_email
            .to_string()
            .starts_with("invalid request: `email` must"),
        "{bad_email}"
    );
    assert!(!bad_email.to_string().contains("mary@localhost"));
    // Found by review: NaN compares false with every bound, so `latitude=NaN` was sent.
    for not_a_number in [f64::NAN, -f64::NAN] {
        let bad_latitude = client(&server)
            .match_households()
            .last_name("robinson")
            .latitude(not_a_number)
            .longitude(-122.4019)
            .send()
            .await;
        match bad_latitude {
            Err(liveramp::Error::InvalidField { field, reason, .. }) => {
                assert_eq!(field, "latitude");
                assert_eq!(reason, "must be a number");
            }
            other => panic!("{other:?}"),
        }
    }
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_hostile_email_is_refused_without_a_long_search() {
    // Found by review: the email pattern had two overlapping repeats, which a backtracking
    // engine searched in quadratic time: 40,000 characters took minutes.
    let server = MockServer::start_async().await;
    let hostile = format!("a@{}@", "b.".repeat(20_000));
    let refused = client(&server)
        .match_people()
        .email(hostile.as_str())
        .send()
        .await;
    assert!(
        matches!(refused, Err(liveramp::Error::InvalidField { ref field, .. }) if field == "email"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_request_builder_shows_none_of_its_values() {
    // Found by review: the generated request builders derived `Debug`, which printed the
    // personal data a call was about to send.
    let server = MockServer::start_async().await;
    let client = client(&server);
    let builder = client
        .match_people()
        .email("jane.doe@example.com")
        .first_name("Jane")
        .zip_code("94104");
    let shown = format!("{builder:?} {builder:#?}");
    assert!(shown.contains("MatchPeople"), "{shown}");
    for value in ["jane.doe", "Jane", "94104"] {
        assert!(!shown.contains(value), "{shown}");
    }
}

#[test]
fn a_type_holding_personal_data_shows_none_of_it() {
    // Found by review: the generated types of an email address, a phone number, a ZIP code or a
    // batch's URLs derived `Debug`, which printed the person's data.
    let email = types::EmailAddress::try_from("jane.doe@example.com").expect("valid");
    let md5 = types::EmailMd5::try_from("5d41402abc4b2a76b9719d911017c592").expect("valid");
    let phone = types::PhoneNumber::try_from("4155550101").expect("valid");
    let zip = types::ZipCode::try_from("94104").expect("valid");
    let state = types::State::try_from("CA").expect("valid");
    let batch = types::BatchRequest(vec!["/people/match?email=jane.doe%40example.com".into()]);
    let shown = format!("{email:?} {md5:#?} {phone:?} {zip:?} {state:?} {batch:?}");
    for value in [
        "jane.doe",
        "5d41402a",
        "4155550101",
        "94104",
        "CA",
        "/people",
    ] {
        assert!(!shown.contains(value), "{shown}");
    }
    assert!(shown.contains("EmailAddress([redacted])"), "{shown}");
    assert_eq!(
        email.as_str(),
        "jane.doe@example.com",
        "still read with Deref"
    );
}

#[tokio::test]
async fn lookup_people_puts_the_lookup_type_in_the_path() {
    let server = MockServer::start_async().await;
    let key = "9b7ee2211f2658e9889960d8557086eb";
    let (mock, body) = mock_example(&server, "lookup_people", "/people/md5", &[("key", key)]).await;
    let found = client(&server)
        .lookup_people()
        .lookup_type(types::LookupType::Md5)
        .key(key)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    mock.assert_async().await;
    assert_round_trips(&found, &body);
}

#[tokio::test]
async fn lookup_places_households_and_entities_use_their_class_paths() {
    let server = MockServer::start_async().await;
    let key = "003YUS0309B0QR7T";
    let lookups = [
        ("lookup_places", "/places/abilitec"),
        ("lookup_households", "/households/abilitec"),
        ("lookup_entities", "/entities/abilitec"),
    ];
    let mut mocks = Vec::new();
    for (operation_id, path) in lookups {
        mocks.push(mock_example(&server, operation_id, path, &[("key", key)]).await);
    }
    let client = client(&server);
    let kind = types::LookupType::Abilitec;
    let place = client.lookup_places().lookup_type(kind.clone()).key(key);
    assert_round_trips(&place.send().await.unwrap().into_inner(), &mocks[0].1);
    let household = client
        .lookup_households()
        .lookup_type(kind.clone())
        .key(key);
    assert_round_trips(&household.send().await.unwrap().into_inner(), &mocks[1].1);
    let entity = client.lookup_entities().lookup_type(kind).key(key);
    assert_round_trips(&entity.send().await.unwrap().into_inner(), &mocks[2].1);
    for (mock, _) in &mocks {
        mock.assert_async().await;
    }
}

/// Mocks a batch call that expects the spec's request example and answers its 200 example.
async fn batch_round_trip(operation_id: &str, path: &str) {
    let server = MockServer::start_async().await;
    let request = common::request_example(SPEC, operation_id);
    let body = common::example(SPEC, operation_id, 200);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(path)
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .json_body(request.clone());
            then.status(200).json_body(body.clone());
        })
        .await;
    let urls: Vec<String> = serde_json::from_value(request).unwrap();
    let client = client(&server);
    let results = match operation_id {
        "batch_match" => client.batch_match().body(urls).send().await,
        _ => client.batch_lookup().body(urls).send().await,
    }
    .expect("decodes")
    .into_inner();
    mock.assert_async().await;
    assert_round_trips(&results, &body);
    assert_eq!(results.0[0].code, 200);
    assert!(results.0[0].document.person.is_some());
    let failed = results.0[1].document.error.as_ref().expect("an error");
    assert_eq!(failed.code.as_str(), body[1]["document"]["error"]["code"]);
}

#[tokio::test]
async fn batch_match_posts_the_urls_and_keeps_per_item_errors() {
    batch_round_trip("batch_match", "/batch/match").await;
}

#[tokio::test]
async fn batch_lookup_posts_the_urls_and_keeps_per_item_errors() {
    batch_round_trip("batch_lookup", "/batch/lookup").await;
}

#[tokio::test]
async fn unknown_enum_values_decode_and_round_trip() {
    let server = MockServer::start_async().await;
    let mut body = common::example(SPEC, "match_people", 200);
    body["person"]["matchMetadata"]["matchComponents"][1] = "ipAddress".into();
    body["person"]["matchMetadata"]["nameMatchIntegrity"] = "none".into();
    server
        .mock_async(|when, then| {
            when.method(POST).path("/people/match");
            then.status(200).json_body(body.clone());
        })
        .await;
    let found = client(&server)
        .match_people()
        .name("mary robinson")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    let metadata = found.person.match_metadata.clone().expect("match metadata");
    assert_eq!(
        metadata.match_components[1],
        types::MatchComponent::Unknown("ipAddress".into())
    );
    assert_eq!(
        metadata.name_match_integrity.as_ref().map(|v| v.as_str()),
        Some("none")
    );
    assert_round_trips(&found, &body);
}

#[tokio::test]
async fn documented_errors_decode_into_the_error_document() {
    let server = MockServer::start_async().await;
    let body = common::example(SPEC, "match_people", 404);
    server
        .mock_async(|when, then| {
            when.method(POST).path("/people/match");
            then.status(404).json_body(body.clone());
        })
        .await;
    let err = client(&server)
        .match_people()
        .name("nobody")
        .send()
        .await
        .expect_err("404");
    match err {
        liveramp::Error::Api(answer) => {
            assert_eq!(answer.status.as_u16(), 404);
            assert_eq!(answer.code.as_deref(), Some("600-0030"));
            assert!(answer.request_id.is_some());
        }
        other => panic!("expected the error document, got {other:?}"),
    }
}

/// A token endpoint at `/token` that hands out the token `t` for an hour.
async fn mock_token(server: &MockServer) {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200)
                .json_body(serde_json::json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}));
        })
        .await;
}

/// A `Config` for the AbiliTec API at `server` (`/v1`), its token endpoint at `/token`.
fn config(server: &MockServer) -> liveramp::Config {
    liveramp::Config::new()
        .with_abilitec_url(server.url("/v1"))
        .with_abilitec_token_url(server.url("/token"))
}

#[tokio::test]
async fn config_sends_the_role_with_every_call_and_client_credentials_to_the_token_endpoint() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/token")
                .body("client_id=cid&client_secret=cs&grant_type=client_credentials");
            then.status(200).json_body(
                serde_json::json!({"access_token": "t-cc", "token_type": "Bearer", "expires_in": 3600}),
            );
        })
        .await;
    let matched = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/people/match")
                .query_param("email", "jane@example.com")
                .query_param("role", "abilitec-standard")
                .header("authorization", "Bearer t-cc");
            then.status(200)
                .json_body(common::example(SPEC, "match_people", 200));
        })
        .await;
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/batch/match")
                .query_param("role", "abilitec-standard")
                .header("authorization", "Bearer t-cc");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let client = config(&server)
        .with_abilitec_credentials(liveramp::auth::ClientCredentials::new("cid", "cs"))
        .with_abilitec_role("abilitec-standard")
        .abilitec()
        .unwrap();
    client
        .match_people()
        .email("jane@example.com")
        .send()
        .await
        .unwrap();
    client
        .batch_match()
        .body(vec!["/people/match?email=jane%40example.com".to_owned()])
        .send()
        .await
        .unwrap();
    token.assert_calls_async(1).await;
    matched.assert_calls_async(1).await;
    batch.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_role_set_on_the_call_is_not_sent_twice() {
    let server = MockServer::start_async().await;
    mock_token(&server).await;
    let once = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/people/match")
                .query_param("role", "rampid-retrieval")
                .is_true(|request| {
                    request
                        .query_params()
                        .iter()
                        .filter(|(k, _)| k == "role")
                        .count()
                        == 1
                });
            then.status(200)
                .json_body(common::example(SPEC, "match_people", 200));
        })
        .await;
    config(&server)
        .with_abilitec_credentials(liveramp::auth::ClientCredentials::new("cid", "cs"))
        .with_abilitec_role("abilitec-standard")
        .abilitec()
        .unwrap()
        .match_people()
        .name("mary robinson")
        .role("rampid-retrieval")
        .send()
        .await
        .unwrap();
    once.assert_calls_async(1).await;
}

#[tokio::test]
async fn without_client_credentials_config_uses_the_service_account_password_grant() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/default/v1/token").body(
                "grant_type=password&username=acct&password=key&scope=openid\
                 &client_id=liveramp-api&response_type=token",
            );
            then.status(200).json_body(
                serde_json::json!({"access_token": "t-sa", "token_type": "Bearer", "expires_in": 600}),
            );
        })
        .await;
    let client_credentials = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(500);
        })
        .await;
    let matched = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/people/match")
                .header("authorization", "Bearer t-sa");
            then.status(200)
                .json_body(common::example(SPEC, "match_people", 200));
        })
        .await;
    let credentials = liveramp::auth::ServiceAccountCredentials::new(
        "acct",
        "key",
        "liveramp-api",
        server.url("/oauth2/default/v1/token"),
    );
    let config = config(&server).with_credentials(credentials);
    let client = config.abilitec().unwrap();
    for _ in 0..2 {
        client
            .match_people()
            .name("mary robinson")
            .send()
            .await
            .unwrap();
    }
    token.assert_calls_async(1).await;
    client_credentials.assert_calls_async(0).await;
    matched.assert_calls_async(2).await;
    // One credential, one token cache: the service-account clients share it.
    assert!(std::sync::Arc::ptr_eq(
        &config.abilitec_tokens().unwrap(),
        &config.service_account_tokens().unwrap()
    ));
}

#[test]
fn config_reads_the_abilitec_role_and_client_auth_from_the_environment() {
    let config = liveramp::Config::from_vars([
        ("LIVERAMP_ABILITEC_CLIENT_ID", "cid"),
        ("LIVERAMP_ABILITEC_CLIENT_SECRET", "cs"),
        ("LIVERAMP_ABILITEC_CLIENT_AUTH", "Basic"),
        ("LIVERAMP_ABILITEC_ROLE", "abilitec-standard"),
    ]);
    assert!(config.is_ok());
    let error =
        liveramp::Config::from_vars([("LIVERAMP_ABILITEC_CLIENT_AUTH", "header")]).unwrap_err();
    assert!(error.to_string().contains("`body` or `basic`"), "{error}");
    let error = liveramp::Config::new().abilitec().unwrap_err();
    assert!(
        error.to_string().contains("LIVERAMP_CREDENTIALS"),
        "{error}"
    );
}

#[tokio::test]
async fn an_error_status_without_an_error_document_is_the_documented_error() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/people/match");
            then.status(404);
        })
        .await;
    let error = client(&server)
        .match_people()
        .name("mary robinson")
        .send()
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    let api = error
        .api_error()
        .expect("an API error, not a decode failure");
    assert_eq!(api.code, None);
    assert!(!error.is_retryable());
    assert!(
        !matches!(error, liveramp::Error::Decode { .. }),
        "{error:?}"
    );
}

#[test]
fn a_batch_item_is_encoded_by_the_single_call_whatever_it_holds() {
    let server_url = "http://127.0.0.1:9/v1";
    let client = Client::new_with_client(
        server_url,
        liveramp::http::client().unwrap(),
        common::transport(None),
    );
    let name = "Zoë O'Brien & Co = 100% + #1?";
    let item = client
        .match_people()
        .name(name)
        .zip_code("94107")
        .batch_item()
        .unwrap();
    assert_eq!(item.operation(), "match_people");
    let (path, query) = item.path_and_query().split_once('?').unwrap();
    assert_eq!(path, "/people/match");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(pairs.contains(&("name".into(), name.into())), "{pairs:?}");
    assert!(!format!("{item:?}").contains("Brien"));
    // The single call's constraints hold for its batch item too.
    let error = client
        .match_people()
        .zip_code("9410")
        .batch_item()
        .unwrap_err();
    assert!(
        matches!(error, liveramp::Error::InvalidField { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn only_the_items_whose_own_result_is_retryable_are_sent_again() {
    use futures::TryStreamExt;
    let server = MockServer::start_async().await;
    let doc = serde_json::json!({"person": {"abilitec": {"consumerLink": "L1"}}});
    let busy =
        serde_json::json!({"error": {"code": "600-0070", "message": "busy", "requestId": "r"}});
    let opted = serde_json::json!({"error": {"code": "600-0117", "message": "opted out", "requestId": "r"}});
    let batches = match_batches(
        &server,
        vec![
            Answer::ok(serde_json::json!([
                {"code": 200, "document": doc},
                {"code": 503, "document": busy},
                {"code": 404, "document": opted},
            ])),
            Answer::ok(serde_json::json!([{"code": 200, "document": doc}])),
        ],
    )
    .await;
    let client = client(&server);
    let items: Vec<_> = ["a@example.com", "b@example.com", "c@example.com"]
        .iter()
        .map(|email| client.match_people().email(*email).batch_item().unwrap())
        .collect();
    let resolved: Vec<_> = client
        .resolve(futures::stream::iter(items), Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        batches.requests(),
        2,
        "one batch, then the retryable item alone"
    );
    assert_eq!(
        resolved.iter().map(|r| r.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(resolved[0].result.is_ok());
    assert!(
        resolved[1].result.is_ok(),
        "retried: {:?}",
        resolved[1].result
    );
    let opted_out = resolved[2].result.as_ref().unwrap_err();
    assert_eq!(opted_out.status.as_u16(), 404);
    assert_eq!(
        opted_out.code.as_deref(),
        Some(liveramp::error::abilitec::OPTED_OUT)
    );
}

/// A retryable item is sent again after the client's retry policy's backoff, waited on the
/// transport's clock (so a paused or recording clock governs it like every other wait).
#[tokio::test]
async fn items_are_retried_after_the_policys_backoff_on_the_transports_clock() {
    use futures::TryStreamExt;
    use liveramp::retry::{RecordingClock, RetryPolicy};
    let server = MockServer::start_async().await;
    let doc = serde_json::json!({"person": {"abilitec": {"consumerLink": "L1"}}});
    let busy =
        serde_json::json!({"error": {"code": "600-0070", "message": "busy", "requestId": "r"}});
    match_batches(
        &server,
        vec![
            Answer::ok(serde_json::json!([{"code": 503, "document": busy}])),
            Answer::ok(serde_json::json!([{"code": 503, "document": busy}])),
            Answer::ok(serde_json::json!([{"code": 200, "document": doc}])),
        ],
    )
    .await;
    let clock = RecordingClock::default();
    let mut policy = RetryPolicy::default();
    policy.base_delay = std::time::Duration::from_secs(7);
    policy.max_delay = std::time::Duration::from_secs(60);
    let client = client_on(&server, common::transport_on(None, clock.clone(), policy));
    let item = client
        .match_people()
        .email("a@example.com")
        .batch_item()
        .unwrap();
    let resolved: Vec<_> = client
        .resolve(futures::stream::iter([item]), Default::default())
        .try_collect()
        .await
        .unwrap();
    assert!(resolved[0].result.is_ok(), "{:?}", resolved[0].result);
    let sleeps = clock.sleeps();
    assert_eq!(
        sleeps.len(),
        2,
        "one wait before each retry round: {sleeps:?}"
    );
    // Full jitter under a ceiling that doubles: 7 s, then 14 s.
    assert!(sleeps[0] <= std::time::Duration::from_secs(7), "{sleeps:?}");
    assert!(
        sleeps[1] <= std::time::Duration::from_secs(14),
        "{sleeps:?}"
    );
}

/// Scripts the answers of `server`'s batch match endpoint, one per call.
async fn match_batches(server: &MockServer, answers: Vec<Answer>) -> script::Script<'_> {
    script(server, "POST", "/batch/match", answers).await
}

/// Every outcome of resolving match items for `emails` with `options`, failing the test on a
/// stream error.
async fn resolve_all(
    client: &Client,
    emails: &[&str],
    options: liveramp::bulk::BulkOptions,
) -> Vec<liveramp::bulk::Resolved> {
    use futures::TryStreamExt;
    client
        .resolve(futures::stream::iter(match_items(client, emails)), options)
        .try_collect()
        .await
        .unwrap()
}

/// Match items for `emails`, from `client`.
fn match_items(client: &Client, emails: &[&str]) -> Vec<liveramp::bulk::BatchItem> {
    emails
        .iter()
        .map(|email| client.match_people().email(*email).batch_item().unwrap())
        .collect()
}

fn busy() -> serde_json::Value {
    serde_json::json!({"error": {"code": "600-0070", "message": "busy", "requestId": "r"}})
}

fn found() -> serde_json::Value {
    serde_json::json!({"person": {"abilitec": {"consumerLink": "L1"}}})
}

#[tokio::test]
async fn a_batch_that_fails_as_a_whole_yields_what_its_chunk_resolved_and_ends_the_stream() {
    use futures::StreamExt;
    // Found by review: the chunk's resolved items were dropped with the error, and the stream
    // went on with the next chunks, so records went missing without a trace. An item waiting
    // to be sent again was dropped too, though it had an answer.
    let server = MockServer::start_async().await;
    let batches = match_batches(
        &server,
        vec![
            Answer::ok(serde_json::json!([
                {"code": 200, "document": found()},
                {"code": 503, "document": busy()},
            ])),
            Answer {
                status: 400,
                body: serde_json::json!({"error": {"message": "bad batch"}}),
                retry_after: None,
            },
            Answer::ok(serde_json::json!([
                {"code": 200, "document": found()},
                {"code": 200, "document": found()},
            ])),
        ],
    )
    .await;
    let client = client(&server);
    let items = match_items(&client, &["a@x.com", "b@x.com", "c@x.com", "d@x.com"]);
    let options = liveramp::bulk::BulkOptions::default()
        .batch_size(2)
        .in_flight(1);
    let outcomes: Vec<_> = client
        .resolve(futures::stream::iter(items), options)
        .collect()
        .await;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert_eq!(outcomes[0].as_ref().unwrap().index, 0);
    // The item that was to be sent again keeps its last answer.
    let waiting = outcomes[1].as_ref().unwrap();
    assert_eq!(waiting.index, 1);
    assert_eq!(waiting.result.as_ref().unwrap_err().status.as_u16(), 503);
    assert_eq!(
        outcomes[2]
            .as_ref()
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(400)
    );
    assert_eq!(batches.requests(), 2, "nothing is sent after the failure");
}

#[tokio::test]
async fn a_failed_batch_lets_the_batches_in_flight_finish_and_report() {
    use futures::StreamExt;
    // Found by review: the first failed batch ended the stream at once, dropping the answers
    // of batches already in flight (matched, and charged for) without a trace.
    let server = MockServer::start_async().await;
    let failed = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/batch/match")
                .body_includes("a%40x.com");
            then.status(400)
                .json_body(serde_json::json!({"error": {"message": "bad batch"}}));
        })
        .await;
    let answered = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/batch/match")
                .body_includes("c%40x.com");
            then.status(200)
                .delay(std::time::Duration::from_secs(1))
                .json_body(serde_json::json!([
                    {"code": 200, "document": found()},
                    {"code": 200, "document": found()},
                ]));
        })
        .await;
    let client = client(&server);
    let emails = [
        "a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com", "f@x.com",
    ];
    let items = match_items(&client, &emails);
    let options = liveramp::bulk::BulkOptions::default()
        .batch_size(2)
        .in_flight(2);
    let outcomes: Vec<_> = client
        .resolve(futures::stream::iter(items), options)
        .collect()
        .await;
    let indices: Vec<usize> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().map(|r| r.index))
        .collect();
    assert_eq!(
        indices,
        [2, 3],
        "the batch in flight is reported: {outcomes:?}"
    );
    let last = outcomes.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(failed.calls_async().await + answered.calls_async().await, 2);
    assert_eq!(
        outcomes.len(),
        3,
        "no batch starts after the failure: {outcomes:?}"
    );
}

#[tokio::test]
async fn a_failed_batch_ends_the_stream_though_the_input_waits_for_ever() {
    use futures::StreamExt;
    // Found by review: after a failure, the stream went on reading the input for the next
    // chunk, so an input that waits (a channel, a cursor) held the error back for ever.
    let server = MockServer::start_async().await;
    match_batches(
        &server,
        vec![Answer {
            status: 400,
            body: serde_json::json!({"error": {"message": "bad batch"}}),
            retry_after: None,
        }],
    )
    .await;
    let client = client(&server);
    let items = match_items(&client, &["a@x.com", "b@x.com", "c@x.com"]);
    let waiting = futures::stream::iter(items).chain(futures::stream::pending());
    let options = liveramp::bulk::BulkOptions::default()
        .batch_size(2)
        .in_flight(1);
    let outcomes = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.resolve(waiting, options).collect::<Vec<_>>(),
    )
    .await
    .expect("the failure ends the stream");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(outcomes[0].is_err());
}

#[tokio::test]
async fn item_retries_take_from_the_retry_budget() {
    use liveramp::retry::RetryBudget;
    // Found by review: items were retried whatever the budget held.
    let server = MockServer::start_async().await;
    let batches = match_batches(
        &server,
        vec![
            Answer::ok(serde_json::json!([{"code": 503, "document": busy()}])),
            Answer::ok(serde_json::json!([{"code": 200, "document": found()}])),
        ],
    )
    .await;
    let transport = common::transport_with_budget(std::sync::Arc::new(RetryBudget::new(4, 5, 10)));
    let client = client_on(&server, transport);
    let resolved = resolve_all(&client, &["a@x.com"], Default::default()).await;
    assert_eq!(batches.requests(), 1, "no retry left in the budget");
    assert_eq!(resolved.len(), 1);
    assert_eq!(
        resolved[0].result.as_ref().unwrap_err().status.as_u16(),
        503
    );
}

#[tokio::test]
async fn item_retries_that_succeed_give_the_budget_back() {
    use liveramp::retry::RetryBudget;
    // Found by review: each round took a retry's cost for good, so a long run of batches with
    // a busy item drained the budget every client of the Config shares.
    let server = MockServer::start_async().await;
    let batches = match_batches(
        &server,
        vec![
            Answer::ok(serde_json::json!([{"code": 503, "document": busy()}])),
            Answer::ok(serde_json::json!([{"code": 200, "document": found()}])),
            Answer::ok(serde_json::json!([{"code": 503, "document": busy()}])),
            Answer::ok(serde_json::json!([{"code": 200, "document": found()}])),
        ],
    )
    .await;
    let budget = std::sync::Arc::new(RetryBudget::new(5, 5, 10));
    let transport = common::transport_with_budget(budget.clone());
    let client = client_on(&server, transport);
    let options = liveramp::bulk::BulkOptions::default()
        .batch_size(1)
        .in_flight(1);
    let resolved = resolve_all(&client, &["a@x.com", "b@x.com"], options).await;
    assert!(resolved.iter().all(|r| r.result.is_ok()), "{resolved:?}");
    assert_eq!(batches.requests(), 4, "each chunk retried its item once");
    assert_eq!(budget.available(), 5);
}

#[tokio::test]
async fn items_answered_429_pause_the_batch_rate_limit() {
    use std::num::NonZeroU32;
    // Found by review: an item's 429 was retried at once, at the full rate.
    let server = MockServer::start_async().await;
    mock_token(&server).await;
    let limited =
        serde_json::json!({"error": {"code": "429", "message": "slow", "requestId": "r"}});
    script(
        &server,
        "POST",
        "/v1/batch/match",
        vec![
            Answer::ok(serde_json::json!([{"code": 429, "document": limited}])),
            Answer::ok(serde_json::json!([{"code": 200, "document": found()}])),
        ],
    )
    .await;
    let pause = std::time::Duration::from_millis(400);
    let policy = liveramp::retry::RetryPolicy::default()
        .with_base_delay(std::time::Duration::from_millis(1))
        .with_max_retry_after(pause);
    let limits =
        liveramp::limit::RateLimits::default().with_abilitec(None, NonZeroU32::new(60_000));
    let client = config(&server)
        .with_abilitec_credentials(liveramp::auth::ClientCredentials::new("cid", "cs"))
        .with_retry_policy(policy)
        .with_rate_limits(limits)
        .abilitec()
        .unwrap();
    let started = std::time::Instant::now();
    let resolved = resolve_all(&client, &["a@x.com"], Default::default()).await;
    assert!(resolved[0].result.is_ok(), "{:?}", resolved[0].result);
    assert!(started.elapsed() >= pause, "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_items_error_quotes_nothing_its_batch_sent_nor_the_token() {
    // Found by review: only the item's own query values were removed from its message.
    let server = MockServer::start_async().await;
    let echo = format!("no match near a@x.com for {}\n\u{1b}[2J", common::TOKEN);
    match_batches(&server, vec![Answer::ok(serde_json::json!([
            {"code": 200, "document": found()},
            {"code": 404, "document": {"error": {"code": "600-0117", "message": echo, "requestId": "r"}}},
        ]))]).await;
    let client = client(&server);
    let resolved = resolve_all(&client, &["a@x.com", "b@x.com"], Default::default()).await;
    let error = resolved[1].result.as_ref().unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("a@x.com"), "{shown}");
    assert!(!shown.contains(common::TOKEN), "{shown}");
    assert!(
        shown.contains("no match near [redacted] for [redacted]"),
        "{shown}"
    );
    // Nor control characters (found by review: item errors skipped that cleaning).
    assert!(!error.to_string().chars().any(char::is_control), "{error}");
}

#[tokio::test]
async fn an_items_error_quotes_not_the_token_its_batch_sent_though_a_newer_one_is_ready() {
    // Found by review: an item's error was cleaned of the token source's current token, asked
    // for after the answer; a token refreshed meanwhile left the one sent in the text.
    let server = MockServer::start_async().await;
    let echo = format!("bad token {}", common::NewTokenEachAsk::FIRST);
    match_batches(&server, vec![Answer::ok(serde_json::json!([
            {"code": 401, "document": {"error": {"code": "600-0401", "message": echo, "requestId": "r"}}},
        ]))]).await;
    let client = client_on(&server, common::transport_with_new_token_each_ask(None));
    let resolved = resolve_all(&client, &["a@x.com"], Default::default()).await;
    let error = resolved[0].result.as_ref().unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(common::NewTokenEachAsk::FIRST), "{shown}");
    assert!(shown.contains("bad token [redacted]"), "{shown}");
}

#[tokio::test]
async fn a_429_asking_for_centuries_pauses_the_bucket_no_longer_than_the_policy_allows() {
    // Found by review: the largest `Retry-After` overflowed the bucket's pause (a panic), and a
    // merely huge one paused every call for years.
    let server = MockServer::start_async().await;
    mock_token(&server).await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/people/match");
            then.status(429)
                .header("retry-after", u64::MAX.to_string())
                .json_body(serde_json::json!({"error": {"message": "slow down", "code": "429"}}));
        })
        .await;
    let policy = liveramp::retry::RetryPolicy::no_retry()
        .with_max_retry_after(std::time::Duration::from_millis(200));
    let client = config(&server)
        .with_abilitec_credentials(liveramp::auth::ClientCredentials::new("cid", "cs"))
        .with_retry_policy(policy)
        .abilitec()
        .unwrap();
    let error = client
        .match_people()
        .email("jane@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    refused.delete_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/people/match");
            then.status(200)
                .json_body(common::example(SPEC, "match_people", 200));
        })
        .await;
    let started = std::time::Instant::now();
    client
        .match_people()
        .email("jane@example.com")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn param_sets_a_field_by_its_wire_name_and_refuses_without_quoting() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/people/match")
                .query_param("email", "jane@example.com")
                .query_param("zipCode", "72201");
            then.status(200)
                .json_body(common::example(SPEC, "match_people", 200));
        })
        .await;
    let client = client(&server);
    client
        .match_people()
        .param("email", "jane@example.com")
        .unwrap()
        .param("zipCode", "72201")
        .unwrap()
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    // An unknown name (a CSV's first row of data, read as its header) is not quoted.
    let error = client
        .match_people()
        .param("jane.doe@example.com", "x")
        .unwrap_err();
    assert!(
        matches!(error, liveramp::Error::InvalidRequest(_)),
        "{error:?}"
    );
    assert!(
        !format!("{error} {error:?}").contains("jane.doe"),
        "{error}"
    );
    assert!(error.to_string().contains("zipCode"), "{error}");
    // A value its type cannot hold names the parameter, not the value.
    let error = client
        .match_people()
        .param("limit", "many-s3cr3t")
        .unwrap_err();
    match &error {
        liveramp::Error::InvalidField { field, .. } => assert_eq!(field, "limit"),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{error} {error:?}").contains("s3cr3t"), "{error}");
}
