//! `liveramp sandbox`: runs the sandbox of every API until Ctrl-C, and prints the environment
//! that points the library and this command at it.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use liveramp_sandbox::Sandbox;
use serde::Serialize;

use crate::exit::{CliError, Failure};
use crate::output::Output;

/// What `liveramp sandbox` prints once it listens.
#[derive(Debug, Serialize)]
pub struct Started {
    /// The root URL of every API.
    pub url: String,
    /// The environment variables that point `Config::from_env()` at the sandbox.
    pub env: BTreeMap<&'static str, String>,
}

/// The variables of `Config::from_env()` for `sandbox`, with the service-account credentials
/// written to `credentials`.
pub fn environment(
    sandbox: &Sandbox,
    credentials: &Path,
) -> Result<BTreeMap<&'static str, String>, CliError> {
    crate::files::write_private(credentials, sandbox.service_account_json().as_bytes())
        .map_err(|e| CliError::new(Failure::Generic, e))?;
    Ok(BTreeMap::from([
        ("LIVERAMP_CREDENTIALS", credentials.display().to_string()),
        ("LIVERAMP_ORG_ID", sandbox.org_id().to_owned()),
        (
            "LIVERAMP_ABILITEC_CLIENT_ID",
            sandbox.abilitec_client_id().to_owned(),
        ),
        (
            "LIVERAMP_ABILITEC_CLIENT_SECRET",
            sandbox.abilitec_client_secret().to_owned(),
        ),
        (
            "LIVERAMP_DATA_INTEGRATION_TOKEN",
            sandbox.data_integration_token().to_owned(),
        ),
        (
            "LIVERAMP_ACTIVATION_V1_API_KEY",
            sandbox.activation_v1_api_key().to_owned(),
        ),
        ("LIVERAMP_ACTIVATION_URL", sandbox.activation_url()),
        ("LIVERAMP_ACTIVATION_V1_URL", sandbox.activation_v1_url()),
        ("LIVERAMP_CONSENT_URL", sandbox.consent_url()),
        ("LIVERAMP_ABILITEC_URL", sandbox.abilitec_url()),
        ("LIVERAMP_ABILITEC_TOKEN_URL", sandbox.abilitec_token_url()),
        (
            "LIVERAMP_DATA_INTEGRATION_URL",
            sandbox.data_integration_url(),
        ),
    ]))
}

/// Runs a sandbox on `127.0.0.1:port` (0: any free port) until Ctrl-C.
pub async fn run(port: u16, out: Output) -> Result<(), CliError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let sandbox = Sandbox::start_on(addr)
        .await
        .map_err(|e| CliError::new(Failure::Generic, e))?;
    let dir = tempfile::tempdir().map_err(|e| CliError::new(Failure::Generic, e))?;
    let env = environment(&sandbox, &dir.path().join("credentials.json"))?;
    let started = Started {
        url: sandbox.url().to_owned(),
        env,
    };
    if out.is_json() {
        // One line, so that a supervising process can read it before the sandbox stops.
        out.emit_line(&started);
    } else {
        out.emit(&started, |s| {
            let mut text = format!(
                "# LiveRamp sandbox on {} (Ctrl-C to stop); these are sandbox credentials\n",
                s.url
            );
            for (name, value) in &s.env {
                text.push_str(&format!("export {name}={value}\n"));
            }
            text
        });
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::new(Failure::Generic, e))?;
    out.note("stopping the sandbox");
    sandbox
        .shutdown()
        .await
        .map_err(|e| CliError::new(Failure::Generic, e))
}

/// A `Config` whose every API is served by `sandbox`, with the credentials it accepts.
pub fn config(sandbox: &Sandbox) -> Result<liveramp::Config, CliError> {
    sandbox.config().map_err(crate::exit::auth_error)
}
