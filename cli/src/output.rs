//! What commands print: human lines or JSON on stdout, errors on stderr, progress on stderr
//! only when stderr is a terminal and the output is not JSON.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::exit::CliError;

/// Where and how a command reports.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
    progress: bool,
}

impl Output {
    /// Human output unless `json`; progress drawn when stderr is a terminal and not `json`.
    pub fn new(json: bool) -> Self {
        Self {
            json,
            progress: !json && std::io::stderr().is_terminal(),
        }
    }

    /// Whether the output is JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value`: as JSON in JSON mode, else as the lines `human` makes of it.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => print_stdout(&text),
                Err(error) => eprintln!("error: cannot encode the output as JSON: {error}"),
            }
        } else {
            let text = human(value);
            if !text.is_empty() {
                print_stdout(text.trim_end_matches('\n'));
            }
        }
    }

    /// Prints `value` as one line of JSON, whatever the mode.
    pub fn emit_line<T: Serialize>(&self, value: &T) {
        match serde_json::to_string(value) {
            Ok(text) => print_stdout(&text),
            Err(error) => eprintln!("error: cannot encode the output as JSON: {error}"),
        }
    }

    /// A step of a longer walk-through, in human mode only (stdout).
    pub fn step(&self, text: &str) {
        if !self.json {
            print_stdout(text);
        }
    }

    /// A note for the human on stderr (never in JSON mode, never mixed into stdout).
    pub fn note(&self, text: &str) {
        if !self.json {
            eprintln!("{}", printable(text));
        }
    }

    /// Something the user must act on (a URL to open), on stderr in every mode.
    pub fn prompt(&self, text: &str) {
        eprintln!("{}", printable(text));
    }

    /// A spinner showing `message`, hidden when progress is not drawn.
    pub fn spinner(&self, message: impl Into<String>) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, self.draw_target());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// A bar counting `len` items, hidden when progress is not drawn.
    pub fn counter(&self, len: u64, message: impl Into<String>) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), self.draw_target());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.into());
        bar
    }

    /// A bar counting bytes, hidden when progress is not drawn.
    pub fn bytes(&self, len: Option<u64>, message: impl Into<String>) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(len, self.draw_target());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.into());
        bar
    }

    fn draw_target(&self) -> ProgressDrawTarget {
        if self.progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        }
    }

    /// Reports a failed command on stderr: one line, or under `--json` one JSON object with
    /// the message, the kind of failure and the exit code.
    pub fn error(&self, error: &CliError) {
        if self.json {
            let failure = error.failure();
            let report = serde_json::json!({
                "error": error.one_line(),
                "kind": failure.name(),
                "exitCode": failure.code(),
            });
            eprintln!("{report}");
        } else {
            eprintln!("error: {}", printable(&error.one_line()));
        }
    }
}

fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`liveramp ... | head`) is not an error worth reporting.
    let _ = writeln!(stdout, "{}", printable(text));
    let _ = stdout.flush();
}

/// `text` without terminal control characters (escape sequences, carriage returns), which a
/// server's text could use to rewrite the user's terminal; newlines and tabs stay.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        text.chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod printable_tests {
    #[test]
    fn control_characters_are_removed() {
        assert_eq!(
            super::printable("ok\u{1b}]8;;file:///etc/passwd\u{7}x\r\nnext\tcol"),
            "ok]8;;file:///etc/passwdx\nnext\tcol"
        );
        assert_eq!(super::printable("plain"), "plain");
    }
}
