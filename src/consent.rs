//! The generated `consent` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/consent.rs"));
crate::transport::impl_client_hooks!(Client);
