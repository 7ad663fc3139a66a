//! [`Config`]: API base URLs and credentials, from the environment or set in code, and one
//! constructor per API that returns an authenticated client.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Url;

use crate::auth::{
    AuthError, CachePolicy, ClientCredentials, ClientCredentialsGrant, DEFAULT_TOKEN_TIMEOUT,
    PasswordGrant, Secret, ServiceAccountCredentials, TokenCache, TokenSource,
};

/// The production base URL of the Activation API v2.
pub const ACTIVATION_URL: &str = "https://api.liveramp.com/activation";
/// The production base URL of the legacy Activation API v1.
pub const ACTIVATION_V1_URL: &str = "https://api.liveramp.com";
/// The production base URL of the Consent Files Service API.
pub const CONSENT_URL: &str = "https://api.liveramp.com/privacy";
/// The production base URL of the AbiliTec API.
pub const ABILITEC_URL: &str = "https://us.identity.api.liveramp.com/v1";
/// The production token endpoint of the AbiliTec API.
pub const ABILITEC_TOKEN_URL: &str = "https://us.identity.api.liveramp.com/token";
/// The production base URL of the Data Integration legacy API.
pub const DATA_INTEGRATION_URL: &str = "https://console.rivery.io/api";

/// Parses `url` and checks that it is https, or http to a loopback host (`localhost`,
/// `127.0.0.0/8`, `::1`), and carries no user name or password.
pub fn check_url(url: &str) -> Result<Url, AuthError> {
    let parsed = Url::parse(url)
        .map_err(|e| AuthError::config(format!("`{url}` is not a valid URL ({e})")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(AuthError::config(
            "a URL must not carry a user name or password",
        ));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        _ => Err(AuthError::config(format!(
            "`{parsed}` must be an https URL (plain http is allowed only to loopback)"
        ))),
    }
}

/// Whether `url`'s host is `localhost` or a loopback address.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Where the service-account credentials come from.
#[derive(Debug, Clone)]
enum ServiceAccount {
    File(PathBuf),
    Loaded(ServiceAccountCredentials),
}

/// Base URLs and credentials for every API, and a constructor for each API's client.
///
/// Settings come from the environment ([`Config::from_env`]), from a map
/// ([`Config::from_vars`]) or from the `with_*` methods. Token sources are built once per
/// `Config` (and its clones) and shared by the clients made from it.
///
/// ```no_run
/// # #[cfg(feature = "consent")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = liveramp::Config::from_env()?; // LIVERAMP_CREDENTIALS=credentials.json
/// let consent = config.consent()?;
/// let files = consent.list_consent_files().send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    activation_url: String,
    activation_v1_url: String,
    consent_url: String,
    abilitec_url: String,
    abilitec_token_url: String,
    data_integration_url: String,
    service_account: Option<ServiceAccount>,
    org_id: Option<String>,
    abilitec: Option<ClientCredentials>,
    data_integration_token: Option<Secret>,
    activation_v1_api_key: Option<Secret>,
    token_timeout: Duration,
    cache_policy: CachePolicy,
    service_account_tokens: Arc<OnceLock<Arc<dyn TokenSource>>>,
    abilitec_tokens: Arc<OnceLock<Arc<dyn TokenSource>>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            activation_url: ACTIVATION_URL.to_owned(),
            activation_v1_url: ACTIVATION_V1_URL.to_owned(),
            consent_url: CONSENT_URL.to_owned(),
            abilitec_url: ABILITEC_URL.to_owned(),
            abilitec_token_url: ABILITEC_TOKEN_URL.to_owned(),
            data_integration_url: DATA_INTEGRATION_URL.to_owned(),
            service_account: None,
            org_id: None,
            abilitec: None,
            data_integration_token: None,
            activation_v1_api_key: None,
            token_timeout: DEFAULT_TOKEN_TIMEOUT,
            cache_policy: CachePolicy::default(),
            service_account_tokens: Arc::default(),
            abilitec_tokens: Arc::default(),
        }
    }
}

impl Config {
    /// Production URLs and no credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Settings from the process environment; see [`Config::from_vars`] for the variables.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Settings from `vars` (name, value) pairs; unset or empty variables keep the defaults:
    ///
    /// | variable | setting |
    /// |---|---|
    /// | `LIVERAMP_CREDENTIALS` | path of the service-account credentials file (Activation, Consent) |
    /// | `LIVERAMP_ORG_ID` | the `LR-Org-ID` header (Activation) |
    /// | `LIVERAMP_ABILITEC_CLIENT_ID`, `LIVERAMP_ABILITEC_CLIENT_SECRET` | AbiliTec client credentials |
    /// | `LIVERAMP_DATA_INTEGRATION_TOKEN` | Data Integration API token |
    /// | `LIVERAMP_ACTIVATION_V1_API_KEY` | Activation v1 `x-api-key` |
    /// | `LIVERAMP_ACTIVATION_URL`, `LIVERAMP_ACTIVATION_V1_URL`, `LIVERAMP_CONSENT_URL`, `LIVERAMP_ABILITEC_URL`, `LIVERAMP_ABILITEC_TOKEN_URL`, `LIVERAMP_DATA_INTEGRATION_URL` | base URLs |
    ///
    /// URLs are checked here (https unless loopback); the credentials file is read when a
    /// client that needs it is built.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self, AuthError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_owned());
        let mut config = Self::default();
        let urls: [(&str, &mut String); 6] = [
            ("LIVERAMP_ACTIVATION_URL", &mut config.activation_url),
            ("LIVERAMP_ACTIVATION_V1_URL", &mut config.activation_v1_url),
            ("LIVERAMP_CONSENT_URL", &mut config.consent_url),
            ("LIVERAMP_ABILITEC_URL", &mut config.abilitec_url),
            (
                "LIVERAMP_ABILITEC_TOKEN_URL",
                &mut config.abilitec_token_url,
            ),
            (
                "LIVERAMP_DATA_INTEGRATION_URL",
                &mut config.data_integration_url,
            ),
        ];
        for (name, slot) in urls {
            if let Some(url) = get(name) {
                check_url(&url).map_err(|e| AuthError::config(format!("{name}: {e}")))?;
                *slot = url;
            }
        }
        config.service_account =
            get(crate::auth::CREDENTIALS_ENV).map(|path| ServiceAccount::File(PathBuf::from(path)));
        config.org_id = get("LIVERAMP_ORG_ID");
        config.abilitec = match (
            get("LIVERAMP_ABILITEC_CLIENT_ID"),
            vars.get("LIVERAMP_ABILITEC_CLIENT_SECRET"),
        ) {
            (Some(id), Some(secret)) => Some(ClientCredentials::new(id, secret.as_str())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(AuthError::config(
                    "LIVERAMP_ABILITEC_CLIENT_ID is set but LIVERAMP_ABILITEC_CLIENT_SECRET is not",
                ));
            }
            (None, Some(_)) => {
                return Err(AuthError::config(
                    "LIVERAMP_ABILITEC_CLIENT_SECRET is set but LIVERAMP_ABILITEC_CLIENT_ID is not",
                ));
            }
        };
        config.data_integration_token = vars
            .get("LIVERAMP_DATA_INTEGRATION_TOKEN")
            .map(|t| Secret::new(t.trim()));
        config.activation_v1_api_key = vars
            .get("LIVERAMP_ACTIVATION_V1_API_KEY")
            .map(|k| Secret::new(k.trim()));
        Ok(config)
    }

    /// Uses these service-account credentials (Activation, Consent).
    pub fn with_credentials(mut self, credentials: ServiceAccountCredentials) -> Self {
        self.service_account = Some(ServiceAccount::Loaded(credentials));
        self.service_account_tokens = Arc::default();
        self
    }

    /// Reads the service-account credentials from this file when a client needs them.
    pub fn with_credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.service_account = Some(ServiceAccount::File(path.into()));
        self.service_account_tokens = Arc::default();
        self
    }

    /// Uses `tokens` for the service-account APIs (Activation, Consent) instead of the password
    /// grant: plug in your own [`TokenSource`] here.
    pub fn with_service_account_tokens(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.service_account_tokens = Arc::new(OnceLock::from(tokens));
        self
    }

    /// Sends `LR-Org-ID: org_id` to the Activation API.
    pub fn with_org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// Uses these AbiliTec client credentials.
    pub fn with_abilitec_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.abilitec = Some(credentials);
        self.abilitec_tokens = Arc::default();
        self
    }

    /// Uses this Data Integration API token.
    pub fn with_data_integration_token(mut self, token: impl Into<Secret>) -> Self {
        self.data_integration_token = Some(token.into());
        self
    }

    /// Sends `x-api-key: key` to the Activation v1 API.
    pub fn with_activation_v1_api_key(mut self, key: impl Into<Secret>) -> Self {
        self.activation_v1_api_key = Some(key.into());
        self
    }

    /// The Activation v2 base URL.
    pub fn with_activation_url(mut self, url: impl Into<String>) -> Self {
        self.activation_url = url.into();
        self
    }

    /// The Activation v1 base URL.
    pub fn with_activation_v1_url(mut self, url: impl Into<String>) -> Self {
        self.activation_v1_url = url.into();
        self
    }

    /// The Consent Files base URL.
    pub fn with_consent_url(mut self, url: impl Into<String>) -> Self {
        self.consent_url = url.into();
        self
    }

    /// The AbiliTec base URL.
    pub fn with_abilitec_url(mut self, url: impl Into<String>) -> Self {
        self.abilitec_url = url.into();
        self
    }

    /// The AbiliTec token endpoint.
    pub fn with_abilitec_token_url(mut self, url: impl Into<String>) -> Self {
        self.abilitec_token_url = url.into();
        self.abilitec_tokens = Arc::default();
        self
    }

    /// The Data Integration base URL.
    pub fn with_data_integration_url(mut self, url: impl Into<String>) -> Self {
        self.data_integration_url = url.into();
        self
    }

    /// The timeout of one token request (default 30 s).
    pub fn with_token_timeout(mut self, timeout: Duration) -> Self {
        self.token_timeout = timeout;
        self.service_account_tokens = Arc::default();
        self.abilitec_tokens = Arc::default();
        self
    }

    /// The timing rules of the token caches.
    pub fn with_cache_policy(mut self, policy: CachePolicy) -> Self {
        self.cache_policy = policy;
        self.service_account_tokens = Arc::default();
        self.abilitec_tokens = Arc::default();
        self
    }

    /// The `LR-Org-ID` sent to the Activation API, if set.
    pub fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// The service-account token source shared by the Activation and Consent clients.
    pub fn service_account_tokens(&self) -> Result<Arc<dyn TokenSource>, AuthError> {
        if let Some(tokens) = self.service_account_tokens.get() {
            return Ok(Arc::clone(tokens));
        }
        let credentials = match &self.service_account {
            Some(ServiceAccount::Loaded(credentials)) => credentials.clone(),
            Some(ServiceAccount::File(path)) => ServiceAccountCredentials::from_file(path)?,
            None => {
                return Err(AuthError::config(
                    "no service-account credentials: set LIVERAMP_CREDENTIALS to the path of the \
                     credentials file, or call Config::with_credentials",
                ));
            }
        };
        let grant = PasswordGrant::with_timeout(credentials, self.token_timeout)?;
        let tokens: Arc<dyn TokenSource> =
            Arc::new(TokenCache::with_policy(grant, self.cache_policy.clone()));
        Ok(Arc::clone(
            self.service_account_tokens.get_or_init(|| tokens),
        ))
    }

    /// The AbiliTec token source (client-credentials grant).
    pub fn abilitec_tokens(&self) -> Result<Arc<dyn TokenSource>, AuthError> {
        if let Some(tokens) = self.abilitec_tokens.get() {
            return Ok(Arc::clone(tokens));
        }
        let credentials = self.abilitec.clone().ok_or_else(|| {
            AuthError::config(
                "no AbiliTec credentials: set LIVERAMP_ABILITEC_CLIENT_ID and \
                 LIVERAMP_ABILITEC_CLIENT_SECRET, or call Config::with_abilitec_credentials",
            )
        })?;
        let grant = ClientCredentialsGrant::with_timeout(
            &self.abilitec_token_url,
            credentials,
            self.token_timeout,
        )?;
        let tokens: Arc<dyn TokenSource> =
            Arc::new(TokenCache::with_policy(grant, self.cache_policy.clone()));
        Ok(Arc::clone(self.abilitec_tokens.get_or_init(|| tokens)))
    }

    /// The HTTP client of the API clients, sending `headers` with every request.
    #[cfg(any(
        feature = "activation",
        feature = "activation-v1",
        feature = "consent",
        feature = "abilitec",
        feature = "data-integration"
    ))]
    fn api_http_client(
        &self,
        headers: reqwest::header::HeaderMap,
    ) -> Result<reqwest::Client, AuthError> {
        crate::http::client_builder()
            .default_headers(headers)
            .build()
            .map_err(|e| AuthError::config("cannot build the HTTP client").with_source(e))
    }

    /// A transport with a bearer token from `tokens`.
    #[cfg(any(
        feature = "consent",
        feature = "abilitec",
        feature = "data-integration"
    ))]
    fn bearer_transport(tokens: Arc<dyn TokenSource>) -> crate::transport::Transport {
        crate::transport::Transport::builder()
            .token_source(tokens)
            .build()
    }

    /// The Consent Files client, authenticated with the service account.
    #[cfg(feature = "consent")]
    pub fn consent(&self) -> Result<crate::consent::Client, AuthError> {
        check_url(&self.consent_url)?;
        let transport = Self::bearer_transport(self.service_account_tokens()?);
        let http = self.api_http_client(Default::default())?;
        Ok(crate::consent::Client::new_with_client(
            &self.consent_url,
            http,
            transport,
        ))
    }

    /// The Activation v2 client, authenticated with the service account and sending the org
    /// ID (required).
    #[cfg(feature = "activation")]
    pub fn activation(&self) -> Result<crate::activation::Client, AuthError> {
        check_url(&self.activation_url)?;
        let org_id = self.org_id.as_deref().ok_or_else(|| {
            AuthError::config(
                "the Activation API needs an org ID: set LIVERAMP_ORG_ID or call \
                 Config::with_org_id",
            )
        })?;
        let transport = crate::transport::Transport::builder()
            .token_source(self.service_account_tokens()?)
            .org_id(org_id)?
            .build();
        let http = self.api_http_client(Default::default())?;
        Ok(crate::activation::Client::new_with_client(
            &self.activation_url,
            http,
            transport,
        ))
    }

    /// The AbiliTec client, authenticated with the client-credentials grant.
    #[cfg(feature = "abilitec")]
    pub fn abilitec(&self) -> Result<crate::abilitec::Client, AuthError> {
        check_url(&self.abilitec_url)?;
        let transport = Self::bearer_transport(self.abilitec_tokens()?);
        let http = self.api_http_client(Default::default())?;
        Ok(crate::abilitec::Client::new_with_client(
            &self.abilitec_url,
            http,
            transport,
        ))
    }

    /// The Data Integration client, authenticated with the API token.
    #[cfg(feature = "data-integration")]
    pub fn data_integration(&self) -> Result<crate::data_integration::Client, AuthError> {
        check_url(&self.data_integration_url)?;
        let token = self.data_integration_token.as_ref().ok_or_else(|| {
            AuthError::config(
                "no Data Integration API token: set LIVERAMP_DATA_INTEGRATION_TOKEN or call \
                 Config::with_data_integration_token",
            )
        })?;
        let tokens: Arc<dyn TokenSource> = Arc::new(crate::auth::StaticToken::new(token.expose()));
        let transport = Self::bearer_transport(tokens);
        let http = self.api_http_client(Default::default())?;
        Ok(crate::data_integration::Client::new_with_client(
            &self.data_integration_url,
            http,
            transport,
        ))
    }

    /// The Activation v1 client, sending the `x-api-key` header.
    #[cfg(feature = "activation-v1")]
    pub fn activation_v1(&self) -> Result<crate::activation_v1::Client, AuthError> {
        check_url(&self.activation_v1_url)?;
        let http = self.api_http_client(self.api_key_headers()?)?;
        Ok(crate::activation_v1::Client::new_with_client(
            &self.activation_v1_url,
            http,
            crate::transport::Transport::builder().build(),
        ))
    }

    /// The `x-api-key` header of the Activation v1 API, marked sensitive.
    #[cfg(feature = "activation-v1")]
    fn api_key_headers(&self) -> Result<reqwest::header::HeaderMap, AuthError> {
        let key = self.activation_v1_api_key.as_ref().ok_or_else(|| {
            AuthError::config(
                "no Activation v1 API key: set LIVERAMP_ACTIVATION_V1_API_KEY or call \
                 Config::with_activation_v1_api_key",
            )
        })?;
        let mut value = reqwest::header::HeaderValue::from_str(key.expose()).map_err(|_| {
            AuthError::config("the Activation v1 API key is not a valid header value")
        })?;
        value.set_sensitive(true);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-api-key", value);
        Ok(headers)
    }
}
