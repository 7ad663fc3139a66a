//! Configuration: flags over environment variables over the library's defaults. Each flag
//! reads the variable `liveramp::Config::from_env()` reads, and the library's `Config` is built
//! from the merged values with `Config::from_vars`, so both check them the same way.

use std::path::PathBuf;

use clap::Args;
use liveramp::auth::Secret;

use crate::exit::{CliError, auth_error};

/// Credentials and base URLs, from flags or the environment. Secrets never show in `Debug`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Configuration (flags override the environment)")]
pub struct ConfigArgs {
    /// Path to the service-account credentials file (serviceAccount/v2).
    #[arg(long, global = true, env = liveramp::config::env::CREDENTIALS, value_name = "PATH")]
    pub credentials: Option<PathBuf>,
    /// The organization ID sent to Activation as `LR-Org-ID`.
    #[arg(long, global = true, env = liveramp::config::env::ORG_ID, value_name = "ID")]
    pub org_id: Option<String>,
    /// AbiliTec client ID.
    #[arg(
        long,
        global = true,
        env = liveramp::config::env::ABILITEC_CLIENT_ID,
        value_name = "ID"
    )]
    pub abilitec_client_id: Option<String>,
    /// AbiliTec client secret (prefer the variable: flags show in process lists).
    #[arg(long, global = true, env = liveramp::config::env::ABILITEC_CLIENT_SECRET, hide_env_values = true,
          value_name = "SECRET", value_parser = secret)]
    pub abilitec_client_secret: Option<Secret>,
    /// Data Integration API token (prefer the variable).
    #[arg(long, global = true, env = liveramp::config::env::DATA_INTEGRATION_TOKEN, hide_env_values = true,
          value_name = "TOKEN", value_parser = secret)]
    pub data_integration_token: Option<Secret>,
    /// Activation v1.1 API key (prefer the variable).
    #[arg(long, global = true, env = liveramp::config::env::ACTIVATION_V1_API_KEY, hide_env_values = true,
          value_name = "KEY", value_parser = secret)]
    pub activation_v1_api_key: Option<Secret>,
    /// Base URL of the Activation v2 API.
    #[arg(
        long,
        global = true,
        env = liveramp::config::env::ACTIVATION_URL,
        value_name = "URL"
    )]
    pub activation_url: Option<String>,
    /// Base URL of the Activation v1.1 API.
    #[arg(
        long,
        global = true,
        env = liveramp::config::env::ACTIVATION_V1_URL,
        value_name = "URL"
    )]
    pub activation_v1_url: Option<String>,
    /// Base URL of the Consent Files API.
    #[arg(long, global = true, env = liveramp::config::env::CONSENT_URL, value_name = "URL")]
    pub consent_url: Option<String>,
    /// Base URL of the AbiliTec API.
    #[arg(long, global = true, env = liveramp::config::env::ABILITEC_URL, value_name = "URL")]
    pub abilitec_url: Option<String>,
    /// AbiliTec token endpoint.
    #[arg(
        long,
        global = true,
        env = liveramp::config::env::ABILITEC_TOKEN_URL,
        value_name = "URL"
    )]
    pub abilitec_token_url: Option<String>,
    /// Base URL of the Data Integration API.
    #[arg(
        long,
        global = true,
        env = liveramp::config::env::DATA_INTEGRATION_URL,
        value_name = "URL"
    )]
    pub data_integration_url: Option<String>,
}

fn secret(value: &str) -> Result<Secret, String> {
    Ok(Secret::new(value))
}

impl ConfigArgs {
    /// The library's `Config` from these settings (the library's defaults for the rest).
    pub fn to_config(&self) -> Result<liveramp::Config, CliError> {
        let secret = |s: &Option<Secret>| s.as_ref().map(|s| s.expose().to_owned());
        let vars = [
            (
                liveramp::config::env::CREDENTIALS,
                self.credentials.as_ref().map(|p| p.display().to_string()),
            ),
            (liveramp::config::env::ORG_ID, self.org_id.clone()),
            (
                liveramp::config::env::ABILITEC_CLIENT_ID,
                self.abilitec_client_id.clone(),
            ),
            (
                liveramp::config::env::ABILITEC_CLIENT_SECRET,
                secret(&self.abilitec_client_secret),
            ),
            (
                liveramp::config::env::DATA_INTEGRATION_TOKEN,
                secret(&self.data_integration_token),
            ),
            (
                liveramp::config::env::ACTIVATION_V1_API_KEY,
                secret(&self.activation_v1_api_key),
            ),
            (
                liveramp::config::env::ACTIVATION_URL,
                self.activation_url.clone(),
            ),
            (
                liveramp::config::env::ACTIVATION_V1_URL,
                self.activation_v1_url.clone(),
            ),
            (liveramp::config::env::CONSENT_URL, self.consent_url.clone()),
            (
                liveramp::config::env::ABILITEC_URL,
                self.abilitec_url.clone(),
            ),
            (
                liveramp::config::env::ABILITEC_TOKEN_URL,
                self.abilitec_token_url.clone(),
            ),
            (
                liveramp::config::env::DATA_INTEGRATION_URL,
                self.data_integration_url.clone(),
            ),
        ];
        liveramp::Config::from_vars(
            vars.into_iter()
                .filter_map(|(name, value)| value.map(|value| (name, value))),
        )
        .map_err(auth_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        config: ConfigArgs,
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let probe = Probe::parse_from([
            "probe",
            "--abilitec-client-secret",
            "s3cr3t-abilitec",
            "--data-integration-token",
            "s3cr3t-token",
        ]);
        let shown = format!("{probe:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(
            probe.config.abilitec_client_secret.unwrap().expose(),
            "s3cr3t-abilitec"
        );
    }

    #[test]
    fn a_non_https_url_is_a_usage_error() {
        let args = ConfigArgs {
            consent_url: Some("http://consent.example.com".into()),
            ..ConfigArgs::default()
        };
        let error = args.to_config().unwrap_err();
        assert_eq!(error.failure(), crate::exit::Failure::Usage);
        assert!(error.one_line().contains("LIVERAMP_CONSENT_URL"), "{error}");
    }
}
