//! Keys, HMAC signatures and the deterministic hashes the sandbox derives its data from.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{digest, hmac};

/// A per-sandbox HMAC-SHA256 key: tokens and URLs of one sandbox are refused by another.
#[derive(Clone)]
pub(crate) struct Signer {
    key: hmac::Key,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

impl Signer {
    /// A signer with a fresh random key.
    pub(crate) fn random() -> Self {
        let seed = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, seed.as_bytes()),
        }
    }

    /// The base64url signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, message).as_ref())
    }

    /// Whether `signature` (base64url) is this signer's signature of `message`, compared in
    /// constant time.
    pub(crate) fn verify(&self, message: &[u8], signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature) {
            Ok(tag) => hmac::verify(&self.key, message, &tag).is_ok(),
            Err(_) => false,
        }
    }
}

/// SHA-256 of the parts joined by `|`.
pub(crate) fn hash(parts: &[&str]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            ctx.update(b"|");
        }
        ctx.update(part.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A UUID derived from the parts, so that seeded IDs are the same in every run.
pub(crate) fn uuid_from(parts: &[&str]) -> uuid::Uuid {
    let h = hash(parts);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// base64url without padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub(crate) fn unb64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}
