//! The crate's integration tests in one binary, one module per area (one link instead of one per
//! file). `generated_new.rs` stays a binary of its own: it needs a process where nothing installed
//! a TLS provider first.

mod common;

mod abilitec;
mod activation;
mod activation_oauth;
mod activation_v1;
mod activation_v1_oauth;
mod arbitrary_answers;
mod arbitrary_inputs;
mod auth_cache;
mod auth_credentials;
mod auth_grant;
mod auth_interop;
mod auth_redaction;
mod call_tracing;
mod conformance_prism;
mod consent;
mod consent_sync;
mod contract;
mod data_integration;
mod data_integration_oauth2;
mod faults;
mod fleet;
mod mock_helpers;
mod poll;
mod test_servers;
