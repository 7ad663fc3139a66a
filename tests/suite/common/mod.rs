//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use liveramp::auth::StaticToken;
use liveramp::retry::{RecordingClock, RetryPolicy};
use liveramp::transport::{Transport, TransportBuilder};

/// The bearer token every test client sends.
pub const TOKEN: &str = "test-access-token";
/// The org ID every Activation test client sends.
pub const ORG_ID: &str = "org-0001";

/// A transport with a static bearer token and, when given, an org ID.
pub fn transport(org_id: Option<&str>) -> Transport {
    bearer(org_id).build()
}

/// The same as [`transport`], retrying by `policy` and waiting on `clock`.
pub fn transport_on(org_id: Option<&str>, clock: RecordingClock, policy: RetryPolicy) -> Transport {
    bearer(org_id)
        .retry_policy(policy)
        .clock(Arc::new(clock))
        .build()
}

/// The test transport with `budget` for its retries, waiting on a recording clock.
pub fn transport_with_budget(budget: Arc<liveramp::retry::RetryBudget>) -> Transport {
    bearer(None)
        .retry_policy(liveramp::retry::RetryPolicy::default())
        .retry_budget(budget)
        .clock(Arc::new(RecordingClock::default()))
        .build()
}

/// A consent client on `base_url` with the test transport.
pub fn consent_client(base_url: &str) -> liveramp::consent::Client {
    liveramp::consent::Client::new_with_client(
        base_url,
        liveramp::http::client().unwrap(),
        transport(None),
    )
}

/// A listed consent file `id` whose signed URL is `file_url`, as the Consent API lists it.
pub fn consent_file(id: &str, file_url: String) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "identifierType": "MUID",
        "requestType": "OPT_OUT",
        "dataController": {"liverampControlled": true},
        "fileURL": file_url,
        "createdAt": "2026-11-01T00:00:00Z",
    })
}

/// A token source that hands out a new token on every ask (`TOKEN-SENT-1`, then
/// `TOKEN-SENT-2`...): the token a call sent is never the one asked for after it, as when a
/// cache refreshes between a call and its answer.
#[derive(Debug, Default)]
pub struct NewTokenEachAsk(std::sync::atomic::AtomicUsize);

impl NewTokenEachAsk {
    /// The token of the first ask.
    pub const FIRST: &'static str = "TOKEN-SENT-1";

    fn next(&self) -> liveramp::auth::AccessToken {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        liveramp::auth::AccessToken::new(format!("TOKEN-SENT-{n}"))
    }
}

impl liveramp::auth::TokenSource for NewTokenEachAsk {
    fn token(
        &self,
    ) -> futures::future::BoxFuture<
        '_,
        Result<liveramp::auth::AccessToken, liveramp::auth::AuthError>,
    > {
        Box::pin(std::future::ready(Ok(self.next())))
    }

    fn ready_token(&self) -> Option<liveramp::auth::AccessToken> {
        Some(self.next())
    }
}

/// A transport whose token source is a [`NewTokenEachAsk`], with the org ID `org_id`.
pub fn transport_with_new_token_each_ask(org_id: Option<&str>) -> Transport {
    let builder = Transport::builder().token_source(Arc::new(NewTokenEachAsk::default()));
    match org_id {
        Some(org) => builder.org_id(org).expect("valid org id").build(),
        None => builder.build(),
    }
}

fn bearer(org_id: Option<&str>) -> TransportBuilder {
    let builder = Transport::builder().token_source(Arc::new(StaticToken::new(TOKEN)));
    match org_id {
        Some(org) => builder.org_id(org).expect("valid org id"),
        None => builder,
    }
}

/// The example answer the spec documents for `operation_id` with `status`.
pub fn example(spec: &str, operation_id: &str, status: u16) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(spec);
    let doc = liveramp_codegen::load(&path).expect("spec loads");
    liveramp_codegen::response_example(&doc, operation_id, status)
        .unwrap_or_else(|| panic!("{spec}: {operation_id} has no {status} example"))
}

/// The example request body the spec documents for `operation_id`.
pub fn request_example(spec: &str, operation_id: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(spec);
    let doc = liveramp_codegen::load(&path).expect("spec loads");
    let (_, _, op) = liveramp_codegen::operation(&doc, operation_id)
        .unwrap_or_else(|| panic!("{spec}: no operation {operation_id}"));
    let body = op
        .request_body
        .as_ref()
        .and_then(|body| body.as_item())
        .and_then(|body| body.content.get("application/json"))
        .and_then(|media| media.example.clone());
    body.unwrap_or_else(|| panic!("{spec}: {operation_id} has no request example"))
}

/// `value` with every `null` member removed: the typed clients omit absent optional fields.
pub fn without_nulls(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), without_nulls(v)))
            .collect(),
        serde_json::Value::Array(items) => items.iter().map(without_nulls).collect(),
        other => other.clone(),
    }
}
pub mod fake_fetch;
pub mod peers;
pub mod raw_tcp;
#[path = "redis.rs"]
pub mod redis_server;
pub mod script;
pub mod server;
