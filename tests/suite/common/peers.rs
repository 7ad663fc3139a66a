//! Third-party servers the tests run against (installed from `tests/peers/package.json` by
//! `cargo xtask test`): each one is started on a free loopback port and killed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use super::server;

/// A running third-party server.
pub struct Peer {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl Peer {
    /// Starts `node_modules/.bin/<bin>` with `args`, each `{port}` replaced by a free port, and
    /// waits until a line of its stdout contains `listening` (`{port}` replaced likewise).
    pub fn spawn(bin: &str, args: &[&str], listening: &str) -> Peer {
        let path = bin_dir().join(bin);
        assert!(
            path.exists(),
            "{} is missing: run `cargo xtask test` (or `npm ci --prefix tests/peers`) first",
            path.display()
        );
        let command = |port: u16| {
            let mut command = Command::new(&path);
            command.args(args.iter().map(|a| a.replace("{port}", &port.to_string())));
            command
        };
        let (child, port) =
            server::start_on_free_port(bin, command, listening, Duration::from_secs(60));
        Peer { child, port }
    }

    /// How it ended, if it has: a peer that dies mid-test explains every refused call after.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the npm peers' executables are.
pub fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/node_modules/.bin")
}
