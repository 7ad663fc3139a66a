//! `liveramp activation oauth connect`: authorizes LiveRamp on a platform through the user's
//! browser and prints the new `oAuthConnectionID`.

use clap::Subcommand;
use serde::Serialize;

use crate::exit::{CliError, flow_error};
use crate::output::Output;

/// The `activation oauth` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum OauthCommand {
    /// Starts an OAuth connection attempt, prints its authorization URL, waits until the user
    /// authorized it and prints the `oAuthConnectionID`.
    Connect {
        /// The integration's `oAuthEndpointID`.
        #[arg(long, value_name = "ID")]
        endpoint_id: String,
        /// Re-authorize this existing OAuth connection instead of creating one.
        #[arg(long, value_name = "ID")]
        connection_id: Option<String>,
        /// Open the authorization URL in the default browser.
        #[arg(long)]
        open: bool,
    },
}

/// The outcome of `oauth connect`; not the authorization URL, which carries the flow's state
/// (it was shown on stderr).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connected {
    /// The attempt.
    pub attempt_id: String,
    /// The authorized OAuth connection, for `connections create --oauth-connection-id`.
    #[serde(rename = "oAuthConnectionID")]
    pub oauth_connection_id: String,
}

/// Runs an `activation oauth` subcommand.
pub async fn run(
    command: &OauthCommand,
    client: &liveramp::activation::Client,
    out: Output,
) -> Result<(), CliError> {
    let OauthCommand::Connect {
        endpoint_id,
        connection_id,
        open,
    } = command;
    let mut start = client.start_oauth_connection(endpoint_id.clone());
    if let Some(id) = connection_id {
        start = start.reauthorize(id.clone());
    }
    let spinner = out.spinner("starting the OAuth connection attempt");
    let pending = start.send().await;
    spinner.finish_and_clear();
    let pending = pending.map_err(flow_error)?;
    let authorization_url = pending.authorization_url().to_owned();
    let attempt_id = pending.attempt_id().to_owned();
    out.prompt(&format!(
        "Open this URL to authorize LiveRamp:\n{authorization_url}"
    ));
    if *open {
        crate::browser::open(&authorization_url, out);
    }
    let spinner = out.spinner("waiting for the authorization");
    let id = pending.wait().await;
    spinner.finish_and_clear();
    let connected = Connected {
        attempt_id,
        oauth_connection_id: id.map_err(flow_error)?,
    };
    out.emit(&connected, |c| c.oauth_connection_id.clone());
    Ok(())
}
