#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
#[cfg(feature = "abilitec")]
#[cfg_attr(docsrs, doc(cfg(feature = "abilitec")))]
pub mod bulk;
pub mod config;
pub mod error;
mod file;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod fleet;
pub mod http;
#[cfg(any(feature = "abilitec", feature = "activation"))]
mod item_retry;
pub mod limit;
pub mod paginate;
pub mod poll;
mod redact;
pub mod retry;
pub mod transport;
mod validate;

pub use error::Error;

#[cfg(feature = "abilitec")]
#[cfg_attr(docsrs, doc(cfg(feature = "abilitec")))]
pub mod abilitec;
#[cfg(feature = "activation")]
#[cfg_attr(docsrs, doc(cfg(feature = "activation")))]
pub mod activation;
#[cfg(feature = "activation-v1")]
#[cfg_attr(docsrs, doc(cfg(feature = "activation-v1")))]
pub mod activation_v1;
#[cfg(feature = "consent")]
#[cfg_attr(docsrs, doc(cfg(feature = "consent")))]
pub mod consent;
#[cfg(feature = "data-integration")]
#[cfg_attr(docsrs, doc(cfg(feature = "data-integration")))]
pub mod data_integration;

pub use config::Config;

#[cfg(feature = "httpmock")]
#[cfg_attr(docsrs, doc(cfg(feature = "httpmock")))]
pub mod mock;
