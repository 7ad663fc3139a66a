//! Only this machine talks to the sandbox: a connection from another address is refused, and
//! so is a request whose `Host` is not this machine (DNS rebinding: a remote page's name
//! resolved to 127.0.0.1) or that a page of another origin sent (`Origin`: a browser's `fetch`
//! from any site, which needs no preflight for a plain POST). Refused requests get 403. A peer
//! is this machine when its address is a loopback one; a host or origin, by the library's rule
//! (`liveramp::config::is_loopback`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses a request that did not come from this machine's own programs.
pub(crate) async fn middleware(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    // Canonical: a dual-stack listener sees IPv4 clients as `::ffff:127.0.0.1`.
    let local_peer = peer.is_some_and(|peer| peer.ip().to_canonical().is_loopback());
    match local_peer && from_this_machine(request.headers()) {
        true => next.run(request).await,
        false => (
            StatusCode::FORBIDDEN,
            "the sandbox answers this machine's programs only",
        )
            .into_response(),
    }
}

/// Whether `headers` name this machine as the host, and no other origin.
fn from_this_machine(headers: &HeaderMap) -> bool {
    let host_ok = headers.get(header::HOST).is_none_or(|host| {
        host.to_str()
            .is_ok_and(|host| names_this_machine(&format!("http://{host}")))
    });
    let origin_ok = headers.get(header::ORIGIN).is_none_or(|origin| {
        origin.to_str().is_ok_and(|origin| {
            (origin.starts_with("http://") || origin.starts_with("https://"))
                && names_this_machine(origin)
        })
    });
    host_ok && origin_ok
}

/// Whether `url` parses, with nothing but a scheme, a host and a port, and names this machine.
fn names_this_machine(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|parsed| {
        parsed.username().is_empty()
            && parsed.password().is_none()
            && parsed.path() == "/"
            && parsed.query().is_none()
            && parsed.fragment().is_none()
            && liveramp::config::is_loopback(&parsed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn only_hosts_and_origins_of_this_machine_are_served() {
        for host in [
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
            "127.1.2.3",
            "0.0.0.0:80",
        ] {
            assert!(
                from_this_machine(&headers(&[(header::HOST, host)])),
                "{host}"
            );
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.1:80",
            "[::2]:80",
            "127.0.0.1.evil.example",
            "[::1]evil.example",
            "[127.0.0.1]",
            "localhost/evil",
            "user@localhost",
        ] {
            assert!(
                !from_this_machine(&headers(&[(header::HOST, host)])),
                "{host}"
            );
        }
        let local = (header::HOST, "127.0.0.1:8080");
        assert!(from_this_machine(&headers(&[
            local.clone(),
            (header::ORIGIN, "http://localhost:3000")
        ])));
        for origin in [
            "http://evil.example",
            "null",
            "file://",
            "https://127.0.0.1.evil.example",
        ] {
            assert!(
                !from_this_machine(&headers(&[local.clone(), (header::ORIGIN, origin)])),
                "{origin}"
            );
        }
    }
}
