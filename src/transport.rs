//! What every generated client carries and runs each request through: the bearer token, the
//! `LR-Org-ID` header and the removal of progenitor's `api-version` header.

use std::sync::Arc;

use progenitor_client::OperationInfo;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::auth::TokenSource;

/// The state a generated client carries: its token source and per-client headers.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tokens: Option<Arc<dyn TokenSource>>,
    org_id: Option<HeaderValue>,
}

/// Builds a [`Transport`].
#[derive(Debug, Default)]
pub struct TransportBuilder {
    inner: Inner,
}

impl TransportBuilder {
    /// Authenticates every request with a bearer token from `tokens`.
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.inner.tokens = Some(tokens);
        self
    }

    /// Sends `LR-Org-ID: org_id` with every request (Activation).
    pub fn org_id(mut self, org_id: &str) -> Result<Self, crate::auth::AuthError> {
        let value = HeaderValue::from_str(org_id)
            .map_err(|_| crate::auth::AuthError::new("the org ID is not a valid header value"))?;
        self.inner.org_id = Some(value);
        Ok(self)
    }

    /// The finished transport.
    pub fn build(self) -> Transport {
        Transport {
            inner: Arc::new(self.inner),
        }
    }
}

impl Transport {
    /// A builder with no auth and no extra headers.
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// Sends one request of the operation `info`.
    pub(crate) async fn exec(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let headers = request.headers_mut();
        headers.remove("api-version");
        if let Some(org_id) = &self.inner.org_id {
            headers.insert("LR-Org-ID", org_id.clone());
        }
        if let Some(tokens) = &self.inner.tokens {
            // Placeholder until the token cache and error plumbing land: a failed token fetch
            // sends the request unauthenticated and the API answers 401.
            if let Ok(token) = tokens.token().await
                && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            {
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        client.execute(request).await
    }
}

/// Routes a generated `Client`'s requests through its [`Transport`].
macro_rules! impl_client_hooks {
    ($client:ty) => {
        impl ::progenitor_client::ClientHooks<$crate::transport::Transport> for $client {
            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                self.inner.exec(&self.client, request, info).await
            }
        }
    };
}
pub(crate) use impl_client_hooks;
