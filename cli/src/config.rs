//! Configuration: flags over environment variables over the library's defaults. Each command
//! group takes the settings of the APIs it calls, and each flag reads the variable
//! `liveramp::Config::from_env()` reads ([`liveramp::config::env`]); the library's `Config` is
//! built from the merged values with `Config::from_vars`, so both check them the same way.

use clap::Args;
use liveramp::auth::Secret;
use liveramp::config::env;

use crate::exit::{CliError, auth_error};

/// The variables a group of flags sets, by name; `None` for a flag that is not given.
pub trait Settings {
    /// Each flag's variable and value.
    fn vars(&self) -> Vec<(&'static str, Option<String>)>;
}

/// The service account (Activation, Consent Files, and AbiliTec without client credentials).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Service account (flags override the environment)")]
pub struct ServiceAccountArgs {
    /// Path to the service-account credentials file (serviceAccount/v2).
    // A `String`: the library reads the path as text, so a path that is not UTF-8 is refused
    // here rather than changed into another.
    #[arg(
        long,
        global = true,
        env = env::CREDENTIALS,
        value_name = "PATH",
        value_hint = clap::ValueHint::FilePath
    )]
    pub credentials: Option<String>,
    /// The service account's token endpoint, instead of the credentials file's `token_uri`.
    #[arg(long, global = true, env = env::TOKEN_URL, value_name = "URL")]
    pub token_url: Option<String>,
}

impl Settings for ServiceAccountArgs {
    fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            (env::CREDENTIALS, self.credentials.clone()),
            (env::TOKEN_URL, self.token_url.clone()),
        ]
    }
}

/// Activation v2.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Activation (flags override the environment)")]
pub struct ActivationArgs {
    /// The organization ID sent to Activation as `LR-Org-ID`.
    #[arg(long, global = true, env = env::ORG_ID, value_name = "ID")]
    pub org_id: Option<String>,
    /// Base URL of the Activation v2 API.
    #[arg(long, global = true, env = env::ACTIVATION_URL, value_name = "URL")]
    pub activation_url: Option<String>,
}

impl Settings for ActivationArgs {
    fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            (env::ORG_ID, self.org_id.clone()),
            (env::ACTIVATION_URL, self.activation_url.clone()),
        ]
    }
}

/// Consent Files.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Consent Files (flags override the environment)")]
pub struct ConsentArgs {
    /// Base URL of the Consent Files API.
    #[arg(long, global = true, env = env::CONSENT_URL, value_name = "URL")]
    pub consent_url: Option<String>,
}

impl Settings for ConsentArgs {
    fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        vec![(env::CONSENT_URL, self.consent_url.clone())]
    }
}

/// How AbiliTec client credentials reach the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientAuth {
    /// In the form body.
    Body,
    /// As HTTP Basic.
    Basic,
}

/// AbiliTec.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "AbiliTec (flags override the environment)")]
pub struct AbilitecArgs {
    /// AbiliTec client ID (without one, AbiliTec uses the service account).
    #[arg(long, global = true, env = env::ABILITEC_CLIENT_ID, value_name = "ID")]
    pub abilitec_client_id: Option<String>,
    /// AbiliTec client secret (prefer the variable: flags show in process lists).
    #[arg(long, global = true, env = env::ABILITEC_CLIENT_SECRET, hide_env_values = true,
          value_name = "SECRET", value_parser = secret)]
    pub abilitec_client_secret: Option<Secret>,
    /// How the client credentials reach the token endpoint [default: body].
    #[arg(long, global = true, env = env::ABILITEC_CLIENT_AUTH, value_enum, ignore_case = true)]
    pub abilitec_client_auth: Option<ClientAuth>,
    /// The `role` sent with every AbiliTec call, e.g. `abilitec-standard`.
    #[arg(long, global = true, env = env::ABILITEC_ROLE, value_name = "ROLE")]
    pub abilitec_role: Option<String>,
    /// Base URL of the AbiliTec API.
    #[arg(long, global = true, env = env::ABILITEC_URL, value_name = "URL")]
    pub abilitec_url: Option<String>,
    /// AbiliTec token endpoint.
    #[arg(long, global = true, env = env::ABILITEC_TOKEN_URL, value_name = "URL")]
    pub abilitec_token_url: Option<String>,
}

impl Settings for AbilitecArgs {
    fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        let client_auth = self.abilitec_client_auth.map(|auth| match auth {
            ClientAuth::Body => "body".to_owned(),
            ClientAuth::Basic => "basic".to_owned(),
        });
        vec![
            (env::ABILITEC_CLIENT_ID, self.abilitec_client_id.clone()),
            (
                env::ABILITEC_CLIENT_SECRET,
                exposed(&self.abilitec_client_secret),
            ),
            (env::ABILITEC_CLIENT_AUTH, client_auth),
            (env::ABILITEC_ROLE, self.abilitec_role.clone()),
            (env::ABILITEC_URL, self.abilitec_url.clone()),
            (env::ABILITEC_TOKEN_URL, self.abilitec_token_url.clone()),
        ]
    }
}

/// Data Integration.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Data Integration (flags override the environment)")]
pub struct DataIntegrationArgs {
    /// Data Integration API token (prefer the variable).
    #[arg(long, global = true, env = env::DATA_INTEGRATION_TOKEN, hide_env_values = true,
          value_name = "TOKEN", value_parser = secret)]
    pub data_integration_token: Option<Secret>,
    /// Base URL of the Data Integration API.
    #[arg(long, global = true, env = env::DATA_INTEGRATION_URL, value_name = "URL")]
    pub data_integration_url: Option<String>,
}

impl Settings for DataIntegrationArgs {
    fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            (
                env::DATA_INTEGRATION_TOKEN,
                exposed(&self.data_integration_token),
            ),
            (env::DATA_INTEGRATION_URL, self.data_integration_url.clone()),
        ]
    }
}

fn secret(value: &str) -> Result<Secret, String> {
    Ok(Secret::new(value))
}

fn exposed(secret: &Option<Secret>) -> Option<String> {
    secret.as_ref().map(|s| s.expose().to_owned())
}

/// The library's `Config` from these groups of settings (the library's defaults for the rest).
pub fn to_config(groups: &[&dyn Settings]) -> Result<liveramp::Config, CliError> {
    liveramp::Config::from_vars(
        groups
            .iter()
            .flat_map(|group| group.vars())
            .filter_map(|(name, value)| value.map(|value| (name, value))),
    )
    .map_err(auth_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        service_account: ServiceAccountArgs,
        #[command(flatten)]
        activation: ActivationArgs,
        #[command(flatten)]
        consent: ConsentArgs,
        #[command(flatten)]
        abilitec: AbilitecArgs,
        #[command(flatten)]
        data_integration: DataIntegrationArgs,
    }

    impl Probe {
        fn groups(&self) -> [&dyn Settings; 5] {
            [
                &self.service_account,
                &self.activation,
                &self.consent,
                &self.abilitec,
                &self.data_integration,
            ]
        }
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
            probe.abilitec.abilitec_client_secret.unwrap().expose(),
            "s3cr3t-abilitec"
        );
    }

    /// `--abilitec-client-auth` takes any case, as `LIVERAMP_ABILITEC_CLIENT_AUTH` does.
    #[test]
    fn the_client_auth_flag_ignores_case() {
        let probe = Probe::parse_from(["probe", "--abilitec-client-auth", "Basic"]);
        assert_eq!(probe.abilitec.abilitec_client_auth, Some(ClientAuth::Basic));
    }

    #[test]
    fn a_non_https_url_is_a_usage_error() {
        let args = ConsentArgs {
            consent_url: Some("http://consent.example.com".into()),
        };
        let error = to_config(&[&args]).unwrap_err();
        assert_eq!(error.failure(), crate::exit::Failure::Usage);
        assert!(error.one_line().contains("LIVERAMP_CONSENT_URL"), "{error}");
    }

    /// Every flag hands its value to the variable it reads, and every variable the library
    /// reads has a flag (Activation v1 has no command).
    #[test]
    fn every_flag_sets_its_variable_and_every_variable_has_a_flag() {
        use clap::CommandFactory;
        let command = Probe::command();
        let mut args = vec!["probe".to_owned()];
        let mut flagged = Vec::new();
        for arg in command.get_arguments() {
            let Some(name) = arg.get_env().and_then(|name| name.to_str()) else {
                continue;
            };
            let value = match arg.get_id().as_str() {
                "abilitec_client_auth" => "basic".to_owned(),
                id if id.ends_with("url") => "https://example.com/".to_owned(),
                id => format!("value-of-{id}"),
            };
            args.push(format!("--{}", arg.get_long().unwrap_or_default()));
            args.push(value);
            flagged.push(name.to_owned());
        }
        let probe = Probe::parse_from(&args);
        let mut set: Vec<String> = probe
            .groups()
            .iter()
            .flat_map(|group| group.vars())
            .filter_map(|(name, value)| value.map(|_| name.to_owned()))
            .collect();
        set.sort();
        flagged.sort();
        assert_eq!(set, flagged, "a flag whose value reaches no variable");
        let without_a_command = [env::ACTIVATION_V1_API_KEY, env::ACTIVATION_V1_URL];
        let mut expected: Vec<String> = env::ALL
            .iter()
            .filter(|name| !without_a_command.contains(name))
            .map(|name| (*name).to_owned())
            .collect();
        expected.sort();
        assert_eq!(flagged, expected, "a variable without a flag");
    }

    /// `sandbox`, `demo` and `completions` take no configuration; each group takes the
    /// variables of the APIs it calls and no other.
    #[test]
    fn each_command_takes_only_the_settings_it_uses() {
        use clap::CommandFactory;
        let cli = crate::Cli::command();
        let variables = |name: &str| -> Vec<String> {
            let mut names: Vec<String> = cli
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("no command {name}"))
                .get_arguments()
                .filter_map(|arg| Some(arg.get_env()?.to_str()?.to_owned()))
                .collect();
            names.sort();
            names
        };
        for command in ["sandbox", "demo", "completions"] {
            assert_eq!(variables(command), Vec::<String>::new(), "{command}");
        }
        let sorted = |names: &[&str]| {
            let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            names.sort();
            names
        };
        let service_account = [env::CREDENTIALS, env::TOKEN_URL];
        let abilitec = [
            env::ABILITEC_CLIENT_ID,
            env::ABILITEC_CLIENT_SECRET,
            env::ABILITEC_CLIENT_AUTH,
            env::ABILITEC_ROLE,
            env::ABILITEC_URL,
            env::ABILITEC_TOKEN_URL,
        ];
        assert_eq!(
            variables("activation"),
            sorted(&[&service_account[..], &[env::ORG_ID, env::ACTIVATION_URL]].concat())
        );
        assert_eq!(
            variables("consent"),
            sorted(&[&service_account[..], &[env::CONSENT_URL]].concat())
        );
        assert_eq!(
            variables("abilitec"),
            sorted(&[&service_account[..], &abilitec[..]].concat())
        );
        assert_eq!(
            variables("auth"),
            sorted(&[&service_account[..], &abilitec[..]].concat())
        );
        assert_eq!(
            variables("data-integration"),
            sorted(&[env::DATA_INTEGRATION_TOKEN, env::DATA_INTEGRATION_URL])
        );
    }
}
