//! The `liveramp` command's integration tests in one binary, one module per area.

mod support;

mod cli_consent_sync;
mod consent_sync;
mod e2e;
mod exit_codes;
