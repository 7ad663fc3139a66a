//! Fault injection: make matching requests fail, wait, lose their connection mid-body or get
//! short-lived tokens. Rules are added from Rust ([`Faults`], reached through
//! [`crate::Sandbox::faults`]) or over HTTP (`POST /_admin/faults`, see [`crate::admin`]).
//!
//! Each rule has a [`RouteMatch`] (HTTP method, path prefix, operation name: every given part
//! must match), an optional count of requests it applies to (`times`; absent = every
//! request) and a [`FaultAction`]. For each kind of action, the first matching rule is used
//! and its count goes down by one; a rule whose count reaches zero is removed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::state::{AppState, lock};

/// Which requests a rule applies to; an absent part matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteMatch {
    /// The HTTP method, e.g. `GET` (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A prefix of the request path, e.g. `/privacy/v2/consent-files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// An operation name, e.g. `list_consent_files` (see [`crate::Sandbox::operations`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

impl RouteMatch {
    /// Every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Requests whose path starts with `prefix`.
    pub fn path(prefix: impl Into<String>) -> Self {
        Self {
            path_prefix: Some(prefix.into()),
            ..Self::default()
        }
    }

    /// Requests of the operation `name`.
    pub fn operation(name: impl Into<String>) -> Self {
        Self {
            operation: Some(name.into()),
            ..Self::default()
        }
    }

    /// Only requests with this HTTP method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    fn matches(&self, method: &Method, path: &str, operation: Option<&str>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
            && self
                .operation
                .as_deref()
                .is_none_or(|o| operation == Some(o))
    }
}

/// What a rule does to a matching request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum FaultAction {
    /// Answer `status` with `body` (default `{"message": ...}`) and, if given, a
    /// `Retry-After` header in seconds, without running the operation.
    Fail {
        /// The HTTP status.
        status: u16,
        /// The JSON body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        /// The `Retry-After` header, in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Wait this long before answering.
    Delay {
        /// The wait in milliseconds.
        millis: u64,
    },
    /// Send the headers and the first `after_bytes` bytes of the body (default: half of it),
    /// then close the connection.
    DropMidBody {
        /// How many body bytes to send before closing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_bytes: Option<u64>,
    },
    /// Token endpoints issue tokens living this many seconds.
    TokenLifetime {
        /// The token lifetime in seconds.
        seconds: u64,
    },
}

impl FaultAction {
    fn kind(&self) -> u8 {
        match self {
            Self::Fail { .. } => 0,
            Self::Delay { .. } => 1,
            Self::DropMidBody { .. } => 2,
            Self::TokenLifetime { .. } => 3,
        }
    }
}

/// One fault rule: which requests, how many of them, what happens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Which requests.
    #[serde(rename = "match", default)]
    pub route: RouteMatch,
    /// How many matching requests it still applies to; `None` = every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// What happens to them.
    pub action: FaultAction,
}

impl FaultRule {
    /// A rule doing `action` to every request matching `route`.
    pub fn new(route: RouteMatch, action: FaultAction) -> Self {
        Self {
            route,
            times: None,
            action,
        }
    }

    /// Applies to the next `n` matching requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
}

/// The fault rules of one sandbox.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

/// The longest a delay fault holds a request.
pub const MAX_DELAY: Duration = Duration::from_secs(10 * 60);

/// The most rules held at once: adding more drops the oldest.
pub const MAX_RULES: usize = 10_000;

impl Faults {
    /// Adds `rule` after the existing ones (the oldest is dropped past [`MAX_RULES`]).
    pub fn add(&self, rule: FaultRule) {
        let mut rules = lock(&self.rules);
        if rules.len() >= MAX_RULES {
            rules.remove(0);
        }
        rules.push(rule);
    }

    /// The next `n` requests matching `route` get `status` with a JSON error body.
    pub fn fail_next(&self, route: RouteMatch, n: u32, status: u16) {
        self.add(FaultRule::new(route, fail(status, None, None)).times(n));
    }

    /// The next `n` requests matching `route` get `status` with `Retry-After: seconds`.
    pub fn fail_next_retry_after(&self, route: RouteMatch, n: u32, status: u16, seconds: u64) {
        self.add(FaultRule::new(route, fail(status, None, Some(seconds))).times(n));
    }

    /// Every request matching `route` waits `by` before it is answered.
    pub fn delay(&self, route: RouteMatch, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.add(FaultRule::new(route, FaultAction::Delay { millis }));
    }

    /// The next `n` answers to requests matching `route` lose their connection halfway
    /// through the body.
    pub fn drop_mid_body(&self, route: RouteMatch, n: u32) {
        let action = FaultAction::DropMidBody { after_bytes: None };
        self.add(FaultRule::new(route, action).times(n));
    }

    /// Tokens issued by token endpoints matching `route` live `lifetime`.
    pub fn token_lifetime(&self, route: RouteMatch, lifetime: Duration) {
        let seconds = lifetime.as_secs();
        self.add(FaultRule::new(
            route,
            FaultAction::TokenLifetime { seconds },
        ));
    }

    /// The rules still in force.
    pub fn rules(&self) -> Vec<FaultRule> {
        lock(&self.rules).clone()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// The actions for one request, counting it against the rules that fire.
    fn take(&self, method: &Method, path: &str, operation: Option<&str>) -> Vec<FaultAction> {
        let mut rules = lock(&self.rules);
        let mut fired: Vec<FaultAction> = Vec::new();
        for rule in rules.iter_mut() {
            if rule.times == Some(0) || !rule.route.matches(method, path, operation) {
                continue;
            }
            if fired.iter().any(|a| a.kind() == rule.action.kind()) {
                continue;
            }
            if let Some(n) = rule.times.as_mut() {
                *n -= 1;
            }
            fired.push(rule.action.clone());
        }
        rules.retain(|r| r.times != Some(0));
        fired
    }
}

fn fail(status: u16, body: Option<Value>, retry_after: Option<u64>) -> FaultAction {
    FaultAction::Fail {
        status,
        body,
        retry_after,
    }
}

/// The token lifetime a [`FaultAction::TokenLifetime`] rule set for this request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokenLifetime(pub(crate) u64);

/// The operation names by method and route template, for matching by operation.
#[derive(Clone, Debug)]
pub(crate) struct OperationTable(pub(crate) Arc<Vec<(&'static str, Method, &'static str)>>);

impl OperationTable {
    fn name(&self, method: &Method, template: &str) -> Option<&'static str> {
        self.0
            .iter()
            .find(|(_, m, p)| m == method && *p == template)
            .map(|(n, _, _)| *n)
    }
}

/// The middleware that applies the fault rules to every routed request.
pub(crate) async fn middleware(
    State((shared, table)): State<(AppState, OperationTable)>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let operation = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| table.name(request.method(), m.as_str()));
    let actions = shared.faults.take(request.method(), &path, operation);
    let mut drop_after = None;
    for action in &actions {
        match action {
            FaultAction::Delay { millis } => {
                // Ended early when the sandbox stops, which waits for requests in flight.
                let mut stopping = shared.stopping.subscribe();
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(*millis).min(MAX_DELAY)) => {}
                    _ = stopping.wait_for(|stopping| *stopping) => {}
                }
            }
            FaultAction::TokenLifetime { seconds } => {
                request.extensions_mut().insert(TokenLifetime(*seconds));
            }
            FaultAction::DropMidBody { after_bytes } => drop_after = Some(*after_bytes),
            FaultAction::Fail { .. } => {}
        }
    }
    if let Some(FaultAction::Fail {
        status,
        body,
        retry_after,
    }) = actions
        .iter()
        .find(|a| matches!(a, FaultAction::Fail { .. }))
    {
        return failure(*status, body.clone(), *retry_after);
    }
    let response = next.run(request).await;
    match drop_after {
        Some(after) => truncate(response, after),
        None => response,
    }
}

fn failure(status: u16, body: Option<Value>, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = body.unwrap_or_else(|| json!({ "message": "fault injected by the sandbox" }));
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Keeps the status, the headers and a `Content-Length` announcing the whole body, sends
/// `after` bytes of it, then fails the body so the server closes the connection.
fn truncate(response: Response, after: Option<u64>) -> Response {
    let (mut parts, body) = response.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(&body).exact());
    if let Some(len) = announced {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let left = after.unwrap_or_else(|| announced.map_or(512, |l| l / 2));
    let data = body.into_data_stream();
    let stream =
        futures_util::stream::unfold((data, left, false), |(mut data, left, failed)| async move {
            if failed {
                return None;
            }
            if left == 0 {
                // Pending once so the server flushes the headers and the bytes sent so far
                // before the failure closes the connection.
                tokio::time::sleep(FLUSH_PAUSE).await;
                return Some((Err(cut()), (data, 0, true)));
            }
            match data.next().await {
                Some(Ok(chunk)) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
                    let piece: Bytes = chunk.slice(..take);
                    Some((Ok(piece), (data, left - take as u64, false)))
                }
                _ => {
                    tokio::time::sleep(FLUSH_PAUSE).await;
                    Some((Err(cut()), (data, 0, true)))
                }
            }
        });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// How long a cut body waits before failing, for what was sent to reach the socket.
const FLUSH_PAUSE: Duration = Duration::from_millis(20);

fn cut() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "connection dropped by a sandbox fault",
    )
}
