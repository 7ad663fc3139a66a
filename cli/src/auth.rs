//! `liveramp auth check`: gets a token with every configured credential.

use std::time::SystemTime;

use clap::Subcommand;
use serde::Serialize;

use crate::exit::{CliError, Failure, auth_failure};
use crate::output::Output;

/// The `auth` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AuthCommand {
    /// Gets a token with each configured credential (nothing else is called).
    Check,
}

/// The outcome of one credential's check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialCheck {
    /// Which credential: `service-account` or `abilitec`.
    pub credential: &'static str,
    /// The APIs it serves.
    pub apis: &'static str,
    /// `ok`, `failed` or `not configured`.
    pub status: &'static str,
    /// Seconds until the token expires, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    failure: Option<Failure>,
}

/// Runs an `auth` subcommand.
pub async fn run(
    command: &AuthCommand,
    config: &liveramp::Config,
    out: Output,
) -> Result<(), CliError> {
    match command {
        AuthCommand::Check => {
            let spinner = out.spinner("getting tokens");
            let checks = check(config).await;
            spinner.finish_and_clear();
            out.emit(&checks, |checks| {
                checks
                    .iter()
                    .map(|c| {
                        let detail = match (&c.error, c.expires_in_seconds) {
                            (Some(error), _) => format!(": {error}"),
                            (None, Some(seconds)) => format!(" (token expires in {seconds} s)"),
                            (None, None) => String::new(),
                        };
                        format!("{:<17} {:<15} {}{detail}", c.credential, c.status, c.apis)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            verdict(&checks)
        }
    }
}

/// Checks every credential; one that is not configured is reported as such.
pub async fn check(config: &liveramp::Config) -> Vec<CredentialCheck> {
    let service_account = match config.service_account_tokens() {
        Ok(tokens) => Some(tokens.token().await),
        Err(error) if is_missing(&error) => None,
        Err(error) => Some(Err(error)),
    };
    let abilitec = match config.abilitec_tokens() {
        Ok(tokens) => Some(tokens.token().await),
        Err(error) if is_missing(&error) => None,
        Err(error) => Some(Err(error)),
    };
    vec![
        outcome(
            "service-account",
            "Activation, Consent Files",
            service_account,
        ),
        outcome("abilitec", "AbiliTec", abilitec),
    ]
}

fn is_missing(error: &liveramp::auth::AuthError) -> bool {
    // A setting that is present but refused (a token_uri that is not LiveRamp's) names its field.
    error.kind() == liveramp::auth::AuthErrorKind::Config
        && error.path().is_none()
        && error.field().is_none()
}

fn outcome(
    credential: &'static str,
    apis: &'static str,
    result: Option<Result<liveramp::auth::AccessToken, liveramp::auth::AuthError>>,
) -> CredentialCheck {
    let mut check = CredentialCheck {
        credential,
        apis,
        status: "not configured",
        expires_in_seconds: None,
        error: None,
        failure: None,
    };
    match result {
        None => {}
        Some(Ok(token)) => {
            check.status = "ok";
            check.expires_in_seconds = token
                .jwt_expiry()
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map(|left| left.as_secs());
        }
        Some(Err(error)) => {
            check.status = "failed";
            check.failure = Some(auth_failure(&error));
            check.error = Some(crate::exit::one_line(&error));
        }
    }
    check
}

/// Fails when a configured credential failed, or when none is configured.
fn verdict(checks: &[CredentialCheck]) -> Result<(), CliError> {
    if let Some(failed) = checks.iter().find(|c| c.failure.is_some()) {
        let failure = failed.failure.unwrap_or(Failure::Auth);
        return Err(CliError::new(
            failure,
            format!("the {} credential failed", failed.credential),
        ));
    }
    if checks.iter().all(|c| c.status == "not configured") {
        return Err(CliError::usage(
            "no credential configured: set LIVERAMP_CREDENTIALS or LIVERAMP_ABILITEC_CLIENT_ID \
             and LIVERAMP_ABILITEC_CLIENT_SECRET",
        ));
    }
    Ok(())
}
