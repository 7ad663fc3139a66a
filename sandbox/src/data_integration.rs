//! Data Integration legacy API (`/data-integration/...`): the OAuth2 pull flow, connections,
//! connection types and `/me`. Calls need `Authorization: Bearer <API token>` (else 401
//! `{"message","status"}`).
//!
//! The pull flow: `POST /oauth2 {datasource_id, validity_duration}` answers `{auth_uri,
//! pull_id}`; a GET of `auth_uri` (the user's browser) authorizes (or, with `?deny=1`,
//! refuses); `POST /oauth2/credentials {pull_id}` answers, with HTTP 200 each time:
//! `{"status":202,"message":...}` while the user has not finished, the credentials
//! `{access_token, message, userId, status: 200, clientId}` once authorized. A refused or
//! expired pull (older than `validity_duration` seconds) gets 403 `{"message","status":403}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use liveramp::data_integration::types::{
    Connection, ConnectionType, ErrorMessage, Me, OAuth2Credentials, OAuth2Request,
};
use serde::Deserialize;

use crate::activation::page;
use crate::pagination::Query;
use crate::signing::{b64, hash};
use crate::state::{AppState, Op, Shared, lock, parse_json};
use crate::tokens::bearer;

/// The browser page of a pull.
const AUTHORIZE_PAGE: &str = "/data-integration-authorize/{pull_id}";

/// The Data Integration data of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pulls: HashMap<String, Pull>,
}

#[derive(Debug)]
struct Pull {
    datasource: String,
    expires_unix: i64,
    outcome: Option<bool>,
}

impl Data {
    /// No pulls yet.
    pub(crate) fn seeded() -> Self {
        Self::default()
    }
}

pub(crate) fn ops() -> Vec<Op> {
    vec![
        Op::post(
            "di_create_oauth2_request",
            "/data-integration/oauth2",
            new_pull,
        ),
        Op::post(
            "di_get_oauth2_credentials",
            "/data-integration/oauth2/credentials",
            credentials,
        ),
        Op::get(
            "di_list_connections",
            "/data-integration/connections/list",
            list_connections,
        ),
        Op::get(
            "di_get_connection",
            "/data-integration/connections/{id}",
            get_connection,
        ),
        Op::get(
            "di_list_connection_types",
            "/data-integration/connection_types",
            list_types,
        ),
        Op::get(
            "di_get_connection_type",
            "/data-integration/connection_types/{type}",
            get_type,
        ),
        Op::get("di_get_me", "/data-integration/me", me),
        Op::get("di_authorize_page", AUTHORIZE_PAGE, authorize_page),
    ]
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorMessage {
        message: message.into(),
        status: Some(i32::from(status.as_u16())),
    };
    (status, Json(body)).into_response()
}

fn guard(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    if bearer(headers) == Some(shared.credentials.data_integration_token.as_str()) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid API token.",
        ))
    }
}

/// `(type, name, oauth)` of every connection type.
const TYPES: &[(&str, &str, bool)] = &[
    ("fb", "Facebook Ads", true),
    ("google_ads", "Google Ads", true),
    ("mysql", "MySQL", false),
    ("s3", "Amazon S3", false),
];

fn connection_type((kind, name, oauth): (&str, &str, bool)) -> ConnectionType {
    ConnectionType {
        type_: kind.into(),
        name: Some(name.into()),
        oauth: Some(oauth),
    }
}

fn connections() -> Vec<Connection> {
    [
        ("fb", "Facebook Ads main"),
        ("mysql", "Orders database"),
        ("s3", "Exports bucket"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (kind, name))| Connection {
        id: format!("64b0c0ffee000000000000{:02}", i + 1),
        cross_id: Some(format!("64b0cafe000000000000{:04}", i + 1)),
        connection_name: (*name).into(),
        connection_type: (*kind).into(),
    })
    .collect()
}

#[derive(Deserialize)]
struct NewPull {
    datasource_id: Option<String>,
    validity_duration: Option<i64>,
}

async fn new_pull(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    or_return!(guard(&shared, &headers));
    let invalid = |m: &str| error(StatusCode::TOO_MANY_REQUESTS, format!("invalid param: {m}"));
    let request: NewPull = match parse_json(&body) {
        Ok(r) => r,
        Err(m) => return invalid(&m),
    };
    let Some(validity) = request
        .validity_duration
        .filter(|v| (300..=43_200).contains(v))
    else {
        return invalid("validity_duration must be between 300 and 43200");
    };
    let Some(datasource) = request
        .datasource_id
        .filter(|d| TYPES.iter().any(|(t, _, oauth)| *oauth && t == d))
    else {
        return invalid("datasource_id must be a datasource with oauth");
    };
    let pull_id = format!(
        "{}{}",
        b64(uuid::Uuid::new_v4().as_bytes()),
        b64(uuid::Uuid::new_v4().as_bytes())
    );
    lock(&shared.data_integration).pulls.insert(
        pull_id.clone(),
        Pull {
            datasource,
            expires_unix: shared.clock.unix() + validity,
            outcome: None,
        },
    );
    let auth_uri = shared.url(&AUTHORIZE_PAGE.replace("{pull_id}", &pull_id));
    Json(OAuth2Request { auth_uri, pull_id }).into_response()
}

#[derive(Deserialize)]
struct CredentialsRequest {
    pull_id: Option<String>,
}

async fn credentials(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    or_return!(guard(&shared, &headers));
    let request: CredentialsRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(m) => return error(StatusCode::FORBIDDEN, m),
    };
    let pull_id = request.pull_id.unwrap_or_default();
    let now = shared.clock.unix();
    let state = lock(&shared.data_integration);
    let Some(pull) = state.pulls.get(&pull_id) else {
        return error(StatusCode::FORBIDDEN, "Unknown pull_id.");
    };
    if now >= pull.expires_unix {
        return error(StatusCode::FORBIDDEN, "The pull_id has expired.");
    }
    match pull.outcome {
        None => Json(OAuth2Credentials {
            access_token: None,
            client_id: None,
            message: Some("Waiting for the user to complete the authorization at auth_uri.".into()),
            status: Some(202),
            user_id: None,
        })
        .into_response(),
        Some(false) => error(StatusCode::FORBIDDEN, "The user denied access."),
        Some(true) => {
            let h = hash(&["di-credentials", &pull_id]);
            let name = TYPES
                .iter()
                .find(|(t, _, _)| *t == pull.datasource)
                .map_or("Data source", |(_, n, _)| *n);
            Json(OAuth2Credentials {
                access_token: Some(b64(&h).into()),
                message: Some(format!("{name} Connected Successfully")),
                user_id: Some(i64::from_be_bytes([
                    0, 0, h[0], h[1], h[2], h[3], h[4], h[5],
                ])),
                status: Some(200),
                client_id: Some(i64::from_be_bytes([
                    0, 0, h[6], h[7], h[8], h[9], h[10], h[11],
                ])),
            })
            .into_response()
        }
    }
}

/// The user's browser at `auth_uri`: authorizes the pull, or refuses it with `?deny=1`.
async fn authorize_page(
    State(shared): State<AppState>,
    Path(pull_id): Path<String>,
    query: Query,
) -> Response {
    let deny = matches!(query.first("deny"), Some("1" | "true"));
    let now = shared.clock.unix();
    let mut state = lock(&shared.data_integration);
    let Some(pull) = state.pulls.get_mut(&pull_id) else {
        return page(StatusCode::NOT_FOUND, "Unknown authorization request.");
    };
    if now >= pull.expires_unix {
        return page(StatusCode::GONE, "This authorization link has expired.");
    }
    if pull.outcome.is_some() {
        return page(
            StatusCode::CONFLICT,
            "This authorization link was already used.",
        );
    }
    pull.outcome = Some(!deny);
    if deny {
        page(StatusCode::OK, "Access denied. You can close this window.")
    } else {
        page(StatusCode::OK, "Connected. You can close this window.")
    }
}

async fn list_connections(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    or_return!(guard(&shared, &headers));
    Json(connections()).into_response()
}

/// `GET /connections/{_id}`, or with `?cross_id=` `GET /connections/{connection_type}`.
async fn get_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let found = connections()
        .into_iter()
        .find(|c| match query.first("cross_id") {
            Some(cross) => c.connection_type == id && c.cross_id.as_deref() == Some(cross),
            None => c.id == id,
        });
    match found {
        Some(c) => Json(c).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("Connection {id} not found.")),
    }
}

async fn list_types(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    or_return!(guard(&shared, &headers));
    let types: Vec<ConnectionType> = TYPES.iter().map(|t| connection_type(*t)).collect();
    Json(types).into_response()
}

async fn get_type(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(kind): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    match TYPES.iter().find(|(t, _, _)| *t == kind) {
        Some(t) => Json(connection_type(*t)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Connection type {kind} not found."),
        ),
    }
}

async fn me(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    or_return!(guard(&shared, &headers));
    Json(Me {
        account_id: Some("5f0c0ffee0000000000000a1".into()),
        account_name: Some("Sandbox Account".into()),
        environment_id: Some("5f0c0ffee0000000000000e1".into()),
        scopes: ["connection:list", "connection:edit", "me:list"]
            .map(String::from)
            .into(),
    })
    .into_response()
}
