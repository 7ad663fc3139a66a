//! `liveramp data-integration oauth`: gets a data source's OAuth2 credentials through the
//! user's browser.

use std::time::Duration;

use clap::Subcommand;
use serde::Serialize;

use crate::exit::{CliError, flow_error};
use crate::output::Output;

/// The `data-integration` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum DataIntegrationCommand {
    /// Starts an OAuth2 credentials request, prints the consent URL and waits for the
    /// credentials.
    Oauth {
        /// The data source (a connection type with OAuth, e.g. `fb`).
        #[arg(long, value_name = "ID")]
        datasource: String,
        /// How long the request stays valid, in seconds (300 to 43200).
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        validity: u64,
        /// Open the consent URL in the default browser.
        #[arg(long)]
        open: bool,
    },
}

/// What the credentials request produced. Neither the access token nor the consent URL, which
/// carries the request's handle, is printed (the URL was shown on stderr).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsReceived {
    /// The provider's user ID, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// The provider's message, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether an access token was received (it is not shown).
    pub access_token_received: bool,
}

/// Runs a `data-integration` subcommand.
pub async fn run(
    command: &DataIntegrationCommand,
    config: &liveramp::Config,
    out: Output,
) -> Result<(), CliError> {
    let client = config.data_integration().map_err(crate::exit::auth_error)?;
    match command {
        DataIntegrationCommand::Oauth {
            datasource,
            validity,
            open,
        } => {
            let pending = client
                .request_oauth2_credentials(datasource, Duration::from_secs(*validity))
                .await
                .map_err(flow_error)?;
            let auth_uri = pending.auth_uri().map(str::to_owned);
            match &auth_uri {
                Some(auth_uri) => {
                    out.prompt(&format!("Open this URL to authorize:\n{auth_uri}"));
                    if *open {
                        crate::browser::open(auth_uri, out);
                    }
                }
                None => out.prompt(
                    "The API answered no consent URL (auth_uri); waiting for the authorization",
                ),
            }
            let spinner = out.spinner("waiting for the authorization");
            let credentials = pending.wait().await;
            spinner.finish_and_clear();
            let credentials = credentials.map_err(flow_error)?;
            let received = CredentialsReceived {
                user_id: credentials.user_id,
                message: credentials.message.clone(),
                access_token_received: true,
            };
            out.emit(&received, |r| {
                format!(
                    "credentials received{}",
                    r.user_id
                        .map(|id| format!(" for user {id}"))
                        .unwrap_or_default()
                )
            });
        }
    }
    Ok(())
}
