//! The generated `data_integration` client: [`Client`], its request builders and [`types`].
//!
//! # OAuth2 credentials for a new connection
//!
//! [`Client::request_oauth2_credentials`] starts a request and hands back a
//! [`PendingCredentials`]: send the user to [`PendingCredentials::auth_uri`], then
//! [`PendingCredentials::wait`] for the provider's credentials within the request's validity
//! window. Another process can take the wait over from [`PendingCredentials::pull_id`] and
//! [`PendingCredentials::expires_at`] with [`Client::resume_oauth2_credentials`]. Every step
//! fails with [`FlowError<liveramp::Error>`](crate::poll::FlowError), as the Activation flow does.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! let client = liveramp::Config::from_env()?.data_integration()?;
//! let pending = client
//!     .request_oauth2_credentials("datasource-id", Duration::from_secs(600))
//!     .await?;
//! let (pull_id, expires_at) = (pending.pull_id().to_owned(), pending.expires_at());
//! // ... in the request the browser comes back to:
//! let credentials = client.resume_oauth2_credentials(pull_id, expires_at).wait().await?;
//! # Ok(()) }
//! ```
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/data_integration.rs"));
crate::transport::impl_client_hooks!(Client);

/// Typed httpmock helpers for this API's operations, for your own tests (see [`crate::consent::mock`]).
#[cfg(feature = "httpmock")]
#[cfg_attr(docsrs, doc(cfg(feature = "httpmock")))]
#[allow(clippy::all)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/data_integration_httpmock.rs"));
}

mod oauth2;
pub use oauth2::{PendingCredentials, ProviderCredentials, VALIDITY_SECONDS};
