//! [`Config`]: API base URLs and credentials, from the environment or set in code, and one
//! constructor per API that returns an authenticated client.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Url;

use crate::auth::{
    AuthError, CachePolicy, ClientAuth, ClientCredentials, ClientCredentialsGrant,
    DEFAULT_TOKEN_TIMEOUT, PasswordGrant, Secret, ServiceAccountCredentials, TokenCache,
    TokenSource,
};
use crate::limit::{Limiters, RateLimits};
use crate::retry::{RetryBudget, RetryPolicy};

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

/// The environment variables [`Config::from_env`] reads: one name each, used by the library
/// and the `liveramp` command alike.
pub mod env {
    /// `LIVERAMP_CREDENTIALS`: the service-account credentials file.
    pub const CREDENTIALS: &str = crate::auth::CREDENTIALS_ENV;
    /// `LIVERAMP_ORG_ID`.
    pub const ORG_ID: &str = "LIVERAMP_ORG_ID";
    /// `LIVERAMP_ABILITEC_CLIENT_ID`.
    pub const ABILITEC_CLIENT_ID: &str = "LIVERAMP_ABILITEC_CLIENT_ID";
    /// `LIVERAMP_ABILITEC_CLIENT_SECRET`.
    pub const ABILITEC_CLIENT_SECRET: &str = "LIVERAMP_ABILITEC_CLIENT_SECRET";
    /// `LIVERAMP_ABILITEC_CLIENT_AUTH`.
    pub const ABILITEC_CLIENT_AUTH: &str = "LIVERAMP_ABILITEC_CLIENT_AUTH";
    /// `LIVERAMP_ABILITEC_ROLE`.
    pub const ABILITEC_ROLE: &str = "LIVERAMP_ABILITEC_ROLE";
    /// `LIVERAMP_DATA_INTEGRATION_TOKEN`.
    pub const DATA_INTEGRATION_TOKEN: &str = "LIVERAMP_DATA_INTEGRATION_TOKEN";
    /// `LIVERAMP_ACTIVATION_V1_API_KEY`.
    pub const ACTIVATION_V1_API_KEY: &str = "LIVERAMP_ACTIVATION_V1_API_KEY";
    /// `LIVERAMP_TOKEN_URL`.
    pub const TOKEN_URL: &str = "LIVERAMP_TOKEN_URL";
    /// `LIVERAMP_ACTIVATION_URL`.
    pub const ACTIVATION_URL: &str = "LIVERAMP_ACTIVATION_URL";
    /// `LIVERAMP_ACTIVATION_V1_URL`.
    pub const ACTIVATION_V1_URL: &str = "LIVERAMP_ACTIVATION_V1_URL";
    /// `LIVERAMP_CONSENT_URL`.
    pub const CONSENT_URL: &str = "LIVERAMP_CONSENT_URL";
    /// `LIVERAMP_ABILITEC_URL`.
    pub const ABILITEC_URL: &str = "LIVERAMP_ABILITEC_URL";
    /// `LIVERAMP_ABILITEC_TOKEN_URL`.
    pub const ABILITEC_TOKEN_URL: &str = "LIVERAMP_ABILITEC_TOKEN_URL";
    /// `LIVERAMP_DATA_INTEGRATION_URL`.
    pub const DATA_INTEGRATION_URL: &str = "LIVERAMP_DATA_INTEGRATION_URL";

    /// Every variable above.
    pub const ALL: &[&str] = &[
        CREDENTIALS,
        ORG_ID,
        ABILITEC_CLIENT_ID,
        ABILITEC_CLIENT_SECRET,
        ABILITEC_CLIENT_AUTH,
        ABILITEC_ROLE,
        DATA_INTEGRATION_TOKEN,
        ACTIVATION_V1_API_KEY,
        TOKEN_URL,
        ACTIVATION_URL,
        ACTIVATION_V1_URL,
        CONSENT_URL,
        ABILITEC_URL,
        ABILITEC_TOKEN_URL,
        DATA_INTEGRATION_URL,
    ];
}

/// `url`, a URL an API answered for a user's browser (`what`, e.g. "an authorization URL"),
/// when it is https (or loopback): an answer's `javascript:` or plain-http URL is an
/// [`Error::Decode`](crate::Error::Decode), never handed out. The URL is not quoted.
pub(crate) fn answered_url(url: String, what: &str) -> Result<String, crate::Error> {
    match check_url(&url) {
        Ok(_) => Ok(url),
        Err(_) => Err(crate::Error::Decode {
            status: None,
            detail: format!("has {what} that is not an https URL; it was not handed out"),
        }),
    }
}

/// Parses `url` and checks that it is https, or http to a loopback host (`localhost`,
/// `127.0.0.0/8`, `::1`), and carries no user name or password. Its errors never quote the
/// URL's query or fragment, which can hold a credential or a session.
pub fn check_url(url: &str) -> Result<Url, AuthError> {
    let parsed =
        Url::parse(url).map_err(|e| AuthError::config(format!("not a valid URL ({e})")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(AuthError::config(
            "a URL must not carry a user name or password",
        ));
    }
    match is_secure(&parsed) {
        true => Ok(parsed),
        false => Err(AuthError::config(format!(
            "`{}` must be an https URL (plain http is allowed only to loopback)",
            shown_url(&parsed)
        ))),
    }
}

/// [`check_url`] for a base URL, which also must not carry a query or a fragment: the
/// operations' paths are written after it, and would be read as part of them.
pub fn check_base_url(url: &str) -> Result<Url, AuthError> {
    let parsed = check_url(url)?;
    match parsed.query().is_some() || parsed.fragment().is_some() {
        true => Err(AuthError::config(format!(
            "`{}` is a base URL: it must not carry a query or a fragment",
            shown_url(&parsed)
        ))),
        false => Ok(parsed),
    }
}

/// Whether `url` may carry credentials: https, or plain http to a loopback host.
pub(crate) fn is_secure(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

/// `url` as errors and `Debug` name it: without its query, fragment or user info, which can
/// hold a credential or a session.
pub(crate) fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Refused only by URLs that cannot have user info (`mailto:`), which then has none.
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.into()
}

/// [`shown_url`] of a URL that may not even parse (one is never shown whole).
pub(crate) fn shown_url_text(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => shown_url(&parsed),
        Err(_) => "[not a URL]".to_owned(),
    }
}

/// Whether `url`'s host is this machine, however it is written: `localhost` (with a final dot
/// too), a loopback address, or an unspecified one (`0.0.0.0`, `::`, which reach this
/// machine), IPv4 ones mapped into IPv6 included.
pub fn is_loopback(url: &Url) -> bool {
    let local_v4 = |ip: std::net::Ipv4Addr| ip.is_loopback() || ip.is_unspecified();
    match url.host() {
        Some(url::Host::Domain(host)) => host
            .strip_suffix('.')
            .unwrap_or(host)
            .eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => local_v4(ip),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.is_unspecified() || ip.to_ipv4_mapped().is_some_and(local_v4)
        }
        None => false,
    }
}

/// Where the service-account credentials come from.
#[derive(Debug, Clone)]
enum ServiceAccount {
    File(PathBuf),
    Loaded(ServiceAccountCredentials),
}

/// Base URLs, credentials and the plumbing every API client shares, and a constructor for each
/// API's client.
///
/// Settings come from the environment ([`Config::from_env`]), from a map
/// ([`Config::from_vars`]) or from the `with_*` methods. All clients built from one `Config`
/// and its clones share one HTTP client (one TLS setup, one connection pool), one token cache
/// per credential and one retry budget; changing a setting that one of them depends on gives
/// the changed `Config` its own.
///
/// ```no_run
/// # #[cfg(feature = "consent")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
///
/// let config = liveramp::Config::from_env()? // LIVERAMP_CREDENTIALS=credentials.json
///     .with_timeout(Duration::from_secs(20))
///     .with_user_agent("my-service/1.2");
/// let consent = config.consent()?;
/// let files = consent.list_consent_files().send().await?;
/// # Ok(()) }
/// ```
///
/// `Debug` leaves out secrets, and URLs' queries, fragments and user info.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    activation_url: String,
    activation_v1_url: String,
    consent_url: String,
    abilitec_url: String,
    abilitec_token_url: String,
    data_integration_url: String,
    token_url: Option<String>,
    service_account: Option<ServiceAccount>,
    org_id: Option<String>,
    abilitec: Option<ClientCredentials>,
    abilitec_client_auth: ClientAuth,
    abilitec_role: Option<String>,
    data_integration_token: Option<Secret>,
    activation_v1_api_key: Option<Secret>,
    token_timeout: Duration,
    cache_policy: CachePolicy,
    retry_policy: RetryPolicy,
    max_body_bytes: usize,
    user_agent: String,
    own_http_client: Option<reqwest::Client>,
    http_client: Arc<OnceLock<reqwest::Client>>,
    retry_budget: Arc<RetryBudget>,
    rate_limits: RateLimits,
    limiters: Arc<Limiters>,
    #[cfg(feature = "redis")]
    fleet: Option<crate::fleet::Fleet>,
    /// A token source given with `with_service_account_tokens`: no other setting replaces it.
    own_service_account_tokens: Option<Arc<dyn TokenSource>>,
    /// The password grant's cache, built at the first client; settings it depends on reset it.
    service_account_tokens: Arc<OnceLock<Arc<dyn TokenSource>>>,
    abilitec_tokens: Arc<OnceLock<Arc<dyn TokenSource>>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("Config");
        f.field("activation_url", &shown_url_text(&self.activation_url))
            .field(
                "activation_v1_url",
                &shown_url_text(&self.activation_v1_url),
            )
            .field("consent_url", &shown_url_text(&self.consent_url))
            .field("abilitec_url", &shown_url_text(&self.abilitec_url))
            .field(
                "abilitec_token_url",
                &shown_url_text(&self.abilitec_token_url),
            )
            .field(
                "data_integration_url",
                &shown_url_text(&self.data_integration_url),
            )
            .field("token_url", &self.token_url.as_deref().map(shown_url_text))
            .field("service_account", &self.service_account)
            .field("org_id", &self.org_id)
            .field("abilitec", &self.abilitec)
            .field("abilitec_client_auth", &self.abilitec_client_auth)
            .field("abilitec_role", &self.abilitec_role)
            .field("data_integration_token", &self.data_integration_token)
            .field("activation_v1_api_key", &self.activation_v1_api_key)
            .field("token_timeout", &self.token_timeout)
            .field("cache_policy", &self.cache_policy)
            .field("retry_policy", &self.retry_policy)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("user_agent", &self.user_agent)
            .field("rate_limits", &self.rate_limits);
        #[cfg(feature = "redis")]
        f.field("fleet", &self.fleet);
        f.finish_non_exhaustive()
    }
}

/// The User-Agent sent by default: `liveramp-rust/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("liveramp-rust/", env!("CARGO_PKG_VERSION"));

impl Default for Config {
    fn default() -> Self {
        Self {
            activation_url: ACTIVATION_URL.to_owned(),
            activation_v1_url: ACTIVATION_V1_URL.to_owned(),
            consent_url: CONSENT_URL.to_owned(),
            abilitec_url: ABILITEC_URL.to_owned(),
            abilitec_token_url: ABILITEC_TOKEN_URL.to_owned(),
            data_integration_url: DATA_INTEGRATION_URL.to_owned(),
            token_url: None,
            service_account: None,
            org_id: None,
            abilitec: None,
            abilitec_client_auth: ClientAuth::default(),
            abilitec_role: None,
            data_integration_token: None,
            activation_v1_api_key: None,
            token_timeout: DEFAULT_TOKEN_TIMEOUT,
            cache_policy: CachePolicy::default(),
            retry_policy: RetryPolicy::default(),
            max_body_bytes: crate::transport::DEFAULT_MAX_BODY_BYTES,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            own_http_client: None,
            http_client: Arc::default(),
            retry_budget: Arc::default(),
            rate_limits: RateLimits::default(),
            limiters: Arc::new(Limiters::new(&RateLimits::default())),
            #[cfg(feature = "redis")]
            fleet: None,
            own_service_account_tokens: None,
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
    /// | `LIVERAMP_ABILITEC_CLIENT_ID`, `LIVERAMP_ABILITEC_CLIENT_SECRET` | AbiliTec client credentials (without them, AbiliTec uses the service account) |
    /// | `LIVERAMP_ABILITEC_CLIENT_AUTH` | `body` (default) or `basic`: how the client credentials reach the token endpoint |
    /// | `LIVERAMP_ABILITEC_ROLE` | the `role` sent with every AbiliTec call, e.g. `abilitec-standard` |
    /// | `LIVERAMP_DATA_INTEGRATION_TOKEN` | Data Integration API token |
    /// | `LIVERAMP_ACTIVATION_V1_API_KEY` | Activation v1 `x-api-key` |
    /// | `LIVERAMP_ACTIVATION_URL`, `LIVERAMP_ACTIVATION_V1_URL`, `LIVERAMP_CONSENT_URL`, `LIVERAMP_ABILITEC_URL`, `LIVERAMP_ABILITEC_TOKEN_URL`, `LIVERAMP_DATA_INTEGRATION_URL` | base URLs |
    /// | `LIVERAMP_TOKEN_URL` | the service account's token endpoint, instead of the credentials file's `token_uri` |
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
        if let Some(url) = get(env::TOKEN_URL) {
            check_url(&url).map_err(|e| AuthError::config(format!("{}: {e}", env::TOKEN_URL)))?;
            config.token_url = Some(url);
        }
        let urls: [(&str, &mut String); 6] = [
            (env::ACTIVATION_URL, &mut config.activation_url),
            (env::ACTIVATION_V1_URL, &mut config.activation_v1_url),
            (env::CONSENT_URL, &mut config.consent_url),
            (env::ABILITEC_URL, &mut config.abilitec_url),
            (env::ABILITEC_TOKEN_URL, &mut config.abilitec_token_url),
            (env::DATA_INTEGRATION_URL, &mut config.data_integration_url),
        ];
        for (name, slot) in urls {
            if let Some(url) = get(name) {
                let check = match name == env::ABILITEC_TOKEN_URL {
                    true => check_url,
                    false => check_base_url,
                };
                check(&url).map_err(|e| AuthError::config(format!("{name}: {e}")))?;
                *slot = url;
            }
        }
        config.service_account =
            get(env::CREDENTIALS).map(|path| ServiceAccount::File(PathBuf::from(path)));
        config.org_id = get(env::ORG_ID);
        config.abilitec = match (
            get(env::ABILITEC_CLIENT_ID),
            vars.get(env::ABILITEC_CLIENT_SECRET),
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
        config.abilitec_client_auth = match get(env::ABILITEC_CLIENT_AUTH).as_deref() {
            None => ClientAuth::default(),
            Some(v) if v.eq_ignore_ascii_case("body") => ClientAuth::Body,
            Some(v) if v.eq_ignore_ascii_case("basic") => ClientAuth::Basic,
            Some(_) => {
                return Err(AuthError::config(
                    "LIVERAMP_ABILITEC_CLIENT_AUTH must be `body` or `basic`",
                ));
            }
        };
        config.abilitec_role = get(env::ABILITEC_ROLE);
        config.data_integration_token = vars
            .get(env::DATA_INTEGRATION_TOKEN)
            .map(|t| Secret::new(t.trim()));
        config.activation_v1_api_key = vars
            .get(env::ACTIVATION_V1_API_KEY)
            .map(|k| Secret::new(k.trim()));
        Ok(config)
    }

    /// Uses these service-account credentials (Activation, Consent), instead of a token source
    /// set before.
    pub fn with_credentials(mut self, credentials: ServiceAccountCredentials) -> Self {
        self.service_account = Some(ServiceAccount::Loaded(credentials));
        self.own_service_account_tokens = None;
        self.service_account_tokens = Arc::default();
        self
    }

    /// Reads the service-account credentials from this file when a client needs them, instead
    /// of a token source set before.
    pub fn with_credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.service_account = Some(ServiceAccount::File(path.into()));
        self.own_service_account_tokens = None;
        self.service_account_tokens = Arc::default();
        self
    }

    /// Uses `tokens` for the service-account APIs (Activation, Consent, and AbiliTec without
    /// client credentials) instead of the password grant: plug in your own [`TokenSource`]
    /// here. It stays until credentials are set again; no other setting replaces it.
    pub fn with_service_account_tokens(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.own_service_account_tokens = Some(tokens);
        self
    }

    /// Sends `LR-Org-ID: org_id` to the Activation API.
    pub fn with_org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// Uses these AbiliTec client credentials (without them, AbiliTec uses the service
    /// account's password grant, if one is configured).
    pub fn with_abilitec_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.abilitec = Some(credentials);
        self.abilitec_tokens = Arc::default();
        self
    }

    /// How the AbiliTec client credentials reach the token endpoint: in the form body
    /// (default) or as HTTP Basic.
    pub fn with_abilitec_client_auth(mut self, auth: ClientAuth) -> Self {
        self.abilitec_client_auth = auth;
        self.abilitec_tokens = Arc::default();
        self
    }

    /// Sends `role=<role>` with every AbiliTec call (e.g. `abilitec-standard`), as LiveRamp's
    /// "API Roles" page asks of clients enabled for more than one identity API.
    pub fn with_abilitec_role(mut self, role: impl Into<String>) -> Self {
        self.abilitec_role = Some(role.into());
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

    /// The service account's token endpoint, used instead of the credentials file's
    /// `token_uri` (which must otherwise be a LiveRamp host or loopback).
    pub fn with_token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self.service_account_tokens = Arc::default();
        self
    }

    /// Retries, per-attempt timeout and overall deadline of every call
    /// ([`RetryPolicy::default`] unless set; [`RetryPolicy::no_retry`] switches retrying off).
    /// One call can override it: `client.with_retry_policy(..)`.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// The overall deadline of a call: token, attempts and waits (default 60 s).
    pub fn with_timeout(mut self, deadline: Duration) -> Self {
        self.retry_policy.deadline = deadline;
        self
    }

    /// The timeout of one attempt: sending it and reading its answer (default 30 s). A timeout
    /// set on a client given to [`Config::with_http_client`] applies too: the shorter ends it.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.retry_policy.attempt_timeout = timeout;
        self
    }

    /// The largest success answer a call reads (default 32 MiB); a longer one fails with
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge) without being read further.
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The `User-Agent` of every request (default [`DEFAULT_USER_AGENT`]).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self.reset_http_client();
        self
    }

    /// Sends every request, token requests included, through `client` instead of one the
    /// `Config` builds. Build it with `redirect(Policy::none())` and without `referer`: the
    /// crate cannot change a client it is given, and its own client follows redirects only to
    /// the origin a request was sent to and never sends a `Referer`. A timeout set on `client`
    /// (`ClientBuilder::timeout`) bounds every attempt besides the retry policy's
    /// `attempt_timeout`; consent file downloads replace it with their own.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.own_http_client = Some(client);
        self.reset_http_client();
        self
    }

    /// Shares `budget` between the clients of this `Config` and others (each `Config` has one
    /// [`RetryBudget::default`] otherwise).
    pub fn with_retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.retry_budget = budget;
        self
    }

    /// The client-side rate limits (default: the documented ones, see [`crate::limit`]);
    /// [`RateLimits::none`] switches them off. The clients of this `Config` and its clones
    /// share the buckets.
    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.limiters = Arc::new(self.limiters_for(&limits));
        self.rate_limits = limits;
        self.service_account_tokens = Arc::default();
        self.abilitec_tokens = Arc::default();
        self
    }

    /// Shares tokens and rate limits with every process configured with the same fleet (see
    /// [`crate::fleet`]).
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn with_fleet(mut self, fleet: crate::fleet::Fleet) -> Self {
        self.fleet = Some(fleet);
        self.limiters = Arc::new(self.limiters_for(&self.rate_limits));
        self.service_account_tokens = Arc::default();
        self.abilitec_tokens = Arc::default();
        self
    }

    fn limiters_for(&self, limits: &RateLimits) -> Limiters {
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            return Limiters::shared(limits, fleet);
        }
        Limiters::new(limits)
    }

    /// The client-side rate limits in force.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    fn reset_http_client(&mut self) {
        self.http_client = Arc::default();
        self.service_account_tokens = Arc::default();
        self.abilitec_tokens = Arc::default();
    }

    /// The Activation v2 base URL in use.
    pub fn activation_url(&self) -> &str {
        &self.activation_url
    }

    /// The Activation v1 base URL in use.
    pub fn activation_v1_url(&self) -> &str {
        &self.activation_v1_url
    }

    /// The Consent Files base URL in use.
    pub fn consent_url(&self) -> &str {
        &self.consent_url
    }

    /// The AbiliTec base URL in use.
    pub fn abilitec_url(&self) -> &str {
        &self.abilitec_url
    }

    /// The AbiliTec token endpoint in use.
    pub fn abilitec_token_url(&self) -> &str {
        &self.abilitec_token_url
    }

    /// The Data Integration base URL in use.
    pub fn data_integration_url(&self) -> &str {
        &self.data_integration_url
    }

    /// The retry policy every call starts from.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }

    /// The retry budget the clients of this `Config` share.
    pub fn retry_budget(&self) -> &Arc<RetryBudget> {
        &self.retry_budget
    }

    /// The HTTP client every client of this `Config` sends through: the one given to
    /// [`Config::with_http_client`], or one built on first use with the crate's TLS, the
    /// `User-Agent`, same-origin redirects only, no `Referer` and no proxy for loopback hosts.
    pub fn http_client(&self) -> Result<reqwest::Client, AuthError> {
        if let Some(client) = self.http_client.get() {
            return Ok(client.clone());
        }
        let client = match &self.own_http_client {
            Some(client) => client.clone(),
            None => crate::http::direct_to_loopback(crate::http::client_builder())
                .user_agent(self.user_agent.as_str())
                .build()
                .map_err(|e| AuthError::config("cannot build the HTTP client").with_source(e))?,
        };
        Ok(self.http_client.get_or_init(|| client).clone())
    }

    /// The `LR-Org-ID` sent to the Activation API, if set.
    pub fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// The service-account token source shared by the Activation and Consent clients.
    pub fn service_account_tokens(&self) -> Result<Arc<dyn TokenSource>, AuthError> {
        if let Some(tokens) = &self.own_service_account_tokens {
            return Ok(Arc::clone(tokens));
        }
        if let Some(tokens) = self.service_account_tokens.get() {
            return Ok(Arc::clone(tokens));
        }
        let credentials = match &self.service_account {
            Some(ServiceAccount::Loaded(credentials)) => credentials.clone(),
            Some(ServiceAccount::File(path)) => ServiceAccountCredentials::from_file(path)?,
            None => {
                return Err(AuthError::config(
                    "no service-account credentials: set LIVERAMP_CREDENTIALS to the path of the \
                     credentials file",
                ));
            }
        };
        let token_url = match &self.token_url {
            Some(url) => url.clone(),
            None => crate::auth::trusted_token_uri(credentials.token_uri())?,
        };
        let identity = format!("password|{}|{token_url}", credentials.account_id());
        let secret = credentials.secret_key().clone();
        let grant = PasswordGrant::on(
            credentials,
            &token_url,
            self.token_timeout,
            self.http_client()?,
            Arc::clone(&self.limiters),
        )?;
        let tokens = self.cached(grant, &identity, secret.expose())?;
        Ok(Arc::clone(
            self.service_account_tokens.get_or_init(|| tokens),
        ))
    }

    /// The AbiliTec token source: the client-credentials grant when client credentials are
    /// configured, otherwise the service account's password grant (AbiliTec v1.1's documented
    /// way), sharing the service account's token cache.
    pub fn abilitec_tokens(&self) -> Result<Arc<dyn TokenSource>, AuthError> {
        if let Some(tokens) = self.abilitec_tokens.get() {
            return Ok(Arc::clone(tokens));
        }
        let Some(credentials) = self.abilitec.clone() else {
            if self.service_account.is_some() || self.own_service_account_tokens.is_some() {
                return self.service_account_tokens();
            }
            return Err(AuthError::config(
                "no AbiliTec credentials: set LIVERAMP_ABILITEC_CLIENT_ID and \
                 LIVERAMP_ABILITEC_CLIENT_SECRET, or a service account (LIVERAMP_CREDENTIALS)",
            ));
        };
        let identity = format!(
            "client|{}|{}",
            credentials.client_id(),
            self.abilitec_token_url
        );
        let secret = credentials.client_secret().clone();
        let grant = ClientCredentialsGrant::on(
            &self.abilitec_token_url,
            credentials,
            self.token_timeout,
            self.http_client()?,
            Arc::clone(&self.limiters),
        )?
        .with_client_auth(self.abilitec_client_auth);
        let tokens = self.cached(grant, &identity, secret.expose())?;
        Ok(Arc::clone(self.abilitec_tokens.get_or_init(|| tokens)))
    }

    /// `grant` behind the token cache, shared with the fleet through Redis when one is set.
    fn cached<F: crate::auth::Fetch>(
        &self,
        grant: F,
        identity: &str,
        secret: &str,
    ) -> Result<Arc<dyn TokenSource>, AuthError> {
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            let shared = crate::fleet::tokens::SharedFetch::new(
                grant,
                fleet.clone(),
                identity,
                secret,
                self.token_timeout,
            )?;
            return Ok(Arc::new(crate::fleet::tokens::SharedTokens::new(
                shared,
                self.cache_policy.clone(),
            )));
        }
        let _ = (identity, secret);
        Ok(Arc::new(TokenCache::with_policy(
            grant,
            self.cache_policy.clone(),
        )))
    }

    /// A transport with this `Config`'s retry policy, budget and body limit.
    #[cfg(any(
        feature = "activation",
        feature = "activation-v1",
        feature = "consent",
        feature = "abilitec",
        feature = "data-integration"
    ))]
    fn transport(&self) -> crate::transport::TransportBuilder {
        crate::transport::Transport::builder()
            .retry_policy(self.retry_policy.clone())
            .retry_budget(Arc::clone(&self.retry_budget))
            .max_body_bytes(self.max_body_bytes)
            .limiters(Arc::clone(&self.limiters))
    }

    /// The Consent Files client, authenticated with the service account.
    #[cfg(feature = "consent")]
    #[cfg_attr(docsrs, doc(cfg(feature = "consent")))]
    pub fn consent(&self) -> Result<crate::consent::Client, AuthError> {
        check_base_url(&self.consent_url)?;
        let transport = self
            .transport()
            .token_source(self.service_account_tokens()?)
            .build();
        let http = self.http_client()?;
        Ok(crate::consent::Client::new_with_client(
            &self.consent_url,
            http,
            transport,
        ))
    }

    /// The Activation v2 client, authenticated with the service account and sending the org
    /// ID (required).
    #[cfg(feature = "activation")]
    #[cfg_attr(docsrs, doc(cfg(feature = "activation")))]
    pub fn activation(&self) -> Result<crate::activation::Client, AuthError> {
        check_base_url(&self.activation_url)?;
        let org_id = self.org_id.as_deref().ok_or_else(|| {
            AuthError::config("the Activation API needs an org ID: set LIVERAMP_ORG_ID")
        })?;
        let transport = self
            .transport()
            .token_source(self.service_account_tokens()?)
            .org_id(org_id)?
            .build();
        let http = self.http_client()?;
        Ok(crate::activation::Client::new_with_client(
            &self.activation_url,
            http,
            transport,
        ))
    }

    /// The AbiliTec client, authenticated as [`Config::abilitec_tokens`] says and sending the
    /// role, if one is set, with every call.
    #[cfg(feature = "abilitec")]
    #[cfg_attr(docsrs, doc(cfg(feature = "abilitec")))]
    pub fn abilitec(&self) -> Result<crate::abilitec::Client, AuthError> {
        check_base_url(&self.abilitec_url)?;
        let mut transport = self.transport().token_source(self.abilitec_tokens()?);
        if let Some(role) = &self.abilitec_role {
            transport = transport.query_param("role", role.as_str());
        }
        let transport = transport.build();
        let http = self.http_client()?;
        Ok(crate::abilitec::Client::new_with_client(
            &self.abilitec_url,
            http,
            transport,
        ))
    }

    /// The Data Integration client, authenticated with the API token.
    #[cfg(feature = "data-integration")]
    #[cfg_attr(docsrs, doc(cfg(feature = "data-integration")))]
    pub fn data_integration(&self) -> Result<crate::data_integration::Client, AuthError> {
        check_base_url(&self.data_integration_url)?;
        let token = self.data_integration_token.as_ref().ok_or_else(|| {
            AuthError::config("no Data Integration API token: set LIVERAMP_DATA_INTEGRATION_TOKEN")
        })?;
        let tokens: Arc<dyn TokenSource> = Arc::new(crate::auth::StaticToken::new(token.expose()));
        let transport = self.transport().token_source(tokens).build();
        let http = self.http_client()?;
        Ok(crate::data_integration::Client::new_with_client(
            &self.data_integration_url,
            http,
            transport,
        ))
    }

    /// The Activation v1 client, sending the `x-api-key` header.
    #[cfg(feature = "activation-v1")]
    #[cfg_attr(docsrs, doc(cfg(feature = "activation-v1")))]
    pub fn activation_v1(&self) -> Result<crate::activation_v1::Client, AuthError> {
        check_base_url(&self.activation_v1_url)?;
        let key = self.activation_v1_api_key.clone().ok_or_else(|| {
            AuthError::config("no Activation v1 API key: set LIVERAMP_ACTIVATION_V1_API_KEY")
        })?;
        let transport = self.transport().api_key(key)?.build();
        Ok(crate::activation_v1::Client::new_with_client(
            &self.activation_v1_url,
            self.http_client()?,
            transport,
        ))
    }
}
