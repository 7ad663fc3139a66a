//! The `liveramp` command over the `liveramp` crate: one module per command group, a shared
//! output layer ([`output`]) and exit codes ([`exit`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod abilitec;
pub mod activation;
pub mod activation_oauth;
pub mod auth;
pub mod browser;
pub mod config;
pub mod consent;
pub mod data_integration;
pub mod demo;
pub mod exit;
mod files;
pub mod match_file;
pub mod output;
pub mod sandbox;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use config::{
    AbilitecArgs, ActivationArgs, ConsentArgs, DataIntegrationArgs, ServiceAccountArgs, to_config,
};
use exit::{CliError, Failure};
use output::Output;

/// LiveRamp Activation, Consent Files, AbiliTec and Data Integration from the shell.
#[derive(Debug, Parser)]
#[command(name = "liveramp", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 ok, 1 other failure, 2 usage or configuration, \
3 authentication, 4 API error, 5 network."
)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text (no progress drawn); errors are
    /// JSON on stderr too.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log what the library does on stderr: -v for calls and retries, -vv for everything
    /// (`RUST_LOG` takes precedence, e.g. `RUST_LOG=liveramp=trace`).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The command groups; each takes the settings of the APIs it calls.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Activation v2: destinations, integrations, integration connections.
    Activation {
        /// The service account.
        #[command(flatten)]
        service_account: ServiceAccountArgs,
        /// Activation settings.
        #[command(flatten)]
        settings: ActivationArgs,
        /// What to do.
        #[command(subcommand)]
        command: activation::ActivationCommand,
    },
    /// AbiliTec: match PII to people, places, households, entities.
    Abilitec {
        /// The service account.
        #[command(flatten)]
        service_account: ServiceAccountArgs,
        /// AbiliTec settings.
        #[command(flatten)]
        settings: AbilitecArgs,
        /// What to do.
        #[command(subcommand)]
        command: abilitec::AbilitecCommand,
    },
    /// Credentials: check that each configured one gets a token.
    Auth {
        /// The service account.
        #[command(flatten)]
        service_account: ServiceAccountArgs,
        /// AbiliTec settings.
        #[command(flatten)]
        abilitec: AbilitecArgs,
        /// What to do.
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
    /// Data Integration: OAuth2 credentials for a data source.
    DataIntegration {
        /// Data Integration settings.
        #[command(flatten)]
        settings: DataIntegrationArgs,
        /// What to do.
        #[command(subcommand)]
        command: data_integration::DataIntegrationCommand,
    },
    /// Runs the sandbox of every API on 127.0.0.1 until Ctrl-C and prints its environment.
    Sandbox {
        /// The port (0: any free port).
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Walks through every API's main flow against an in-process sandbox.
    Demo,
    /// Consent Files: list them, sync them into a directory.
    Consent {
        /// The service account.
        #[command(flatten)]
        service_account: ServiceAccountArgs,
        /// Consent Files settings.
        #[command(flatten)]
        settings: ConsentArgs,
        /// What to do.
        #[command(subcommand)]
        command: consent::ConsentCommand,
    },
    /// Prints the completion script of a shell (e.g. `liveramp completions bash > ...`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parses `args`, runs the command and returns the process exit code.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let json = args.iter().any(|arg| arg == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // Help and version go to stdout with 0; under `--json`, as one JSON object.
        Err(error) if !error.use_stderr() && json => {
            let shown = match error.kind() {
                clap::error::ErrorKind::DisplayVersion => {
                    serde_json::json!({ "version": env!("CARGO_PKG_VERSION") })
                }
                _ => serde_json::json!({ "help": error.render().to_string() }),
            };
            Output::new(true).emit(&shown, |_| String::new());
            return ExitCode::SUCCESS;
        }
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        // Usage errors to stderr with 2: as the JSON report when `--json` was asked for,
        // though the rest did not parse.
        Err(error) if json => {
            // clap's message is its first paragraph (the usage and a hint follow).
            let rendered = error.to_string();
            let paragraph = rendered.split("\n\n").next().unwrap_or_default();
            let message = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
            let message = message.trim_start_matches("error: ");
            Output::new(true).error(&CliError::usage(message));
            return ExitCode::from(Failure::Usage.code());
        }
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(Failure::Usage.code());
        }
    };
    let out = Output::new(cli.json);
    init_logging(cli.verbose, cli.json);
    match run(cli, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            out.error(&error);
            ExitCode::from(error.failure().code())
        }
    }
}

fn run(cli: Cli, out: Output) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(Failure::Generic, e))?;
    runtime.block_on(async move {
        match &cli.command {
            Command::Activation {
                service_account,
                settings,
                command,
            } => {
                let config = to_config(&[service_account, settings])?;
                activation::run(command, &config, out).await
            }
            Command::Abilitec {
                service_account,
                settings,
                command,
            } => {
                let config = to_config(&[service_account, settings])?;
                // The files the command read its settings from, which its output must not be.
                let read: Vec<std::path::PathBuf> =
                    service_account.credentials.iter().map(Into::into).collect();
                abilitec::run(command, &config, &read, out).await
            }
            Command::Auth {
                service_account,
                abilitec,
                command,
            } => auth::run(command, &to_config(&[service_account, abilitec])?, out).await,
            Command::DataIntegration { settings, command } => {
                data_integration::run(command, &to_config(&[settings])?, out).await
            }
            Command::Sandbox { port } => sandbox::run(*port, out).await,
            Command::Demo => demo::run(out).await,
            Command::Consent {
                service_account,
                settings,
                command,
            } => {
                let config = to_config(&[service_account, settings])?;
                consent::run(command, &config, out).await
            }
            Command::Completions { shell } => {
                use clap::CommandFactory;
                use clap_complete::Generator;
                let mut command = Cli::command().bin_name("liveramp");
                command.build();
                // Fallibly: `generate` panics when stdout cannot be written (a full disk).
                shell
                    .try_generate(&command, &mut std::io::stdout().lock())
                    .map_err(|e| {
                        CliError::new(
                            Failure::Generic,
                            format!("cannot write the completions: {e}"),
                        )
                    })
            }
        }
    })
}

/// Logs on stderr as `RUST_LOG` says, or at the level `-v` (debug) or `-vv` (trace) asks for,
/// or else the warnings (a credentials file others may read, a list cut short), except under
/// `--json`, whose stderr holds only its error report. The library never logs a secret or
/// personal data.
fn init_logging(verbose: u8, json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match (std::env::var("RUST_LOG"), verbose, json) {
        (Ok(spec), _, _) if !spec.trim().is_empty() => EnvFilter::new(spec),
        (_, 0, true) => return,
        (_, 0, false) => EnvFilter::new("liveramp=warn,liveramp_cli=warn"),
        (_, 1, _) => EnvFilter::new("liveramp=debug,liveramp_cli=debug"),
        _ => EnvFilter::new("trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}

/// The guide to testing with the sandbox (`docs/sandbox.md`), compiled here so that its
/// examples stay true.
#[doc = include_str!("../../docs/sandbox.md")]
pub mod sandbox_guide {}
