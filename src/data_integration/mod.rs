//! The generated `data_integration` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/data_integration.rs"));
crate::transport::impl_client_hooks!(Client);

mod oauth2;
pub use oauth2::{PendingCredentials, ProviderCredentials, VALIDITY_SECONDS};
