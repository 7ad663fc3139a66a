//! Only this machine talks to the sandbox: a request whose `Host` is not a loopback name (DNS
//! rebinding: a remote page's name resolved to 127.0.0.1) or that a page of another origin
//! sent (`Origin`: a browser's `fetch` from any site, which needs no preflight for a plain
//! POST) is refused with 403.

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses a request that did not come from this machine's own programs.
pub(crate) async fn middleware(request: Request, next: Next) -> Response {
    match from_this_machine(request.headers()) {
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
    let host_ok = headers
        .get(header::HOST)
        .is_none_or(|host| host.to_str().is_ok_and(is_loopback_authority));
    let origin_ok = headers.get(header::ORIGIN).is_none_or(|origin| {
        origin.to_str().is_ok_and(|origin| {
            ["http://", "https://"]
                .iter()
                .find_map(|scheme| origin.strip_prefix(scheme))
                .is_some_and(is_loopback_authority)
        })
    });
    host_ok && origin_ok
}

/// Whether `authority` (`host[:port]`) names this machine: `localhost` or a loopback address.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, port)| {
                match port.bytes().all(|b| b.is_ascii_digit()) {
                    true => host,
                    false => authority,
                }
            }),
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    fn only_loopback_hosts_and_origins_are_served() {
        for host in [
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
            "127.1.2.3",
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
