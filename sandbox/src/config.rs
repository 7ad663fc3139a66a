//! What a sandbox is started with: data sizes and lifetimes.

use std::time::Duration;

/// Settings of a sandbox; [`SandboxConfig::default`] is what [`crate::Sandbox::start`] uses.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The number of lines (hashed identifiers) of each consent file, one entry per file.
    pub consent_file_lines: Vec<u64>,
    /// How long a consent file's signed `fileURL` stays valid.
    pub signed_url_ttl: Duration,
    /// The lifetime of service-account tokens (documented: 600 s).
    pub service_account_token_ttl: Duration,
    /// The lifetime of AbiliTec tokens (documented: 3600 s).
    pub abilitec_token_ttl: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            consent_file_lines: vec![100; 12],
            signed_url_ttl: Duration::from_secs(3600),
            service_account_token_ttl: Duration::from_secs(600),
            abilitec_token_ttl: Duration::from_secs(3600),
        }
    }
}

impl SandboxConfig {
    /// `count` consent files of `lines` lines each.
    pub fn consent_files(mut self, count: usize, lines: u64) -> Self {
        self.consent_file_lines = vec![lines; count];
        self
    }

    /// Adds one consent file of `lines` lines (its body is generated while it is sent, so
    /// any size is fine).
    pub fn with_consent_file(mut self, lines: u64) -> Self {
        self.consent_file_lines.push(lines);
        self
    }

    /// Sets how long signed `fileURL`s stay valid.
    pub fn signed_url_ttl(mut self, ttl: Duration) -> Self {
        self.signed_url_ttl = ttl;
        self
    }
}
