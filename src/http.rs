//! The HTTP client every API client and token request is built on.
//!
//! TLS comes from one of three features: `rustls-ring` (default: rustls with the ring crypto
//! provider, the cheapest to build), `rustls-aws-lc` (rustls with aws-lc-rs) or `native-tls`
//! (the platform's library, OpenSSL on Linux).

/// A `reqwest::ClientBuilder` with the crate's TLS set up, no `Referer`, and redirects followed
/// only within the request's origin (at most [`MAX_REDIRECTS`]): credentials and bodies never go
/// anywhere else. Add timeouts and build it.
///
/// With `rustls-ring`, this installs ring as the process's default rustls crypto provider when
/// no provider has been installed yet (an application's own choice is kept).
pub fn client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
        .referer(false)
        .redirect(same_origin_redirects())
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

/// A client from [`client_builder`], with reqwest's defaults otherwise.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    client_builder().build()
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
    response: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, ReadError> {
    let announced = response.content_length();
    let (_, body) = http::Response::from(response).into_parts();
    read_body(body, announced, limit, Overflow::Fail).await
}

/// Reads `body` (whose length may be `announced`) up to `limit` bytes, as `overflow` says
/// past it. One frame, the common case, is kept as it is; more are copied together.
pub(crate) async fn read_body(
    mut body: reqwest::Body,
    announced: Option<u64>,
    limit: usize,
    overflow: Overflow,
) -> Result<bytes::Bytes, ReadError> {
    use http_body_util::BodyExt;
    if overflow == Overflow::Fail && announced.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    let (mut first, mut joined, mut len) = (None::<bytes::Bytes>, bytes::BytesMut::new(), 0usize);
    while let Some(frame) = body.frame().await {
        let Ok(mut data) = frame.map_err(ReadError::Network)?.into_data() else {
            continue;
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_builds_with_the_enabled_tls() {
        assert!(super::client().is_ok());
    }
}
