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
    /// AbiliTec single-call records per minute (documented: 10,000); `None`: unlimited.
    pub abilitec_records_per_minute: Option<u32>,
    /// AbiliTec batch calls per minute (documented: 360); `None`: unlimited.
    pub abilitec_batches_per_minute: Option<u32>,
    /// How much faster than real time the rate limits' minute runs (60: a minute per second).
    pub time_scale: f64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            consent_file_lines: vec![100; 12],
            signed_url_ttl: Duration::from_secs(3600),
            service_account_token_ttl: Duration::from_secs(600),
            abilitec_token_ttl: Duration::from_secs(3600),
            abilitec_records_per_minute: Some(10_000),
            abilitec_batches_per_minute: Some(360),
            time_scale: 1.0,
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

    /// Enforces these AbiliTec limits per minute (`None`: unlimited), the minute lasting
    /// `60 / time_scale` seconds.
    pub fn abilitec_limits(
        mut self,
        records_per_minute: Option<u32>,
        batches_per_minute: Option<u32>,
        time_scale: f64,
    ) -> Self {
        self.abilitec_records_per_minute = records_per_minute;
        self.abilitec_batches_per_minute = batches_per_minute;
        self.time_scale = time_scale;
        self
    }

    /// Sets how long signed `fileURL`s stay valid.
    pub fn signed_url_ttl(mut self, ttl: Duration) -> Self {
        self.signed_url_ttl = ttl;
        self
    }
}
