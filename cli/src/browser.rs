//! Opens a URL in the user's default browser.

use crate::output::Output;

/// Opens `url` with `xdg-open` (or `open` on macOS); a failure is only noted, the URL has been
/// printed already. Only an https URL (or http to loopback) from a server is handed to the
/// opener, in its parsed form: never a `file:` URL or a control character.
pub fn open(url: &str, out: Output) {
    let url = match liveramp::config::check_url(url) {
        Ok(parsed) => parsed.to_string(),
        Err(_) => {
            out.note("not opening a browser: the URL is not https");
            return;
        }
    };
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(error) = spawned {
        out.note(&format!("could not open a browser with {opener}: {error}"));
    }
}
