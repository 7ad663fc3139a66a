//! Activation API v2 (`/activation/v2/...`): destinations, integrations, integration
//! connections, the OAuth connection flow, distribution managers, segment configs,
//! deliveries, segments and segment statuses.
//!
//! Every call needs a service-account bearer token (else 401) and `LR-Org-ID` naming the
//! sandbox's org: a missing header is a 422 (the published file's validation status), another
//! org a 403. Errors are `StandardError {httpStatus, errorCode, message}`.

mod catalog;
mod connections;
mod model;
mod oauth;

use crate::built::Built;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::credentials::ORG_ID;
use crate::pagination::{Collection, Page, PageParams, Query};
use crate::state::{Op, Shared};
use crate::tokens::{self, Audience};
use model::*;
pub(crate) use oauth::page;

/// The Activation data of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Data {
    destinations: Collection<Destination>,
    integrations: Collection<Integration>,
    connections: Collection<IntegrationConnection>,
    managers: Collection<DistributionManager>,
    segment_configs: Collection<SegmentConfig>,
    oauth_connections: Collection<OauthConnection>,
    attempts: Collection<OauthConnectionAttempt>,
    deliveries: Collection<Delivery>,
    segments: Collection<Segment>,
}

/// Every Activation operation.
pub(crate) fn ops() -> Vec<Op> {
    let mut ops = catalog::ops();
    ops.extend(connections::ops());
    ops.extend(oauth::ops());
    ops
}

/// A `StandardError` answer.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(standard_error(status, code, message))).into_response()
}

/// A `StandardError` body.
fn standard_error(status: StatusCode, code: &str, message: impl Into<String>) -> StandardError {
    StandardError::built(
        StandardError::builder()
            .http_status(i32::from(status.as_u16()))
            .error_code(code)
            .message(message.into()),
    )
}

/// `item` as JSON, or the 404 for the `what` with `id`.
fn found<T: serde::Serialize>(item: Option<&T>, what: &str, id: &str) -> Response {
    match item {
        Some(item) => Json(item).into_response(),
        None => not_found(what, id),
    }
}

fn not_found(what: &str, id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("{what} {id} not found"),
    )
}

fn invalid(message: impl Into<String>) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
        message,
    )
}

/// Checks the bearer token and `LR-Org-ID` of an Activation request.
fn guard(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    if !tokens::authorized(shared, headers, Audience::ServiceAccount) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "The access token is missing, invalid or expired; fetch a new one.",
        ));
    }
    match headers.get("lr-org-id").and_then(|v| v.to_str().ok()) {
        None | Some("") => Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "MISSING_ORG_ID",
            "The header LR-Org-ID is required.",
        )),
        Some(org) if org != ORG_ID => Err(error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "The caller has no access to this org.",
        )),
        Some(_) => Ok(()),
    }
}

/// The validated page parameters of a list call.
fn page_params(query: &Query) -> Result<PageParams, Response> {
    PageParams::from_query(query).map_err(invalid)
}

/// A list answer.
fn list<T: serde::Serialize>(key: &str, page: &Page<T>) -> Response {
    Json(page.to_body(key)).into_response()
}

/// A `201 {id}` answer.
fn created(id: &str) -> Response {
    (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
}

/// The sandbox clock's time to the second, as the published examples show.
fn now(shared: &Shared) -> DateTime<Utc> {
    DateTime::from_timestamp(shared.clock.unix(), 0).unwrap_or_default()
}

impl Data {
    /// The seeded destinations, integrations, segments and one configured distribution.
    pub(crate) fn seeded(_base_url: &str) -> Self {
        let mut state = Self::default();
        let named = [
            ("101", "Sandbox Social"),
            ("102", "Sandbox DSP"),
            ("103", "Sandbox Video"),
        ];
        for i in 101..=125u32 {
            let id = i.to_string();
            let name = named.iter().find(|(n, _)| *n == id).map_or_else(
                || format!("Sandbox Destination {i}"),
                |(_, n)| n.to_string(),
            );
            state.destinations.insert(Destination::built(
                Destination::builder()
                    .logo_url(format!("https://logos.example.com/destinations/{id}.png"))
                    .id(id)
                    .name(name),
            ));
        }
        let prop = |name: &str, description: &str| {
            IntegrationProperty::built(
                IntegrationProperty::builder()
                    .name(name)
                    .description(description),
            )
        };
        let all_devices = ["PII", "WEB", "IOS", "ANDROID"];
        let seeds = [
            (
                "101",
                "1011",
                "Sandbox Social Custom Audiences",
                "ONBOARDING",
                Some("oauth-sandbox-social"),
                vec![prop("adAccountId", "Your ad account ID at Sandbox Social.")],
                None,
            ),
            (
                "101",
                "1012",
                "Sandbox Social Conversions",
                "FULFILLMENT",
                None,
                vec![],
                Some("Contact your LiveRamp representative to enable this integration."),
            ),
            (
                "102",
                "1021",
                "Sandbox DSP Segments",
                "ONBOARDING",
                None,
                vec![
                    prop("seatId", "Your seat ID at Sandbox DSP."),
                    prop("advertiserName", "The advertiser the segments are for."),
                ],
                None,
            ),
            (
                "102",
                "1022",
                "Sandbox DSP Data Store",
                "DATA_STORE",
                None,
                vec![],
                None,
            ),
            (
                "103",
                "1031",
                "Sandbox Video Audiences",
                "ONBOARDING",
                Some("oauth-sandbox-video"),
                vec![prop("channelId", "Your channel ID at Sandbox Video.")],
                None,
            ),
        ];
        for (dest, id, name, kind, endpoint, required, unavailable) in seeds {
            state.integrations.insert(Integration {
                destination_id: dest.into(),
                output: IntegrationOutput::built(
                    IntegrationOutput::builder()
                        .id(id)
                        .name(name)
                        .description(format!("{name}, a sandbox integration."))
                        .type_(IntegrationType::from(kind))
                        .device_types(
                            all_devices
                                .iter()
                                .map(|d| DeviceType::from(*d))
                                .collect::<Vec<_>>(),
                        )
                        .required_properties(required)
                        .oauth_endpoint_id(endpoint.map(String::from))
                        .unavailable_reason(unavailable.map(String::from)),
                ),
            });
        }
        for i in 104..=125u32 {
            state.integrations.insert(Integration {
                destination_id: i.to_string(),
                output: IntegrationOutput::built(
                    IntegrationOutput::builder()
                        .id(format!("{i}1"))
                        .name(format!("Sandbox Destination {i} Onboarding"))
                        .description("A sandbox integration.")
                        .type_(IntegrationType::Onboarding)
                        .device_types(vec![DeviceType::Web])
                        .required_properties(vec![prop("accountId", "Your account ID.")])
                        .oauth_endpoint_id(None)
                        .unavailable_reason(None),
                ),
            });
        }
        let interests = [
            "Sports", "Travel", "Cooking", "Gaming", "Finance", "Fitness",
        ];
        for i in 1..=30u32 {
            let field = if i % 2 == 0 {
                ("f-2", "Purchase Intent", "aud-2")
            } else {
                ("f-1", "Interest", "aud-1")
            };
            state.segments.insert(Segment::built(
                Segment::builder()
                    .id(format!("seg-{i:03}"))
                    .field(
                        Field::builder()
                            .id(field.0)
                            .name(field.1)
                            .audience_id(field.2),
                    )
                    .value(format!("{} {i}", interests[i as usize % interests.len()]))
                    .type_(if i <= 20 {
                        SegmentType::Onboarding
                    } else {
                        SegmentType::DataMarketplace
                    }),
            ));
        }
        state.seed_distribution();
        state
    }

    /// A connection to Sandbox DSP with a distribution manager of five delivered segments.
    fn seed_distribution(&mut self) {
        let seeded_at = DateTime::parse_from_rfc3339("2026-01-05T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let property = |key: &str, value: &str| {
            Property::built(Property::builder().property_key(key).property_value(value))
        };
        self.connections.insert(IntegrationConnection::built(
            IntegrationConnection::builder()
                .id("ic-0001")
                .integration_id(["102".into(), "1021".into()])
                .oauth_connection_id(None)
                .properties(vec![
                    property("seatId", "seat-42"),
                    property("advertiserName", "Sandbox Advertiser"),
                ])
                .device_types(vec![DeviceType::Web, DeviceType::Ios])
                .created_at(seeded_at)
                .updated_at(seeded_at)
                .oauth_status(Some(OAuthStatus::NotApplicable)),
        ));
        let Ok(name) = "Sandbox DSP all segments".parse::<DistributionManagerName>() else {
            return;
        };
        self.managers.insert(DistributionManager::built(
            DistributionManager::builder()
                .id("dm-0001")
                .name(name)
                .integration_connection_id("ic-0001")
                .status(DistributionManagerStatus::Active)
                .expire_at(None)
                .created_at(seeded_at)
                .updated_at(seeded_at),
        ));
        for i in 1..=5u32 {
            let segment = format!("seg-{i:03}");
            self.segment_configs.insert(SegmentConfig::built(
                SegmentConfig::builder()
                    .id(format!("sc-{i:04}"))
                    .segment_id(segment.clone())
                    .segment_type(SegmentType::Onboarding)
                    .destination_segment_id(Some(format!("dsp-{i}")))
                    .distribution_manager_id("dm-0001"),
            ));
            self.add_deliveries(
                "ic-0001",
                &segment,
                &[DeviceType::Web, DeviceType::Ios],
                OperationType::Add,
                seeded_at.timestamp(),
            );
        }
    }

    /// One delivery per device type of a segment sent to (or removed from) a connection.
    fn add_deliveries(
        &mut self,
        connection: &str,
        segment: &str,
        devices: &[DeviceType],
        op: OperationType,
        at: i64,
    ) {
        for device in devices {
            let id = crate::signing::uuid_from(&[
                connection,
                segment,
                device.as_str(),
                op.as_str(),
                &at.to_string(),
            ]);
            let count =
                i32::from(crate::signing::hash(&[segment, device.as_str()])[0]) * 1000 + 1000;
            self.deliveries.insert(Delivery {
                created_unix: at,
                output: DeliveryOutput::built(
                    DeliveryOutput::builder()
                        .id(id.to_string())
                        .status(DeliveryStatus::Pending)
                        .device_type(device.clone())
                        .record_count(Some(count))
                        .updated_at(DateTime::from_timestamp(at, 0).unwrap_or_default())
                        .segment_id(Some(segment.into()))
                        .integration_connection_id(connection)
                        .operation_type(op.clone()),
                ),
            });
        }
    }
}
