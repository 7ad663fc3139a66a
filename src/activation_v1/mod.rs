//! The generated `activation_v1` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/activation_v1.rs"));
crate::transport::impl_client_hooks!(Client);

/// Typed httpmock helpers for this API's operations, for your own tests (see [`crate::consent::mock`]).
#[cfg(feature = "httpmock")]
#[cfg_attr(docsrs, doc(cfg(feature = "httpmock")))]
#[allow(clippy::all)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/activation_v1_httpmock.rs"));
}

mod oauth;
pub use oauth::{AccountAuthorization, OAuthState, RedirectError};
