//! What the caller reads but does not write: destinations, integrations, segments, segment
//! statuses and deliveries.

use crate::built::Built;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;

use super::model::{
    Delivery, DeliveryOutput, DeliveryStatus, SegmentStatus, TaxonomyStatus, TaxonomySyncStatus,
};
use super::{found, guard, invalid, list, not_found, page_params};
use crate::pagination::Query;
use crate::state::{AppState, Op, lock};

/// Seconds a new delivery stays `PENDING`, then `IN_PROGRESS`, before it is `DELIVERED`.
const PENDING_SECS: i64 = 60;
const IN_PROGRESS_SECS: i64 = 300;

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get(
            "list_destinations",
            "/activation/v2/destinations",
            list_destinations,
        ),
        Op::get(
            "get_destination",
            "/activation/v2/destinations/{id}",
            get_destination,
        ),
        Op::get(
            "list_destination_integrations",
            "/activation/v2/destinations/{destination_id}/integrations",
            list_integrations,
        ),
        Op::get(
            "get_destination_integration",
            "/activation/v2/destinations/{destination_id}/integrations/{id}",
            get_integration,
        ),
        Op::get("list_segments", "/activation/v2/segments", list_segments),
        Op::get("get_segment", "/activation/v2/segments/{id}", get_segment),
        Op::get(
            "list_segment_statuses",
            "/activation/v2/segment-statuses",
            list_segment_statuses,
        ),
        Op::get(
            "list_deliveries",
            "/activation/v2/deliveries",
            list_deliveries,
        ),
    ]
}

async fn list_destinations(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let state = lock(&shared.activation);
    list(
        "v2/Destinations",
        &state.destinations.page(&params, |_| true),
    )
}

async fn get_destination(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let state = lock(&shared.activation);
    found(state.destinations.get(&id), "v2/Destination", &id)
}

async fn list_integrations(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(destination): Path<String>,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let kind = query.first("type");
    if kind.is_some_and(|k| !["ONBOARDING", "FULFILLMENT", "DATA_STORE"].contains(&k)) {
        return invalid("type must be ONBOARDING, FULFILLMENT or DATA_STORE");
    }
    let with_unavailable = match query.first("view") {
        None | Some("STANDARD") => false,
        Some("STANDARD_WITH_UNAVAILABLE") => true,
        Some(_) => return invalid("view must be STANDARD or STANDARD_WITH_UNAVAILABLE"),
    };
    let state = lock(&shared.activation);
    if state.destinations.get(&destination).is_none() {
        return not_found("v2/Destination", &destination);
    }
    let page = state.integrations.page(&params, |i| {
        i.destination_id == destination
            && kind.is_none_or(|k| i.output.type_.as_str() == k)
            && (with_unavailable || i.output.unavailable_reason.is_none())
    });
    list("integrations", &page.map(|i| &i.output))
}

async fn get_integration(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path((destination, id)): Path<(String, String)>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let state = lock(&shared.activation);
    match state.integrations.get(&id) {
        Some(i) if i.destination_id == destination => Json(&i.output).into_response(),
        _ => not_found("Integration", &id),
    }
}

async fn list_segments(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let filter = match (query.first("fieldName"), query.first("valueName")) {
        (Some(f), Some(v)) => Some((f, v)),
        (None, None) => None,
        _ => return invalid("fieldName and valueName must be set together"),
    };
    let state = lock(&shared.activation);
    let page = state.segments.page(&params, |s| {
        filter.is_none_or(|(f, v)| s.field.name == f && s.value == v)
    });
    list("v2/Segments", &page)
}

async fn get_segment(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    or_return!(guard(&shared, &headers));
    let state = lock(&shared.activation);
    found(state.segments.get(&id), "v2/Segment", &id)
}

/// One status per requested segment: `SYNCED` where a segment config carries a destination
/// segment ID, `NEVER_SYNCED` otherwise.
async fn list_segment_statuses(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let ids = query.all("segmentIDs");
    if ids.is_empty() {
        return invalid("segmentIDs is required");
    }
    let kind = query.first("segmentType");
    if kind.is_some_and(|k| !["ONBOARDING", "DATA_MARKETPLACE"].contains(&k)) {
        return invalid("segmentType must be ONBOARDING or DATA_MARKETPLACE");
    }
    let state = lock(&shared.activation);
    let mut statuses = crate::pagination::Collection::default();
    for segment in state.segments.iter() {
        if !ids.contains(&segment.id.as_str()) || kind.is_some_and(|k| segment.type_.as_str() != k)
        {
            continue;
        }
        let config = state
            .segment_configs
            .iter()
            .find(|c| c.segment_id == segment.id && c.destination_segment_id.is_some());
        let connection = config.and_then(|c| {
            state
                .managers
                .get(&c.distribution_manager_id)
                .map(|m| m.integration_connection_id.clone())
        });
        let (sync, destination_segment_id) =
            match config.and_then(|c| c.destination_segment_id.clone()) {
                Some(dest) => (TaxonomySyncStatus::Synced, Some(dest)),
                None => (TaxonomySyncStatus::NeverSynced, None),
            };
        statuses.insert(StatusItem(SegmentStatus::built(
            SegmentStatus::builder()
                .integration_connection_id(connection)
                .segment_id(segment.id.clone())
                .segment_type(segment.type_.clone())
                .taxonomy(
                    TaxonomyStatus::builder()
                        .destination_segment_id(destination_segment_id)
                        .taxonomy_sync_status(Some(sync)),
                ),
        )));
    }
    let body = statuses.page(&params, |_| true).map(|s| &s.0);
    list("v2/SegmentStatuses", &body)
}

/// A segment status, listed by its segment's ID.
struct StatusItem(SegmentStatus);

impl crate::pagination::Identified for StatusItem {
    fn id(&self) -> &str {
        &self.0.segment_id
    }
}

async fn list_deliveries(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Query,
) -> Response {
    or_return!(guard(&shared, &headers));
    let params = or_return!(page_params(&query));
    let connection = query.first("integrationConnectionID");
    let segments = query.all("segmentIDs");
    let now = shared.clock.unix();
    let state = lock(&shared.activation);
    let page = state.deliveries.page(&params, |d| {
        connection.is_none_or(|c| d.output.integration_connection_id == c)
            && (segments.is_empty()
                || d.output
                    .segment_id
                    .as_deref()
                    .is_some_and(|s| segments.contains(&s)))
    });
    let body = page.map(|d| at(d, now));
    list("v2/Deliveries", &body)
}

/// The delivery as it stands at `now`.
fn at(delivery: &Delivery, now: i64) -> DeliveryOutput {
    let age = now - delivery.created_unix;
    let (status, since) = if age < PENDING_SECS {
        (DeliveryStatus::Pending, 0)
    } else if age < IN_PROGRESS_SECS {
        (DeliveryStatus::InProgress, PENDING_SECS)
    } else {
        (DeliveryStatus::Delivered, IN_PROGRESS_SECS)
    };
    let mut output = delivery.output.clone();
    output.status = status;
    output.updated_at =
        DateTime::from_timestamp(delivery.created_unix + since, 0).unwrap_or_default();
    output
}
