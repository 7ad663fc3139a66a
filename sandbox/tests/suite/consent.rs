//! Consent Files through the typed `liveramp::consent::Client`: listing, streamed downloads,
//! signed URL expiry and tampering.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use liveramp::auth::StaticToken;
use liveramp::consent::{Client, types};
use liveramp::error::ErrorShape;
use liveramp::transport::Transport;
use liveramp_sandbox::{RouteMatch, Sandbox};

async fn typed_client(sandbox: &Sandbox, http: &reqwest::Client) -> Client {
    let token = common::service_token(sandbox, http).await;
    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(token)))
        .build();
    Client::new_with_client(
        &sandbox.consent_url(),
        liveramp::http::client().unwrap(),
        transport,
    )
}

async fn all_files(client: &Client) -> Vec<types::ConsentFile> {
    let mut files = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut request = client.list_consent_files().limit(5);
        if let Some(a) = &after {
            request = request.after(a.clone());
        }
        let page = request.send().await.expect("lists").into_inner();
        files.extend(page.v2_consent_files);
        match page.pagination.and_then(|p| p.after) {
            Some(a) => after = Some(a),
            None => return files,
        }
    }
}

#[tokio::test]
async fn the_typed_client_lists_every_file_newest_first() {
    let sandbox = Sandbox::builder()
        .consent_files(12, 10)
        .start()
        .await
        .unwrap();
    let http = common::client();
    let client = typed_client(&sandbox, &http).await;
    let files = all_files(&client).await;
    assert_eq!(files.len(), 12);
    assert!(files.windows(2).all(|w| w[0].created_at > w[1].created_at));
    let first = client
        .list_consent_files()
        .limit(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.pagination.unwrap().total, Some(12));
    let cutoff = files[3].created_at;
    let newer = client
        .list_consent_files()
        .limit(100)
        .created_after(cutoff)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(newer.v2_consent_files.len(), 4);
}

#[tokio::test]
async fn an_expired_token_is_a_401_errors_body() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = common::client();
    let client = typed_client(&sandbox, &http).await;
    sandbox.clock().advance(Duration::from_secs(600));
    match client.list_consent_files().send().await {
        Err(liveramp::Error::Api(answer)) => {
            assert_eq!(answer.status.as_u16(), 401);
            assert_eq!(answer.shape, ErrorShape::ConsentErrors);
        }
        other => panic!("expected a 401 Errors body, got {other:?}"),
    }
}

#[tokio::test]
async fn file_bodies_download_deterministically_with_their_length() {
    let sandbox = Sandbox::builder()
        .consent_files(2, 3000)
        .start()
        .await
        .unwrap();
    let http = common::client();
    let files = all_files(&typed_client(&sandbox, &http).await).await;
    let body = http.get(files[0].file_url.expose()).send().await.unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(body.content_length(), Some(11 + 3000 * 65));
    let text = body.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "identifier");
    assert_eq!(lines.len(), 3001);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
    );

    let again = http
        .get(files[0].file_url.expose())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(again, text, "same file, same body");
    let other = http
        .get(files[1].file_url.expose())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(other, text);
}

#[tokio::test]
async fn a_large_file_streams() {
    let lines = 100_000u64;
    let sandbox = Sandbox::builder()
        .consent_files(0, 0)
        .with_consent_file(lines)
        .start()
        .await
        .unwrap();
    let http = common::client();
    let files = all_files(&typed_client(&sandbox, &http).await).await;
    let response = http.get(files[0].file_url.expose()).send().await.unwrap();
    let mut stream = response.bytes_stream();
    let (mut total, mut chunks) = (0u64, 0u32);
    while let Some(chunk) = stream.next().await {
        total += chunk.unwrap().len() as u64;
        chunks += 1;
    }
    assert_eq!(total, 11 + lines * 65);
    assert!(chunks > 1, "the body arrives in many chunks");
}

#[tokio::test]
async fn expired_or_tampered_signed_urls_get_403() {
    let sandbox = Sandbox::builder()
        .consent_files(1, 5)
        .start()
        .await
        .unwrap();
    let http = common::client();
    let files = all_files(&typed_client(&sandbox, &http).await).await;
    let url = files[0].file_url.expose().to_owned();
    let expires: i64 = url
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let later = url.replace(
        &format!("expires={expires}"),
        &format!("expires={}", expires + 10),
    );
    assert_eq!(
        http.get(&later).send().await.unwrap().status(),
        403,
        "expiry changed"
    );
    let other_file = url.replacen("/storage/consent/", "/storage/consent/0", 1);
    assert_eq!(
        http.get(&other_file).send().await.unwrap().status(),
        403,
        "path changed"
    );
    let no_signature = url.split("&signature=").next().unwrap().to_owned();
    assert_eq!(http.get(&no_signature).send().await.unwrap().status(), 403);

    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    sandbox.clock().advance(Duration::from_secs(3600));
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        403,
        "expired"
    );
}

#[tokio::test]
async fn a_download_cut_mid_body_fails_then_the_next_one_succeeds() {
    let sandbox = Sandbox::builder()
        .consent_files(1, 1000)
        .start()
        .await
        .unwrap();
    let http = common::client();
    let files = all_files(&typed_client(&sandbox, &http).await).await;
    sandbox
        .faults()
        .drop_mid_body(RouteMatch::operation("download_consent_file"), 1);
    let cut = http.get(files[0].file_url.expose()).send().await.unwrap();
    assert_eq!(cut.status(), 200);
    assert_eq!(cut.content_length(), Some(11 + 1000 * 65));
    assert!(cut.bytes().await.is_err(), "the body is cut short");
    let whole = http
        .get(files[0].file_url.expose())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(whole.len() as u64, 11 + 1000 * 65);
}
