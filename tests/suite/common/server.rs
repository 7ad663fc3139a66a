//! Server processes the tests start on loopback ports, and ports where nothing listens.
//!
//! A free port is picked by binding port 0 and letting it go, so another test may take it before
//! the process binds it: the process then exits, and a connection to the port reaches the other
//! test's server. So a process is ready when a line of its own stdout says it listens, not when
//! the port accepts; one that exits first is started again on another port.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Ports tried before giving up on a process that keeps exiting before it listens.
const ATTEMPTS: usize = 5;
/// The longest piece of a line of a process's stdout read at once.
const LINE_BYTES: u64 = 16 * 1024;
/// Lines of a process's stdout kept to explain why it did not start.
const LAST_LINES: usize = 8;

/// Starts `command(port)` on a free loopback port and waits until a line of its stdout contains
/// `ready` (with `{port}` replaced by the port); another port is tried when the process exits
/// first. Panics, with the process's last lines, when no attempt starts.
pub fn start_on_free_port(
    name: &str,
    command: impl Fn(u16) -> Command,
    ready: &str,
    timeout: Duration,
) -> (Child, u16) {
    let mut failures = Vec::new();
    for _ in 0..ATTEMPTS {
        let port = free_port();
        match start(
            command(port),
            &ready.replace("{port}", &port.to_string()),
            timeout,
        ) {
            Ok(child) => return (child, port),
            Err(e) => failures.push(format!("port {port}: {e}")),
        }
    }
    panic!("{name} did not start:\n{}", failures.join("\n"));
}

/// Starts `command` and waits until a line of its stdout contains `ready`. Its stdout is read
/// until it ends, so a process that logs every request never blocks on a full pipe.
pub fn start(mut command: Command, ready: &str, timeout: Duration) -> Result<Child, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let Some(stdout) = child.stdout.take() else {
        return Err("no stdout".to_owned());
    };
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || forward_lines(stdout, lines));
    let deadline = Instant::now() + timeout;
    let mut last = VecDeque::with_capacity(LAST_LINES);
    loop {
        match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(ready) => return Ok(child),
            Ok(line) => {
                if last.len() == LAST_LINES {
                    last.pop_front();
                }
                last.push_back(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().map_err(|e| e.to_string())?;
                let last = Vec::from(last).join("\n  ");
                return Err(format!(
                    "exited ({status}) before listening; it printed:\n  {last}"
                ));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not say `{ready}` within {timeout:?}"));
            }
        }
    }
}

/// Sends each line of `stdout` (a longer one in pieces of [`LINE_BYTES`]) while someone
/// receives, then reads the rest to its end.
fn forward_lines(stdout: impl Read, lines: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader).take(LINE_BYTES).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                if lines.send(text).is_err() {
                    break;
                }
            }
        }
    }
    let _ = std::io::copy(&mut reader, &mut std::io::sink());
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A loopback port held by a socket that does not listen: connections to it are refused for as
/// long as the socket lives, and no other server can take the port meanwhile.
pub struct RefusedPort {
    _socket: tokio::net::TcpSocket,
    /// The port.
    pub port: u16,
}

impl RefusedPort {
    /// Binds one.
    pub fn bind() -> RefusedPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("a loopback port");
        let port = socket.local_addr().expect("its address").port();
        RefusedPort {
            _socket: socket,
            port,
        }
    }
}
