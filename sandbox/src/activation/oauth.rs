//! The OAuth connection flow: attempts, the sandbox's own consent page standing in for the
//! destination platform's, and the OAuth connections an authorized attempt creates.
//!
//! An attempt starts `PENDING`. A GET of its `authorizationUrl` (the customer's browser)
//! grants access, or denies it with `?deny=1`, and moves it to `PROCESSING`; the next read of
//! the attempt still shows `PROCESSING` and settles it, so the read after that shows
//! `AUTHORIZED` with an `oAuthConnectionID` (or `FAILED` with a `statusDetail`).

use crate::built::Built;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{
    AttemptOutput, OAuthConnectionAttemptStatus as Status, OauthConnection, OauthConnectionAttempt,
    Outcome,
};
use super::{
    Data as Activation, created, found, guard, invalid, list, not_found, now, page_params,
};
use crate::pagination::Query;
use crate::state::{AppState, Op, lock, parse_json};

/// The path of the sandbox's consent page for an attempt.
pub(crate) const CONSENT_PAGE: &str = "/consent-page/{id}";

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::post(
            "create_oauth_connection_attempt",
            "/activation/v2/oauth-connection-attempts",
            create_attempt,
        ),
        Op::get(
            "get_oauth_connection_attempt",
            "/activation/v2/oauth-connection-attempts/{id}",
            get_attempt,
        ),
        Op::get(
            "list_oauth_connections",
            "/activation/v2/oauth-connections",
            list_oauth_connections,
        ),
        Op::get(
            "get_oauth_connection",
            "/activation/v2/oauth-connections/{id}",
            get_oauth_connection,
        ),
        Op::get("activation_consent_page", CONSENT_PAGE, consent_page),
    ]
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttemptInput {
    redirect_url: Option<String>,
    state: Option<String>,
    #[serde(rename = "oAuthEndpointID")]
    oauth_endpoint_id: Option<String>,
    #[serde(rename = "oAuthConnectionID")]
    oauth_connection_id: Option<String>,
}

async fn create_attempt(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let input: AttemptInput = match parse_json(&body) {
        Ok(i) => i,
        Err(m) => return invalid(m),
    };
    let Some(endpoint) = input.oauth_endpoint_id else {
        return invalid("oAuthEndpointID is required");
    };
    if let Some(url) = &input.redirect_url
        && url::Url::parse(url).is_err()
    {
        return invalid("redirectUrl must be an absolute URL");
    }
    let mut state = lock(&shared.activation);
    if !state
        .integrations
        .iter()
        .any(|i| i.output.oauth_endpoint_id.as_deref() == Some(endpoint.as_str()))
    {
        return invalid(format!("oAuthEndpointID {endpoint} does not exist"));
    }
    if let Some(id) = &input.oauth_connection_id {
        match state.oauth_connections.get(id) {
            Some(c) if c.oauth_endpoint_id == endpoint => {}
            _ => {
                return invalid(format!(
                    "oAuthConnectionID {id} is not a connection of {endpoint}"
                ));
            }
        }
    }
    let id = uuid::Uuid::new_v4();
    state.attempts.insert(OauthConnectionAttempt {
        id: id.to_string(),
        output: AttemptOutput::built(
            AttemptOutput::builder()
                .authorization_url(shared.url(&CONSENT_PAGE.replace("{id}", &id.to_string())))
                .id(id)
                .status(Status::Pending)
                .status_detail(None)
                .redirect_url(input.redirect_url)
                .state(input.state.map(liveramp::auth::Secret::from))
                .oauth_endpoint_id(endpoint)
                .oauth_connection_id(input.oauth_connection_id),
        ),
        outcome: None,
    });
    created(&id.to_string())
}

async fn get_attempt(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let now = now(&shared);
    let mut state = lock(&shared.activation);
    let Some(attempt) = state.attempts.get(&id).cloned() else {
        return not_found("v2/OauthConnectionAttempt", &id);
    };
    if let Some(outcome) = attempt.outcome {
        settle(&mut state, &id, outcome, now);
    }
    Json(attempt.output).into_response()
}

/// Ends a `PROCESSING` attempt: creates (or, to re-authorize, refreshes) its OAuth
/// connection, or fails it.
fn settle(state: &mut Activation, id: &str, outcome: Outcome, now: DateTime<Utc>) {
    let Some(attempt) = state.attempts.get(id).map(|a| a.output.clone()) else {
        return;
    };
    let (status, detail, connection) = match outcome {
        Outcome::Denied => (
            Status::Failed,
            Some("The user denied access at the destination platform (access_denied).".into()),
            attempt.oauth_connection_id.clone(),
        ),
        Outcome::Authorized => {
            let connection = match &attempt.oauth_connection_id {
                Some(existing) => {
                    if let Some(c) = state.oauth_connections.get_mut(existing) {
                        c.updated_at = now;
                    }
                    existing.clone()
                }
                None => {
                    let new_id = uuid::Uuid::new_v4().to_string();
                    state.oauth_connections.insert(OauthConnection::built(
                        OauthConnection::builder()
                            .id(new_id.clone())
                            .name(format!(
                                "Sandbox authorization for {}",
                                attempt.oauth_endpoint_id
                            ))
                            .oauth_endpoint_id(attempt.oauth_endpoint_id.clone())
                            .created_at(now)
                            .updated_at(now),
                    ));
                    new_id
                }
            };
            (Status::Authorized, None, Some(connection))
        }
    };
    if let Some(a) = state.attempts.get_mut(id) {
        a.output.status = status;
        a.output.status_detail = detail;
        a.output.oauth_connection_id = connection;
        a.outcome = None;
    }
}

async fn list_oauth_connections(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let endpoint = query.first("oAuthEndpointID");
    let state = lock(&shared.activation);
    let page = state.oauth_connections.page(&params, |c| {
        endpoint.is_none_or(|e| c.oauth_endpoint_id == e)
    });
    list("v2/OauthConnections", &page)
}

async fn get_oauth_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    found(
        lock(&shared.activation).oauth_connections.get(&id),
        "v2/OauthConnection",
        &id,
    )
}

/// The "browser" visiting the authorization URL: grants access (or denies it with
/// `?deny=1`), then redirects to the attempt's `redirectUrl` when it has one.
async fn consent_page(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Response {
    let deny = matches!(query.first("deny"), Some("1" | "true"));
    let mut state = lock(&shared.activation);
    let Some(attempt) = state.attempts.get_mut(&id) else {
        return page(StatusCode::NOT_FOUND, "Unknown authorization request.");
    };
    if attempt.output.status != Status::Pending {
        return page(
            StatusCode::CONFLICT,
            "This authorization link was already used.",
        );
    }
    attempt.output.status = Status::Processing;
    attempt.outcome = Some(if deny {
        Outcome::Denied
    } else {
        Outcome::Authorized
    });
    match &attempt.output.redirect_url {
        Some(url) => (StatusCode::SEE_OTHER, [(header::LOCATION, url.clone())]).into_response(),
        None if deny => page(StatusCode::OK, "Access denied. You can close this window."),
        None => page(
            StatusCode::OK,
            "Authorization complete. You can close this window.",
        ),
    }
}

/// A minimal HTML page.
pub(crate) fn page(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><title>LiveRamp sandbox</title></head><body><p>{message}</p></body></html>"
    );
    (status, Html(html)).into_response()
}
