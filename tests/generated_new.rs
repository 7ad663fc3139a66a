//! The generated clients' own constructor, `Client::new(base_url, transport)`, in a process where
//! nothing installed a TLS provider first (this file holds one test, so it is its own process).

use httpmock::prelude::*;

#[tokio::test]
async fn generated_new_builds_its_http_client_and_calls_the_api() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/consent-files");
            then.status(200)
                .json_body(serde_json::json!({"v2/ConsentFiles": [], "_pagination": {}}));
        })
        .await;
    let client = liveramp::consent::Client::new(
        &server.base_url(),
        liveramp::transport::Transport::default(),
    );
    let page = client.list_consent_files().send().await.unwrap();
    assert!(page.into_inner().v2_consent_files.is_empty());
    mock.assert_async().await;
}
