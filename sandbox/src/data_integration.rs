//! Data Integration legacy API (`/data-integration/...`): the OAuth2 pull flow, connections
//! (listed, filtered by type, created, renamed, deleted), connection types, rivers, runs and
//! `/me`. Calls need `Authorization: Bearer <API token>` (else 401 `{"message","status"}`).
//!
//! Runs: `POST /run {river_id}` answers the run with status `W`; each `GET /check_run?run_id=`
//! moves it on, `R` then `D` (or `E` with an `error_description` for the river
//! [`FAILING_RIVER`]). An unknown river or run gets 404.
//!
//! The pull flow: `POST /oauth2 {datasource_id, validity_duration}` answers `{auth_uri,
//! pull_id}`; a GET of `auth_uri` (the user's browser) authorizes (or, with `?deny=1`,
//! refuses); `POST /oauth2/credentials {pull_id}` answers, with HTTP 200 each time:
//! `{"status":202,"message":...}` while the user has not finished, the credentials
//! `{access_token, message, userId, status: 200, clientId}` once authorized. A refused or
//! expired pull (older than `validity_duration` seconds) gets 403 `{"message","status":403}`.

use crate::built::Built;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use liveramp::data_integration::types::{
    Acknowledgement, Connection, ConnectionType, ErrorMessage, Me, OAuth2Credentials,
    OAuth2Request, River, RiverDefinitions, Run, RunStatus,
};
use serde::Deserialize;

use crate::activation::page;
use crate::pagination::Query;
use crate::signing::{b64, hash};
use crate::state::{AppState, Op, Shared, lock, parse_json};
use crate::tokens::bearer;

/// The browser page of a pull.
const AUTHORIZE_PAGE: &str = "/data-integration-authorize/{pull_id}";

/// The river whose runs fail.
pub const FAILING_RIVER: &str = "64b0feed00000000000000e2";

/// The Data Integration data of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pulls: HashMap<String, Pull>,
    connections: Vec<Connection>,
    runs: HashMap<String, Run>,
    created: u32,
}

#[derive(Debug)]
struct Pull {
    datasource: String,
    expires_unix: i64,
    outcome: Option<bool>,
}

impl Data {
    /// The seeded connections; no pulls or runs yet.
    pub(crate) fn seeded() -> Self {
        Self {
            connections: connections(),
            ..Self::default()
        }
    }

    /// A new object ID, 24 hex digits like the API's.
    fn next_id(&mut self, kind: u8) -> String {
        self.created += 1;
        format!("64b0{kind:02x}00000000000000{:06x}", self.created)
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
            "di_list_connections_of_type",
            "/data-integration/connections/{connection_type}",
            connections_of_type,
        ),
        Op::put(
            "di_create_connection",
            "/data-integration/connections/create/data",
            create_connection,
        ),
        Op::patch(
            "di_update_connection",
            "/data-integration/connections",
            update_connection,
        ),
        Op::delete(
            "di_delete_connection",
            "/data-integration/connections",
            delete_connection,
        ),
        Op::get("di_list_rivers", "/data-integration/rivers", list_rivers),
        Op::get(
            "di_get_river",
            "/data-integration/rivers/{river_id}",
            get_river,
        ),
        Op::post("di_run_river", "/data-integration/run", run_river),
        Op::get("di_check_run", "/data-integration/check_run", check_run),
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
    let body = ErrorMessage::built(
        ErrorMessage::builder()
            .message(message.into())
            .status(Some(i32::from(status.as_u16()))),
    );
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
    ConnectionType::built(
        ConnectionType::builder()
            .connection_type(kind)
            .connection_type_name(Some(name.into()))
            .oauth(Some(oauth)),
    )
}

/// `(_id, cross_id, name, group, type)` of every river.
const RIVERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "64b0feed00000000000000e1",
        "64b0feed0000000000000c01",
        "Daily ads spend",
        "Marketing",
        "Source to Target",
    ),
    (
        FAILING_RIVER,
        "64b0feed0000000000000c02",
        "Orders to warehouse",
        "Sales",
        "Source to Target",
    ),
    (
        "64b0feed00000000000000e3",
        "64b0feed0000000000000c03",
        "Weekly rollup",
        "Sales",
        "Logic",
    ),
];

fn river((id, cross, name, group, kind): (&str, &str, &str, &str, &str)) -> River {
    River::built(
        River::builder()
            .id(Some(id.into()))
            .cross_id(Some(cross.into()))
            .river_id(Some(id.into()))
            .river_definitions(Some(RiverDefinitions::built(
                RiverDefinitions::builder()
                    .river_name(Some(name.into()))
                    .river_type_title(Some(kind.into()))
                    .group_id(Some(group.into()))
                    .is_scheduled(Some(false))
                    .river_insert_date(None)
                    .river_modified_date(None),
            ))),
    )
}

fn connections() -> Vec<Connection> {
    [
        ("fb", "Facebook Ads main"),
        ("mysql", "Orders database"),
        ("s3", "Exports bucket"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (kind, name))| {
        Connection::built(
            Connection::builder()
                .id(format!("64b0c0ffee000000000000{:02}", i + 1))
                .cross_id(Some(format!("64b0cafe000000000000{:04}", i + 1)))
                .connection_name(*name)
                .connection_type(*kind),
        )
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
    Json(OAuth2Request::built(
        OAuth2Request::builder()
            .auth_uri(Some(auth_uri.into()))
            .pull_id(pull_id),
    ))
    .into_response()
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
        None => Json(OAuth2Credentials::built(
            OAuth2Credentials::builder()
                .access_token(None)
                .client_id(None)
                .message(Some(
                    String::from("Waiting for the user to complete the authorization at auth_uri.")
                        .into(),
                ))
                .status(Some(202))
                .user_id(None),
        ))
        .into_response(),
        Some(false) => error(StatusCode::FORBIDDEN, "The user denied access."),
        Some(true) => {
            let h = hash(&["di-credentials", &pull_id]);
            let name = TYPES
                .iter()
                .find(|(t, _, _)| *t == pull.datasource)
                .map_or("Data source", |(_, n, _)| *n);
            Json(OAuth2Credentials::built(
                OAuth2Credentials::builder()
                    .access_token(Some(b64(&h).into()))
                    .message(Some(format!("{name} Connected Successfully").into()))
                    .user_id(Some(i64::from_be_bytes([
                        0, 0, h[0], h[1], h[2], h[3], h[4], h[5],
                    ])))
                    .status(Some(200))
                    .client_id(Some(i64::from_be_bytes([
                        0, 0, h[6], h[7], h[8], h[9], h[10], h[11],
                    ]))),
            ))
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
    Json(lock(&shared.data_integration).connections.clone()).into_response()
}

/// `GET /connections/{connection_type}`, with `?cross_id=` only that connection.
async fn connections_of_type(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    if !TYPES.iter().any(|(t, _, _)| *t == kind) {
        return error(
            StatusCode::NOT_FOUND,
            format!("Connection type {kind} not found."),
        );
    }
    let cross_id = query.first("cross_id");
    let found: Vec<Connection> = lock(&shared.data_integration)
        .connections
        .iter()
        .filter(|c| c.connection_type == kind)
        .filter(|c| cross_id.is_none_or(|x| c.cross_id.as_deref() == Some(x)))
        .cloned()
        .collect();
    Json(found).into_response()
}

#[derive(Deserialize)]
struct ConnectionFields {
    #[serde(rename = "_id")]
    id: Option<String>,
    connection_name: Option<String>,
    connection_type: Option<String>,
}

async fn create_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let fields: ConnectionFields = match parse_json(&body) {
        Ok(f) => f,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let (Some(name), Some(kind)) = (
        fields.connection_name.filter(|n| !n.trim().is_empty()),
        fields.connection_type,
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "connection_name and connection_type are required.",
        );
    };
    if !TYPES.iter().any(|(t, _, _)| *t == kind) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("Unknown connection type {kind}."),
        );
    }
    let mut data = lock(&shared.data_integration);
    let connection = Connection::built(
        Connection::builder()
            .id(data.next_id(0xc0))
            .cross_id(Some(data.next_id(0xca)))
            .connection_name(name)
            .connection_type(kind),
    );
    data.connections.push(connection.clone());
    Json(connection).into_response()
}

async fn update_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let fields: ConnectionFields = match parse_json(&body) {
        Ok(f) => f,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let id = fields.id.unwrap_or_default();
    let mut data = lock(&shared.data_integration);
    let Some(connection) = data.connections.iter_mut().find(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, format!("Connection {id} not found."));
    };
    if let Some(name) = fields.connection_name.filter(|n| !n.trim().is_empty()) {
        connection.connection_name = name;
    }
    Json(connection.clone()).into_response()
}

async fn delete_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let fields: ConnectionFields = match parse_json(&body) {
        Ok(f) => f,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let id = fields.id.unwrap_or_default();
    let mut data = lock(&shared.data_integration);
    let before = data.connections.len();
    data.connections.retain(|c| c.id != id);
    if data.connections.len() == before {
        return error(StatusCode::NOT_FOUND, format!("Connection {id} not found."));
    }
    Json(Acknowledgement::built(
        Acknowledgement::builder().message(Some("Connection deleted.".into())),
    ))
    .into_response()
}

async fn list_rivers(State(shared): State<AppState>, headers: HeaderMap, query: Query) -> Response {
    or_return!(guard(&shared, &headers));
    let group = query.first("group");
    let rivers: Vec<River> = RIVERS
        .iter()
        .filter(|r| group.is_none_or(|g| g == r.3))
        .map(|r| river(*r))
        .collect();
    Json(rivers).into_response()
}

async fn get_river(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    match RIVERS.iter().find(|r| r.0 == id) {
        Some(r) => Json(river(*r)).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("River {id} not found.")),
    }
}

#[derive(Deserialize)]
struct RunFields {
    river_id: Option<String>,
}

async fn run_river(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    or_return!(guard(&shared, &headers));
    let fields: RunFields = match parse_json(&body) {
        Ok(f) => f,
        Err(m) => return error(StatusCode::TOO_MANY_REQUESTS, format!("invalid param: {m}")),
    };
    let river_id = fields.river_id.unwrap_or_default();
    let Some((_, _, name, _, _)) = RIVERS.iter().find(|r| r.0 == river_id || r.1 == river_id)
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!("River {river_id} not found."),
        );
    };
    let now_ms = shared.clock.unix() * 1000;
    let mut data = lock(&shared.data_integration);
    let run_id = data.next_id(0x70);
    let run = Run::built(
        Run::builder()
            .id(Some(run_id.clone()))
            .account(Some("5f0c0ffee0000000000000a1".into()))
            .error_description(None)
            .river_id(Some(river_id))
            .river_run_message(Some(format!("River {name} is waiting to run").into()))
            .river_run_status(Some(RunStatus::W))
            .run_end_date(None)
            .run_id(Some(run_id.clone()))
            .run_insert_date(Some(now_ms))
            .run_update_date(Some(now_ms)),
    );
    data.runs.insert(run_id, run.clone());
    Json(run).into_response()
}

/// Each check moves the run on: `W`, `R`, then `D` (`E` for [`FAILING_RIVER`]).
async fn check_run(State(shared): State<AppState>, headers: HeaderMap, query: Query) -> Response {
    or_return!(guard(&shared, &headers));
    let run_id = query.first("run_id").unwrap_or_default().to_owned();
    let now_ms = shared.clock.unix() * 1000;
    let mut data = lock(&shared.data_integration);
    let Some(run) = data.runs.get_mut(&run_id) else {
        return error(StatusCode::NOT_FOUND, format!("Run {run_id} not found."));
    };
    let fails = run.river_id.as_deref() == Some(FAILING_RIVER);
    let next = match &run.river_run_status {
        Some(RunStatus::W) => Some(RunStatus::R),
        Some(RunStatus::R) if fails => Some(RunStatus::E),
        Some(RunStatus::R) => Some(RunStatus::D),
        other => other.clone(),
    };
    if next != run.river_run_status {
        run.run_update_date = Some(now_ms);
        match next {
            Some(RunStatus::D) => {
                run.river_run_message = Some("Done successfully".into());
                run.run_end_date = Some(now_ms);
            }
            Some(RunStatus::E) => {
                run.river_run_message = Some("Failed".into());
                run.error_description = Some("The source rejected the query.".into());
                run.run_end_date = Some(now_ms);
            }
            _ => run.river_run_message = Some("Running".into()),
        }
        run.river_run_status = next;
    }
    Json(run.clone()).into_response()
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
    Json(Me::built(
        Me::builder()
            .account_id(Some("5f0c0ffee0000000000000a1".into()))
            .account_name(Some("Sandbox Account".into()))
            .environment_id(Some("5f0c0ffee0000000000000e1".into()))
            .scopes(
                ["connection:list", "connection:edit", "me:list"]
                    .map(String::from)
                    .to_vec(),
            ),
    ))
    .into_response()
}
