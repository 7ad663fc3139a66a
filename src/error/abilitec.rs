//! The AbiliTec error codes, as LiveRamp's "Error Documents" page lists them: each code, the
//! HTTP status it comes with and its meaning. The crate's explanations ([`meaning`]) and the
//! sandbox's answers both follow this table. `000-` codes come from the API gateway.
//!
//! ```
//! use liveramp::error::abilitec;
//! # fn check(error: &liveramp::Error) {
//! if error.api_error().and_then(|e| e.code.as_deref()) == Some(abilitec::OPTED_OUT) {
//!     // the consumer opted out: drop the record
//! }
//! # }
//! ```

/// Unhandled error (system/OS error); 400.
pub const UNHANDLED: &str = "600-0000";
/// Internal server error; 400.
pub const INTERNAL: &str = "600-0010";
/// Authorization error; 403.
pub const AUTHORIZATION: &str = "600-0020";
/// Username, tenant and role not authorized; 403.
pub const NOT_AUTHORIZED: &str = "600-0025";
/// Document not found; 404.
pub const NOT_FOUND: &str = "600-0030";
/// Invalid document ID; 400.
pub const INVALID_DOCUMENT_ID: &str = "600-0031";
/// Invalid document class; 400.
pub const INVALID_DOCUMENT_CLASS: &str = "600-0032";
/// Unknown path; 400.
pub const UNKNOWN_PATH: &str = "600-0033";
/// Missing parameter; 400.
pub const MISSING_PARAMETER: &str = "600-0040";
/// Invalid data type; 400.
pub const INVALID_DATA_TYPE: &str = "600-0041";
/// Invalid content type; 400.
pub const INVALID_CONTENT_TYPE: &str = "600-0042";
/// Invalid request value (e.g. a `zipCode` of `94107f`); 400.
pub const INVALID_REQUEST_VALUE: &str = "600-0043";
/// AbiliTec link error; 400.
pub const LINK_ERROR: &str = "600-0044";
/// Invalid request parameter; 400.
pub const INVALID_REQUEST_PARAMETER: &str = "600-0045";
/// Conflicting values for parameter and header; 400.
pub const CONFLICTING_VALUES: &str = "600-0050";
/// Method not allowed; 405.
pub const METHOD_NOT_ALLOWED: &str = "600-0052";
/// Batch request limit exceeded (more than 1,000 items); 400.
pub const BATCH_LIMIT_EXCEEDED: &str = "600-0060";
/// Generic backend service error; 400.
pub const BACKEND_0070: &str = "600-0070";
/// Generic backend service error; 400.
pub const BACKEND_0080: &str = "600-0080";
/// Generic backend service error; 400.
pub const BACKEND_0095: &str = "600-0095";
/// Generic backend service error; 400.
pub const BACKEND_0100: &str = "600-0100";
/// Opted-out entity; 404.
pub const OPTED_OUT: &str = "600-0117";

/// Every documented code: (code, HTTP status, meaning).
pub const CODES: &[(&str, u16, &str)] = &[
    (UNHANDLED, 400, "unhandled error (system/OS error)"),
    (INTERNAL, 400, "internal server error"),
    (AUTHORIZATION, 403, "authorization error"),
    (
        NOT_AUTHORIZED,
        403,
        "username, tenant and role not authorized",
    ),
    (NOT_FOUND, 404, "document not found"),
    (INVALID_DOCUMENT_ID, 400, "invalid document ID"),
    (INVALID_DOCUMENT_CLASS, 400, "invalid document class"),
    (UNKNOWN_PATH, 400, "unknown path"),
    (MISSING_PARAMETER, 400, "missing parameter"),
    (INVALID_DATA_TYPE, 400, "invalid data type"),
    (INVALID_CONTENT_TYPE, 400, "invalid content type"),
    (INVALID_REQUEST_VALUE, 400, "invalid request value"),
    (LINK_ERROR, 400, "AbiliTec link error"),
    (INVALID_REQUEST_PARAMETER, 400, "invalid request parameter"),
    (
        CONFLICTING_VALUES,
        400,
        "conflicting values for parameter and header",
    ),
    (METHOD_NOT_ALLOWED, 405, "method not allowed"),
    (BATCH_LIMIT_EXCEEDED, 400, "batch request limit exceeded"),
    (BACKEND_0070, 400, "generic backend service error"),
    (BACKEND_0080, 400, "generic backend service error"),
    (BACKEND_0095, 400, "generic backend service error"),
    (BACKEND_0100, 400, "generic backend service error"),
    (OPTED_OUT, 404, "opted-out entity"),
];

/// The documented meaning of `code`; `000-` codes are the API gateway's.
pub fn meaning(code: &str) -> Option<&'static str> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, meaning)| *meaning)
        .or_else(|| code.starts_with("000-").then_some("API gateway error"))
}

/// The HTTP status documented with `code`.
pub fn status(code: &str) -> Option<u16> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, status, _)| *status)
}
