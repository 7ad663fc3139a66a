//! The tests' own server starter (`common::server`): a process is ready when it says so, not
//! when something accepts on its port, and one that cannot listen is started on another port.

use crate::common;

use std::cell::Cell;
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{self, RefusedPort};

/// `sh -c <script>`.
fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

#[test]
fn a_process_that_exits_is_not_ready_even_when_another_server_holds_its_port() {
    // Another test's server took the port: connecting to it succeeds, but the process exits.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let script = format!("echo 'cannot listen on {port}: address in use'; exit 3");
    let error = server::start(sh(&script), "listening", Duration::from_secs(10)).unwrap_err();
    assert!(error.contains("exited"), "{error}");
    assert!(error.contains("address in use"), "{error}");
}

#[test]
fn a_process_that_cannot_listen_is_started_on_another_port() {
    let attempts = Cell::new(0);
    let command = |port: u16| {
        attempts.set(attempts.get() + 1);
        match attempts.get() {
            1 => sh("exit 1"),
            _ => sh(&format!("echo 'listening on {port}'; sleep 30")),
        }
    };
    let (mut child, port) = server::start_on_free_port(
        "sh",
        command,
        "listening on {port}",
        Duration::from_secs(10),
    );
    assert_eq!(attempts.get(), 2);
    assert_ne!(port, 0);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_process_that_logs_a_lot_after_it_is_ready_never_blocks_on_its_output() {
    // Far more than a pipe holds: the process ends only if its output is read.
    let script = "echo ready; i=0; while [ $i -lt 2000 ]; do \
                  echo 'GET /v1/a-long-enough-request-line-to-fill-a-pipe-quickly'; \
                  i=$((i+1)); done";
    let mut child = server::start(sh(script), "ready", Duration::from_secs(10)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the process blocked on its output"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn a_refused_port_refuses_connections_while_it_is_held() {
    let refused = RefusedPort::bind();
    let error = tokio::net::TcpStream::connect(("127.0.0.1", refused.port))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    // Nothing else can listen on it meanwhile.
    assert!(std::net::TcpListener::bind(("127.0.0.1", refused.port)).is_err());
}
