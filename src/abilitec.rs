//! The generated `abilitec` client: [`Client`], its request builders and [`types`].
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/abilitec.rs"));
crate::transport::impl_client_hooks!(Client);
