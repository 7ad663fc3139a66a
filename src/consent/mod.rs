//! The generated `consent` client: [`Client`], its request builders and [`types`], and the
//! download of a consent file's body ([`download`]).
#![allow(missing_docs)]

pub mod download;

pub use download::{ConsentFileBody, DownloadError};

include!(concat!(env!("OUT_DIR"), "/consent.rs"));
crate::transport::impl_client_hooks!(Client);
