//! Streams a consent file's body from its signed `fileURL`.
//!
//! The URL is signed: it carries its own authorization, so no bearer token is sent, and it is
//! never shown in an error. It must be https, except to a loopback host (tests, the sandbox),
//! and it names a loopback host only when the API is on one too: a remote API's answer never
//! points the download into the machine the sync runs on ([`DownloadError::LocalUrl`]).
//! The body arrives chunk by chunk, so memory stays flat whatever the file size.
#![warn(missing_docs)]

use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use progenitor_client::ClientInfo;
use reqwest::{StatusCode, Url};

use super::Client;
use super::types::ConsentFile;

/// The longest a whole download may take; it replaces the client's shorter request timeout,
/// which is meant for API calls, not for large files.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(6 * 60 * 60);

/// The longest the body may stall between two chunks before the download fails.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a consent file could not be downloaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The `fileURL` is not a valid absolute URL.
    #[error("the consent file's URL is not a valid URL")]
    InvalidUrl,
    /// The `fileURL` is plain http to a host that is not loopback.
    #[error("refusing to download a consent file over plain http from a non-loopback host")]
    InsecureUrl,
    /// The `fileURL` names a loopback host while the API is elsewhere: a signed URL from a
    /// remote API never points into the machine the sync runs on.
    #[error("refusing to download a consent file from a loopback host the API is not on")]
    LocalUrl,
    /// The signed URL was refused with 403: it has expired. List the files again for a fresh one.
    #[error("the consent file's signed URL has expired (HTTP 403)")]
    Expired,
    /// The download was answered with another unsuccessful status.
    #[error("the consent file download failed with HTTP {0}")]
    Status(StatusCode),
    /// No byte arrived for [`IDLE_TIMEOUT`] (the response's head included).
    #[error("the consent file download stalled")]
    Stalled,
    /// The connection failed or the body was cut short. The signed URL is not included.
    #[error("the consent file download was interrupted")]
    Transport(#[source] reqwest::Error),
}

impl DownloadError {
    /// Whether listing the files again for a fresh signed URL may fix it.
    pub fn is_expired_url(&self) -> bool {
        matches!(self, Self::Expired)
    }

    fn transport(error: reqwest::Error) -> Self {
        Self::Transport(error.without_url())
    }
}

impl Client {
    /// Starts downloading `file` from its signed `fileURL` with this client's HTTP client and
    /// no bearer token. Returns once the response headers arrived with a success status;
    /// [`DownloadError::Stalled`] when they did not within [`IDLE_TIMEOUT`].
    pub async fn download_consent_file(
        &self,
        file: &ConsentFile,
    ) -> Result<ConsentFileBody, DownloadError> {
        use tracing::Instrument;
        let local_api =
            Url::parse(self.baseurl()).is_ok_and(|api| crate::config::is_loopback(&api));
        let url = signed_url(file.file_url.expose(), local_api)?;
        // The signed URL is a credential: only its host is recorded.
        let span = tracing::info_span!(
            "liveramp.consent.download",
            "liveramp.file" = %file.id,
            "server.address" = url.host_str().unwrap_or_default(),
        );
        // The head too must arrive within the idle timeout: the request's own is the whole
        // download's.
        let sent = self
            .client()
            .get(url)
            .timeout(DOWNLOAD_TIMEOUT)
            .send()
            .instrument(span);
        let response = tokio::time::timeout(IDLE_TIMEOUT, sent)
            .await
            .map_err(|_| DownloadError::Stalled)?
            .map_err(DownloadError::transport)?;
        match response.status() {
            status if status.is_success() => Ok(ConsentFileBody::new(response)),
            StatusCode::FORBIDDEN => Err(DownloadError::Expired),
            status => Err(DownloadError::Status(status)),
        }
    }
}

/// The body of a consent file being downloaded. Its `Debug` shows the framing and length
/// only: the response's URL is signed, a credential.
pub struct ConsentFileBody {
    /// Read with `http::next_chunk`: a body cut short is a body error.
    response: reqwest::Response,
    framing: Framing,
    /// As the head announced it (the response's own counts down as the body is read).
    content_length: Option<u64>,
}

impl std::fmt::Debug for ConsentFileBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentFileBody")
            .field("framing", &self.framing)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// How the end of a body is marked, and so whether a body that ended is known to be whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Framing {
    /// `Content-Length`: whole when exactly this many bytes arrived.
    Length(u64),
    /// HTTP/1.1 chunked: a body cut short fails to read (no terminating chunk).
    Chunked,
    /// HTTP/2 or later: the stream's end is explicit.
    Framed,
    /// HTTP/1 ended by closing the connection: a body cut short looks whole.
    CloseDelimited,
}

impl Framing {
    /// Whether a body of `received` bytes that ended without an error is proven whole.
    pub fn proves_whole(self, received: u64) -> bool {
        match self {
            Self::Length(expected) => expected == received,
            Self::Chunked | Self::Framed => true,
            Self::CloseDelimited => false,
        }
    }
}

impl ConsentFileBody {
    /// The body of `response`, its framing read from the head.
    fn new(response: reqwest::Response) -> Self {
        let content_length = response.content_length();
        let framing = if let Some(length) = content_length {
            Framing::Length(length)
        } else if response.version() >= reqwest::Version::HTTP_2 {
            Framing::Framed
        } else if ends_chunked(response.headers()) {
            Framing::Chunked
        } else {
            Framing::CloseDelimited
        };
        Self {
            response,
            framing,
            content_length,
        }
    }

    /// How the body's end is marked (see [`Framing`]).
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The body size the server announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The next chunk of the body, or `None` at its end. No byte for [`IDLE_TIMEOUT`] is
    /// [`DownloadError::Stalled`]; a body cut short is [`DownloadError::Transport`], its
    /// source a body error (`reqwest::Error::is_body`).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, DownloadError> {
        match tokio::time::timeout(IDLE_TIMEOUT, crate::http::next_chunk(&mut self.response)).await
        {
            Err(_) => Err(DownloadError::Stalled),
            Ok(chunk) => chunk.map_err(DownloadError::transport),
        }
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, DownloadError>> + Send {
        futures::stream::try_unfold(self, |mut body| async move {
            Ok(body.chunk().await?.map(|chunk| (chunk, body)))
        })
    }
}

/// Whether the head frames the body as chunked, as the HTTP client reads it: the last transfer
/// coding of the last `Transfer-Encoding` is `chunked` (RFC 9112 §6.3). A body whose codings
/// only name chunked elsewhere (`chunked, identity`) is read until the connection closes.
fn ends_chunked(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get_all(reqwest::header::TRANSFER_ENCODING)
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
}

/// `raw` parsed, if it is https or http to a loopback host, and names a loopback host only
/// when the API is on one too (`local_api`: tests, the sandbox). Its errors never name the URL,
/// not even without its query as `config::check_url`'s do: the whole URL is the file's.
fn signed_url(raw: &str, local_api: bool) -> Result<Url, DownloadError> {
    let url = Url::parse(raw).map_err(|_| DownloadError::InvalidUrl)?;
    let local = crate::config::is_loopback(&url);
    match url.scheme() {
        "https" | "http" if local && !local_api => Err(DownloadError::LocalUrl),
        "https" => Ok(url),
        "http" if local => Ok(url),
        "http" => Err(DownloadError::InsecureUrl),
        _ => Err(DownloadError::InvalidUrl),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for ok in [
            "https://storage.example.com/a.csv?sig=1",
            "http://127.0.0.1:8080/a.csv",
            "http://localhost/a.csv",
            "http://[::1]:9/a.csv",
        ] {
            assert!(signed_url(ok, true).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_loopback_url_from_a_remote_api_is_refused() {
        // Found by review: a remote API's answer could make the sync fetch from the machine
        // it runs on.
        for local in [
            "http://127.0.0.1:8080/admin",
            "https://localhost/a.csv",
            "http://[::1]:9/a.csv",
        ] {
            assert!(
                matches!(signed_url(local, false), Err(DownloadError::LocalUrl)),
                "{local}"
            );
        }
        assert!(signed_url("https://storage.example.com/a.csv?sig=1", false).is_ok());
    }

    #[test]
    fn plain_http_elsewhere_and_other_schemes_are_refused() {
        assert!(matches!(
            signed_url("http://storage.example.com/a.csv", true),
            Err(DownloadError::InsecureUrl)
        ));
        assert!(matches!(
            signed_url("http://10.0.0.1/a.csv", true),
            Err(DownloadError::InsecureUrl)
        ));
        assert!(matches!(
            signed_url("file:///etc/passwd", true),
            Err(DownloadError::InvalidUrl)
        ));
        assert!(matches!(
            signed_url("not a url", true),
            Err(DownloadError::InvalidUrl)
        ));
    }
}
