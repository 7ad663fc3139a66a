#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
#[cfg(feature = "abilitec")]
pub mod bulk;
pub mod config;
pub mod error;
#[cfg(feature = "redis")]
pub mod fleet;
pub mod http;
pub mod limit;
pub mod paginate;
pub mod poll;
mod redact;
pub mod retry;
pub mod transport;
pub mod validate;

pub use error::Error;

#[cfg(feature = "abilitec")]
pub mod abilitec;
#[cfg(feature = "activation")]
pub mod activation;
#[cfg(feature = "activation-v1")]
pub mod activation_v1;
#[cfg(feature = "consent")]
pub mod consent;
#[cfg(feature = "data-integration")]
pub mod data_integration;

pub use config::Config;
