//! A tiny Consent Files server for the sync tests: a paginated listing and signed file URLs,
//! with faults a real server shows (a body cut mid-way, a stalled body, an expired signature).
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[path = "../../../../tests/suite/common/server.rs"]
pub mod server;

/// The token endpoint's path.
const TOKEN_PATH: &str = "/oauth2/token";

/// What goes wrong with a file's next download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Announce the whole length, send this many bytes, close the connection.
    CutAfter(usize),
    /// Announce the whole length, send this many bytes, then stall forever.
    StallAfter(usize),
    /// Answer 403 and rotate the file's signature, as when a signed URL expired.
    Expire,
}

/// A consent file the fake serves.
#[derive(Debug, Clone)]
pub struct FakeFile {
    pub id: String,
    pub body: Vec<u8>,
}

#[derive(Debug, Default)]
struct State {
    files: Vec<FakeFile>,
    page_size: usize,
    signatures: HashMap<String, u32>,
    faults: HashMap<String, Fault>,
    /// Faults of every download of a file, by file ID.
    always: HashMap<String, Fault>,
    /// Successful (200) downloads started, by file ID.
    downloads: HashMap<String, usize>,
    /// 403 answers, by file ID.
    refused: HashMap<String, usize>,
    lists: usize,
    /// The status every list call is answered with instead of a page, if set.
    list_status: Option<u16>,
}

/// A running fake Consent Files server on a loopback port.
#[derive(Clone)]
pub struct FakeConsent {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Holds the credentials file `env` writes.
    credentials_dir: Arc<tempfile::TempDir>,
}

impl FakeConsent {
    /// Serves `count` files with deterministic bodies of `size` bytes each, `page_size` per page.
    pub async fn start(count: usize, size: usize, page_size: usize) -> Self {
        let files = (0..count)
            .map(|i| FakeFile {
                id: format!("00000000-0000-4000-8000-{:012}", i + 1),
                body: body(i, size),
            })
            .collect();
        let state = Arc::new(Mutex::new(State {
            files,
            page_size,
            ..State::default()
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        let credentials_dir = Arc::new(tempfile::tempdir().unwrap());
        Self {
            addr,
            state,
            credentials_dir,
        }
    }

    /// The base URL to give the client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes service-account credentials whose token endpoint is this server; returns the
    /// environment that points the CLI at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let credentials = self.credentials_dir.path().join("credentials.json");
        let file = serde_json::json!({
            "type": "serviceAccount/v2",
            "uid": "fake-uid",
            "account_id": "fake@serviceaccounts.liveramp.com",
            "secret_key": "fake-secret-key",
            "client_id": "liveramp-api",
            "token_uri": format!("{}{TOKEN_PATH}", self.url()),
        });
        write_credentials(&credentials, &file);
        vec![
            ("LIVERAMP_CREDENTIALS", credentials.display().to_string()),
            ("LIVERAMP_CONSENT_URL", self.url()),
        ]
    }

    /// The files served.
    pub fn files(&self) -> Vec<FakeFile> {
        self.state.lock().unwrap().files.clone()
    }

    /// Makes the next download of file `index` fail with `fault` (once).
    pub fn fault(&self, index: usize, fault: Fault) {
        let mut state = self.state.lock().unwrap();
        let id = state.files[index].id.clone();
        state.faults.insert(id, fault);
    }

    /// Makes every download of file `index` fail with `fault`.
    pub fn fault_always(&self, index: usize, fault: Fault) {
        let mut state = self.state.lock().unwrap();
        let id = state.files[index].id.clone();
        state.always.insert(id, fault);
    }

    /// Removes the faults of file `index`.
    pub fn heal(&self, index: usize) {
        let mut state = self.state.lock().unwrap();
        let id = state.files[index].id.clone();
        state.faults.remove(&id);
        state.always.remove(&id);
    }

    /// How many downloads of file `index` were answered 200.
    pub fn downloads(&self, index: usize) -> usize {
        let state = self.state.lock().unwrap();
        state
            .downloads
            .get(&state.files[index].id)
            .copied()
            .unwrap_or(0)
    }

    /// How many downloads of file `index` were refused with 403.
    pub fn refused(&self, index: usize) -> usize {
        let state = self.state.lock().unwrap();
        state
            .refused
            .get(&state.files[index].id)
            .copied()
            .unwrap_or(0)
    }

    /// Answers every list call with `status` and an error document from now on.
    pub fn fail_lists(&self, status: u16) {
        self.state.lock().unwrap().list_status = Some(status);
    }

    /// How many list pages were served.
    pub fn lists(&self) -> usize {
        self.state.lock().unwrap().lists
    }
}

/// The deterministic body of file `index`.
pub fn body(index: usize, size: usize) -> Vec<u8> {
    let line = format!("identifier-{index:04},OPT_OUT\n");
    line.bytes().cycle().take(size).collect()
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let split = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
    let mut body = head.split_off(split);
    let head = String::from_utf8_lossy(&head).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    // Read the whole request body: closing with unread bytes would reset the connection.
    while body.len() < length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let params: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    if path == TOKEN_PATH {
        let token = serde_json::json!({
            "access_token": "fake-access-token",
            "token_type": "Bearer",
            "expires_in": 600,
        });
        let token = token.to_string();
        return respond(&mut stream, "200 OK", "application/json", token.as_bytes()).await;
    }
    let list_status = state.lock().unwrap().list_status;
    if let (true, Some(status)) = (path == "/v2/consent-files", list_status) {
        let body = serde_json::json!({"httpStatuscode": status, "message": "refused"}).to_string();
        let status = format!("{status} Refused");
        respond(&mut stream, &status, "application/json", body.as_bytes()).await;
    } else if path == "/v2/consent-files" {
        let host = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let json = list_page(&state, &host, params.get("after").copied());
        respond(&mut stream, "200 OK", "application/json", json.as_bytes()).await;
    } else if let Some(file) = path.strip_prefix("/files/") {
        let id = file.trim_end_matches(".csv").to_owned();
        let sig: u32 = params
            .get("sig")
            .and_then(|s| s.parse().ok())
            .unwrap_or(u32::MAX);
        download(&mut stream, &state, &id, sig).await;
    } else {
        respond(&mut stream, "404 Not Found", "text/plain", b"not found").await;
    }
}

fn list_page(state: &Mutex<State>, host: &str, after: Option<&str>) -> String {
    let mut state = state.lock().unwrap();
    state.lists += 1;
    let start: usize = after.and_then(|a| a.parse().ok()).unwrap_or(0);
    let end = (start + state.page_size).min(state.files.len());
    let items: Vec<_> = state.files[start..end]
        .iter()
        .map(|file| {
            let sig = state.signatures.get(&file.id).copied().unwrap_or(0);
            serde_json::json!({
                "id": file.id,
                "identifierType": "MUID",
                "requestType": "OPT_OUT",
                "dataController": {"liverampControlled": false},
                "fileURL": format!("http://{host}/files/{}.csv?sig={sig}", file.id),
                "createdAt": "2026-01-01T00:00:00Z",
            })
        })
        .collect();
    let next = (end < state.files.len()).then(|| end.to_string());
    serde_json::json!({
        "v2/ConsentFiles": items,
        "_pagination": {"after": next, "total": state.files.len()},
    })
    .to_string()
}

async fn download(stream: &mut TcpStream, state: &Mutex<State>, id: &str, sig: u32) {
    let found = {
        let mut state = state.lock().unwrap();
        let file = state.files.iter().find(|f| f.id == id).cloned();
        file.map(|file| {
            let current = state.signatures.get(id).copied().unwrap_or(0);
            let fault = if sig == current {
                state
                    .faults
                    .remove(id)
                    .or_else(|| state.always.get(id).cloned())
            } else {
                Some(Fault::Expire)
            };
            if fault == Some(Fault::Expire) {
                *state.refused.entry(id.to_owned()).or_default() += 1;
                state.signatures.insert(id.to_owned(), current + 1);
            } else {
                *state.downloads.entry(id.to_owned()).or_default() += 1;
            }
            (file.body, fault)
        })
    };
    let Some((body, fault)) = found else {
        return respond(stream, "404 Not Found", "text/plain", b"no such file").await;
    };
    match fault {
        None => respond(stream, "200 OK", "text/csv", &body).await,
        Some(Fault::Expire) => respond(stream, "403 Forbidden", "text/plain", b"expired").await,
        Some(Fault::CutAfter(n)) => {
            let _ = stream
                .write_all(&head("200 OK", "text/csv", body.len()))
                .await;
            let _ = stream.write_all(&body[..n]).await;
            let _ = stream.shutdown().await;
        }
        Some(Fault::StallAfter(n)) => {
            let _ = stream
                .write_all(&head("200 OK", "text/csv", body.len()))
                .await;
            let _ = stream.write_all(&body[..n]).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
}

fn head(status: &str, content_type: &str, len: usize) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let _ = stream
        .write_all(&head(status, content_type, body.len()))
        .await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// Writes a credentials file readable by its owner only, as the library expects (it warns
/// about one others may read).
pub fn write_credentials(path: &std::path::Path, credentials: &serde_json::Value) {
    std::fs::write(path, credentials.to_string()).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}
