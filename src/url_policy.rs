//! The crate's rule for URLs it sends or hands over: https, or http on a loopback host only.

/// Refuses `url` (named `what` in the message) unless it is https or http on loopback.
pub(crate) fn check_https_or_loopback(url: &str, what: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{what}: {e}"))?;
    let loopback = match parsed.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        scheme => Err(format!(
            "{what}: scheme `{scheme}` refused, use https (http only on loopback)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check_https_or_loopback as check;

    #[test]
    fn https_anywhere_and_http_on_loopback_only() {
        assert!(check("https://app.example.com/done", "u").is_ok());
        assert!(check("http://localhost:8080/done", "u").is_ok());
        assert!(check("http://127.0.0.1/done", "u").is_ok());
        assert!(check("http://[::1]/done", "u").is_ok());
        assert!(check("http://app.example.com/done", "u").is_err());
        assert!(check("ftp://localhost/done", "u").is_err());
        assert!(check("not a url", "u").is_err());
    }
}
