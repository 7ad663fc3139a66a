//! Whatever bytes an answer holds, decoding it never panics: it succeeds or returns an error.

use crate::common;

use std::sync::Arc;

use common::raw_tcp::{self, Act, RawServer};
use liveramp::retry::{RecordingClock, RetryPolicy};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_body_with_any_status_becomes_an_error_without_panicking(
        status in 100u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        html in any::<bool>(),
    ) {
        let mut headers = HeaderMap::new();
        if html {
            headers.insert("content-type", "text/html".parse().unwrap());
            headers.insert("server", "cloudflare".parse().unwrap());
        }
        let status = StatusCode::from_u16(status).unwrap();
        let error = liveramp::Error::from_answer(status, &headers, &body);
        let _ = (error.to_string(), error.status(), error.is_retryable());
    }

    #[test]
    fn any_text_is_redacted_and_cut_without_panicking(text in ".{0,400}") {
        let body = serde_json::json!({"message": text, "access_token": "s3cr3t-value"});
        let error = liveramp::Error::from_answer(
            StatusCode::BAD_REQUEST, &HeaderMap::new(), body.to_string().as_bytes());
        prop_assert!(!error.to_string().contains("s3cr3t-value"));
    }
}

#[test]
fn any_bytes_as_the_answer_of_every_operation_never_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = RawServer::start(vec![Act::Raw(Vec::new())]).await;
        let transport = liveramp::transport::Transport::builder()
            .clock(Arc::new(RecordingClock::default()))
            .retry_policy(RetryPolicy::no_retry())
            .build();
        let client = liveramp::consent::Client::new_with_client(
            &server.base_url,
            liveramp::http::client().unwrap(),
            transport,
        );
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(128));
        let strategy = (
            prop_oneof![
                Just(200u16),
                Just(400),
                Just(401),
                Just(422),
                Just(500),
                100u16..600
            ],
            proptest::collection::vec(any::<u8>(), 0..256),
            any::<bool>(),
        );
        for _ in 0..128 {
            let (status, body, whole): (u16, Vec<u8>, bool) =
                strategy.new_tree(&mut runner).unwrap().current();
            // Either a well-formed HTTP answer around the bytes, or the bytes alone on the wire.
            let bytes = if whole {
                raw_tcp::answer(status, "application/json", &body)
            } else {
                body
            };
            server.set(vec![Act::Raw(bytes)]);
            let result = client.list_consent_files().send().await;
            if let Err(error) = result {
                let error: liveramp::Error = error;
                let _ = (error.to_string(), error.status(), error.is_retryable());
            }
        }
    });
}
