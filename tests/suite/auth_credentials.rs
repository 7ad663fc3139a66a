//! Service-account credentials files and `Config`: loading, errors that name the file and the
//! field but never the contents, settings from a map, and an authenticated client end to end.

use crate::common;

use std::path::PathBuf;

use httpmock::prelude::*;
use liveramp::Config;
use liveramp::auth::{AuthErrorKind, ServiceAccountCredentials};

const SECRET_KEY: &str = "vdmAe8Pzxf6lW5-tYEeqmKbV167NCnkdhUqs-KBg1t4";

fn credentials_json(token_uri: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "serviceAccount/v2",
        "uid": "00u1nmeo9zo99s233357",
        "account_id": "svc@serviceaccounts.liveramp.com",
        "secret_key": SECRET_KEY,
        "client_id": "liveramp-api",
        "token_uri": token_uri,
    })
}

/// Writes `text` to a fresh file named `name` and returns its path.
fn write_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("liveramp-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_credentials_file_loads_from_a_path_and_from_text() {
    let json = credentials_json("https://sso.liveramp.com/oauth2/default/v2/token").to_string();
    let path = write_file("good.json", &json);
    let from_file = ServiceAccountCredentials::from_file(&path).unwrap();
    let from_text = ServiceAccountCredentials::from_json(&json).unwrap();
    assert_eq!(from_file, from_text);
    assert_eq!(from_file.uid(), "00u1nmeo9zo99s233357");
    assert_eq!(from_file.account_id(), "svc@serviceaccounts.liveramp.com");
    assert_eq!(from_file.secret_key().expose(), SECRET_KEY);
    assert_eq!(from_file.client_id(), "liveramp-api");
    assert_eq!(
        from_file.token_uri(),
        "https://sso.liveramp.com/oauth2/default/v2/token"
    );
}

#[test]
fn credential_file_errors_name_the_file_and_the_field_never_the_contents() {
    let good = credentials_json("https://sso.liveramp.com/token");
    let mut cases: Vec<(String, String, Option<&str>, &str)> = vec![
        (
            "not-json.json".to_owned(),
            format!("{{\"secret_key\": \"{SECRET_KEY}\", oops"),
            None,
            "is not JSON",
        ),
        (
            "array.json".to_owned(),
            format!("[\"{SECRET_KEY}\"]"),
            None,
            "not a JSON object",
        ),
    ];
    let mut other_type = good.clone();
    other_type["type"] = "service_account".into();
    cases.push((
        "type.json".to_owned(),
        other_type.to_string(),
        Some("type"),
        "is not `serviceAccount/v2`",
    ));
    for field in ["account_id", "secret_key", "client_id", "token_uri", "type"] {
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove(field);
        cases.push((
            format!("missing-{field}.json"),
            missing.to_string(),
            Some(field),
            "is missing",
        ));
    }
    let mut not_string = good.clone();
    not_string["account_id"] = serde_json::json!([SECRET_KEY]);
    cases.push((
        "not-string.json".to_owned(),
        not_string.to_string(),
        Some("account_id"),
        "is not a string",
    ));
    let mut empty = good.clone();
    empty["secret_key"] = "".into();
    cases.push((
        "empty.json".to_owned(),
        empty.to_string(),
        Some("secret_key"),
        "is empty",
    ));

    for (name, text, field, problem) in cases {
        let path = write_file(&name, &text);
        let error = ServiceAccountCredentials::from_file(&path).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert_eq!(error.kind(), AuthErrorKind::Credentials, "{name}");
        assert_eq!(error.path(), Some(path.as_path()), "{name}");
        assert_eq!(error.field(), field, "{name}");
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        assert!(shown.contains(problem), "{name}: {shown}");
        if let Some(field) = field {
            assert!(shown.contains(&format!("`{field}`")), "{shown}");
        }
        assert!(!shown.contains(SECRET_KEY), "{name} leaks: {shown}");
        assert!(
            !shown.contains("00u1nmeo9zo99s233357"),
            "{name} leaks: {shown}"
        );

        let error = ServiceAccountCredentials::from_json(&text).unwrap_err();
        assert_eq!(error.path(), None);
        assert!(error.to_string().starts_with("credentials JSON"), "{error}");
        assert!(!format!("{error} {error:?}").contains(SECRET_KEY));
    }
}

#[test]
fn a_missing_file_is_named() {
    let path = std::env::temp_dir().join("liveramp-no-such-credentials.json");
    let error = ServiceAccountCredentials::from_file(&path).unwrap_err();
    assert_eq!(error.path(), Some(path.as_path()));
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(error.to_string().contains(&path.display().to_string()));
}

#[test]
fn config_reads_its_settings_from_a_map() {
    let config = Config::from_vars([
        ("LIVERAMP_ORG_ID", "org-42"),
        ("LIVERAMP_CONSENT_URL", "http://127.0.0.1:9/privacy"),
        ("LIVERAMP_ABILITEC_CLIENT_ID", "client"),
        ("LIVERAMP_ABILITEC_CLIENT_SECRET", "s3cr3t-value"),
        ("UNRELATED", "x"),
    ])
    .unwrap();
    assert_eq!(config.org_id(), Some("org-42"));
    assert!(!format!("{config:?}").contains("s3cr3t-value"));

    let error =
        Config::from_vars([("LIVERAMP_ACTIVATION_URL", "http://api.liveramp.com")]).unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::Config);
    assert!(
        error.to_string().contains("LIVERAMP_ACTIVATION_URL"),
        "{error}"
    );

    let error = Config::from_vars([("LIVERAMP_ABILITEC_CLIENT_ID", "client")]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("LIVERAMP_ABILITEC_CLIENT_SECRET"),
        "{error}"
    );
}

#[test]
fn clients_that_lack_credentials_say_which_setting_to_give() {
    let config = Config::from_vars(Vec::<(String, String)>::new()).unwrap();
    let error = config.consent().unwrap_err();
    assert!(
        error.to_string().contains("LIVERAMP_CREDENTIALS"),
        "{error}"
    );
    let error = config.abilitec_tokens().unwrap_err();
    assert!(
        error.to_string().contains("LIVERAMP_ABILITEC_CLIENT_ID"),
        "{error}"
    );

    let path = std::env::temp_dir().join("liveramp-missing-for-config.json");
    let config = Config::from_vars([("LIVERAMP_CREDENTIALS", path.display().to_string())]).unwrap();
    let error = config.consent().unwrap_err();
    assert_eq!(error.path(), Some(path.as_path()));
}

#[tokio::test]
async fn config_from_vars_gives_an_authenticated_consent_client() {
    let server = MockServer::start_async().await;
    let token_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/default/v2/token")
                .form_urlencoded_tuple("password", SECRET_KEY);
            then.status(200).json_body(serde_json::json!({
                "access_token": "consent-token", "token_type": "Bearer", "expires_in": 600
            }));
        })
        .await;
    let body = common::example("specs/consent.yaml", "list_consent_files", 200);
    let api_mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/privacy/v2/consent-files")
                .header("authorization", "Bearer consent-token");
            then.status(200).json_body(body.clone());
        })
        .await;
    let path = write_file(
        "config-consent.json",
        &credentials_json(&server.url("/oauth2/default/v2/token")).to_string(),
    );
    let config = Config::from_vars([
        ("LIVERAMP_CREDENTIALS", path.display().to_string()),
        ("LIVERAMP_CONSENT_URL", server.url("/privacy")),
    ])
    .unwrap();
    let consent = config.consent().unwrap();
    for _ in 0..3 {
        consent.list_consent_files().send().await.unwrap();
    }
    // The token is cached, and shared by every client of the same config.
    config
        .consent()
        .unwrap()
        .list_consent_files()
        .send()
        .await
        .unwrap();
    assert_eq!(token_mock.calls_async().await, 1);
    assert_eq!(api_mock.calls_async().await, 4);
}

#[test]
fn only_a_regular_file_of_bounded_size_is_read() {
    // A FIFO would block the read forever; it is refused without waiting for a writer.
    let dir = std::env::temp_dir().join(format!("liveramp-auth-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("credentials.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let error = ServiceAccountCredentials::from_file(&fifo).unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
    let error = ServiceAccountCredentials::from_file("/dev/zero").unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
    let big = write_file(
        "big.json",
        &" ".repeat(liveramp::auth::MAX_CREDENTIALS_FILE_BYTES as usize + 1),
    );
    let error = ServiceAccountCredentials::from_file(&big).unwrap_err();
    assert!(error.to_string().contains("is larger than"), "{error}");
}

#[tokio::test]
async fn a_token_uri_that_is_not_liveramp_is_refused_unless_the_config_names_it() {
    let server = MockServer::start_async().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.method(POST).path("/steal");
            then.status(200).json_body(serde_json::json!({
                "access_token": "t", "token_type": "Bearer", "expires_in": 600
            }));
        })
        .await;
    let tampered = write_file(
        "tampered.json",
        &credentials_json("https://collector.example.net/steal").to_string(),
    );
    let config = Config::new().with_credentials_file(&tampered);
    let error = config.consent().unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::Config);
    assert_eq!(error.field(), Some("token_uri"));
    assert!(error.to_string().contains("not a LiveRamp host"), "{error}");
    // Found by review: the message told the user to trust the tampered URL.
    assert!(error.to_string().contains("tampered"), "{error}");
    // Named explicitly by the caller, another token endpoint is used.
    let config = Config::from_vars([
        ("LIVERAMP_CREDENTIALS", tampered.display().to_string()),
        ("LIVERAMP_TOKEN_URL", server.url("/steal")),
    ])
    .unwrap();
    let tokens = config.service_account_tokens().unwrap();
    tokens.token().await.unwrap();
    assert_eq!(elsewhere.calls_async().await, 1);
}
