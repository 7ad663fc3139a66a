//! Configuration: flags over environment variables over the library's defaults, with the names
//! the library's `Config::from_env()` reads.

use std::path::PathBuf;

use clap::Args;

use crate::exit::{CliError, Failure};

/// The production base URL of the Consent Files API.
const CONSENT_URL: &str = "https://api.liveramp.com/privacy";
/// The production base URL of the Activation v2 API.
const ACTIVATION_URL: &str = "https://api.liveramp.com/activation";

/// Credentials and base URLs, from flags or the environment.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Configuration (flags override the environment)")]
pub struct ConfigArgs {
    /// Path to the service-account credentials file (serviceAccount/v2).
    #[arg(long, global = true, env = "LIVERAMP_CREDENTIALS", value_name = "PATH")]
    pub credentials: Option<PathBuf>,
    /// The organization ID sent to Activation as `LR-Org-ID`.
    #[arg(long, global = true, env = "LIVERAMP_ORG_ID", value_name = "ID")]
    pub org_id: Option<String>,
    /// AbiliTec client ID.
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_ABILITEC_CLIENT_ID",
        value_name = "ID"
    )]
    pub abilitec_client_id: Option<String>,
    /// AbiliTec client secret (prefer the environment variable: flags show in process lists).
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_ABILITEC_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub abilitec_client_secret: Option<String>,
    /// Data Integration API token (prefer the environment variable).
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_DATA_INTEGRATION_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub data_integration_token: Option<String>,
    /// Base URL of the Activation v2 API.
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_ACTIVATION_URL",
        value_name = "URL"
    )]
    pub activation_url: Option<String>,
    /// Base URL of the Activation v1.1 API.
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_ACTIVATION_V1_URL",
        value_name = "URL"
    )]
    pub activation_v1_url: Option<String>,
    /// Base URL of the Consent Files API.
    #[arg(long, global = true, env = "LIVERAMP_CONSENT_URL", value_name = "URL")]
    pub consent_url: Option<String>,
    /// Base URL of the AbiliTec API.
    #[arg(long, global = true, env = "LIVERAMP_ABILITEC_URL", value_name = "URL")]
    pub abilitec_url: Option<String>,
    /// AbiliTec token endpoint.
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_ABILITEC_TOKEN_URL",
        value_name = "URL"
    )]
    pub abilitec_token_url: Option<String>,
    /// Base URL of the Data Integration API.
    #[arg(
        long,
        global = true,
        env = "LIVERAMP_DATA_INTEGRATION_URL",
        value_name = "URL"
    )]
    pub data_integration_url: Option<String>,
}

impl ConfigArgs {
    /// An authenticated Consent Files client.
    pub fn consent(&self) -> Result<liveramp::consent::Client, CliError> {
        let url = self.consent_url.as_deref().unwrap_or(CONSENT_URL);
        let transport = liveramp::transport::Transport::builder().build();
        let http = liveramp::http::client().map_err(|e| CliError::new(Failure::Generic, e))?;
        Ok(liveramp::consent::Client::new_with_client(
            url, http, transport,
        ))
    }
}

impl ConfigArgs {
    /// An authenticated Activation v2 client.
    pub fn activation(&self) -> Result<liveramp::activation::Client, CliError> {
        let url = self.activation_url.as_deref().unwrap_or(ACTIVATION_URL);
        let mut transport = liveramp::transport::Transport::builder();
        if let Some(org_id) = &self.org_id {
            transport = transport
                .org_id(org_id)
                .map_err(|e| CliError::new(Failure::Usage, e))?;
        }
        let http = liveramp::http::client().map_err(|e| CliError::new(Failure::Generic, e))?;
        Ok(liveramp::activation::Client::new_with_client(
            url,
            http,
            transport.build(),
        ))
    }
}

impl ConfigArgs {
    /// An authenticated AbiliTec client.
    pub fn abilitec(&self) -> Result<liveramp::abilitec::Client, CliError> {
        let url = self
            .abilitec_url
            .as_deref()
            .unwrap_or("https://us.identity.api.liveramp.com/v1");
        let http = liveramp::http::client().map_err(|e| CliError::new(Failure::Generic, e))?;
        Ok(liveramp::abilitec::Client::new_with_client(
            url,
            http,
            liveramp::transport::Transport::builder().build(),
        ))
    }
}
