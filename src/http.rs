//! The HTTP client every API client and token request is built on.
//!
//! TLS comes from one of three features: `rustls-ring` (default: rustls with the ring crypto
//! provider, the cheapest to build), `rustls-aws-lc` (rustls with aws-lc-rs) or `native-tls`
//! (the platform's library, OpenSSL on Linux).

/// A `reqwest::ClientBuilder` with the crate's TLS set up, no `Referer`, and redirects followed
/// only within the request's origin (at most [`MAX_REDIRECTS`]): credentials and bodies never go
/// anywhere else. Its proxies are reqwest's; [`direct_to_loopback`] keeps loopback hosts off
/// them, as every client the crate builds does. Add timeouts and build it.
///
/// With `rustls-ring`, this installs ring as the process's default rustls crypto provider when
/// no provider has been installed yet (an application's own choice is kept).
pub fn client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
        .referer(false)
        .redirect(same_origin_redirects())
}

/// `builder` with the proxies reqwest finds (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
/// `NO_PROXY`, and with reqwest's `system-proxy` feature the system's settings) for every host
/// but the loopback ones, reached directly: a proxy's loopback is another machine's, and the
/// plain http allowed to loopback would carry credentials to the proxy in clear text. It
/// replaces the proxies set on `builder` so far, and takes every host a proxy it found takes:
/// for a proxy of your own, skip it and give yours a `NoProxy` of the loopback hosts
/// (`localhost,127.0.0.0/8,::1`).
pub fn direct_to_loopback(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    let builder = builder.no_proxy();
    // Outside macOS and Windows, the system's proxies are the environment's: with none of its
    // variables set there is nothing to route (and no per-request check to pay).
    let named = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some());
    match named || cfg!(any(target_os = "macos", windows)) {
        true => builder.proxy(all_but_loopback(
            hyper_util::client::proxy::matcher::Matcher::from_system(),
        )),
        false => builder,
    }
}

/// A proxy for every URL `system` proxies, but not a loopback one.
fn all_but_loopback(system: hyper_util::client::proxy::matcher::Matcher) -> reqwest::Proxy {
    reqwest::Proxy::custom(move |url: &reqwest::Url| {
        if crate::config::is_loopback(url) {
            return None;
        }
        let destination: http::Uri = url.as_str().parse().ok()?;
        let intercept = system.intercept(&destination)?;
        let mut proxy = reqwest::Url::parse(&intercept.uri().to_string()).ok()?;
        // The proxy's credentials: as given for SOCKS, as a `Basic` header for http(s).
        let basic = intercept.basic_auth().and_then(|header| {
            use base64::Engine;
            let encoded = header.to_str().ok()?.strip_prefix("Basic ")?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (user, password) = decoded.split_once(':')?;
            Some((user.to_owned(), password.to_owned()))
        });
        let raw = intercept
            .raw_auth()
            .map(|(user, password)| (user.to_owned(), password.to_owned()));
        if let Some((user, password)) = basic.or(raw) {
            // Escaped, as the URL is decoded again (the setters leave `%` as it is).
            proxy.set_username(&user.replace('%', "%25")).ok()?;
            proxy
                .set_password(Some(&password.replace('%', "%25")))
                .ok()?;
        }
        Some(proxy)
    })
}

/// How many redirects within one origin a request follows.
pub const MAX_REDIRECTS: usize = 5;

/// Redirects followed only to the origin (scheme, host, port) of the request, at most
/// [`MAX_REDIRECTS`] of them.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// With `rustls-ring`, installs ring as the process's default rustls crypto provider unless one
/// is installed already, so that any `reqwest::Client` built afterwards (the generated clients'
/// own `Client::new` among them) has TLS.
pub(crate) fn install_tls_provider() {
    #[cfg(feature = "rustls-ring")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: some provider is then installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A client from [`client_builder`], loopback hosts off its proxies ([`direct_to_loopback`]),
/// with reqwest's defaults otherwise.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    direct_to_loopback(client_builder()).build()
}

/// Why a body could not be read whole.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or the body was cut off.
    Network(reqwest::Error),
    /// The body is longer than the limit; reading stopped there.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// What a read does with a body longer than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Stops with [`ReadError::TooLarge`].
    Fail,
    /// Keeps the first `limit` bytes and reads no further (an error answer's excerpt).
    Truncate,
}

/// Reads `response`'s body to its end, stopping with [`ReadError::TooLarge`] as soon as it
/// announces or passes `limit` bytes: nothing past the limit is read or kept.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, ReadError> {
    read_body(&mut response, limit, Overflow::Fail).await
}

/// Reads `response`'s body up to `limit` bytes, as `overflow` says past it. One frame, the
/// common case, is kept as it is; more are copied together.
///
/// The frames are read with [`next_chunk`]: a body cut off is a body error.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
    overflow: Overflow,
) -> Result<bytes::Bytes, ReadError> {
    let announced = response.content_length();
    if overflow == Overflow::Fail && announced.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    let (mut first, mut joined, mut len) = (None::<bytes::Bytes>, bytes::BytesMut::new(), 0usize);
    loop {
        let Some(mut data) = next_chunk(response).await.map_err(ReadError::Network)? else {
            break;
        };
        let full = len + data.len() > limit;
        if full && overflow == Overflow::Fail {
            return Err(ReadError::TooLarge { limit });
        }
        if full {
            data.truncate(limit - len);
        }
        len += data.len();
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            held => {
                if let Some(held) = held {
                    joined.extend_from_slice(&held);
                }
                joined.extend_from_slice(&data);
            }
        }
        if full {
            break;
        }
    }
    Ok(first.unwrap_or_else(|| joined.freeze()))
}

/// The next data frame of `response`'s body, or `None` at its end. It is read with
/// `Response::chunk`, on the body as reqwest holds it (`reqwest::Body::from(response)` would
/// box it again); a frame that fails, a body cut off, is made the body error it is
/// ([`body_error`] of a [`FrameFailure`]), where `chunk` calls it a decode error.
pub(crate) async fn next_chunk(
    response: &mut reqwest::Response,
) -> reqwest::Result<Option<bytes::Bytes>> {
    match response.chunk().await {
        Ok(chunk) => Ok(chunk),
        // Boxed: only a failure needs its state.
        Err(failed) => Err(Box::pin(body_error(FrameFailure(failed))).await),
    }
}

/// A frame's failure as `Response::chunk` reports it (a decode error), made a body error's
/// source: it says the body could not be read, and its own source is the failure underneath
/// (hyper's error, which reqwest's `is_timeout` looks for), without `chunk`'s "error decoding
/// response body", which a body cut off is not.
struct FrameFailure(reqwest::Error);

impl FrameFailure {
    fn underneath(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

impl std::fmt::Debug for FrameFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FrameFailure")
            .field(&self.underneath())
            .finish()
    }
}

impl std::fmt::Display for FrameFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the body could not be read to its end")
    }
}

impl std::error::Error for FrameFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.underneath()
    }
}

/// reqwest's error for a body that failed with `source`: `is_body()` is true, and `source` is
/// its source (reqwest's errors cannot be built by hand, so a body made of that one failure is
/// read).
pub(crate) async fn body_error(
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> reqwest::Error {
    use futures::StreamExt;
    use http_body_util::BodyExt;
    type Failure = Box<dyn std::error::Error + Send + Sync>;
    let source: Failure = source.into();
    // The first item is the failure; the endless ones after it only make sure the loop below
    // ends whatever the body does.
    let failing = futures::stream::once(std::future::ready(Err::<bytes::Bytes, _>(source))).chain(
        futures::stream::repeat_with(|| Err(Failure::from("the body failed"))),
    );
    let mut body = reqwest::Body::wrap_stream(failing);
    loop {
        if let Some(Err(error)) = body.frame().await {
            return error;
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn a_client_builds_with_the_enabled_tls() {
        assert!(super::client().is_ok());
    }

    /// A server on loopback answering every request `204`; the request heads it got.
    async fn recorder() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (heads, seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = vec![0; 4096];
                let n = stream.read(&mut head).await.unwrap_or(0);
                let _ = heads.send(String::from_utf8_lossy(&head[..n]).into_owned());
                let _ = stream
                    .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await;
            }
        });
        (url, seen)
    }

    /// What `received` gives, failing rather than hanging when nothing comes.
    async fn within_a_while(received: impl Future<Output = Option<String>>) -> String {
        tokio::time::timeout(std::time::Duration::from_secs(10), received)
            .await
            .expect("the request arrived")
            .expect("the server runs")
    }

    #[tokio::test]
    async fn loopback_hosts_are_never_reached_through_a_proxy() {
        // Found by review: `http_proxy` sent plain-http loopback calls, credentials included,
        // to the proxy.
        let (proxy, mut at_proxy) = recorder().await;
        let (target, mut at_target) = recorder().await;
        // The password `p%41w`, escaped in the URL as the environment gives it.
        let with_user = proxy.replace("http://", "http://user:p%2541w@");
        let system = hyper_util::client::proxy::matcher::Matcher::builder()
            .http(with_user)
            .no("internal.example")
            .build();
        let client = reqwest::Client::builder()
            .no_proxy()
            .proxy(super::all_but_loopback(system))
            .build()
            .unwrap();
        for url in [
            format!("{target}/direct"),
            target.replace("127.0.0.1", "localhost"),
        ] {
            let status = client.get(&url).send().await.unwrap().status();
            assert_eq!(status.as_u16(), 204, "{url}");
            assert!(within_a_while(at_target.recv()).await.starts_with("GET /"));
        }
        // Any other host goes through the proxy, with its credentials, unless excepted.
        client.get("http://api.example/x").send().await.unwrap();
        let head = within_a_while(at_proxy.recv()).await;
        assert!(head.starts_with("GET http://api.example/x "), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("proxy-authorization: basic dxnlcjpwjtqxdw=="),
            "{head}"
        );
        assert!(client.get("http://internal.example/").send().await.is_err());
        assert!(at_proxy.try_recv().is_err(), "one request at the proxy");
    }
}
