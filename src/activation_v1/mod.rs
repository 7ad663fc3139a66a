//! The generated `activation_v1` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/activation_v1.rs"));
crate::transport::impl_client_hooks!(Client);

mod oauth;
pub use oauth::{AccountAuthorization, OAuthState, RedirectError};
