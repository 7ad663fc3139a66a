//! The token endpoints and the JWT-shaped access tokens they issue.
//!
//! A token is `header.payload.signature`, each part base64url without padding; the header is
//! `{"alg":"HS256","typ":"JWT","kid":"sandbox"}`, the payload carries `iss`, `aud`, `sub`,
//! `cid`, `iat`, `exp` and `jti`, and the signature is an HMAC-SHA256 of `header.payload`
//! under the sandbox's own random key. A token is accepted while the sandbox clock is before
//! its `exp`, only by the APIs of its audience.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::credentials::{ABILITEC_CLIENT_ID, SERVICE_ACCOUNT_CLIENT_ID, SERVICE_ACCOUNT_ID};
use crate::faults::TokenLifetime;
use crate::signing::{b64, unb64};
use crate::state::{AppState, Op, Shared};

/// The service-account token endpoint's path.
pub(crate) const SERVICE_ACCOUNT_TOKEN_PATH: &str = "/sso/oauth2/default/v2/token";
/// The AbiliTec token endpoint's path.
pub(crate) const ABILITEC_TOKEN_PATH: &str = "/abilitec/token";

/// Which APIs accept a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Activation v2 and Consent (service-account password grant).
    ServiceAccount,
    /// AbiliTec (client credentials).
    AbiliTec,
}

impl Audience {
    fn as_str(self) -> &'static str {
        match self {
            Self::ServiceAccount => "api://default",
            Self::AbiliTec => "abilitec",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    cid: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// The token endpoints.
pub(crate) fn ops() -> Vec<Op> {
    vec![
        Op::post(
            "service_account_token",
            SERVICE_ACCOUNT_TOKEN_PATH,
            service_account_token,
        ),
        Op::post("abilitec_token", ABILITEC_TOKEN_PATH, abilitec_token),
        Op::post(
            "abilitec_token",
            "/abilitec/v1/oauth2/token",
            abilitec_token,
        ),
    ]
}

/// A signed token for `audience`, living `ttl` seconds from now.
pub(crate) fn issue(shared: &Shared, audience: Audience, sub: &str, cid: &str, ttl: u64) -> String {
    let iat = shared.clock.unix();
    let claims = Claims {
        iss: shared.base_url.clone(),
        aud: audience.as_str().into(),
        sub: sub.into(),
        cid: cid.into(),
        iat,
        exp: iat.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let header = b64(br#"{"alg":"HS256","typ":"JWT","kid":"sandbox"}"#);
    let payload = b64(&serde_json::to_vec(&claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let signature = shared.signer.sign(signing_input.as_bytes());
    format!("{signing_input}.{signature}")
}

/// Whether the request carries `Authorization: Bearer <token>` with a token of this
/// sandbox, for `audience`, not expired.
pub(crate) fn authorized(shared: &Shared, headers: &HeaderMap, audience: Audience) -> bool {
    let Some(token) = bearer(headers) else {
        return false;
    };
    let mut parts = token.split('.');
    let (Some(head), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if !shared
        .signer
        .verify(format!("{head}.{payload}").as_bytes(), signature)
    {
        return false;
    }
    let Some(claims) = unb64(payload).and_then(|p| serde_json::from_slice::<Claims>(&p).ok())
    else {
        return false;
    };
    claims.aud == audience.as_str() && shared.clock.unix() < claims.exp
}

/// The bearer token of the request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The client ID and secret of an `Authorization: Basic` header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn lifetime(override_: Option<axum::Extension<TokenLifetime>>, default: u64) -> u64 {
    override_.map_or(default, |axum::Extension(TokenLifetime(s))| s)
}

/// `POST /sso/oauth2/default/v2/token`: the service-account password grant.
async fn service_account_token(
    State(shared): State<AppState>,
    lifetime_override: Option<axum::Extension<TokenLifetime>>,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let field = |k: &str| f.get(k).map(String::as_str);
    if field("grant_type") != Some("password") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    if field("scope") != Some("openid") || field("response_type") != Some("token") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "scope must be openid and response_type must be token.",
        );
    }
    if field("client_id") != Some(SERVICE_ACCOUNT_CLIENT_ID) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    }
    if field("username") != Some(SERVICE_ACCOUNT_ID)
        || field("password") != Some(shared.credentials.service_account_secret.as_str())
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "The credentials provided were invalid.",
        );
    }
    let ttl = lifetime(
        lifetime_override,
        shared.config.service_account_token_ttl.as_secs(),
    );
    let token = issue(
        &shared,
        Audience::ServiceAccount,
        SERVICE_ACCOUNT_ID,
        SERVICE_ACCOUNT_CLIENT_ID,
        ttl,
    );
    Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": "openid",
    }))
    .into_response()
}

/// `POST /abilitec/token`: the AbiliTec client-credentials grant.
async fn abilitec_token(
    State(shared): State<AppState>,
    lifetime_override: Option<axum::Extension<TokenLifetime>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut f = form(&body);
    // The client may authenticate with HTTP Basic instead of the form fields.
    if let Some((id, secret)) = basic(&headers) {
        f.insert("client_id".into(), id);
        f.insert("client_secret".into(), secret);
    }
    let field = |k: &str| f.get(k).map(String::as_str);
    let bad =
        |error: &str, description: &str| oauth_error(StatusCode::BAD_REQUEST, error, description);
    let Some(grant_type) = field("grant_type") else {
        return bad("invalid_request", "Missing grant_type");
    };
    if grant_type != "client_credentials" {
        return bad(
            "unauthorized_client",
            "grant_type must be client_credentials",
        );
    }
    let (Some(id), Some(secret)) = (field("client_id"), field("client_secret")) else {
        return bad("invalid_request", "Missing client_id or client_secret");
    };
    if id != ABILITEC_CLIENT_ID || secret != shared.credentials.abilitec_client_secret {
        return bad("invalid_client", "Client authentication failed");
    }
    let ttl = lifetime(
        lifetime_override,
        shared.config.abilitec_token_ttl.as_secs(),
    );
    let token = issue(&shared, Audience::AbiliTec, id, id, ttl);
    Json(json!({ "access_token": token, "token_type": "Bearer", "expires_in": ttl }))
        .into_response()
}
