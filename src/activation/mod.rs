//! The generated `activation` client: [`Client`], its request builders and [`types`].
//!
//! # OAuth connections
//!
//! [`Client::start_oauth_connection`] posts an OAuth connection attempt for an integration's
//! `oAuthEndpointID`, fetches the attempt for its `authorizationUrl` and hands back a
//! [`PendingAuthorization`]: send the user to [`PendingAuthorization::authorization_url`], then
//! [`PendingAuthorization::wait`] for the `oAuthConnectionID` or follow
//! [`PendingAuthorization::progress`]. A web backend that starts the attempt in one request and
//! waits in another (another process, even) keeps [`PendingAuthorization::attempt_id`] and
//! picks the wait up with [`Client::resume_oauth_connection`].
//! [`Client::create_connection_from_integration`] checks an integration's requirements before it
//! creates a connection to it. Every step fails with
//! [`FlowError<liveramp::Error>`](crate::poll::FlowError).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let activation = liveramp::Config::from_env()?.activation()?;
//! let pending = activation.start_oauth_connection("oauth-endpoint-id").send().await?;
//! println!("open {}", pending.authorization_url());
//! let attempt_id = pending.attempt_id().to_owned(); // store it with the user's session
//! // ... later, when the browser comes back, maybe in another process:
//! let connection_id = activation.resume_oauth_connection(attempt_id).await?.wait().await?;
//! # Ok(()) }
//! ```
//!
//! # Building types
//!
//! The [`types`] are `#[non_exhaustive]` (so are every API's): build them with their builders,
//! as the README shows, never with a struct expression.
//!
//! ```compile_fail,E0639
//! let segment = liveramp::activation::types::SegmentConfigRef { id: "sc-1".into() };
//! ```
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/activation.rs"));
crate::transport::impl_client_hooks!(Client);

/// Typed httpmock helpers for this API's operations, for your own tests (see [`crate::consent::mock`]).
#[cfg(feature = "httpmock")]
#[cfg_attr(docsrs, doc(cfg(feature = "httpmock")))]
#[allow(clippy::all)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/activation_httpmock.rs"));
}

mod oauth;
pub mod segments;
pub use oauth::{ConnectionRequest, PendingAuthorization, StartOAuthConnection};
pub use segments::{SegmentConfigError, SegmentConfigOutcome, SegmentConfigReport};
