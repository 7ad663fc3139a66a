//! AbiliTec (`/abilitec/v1/...`): match and lookup of people, places, households and
//! entities, one at a time (GET or POST, parameters in the query) or in batches.
//!
//! Answers are derived from a SHA-256 of the normalized inputs, so the same input always
//! gives the same links. Invalid parameters get the error document
//! `{"error":{"message","code","requestId"}}` with the codes of `liveramp::error::abilitec`,
//! chosen by their documented meanings (the docs assign no code to each rule, so the choice is
//! the sandbox's): 600-0033 unknown operation in a batch item, 600-0031 invalid lookup key,
//! 600-0040 nothing to match on, 600-0041 `name` together with its parts, 600-0043 an invalid
//! value (`state`, `zipCode`, `email`, `phone`, `limit`, `matchLevel`), 600-0060 batch size
//! not 1..=1000; 404 600-0030 no document found (an unknown document class, or an
//! identity the sandbox does not know: see [`unknown_key`] and [`NOT_FOUND_EMAIL`]), 404
//! 600-0117 opted-out consumer (the email `opted-out@example.com`); 405 600-0052 a method the
//! path does not answer; 401 000-0401 missing, invalid or expired token.

use crate::built::Built;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use bytes::Bytes;
use liveramp::abilitec::types::{
    AbilitecLinks, BatchDocument, BatchResult, ContactFlags, ErrorDetail, ErrorDocument,
    IdentityDocument, MatchComponent, MatchMetadata, NameMatchIntegrity,
};
use liveramp::error::abilitec as codes;
use serde_json::{Map, Value};

use crate::pagination::Query;
use crate::signing::hash;
use crate::state::{AppState, Op, parse_json};
use crate::tokens::{self, Audience};

/// The email the sandbox treats as opted out.
const OPTED_OUT_EMAIL: &str = "opted-out@example.com";
/// The email of a person the sandbox does not know: matches on it find no document.
const NOT_FOUND_EMAIL: &str = "not-found@example.com";
/// The prefix of every link the sandbox issues.
const LINK_PREFIX: &str = "XY";
/// The largest batch.
const MAX_BATCH: usize = 1000;
const LOOKUP_TYPES: &[&str] = &["er", "md5", "sha256", "sha1", "abilitec"];

/// `(class, match operation, match path, lookup operation, lookup path)` of every class.
const CLASSES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "people",
        "match_people",
        "/abilitec/v1/people/match",
        "lookup_people",
        "/abilitec/v1/people/{lookup_type}",
    ),
    (
        "places",
        "match_places",
        "/abilitec/v1/places/match",
        "lookup_places",
        "/abilitec/v1/places/{lookup_type}",
    ),
    (
        "households",
        "match_households",
        "/abilitec/v1/households/match",
        "lookup_households",
        "/abilitec/v1/households/{lookup_type}",
    ),
    (
        "entities",
        "match_entities",
        "/abilitec/v1/entities/match",
        "lookup_entities",
        "/abilitec/v1/entities/{lookup_type}",
    ),
];

/// Every AbiliTec operation, named as in `specs/abilitec.yaml`; single calls answer POST (the
/// current reference) and GET (v1.1).
pub(crate) fn ops() -> Vec<Op> {
    let mut ops = vec![
        Op::post("batch_match", "/abilitec/v1/batch/match", batch_match),
        Op::post("batch_lookup", "/abilitec/v1/batch/lookup", batch_lookup),
    ];
    for &(class, match_name, match_path, lookup_name, lookup_path) in CLASSES {
        let matcher = move |State(shared): State<AppState>, headers: HeaderMap, query: Query| async move {
            single(&shared, &headers, class, "match", &query)
        };
        let lookup = move |State(shared): State<AppState>,
                           headers: HeaderMap,
                           Path(kind): Path<String>,
                           query: Query| async move {
            single(&shared, &headers, class, &kind, &query)
        };
        ops.push(Op::post(match_name, match_path, matcher));
        ops.push(Op::get(match_name, match_path, matcher));
        ops.push(Op::post(lookup_name, lookup_path, lookup));
        ops.push(Op::get(lookup_name, lookup_path, lookup));
    }
    let other =
        |State(shared): State<AppState>,
         headers: HeaderMap,
         Path((class, operation)): Path<(String, String)>,
         query: Query| async move { single(&shared, &headers, &class, &operation, &query) };
    // Unknown document classes get the API's error document.
    ops.push(Op::post(
        "abilitec_unknown_class",
        "/abilitec/v1/{document_class}/{operation}",
        other,
    ));
    ops.push(Op::get(
        "abilitec_unknown_class",
        "/abilitec/v1/{document_class}/{operation}",
        other,
    ));
    ops
}

/// An AbiliTec failure: HTTP status, error code, message.
struct Failure(StatusCode, &'static str, String);

fn bad(code: &'static str, message: impl Into<String>) -> Failure {
    Failure(StatusCode::BAD_REQUEST, code, message.into())
}

/// 404 600-0030, the API's answer when no document matches.
fn no_document() -> Failure {
    Failure(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        "No document was found.".into(),
    )
}

/// The answer to a method a path does not take: 405 600-0052 (axum adds the `Allow` header).
pub(crate) async fn method_not_allowed() -> Response {
    Failure(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::METHOD_NOT_ALLOWED,
        "The method is not allowed.".into(),
    )
    .into_response()
}

impl Failure {
    fn detail(&self) -> ErrorDetail {
        ErrorDetail::built(
            ErrorDetail::builder()
                .message(self.2.clone())
                .code(self.1)
                .request_id(Some(uuid::Uuid::new_v4().to_string())),
        )
    }

    fn into_response(self) -> Response {
        let body = ErrorDocument::built(ErrorDocument::builder().error(self.detail()));
        (self.0, Json(body)).into_response()
    }
}

/// 429 with `Retry-After` (whole seconds, at least 1) past a rate limit.
fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = Failure(
        StatusCode::TOO_MANY_REQUESTS,
        "000-0429",
        "Rate limit exceeded.".into(),
    )
    .into_response();
    if let Ok(value) = seconds.max(1).to_string().parse() {
        response.headers_mut().insert("retry-after", value);
    }
    response
}

/// A token of either documented grant: client credentials, or a service account's password
/// grant (AbiliTec v1.1).
fn abilitec_token_ok(shared: &crate::state::Shared, headers: &HeaderMap) -> bool {
    tokens::authorized(shared, headers, Audience::AbiliTec)
        || tokens::authorized(shared, headers, Audience::ServiceAccount)
}

fn unauthorized() -> Response {
    Failure(
        StatusCode::UNAUTHORIZED,
        "000-0401",
        "The access token is missing, invalid or expired.".into(),
    )
    .into_response()
}

fn single(
    shared: &crate::state::Shared,
    headers: &HeaderMap,
    class: &str,
    operation: &str,
    query: &Query,
) -> Response {
    if !abilitec_token_ok(shared, headers) {
        return unauthorized();
    }
    if let Err(wait) = shared.limits.single() {
        return too_many(wait);
    }
    match answer(class, operation, query) {
        Ok(document) => Json(document).into_response(),
        Err(f) => f.into_response(),
    }
}

async fn batch_match(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    batch(&shared, &headers, &body, true)
}

async fn batch_lookup(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    batch(&shared, &headers, &body, false)
}

/// Answers every item in request order, `[{code, document}]`, with HTTP 200 even when items
/// failed.
fn batch(
    shared: &crate::state::Shared,
    headers: &HeaderMap,
    body: &[u8],
    matching: bool,
) -> Response {
    if !abilitec_token_ok(shared, headers) {
        return unauthorized();
    }
    if let Err(wait) = shared.limits.batch() {
        return too_many(wait);
    }
    let items: Vec<String> = match parse_json(body) {
        Ok(i) => i,
        Err(m) => return bad(codes::UNHANDLED, m).into_response(),
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return bad(
            codes::BATCH_LIMIT_EXCEEDED,
            "A batch holds 1 to 1000 items.",
        )
        .into_response();
    }
    let answers: Vec<BatchResult> = items
        .iter()
        .map(|item| {
            let result = batch_item(item, matching);
            match result {
                Ok(document) => {
                    BatchResult::built(BatchResult::builder().code(200).document(document))
                }
                Err(f) => BatchResult::built(
                    BatchResult::builder()
                        .code(i32::from(f.0.as_u16()))
                        .document({
                            let mut failed = BatchDocument::default();
                            failed.error = Some(f.detail());
                            failed
                        }),
                ),
            }
        })
        .collect();
    Json(answers).into_response()
}

fn batch_item(item: &str, matching: bool) -> Result<BatchDocument, Failure> {
    let (path, raw_query) = item.split_once('?').unwrap_or((item, ""));
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("v1/").unwrap_or(path);
    let Some((class, operation)) = path.split_once('/') else {
        return Err(bad(
            codes::UNKNOWN_PATH,
            format!("Unknown batch item {path}"),
        ));
    };
    if (operation == "match") != matching {
        let kind = if matching { "match" } else { "lookup" };
        return Err(bad(
            codes::UNKNOWN_PATH,
            format!("Not a {kind} item: {path}"),
        ));
    }
    answer(class, operation, &Query::parse(Some(raw_query)))
}

/// The answer document of one match or lookup.
fn answer(class: &str, operation: &str, query: &Query) -> Result<BatchDocument, Failure> {
    if !["people", "places", "households", "entities"].contains(&class) {
        return Err(Failure(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("Unknown document class {class}"),
        ));
    }
    let body = if operation == "match" {
        matched(class, query)?
    } else if LOOKUP_TYPES.contains(&operation) {
        looked_up(operation, query)?
    } else {
        return Err(Failure(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("Unknown operation {operation}"),
        ));
    };
    let mut document = BatchDocument::default();
    match class {
        "people" => document.person = Some(body),
        "places" => document.place = Some(body),
        "households" => document.household = Some(body),
        _ => document.entity = Some(body),
    }
    Ok(document)
}

fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A 16-character link, `XY` and 14 base-36 digits of the hash of the parts.
fn link(parts: &[&str]) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let h = hash(parts);
    let tail: String = h[..14]
        .iter()
        .map(|b| DIGITS[usize::from(*b) % DIGITS.len()] as char)
        .collect();
    format!("{LINK_PREFIX}{tail}")
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn matched(class: &str, q: &Query) -> Result<IdentityDocument, Failure> {
    let get = |k: &str| q.first(k).map(normalize).filter(|v| !v.is_empty());
    let parts = ["firstName", "middleName", "lastName"];
    let name = match (get("name"), parts.iter().any(|p| get(p).is_some())) {
        (Some(_), true) => {
            return Err(bad(
                codes::INVALID_DATA_TYPE,
                "Send name or its parts, not both.",
            ));
        }
        (Some(n), false) => Some(n),
        (None, true) => Some(
            parts
                .iter()
                .filter_map(|p| get(p))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (None, false) => None,
    };
    let last_name = get("lastName").or_else(|| {
        name.as_ref()
            .and_then(|n| n.split(' ').next_back().map(String::from))
    });
    if let Some(state) = get("state")
        && (state.len() != 2 || !state.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return Err(bad(
            codes::INVALID_REQUEST_VALUE,
            "state must be 2 letters.",
        ));
    }
    let zip = match get("zipCode") {
        Some(z) => {
            let d = digits(&z);
            if ![5, 9, 11].contains(&d.len()) || d.len() != z.len() {
                return Err(bad(
                    codes::INVALID_REQUEST_VALUE,
                    "The zipCode parameter must be 5, 9 or 11 digits.",
                ));
            }
            Some(d[..5].to_string())
        }
        None => None,
    };
    let email = get("email");
    if let Some(e) = &email {
        let valid = e
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
        if !valid {
            return Err(bad(
                codes::INVALID_REQUEST_VALUE,
                "email must contain @ and a dot in the domain.",
            ));
        }
        if e == OPTED_OUT_EMAIL {
            return Err(Failure(
                StatusCode::NOT_FOUND,
                codes::OPTED_OUT,
                "The consumer has opted out.".into(),
            ));
        }
        if e == NOT_FOUND_EMAIL {
            return Err(no_document());
        }
    }
    let phone = match (get("phone"), get("areaCode")) {
        (Some(p), _) => Some(digits(&p)),
        (None, Some(area)) => Some(format!(
            "{}{}{}",
            digits(&area),
            get("exchange").map(|e| digits(&e)).unwrap_or_default(),
            get("subscriberNumber")
                .map(|s| digits(&s))
                .unwrap_or_default()
        )),
        (None, None) => None,
    };
    if phone.as_ref().is_some_and(|p| p.len() != 10) {
        return Err(bad(
            codes::INVALID_REQUEST_VALUE,
            "phone must have 10 digits.",
        ));
    }
    if let Some(limit) = q.first("limit")
        && !limit.parse::<u8>().is_ok_and(|l| (1..=10).contains(&l))
    {
        return Err(bad(
            codes::INVALID_REQUEST_VALUE,
            "limit must be between 1 and 10.",
        ));
    }
    if q.first("matchLevel")
        .is_some_and(|l| l != "default" && l != "strict")
    {
        return Err(bad(
            codes::INVALID_REQUEST_VALUE,
            "matchLevel must be default or strict.",
        ));
    }
    let street = get("streetAddress").or_else(|| {
        let p = [get("primaryNumber"), get("street")];
        p.iter()
            .any(Option::is_some)
            .then(|| p.into_iter().flatten().collect::<Vec<_>>().join(" "))
    });
    let address = street.as_ref().map(|s| {
        let place = zip
            .clone()
            .or_else(|| get("city").map(|c| format!("{c} {}", get("state").unwrap_or_default())));
        format!("{s}|{}", place.unwrap_or_default())
    });
    let mut components = Vec::new();
    let mut links = Map::new();
    for (present, component) in [
        (name.is_some(), "name"),
        (street.is_some(), "streetAddress"),
        (zip.is_some(), "zipCode"),
        (phone.is_some(), "phoneNumber"),
        (email.is_some(), "emailAddress"),
    ] {
        if present {
            components.push(component);
        }
    }
    let person_key = email.clone().or(phone.clone()).or(address.clone());
    if let (Some(n), Some(k)) = (&name, &person_key) {
        links.insert("consumerLink".into(), link(&["consumer", n, k]).into());
    } else if let Some(e) = email.as_ref().or(phone.as_ref()) {
        links.insert("consumerLink".into(), link(&["consumer", e]).into());
    }
    if let Some(a) = &address {
        links.insert("addressLink".into(), link(&["address", a]).into());
        if let Some(l) = &last_name {
            links.insert("householdLink".into(), link(&["household", l, a]).into());
        }
    }
    let wanted: &[&str] = match class {
        "places" => &["addressLink"],
        "households" => &["householdLink", "addressLink"],
        _ => &["consumerLink", "addressLink", "householdLink"],
    };
    links.retain(|k, _| wanted.contains(&k.as_str()));
    if links.is_empty() {
        return Err(bad(
            codes::MISSING_PARAMETER,
            "Nothing to match on: send a name, an address, an email or a phone.",
        ));
    }
    let seed = hash(&[&format!("{links:?}")]);
    let text = |k: &str| links.get(k).and_then(Value::as_str).map(String::from);
    let flag = |present: bool, bit: u8| (present && seed[2] & bit != 0).then_some(true);
    let flags = ContactFlags::built(
        ContactFlags::builder()
            .is_best_email_touchpoint(flag(email.is_some(), 1))
            .is_best_phone_touchpoint(flag(phone.is_some(), 2))
            .is_best_postal_touchpoint(flag(address.is_some(), 4)),
    );
    let any_flag = flags.is_best_email_touchpoint.is_some()
        || flags.is_best_phone_touchpoint.is_some()
        || flags.is_best_postal_touchpoint.is_some();
    Ok(IdentityDocument::built(
        IdentityDocument::builder()
            .abilitec(Some(AbilitecLinks::built(
                AbilitecLinks::builder()
                    .consumer_link(text("consumerLink"))
                    .address_link(text("addressLink"))
                    .household_link(text("householdLink")),
            )))
            .match_metadata(Some(MatchMetadata::built(
                MatchMetadata::builder()
                    .match_components(
                        components
                            .into_iter()
                            .map(MatchComponent::from)
                            .collect::<Vec<_>>(),
                    )
                    .match_confidence(Some((1 + seed[1] % 9).to_string()))
                    .distinct_match((!seed[0].is_multiple_of(4)).then_some(true))
                    .name_match_integrity(name.as_ref().map(|n| {
                        NameMatchIntegrity::from(if n.split(' ').count() >= 2 {
                            "complete"
                        } else {
                            "partial"
                        })
                    }))
                    .invalid_parameters(Vec::new()),
            )))
            .contact_flags(any_flag.then_some(flags)),
    ))
}

/// Whether a valid lookup key names nobody the sandbox knows: a key of only `0`s, or an
/// `abilitec` link the sandbox never issues (one not starting with [`LINK_PREFIX`]).
fn unknown_key(kind: &str, key: &str) -> bool {
    key.chars().all(|c| c == '0')
        || (kind == "abilitec" && !key.to_uppercase().starts_with(LINK_PREFIX))
}

fn looked_up(kind: &str, q: &Query) -> Result<IdentityDocument, Failure> {
    let key = q.first("key").unwrap_or("").trim();
    let hex_len = match kind {
        "md5" => Some(32),
        "sha1" => Some(40),
        "sha256" => Some(64),
        _ => None,
    };
    let valid = match (kind, hex_len) {
        (_, Some(n)) => key.len() == n && key.chars().all(|c| c.is_ascii_hexdigit()),
        ("abilitec", None) => key.len() == 16 && key.chars().all(|c| c.is_ascii_alphanumeric()),
        _ => !key.is_empty(),
    };
    if !valid {
        return Err(bad(
            codes::INVALID_DOCUMENT_ID,
            format!("key is not a valid {kind} key."),
        ));
    }
    if unknown_key(kind, key) {
        return Err(no_document());
    }
    let key = key.to_lowercase();
    let consumer = if kind == "abilitec" {
        key.to_uppercase()
    } else {
        link(&["consumer", kind, &key])
    };
    Ok(IdentityDocument::built(
        IdentityDocument::builder()
            .abilitec(Some(AbilitecLinks::built(
                AbilitecLinks::builder()
                    .household_link(Some(link(&["household", &consumer])))
                    .consumer_link(Some(consumer))
                    .address_link(None),
            )))
            .match_metadata(None)
            .contact_flags(None),
    ))
}
