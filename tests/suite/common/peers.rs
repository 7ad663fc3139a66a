//! Third-party servers the tests run against (installed from `tests/peers/package.json` by
//! `cargo xtask test`): each one is started on a free loopback port and killed when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running third-party server.
pub struct Peer {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl Peer {
    /// Starts `node_modules/.bin/<bin>` with `args`, each `{port}` replaced by a free port, and
    /// waits until the port accepts connections.
    pub fn spawn(bin: &str, args: &[&str]) -> Peer {
        let path = bin_dir().join(bin);
        assert!(
            path.exists(),
            "{} is missing: run `cargo xtask test` (or `npm ci --prefix tests/peers`) first",
            path.display()
        );
        let port = free_port();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let child = Command::new(&path)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let mut peer = Peer { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = peer.child.try_wait() {
                panic!("{bin} exited before listening: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "{bin} did not listen on {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        peer
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
