//! A minimal HTTP/1.1 keep-alive server on loopback, on its own thread and runtime: `GET` of a
//! path containing `consent-files` answers a fixed JSON page, or under `/sync/` the pages of
//! [`SYNC_FILES`] files of [`SYNC_FILE_BYTES`] each; `GET /file?bytes=N` streams `N` bytes with
//! a `Content-Length`.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The chunk the file route writes, repeated.
const CHUNK: usize = 256 * 1024;

/// How many files the `/sync/` listing names, 100 per page.
pub const SYNC_FILES: usize = 1_000;
/// The size of each of them.
pub const SYNC_FILE_BYTES: u64 = 1 << 20;

/// The `/sync/` listing page after the file `after` (an index; none: the first page).
fn sync_page(base: &str, after: Option<usize>) -> String {
    let start = after.map_or(0, |i| i + 1);
    let end = (start + 100).min(SYNC_FILES);
    let files: Vec<String> = (start..end)
        .map(|i| {
            format!(
                r#"{{"id":"00000000-0000-4000-8000-{i:012}","identifierType":"MUID","requestType":"OPT_OUT","dataController":{{"liverampControlled":true}},"fileURL":"{base}/file?bytes={SYNC_FILE_BYTES}&n={i}","createdAt":"2026-11-01T00:00:00Z"}}"#
            )
        })
        .collect();
    let after = if end < SYNC_FILES {
        format!(r#""00000000-0000-4000-8000-{:012}""#, end - 1)
    } else {
        "null".to_owned()
    };
    format!(
        r#"{{"v2/ConsentFiles":[{}],"_pagination":{{"after":{after}}}}}"#,
        files.join(",")
    )
}

/// A running server; it lives as long as the process.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
}

/// A consent-file list page of ten files, built from the spec's example (about 4 KiB).
pub fn consent_page() -> String {
    let files: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"id":"c0442751-d144-493d-a40c-a408588f92{i:02}","identifierType":"MUID","muidDeviceType":"IDFA","muidFormat":"RAW","requestType":"OPT_OUT","dataController":{{"controllerSpecifier":"SEAT_ID","controllerID":"E334032B-F985-4017-B273-7B5704E8AD30","liverampControlled":false}},"fileURL":"https://storage.liveramp.com/consent/c0442751-{i}.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=consent%40liveramp.iam.gserviceaccount.com&X-Goog-Expires=3600&X-Goog-Signature=ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56","createdAt":"2019-11-26T21:37:19Z"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"v2/ConsentFiles":[{}],"_pagination":{{"after":"c0442751-d144-493d-a40c-a408588f9209","total":240}}}}"#,
        files.join(",")
    )
}

impl Server {
    /// Starts the server on a free loopback port.
    pub fn start() -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let page: Arc<[u8]> = consent_page().into_bytes().into();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                let chunk: Arc<[u8]> = vec![b'x'; CHUNK].into();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let base: Arc<str> = format!("http://{addr}").into();
                    tokio::spawn(serve(stream, base, page.clone(), chunk.clone()));
                }
            });
        });
        Self { addr }
    }

    /// `http://127.0.0.1:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Answers every request of one connection until the peer closes it.
async fn serve(mut stream: TcpStream, base: Arc<str>, page: Arc<[u8]>, chunk: Arc<[u8]>) {
    let mut buf = Vec::with_capacity(4096);
    let mut read = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            match stream.read(&mut read).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&read[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let written = if target.starts_with("/huge") {
            send_chunked(&mut stream, 1 << 30, &chunk).await
        } else if target.starts_with("/file") {
            let bytes: u64 = target
                .split("bytes=")
                .nth(1)
                .and_then(|n| n.split('&').next()?.parse().ok())
                .unwrap_or(0);
            send_file(&mut stream, bytes, &chunk).await
        } else if target.starts_with("/sync/") {
            let after = target
                .split("after=00000000-0000-4000-8000-")
                .nth(1)
                .and_then(|rest| rest.get(..12)?.parse().ok());
            let page = sync_page(&base, after);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                page.len()
            );
            stream.write_all((head + &page).as_bytes()).await
        } else if target.contains("consent-files") {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                page.len()
            );
            let mut out = head.into_bytes();
            out.extend_from_slice(&page);
            stream.write_all(&out).await
        } else {
            stream
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                .await
        };
        if written.is_err() {
            return;
        }
    }
}

/// `bytes` of body in chunked framing, no length announced: the reader must stop on its own.
async fn send_chunked(stream: &mut TcpStream, bytes: u64, chunk: &[u8]) -> std::io::Result<()> {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
        stream.write_all(&chunk[..n]).await?;
        stream.write_all(b"\r\n").await?;
        left -= n as u64;
    }
    stream.write_all(b"0\r\n\r\n").await
}

async fn send_file(stream: &mut TcpStream, bytes: u64, chunk: &[u8]) -> std::io::Result<()> {
    let head =
        format!("HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {bytes}\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        stream.write_all(&chunk[..n]).await?;
        left -= n as u64;
    }
    Ok(())
}

/// A token endpoint on a loopback port: every request gets a fresh token good for an hour, and
/// `on_fetch` hears of it.
#[cfg(feature = "redis")]
pub struct TokenServer {
    addr: std::net::SocketAddr,
}

#[cfg(feature = "redis")]
impl TokenServer {
    /// Starts one on this runtime.
    pub async fn start(on_fetch: impl Fn() + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let on_fetch = Arc::new(on_fetch);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let on_fetch = on_fetch.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut read = [0u8; 4096];
                    loop {
                        let end = loop {
                            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break pos + 4;
                            }
                            match stream.read(&mut read).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&read[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while buf.len() < end + length {
                            match stream.read(&mut read).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&read[..n]),
                            }
                        }
                        buf.drain(..end + length);
                        on_fetch();
                        let body = r#"{"access_token":"bench-token","token_type":"Bearer","expires_in":3600}"#;
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { addr }
    }

    /// `http://127.0.0.1:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}
