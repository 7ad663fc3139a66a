//! `liveramp abilitec match-file`: matches every row of a CSV file through batch calls.
//!
//! The CSV's header names the documented match fields (`email`, `firstName`, `zipCode`, ...);
//! every row becomes one match built by the library's own single-call builder, so each field is
//! checked and encoded as a single call would. The file is read twice and never held whole: a
//! first pass checks every row (a bad row fails the run before anything is sent), the second
//! streams the rows into the batch calls. A row longer than [`MAX_ROW_BYTES`] fails the run,
//! and so does a file of more rows than `--max-rows` ([`DEFAULT_MAX_ROWS`] unless given).
//! Results are written in input order, as CSV or as JSON Lines, with a progress bar and a
//! final summary on stderr (under `--json`: the summary as stdout's JSON when the results go
//! to `--output`, else none).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Args, ValueEnum};
use futures::StreamExt;
use liveramp::bulk::{BatchItem, BulkOptions, Resolved};
use serde::Serialize;

use crate::exit::{CliError, Failure, lib_error};
use crate::output::Output;

/// What `match-file` reads and writes.
#[derive(Debug, Clone, Args)]
pub struct MatchFileArgs {
    /// The CSV file to read; its header names the documented match fields.
    #[arg(value_name = "CSV")]
    pub input: PathBuf,
    /// Where to write the results (standard output when absent).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The results' format (CSV by default; JSON Lines on stdout under `--json`, where CSV
    /// needs `--output`).
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// The most rows to match: a longer file fails the run before anything is sent. At the
    /// batch calls' 360 a minute (1,000 rows each), the default takes about half an hour.
    #[arg(long, value_name = "ROWS", default_value_t = DEFAULT_MAX_ROWS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows: u64,
}

/// The rows `match-file` matches at most unless `--max-rows` says otherwise.
pub const DEFAULT_MAX_ROWS: u64 = 10_000_000;

/// The formats `match-file` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// One CSV row per input row: row, outcome, consumer link, error code, message.
    Csv,
    /// One JSON object per input row.
    Jsonl,
}

/// How the rows of a run came out.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchSummary {
    /// Rows read.
    pub rows: usize,
    /// Rows matched to a document.
    pub matched: usize,
    /// Rows the API found no document for (600-0030).
    pub not_found: usize,
    /// Other refused rows, by error code.
    pub errors: BTreeMap<String, usize>,
}

/// Where the results go.
enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(Box<dyn Write>),
}

/// One result line.
#[derive(Debug, Serialize)]
struct Line<'a> {
    row: usize,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<&'a liveramp::abilitec::types::BatchDocument>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

/// Refuses arguments that contradict each other, before the credentials are read: CSV on
/// stdout under `--json`.
pub fn check_args(args: &MatchFileArgs, out: Output) -> Result<(), CliError> {
    if out.is_json() && args.output.is_none() && args.format == Some(FileFormat::Csv) {
        return Err(CliError::usage(
            "under --json, standard output is JSON: write CSV to a file with --output, or \
             leave --format csv out for JSON Lines",
        ));
    }
    Ok(())
}

/// Runs `match-file` (after [`check_args`]).
pub async fn run(
    client: &liveramp::abilitec::Client,
    args: &MatchFileArgs,
    settings_files: &[std::path::PathBuf],
    out: Output,
) -> Result<MatchSummary, CliError> {
    check_paths(args, settings_files)?;
    // First pass: every row is checked, only counted.
    let mut rows = 0;
    for item in items(client, &args.input)? {
        item?;
        rows += 1;
        if rows as u64 > args.max_rows {
            return Err(CliError::usage(format!(
                "{} has more than {} rows: raise --max-rows to match it whole, or split it",
                args.input.display(),
                args.max_rows
            )));
        }
    }
    let writer: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            crate::files::create_private(path).map_err(|e| {
                let hint = match e.kind() {
                    std::io::ErrorKind::InvalidInput => {
                        " (leave --output out to write to standard output)"
                    }
                    _ => "",
                };
                local_file(format!("cannot create {}: {e}{hint}", path.display()))
            })?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    // JSON Lines by default only where `--json` governs: on stdout.
    let format = args
        .format
        .unwrap_or(match out.is_json() && args.output.is_none() {
            true => FileFormat::Jsonl,
            false => FileFormat::Csv,
        });
    let mut sink = match format {
        FileFormat::Csv => {
            let mut csv_out = csv::Writer::from_writer(writer);
            csv_out
                .write_record(["row", "outcome", "consumerLink", "code", "message"])
                .map_err(io_error)?;
            Sink::Csv(Box::new(csv_out))
        }
        FileFormat::Jsonl => Sink::Jsonl(writer),
    };
    let bar = out.counter(rows as u64, "rows");
    let mut summary = MatchSummary {
        rows,
        ..MatchSummary::default()
    };
    // Second pass: the rows stream into the batch calls, as many as the first pass counted. A
    // row that fails now, or one more (the file changed since the first pass), ends the stream
    // and the run.
    let changed = Arc::new(std::sync::Mutex::new(None));
    let second = counted(
        items(client, &args.input)?,
        rows,
        args.input.display().to_string(),
        changed.clone(),
    );
    let mut resolved = client.resolve(futures::stream::iter(second), BulkOptions::default());
    while let Some(item) = resolved.next().await {
        let item = item.map_err(lib_error)?;
        let line = line(&item, &mut summary);
        match &mut sink {
            Sink::Csv(csv_out) => {
                let link = line
                    .document
                    .and_then(|d| d.person.as_ref())
                    .and_then(|p| serde_json::to_value(&p.abilitec).ok())
                    .and_then(|v| {
                        v.get("consumerLink")
                            .and_then(|l| l.as_str())
                            .map(str::to_owned)
                    })
                    .unwrap_or_default();
                csv_out
                    .write_record(csv_cells(&line, &link))
                    .map_err(io_error)?;
            }
            Sink::Jsonl(writer) => {
                let text = serde_json::to_string(&line).map_err(|e| write_error(e.into()))?;
                writeln!(writer, "{text}").map_err(write_error)?;
            }
        }
        bar.inc(1);
    }
    match &mut sink {
        Sink::Csv(csv_out) => csv_out.flush().map_err(write_error)?,
        Sink::Jsonl(writer) => writer.flush().map_err(write_error)?,
    }
    bar.finish_and_clear();
    if let Some(error) = changed.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(error);
    }
    let resolved_rows =
        summary.matched + summary.not_found + summary.errors.values().sum::<usize>();
    if resolved_rows != rows {
        return Err(local_file(format!(
            "{} changed while it was read: {rows} rows, then {resolved_rows}",
            args.input.display()
        )));
    }
    Ok(summary)
}

/// The items of `items` while they are `Ok` and fewer than `rows`; the error that ends them
/// (a failed row, or a row beyond `rows`: the file `input` grew) is left in `changed`.
fn counted<T>(
    items: impl Iterator<Item = Result<T, CliError>>,
    rows: usize,
    input: String,
    changed: Arc<std::sync::Mutex<Option<CliError>>>,
) -> impl Iterator<Item = T> {
    items
        .enumerate()
        .map_while(move |(at, item)| {
            let item = item.and_then(|item| match at < rows {
                true => Ok(item),
                false => Err(local_file(format!(
                    "{input} changed while it was read: it has more than the {rows} rows first \
                     counted"
                ))),
            });
            item.map_err(|error| *changed.lock().unwrap_or_else(|p| p.into_inner()) = Some(error))
                .ok()
        })
        .fuse()
}

/// The CSV cells of `line` with its consumer `link`: the server's text without control
/// characters but line breaks and tabs (the CSV quotes them), which cannot drive a terminal.
fn csv_cells(line: &Line<'_>, link: &str) -> [String; 5] {
    let text = |cell: &str| crate::output::printable(cell).into_owned();
    [
        line.row.to_string(),
        line.outcome.to_owned(),
        text(link),
        text(line.code.unwrap_or_default()),
        text(line.message.unwrap_or_default()),
    ]
}

/// A failure of a local file (exit code 1, as the exit codes' table says).
fn local_file(message: String) -> CliError {
    CliError::new(Failure::Generic, message)
}

/// Whether `a` and `b` are the metadata of one file: on Unix, one device and inode, so a hard
/// link to it counts too; elsewhere, never (only the paths are compared).
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Refuses input that cannot be read twice (not a regular file: a pipe, standard input) and an
/// output that is the input itself (creating it would empty the input before the second pass)
/// or one of `settings_files` (the credentials the run was configured with).
fn check_paths(
    args: &MatchFileArgs,
    settings_files: &[std::path::PathBuf],
) -> Result<(), CliError> {
    let input = &args.input;
    let metadata = std::fs::metadata(input)
        .map_err(|e| local_file(format!("cannot read {}: {e}", input.display())))?;
    if !metadata.is_file() {
        return Err(CliError::usage(format!(
            "{} is not a regular file: match-file reads its input twice (save it to a file first)",
            input.display()
        )));
    }
    let Some(output) = &args.output else {
        return Ok(());
    };
    // Looked up once: the output is compared with every file the run read.
    let (output_file, output_path) = (std::fs::metadata(output), std::fs::canonicalize(output));
    let is = |read: &std::path::Path| {
        let same_inode = match (std::fs::metadata(read), &output_file) {
            (Ok(read), Ok(output)) => same_file(&read, output),
            _ => false,
        };
        same_inode
            || matches!(
                (std::fs::canonicalize(read), &output_path),
                (Ok(a), Ok(b)) if a == *b
            )
    };
    if is(input) {
        return Err(CliError::usage(format!(
            "--output {} is the input file: choose another path",
            output.display()
        )));
    }
    if settings_files.iter().any(|read| is(read)) {
        return Err(CliError::usage(format!(
            "--output {} is the credentials file: choose another path",
            output.display()
        )));
    }
    Ok(())
}

/// The longest row `match-file` reads, the header included, counted as its fields and the
/// commas between them: a longer one fails the run (a match row is a few short fields).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// How much may be read without a row ending before the read fails: what bounds the reader's
/// memory, since the exact length of a row is known only once it ends.
const MAX_READ_WITHOUT_A_ROW: usize = 1024 * 1024;

/// The input file, failing a read once more than [`MAX_READ_WITHOUT_A_ROW`] has been read since
/// `items` last reset the count (after every row).
struct RowBounded {
    file: std::fs::File,
    since_row: Arc<AtomicUsize>,
}

impl Read for RowBounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if self.since_row.fetch_add(n, Ordering::Relaxed) + n > MAX_READ_WITHOUT_A_ROW {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "no row ends within {} KiB (rows are at most {} KiB)",
                    MAX_READ_WITHOUT_A_ROW / 1024,
                    MAX_ROW_BYTES / 1024
                ),
            ));
        }
        Ok(n)
    }
}

/// Fails unless `record` is within [`MAX_ROW_BYTES`].
fn check_length(record: &csv::StringRecord) -> Result<(), String> {
    let length = record.as_byte_record().as_slice().len() + record.len().saturating_sub(1);
    if length > MAX_ROW_BYTES {
        return Err(format!("longer than {} KiB", MAX_ROW_BYTES / 1024));
    }
    Ok(())
}

/// The match of each row of `path`, built by the single-call builder, read as they are asked
/// for. The rows end at the first failure.
fn items<'c>(
    client: &'c liveramp::abilitec::Client,
    path: &std::path::Path,
) -> Result<impl Iterator<Item = Result<BatchItem, CliError>> + Send + 'c, CliError> {
    let shown = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| local_file(format!("cannot read {shown}: {e}")))?;
    let since_row = Arc::new(AtomicUsize::new(0));
    let mut reader = csv::Reader::from_reader(RowBounded {
        file,
        since_row: since_row.clone(),
    });
    let header = reader
        .headers()
        .map_err(|e| CliError::usage(format!("{shown}: no CSV header ({e})")))?
        .clone();
    check_length(&header).map_err(|e| CliError::usage(format!("{shown}: the header is {e}")))?;
    let (mut record, mut row, mut ended) = (csv::StringRecord::new(), 0usize, false);
    Ok(std::iter::from_fn(move || {
        if ended {
            return None;
        }
        since_row.store(0, Ordering::Relaxed);
        row += 1;
        let at = |e: &dyn std::fmt::Display| CliError::usage(format!("{shown}: row {row}: {e}"));
        let item = match reader.read_record(&mut record) {
            Ok(false) => {
                ended = true;
                return None;
            }
            Err(e) => Err(at(&e)),
            Ok(true) => check_length(&record)
                .map_err(|e| CliError::usage(format!("{shown}: row {row} is {e}")))
                .and_then(|()| {
                    let mut request = client.match_people();
                    for (name, value) in header.iter().zip(record.iter()) {
                        if value.trim().is_empty() {
                            continue;
                        }
                        request = request
                            .param(name.trim(), value.trim())
                            .map_err(|e| at(&e))?;
                    }
                    request.batch_item().map_err(|e| at(&e))
                }),
        };
        ended = item.is_err();
        Some(item)
    }))
}

/// The result line of `item`, counted into `summary`.
fn line<'a>(item: &'a Resolved, summary: &mut MatchSummary) -> Line<'a> {
    match &item.result {
        Ok(document) => {
            summary.matched += 1;
            Line {
                row: item.index + 1,
                outcome: "matched",
                document: Some(document),
                code: None,
                message: None,
            }
        }
        Err(error) => {
            let code = error.code.as_deref();
            let not_found = code == Some(liveramp::error::abilitec::NOT_FOUND);
            if not_found {
                summary.not_found += 1;
            } else {
                *summary
                    .errors
                    .entry(code.unwrap_or("unknown").to_owned())
                    .or_default() += 1;
            }
            Line {
                row: item.index + 1,
                outcome: if not_found { "not_found" } else { "error" },
                document: None,
                code,
                message: error.message.as_deref(),
            }
        }
    }
}

/// The summary as the human-readable lines printed at the end.
pub fn human_summary(summary: &MatchSummary) -> String {
    let mut text = format!(
        "{} rows: {} matched, {} not found",
        summary.rows, summary.matched, summary.not_found
    );
    for (code, count) in &summary.errors {
        text.push_str(&format!(", {count} error {code}"));
    }
    text
}

fn io_error(error: csv::Error) -> CliError {
    CliError::new(
        Failure::Generic,
        format!("cannot write the results: {error}"),
    )
}

fn write_error(error: std::io::Error) -> CliError {
    CliError::new(
        Failure::Generic,
        format!("cannot write the results: {error}"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_second_pass_stops_at_a_row_the_first_did_not_count() {
        // Found by review: a file that grew between the passes had its extra rows dropped
        // and the run reported success.
        let changed = std::sync::Arc::new(std::sync::Mutex::new(None));
        let grown = (0..5).map(Ok::<u32, super::CliError>);
        let mut second = super::counted(grown, 3, "f.csv".into(), changed.clone());
        let sent: Vec<u32> = second.by_ref().collect();
        assert_eq!(sent, [0, 1, 2], "the extra row is not sent");
        assert_eq!(second.next(), None, "nor a row after it, asked again");
        let error = changed
            .lock()
            .unwrap()
            .take()
            .expect("the change is reported");
        assert!(
            error.to_string().contains("more than the 3 rows"),
            "{error}"
        );

        let same = (0..3).map(Ok::<u32, super::CliError>);
        let sent: Vec<u32> = super::counted(same, 3, "f.csv".into(), changed.clone()).collect();
        assert_eq!(sent, [0, 1, 2]);
        assert!(changed.lock().unwrap().is_none());
    }

    #[test]
    fn csv_cells_hold_no_control_characters_from_the_server() {
        // Found by review: a consumer link sent with escape sequences reached the terminal.
        let line = super::Line {
            row: 1,
            outcome: "error",
            document: None,
            code: Some("600\u{1b}[2J"),
            message: Some("bad\u{7}"),
        };
        let cells = super::csv_cells(&line, "\u{1b}]0;owned\u{7}link");
        let escapes = |c: char| c.is_control() && c != '\n' && c != '\t';
        assert!(cells.iter().all(|c| !c.chars().any(escapes)), "{cells:?}");
        assert_eq!(cells[2], "]0;ownedlink");
    }
}
