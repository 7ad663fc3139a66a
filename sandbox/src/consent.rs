//! Consent Files (`/privacy/v2/consent-files`) and the storage their signed `fileURL`s point
//! at (`/storage/consent/{id}.csv?expires=...&signature=...`).
//!
//! Files are derived from the configuration: the same sandbox settings give the same IDs,
//! metadata and bodies. A body is a CSV of one header line (`identifier`) and one line per
//! identifier (64 hex digits of a SHA-256), generated while it is sent, so any size streams
//! in constant memory. A `fileURL` is signed with an HMAC over its path and expiry; an
//! expired or altered URL gets 403.

use crate::built::Built;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use liveramp::consent::types::{
    ConsentFile, DataController, Errors, IdentifierType, MuidDeviceType, MuidFormat, RequestType,
};

use crate::pagination::{Collection, Identified, PageParams, Query};
use crate::signing::{hash, hex, uuid_from};
use crate::state::{AppState, Op, Shared};
use crate::tokens::{self, Audience};

/// The first line of every file.
const HEADER_LINE: &[u8] = b"identifier\n";
/// The length of every identifier line (64 hex digits and a newline).
const LINE_LEN: u64 = 65;
/// Lines per streamed chunk.
const LINES_PER_CHUNK: u64 = 1024;
/// When the newest file was created.
const NEWEST: &str = "2026-11-01T00:00:00Z";

pub(crate) fn ops() -> Vec<Op> {
    vec![
        Op::get(
            "list_consent_files",
            "/privacy/v2/consent-files",
            list_files,
        ),
        Op::get("download_consent_file", "/storage/consent/{file}", download),
    ]
}

/// A consent file: the generated `ConsentFile`, listed by its ID.
struct Listed(ConsentFile, String);

impl Identified for Listed {
    fn id(&self) -> &str {
        &self.1
    }
}

/// The sandbox's files, newest first, with URLs signed now.
fn files(shared: &Shared) -> Vec<ConsentFile> {
    let newest = DateTime::parse_from_rfc3339(NEWEST)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let kinds = [
        "MUID",
        "IDENTITYLINK",
        "COOKIE",
        "CUSTOM_ID",
        "HPI",
        "RAMPID",
    ];
    (0..shared.config.consent_file_lines.len())
        .map(|i| {
            let id = file_id(i);
            let kind = kinds[i % kinds.len()];
            let muid = kind == "MUID";
            ConsentFile::built(
                ConsentFile::builder()
                    .file_url(signed_url(shared, &id.to_string()))
                    .identifier_type(IdentifierType::from(kind))
                    .muid_device_type(
                        muid.then(|| MuidDeviceType::from(["AAID", "IDFA", "MIXED"][(i / 6) % 3])),
                    )
                    .muid_format(
                        muid.then(|| MuidFormat::from(if i % 12 == 0 { "RAW" } else { "HASHED" })),
                    )
                    .request_type(RequestType::from(if i % 2 == 0 {
                        "OPT_OUT"
                    } else {
                        "DELETE"
                    }))
                    .data_controller(
                        DataController::builder()
                            .controller_specifier(Some("SEAT_ID".into()))
                            .controller_id(Some(
                                uuid_from(&["controller", &(i % 3).to_string()])
                                    .to_string()
                                    .to_uppercase(),
                            ))
                            .liveramp_controlled(i % 3 == 0),
                    )
                    .created_at(newest - chrono::Duration::hours(6 * i as i64))
                    .id(id),
            )
        })
        .collect()
}

fn file_id(index: usize) -> uuid::Uuid {
    uuid_from(&["consent-file", &index.to_string()])
}

fn storage_path(id: &str) -> String {
    format!("/storage/consent/{id}.csv")
}

fn signed_url(shared: &Shared, id: &str) -> String {
    let path = storage_path(id);
    let expires = shared.clock.unix() + shared.config.signed_url_ttl.as_secs() as i64;
    let signature = shared.signer.sign(format!("{path}\n{expires}").as_bytes());
    shared.url(&format!("{path}?expires={expires}&signature={signature}"))
}

fn error(status: StatusCode, code: Option<&str>, message: &str) -> Response {
    let body = Errors::built(
        Errors::builder()
            .http_statuscode(i32::from(status.as_u16()))
            .message(message)
            .error_code(code.map(String::from)),
    );
    (status, Json(body)).into_response()
}

fn invalid(message: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("INVALID_PARAMETER"),
        message,
    )
}

fn instant(query: &Query, name: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match query.first(name) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| invalid(&format!("{name} must be an ISO 8601 date-time"))),
    }
}

async fn list_files(State(shared): State<AppState>, headers: HeaderMap, query: Query) -> Response {
    if !tokens::authorized(&shared, &headers, Audience::ServiceAccount) {
        return error(StatusCode::UNAUTHORIZED, None, "Unauthenticated user.");
    }
    let params = match PageParams::from_query(&query) {
        Ok(p) => p,
        Err(m) => return invalid(&m),
    };
    let (after, before) = match (
        instant(&query, "createdAfter"),
        instant(&query, "createdBefore"),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let mut collection = Collection::default();
    for file in files(&shared) {
        let id = file.id.to_string();
        collection.insert(Listed(file, id));
    }
    let page = collection
        .page(&params, |f| {
            after.is_none_or(|a| f.0.created_at >= a) && before.is_none_or(|b| f.0.created_at < b)
        })
        .map(|f| &f.0);
    Json(page.to_body("v2/ConsentFiles")).into_response()
}

fn forbidden(message: &'static str) -> Response {
    (StatusCode::FORBIDDEN, message).into_response()
}

/// Streams one file if its URL is signed by this sandbox and not expired.
async fn download(
    State(shared): State<AppState>,
    Path(file): Path<String>,
    query: Query,
) -> Response {
    let path = storage_path(file.trim_end_matches(".csv"));
    let (Some(expires), Some(signature)) = (query.first("expires"), query.first("signature"))
    else {
        return forbidden("Missing signature.");
    };
    if !file.ends_with(".csv")
        || !shared
            .signer
            .verify(format!("{path}\n{expires}").as_bytes(), signature)
    {
        return forbidden("The request signature does not match.");
    }
    if expires
        .parse::<i64>()
        .map_or(true, |e| shared.clock.unix() >= e)
    {
        return forbidden("The signed URL has expired.");
    }
    let id = file.trim_end_matches(".csv").to_owned();
    let Some(index) =
        (0..shared.config.consent_file_lines.len()).find(|i| file_id(*i).to_string() == id)
    else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    let lines = shared.config.consent_file_lines[index];
    let length = HEADER_LINE.len() as u64 + lines * LINE_LEN;
    let stream = futures_util::stream::unfold(None::<u64>, move |next| {
        let id = id.clone();
        async move {
            let start = match next {
                None => {
                    return Some((
                        Ok::<Bytes, std::io::Error>(Bytes::from_static(HEADER_LINE)),
                        Some(0),
                    ));
                }
                Some(s) if s >= lines => return None,
                Some(s) => s,
            };
            let end = (start + LINES_PER_CHUNK).min(lines);
            let mut chunk = Vec::with_capacity(((end - start) * LINE_LEN) as usize);
            for line in start..end {
                chunk.extend_from_slice(hex(&hash(&[&id, &line.to_string()])).as_bytes());
                chunk.push(b'\n');
            }
            Some((Ok(Bytes::from(chunk)), Some(end)))
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}
