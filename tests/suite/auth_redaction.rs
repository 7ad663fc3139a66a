//! Every public auth type and error, formatted with `{:?}` (and `{}` where it has it), shows
//! no secret; nor do the generated types that hold an OAuth flow's values or a server's text.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use liveramp::Config;
use liveramp::auth::{
    AccessToken, AuthError, AuthErrorKind, CachePolicy, ClientCredentials, ClientCredentialsGrant,
    Fetch, FetchedToken, PasswordGrant, Secret, ServiceAccountCredentials, StaticToken, TokenCache,
    TokenSource,
};

const SECRET_KEY: &str = "SECRET-KEY-vdmAe8Pzxf6lW5";
const CLIENT_SECRET: &str = "CLIENT-SECRET-b6e2807e";
const ACCESS_TOKEN: &str = "ACCESS-TOKEN-eyJraWQiOiJn";
const API_TOKEN: &str = "API-TOKEN-rivery-1234";
const API_KEY: &str = "API-KEY-v1-5678";
/// In a token URL's query: found by review, `Debug` showed it.
const URL_SECRET: &str = "URL-SECRET-q9x";
const SECRETS: [&str; 6] = [
    SECRET_KEY,
    CLIENT_SECRET,
    ACCESS_TOKEN,
    API_TOKEN,
    API_KEY,
    URL_SECRET,
];

fn assert_clean(what: &str, shown: &str) {
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{what} shows a secret: {shown}");
    }
}

fn debug(what: &str, value: &dyn std::fmt::Debug) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn both(what: &str, value: &(impl std::fmt::Debug + std::fmt::Display)) {
    debug(what, value);
    assert_clean(what, &value.to_string());
}

#[tokio::test]
async fn no_public_auth_type_or_error_shows_a_secret() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/ok");
            then.status(200).json_body(serde_json::json!({
                "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 600
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/refused");
            then.status(401).json_body(serde_json::json!({
                "error": "invalid_client", "error_description": "Client authentication failed"
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/bad-type");
            then.status(200).json_body(serde_json::json!({
                "access_token": ACCESS_TOKEN, "token_type": "mac"
            }));
        })
        .await;

    let secret = Secret::new(SECRET_KEY);
    both("Secret", &secret);
    let token = AccessToken::new(ACCESS_TOKEN);
    both("AccessToken", &token);
    debug(
        "FetchedToken",
        &FetchedToken::new(token.clone(), Some(Duration::from_secs(600))),
    );
    debug("StaticToken", &StaticToken::new(ACCESS_TOKEN));

    let token_url = server.url(format!("/ok?code={URL_SECRET}"));
    let service_account =
        ServiceAccountCredentials::new("svc@x", SECRET_KEY, "liveramp-api", &token_url);
    debug("ServiceAccountCredentials", &service_account);
    let client = ClientCredentials::new("client", CLIENT_SECRET);
    debug("ClientCredentials", &client);

    let password = PasswordGrant::new(service_account.clone()).unwrap();
    debug("PasswordGrant", &password);
    let client_grant = ClientCredentialsGrant::new(&token_url, client.clone()).unwrap();
    debug("ClientCredentialsGrant", &client_grant);

    let cache = TokenCache::new(password);
    assert_eq!(cache.token().await.unwrap().expose(), ACCESS_TOKEN);
    debug("TokenCache", &cache);
    debug("CachePolicy", &CachePolicy::default());
    let source: Arc<dyn TokenSource> = Arc::new(cache);
    debug("dyn TokenSource", &source);

    let mut errors: Vec<(&str, AuthError)> = vec![
        ("AuthError::new", AuthError::new("plain")),
        (
            "refused",
            ClientCredentialsGrant::new(&server.url("/refused"), client.clone())
                .unwrap()
                .fetch()
                .await
                .unwrap_err(),
        ),
        (
            "bad token_type",
            ClientCredentialsGrant::new(&server.url("/bad-type"), client.clone())
                .unwrap()
                .fetch()
                .await
                .unwrap_err(),
        ),
        (
            "credentials",
            ServiceAccountCredentials::from_json(&format!(
                r#"{{"type":"serviceAccount/v2","secret_key":"{SECRET_KEY}"}}"#
            ))
            .unwrap_err(),
        ),
        (
            "url",
            ClientCredentialsGrant::new(
                &format!("https://client:{CLIENT_SECRET}@example.com/token"),
                client.clone(),
            )
            .unwrap_err(),
        ),
    ];
    let refused = common::server::RefusedPort::bind();
    errors.push((
        "network",
        PasswordGrant::new(ServiceAccountCredentials::new(
            "svc@x",
            SECRET_KEY,
            "liveramp-api",
            format!("http://127.0.0.1:{}/token", refused.port),
        ))
        .unwrap()
        .fetch()
        .await
        .unwrap_err(),
    ));
    for (what, error) in &errors {
        both(what, error);
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            assert_clean(what, &format!("{inner} {inner:?}"));
            source = inner.source();
        }
    }
    debug("AuthErrorKind", &AuthErrorKind::Rejected);

    let config = Config::from_vars([
        ("LIVERAMP_ABILITEC_CLIENT_ID", "client"),
        ("LIVERAMP_ABILITEC_CLIENT_SECRET", CLIENT_SECRET),
        ("LIVERAMP_DATA_INTEGRATION_TOKEN", API_TOKEN),
        ("LIVERAMP_ACTIVATION_V1_API_KEY", API_KEY),
        ("LIVERAMP_ABILITEC_TOKEN_URL", &token_url),
        ("LIVERAMP_TOKEN_URL", &token_url),
    ])
    .unwrap()
    .with_credentials(service_account);
    config.abilitec_tokens().unwrap().token().await.unwrap();
    config
        .service_account_tokens()
        .unwrap()
        .token()
        .await
        .unwrap();
    debug("Config", &config);
}

#[test]
fn a_refused_url_is_named_without_its_query_or_fragment() {
    // Found by review: the whole URL was quoted, a redirect URL's session value with it.
    for url in [
        "http://app.example.com/cb?session=s3cr3t-session",
        "http://app.example.com/cb#state=s3cr3t-session",
        "ftp://app.example.com/cb?session=s3cr3t-session",
        "https://[::1/cb?session=s3cr3t-session",
        "https://client:s3cr3t-session@example.com/token",
    ] {
        let error = liveramp::config::check_url(url).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("s3cr3t-session"), "{shown}");
    }
    let error = liveramp::config::check_url("http://app.example.com/cb?session=x").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`http://app.example.com/cb` must be an https URL"),
        "{error}"
    );
}

#[test]
fn the_generated_types_of_an_oauth_flow_show_neither_its_state_nor_its_urls() {
    // Found by review: an OAuth flow's state, the authorization URL that carries it, and Data
    // Integration's pull_id (which answers the provider's token) were plain strings in the
    // generated types, whose derived `Debug` printed them.
    use liveramp::{activation, activation_v1, data_integration};
    use serde_json::json;
    const STATE: &str = "STATE-session-41c2";
    const URL: &str = "https://platform.example/oauth?client_id=9&state=STATE-session-41c2";
    const PULL_ID: &str = "PULL-ID-Xkoaopdlkm";
    fn shown<T: std::fmt::Debug + serde::de::DeserializeOwned>(value: serde_json::Value) -> String {
        let decoded: T = serde_json::from_value(value).expect("decodes");
        format!("{decoded:?} {decoded:#?}")
    }
    let all = [
        shown::<activation::types::OAuthConnectionAttempt>(json!({
            "id": "123e4567-e89b-12d3-a456-426655440000", "authorizationUrl": URL,
            "status": "PENDING", "oAuthEndpointID": "meta", "state": STATE,
        })),
        shown::<activation::types::OAuthConnectionAttemptInput>(json!({
            "oAuthEndpointID": "meta", "state": STATE,
        })),
        shown::<activation_v1::types::OAuthAuthorization>(json!({"authorization_url": URL})),
        shown::<activation_v1::types::OAuthAuthorizationRequest>(json!({
            "redirect_url": "https://app.example/done", "state": STATE,
        })),
        shown::<activation_v1::types::OAuthRedirect>(json!({"status": "ok", "state": STATE})),
        shown::<data_integration::types::OAuth2Request>(json!({
            "auth_uri": URL, "pull_id": PULL_ID,
        })),
        shown::<data_integration::types::OAuth2CredentialsQuery>(json!({
            "auth_uri": URL, "pull_id": PULL_ID,
        })),
    ];
    for text in all {
        for value in [STATE, "platform.example", PULL_ID] {
            assert!(!text.contains(value), "{text}");
        }
    }
}

#[test]
fn the_generated_types_of_a_servers_text_show_none_of_it() {
    // Found by review: a batch item's error message, an OAuth attempt's statusDetail, a
    // segment config's message and Data Integration's messages were plain strings in the
    // generated types, whose derived `Debug` printed what the server quoted of the call.
    use liveramp::{abilitec, activation, activation_v1, consent, data_integration};
    use serde_json::json;
    const QUOTED: &str = "invalid email jane.doe@example.com";
    fn shown<T: std::fmt::Debug + serde::de::DeserializeOwned>(value: serde_json::Value) -> String {
        let decoded: T = serde_json::from_value(value).expect("decodes");
        format!("{decoded:?} {decoded:#?}")
    }
    let all = [
        shown::<abilitec::types::BatchResponse>(json!([{
            "code": 400, "document": {"error": {"message": QUOTED, "code": "600-0043"}},
        }])),
        shown::<activation::types::OAuthConnectionAttempt>(json!({
            "id": "123e4567-e89b-12d3-a456-426655440000", "authorizationUrl": "https://a.example",
            "status": "FAILED", "oAuthEndpointID": "meta", "statusDetail": QUOTED,
        })),
        shown::<activation::types::StandardError>(json!({
            "httpStatus": 400, "errorCode": "BAD", "message": QUOTED,
        })),
        shown::<activation_v1::types::ErrorMessage>(json!({"message": QUOTED})),
        shown::<consent::types::Errors>(json!({"httpStatuscode": 400, "message": QUOTED})),
        shown::<data_integration::types::OAuth2Credentials>(json!({"message": QUOTED})),
        shown::<data_integration::types::ErrorMessage>(json!({"message": QUOTED})),
    ];
    for text in all {
        assert!(!text.contains("jane.doe"), "{text}");
    }
    let text = abilitec::types::ServerText::from(QUOTED);
    assert_eq!(text.as_str(), QUOTED, "read with Deref");
}
