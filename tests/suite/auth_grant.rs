//! The password and client-credentials grants against httpmock: exact form fields, error
//! classification, timeouts, redirects and URL checks.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use liveramp::auth::{
    AuthErrorKind, ClientAuth, ClientCredentials, ClientCredentialsGrant, Fetch,
    PERMANENT_OAUTH_ERRORS, PasswordGrant, ServiceAccountCredentials, TokenCache, TokenSource,
};

const SECRET_KEY: &str = "vdm+Ae8/Pzxf6lW5=tYEeq&x";
const CLIENT_SECRET: &str = "b6e2807e-62b9-4a63-b831-e0d22dc49f95";

fn service_account(token_uri: &str) -> ServiceAccountCredentials {
    ServiceAccountCredentials::new(
        "svc@serviceaccounts.liveramp.com",
        SECRET_KEY,
        "liveramp-api",
        token_uri,
    )
}

fn client_grant(token_url: &str) -> ClientCredentialsGrant {
    ClientCredentialsGrant::new(
        token_url,
        ClientCredentials::new("companyname=client", CLIENT_SECRET),
    )
    .unwrap()
}

#[tokio::test]
async fn the_password_grant_sends_exactly_the_documented_form() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/default/v2/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    "grant_type=password\
                     &username=svc%40serviceaccounts.liveramp.com\
                     &password=vdm%2BAe8%2FPzxf6lW5%3DtYEeq%26x\
                     &scope=openid&client_id=liveramp-api&response_type=token",
                );
            then.status(200).json_body(serde_json::json!({
                "access_token": "at-1", "token_type": "Bearer", "expires_in": 600,
                "scope": "openid"
            }));
        })
        .await;
    let grant =
        PasswordGrant::new(service_account(&server.url("/oauth2/default/v2/token"))).unwrap();
    let fetched = grant.fetch().await.unwrap();
    mock.assert_async().await;
    assert_eq!(fetched.token.expose(), "at-1");
    assert_eq!(fetched.expires_in, Some(Duration::from_secs(600)));
}

#[tokio::test]
async fn the_client_credentials_grant_sends_exactly_the_documented_form() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "client_id=companyname%3Dclient&client_secret={CLIENT_SECRET}\
                     &grant_type=client_credentials"
                ));
            then.status(200).json_body(serde_json::json!({
                "access_token": "920d8f37", "token_type": "Bearer", "expires_in": "3600"
            }));
        })
        .await;
    let fetched = client_grant(&server.url("/token")).fetch().await.unwrap();
    mock.assert_async().await;
    assert_eq!(fetched.token.expose(), "920d8f37");
    assert_eq!(fetched.expires_in, Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn the_client_credentials_grant_can_send_the_client_as_http_basic() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", format!("Basic {BASIC}"))
                .body("grant_type=client_credentials");
            then.status(200).json_body(serde_json::json!({
                "access_token": "basic-1", "token_type": "Bearer", "expires_in": 3600
            }));
        })
        .await;
    let grant = client_grant(&server.url("/token")).with_client_auth(ClientAuth::Basic);
    let fetched = grant.fetch().await.unwrap();
    mock.assert_async().await;
    assert_eq!(fetched.token.expose(), "basic-1");
}

#[tokio::test]
async fn a_refusal_of_basic_client_auth_does_not_echo_the_client() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(400).json_body(serde_json::json!({
                "error": "invalid_client",
                "error_description": format!(
                    "unknown client companyname=client / {CLIENT_SECRET}, header Basic {BASIC}"
                )
            }));
        })
        .await;
    let error = client_grant(&server.url("/token"))
        .with_client_auth(ClientAuth::Basic)
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::Rejected);
    let text = format!("{error} {error:?}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert!(!text.contains("companyname=client"), "{text}");
    // Found by review: the header as sent, which decodes to both, was shown.
    assert!(!text.contains(BASIC), "{text}");
}

/// `base64("companyname=client:<secret>")`, the `Authorization: Basic` credentials sent.
const BASIC: &str = "Y29tcGFueW5hbWU9Y2xpZW50OmI2ZTI4MDdlLTYyYjktNGE2My1iODMxLWUwZDIyZGM0OWY5NQ==";

#[tokio::test]
async fn oauth_refusals_are_permanent_and_carry_code_and_description() {
    for (status, code) in PERMANENT_OAUTH_ERRORS
        .iter()
        .map(|c| (400, *c))
        .chain([(401, "invalid_client")])
    {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/token");
                then.status(status).json_body(serde_json::json!({
                    "error": code, "error_description": "Missing grant_type"
                }));
            })
            .await;
        let error = client_grant(&server.url("/token"))
            .fetch()
            .await
            .unwrap_err();
        assert!(!error.is_transient(), "{code}");
        assert_eq!(error.kind(), AuthErrorKind::Rejected);
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.oauth_error(), Some(code));
        assert_eq!(error.oauth_description(), Some("Missing grant_type"));
        let text = error.to_string();
        assert!(
            text.contains(code) && text.contains("Missing grant_type"),
            "{text}"
        );
        assert!(!text.contains(CLIENT_SECRET));
    }
}

#[tokio::test]
async fn server_errors_and_throttling_are_transient() {
    for status in [500, 502, 503, 504, 429] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/token");
                then.status(status)
                    .header("retry-after", "7")
                    .body("<html>Cloudflare</html>");
            })
            .await;
        let error = client_grant(&server.url("/token"))
            .fetch()
            .await
            .unwrap_err();
        assert!(error.is_transient(), "{status}");
        assert_eq!(error.kind(), AuthErrorKind::Unavailable);
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert!(!error.to_string().contains("Cloudflare"));
    }
}

#[tokio::test]
async fn status_200_without_a_usable_bearer_token_is_a_clear_error() {
    for (body, needle) in [
        (
            serde_json::json!({"error": "invalid_grant", "error_description": "nope"}),
            "invalid_grant: nope",
        ),
        (
            serde_json::json!({"token_type": "Bearer"}),
            "without an access_token",
        ),
        (
            serde_json::json!({"access_token": "x", "token_type": "MAC"}),
            "token_type `MAC`, not Bearer",
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/token");
                then.status(200).json_body(body.clone());
            })
            .await;
        let error = client_grant(&server.url("/token"))
            .fetch()
            .await
            .unwrap_err();
        assert!(!error.is_transient());
        assert!(error.to_string().contains(needle), "{error}");
    }
}

/// A one-shot server that announces a 100-byte body, sends 10 bytes and closes.
fn torn_body_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"access_t",
            );
        }
    });
    url
}

#[tokio::test]
async fn a_torn_body_is_transient() {
    let error = client_grant(&torn_body_server()).fetch().await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert_eq!(error.kind(), AuthErrorKind::Network);
    assert_eq!(error.status(), Some(200));
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let refused = common::server::RefusedPort::bind();
    let error = client_grant(&format!("http://127.0.0.1:{}/token", refused.port))
        .fetch()
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert_eq!(error.kind(), AuthErrorKind::Network);
}

#[tokio::test]
async fn token_requests_have_their_own_timeout() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200)
                .delay(Duration::from_secs(3))
                .json_body(serde_json::json!({"access_token": "late"}));
        })
        .await;
    let grant = ClientCredentialsGrant::with_timeout(
        &server.url("/token"),
        ClientCredentials::new("id", CLIENT_SECRET),
        Duration::from_millis(200),
    )
    .unwrap();
    let error = grant.fetch().await.unwrap_err();
    assert!(error.is_transient());
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start_async().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200)
                .json_body(serde_json::json!({"access_token": "x"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(307)
                .header("location", server.url("/elsewhere"));
        })
        .await;
    let error = client_grant(&server.url("/token"))
        .fetch()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(307));
    assert!(error.to_string().contains("redirect"), "{error}");
    assert_eq!(elsewhere.calls_async().await, 0);
}

#[test]
fn token_urls_must_be_https_unless_loopback() {
    for url in [
        "http://sso.liveramp.com/token",
        "ftp://127.0.0.1/token",
        "not a url",
        "https://user:pw@sso.liveramp.com/token",
    ] {
        let error =
            ClientCredentialsGrant::new(url, ClientCredentials::new("id", "s")).unwrap_err();
        assert_eq!(error.kind(), AuthErrorKind::Config, "{url}");
        assert!(!error.to_string().contains(":pw@"), "{error}");
        assert!(PasswordGrant::new(service_account(url)).is_err(), "{url}");
    }
    for url in [
        "https://sso.liveramp.com/oauth2/default/v2/token",
        "http://127.0.0.1:8080/token",
        "http://localhost/token",
        "http://[::1]:9/token",
    ] {
        assert!(PasswordGrant::new(service_account(url)).is_ok(), "{url}");
    }
}

#[test]
fn a_grant_built_from_a_credentials_file_sends_its_secret_only_to_liveramp() {
    // Found by review: `PasswordGrant::new` took any https `token_uri`, while `Config` took
    // only a LiveRamp host's: a tampered file sent the secret key to a grant built by hand.
    for url in [
        "https://sso.example.com/token",
        "https://liveramp.com.example.com/token",
        "https://evilliveramp.com/token",
    ] {
        let error = PasswordGrant::new(service_account(url)).unwrap_err();
        assert_eq!(error.kind(), AuthErrorKind::Config, "{url}");
        assert_eq!(error.field(), Some("token_uri"), "{url}");
        let grant = PasswordGrant::at(service_account(url), url, Duration::from_secs(5)).unwrap();
        assert_eq!(grant.token_url(), url);
    }
    assert!(
        PasswordGrant::at(
            service_account("https://sso.liveramp.com/token"),
            "http://sso.example.com/token",
            Duration::from_secs(5)
        )
        .is_err(),
        "an explicit URL must still be https"
    );
}

#[tokio::test]
async fn a_cache_over_a_grant_fetches_once_for_concurrent_callers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200)
                .delay(Duration::from_millis(100))
                .json_body(serde_json::json!({
                    "access_token": "shared", "token_type": "Bearer", "expires_in": 3600
                }));
        })
        .await;
    let cache = Arc::new(TokenCache::new(client_grant(&server.url("/token"))));
    let callers: Vec<_> = (0..200)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap().expose(), "shared");
    }
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_token_endpoint_is_named_without_its_query_in_every_error() {
    // Found by review: the token URL was quoted whole, a key in its query with it.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/refused");
            then.status(400)
                .json_body(serde_json::json!({"error": "invalid_grant"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/broken");
            then.status(200).body("not json");
        })
        .await;
    let refused = common::server::RefusedPort::bind();
    let urls = [
        server.url("/refused?apikey=s3cr3t-key"),
        server.url("/broken?apikey=s3cr3t-key#s3cr3t-key"),
        format!("http://127.0.0.1:{}/token?apikey=s3cr3t-key", refused.port),
    ];
    for url in urls {
        let error = client_grant(&url).fetch().await.unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("s3cr3t-key"), "{shown}");
        assert!(
            shown.contains("token endpoint http://127.0.0.1:"),
            "{shown}"
        );
    }
}
