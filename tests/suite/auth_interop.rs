//! The grants against oauth2-mock-server, a real OAuth2 server we did not write: it issues
//! RS256-signed JWTs with `exp` for both the password and the client-credentials grant.

use crate::common;

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::peers::Peer;
use liveramp::auth::{
    AuthError, BoxFuture, ClientCredentials, ClientCredentialsGrant, Fetch, FetchedToken,
    PasswordGrant, ServiceAccountCredentials, TokenCache, TokenSource,
};

fn oauth2_server() -> Peer {
    Peer::spawn(
        "oauth2-mock-server",
        &["-a", "127.0.0.1", "-p", "{port}"],
        "listening on http://127.0.0.1:{port}",
    )
}

fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A fetcher that announces a longer `expires_in` than the server did, so that only the JWT
/// `exp` can give the cache the real lifetime.
#[derive(Debug)]
struct LongExpiresIn<F>(F);

impl<F: Fetch> Fetch for LongExpiresIn<F> {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        Box::pin(async move {
            let mut fetched = self.0.fetch().await?;
            fetched.expires_in = Some(Duration::from_secs(24 * 3600));
            Ok(fetched)
        })
    }
}

/// Checks that `token` is a signed JWT whose `exp` lies about an hour ahead.
fn assert_signed_jwt_expiring_in_an_hour(fetched: &FetchedToken) {
    let token = fetched.token.expose();
    assert_eq!(token.split('.').count(), 3);
    assert!(!token.split('.').nth(2).unwrap().is_empty(), "signed");
    let exp = fetched.token.jwt_expiry().expect("the JWT has exp");
    let ahead = exp.duration_since(SystemTime::now()).unwrap();
    assert!(
        ahead > Duration::from_secs(3500) && ahead <= Duration::from_secs(3600),
        "{ahead:?}"
    );
}

/// Checks that a cache over `fetcher` takes the token's lifetime from its JWT `exp`.
async fn assert_cache_reads_exp(fetcher: impl Fetch) {
    let cache = TokenCache::new(LongExpiresIn(fetcher));
    let token = cache.token().await.unwrap();
    assert!(token.jwt_expiry().is_some());
    let remaining = cache.remaining().unwrap();
    assert!(
        remaining > Duration::from_secs(3500) && remaining <= Duration::from_secs(3600),
        "the cache must use the JWT exp, not the announced 24 h: {remaining:?}"
    );
}

#[tokio::test]
async fn the_password_grant_gets_a_signed_jwt_and_the_cache_reads_its_exp() {
    let server = oauth2_server();
    let credentials = ServiceAccountCredentials::from_json(
        &serde_json::json!({
            "type": "serviceAccount/v2",
            "uid": "00u1nmeo9zo99s233357",
            "account_id": "svc@serviceaccounts.liveramp.com",
            "secret_key": "not-checked-by-the-mock",
            "client_id": "liveramp-api",
            "token_uri": format!("{}/token", server.url()),
        })
        .to_string(),
    )
    .unwrap();
    let grant = PasswordGrant::new(credentials).unwrap();
    let fetched = grant.fetch().await.unwrap();
    assert_signed_jwt_expiring_in_an_hour(&fetched);
    let claims = claims(fetched.token.expose());
    // The server puts the grant's username in `sub` and marks a password login.
    assert_eq!(claims["sub"], "svc@serviceaccounts.liveramp.com");
    assert_eq!(claims["amr"][0], "pwd");
    assert_eq!(claims["scope"], "openid");
    assert_cache_reads_exp(grant).await;
}

#[tokio::test]
async fn the_client_credentials_grant_gets_a_signed_jwt_and_the_cache_reads_its_exp() {
    let server = oauth2_server();
    let grant = ClientCredentialsGrant::new(
        &format!("{}/token", server.url()),
        ClientCredentials::new("abilitec-client", "not-checked-by-the-mock"),
    )
    .unwrap();
    let fetched = grant.fetch().await.unwrap();
    assert_signed_jwt_expiring_in_an_hour(&fetched);
    assert_eq!(fetched.expires_in, Some(Duration::from_secs(3600)));
    assert_cache_reads_exp(grant).await;
}
