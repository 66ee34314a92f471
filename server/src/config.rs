//! The service configuration: one typed record, passed explicitly (never a global).

use std::path::PathBuf;

/// When a shadow run is good enough for promotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowCriteria {
    /// The candidate must have been observed at least this long (CAVRA's plan: 24 hours).
    pub min_observed_secs: i64,
    /// At least this many decisions observed.
    pub min_observations: i64,
    /// At most this many divergences not yet acknowledged.
    pub max_unacknowledged: i64,
}

impl Default for ShadowCriteria {
    fn default() -> Self {
        ShadowCriteria {
            min_observed_secs: 24 * 3600,
            min_observations: 1,
            max_unacknowledged: 0,
        }
    }
}

/// Everything the lifecycle service needs besides the database.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Local state: the signing key (`keys/`) and the evidence directory (`evidence/`).
    pub data_dir: PathBuf,
    /// Promotion criteria for shadow runs.
    pub shadow: ShadowCriteria,
    /// Mark the session cookie `Secure` (off only when serving on loopback).
    pub secure_cookies: bool,
    /// Session lifetime.
    pub session_ttl_secs: i64,
    /// Failed sign-ins per user name within `login_window_secs` before sign-in is refused.
    pub login_max_failures: i64,
    /// The rate-limit window.
    pub login_window_secs: i64,
    /// Largest accepted request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Extra origins allowed to send mutating requests (besides the server's own).
    pub allowed_origins: Vec<String>,
    /// The pack `/v1/decisions` uses when the request names none.
    pub default_pack: String,
}

impl ServiceConfig {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServiceConfig {
        ServiceConfig {
            data_dir: data_dir.into(),
            shadow: ShadowCriteria::default(),
            secure_cookies: true,
            session_ttl_secs: 12 * 3600,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            max_body_bytes: 1024 * 1024,
            allowed_origins: Vec::new(),
            default_pack: lifecycle::plan::DEFAULT_POLICY_PACK.to_owned(),
        }
    }

    /// Where evidence packets are written.
    pub fn evidence_dir(&self) -> PathBuf {
        self.data_dir.join("evidence")
    }

    /// Where the signing key lives.
    pub fn key_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }
}
