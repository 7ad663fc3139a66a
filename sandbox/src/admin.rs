//! The admin endpoints, outside every API and never subject to faults or auth:
//!
//! - `POST /_admin/faults`: add one [`crate::FaultRule`] or an array of them, e.g.
//!   `{"match":{"method":"GET","pathPrefix":"/privacy/v2/consent-files"},"times":2,
//!   "action":{"kind":"fail","status":503,"retryAfter":1}}`; other kinds:
//!   `{"kind":"delay","millis":500}`, `{"kind":"dropMidBody","afterBytes":100}`,
//!   `{"kind":"tokenLifetime","seconds":5}`; `match` may also name an `operation`.
//! - `GET /_admin/faults`: the rules in force; `DELETE /_admin/faults`: remove them all.
//! - `POST /_admin/clock` `{"advanceSeconds": n}`: move the sandbox clock forward.
//! - `GET /_admin/operations`: every operation's `name`, `method` and `path`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use crate::faults::{FaultRule, OperationTable};
use crate::state::{AppState, parse_json};

/// The admin routes.
pub(crate) fn routes(table: OperationTable) -> Router<AppState> {
    Router::new()
        .route(
            "/_admin/faults",
            post(add_faults).get(list_faults).delete(clear_faults),
        )
        .route("/_admin/clock", post(advance_clock))
        .route(
            "/_admin/operations",
            get(move || async move {
                let ops: Vec<_> = table
                    .0
                    .iter()
                    .map(|(name, method, path)| {
                        json!({ "name": name, "method": method.as_str(), "path": path })
                    })
                    .collect();
                Json(ops)
            }),
        )
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<FaultRule>),
    One(FaultRule),
}

async fn add_faults(State(shared): State<AppState>, body: Bytes) -> Response {
    let rules = match parse_json::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(rules)) => rules,
        Ok(OneOrMany::One(rule)) => vec![rule],
        Err(m) => return bad_request(m),
    };
    let added = rules.len();
    for rule in rules {
        shared.faults.add(rule);
    }
    (StatusCode::CREATED, Json(json!({ "added": added }))).into_response()
}

async fn list_faults(State(shared): State<AppState>) -> Response {
    Json(shared.faults.rules()).into_response()
}

async fn clear_faults(State(shared): State<AppState>) -> Response {
    shared.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    advance_seconds: u64,
}

async fn advance_clock(State(shared): State<AppState>, body: Bytes) -> Response {
    match parse_json::<Advance>(&body) {
        Ok(a) => {
            shared.clock.advance(Duration::from_secs(a.advance_seconds));
            Json(json!({ "now": shared.clock.now().to_rfc3339() })).into_response()
        }
        Err(m) => bad_request(m),
    }
}
