//! What every handler of one sandbox shares, and the table of its operations.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};

use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::credentials::Credentials;
use crate::faults::Faults;
use crate::signing::Signer;
use crate::{activation, activation_v1, data_integration};

/// The state handlers get.
pub(crate) type AppState = Arc<Shared>;

/// Everything one sandbox holds.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) config: SandboxConfig,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) signer: Signer,
    pub(crate) credentials: Credentials,
    pub(crate) activation: Mutex<activation::Data>,
    pub(crate) activation_v1: Mutex<activation_v1::Data>,
    pub(crate) data_integration: Mutex<data_integration::Data>,
    pub(crate) limits: crate::limits::Limits,
    /// Set once the sandbox stops: delay faults end then.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    /// A fresh sandbox state whose URLs start with `base_url`.
    pub(crate) fn new(base_url: String, config: SandboxConfig) -> Self {
        Self {
            activation: Mutex::new(activation::Data::seeded(&base_url)),
            activation_v1: Mutex::new(activation_v1::Data::seeded()),
            data_integration: Mutex::new(data_integration::Data::seeded()),
            limits: crate::limits::Limits::new(
                config.abilitec_records_per_minute,
                config.abilitec_batches_per_minute,
                config.time_scale,
            ),
            base_url,
            config,
            clock: Clock::default(),
            faults: Faults::default(),
            signer: Signer::random(),
            credentials: Credentials::default(),
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }

    /// `base_url` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Locks `mutex`; a handler that panicked while holding it leaves consistent data (every
/// change is a single assignment), so poisoning is ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One operation of the sandbox: its name (for fault matching), method, path and handler.
pub(crate) struct Op {
    pub(crate) name: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) route: MethodRouter<AppState>,
}

impl Op {
    /// A GET operation.
    pub(crate) fn get<H: Handler<T, AppState>, T: 'static>(
        name: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        Self::new(name, Method::GET, path, routing::get(handler))
    }

    /// A POST operation.
    pub(crate) fn post<H: Handler<T, AppState>, T: 'static>(
        name: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        Self::new(name, Method::POST, path, routing::post(handler))
    }

    /// A PUT operation.
    pub(crate) fn put<H: Handler<T, AppState>, T: 'static>(
        name: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        Self::new(name, Method::PUT, path, routing::put(handler))
    }

    /// A PATCH operation.
    pub(crate) fn patch<H: Handler<T, AppState>, T: 'static>(
        name: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        Self::new(name, Method::PATCH, path, routing::patch(handler))
    }

    /// A DELETE operation.
    pub(crate) fn delete<H: Handler<T, AppState>, T: 'static>(
        name: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        Self::new(name, Method::DELETE, path, routing::delete(handler))
    }

    fn new(
        name: &'static str,
        method: Method,
        path: &'static str,
        route: MethodRouter<AppState>,
    ) -> Self {
        Self {
            name,
            method,
            path,
            route,
        }
    }
}

/// Parses a JSON request body, or says what is wrong with it.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid request body: {e}"))
}
