//! The sandbox's integration tests in one binary, one module per area.

mod common;

mod abilitec;
mod activation;
mod activation_typed;
mod activation_v1;
mod behind_prism;
mod consent;
mod data_integration;
mod faults;
mod library_auth;
mod tokens;
mod typed_legacy;
