//! One tracing span per call with its API, operation, attempt, status and latency, and no token
//! anywhere in the output.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use liveramp::retry::RecordingClock;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A subscriber writing span closes and events up to `level` into `captured`.
fn subscriber(captured: &Captured, level: tracing::Level) -> impl tracing::Subscriber {
    tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(level)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish()
}

/// A consent client of the server at `base_url` making two attempts per call on `clock`.
fn two_attempt_client(base_url: &str, clock: &RecordingClock) -> liveramp::consent::Client {
    let transport = liveramp::transport::Transport::builder()
        .token_source(Arc::new(liveramp::auth::StaticToken::new(common::TOKEN)))
        .clock(Arc::new(clock.clone()))
        .retry_policy(liveramp::retry::RetryPolicy::default().with_max_attempts(2))
        .build();
    liveramp::consent::Client::new_with_client(
        base_url,
        liveramp::http::client().unwrap(),
        transport,
    )
}

#[tokio::test]
async fn each_call_has_one_span_with_its_fields_and_no_secret() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(subscriber(&captured, tracing::Level::DEBUG));

    let body = common::example("specs/consent.yaml", "list_consent_files", 200);
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503);
        })
        .await;
    let clock = RecordingClock::default();
    let client = two_attempt_client(&server.base_url(), &clock);
    client.list_consent_files().send().await.unwrap_err();
    failing.delete_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200).json_body(body);
        })
        .await;
    client.list_consent_files().send().await.unwrap();

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let closes: Vec<&str> = output.lines().filter(|l| l.contains("close")).collect();
    assert_eq!(closes.len(), 2, "one span per call:\n{output}");
    for line in &closes {
        assert!(line.contains("liveramp.call"), "{line}");
        assert!(line.contains("liveramp.api=\"consent\""), "{line}");
        assert!(
            line.contains("liveramp.operation=\"list_consent_files\""),
            "{line}"
        );
        assert!(line.contains("http.request.method=GET"), "{line}");
        assert!(line.contains("server.address=\"127.0.0.1\""), "{line}");
        assert!(line.contains("latency_ms="), "{line}");
    }
    assert!(
        closes[0].contains("http.request.resend_count=1")
            && closes[0].contains("http.response.status_code=503")
            && closes[0].contains("error.type=\"503\""),
        "{}",
        closes[0]
    );
    assert!(
        !closes[1].contains("resend_count") && closes[1].contains("http.response.status_code=200"),
        "{}",
        closes[1]
    );
    // One event per attempt, not fields written over on the call's span.
    let attempts = output
        .lines()
        .filter(|l| l.contains("attempt answered"))
        .count();
    assert_eq!(attempts, 3, "{output}");
    assert!(
        output.contains("call failed") && output.contains("call finished"),
        "{output}"
    );
    assert!(output.contains("retrying"), "retries are logged:\n{output}");
    assert!(
        !output.contains(common::TOKEN),
        "no token in the output:\n{output}"
    );
    assert!(
        !output.to_lowercase().contains("bearer"),
        "no credential:\n{output}"
    );
}

#[tokio::test]
async fn a_filtered_out_call_span_records_nothing_on_the_callers_span() {
    let captured = Captured::default();
    // The call's span (INFO) is filtered out; the caller's (WARN) is not, and has a field of
    // the same name as one the call records.
    let _guard = tracing::subscriber::set_default(subscriber(&captured, tracing::Level::WARN));

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(503);
        })
        .await;
    let clock = RecordingClock::default();
    let client = two_attempt_client(&server.base_url(), &clock);
    let outer = tracing::warn_span!(
        "caller",
        "http.request.resend_count" = tracing::field::Empty
    );
    tracing::Instrument::instrument(client.list_consent_files().send(), outer)
        .await
        .unwrap_err();
    assert_eq!(clock.sleeps().len(), 1, "the call was retried once");

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let closes: Vec<&str> = output.lines().filter(|l| l.contains("close")).collect();
    assert_eq!(closes.len(), 1, "only the caller's span:\n{output}");
    assert!(closes[0].contains("caller"), "{output}");
    assert!(!output.contains("resend_count"), "{output}");
}
