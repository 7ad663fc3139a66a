//! What every generated client carries and runs each request through.

use std::sync::Arc;

use progenitor_client::OperationInfo;

/// The state a generated client carries: auth and configuration.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    _inner: Arc<()>,
}

impl Transport {
    /// Sends one request of the operation `info`.
    pub(crate) async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
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
