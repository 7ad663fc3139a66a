//! A real `redis-server` on a free loopback port, stopped when dropped. `.ci/run` installs
//! Debian's package where it is missing.

use std::process::{Child, Command};
use std::time::Duration;

use super::server;

/// What `redis-server` logs once it listens.
const READY: &str = "Ready to accept connections";
/// How long it may take to say so.
const STARTUP: Duration = Duration::from_secs(10);

/// `redis-server` on 127.0.0.1:`port`, keeping nothing on disk.
fn command(port: u16) -> Command {
    let mut command = Command::new("redis-server");
    command.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]);
    command
}

/// A running `redis-server`.
pub struct RedisServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// Starts one on a free port and waits until it says it accepts connections.
    pub fn start() -> RedisServer {
        let (child, port) = server::start_on_free_port("redis-server", command, READY, STARTUP);
        RedisServer {
            child: Some(child),
            port,
        }
    }

    /// Starts one on `port` (again, after [`RedisServer::stop`]).
    pub fn start_on(port: u16) -> RedisServer {
        let child = server::start(command(port), READY, STARTUP)
            .unwrap_or_else(|e| panic!("redis-server on port {port}: {e}"));
        RedisServer {
            child: Some(child),
            port,
        }
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
