//! Activation v1.1 destination accounts (`/activation-v1/v1/distribution/...`), the legacy
//! API: destinations, account templates, accounts with an `oauth_status`, and the OAuth
//! authorization whose browser step redirects to the caller's `redirect_url` with `status`
//! and `state`.
//!
//! Calls need `x-api-key` (else 403 `{"message":"Forbidden"}`); errors are `{message}`.

use crate::built::Built;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use liveramp::activation_v1::types::{
    AccountProperty as Property, AccountTemplate, DestinationAccount as Account,
    DestinationAccountEnvelope, DestinationAccountTemplate, DestinationList, DeviceType,
    ErrorMessage, OAuthAuthorization, OAuthStatus, TemplateProperty,
};
use serde::Deserialize;

use crate::activation::page;
use crate::pagination::Query;
use crate::state::{AppState, Op, Shared, lock, parse_json};

/// The browser page of a v1 OAuth authorization.
const AUTHORIZE_PAGE: &str = "/activation-v1-authorize/{id}";
/// The destination whose accounts need OAuth.
const OAUTH_DESTINATION: i64 = 5678;
/// The redirect statuses the documentation lists.
const REDIRECT_STATUSES: &[&str] = &[
    "ok",
    "internal_server_error",
    "service_unavailable",
    "unprocessable_entity",
];

/// The v1 data of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Data {
    accounts: Vec<Account>,
    next_id: i64,
    authorizations: HashMap<String, Authorization>,
}

#[derive(Debug)]
struct Authorization {
    account_id: i64,
    redirect_url: String,
    state: Option<String>,
}

impl Data {
    /// No accounts yet; IDs start at 987654.
    pub(crate) fn seeded() -> Self {
        Self {
            next_id: 987_654,
            ..Self::default()
        }
    }
}

/// Every v1 operation.
pub(crate) fn ops() -> Vec<Op> {
    vec![
        Op::get(
            "v1_list_destinations",
            "/activation-v1/v1/distribution/destinations",
            list_destinations,
        ),
        Op::get(
            "v1_new_destination_account_template",
            "/activation-v1/v1/distribution/accounts/new",
            template,
        ),
        Op::post(
            "v1_create_destination_account",
            "/activation-v1/v1/distribution/accounts",
            create_account,
        ),
        Op::get(
            "v1_get_destination_account",
            "/activation-v1/v1/distribution/accounts/{id}",
            get_account,
        ),
        Op::post(
            "v1_perform_oauth_authorization",
            "/activation-v1/v1/distribution/accounts/{id}/oauth",
            authorize,
        ),
        Op::get("v1_authorize_page", AUTHORIZE_PAGE, authorize_page),
    ]
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorMessage::built(ErrorMessage::builder().message(message.into()));
    (status, Json(body)).into_response()
}

fn guard(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key == Some(shared.credentials.activation_v1_api_key.as_str()) {
        Ok(())
    } else {
        Err(error(StatusCode::FORBIDDEN, "Forbidden"))
    }
}

fn destinations() -> [(i64, &'static str); 2] {
    [
        (1234, "Example Destination"),
        (OAUTH_DESTINATION, "Example OAuth Destination"),
    ]
}

async fn list_destinations(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    or_return!(guard(&shared, &headers));
    let list: Vec<_> = destinations()
        .iter()
        .map(|(id, name)| {
            liveramp::activation_v1::types::Destination::built(
                liveramp::activation_v1::types::Destination::builder()
                    .id(*id)
                    .name(*name),
            )
        })
        .collect();
    Json(DestinationList::built(
        DestinationList::builder().destinations(list),
    ))
    .into_response()
}

async fn template(State(shared): State<AppState>, headers: HeaderMap, query: Query) -> Response {
    or_return!(guard(&shared, &headers));
    let Some(id) = query.first("destination_id") else {
        return error(StatusCode::BAD_REQUEST, "destination_id is required.");
    };
    let Some((id, _)) = destinations()
        .into_iter()
        .find(|(d, _)| d.to_string() == id)
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Destination {id} not found."),
        );
    };
    let devices = || ["web", "ios", "android"].map(DeviceType::from).to_vec();
    Json(DestinationAccountTemplate::built(
        DestinationAccountTemplate::builder().account(
            AccountTemplate::builder()
                .destination_id(id)
                .integration_id(None)
                .name(Some(String::new()))
                .device_types(devices())
                .properties(vec![TemplateProperty::built(
                    TemplateProperty::builder()
                        .name("advertiser_id")
                        .needed_for_device_types(devices())
                        .description(Some(
                            "Your advertiser ID at the destination platform.".into(),
                        ))
                        .value(Some(String::new())),
                )]),
        ),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct CreateRequest {
    destination_account: NewAccount,
}

#[derive(Deserialize)]
struct NewAccount {
    destination_id: i64,
    integration_id: Option<i64>,
    name: String,
    device_types: Vec<String>,
    properties: Vec<Property>,
}

async fn create_account(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let request: CreateRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let new = request.destination_account;
    if !destinations().iter().any(|(d, _)| *d == new.destination_id) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Destination {} not found.", new.destination_id),
        );
    }
    if new.name.is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "name is required.");
    }
    if new.device_types.is_empty()
        || new
            .device_types
            .iter()
            .any(|d| !["web", "ios", "android"].contains(&d.as_str()))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "device_types must be one or more of web, ios, android.",
        );
    }
    if !new
        .properties
        .iter()
        .any(|p| p.name == "advertiser_id" && !p.value.expose().is_empty())
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Missing value for property: advertiser_id",
        );
    }
    let mut state = lock(&shared.activation_v1);
    let account = Account::built(
        Account::builder()
            .id(state.next_id)
            .destination_id(new.destination_id)
            .integration_id(new.integration_id)
            .name(Some(new.name))
            .device_types(
                new.device_types
                    .iter()
                    .map(|d| DeviceType::from(d.as_str()))
                    .collect::<Vec<_>>(),
            )
            .properties(new.properties)
            .oauth_status(if new.destination_id == OAUTH_DESTINATION {
                OAuthStatus::OauthUnauthorized
            } else {
                OAuthStatus::OauthNotApplicable
            }),
    );
    state.next_id += 1;
    state.accounts.push(account.clone());
    (
        StatusCode::CREATED,
        Json(DestinationAccountEnvelope::built(
            DestinationAccountEnvelope::builder().destination_account(account),
        )),
    )
        .into_response()
}

async fn get_account(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let state = lock(&shared.activation_v1);
    match state.accounts.iter().find(|a| a.id == id) {
        Some(a) => Json(DestinationAccountEnvelope::built(
            DestinationAccountEnvelope::builder().destination_account(a.clone()),
        ))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Destination account {id} not found."),
        ),
    }
}

#[derive(Deserialize)]
struct AuthorizeRequest {
    redirect_url: String,
    state: Option<String>,
}

async fn authorize(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let request: AuthorizeRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    if url::Url::parse(&request.redirect_url).is_err() {
        return error(
            StatusCode::BAD_REQUEST,
            "redirect_url must be an absolute URL.",
        );
    }
    let mut state = lock(&shared.activation_v1);
    let Some(account) = state.accounts.iter().find(|a| a.id == id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Destination account {id} not found."),
        );
    };
    if account.oauth_status == OAuthStatus::OauthNotApplicable {
        return error(
            StatusCode::BAD_REQUEST,
            "The destination account does not need an OAuth authorization.",
        );
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    state.authorizations.insert(
        token.clone(),
        Authorization {
            account_id: id,
            redirect_url: request.redirect_url,
            state: request.state,
        },
    );
    let url = shared.url(&AUTHORIZE_PAGE.replace("{id}", &token));
    Json(OAuthAuthorization::built(
        OAuthAuthorization::builder().authorization_url(url),
    ))
    .into_response()
}

/// The "browser" at the platform's authorization page: authorizes the account (or, with
/// `?deny=1`, does not; `?status=` picks another documented outcome) and redirects (303) to
/// `redirect_url` with `status` and `state`. Each authorization URL works once.
async fn authorize_page(
    State(shared): State<AppState>,
    Path(token): Path<String>,
    query: Query,
) -> Response {
    let status = match (query.first("status"), query.first("deny")) {
        (Some(s), _) if REDIRECT_STATUSES.contains(&s) => s,
        (Some(_), _) => return page(StatusCode::BAD_REQUEST, "Unknown status."),
        (None, Some("1" | "true")) => "unprocessable_entity",
        (None, _) => "ok",
    };
    let mut state = lock(&shared.activation_v1);
    let Some(authorization) = state.authorizations.remove(&token) else {
        return page(StatusCode::NOT_FOUND, "Unknown or used authorization link.");
    };
    if status == "ok"
        && let Some(a) = state
            .accounts
            .iter_mut()
            .find(|a| a.id == authorization.account_id)
    {
        a.oauth_status = OAuthStatus::OauthAuthorized;
    }
    let Ok(mut url) = url::Url::parse(&authorization.redirect_url) else {
        return page(StatusCode::BAD_REQUEST, "Invalid redirect URL.");
    };
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("status", status);
        if let Some(s) = &authorization.state {
            pairs.append_pair("state", s);
        }
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
}
