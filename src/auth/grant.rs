//! The two OAuth grants LiveRamp uses: password (service accounts) and client credentials
//! (AbiliTec). Each is a [`Fetch`]: put it in a [`TokenCache`](super::TokenCache).

use std::time::Duration;

use super::endpoint::{DEFAULT_TOKEN_TIMEOUT, TokenEndpoint};
use super::{
    AuthError, BoxFuture, ClientCredentials, Fetch, FetchedToken, ServiceAccountCredentials,
};

/// The password grant of a service account: `grant_type=password`, `username=<account_id>`,
/// `password=<secret_key>`, `scope=openid`, `client_id`, `response_type=token`, form-encoded,
/// POSTed to the credentials' `token_uri`.
#[derive(Debug, Clone)]
pub struct PasswordGrant {
    endpoint: TokenEndpoint,
    credentials: ServiceAccountCredentials,
}

impl PasswordGrant {
    /// The grant for `credentials` at their `token_uri`, with the default 30 s request
    /// timeout. Fails unless the `token_uri` is https to a LiveRamp host, or loopback: a
    /// tampered credentials file must not send the secret key elsewhere ([`Self::at`] takes
    /// another URL).
    pub fn new(credentials: ServiceAccountCredentials) -> Result<Self, AuthError> {
        Self::with_timeout(credentials, DEFAULT_TOKEN_TIMEOUT)
    }

    /// [`Self::new`], each token request timing out after `timeout`.
    pub fn with_timeout(
        credentials: ServiceAccountCredentials,
        timeout: Duration,
    ) -> Result<Self, AuthError> {
        let token_url = trusted_token_uri(credentials.token_uri())?;
        Self::at(credentials, &token_url, timeout)
    }

    /// The grant for `credentials` at `token_url`, whatever their `token_uri` says, each
    /// token request timing out after `timeout`. Fails when `token_url` is not https
    /// (loopback excepted).
    ///
    /// ```
    /// # fn main() -> Result<(), liveramp::auth::AuthError> {
    /// use liveramp::auth::{PasswordGrant, ServiceAccountCredentials};
    /// let credentials = ServiceAccountCredentials::new(
    ///     "svc-account",
    ///     "secret-key",
    ///     "liveramp-api",
    ///     "https://sso.example.com/token",
    /// );
    /// let grant = PasswordGrant::at(
    ///     credentials,
    ///     "https://sso.example.com/token",
    ///     std::time::Duration::from_secs(10),
    /// )?;
    /// assert_eq!(grant.token_url(), "https://sso.example.com/token");
    /// # Ok(())
    /// # }
    /// ```
    pub fn at(
        credentials: ServiceAccountCredentials,
        token_url: &str,
        timeout: Duration,
    ) -> Result<Self, AuthError> {
        let endpoint = TokenEndpoint::new(token_url, timeout)?;
        Ok(Self {
            endpoint,
            credentials,
        })
    }

    /// The grant for `credentials` at `token_url`, sending its requests through `client`.
    pub(crate) fn on(
        credentials: ServiceAccountCredentials,
        token_url: &str,
        timeout: Duration,
        client: reqwest::Client,
        limiters: std::sync::Arc<crate::limit::Limiters>,
    ) -> Result<Self, AuthError> {
        let endpoint = TokenEndpoint::with_client(token_url, timeout, client, limiters)?;
        Ok(Self {
            endpoint,
            credentials,
        })
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        self.endpoint.url().as_str()
    }
}

/// The hosts a credentials file's `token_uri` may name without an explicit token URL
/// ([`Config::with_token_url`](crate::Config::with_token_url), [`PasswordGrant::at`]).
const TRUSTED_TOKEN_HOSTS: [&str; 1] = ["liveramp.com"];

/// `token_uri` if it is https to a LiveRamp host (or loopback): a tampered credentials file
/// must not be able to send the secret key elsewhere.
pub(crate) fn trusted_token_uri(token_uri: &str) -> Result<String, AuthError> {
    let url = crate::config::check_url(token_uri)?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let trusted = crate::config::is_loopback(&url)
        || TRUSTED_TOKEN_HOSTS
            .iter()
            .any(|t| host == *t || host.ends_with(&format!(".{t}")));
    if trusted {
        Ok(token_uri.to_owned())
    } else {
        Err(AuthError::config(format!(
            "the credentials file's token_uri `{}` is not a LiveRamp host, so the secret key \
             is not sent there: the file may have been tampered with; download it again from \
             LiveRamp (a token endpoint of your own goes in LIVERAMP_TOKEN_URL)",
            url.origin().ascii_serialization()
        ))
        .with_field("token_uri"))
    }
}

impl Fetch for PasswordGrant {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        let c = &self.credentials;
        Box::pin(self.endpoint.request_owned(vec![
            ("grant_type", "password".to_owned()),
            ("username", c.account_id().to_owned()),
            ("password", c.secret_key().expose().to_owned()),
            ("scope", "openid".to_owned()),
            ("client_id", c.client_id().to_owned()),
            ("response_type", "token".to_owned()),
        ]))
    }
}

/// How a client-credentials grant presents the client's ID and secret to the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body, as LiveRamp's "About AbiliTec
    /// Authentication" page shows.
    #[default]
    Body,
    /// HTTP Basic (`Authorization: Basic base64(client_id:client_secret)`) with only
    /// `grant_type` in the body, as the token request of LiveRamp's "API Roles" page
    /// (`curl -u id:secret`) shows.
    Basic,
}

/// The client-credentials grant (AbiliTec): `client_id`, `client_secret`,
/// `grant_type=client_credentials`, form-encoded, or the ID and secret as HTTP Basic
/// ([`ClientAuth`]). There is no refresh token: each fetch is a new grant.
#[derive(Debug, Clone)]
pub struct ClientCredentialsGrant {
    endpoint: TokenEndpoint,
    credentials: ClientCredentials,
    auth: ClientAuth,
}

impl ClientCredentialsGrant {
    /// The grant at `token_url` with the default 30 s request timeout. Fails when `token_url`
    /// is not https (loopback excepted).
    pub fn new(token_url: &str, credentials: ClientCredentials) -> Result<Self, AuthError> {
        Self::with_timeout(token_url, credentials, DEFAULT_TOKEN_TIMEOUT)
    }

    /// The grant at `token_url`, each token request timing out after `timeout`.
    pub fn with_timeout(
        token_url: &str,
        credentials: ClientCredentials,
        timeout: Duration,
    ) -> Result<Self, AuthError> {
        let endpoint = TokenEndpoint::new(token_url, timeout)?;
        Ok(Self {
            endpoint,
            credentials,
            auth: ClientAuth::default(),
        })
    }

    /// The same grant presenting the client's ID and secret as `auth` says.
    pub fn with_client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The grant at `token_url`, sending its requests through `client`.
    pub(crate) fn on(
        token_url: &str,
        credentials: ClientCredentials,
        timeout: Duration,
        client: reqwest::Client,
        limiters: std::sync::Arc<crate::limit::Limiters>,
    ) -> Result<Self, AuthError> {
        let endpoint = TokenEndpoint::with_client(token_url, timeout, client, limiters)?;
        Ok(Self {
            endpoint,
            credentials,
            auth: ClientAuth::default(),
        })
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        self.endpoint.url().as_str()
    }
}

impl Fetch for ClientCredentialsGrant {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        let c = &self.credentials;
        let (id, secret) = (
            c.client_id().to_owned(),
            c.client_secret().expose().to_owned(),
        );
        let grant = ("grant_type", "client_credentials".to_owned());
        match self.auth {
            ClientAuth::Body => Box::pin(self.endpoint.request_owned(vec![
                ("client_id", id),
                ("client_secret", secret),
                grant,
            ])),
            ClientAuth::Basic => Box::pin(
                self.endpoint
                    .request_owned_as(vec![grant], Some((id, secret))),
            ),
        }
    }
}
