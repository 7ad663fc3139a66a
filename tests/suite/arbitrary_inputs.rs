//! Whatever a credentials file or an access token holds, reading it never panics, and a refused
//! credentials file never echoes its contents.

use std::io::Write;

use liveramp::auth::{AccessToken, ServiceAccountCredentials};
use proptest::prelude::*;

/// A JWT-shaped string: three dot-separated parts of arbitrary (often base64url-like) text.
fn jwt_like() -> impl Strategy<Value = String> {
    let part = prop_oneof!["[A-Za-z0-9_-]{0,64}", ".{0,32}"];
    (part.clone(), part.clone(), part).prop_map(|(h, p, s)| format!("{h}.{p}.{s}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_as_a_credentials_file_give_a_result_not_a_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut file = tempfile_in_target();
        file.1.write_all(&bytes).unwrap();
        let _ = ServiceAccountCredentials::from_file(&file.0);
        let _ = ServiceAccountCredentials::from_json(&String::from_utf8_lossy(&bytes));
        let _ = std::fs::remove_file(&file.0);
    }

    #[test]
    fn a_refused_credentials_text_is_never_echoed(secret in "[A-Za-z0-9]{24,40}") {
        let text = format!(r#"{{"type":"serviceAccount/v2","secret_key":"{secret}"}}"#);
        let error = ServiceAccountCredentials::from_json(&text).expect_err("fields are missing");
        let shown = format!("{error} {error:?}");
        prop_assert!(!shown.contains(&secret));
    }

    #[test]
    fn any_text_as_a_jwt_gives_an_expiry_or_none_not_a_panic(token in jwt_like()) {
        let _ = AccessToken::new(token).jwt_expiry();
    }

    #[test]
    fn any_base64url_payload_as_a_jwt_never_panics(
        payload in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload);
        let _ = AccessToken::new(format!("e30.{encoded}.sig")).jwt_expiry();
    }
}

/// A fresh file under the target directory, removed by the caller.
fn tempfile_in_target() -> (std::path::PathBuf, std::fs::File) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!(
        "credentials-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path).unwrap();
    (path, file)
}
