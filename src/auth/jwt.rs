//! The expiry of a JWT access token, read from its payload (the signature is not checked: the
//! token is only ever sent back to the server that issued it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `exp` claim of `token` when it is a JWT with a numeric `exp`.
pub(crate) fn expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    if !exp.is_finite() || exp < 0.0 {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(exp).ok()?)
}

/// How long `token` lives after `now` according to its `exp` (zero when already past).
pub(crate) fn remaining(token: &str, now: SystemTime) -> Option<Duration> {
    let exp = expiry(token)?;
    Some(exp.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_exp_from_the_payload() {
        let token = jwt(r#"{"iat":1572036437,"exp":1572037037}"#);
        assert_eq!(
            expiry(&token),
            Some(UNIX_EPOCH + Duration::from_secs(1_572_037_037))
        );
        let now = UNIX_EPOCH + Duration::from_secs(1_572_036_437);
        assert_eq!(remaining(&token, now), Some(Duration::from_secs(600)));
        let later = UNIX_EPOCH + Duration::from_secs(1_572_040_000);
        assert_eq!(remaining(&token, later), Some(Duration::ZERO));
    }

    #[test]
    fn reads_the_documented_consent_token() {
        // The payload of the access token shown in the Consent Files documentation.
        let payload = "eyJ2ZXIiOjEsImp0aSI6IkFULmZXdVhpNWxoekxZOTBEVHBMTG9fN01FbDB4eUJ1em9mYWIxaTRpRjlQM3ciLCJpc3MiOiJodHRwczovL3Nzby5saXZlcmFtcC5jb20vb2F1dGgyL2RlZmF1bHQiLCJhdWQiOiJhcGk6Ly9kZWZhdWx0IiwiaWF0IjoxNTcyMDM2NDM3LCJleHAiOjE1NzIwMzcwMzcsImNpZCI6ImxpdmVyYW1wLWFwaSIsInVpZCI6IjAwdTFvMnBsc2h0amRxZW4yMzU3Iiwic2NwIjpbIm9wZW5pZCJdLCJzdWIiOiJuaWNrcy1qdW5rLXE5emRxMzMxQHNlcnZpY2VhY2NvdW50cy5saXZlcmFtcC5jb20ifQ";
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig");
        assert_eq!(
            expiry(&token),
            Some(UNIX_EPOCH + Duration::from_secs(1_572_037_037))
        );
    }

    #[test]
    fn opaque_and_malformed_tokens_have_no_expiry() {
        assert_eq!(expiry("920d8f37-5e10-453a-8e87-8e28ae37cc90"), None);
        assert_eq!(expiry("a.b"), None);
        assert_eq!(expiry("a.!!!.c"), None);
        assert_eq!(expiry(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(expiry(&jwt(r#"{"iat":1}"#)), None);
        assert_eq!(expiry(&format!("{}.x", jwt(r#"{"exp":1}"#))), None);
    }
}
