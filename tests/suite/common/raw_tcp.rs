//! A loopback HTTP/1.1 server that misbehaves on purpose: it resets connections, cuts bodies
//! short, answers late, or sends arbitrary bytes, as told per request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Act {
    /// Resets the connection (RST) without answering.
    Reset,
    /// Sends a head promising `declared` body bytes, then `sent` of them, then closes.
    CutBody { declared: usize, sent: Vec<u8> },
    /// Waits, then answers.
    Late(Duration, Vec<u8>),
    /// Answers these bytes as they are.
    Raw(Vec<u8>),
    /// Sends these bytes (a head and part of its body), then holds the connection this long.
    Stall(Vec<u8>, Duration),
}

/// A full HTTP/1.1 answer with `status` and a JSON body.
pub fn json(status: u16, body: &str) -> Vec<u8> {
    answer(status, "application/json", body.as_bytes())
}

/// A full HTTP/1.1 answer; the connection is closed after it.
pub fn answer(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A running server; request `n` (from 0) gets `acts[min(n, len - 1)]`.
pub struct RawServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    hits: Arc<AtomicUsize>,
    /// Requests being answered now, and the most there ever were at once.
    busy: Arc<(AtomicUsize, AtomicUsize)>,
    acts: Arc<Mutex<Vec<Act>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    /// Starts serving `acts` (at least one).
    pub async fn start(acts: Vec<Act>) -> RawServer {
        assert!(!acts.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let acts = Arc::new(Mutex::new(acts));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let busy = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let (h, a, r, b) = (hits.clone(), acts.clone(), requests.clone(), busy.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (h, a, r, b) = (h.clone(), a.clone(), r.clone(), b.clone());
                tokio::spawn(async move { serve(stream, h, a, r, b).await });
            }
        });
        RawServer {
            base_url,
            hits,
            busy,
            acts,
            requests,
        }
    }

    /// The most requests that were being answered at once.
    pub fn most_at_once(&self) -> usize {
        self.busy.1.load(Ordering::SeqCst)
    }

    /// How many requests are being answered now (an answer counts until it is written whole).
    pub fn answering(&self) -> usize {
        self.busy.0.load(Ordering::SeqCst)
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Replaces the script and resets the count.
    pub fn set(&self, acts: Vec<Act>) {
        *self.acts.lock().unwrap() = acts;
        self.hits.store(0, Ordering::SeqCst);
    }

    /// The heads of the requests received, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    hits: Arc<AtomicUsize>,
    acts: Arc<Mutex<Vec<Act>>>,
    requests: Arc<Mutex<Vec<String>>>,
    busy: Arc<(AtomicUsize, AtomicUsize)>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    requests
        .lock()
        .unwrap()
        .push(String::from_utf8_lossy(&head).into_owned());
    // Busy before counted, so a request counted is never seen as answered before it starts.
    let now = busy.0.fetch_add(1, Ordering::SeqCst) + 1;
    busy.1.fetch_max(now, Ordering::SeqCst);
    let n = hits.fetch_add(1, Ordering::SeqCst);
    answer_with(stream, n, &acts).await;
    busy.0.fetch_sub(1, Ordering::SeqCst);
}

/// Answers request `n` on `stream` as `acts` say.
async fn answer_with(mut stream: TcpStream, n: usize, acts: &Mutex<Vec<Act>>) {
    let act = {
        let acts = acts.lock().unwrap();
        acts[n.min(acts.len() - 1)].clone()
    };
    match act {
        Act::Reset => {
            // SO_LINGER 0: the peer sees a reset rather than an orderly close.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
        Act::CutBody { declared, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
            let _ = stream.flush().await;
        }
        Act::Late(delay, bytes) => {
            tokio::time::sleep(delay).await;
            let _ = stream.write_all(&bytes).await;
        }
        Act::Stall(bytes, hold) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            tokio::time::sleep(hold).await;
        }
        Act::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
        }
    }
}

/// A loopback HTTP/1.1 server that keeps connections alive and answers request `n` (from 0)
/// with `answer(n, head)`; it counts the connections it accepted.
pub struct KeepAliveServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    connections: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

/// The `host:port` a request head was sent to (its `Host` header).
pub fn request_host(head: &str) -> String {
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("host")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

/// How a [`KeepAliveServer`] answers: status, extra header lines and body, per request.
pub type Answerer = Arc<dyn Fn(usize, &str) -> (u16, Vec<(String, String)>, String) + Send + Sync>;

impl KeepAliveServer {
    /// Starts answering with `answer`.
    pub async fn start(answer: Answerer) -> KeepAliveServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (c, h) = (connections.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let (h, answer, requests) = (h.clone(), answer.clone(), requests.clone());
                tokio::spawn(async move {
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let end = loop {
                            if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => pending.extend_from_slice(&buf[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (name, value) = l.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        while pending.len() < end + length {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => pending.extend_from_slice(&buf[..n]),
                            }
                        }
                        pending.drain(..end + length);
                        h.lock().unwrap().push(head.clone());
                        let n = requests.fetch_add(1, Ordering::SeqCst);
                        let (status, headers, body) = answer(n, &head);
                        let mut out = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            out.push_str(&format!("{name}: {value}\r\n"));
                        }
                        out.push_str("\r\n");
                        out.push_str(&body);
                        if stream.write_all(out.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        KeepAliveServer {
            base_url,
            connections,
            heads,
        }
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The heads of the requests received, in order.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}
