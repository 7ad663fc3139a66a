//! What the caller configures: integration connections, distribution managers and their
//! segment configs.

use crate::built::Built;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use super::model::{
    DEVICE_TYPES, DeviceType, DistributionManager, DistributionManagerName,
    DistributionManagerStatus, Integration, IntegrationConnection, OAuthStatus, OperationType,
    Property, SegmentConfig, SegmentConfigResult, SegmentType,
};
use super::{
    Data as Activation, created, found, guard, invalid, list, not_found, now, page_params,
    standard_error,
};
use crate::pagination::Query;
use crate::state::{AppState, Op, lock, parse_json};

/// The most segment configs one POST or DELETE may carry.
const MAX_SEGMENT_CONFIGS: usize = 500;
/// The longest distribution manager name.
const MAX_NAME: usize = 50;

pub(super) fn ops() -> Vec<Op> {
    const IC: &str = "/activation/v2/integration-connections";
    const IC_ID: &str = "/activation/v2/integration-connections/{id}";
    const DM: &str = "/activation/v2/distribution-managers";
    const DM_ID: &str = "/activation/v2/distribution-managers/{id}";
    const SC: &str = "/activation/v2/distribution-managers/{manager_id}/segment-configs";
    const SC_ID: &str = "/activation/v2/distribution-managers/{manager_id}/segment-configs/{id}";
    vec![
        Op::post("create_integration_connection", IC, create_connection),
        Op::get("list_integration_connections", IC, list_connections),
        Op::get("get_integration_connection", IC_ID, get_connection),
        Op::put("update_integration_connection", IC_ID, update_connection),
        Op::delete("delete_integration_connection", IC_ID, delete_connection),
        Op::post("create_distribution_manager", DM, create_manager),
        Op::get("list_distribution_managers", DM, list_managers),
        Op::get("get_distribution_manager", DM_ID, get_manager),
        Op::put("update_distribution_manager", DM_ID, update_manager),
        Op::delete("delete_distribution_manager", DM_ID, delete_manager),
        Op::post("create_segment_configs", SC, create_segment_configs),
        Op::delete("delete_segment_configs", SC, delete_segment_configs),
        Op::get("list_segment_configs", SC, list_segment_configs),
        Op::get("get_segment_config", SC_ID, get_segment_config),
    ]
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionInput {
    #[serde(rename = "integrationID")]
    integration_id: Option<Vec<String>>,
    #[serde(rename = "oAuthConnectionID")]
    oauth_connection_id: Option<String>,
    properties: Option<Vec<Property>>,
    device_types: Option<Vec<String>>,
    distribution_manager_name: Option<String>,
}

/// Checks a connection's settings against its integration; answers its `oauthStatus`.
fn check_connection(
    state: &Activation,
    integration: &Integration,
    input: &ConnectionInput,
) -> Result<OAuthStatus, Response> {
    let integration = &integration.output;
    let Some(properties) = &input.properties else {
        return Err(invalid("properties is required"));
    };
    let Some(devices) = &input.device_types else {
        return Err(invalid("deviceTypes is required"));
    };
    if let Some(bad) = devices.iter().find(|d| !DEVICE_TYPES.contains(&d.as_str())) {
        return Err(invalid(format!("deviceTypes: unknown device type {bad}")));
    }
    if let Some(bad) = devices.iter().find(|d| {
        !integration
            .device_types
            .contains(&DeviceType::from(d.as_str()))
    }) {
        return Err(invalid(format!(
            "deviceTypes: the integration does not accept {bad}"
        )));
    }
    let missing: Vec<&str> = integration
        .required_properties
        .iter()
        .filter(|p| {
            !properties.iter().any(|given| {
                given.property_key == p.name && !given.property_value.expose().is_empty()
            })
        })
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "properties: a value is required for {}",
            missing.join(", ")
        )));
    }
    match (&integration.oauth_endpoint_id, &input.oauth_connection_id) {
        (None, _) => Ok(OAuthStatus::NotApplicable),
        (Some(_), None) => Err(invalid(
            "oAuthConnectionID is required: the integration has an oAuthEndpointID",
        )),
        (Some(endpoint), Some(id)) => match state.oauth_connections.get(id) {
            Some(c) if &c.oauth_endpoint_id == endpoint => Ok(OAuthStatus::Authorized),
            Some(_) => Err(invalid(format!(
                "oAuthConnectionID {id} belongs to another oAuthEndpointID"
            ))),
            None => Err(invalid(format!("oAuthConnectionID {id} does not exist"))),
        },
    }
}

async fn create_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let input: ConnectionInput = match parse_json(&body) {
        Ok(i) => i,
        Err(m) => return invalid(m),
    };
    let Some(integration_id) = input.integration_id.clone() else {
        return invalid("integrationID is required");
    };
    let Ok(integration_id) = <[String; 2]>::try_from(integration_id) else {
        return invalid("integrationID must hold exactly 2 items: [destinationId, integrationId]");
    };
    let manager_name = match input.distribution_manager_name.as_deref().map(manager_name) {
        None => None,
        Some(Ok(name)) => Some(name),
        Some(Err(r)) => return r,
    };
    let now = now(&shared);
    let mut state = lock(&shared.activation);
    let integration = match state.integrations.get(&integration_id[1]) {
        Some(i) if i.destination_id == integration_id[0] => i.clone(),
        _ => {
            return invalid(format!(
                "integrationID {integration_id:?} does not name an integration"
            ));
        }
    };
    let oauth_status = or_return!(check_connection(&state, &integration, &input));
    let id = uuid::Uuid::new_v4().to_string();
    state.connections.insert(IntegrationConnection::built(
        IntegrationConnection::builder()
            .id(id.clone())
            .integration_id(integration_id)
            .oauth_connection_id(input.oauth_connection_id)
            .properties(input.properties.unwrap_or_default())
            .device_types(device_types(input.device_types))
            .created_at(now)
            .updated_at(now)
            .oauth_status(Some(oauth_status)),
    ));
    if let Some(name) = manager_name {
        state.managers.insert(DistributionManager::built(
            DistributionManager::builder()
                .id(uuid::Uuid::new_v4().to_string())
                .name(name)
                .integration_connection_id(id.clone())
                .status(DistributionManagerStatus::Active)
                .expire_at(None)
                .created_at(now)
                .updated_at(now),
        ));
    }
    created(&id)
}

async fn list_connections(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let state = lock(&shared.activation);
    list(
        "v2/IntegrationConnections",
        &state.connections.page(&params, |_| true),
    )
}

async fn get_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let state = lock(&shared.activation);
    found(state.connections.get(&id), "v2/IntegrationConnection", &id)
}

async fn update_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let input: ConnectionInput = match parse_json(&body) {
        Ok(i) => i,
        Err(m) => return invalid(m),
    };
    let now = now(&shared);
    let mut state = lock(&shared.activation);
    let Some(existing) = state.connections.get(&id) else {
        return not_found("v2/IntegrationConnection", &id);
    };
    let Some(integration) = state.integrations.get(&existing.integration_id[1]).cloned() else {
        return not_found("Integration", &existing.integration_id[1]);
    };
    let oauth_status = or_return!(check_connection(&state, &integration, &input));
    if let Some(c) = state.connections.get_mut(&id) {
        c.oauth_connection_id = input.oauth_connection_id;
        c.properties = input.properties.unwrap_or_default();
        c.device_types = device_types(input.device_types);
        c.updated_at = now;
        c.oauth_status = Some(oauth_status);
    }
    StatusCode::OK.into_response()
}

async fn delete_connection(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let mut state = lock(&shared.activation);
    if state.connections.remove(&id).is_none() {
        return not_found("v2/IntegrationConnection", &id);
    }
    let managers: Vec<String> = state
        .managers
        .iter()
        .filter(|m| m.integration_connection_id == id)
        .map(|m| m.id.clone())
        .collect();
    for manager in managers {
        remove_manager(&mut state, &manager);
    }
    StatusCode::OK.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManagerInput {
    name: Option<String>,
    #[serde(rename = "integrationConnectionID")]
    integration_connection_id: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    expire_at: Option<Option<String>>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The device types of a validated input, as the spec's enum.
fn device_types(given: Option<Vec<String>>) -> Vec<DeviceType> {
    given
        .unwrap_or_default()
        .iter()
        .map(|d| DeviceType::from(d.as_str()))
        .collect()
}

/// A name of 1 to 50 characters.
fn manager_name(name: &str) -> Result<DistributionManagerName, Response> {
    let message = "the distribution manager name must be 1 to 50 characters long";
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(invalid(message));
    }
    name.parse().map_err(|_| invalid(message))
}

/// Checks a distribution manager input; answers its name and `expireAt`.
fn check_manager(
    input: &ManagerInput,
) -> Result<(DistributionManagerName, Option<chrono::NaiveDate>), Response> {
    let name = match &input.name {
        None => return Err(invalid("name is required")),
        Some(n) => manager_name(n)?,
    };
    if input
        .status
        .as_deref()
        .is_some_and(|s| s != "ACTIVE" && s != "INACTIVE")
    {
        return Err(invalid("status must be ACTIVE or INACTIVE"));
    }
    let expire_at = match &input.expire_at {
        Some(Some(date)) => Some(
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| invalid("expireAt must be a date such as 2019-04-13"))?,
        ),
        _ => None,
    };
    Ok((name, expire_at))
}

async fn create_manager(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let input: ManagerInput = match parse_json(&body) {
        Ok(i) => i,
        Err(m) => return invalid(m),
    };
    let (name, expire_at) = match check_manager(&input) {
        Ok(checked) => checked,
        Err(r) => return r,
    };
    let Some(connection) = input.integration_connection_id.clone() else {
        return invalid("integrationConnectionID is required");
    };
    let now = now(&shared);
    let mut state = lock(&shared.activation);
    if state.connections.get(&connection).is_none() {
        return invalid(format!(
            "integrationConnectionID {connection} does not exist"
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    state.managers.insert(DistributionManager::built(
        DistributionManager::builder()
            .id(id.clone())
            .name(name)
            .integration_connection_id(connection)
            .status(input.status.as_deref().map_or(
                DistributionManagerStatus::Active,
                DistributionManagerStatus::from,
            ))
            .expire_at(expire_at)
            .created_at(now)
            .updated_at(now),
    ));
    created(&id)
}

async fn list_managers(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let connection = query.first("integrationConnectionID");
    let state = lock(&shared.activation);
    let page = state.managers.page(&params, |m| {
        connection.is_none_or(|c| m.integration_connection_id == c)
    });
    list("v2/DistributionManagers", &page)
}

async fn get_manager(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    found(
        lock(&shared.activation).managers.get(&id),
        "v2/DistributionManager",
        &id,
    )
}

async fn update_manager(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let input: ManagerInput = match parse_json(&body) {
        Ok(i) => i,
        Err(m) => return invalid(m),
    };
    let (name, expire_at) = match check_manager(&input) {
        Ok(checked) => checked,
        Err(r) => return r,
    };
    let (Some(status), Some(_)) = (&input.status, &input.expire_at) else {
        return invalid("name, status and expireAt are required");
    };
    let status = DistributionManagerStatus::from(status.as_str());
    let now = now(&shared);
    let mut state = lock(&shared.activation);
    let Some(manager) = state.managers.get_mut(&id) else {
        return not_found("v2/DistributionManager", &id);
    };
    manager.name = name;
    manager.status = status;
    manager.expire_at = expire_at;
    manager.updated_at = now;
    StatusCode::OK.into_response()
}

async fn delete_manager(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    match remove_manager(&mut lock(&shared.activation), &id) {
        Some(_) => StatusCode::OK.into_response(),
        None => not_found("v2/DistributionManager", &id),
    }
}

/// Removes a distribution manager and its segment configs; answers the manager if it existed.
fn remove_manager(state: &mut Activation, id: &str) -> Option<DistributionManager> {
    let manager = state.managers.remove(id)?;
    let configs: Vec<String> = state
        .segment_configs
        .iter()
        .filter(|c| c.distribution_manager_id == id)
        .map(|c| c.id.clone())
        .collect();
    for config in configs {
        state.segment_configs.remove(&config);
    }
    Some(manager)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SegmentConfigInput {
    #[serde(rename = "segmentID")]
    segment_id: Option<String>,
    segment_type: Option<String>,
    #[serde(rename = "destinationSegmentID")]
    destination_segment_id: Option<String>,
    #[serde(rename = "distributionManagerID")]
    distribution_manager_id: Option<String>,
}

/// One item of a 207 answer: `{id, status: StandardError}`.
fn item_status(id: &str, status: StatusCode, code: &str, message: &str) -> SegmentConfigResult {
    SegmentConfigResult::built(
        SegmentConfigResult::builder()
            .id(Some(id.into()))
            .status(Some(standard_error(status, code, message))),
    )
}

/// The items of a segment-config batch: at most `MAX_SEGMENT_CONFIGS`.
fn segment_batch<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, Response> {
    let items: Vec<T> = parse_json(body).map_err(invalid)?;
    if items.len() > MAX_SEGMENT_CONFIGS {
        return Err(invalid("at most 500 segment configs per request"));
    }
    Ok(items)
}

/// The distribution manager `id` and the device types of its integration connection.
fn manager_with_devices(
    state: &Activation,
    id: &str,
) -> Result<(DistributionManager, Vec<DeviceType>), Response> {
    let manager = state
        .managers
        .get(id)
        .cloned()
        .ok_or_else(|| not_found("v2/DistributionManager", id))?;
    let devices = state
        .connections
        .get(&manager.integration_connection_id)
        .map(|c| c.device_types.clone())
        .unwrap_or_default();
    Ok((manager, devices))
}

fn multi_status(items: Vec<SegmentConfigResult>) -> Response {
    (StatusCode::MULTI_STATUS, Json(items)).into_response()
}

/// Adds segments to a distribution manager. Each item's answer carries the new config's ID
/// (201) or, when the item failed, the item's `segmentID` with the failure's status.
async fn create_segment_configs(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(manager_id): Path<String>,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let inputs: Vec<SegmentConfigInput> = or_return!(segment_batch(&body));
    let now = shared.clock.unix();
    let mut state = lock(&shared.activation);
    let (manager, devices) = or_return!(manager_with_devices(&state, &manager_id));
    let mut answers = Vec::with_capacity(inputs.len());
    for input in inputs {
        let segment = input.segment_id.unwrap_or_default();
        let kind = input.segment_type.unwrap_or_default();
        let problem = if input.distribution_manager_id.as_deref() != Some(manager_id.as_str()) {
            Some((
                StatusCode::UNPROCESSABLE_ENTITY,
                "distributionManagerID must be the parent's ID",
            ))
        } else if kind != "ONBOARDING" && kind != "DATA_MARKETPLACE" {
            Some((
                StatusCode::UNPROCESSABLE_ENTITY,
                "segmentType must be ONBOARDING or DATA_MARKETPLACE",
            ))
        } else if state
            .segments
            .get(&segment)
            .is_none_or(|s| s.type_.as_str() != kind)
        {
            Some((
                StatusCode::NOT_FOUND,
                "no segment with this segmentID and segmentType",
            ))
        } else if state
            .segment_configs
            .iter()
            .any(|c| c.distribution_manager_id == manager_id && c.segment_id == segment)
        {
            Some((
                StatusCode::CONFLICT,
                "the segment is already in this distribution manager",
            ))
        } else {
            None
        };
        if let Some((status, message)) = problem {
            answers.push(item_status(
                &segment,
                status,
                "INVALID_SEGMENT_CONFIG",
                message,
            ));
            continue;
        }
        let id = uuid::Uuid::new_v4().to_string();
        state.segment_configs.insert(SegmentConfig::built(
            SegmentConfig::builder()
                .id(id.clone())
                .segment_id(segment.clone())
                .segment_type(SegmentType::from(kind.as_str()))
                .destination_segment_id(input.destination_segment_id)
                .distribution_manager_id(manager_id.clone()),
        ));
        let connection = manager.integration_connection_id.clone();
        state.add_deliveries(&connection, &segment, &devices, OperationType::Add, now);
        answers.push(item_status(
            &id,
            StatusCode::CREATED,
            "CREATED",
            "SegmentConfig created",
        ));
    }
    multi_status(answers)
}

#[derive(Deserialize)]
struct IdInput {
    id: Option<String>,
}

async fn delete_segment_configs(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(manager_id): Path<String>,
    body: Bytes,
) -> Response {
    or_return!(guard(&shared, &headers));
    let inputs: Vec<IdInput> = or_return!(segment_batch(&body));
    let now = shared.clock.unix();
    let mut state = lock(&shared.activation);
    let (manager, devices) = or_return!(manager_with_devices(&state, &manager_id));
    let mut answers = Vec::with_capacity(inputs.len());
    for input in inputs {
        let id = input.id.unwrap_or_default();
        let found = state
            .segment_configs
            .get(&id)
            .is_some_and(|c| c.distribution_manager_id == manager_id);
        if !found {
            answers.push(item_status(
                &id,
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "SegmentConfig not found",
            ));
            continue;
        }
        if let Some(config) = state.segment_configs.remove(&id) {
            let connection = manager.integration_connection_id.clone();
            state.add_deliveries(
                &connection,
                &config.segment_id,
                &devices,
                OperationType::Delete,
                now,
            );
        }
        answers.push(item_status(
            &id,
            StatusCode::OK,
            "DELETED",
            "SegmentConfig deleted",
        ));
    }
    multi_status(answers)
}

async fn list_segment_configs(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(manager_id): Path<String>,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let state = lock(&shared.activation);
    if state.managers.get(&manager_id).is_none() {
        return not_found("v2/DistributionManager", &manager_id);
    }
    let page = state
        .segment_configs
        .page(&params, |c| c.distribution_manager_id == manager_id);
    list("segmentConfigs", &page)
}

async fn get_segment_config(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path((manager_id, id)): Path<(String, String)>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let state = lock(&shared.activation);
    match state.segment_configs.get(&id) {
        Some(c) if c.distribution_manager_id == manager_id => Json(c).into_response(),
        _ => not_found("SegmentConfig", &id),
    }
}
