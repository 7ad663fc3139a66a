//! A stateful in-memory fake of the LiveRamp Activation (v2 and v1.1), Consent Files and
//! AbiliTec APIs and the Data Integration legacy API, with their token endpoints, for demos
//! and for tests of code that calls them.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = liveramp_sandbox::Sandbox::start().await?;
//! let credentials_json = sandbox.service_account_json(); // token_uri points at the sandbox
//! let activation = sandbox.activation_url();            // e.g. http://127.0.0.1:PORT/activation
//! sandbox
//!     .faults()
//!     .fail_next(liveramp_sandbox::RouteMatch::path("/activation/v2/destinations"), 2, 503);
//! # let _ = (credentials_json, activation);
//! # Ok(())
//! # }
//! ```
//!
//! Answers are serialized from the types the `liveramp` crate generates from its specs, so
//! they cannot drift from them. Every API lives under its own prefix of one loopback server
//! (see the `*_url` accessors);
//! the "browser" steps of the OAuth flows are plain GETs of the URLs the APIs hand out;
//! [`Faults`] injects failures; [`Clock`] moves time forward. The server stops when the
//! [`Sandbox`] is dropped.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Handlers return early with a ready `Response` as their error, the usual axum idiom.
#![allow(clippy::result_large_err)]

/// Evaluates a `Result<T, Response>`: the value, or returns the ready error answer from the handler.
macro_rules! or_return {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(answer) => return answer,
        }
    };
}

mod abilitec;
mod activation;
mod activation_v1;
pub mod admin;
mod built;
mod clock;
mod config;
mod consent;
mod credentials;
mod data_integration;
mod faults;
mod limits;
mod local;
mod pagination;
mod signing;
mod state;
mod tokens;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use config::SandboxConfig;
pub use credentials::{ABILITEC_CLIENT_ID, ORG_ID, SERVICE_ACCOUNT_ID, ServiceAccountFile};
pub use data_integration::FAILING_RIVER as DATA_INTEGRATION_FAILING_RIVER;
pub use faults::{FaultAction, FaultRule, Faults, MAX_DELAY, MAX_RULES, RouteMatch};

use faults::OperationTable;
use state::{AppState, Shared};

/// A running sandbox on a loopback port. Dropping it stops the server gracefully.
pub struct Sandbox {
    addr: SocketAddr,
    shared: AppState,
    operations: OperationTable,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl SandboxConfig {
    /// Starts a sandbox with these settings on an ephemeral `127.0.0.1` port.
    pub async fn start(self) -> io::Result<Sandbox> {
        self.start_on(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
    }

    /// Starts a sandbox with these settings on `addr`.
    pub async fn start_on(self, addr: SocketAddr) -> io::Result<Sandbox> {
        self.serve(TcpListener::bind(addr).await?)
    }

    /// Starts a sandbox with these settings on an already bound listener.
    pub fn serve(self, listener: TcpListener) -> io::Result<Sandbox> {
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            addr.ip()
        };
        let base_url = format!("http://{}", SocketAddr::new(host, addr.port()));
        let shared = Arc::new(Shared::new(base_url, self));
        let (router, operations) = router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // With each connection's peer address: only this machine's are served (`local`).
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
        });
        Ok(Sandbox {
            addr,
            shared,
            operations,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// How long [`Sandbox::shutdown`] lets requests in flight finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Every operation's route, the fault middleware around them, and the admin routes.
fn router(shared: AppState) -> (Router, OperationTable) {
    let mut ops = tokens::ops();
    ops.extend(activation::ops());
    ops.extend(activation_v1::ops());
    ops.extend(consent::ops());
    ops.extend(data_integration::ops());
    let abilitec_ops = abilitec::ops();
    let table = OperationTable(Arc::new(
        ops.iter()
            .chain(&abilitec_ops)
            .map(|op| (op.name, op.method.clone(), op.path))
            .collect(),
    ));
    // AbiliTec answers a wrong method with its own error document.
    let abilitec_api =
        routes(abilitec_ops).method_not_allowed_fallback(abilitec::method_not_allowed);
    let api = routes(ops)
        .merge(abilitec_api)
        .route_layer(axum::middleware::from_fn_with_state(
            (shared.clone(), table.clone()),
            faults::middleware,
        ));
    let router = api
        .merge(admin::routes(table.clone()))
        .layer(axum::middleware::from_fn(local::middleware))
        .with_state(shared);
    (router, table)
}

/// A router of these operations.
fn routes(ops: Vec<state::Op>) -> Router<AppState> {
    ops.into_iter()
        .fold(Router::new(), |api, op| api.route(op.path, op.route))
}

impl Sandbox {
    /// Starts a sandbox with the default settings on an ephemeral `127.0.0.1` port.
    pub async fn start() -> io::Result<Sandbox> {
        SandboxConfig::default().start().await
    }

    /// Starts a sandbox with the default settings on `addr` (e.g. for a fixed port).
    pub async fn start_on(addr: SocketAddr) -> io::Result<Sandbox> {
        SandboxConfig::default().start_on(addr).await
    }

    /// Starts a sandbox with the default settings on an already bound listener.
    pub fn serve(listener: TcpListener) -> io::Result<Sandbox> {
        SandboxConfig::default().serve(listener)
    }

    /// Settings to start a sandbox with other data sizes or lifetimes.
    pub fn builder() -> SandboxConfig {
        SandboxConfig::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the root of every API.
    pub fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// The Activation v2 base URL (paths start with `/v2`).
    pub fn activation_url(&self) -> String {
        self.shared.url("/activation")
    }

    /// The Activation v1.1 base URL (paths start with `/v1/distribution`).
    pub fn activation_v1_url(&self) -> String {
        self.shared.url("/activation-v1")
    }

    /// The Consent Files base URL (paths start with `/v2`).
    pub fn consent_url(&self) -> String {
        self.shared.url("/privacy")
    }

    /// The AbiliTec base URL (e.g. `{abilitec_url}/people/match`).
    pub fn abilitec_url(&self) -> String {
        self.shared.url("/abilitec/v1")
    }

    /// The AbiliTec token endpoint (client credentials).
    pub fn abilitec_token_url(&self) -> String {
        self.shared.url(tokens::ABILITEC_TOKEN_PATH)
    }

    /// The Data Integration base URL (e.g. `{data_integration_url}/oauth2`).
    pub fn data_integration_url(&self) -> String {
        self.shared.url("/data-integration")
    }

    /// The service-account token endpoint (password grant).
    pub fn service_account_token_url(&self) -> String {
        self.shared.url(tokens::SERVICE_ACCOUNT_TOKEN_PATH)
    }

    /// The service-account credentials the sandbox accepts, `token_uri` pointing at it.
    pub fn service_account(&self) -> ServiceAccountFile {
        ServiceAccountFile::new(
            &self.shared.credentials.service_account_secret,
            self.service_account_token_url(),
        )
    }

    /// [`Sandbox::service_account`] as the JSON text of a `serviceAccount/v2` credentials
    /// file.
    pub fn service_account_json(&self) -> String {
        serde_json::to_string_pretty(&self.service_account()).unwrap_or_default()
    }

    /// The AbiliTec client ID the sandbox accepts.
    pub fn abilitec_client_id(&self) -> &str {
        ABILITEC_CLIENT_ID
    }

    /// The AbiliTec client secret the sandbox accepts.
    pub fn abilitec_client_secret(&self) -> &str {
        &self.shared.credentials.abilitec_client_secret
    }

    /// The Data Integration API token the sandbox accepts.
    pub fn data_integration_token(&self) -> &str {
        &self.shared.credentials.data_integration_token
    }

    /// The Activation v1.1 `x-api-key` the sandbox accepts.
    pub fn activation_v1_api_key(&self) -> &str {
        &self.shared.credentials.activation_v1_api_key
    }

    /// The org ID (`LR-Org-ID`) of the sandbox's Activation data.
    pub fn org_id(&self) -> &str {
        ORG_ID
    }

    /// The fault rules, to add or remove faults.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// A `liveramp::Config` whose every API is served by this sandbox, with the credentials it
    /// accepts.
    pub fn config(&self) -> Result<liveramp::Config, liveramp::auth::AuthError> {
        let service_account =
            liveramp::auth::ServiceAccountCredentials::from_json(&self.service_account_json())?;
        Ok(liveramp::Config::new()
            .with_credentials(service_account)
            .with_org_id(self.org_id())
            .with_abilitec_credentials(liveramp::auth::ClientCredentials::new(
                self.abilitec_client_id(),
                self.abilitec_client_secret(),
            ))
            .with_data_integration_token(self.data_integration_token())
            .with_activation_v1_api_key(self.activation_v1_api_key())
            .with_activation_url(self.activation_url())
            .with_activation_v1_url(self.activation_v1_url())
            .with_consent_url(self.consent_url())
            .with_abilitec_url(self.abilitec_url())
            .with_abilitec_token_url(self.abilitec_token_url())
            .with_data_integration_url(self.data_integration_url()))
    }

    /// How many calls the AbiliTec rate limits refused with 429 so far.
    pub fn rate_limited(&self) -> u64 {
        self.shared.limits.refused()
    }

    /// The sandbox clock, to move time forward.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Every operation as `(name, method, path)`: the names [`RouteMatch::operation`] takes.
    pub fn operations(&self) -> Vec<(&'static str, String, &'static str)> {
        self.operations
            .0
            .iter()
            .map(|(n, m, p)| (*n, m.to_string(), *p))
            .collect()
    }

    /// Stops accepting connections, ends delay faults, lets open requests finish (for
    /// [`SHUTDOWN_GRACE`] at most) and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.signal_stop();
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        // Requests in flight get this long to finish (a delay fault may hold one far longer).
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(joined) => joined.map_err(io::Error::other)?,
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Sandbox {
    /// Tells the server to stop accepting connections and delay faults to end, so that
    /// requests in flight can.
    fn signal_stop(&mut self) {
        self.shared.stopping.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.signal_stop();
    }
}
