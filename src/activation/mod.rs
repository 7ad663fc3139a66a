//! The generated `activation` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/activation.rs"));
crate::transport::impl_client_hooks!(Client);

mod oauth;
pub use oauth::{ConnectionRequest, PendingAuthorization, StartOAuthConnection};
