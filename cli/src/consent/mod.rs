//! `liveramp consent`: list the consent files and sync them into a directory.

use std::path::PathBuf;
use std::sync::Mutex;

use clap::Subcommand;
use indicatif::ProgressBar;
use liveramp::consent::types::ConsentFile;

use crate::exit::{CliError, Failure, classify};
use crate::output::Output;
use liveramp::consent::SyncedFile;
use liveramp::consent::sync::{self, SyncError, SyncObserver, SyncReport};

/// The `consent` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ConsentCommand {
    /// Lists every consent file (all pages). Their signed download URLs are left out: anyone
    /// holding one could fetch the file; `sync` downloads them.
    List,
    /// Downloads every consent file into DIR exactly once; a rerun resumes.
    Sync {
        /// The directory to download into (created if missing).
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Applies each new file with PROGRAM, run with the file's path as its argument and
        /// `LIVERAMP_CONSENT_FILE_ID`, `..._REQUEST_TYPE` and `..._IDENTIFIER_TYPE` set; a file
        /// is recorded done only when it exits 0. It must be idempotent per file ID: a file
        /// whose run was cut off is handed to it again. Under --json its output is discarded.
        #[arg(long, value_name = "PROGRAM")]
        exec: Option<PathBuf>,
        /// How many files download at once, ahead of PROGRAM (1 to 64).
        #[arg(long, value_name = "N", default_value_t = sync::DEFAULT_DOWNLOADS_IN_FLIGHT as u8,
              value_parser = clap::value_parser!(u8).range(1..=64))]
        downloads_in_flight: u8,
        /// Refuses a file larger than BYTES (nothing of it is kept, and the run stops there).
        #[arg(long, value_name = "BYTES", default_value_t = sync::DEFAULT_MAX_FILE_BYTES,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_file_bytes: u64,
    },
}

/// Runs a `consent` subcommand.
pub async fn run(
    command: &ConsentCommand,
    config: &liveramp::Config,
    out: Output,
) -> Result<(), CliError> {
    let client = config.consent().map_err(crate::exit::auth_error)?;
    match command {
        ConsentCommand::List => list(&client, out).await,
        ConsentCommand::Sync {
            dir,
            exec,
            downloads_in_flight,
            max_file_bytes,
        } => {
            let syncing = Syncing {
                exec: exec.as_deref(),
                in_flight: usize::from(*downloads_in_flight),
                max_file_bytes: *max_file_bytes,
            };
            let report = sync_with_progress(&client, dir, syncing, out).await?;
            out.emit(&report, human_report);
            Ok(())
        }
    }
}

async fn list(client: &liveramp::consent::Client, out: Output) -> Result<(), CliError> {
    let spinner = out.spinner("listing consent files");
    let files = sync::list_all(client).await;
    spinner.finish_and_clear();
    let files = files?;
    let shown = files
        .iter()
        .map(without_signed_url)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::new(Failure::Generic, format!("cannot show the files: {e}")))?;
    out.emit(&shown, |_| {
        let mut text = format!("{} consent file(s)\n", files.len());
        for file in &files {
            text.push_str(&human_file(file));
            text.push('\n');
        }
        text
    });
    Ok(())
}

/// A listed file as JSON without its `fileURL`, whose query signs the download.
fn without_signed_url(file: &ConsentFile) -> Result<serde_json::Value, serde_json::Error> {
    let mut value = serde_json::to_value(file)?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("fileURL");
    }
    Ok(value)
}

fn human_file(file: &ConsentFile) -> String {
    format!(
        "{}  {}  {:<10} {}",
        file.id,
        file.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
        file.identifier_type.as_str(),
        file.request_type.as_str()
    )
}

/// How `consent sync` runs, from its flags.
#[derive(Debug, Clone, Copy)]
pub struct Syncing<'a> {
    /// The program each new file is applied with.
    pub exec: Option<&'a std::path::Path>,
    /// Downloads at once.
    pub in_flight: usize,
    /// The largest file taken.
    pub max_file_bytes: u64,
}

/// Runs a sync into `dir` as `syncing` says, drawing a file counter and one byte bar for all
/// the files in flight.
pub async fn sync_with_progress(
    client: &liveramp::consent::Client,
    dir: &std::path::Path,
    syncing: Syncing<'_>,
    out: Output,
) -> Result<SyncReport, CliError> {
    let spinner = out.spinner("listing consent files");
    let observer = Bars {
        out,
        spinner,
        files: Mutex::new(None),
        bytes: Mutex::new(None),
    };
    let store = liveramp::consent::DirStore::new(dir);
    let result = liveramp::consent::Syncer::new(client, dir, store)
        .observer(&observer)
        .downloads_in_flight(syncing.in_flight)
        .max_file_bytes(syncing.max_file_bytes)
        .run(|file| apply(syncing.exec, file, out.is_json()))
        .await;
    observer.clear();
    Ok(result?)
}

/// Runs `exec` on a synced file, if one was given; its failure leaves the file unrecorded.
/// Under `--json` its output is discarded: stdout is the report's alone, stderr the error
/// report's.
async fn apply(
    exec: Option<&std::path::Path>,
    file: sync::ReceivedFile,
    json: bool,
) -> Result<(), std::io::Error> {
    let Some(program) = exec else {
        return Ok(());
    };
    let mut command = tokio::process::Command::new(program);
    if json {
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
    }
    let status = command
        .arg(&file.path)
        .env("LIVERAMP_CONSENT_FILE_ID", &file.record.id)
        .env("LIVERAMP_CONSENT_REQUEST_TYPE", &file.record.request_type)
        .env(
            "LIVERAMP_CONSENT_IDENTIFIER_TYPE",
            &file.record.identifier_type,
        )
        .stdin(std::process::Stdio::null())
        .status()
        .await?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{} exited with {status}",
            program.display()
        )))
    }
}

/// Draws a sync's progress.
struct Bars {
    out: Output,
    spinner: ProgressBar,
    files: Mutex<Option<ProgressBar>>,
    bytes: Mutex<Option<ProgressBar>>,
}

/// The bar in `slot` (a poisoned lock still holds a usable bar).
fn bar(slot: &Mutex<Option<ProgressBar>>) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

impl Bars {
    /// One more file handled or skipped.
    fn count_file(&self) {
        if let Some(bar) = bar(&self.files).as_ref() {
            bar.inc(1);
        }
    }

    fn clear(&self) {
        self.spinner.finish_and_clear();
        for slot in [&self.files, &self.bytes] {
            if let Some(done) = bar(slot).take() {
                done.finish_and_clear();
            }
        }
    }
}

impl SyncObserver for Bars {
    fn listed(&self, _total: usize, pending: usize) {
        self.spinner.finish_and_clear();
        *bar(&self.files) = Some(self.out.counter(pending as u64, "files"));
    }

    fn started(&self, _id: &str, bytes: Option<u64>) {
        let mut slot = bar(&self.bytes);
        match slot.as_ref() {
            Some(bar) => bar.inc_length(bytes.unwrap_or(0)),
            None => *slot = Some(self.out.bytes(bytes, "downloading")),
        }
    }

    fn progressed(&self, bytes: u64) {
        if let Some(bar) = bar(&self.bytes).as_ref() {
            bar.inc(bytes);
        }
    }

    fn finished(&self, _entry: &SyncedFile) {
        self.count_file();
    }

    fn skipped(&self, _id: &str) {
        self.count_file();
    }
}

fn human_report(report: &SyncReport) -> String {
    let mut text = String::new();
    for entry in &report.downloaded {
        text.push_str(&format!(
            "downloaded {} ({} bytes)\n",
            entry.file, entry.bytes
        ));
    }
    text.push_str(&format!(
        "{} listed, {} downloaded, {} already synced into {}",
        report.listed,
        report.downloaded.len(),
        report.already_synced,
        report.dir.display()
    ));
    if report.stale_temp_files_removed > 0 {
        text.push_str(&format!(
            "\nremoved {} partial file(s) of an interrupted run",
            report.stale_temp_files_removed
        ));
    }
    if !report.vanished.is_empty() {
        text.push_str(&format!(
            "\n{} file(s) disappeared from the listing before download: {}",
            report.vanished.len(),
            report.vanished.join(", ")
        ));
    }
    text
}

impl From<SyncError> for CliError {
    fn from(error: SyncError) -> Self {
        let failure = match &error {
            SyncError::List(source) => classify(source),
            SyncError::Download { source, .. } => download_failure(source),
            SyncError::Truncated { .. } | SyncError::Unproven { .. } => Failure::Network,
            SyncError::Busy { .. } => Failure::Usage,
            SyncError::TooLarge { .. } => Failure::Api,
            _ => Failure::Generic,
        };
        CliError::new(failure, error)
    }
}

fn download_failure(error: &liveramp::consent::DownloadError) -> Failure {
    use liveramp::consent::DownloadError;
    match error {
        DownloadError::Transport(_) | DownloadError::Stalled => Failure::Network,
        DownloadError::InvalidUrl | DownloadError::InsecureUrl | DownloadError::LocalUrl => {
            Failure::Api
        }
        DownloadError::Expired => Failure::Auth,
        DownloadError::Status(status) => Failure::from_status(status.as_u16()),
        _ => Failure::Generic,
    }
}
