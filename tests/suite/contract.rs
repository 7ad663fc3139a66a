//! The contract users touch: one `liveramp::Error` from every `send()`, with nothing of the
//! request in it; what it says (attempts, request ID, retryability, the token endpoint's cause);
//! one `Config` sharing its HTTP client and retry budget; per-call overrides.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::raw_tcp::{self, Act, KeepAliveServer, RawServer};
use httpmock::prelude::*;
use liveramp::auth::StaticToken;
use liveramp::retry::{RecordingClock, RetryBudget, RetryPolicy};
use liveramp::transport::Transport;

/// The personal data one AbiliTec match sends, none of which may appear in an error.
const EMAIL: &str = "jane.doe@example.com";
const FIRST: &str = "Janeth";
const LAST: &str = "Smithers";
const ZIP: &str = "94107";
const TOKEN: &str = "opaque-token-4f9a2c";

fn abilitec(base_url: &str, clock: &RecordingClock) -> liveramp::abilitec::Client {
    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(TOKEN)))
        .clock(Arc::new(clock.clone()))
        .build();
    liveramp::abilitec::Client::new_with_client(
        base_url,
        liveramp::http::client().unwrap(),
        transport,
    )
}

async fn match_jane(client: &liveramp::abilitec::Client) -> Result<(), liveramp::Error> {
    client
        .match_people()
        .email(EMAIL)
        .first_name(FIRST)
        .last_name(LAST)
        .zip_code(ZIP)
        .send()
        .await?;
    Ok(())
}

fn via_anyhow(result: Result<(), liveramp::Error>) -> anyhow::Error {
    let run = || -> anyhow::Result<()> {
        result?;
        Ok(())
    };
    run().expect_err("the call fails")
}

fn via_box(result: Result<(), liveramp::Error>) -> Box<dyn std::error::Error + Send + Sync> {
    let run = || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        result?;
        Ok(())
    };
    run().expect_err("the call fails")
}

/// Every rendering of the error and of its whole source chain.
fn renderings(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
        next = e.source();
    }
    out
}

fn assert_nothing_sent_leaks(texts: &[String]) {
    for text in texts {
        for value in [EMAIL, "jane.doe%40example.com", FIRST, LAST, ZIP, TOKEN] {
            assert!(
                !text.to_lowercase().contains(&value.to_lowercase()),
                "{value} in {text}"
            );
        }
    }
}

#[tokio::test]
async fn no_error_of_a_match_repeats_its_personal_data() {
    let echo = format!("no match for {EMAIL} {FIRST} {LAST} zip {ZIP} token {TOKEN}");
    let document = serde_json::json!({
        "error": {"message": echo, "code": "600-0043", "requestId": "req-1"}
    })
    .to_string();
    let cases: Vec<(&str, Vec<Act>)> = vec![
        (
            "503",
            vec![Act::Raw(raw_tcp::answer(
                503,
                "text/plain",
                echo.as_bytes(),
            ))],
        ),
        ("400", vec![Act::Raw(raw_tcp::json(400, &document))]),
        ("reset", vec![Act::Reset]),
        (
            "decode",
            vec![Act::Raw(raw_tcp::json(
                200,
                &serde_json::json!({"person": {"email": EMAIL, "abilitec": 7}}).to_string(),
            ))],
        ),
    ];
    for (case, acts) in cases {
        let server = RawServer::start(acts).await;
        let clock = RecordingClock::default();
        let client = abilitec(&server.base_url, &clock);
        let first = match_jane(&client).await;
        assert!(first.is_err(), "{case}");
        let anyhow_error = via_anyhow(first);
        let mut texts = vec![
            format!("{anyhow_error}"),
            format!("{anyhow_error:#}"),
            format!("{anyhow_error:?}"),
        ];
        texts.extend(renderings(anyhow_error.as_ref()));
        let boxed = via_box(match_jane(&client).await);
        texts.extend(renderings(boxed.as_ref()));
        assert_nothing_sent_leaks(&texts);
        assert!(
            texts.iter().any(|t| t.contains("[redacted]")) || case == "reset" || case == "decode",
            "{case}: the echo was redacted, not dropped: {texts:?}"
        );
    }
}

#[tokio::test]
async fn an_api_error_says_its_attempts_request_id_and_retryability() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(503)
                .header("x-request-id", "rid-503")
                .header("content-type", "text/plain")
                .body("upstream unavailable");
        })
        .await;
    let clock = RecordingClock::default();
    let error = match_jane(&abilitec(&server.base_url(), &clock))
        .await
        .unwrap_err();
    assert!(
        error.is_retryable(),
        "a 503 with a non-JSON body: {error:?}"
    );
    assert_eq!(error.attempts(), Some(3));
    assert_eq!(error.request_id(), Some("rid-503"));
    let text = error.to_string();
    assert!(text.contains("after 3 attempts"), "{text}");
    assert!(text.contains("request ID rid-503"), "{text}");

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(403)
                .header("cf-ray", "8a1b2c3d4e5f-SJC")
                .header("server", "cloudflare")
                .body("<html><body>Error 1020</body></html>");
        })
        .await;
    let error = match_jane(&abilitec(&server.base_url(), &clock))
        .await
        .unwrap_err();
    assert_eq!(error.request_id(), Some("8a1b2c3d4e5f-SJC"));
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("8a1b2c3d4e5f-SJC"), "{error}");
}

#[tokio::test]
async fn abilitec_codes_are_constants_with_documented_meanings() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(400).json_body(serde_json::json!({
                "error": {"message": "too many", "code": "600-0060", "requestId": "r"}
            }));
        })
        .await;
    let clock = RecordingClock::default();
    let error = match_jane(&abilitec(&server.base_url(), &clock))
        .await
        .unwrap_err();
    let api = error.api_error().expect("the error document");
    assert_eq!(
        api.code.as_deref(),
        Some(liveramp::error::abilitec::BATCH_LIMIT_EXCEEDED)
    );
    assert!(
        error.to_string().contains("batch request limit exceeded"),
        "{error}"
    );
}

#[tokio::test]
async fn auth_errors_say_their_cause_and_the_token_endpoint_status() {
    let missing = std::env::temp_dir().join("liveramp-contract-no-such-credentials.json");
    let config = liveramp::Config::new().with_credentials_file(&missing);
    let run = || -> Result<(), liveramp::Error> {
        config.consent()?;
        Ok(())
    };
    let text = run().unwrap_err().to_string();
    assert!(text.contains("does not exist"), "{text}");
    assert!(text.starts_with("unusable credentials: "), "{text}");

    // A missing or bad setting is said to be one, not a failed token request.
    let activation_error = |config: liveramp::Config| {
        let error = config.activation().map(drop).map_err(liveramp::Error::from);
        error.unwrap_err().to_string()
    };
    let no_org = activation_error(liveramp::Config::new().with_credentials_file(&missing));
    assert!(no_org.starts_with("invalid configuration: "), "{no_org}");
    assert!(no_org.contains("org ID"), "{no_org}");
    let bad_org = activation_error(
        liveramp::Config::new()
            .with_org_id("org\nid")
            .with_service_account_tokens(Arc::new(StaticToken::new("own-token-value"))),
    );
    assert!(bad_org.starts_with("invalid configuration: "), "{bad_org}");

    let secret = "s3cret-Key-Value";
    let sso = MockServer::start_async().await;
    sso.mock_async(|when, then| {
        when.method(POST).path("/token");
        then.status(401).json_body(serde_json::json!({
            "error": "invalid_grant",
            "error_description": format!("bad password {secret} for account")
        }));
    })
    .await;
    let file = tempfile_with(&serde_json::json!({
        "type": "serviceAccount/v2",
        "account_id": "svc-account",
        "secret_key": secret,
        "client_id": "liveramp-api",
        "token_uri": sso.url("/token"),
    }));
    let config = liveramp::Config::new()
        .with_credentials_file(file.path())
        .with_consent_url(sso.base_url());
    let consent = config
        .consent()
        .expect("a client; the token comes at the first call");
    let error = consent.list_consent_files().send().await.unwrap_err();
    assert!(matches!(error, liveramp::Error::Auth(_)), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    let text = error.to_string();
    assert!(text.contains("401"), "{text}");
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(!format!("{text} {error:?}").contains(secret), "{text}");
}

/// A credentials file in the temporary directory, readable by its owner only.
fn tempfile_with(json: &serde_json::Value) -> TempFile {
    let path = std::env::temp_dir().join(format!(
        "liveramp-contract-{}-{}.json",
        std::process::id(),
        fastrand_suffix()
    ));
    std::fs::write(&path, json.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    TempFile(path)
}

fn fastrand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_steady_rate_of_successful_retries_never_drains_the_budget() {
    // Every fourth call fails once with 503 and succeeds on its second attempt.
    let server = KeepAliveServer::start(Arc::new(|n: usize, _: &str| {
        if n % 5 == 3 {
            (503, vec![], "{}".to_owned())
        } else {
            (200, vec![], r#"{"v2/ConsentFiles":[]}"#.to_owned())
        }
    }))
    .await;
    let clock = RecordingClock::default();
    let budget = Arc::new(RetryBudget::default());
    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(TOKEN)))
        .clock(Arc::new(clock.clone()))
        .retry_budget(budget.clone())
        .build();
    let client = liveramp::consent::Client::new_with_client(
        &server.base_url,
        liveramp::http::client().unwrap(),
        transport,
    );
    for call in 0..10_000 {
        if let Err(e) = client.list_consent_files().send().await {
            panic!(
                "call {call} failed with {} tokens left: {e}",
                budget.available()
            );
        }
    }
    assert_eq!(server.heads().len(), 12_500);
    assert_eq!(clock.sleeps().len(), 2_500);
    assert_eq!(budget.available(), RetryBudget::default().available());
}

#[tokio::test]
async fn clients_of_one_config_share_one_http_client_and_say_who_they_are() {
    let server =
        KeepAliveServer::start(Arc::new(|_: usize, _: &str| (200, vec![], "[]".to_owned()))).await;
    let config = liveramp::Config::new()
        .with_data_integration_url(&server.base_url)
        .with_data_integration_token("di-token-value");
    let clone = config.clone();
    for config in [&config, &clone, &config] {
        let client = config.data_integration().unwrap();
        client.list_connection_types().send().await.unwrap();
    }
    assert_eq!(
        server.connections(),
        1,
        "one connection pool for every client"
    );
    for head in server.heads() {
        let ua = format!("user-agent: liveramp-rust/{}", env!("CARGO_PKG_VERSION"));
        assert!(head.to_lowercase().contains(&ua), "{head}");
        assert!(!head.to_lowercase().contains("referer"), "{head}");
    }
    assert!(Arc::ptr_eq(config.retry_budget(), clone.retry_budget()));
    assert_eq!(config.data_integration_url(), server.base_url);
}

#[tokio::test]
async fn one_call_can_override_the_retry_policy() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(503);
        })
        .await;
    let clock = RecordingClock::default();
    let client = abilitec(&server.base_url(), &clock);
    let once = match_jane(&client.with_retry_policy(RetryPolicy::no_retry())).await;
    assert_eq!(once.unwrap_err().attempts(), Some(1));
    mock.assert_calls_async(1).await;
    let default = match_jane(&client).await;
    assert_eq!(default.unwrap_err().attempts(), Some(3));
    let short = client.with_timeout(Duration::from_millis(100));
    let error = match_jane(&short).await.unwrap_err();
    assert!(
        matches!(error, liveramp::Error::DeadlineExceeded { .. }) || error.attempts() == Some(1),
        "{error:?}"
    );
}

#[tokio::test]
async fn empty_and_dot_path_parameters_never_reach_the_wire() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(204);
        })
        .await;
    let client = liveramp::activation::Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(Some(common::ORG_ID)),
    );
    for id in ["", ".", "..", " .. "] {
        let error = client
            .delete_integration_connection()
            .integration_connection_id(id)
            .send()
            .await
            .unwrap_err();
        match &error {
            liveramp::Error::InvalidField { field, reason, .. } => {
                assert_eq!(field, "integration_connection_id");
                assert!(reason.contains("must not be empty"), "{reason}");
            }
            other => panic!("{id:?}: {other:?}"),
        }
    }
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_path_parameter_with_backslashes_stays_one_segment() {
    // Found by review: URL parsers read `\` as `/` in http(s) URLs, and then fold `..`, so
    // `x\..\..\distribution-managers\dm-1` sent the DELETE, with the token, to another
    // resource.
    let server = MockServer::start_async().await;
    let own = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path_matches("^/v2/integration-connections/[^/]+$");
            then.status(200);
        })
        .await;
    let client = liveramp::activation::Client::new_with_client(
        &server.base_url(),
        liveramp::http::client().unwrap(),
        common::transport(Some(common::ORG_ID)),
    );
    for id in [r"x\..\..\distribution-managers\dm-1", r"..\", r"a\b"] {
        client
            .delete_integration_connection()
            .integration_connection_id(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: {e:?}"));
    }
    own.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_client_built_by_hand_sends_credentials_over_plain_http_only_to_loopback() {
    // Found by review: only `Config`'s constructors checked the scheme, so a client built with
    // `new_with_client` on `http://` sent its token and org ID in clear text to any host.
    let server = RawServer::start(vec![Act::Raw(raw_tcp::json(200, "[]"))]).await;
    let addr: std::net::SocketAddr = server.base_url["http://".len()..].parse().unwrap();
    let http = liveramp::http::client_builder()
        .no_proxy()
        .resolve("api.test", addr)
        .build()
        .unwrap();
    let client = liveramp::activation::Client::new_with_client(
        &format!("http://api.test:{}", addr.port()),
        http,
        common::transport(Some(common::ORG_ID)),
    );
    let error = client.list_destinations().send().await.unwrap_err();
    assert!(
        matches!(&error, liveramp::Error::InvalidRequest(m) if m.contains("https")),
        "{error:?}"
    );
    assert_eq!(server.hits(), 0);
}

#[test]
fn a_base_url_with_a_query_or_fragment_is_refused() {
    // Found by review: the operation's path was written after the `#` or `?`, so every call
    // went to the base URL itself, with the credentials.
    for url in [
        "https://api.example.com/v2#x",
        "https://api.example.com/v2?a=1",
    ] {
        let error = liveramp::Config::from_vars([("LIVERAMP_ACTIVATION_URL", url)]).unwrap_err();
        assert!(error.to_string().contains("query or a fragment"), "{error}");
        assert!(!error.to_string().contains("a=1"), "{error}");
        let config = liveramp::Config::from_vars([("LIVERAMP_ORG_ID", common::ORG_ID)])
            .unwrap()
            .with_consent_url(url);
        assert!(config.consent().is_err(), "{url}");
    }
}

/// A server answering every request with a 307 to `elsewhere`.
async fn redirecting_to(elsewhere: &MockServer) -> MockServer {
    let origin = MockServer::start_async().await;
    origin
        .mock_async(|when, then| {
            when.any_request();
            then.status(307)
                .header("location", elsewhere.url("/collect?from=redirect"));
        })
        .await;
    origin
}

#[tokio::test]
async fn clients_built_without_a_config_never_follow_a_redirect_to_another_origin() {
    let elsewhere = MockServer::start_async().await;
    let collected = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("[]");
        })
        .await;
    let origin = redirecting_to(&elsewhere).await;
    let transport = || {
        Transport::builder()
            .api_key(liveramp::auth::Secret::new("v1-api-key-secret"))
            .unwrap()
            .build()
    };
    // The generated constructor's own HTTP client, and the crate's plain one.
    let clients = [
        liveramp::activation_v1::Client::new(&origin.base_url(), transport()),
        liveramp::activation_v1::Client::new_with_client(
            &origin.base_url(),
            liveramp::http::client().unwrap(),
            transport(),
        ),
    ];
    for client in &clients {
        let error = client.list_destinations().send().await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(307), "{error:?}");
    }
    assert_eq!(
        collected.calls_async().await,
        0,
        "nothing went to the other origin"
    );
}

#[tokio::test]
async fn keys_and_bodies_never_follow_a_redirect_to_another_origin() {
    let elsewhere = MockServer::start_async().await;
    let collected = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body("[]");
        })
        .await;
    let origin = redirecting_to(&elsewhere).await;
    let config = liveramp::Config::new()
        .with_activation_v1_url(origin.base_url())
        .with_activation_v1_api_key("v1-api-key-secret")
        .with_abilitec_url(origin.base_url())
        .with_abilitec_credentials(liveramp::auth::ClientCredentials::new("id", "secret"));
    let error = config
        .activation_v1()
        .unwrap()
        .list_destinations()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307), "{error:?}");
    assert_eq!(
        collected.calls_async().await,
        0,
        "nothing went to the other origin"
    );

    // Within one origin a redirect is followed, and no request carries a Referer.
    let same = MockServer::start_async().await;
    same.mock_async(|when, then| {
        when.path("/old");
        then.status(302).header("location", "/new");
    })
    .await;
    let moved = same
        .mock_async(|when, then| {
            when.path("/new").header_missing("referer");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let http = liveramp::Config::new().http_client().unwrap();
    let answer = http.get(same.url("/old")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    moved.assert_async().await;
}

#[tokio::test]
async fn token_requests_share_one_bucket_per_config() {
    let sso = MockServer::start_async().await;
    let fetches = sso
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200).json_body(serde_json::json!({
                "access_token": "t", "token_type": "Bearer", "expires_in": 3600
            }));
        })
        .await;
    let base = liveramp::Config::new()
        .with_abilitec_token_url(sso.url("/token"))
        .with_rate_limits(
            liveramp::limit::RateLimits::none().with_token_requests(std::num::NonZeroU32::new(2)),
        );
    let started = std::time::Instant::now();
    for i in 0..6 {
        // A credential of its own each time: six token caches, one bucket.
        let config =
            base.clone()
                .with_abilitec_credentials(liveramp::auth::ClientCredentials::new(
                    format!("client-{i}"),
                    "secret",
                ));
        config.abilitec_tokens().unwrap().token().await.unwrap();
    }
    fetches.assert_calls_async(6).await;
    // Two at once, then one every half second: the sixth leaves two seconds after the first.
    assert!(started.elapsed() >= Duration::from_millis(1900));
}

#[tokio::test]
async fn memory_is_bounded_whatever_the_server_sends() {
    // A success answer announcing more than the limit is refused before its body is read...
    let mut announced =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n"
            .to_vec();
    announced.extend_from_slice(b"{\"v2/ConsentFiles\":[");
    // ...and one without a length is read only up to it.
    let mut endless =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..64 {
        endless.extend_from_slice(b"400\r\n");
        endless.extend_from_slice(&[b' '; 1024]);
        endless.extend_from_slice(b"\r\n");
    }
    for raw in [announced, endless] {
        let server = RawServer::start(vec![Act::Raw(raw)]).await;
        let transport = Transport::builder()
            .token_source(Arc::new(StaticToken::new(TOKEN)))
            .max_body_bytes(16 * 1024)
            .build();
        let client = liveramp::consent::Client::new_with_client(
            &server.base_url,
            liveramp::http::client().unwrap(),
            transport,
        );
        let error = client.list_consent_files().send().await.unwrap_err();
        assert!(
            matches!(error, liveramp::Error::BodyTooLarge { limit: 16_384, .. }),
            "{error:?}"
        );
        assert_eq!(server.hits(), 1, "not retried");
    }

    // An error body of any size leaves a short excerpt.
    let huge = format!("{{\"message\": \"{}\"}}", "x".repeat(4 << 20));
    let server = RawServer::start(vec![Act::Raw(raw_tcp::json(400, &huge))]).await;
    let clock = RecordingClock::default();
    let error = match_jane(&abilitec(&server.base_url, &clock))
        .await
        .unwrap_err();
    assert!(
        error.to_string().len() < 1_000,
        "{} bytes",
        error.to_string().len()
    );

    // A token endpoint answering far more than a token is refused.
    let sso = RawServer::start(vec![Act::Raw(raw_tcp::json(
        200,
        &format!("{{\"access_token\": \"{}\"}}", "t".repeat(1 << 20)),
    ))])
    .await;
    let config = liveramp::Config::new()
        .with_abilitec_credentials(liveramp::auth::ClientCredentials::new("id", "secret"))
        .with_abilitec_token_url(format!("{}/token", sso.base_url));
    let error = config.abilitec_tokens().unwrap().token().await.unwrap_err();
    assert!(error.to_string().contains("more than"), "{error}");
}

#[test]
fn a_builder_missing_a_field_is_an_invalid_request_naming_the_field_not_the_values() {
    use liveramp::activation::types::{SegmentConfigInput, SegmentType};
    let build = || -> Result<SegmentConfigInput, liveramp::Error> {
        Ok(SegmentConfigInput::builder()
            .segment_id(EMAIL)
            .segment_type(SegmentType::Onboarding)
            .try_into()?)
    };
    let error = build().unwrap_err();
    assert!(
        matches!(error, liveramp::Error::InvalidRequest(_)),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("distribution_manager_id"), "{text}");
    assert!(text.contains("nothing was sent"), "{text}");
    assert_nothing_sent_leaks(&renderings(&error));
}

#[tokio::test]
async fn a_token_source_of_ones_own_survives_every_later_setting() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/consent-files")
                .header("authorization", "Bearer own-token-value");
            then.status(200)
                .json_body(serde_json::json!({ "v2/ConsentFiles": [] }));
        })
        .await;
    let own = || {
        liveramp::Config::new()
            .with_service_account_tokens(Arc::new(StaticToken::new("own-token-value")))
    };
    type Setting = fn(liveramp::Config) -> liveramp::Config;
    let later: [(&str, Setting); 6] = [
        ("token timeout", |c| {
            c.with_token_timeout(Duration::from_secs(5))
        }),
        ("cache policy", |c| c.with_cache_policy(Default::default())),
        ("token URL", |c| {
            c.with_token_url("https://sso.example.com/token")
        }),
        ("rate limits", |c| {
            c.with_rate_limits(liveramp::limit::RateLimits::none())
        }),
        ("user agent", |c| c.with_user_agent("fleet-worker/1")),
        ("HTTP client", |c| {
            c.with_http_client(liveramp::http::client().unwrap())
        }),
    ];
    for (setting, set) in later {
        let config = set(own()).with_consent_url(server.base_url());
        let consent = config
            .consent()
            .unwrap_or_else(|e| panic!("after the {setting}: {e}"));
        consent
            .list_consent_files()
            .send()
            .await
            .unwrap_or_else(|e| panic!("after the {setting}: {e}"));
    }
    list.assert_calls_async(later.len()).await;
}
