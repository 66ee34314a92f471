//! The service configuration: one typed record, passed explicitly (never a global).

use std::path::PathBuf;

use ipnet::IpNet;

use app::backend::ShadowRule;

/// When a shadow run is good enough for promotion. The first three are the defaults of a pack's
/// [`ShadowRule`] (a pack may set its own); only authenticated observations count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowCriteria {
    /// Authenticated traffic must span at least this long (CAVRA's plan: 24 hours).
    pub min_observed_secs: i64,
    /// At least this many authenticated decisions observed.
    pub min_observations: i64,
    /// From at least this many distinct runtimes.
    pub min_runtimes: i64,
    /// At most this many divergences not yet acknowledged.
    pub max_unacknowledged: i64,
}

impl Default for ShadowCriteria {
    fn default() -> Self {
        let rule = ShadowRule::default();
        ShadowCriteria {
            min_observed_secs: i64::try_from(rule.min_observed_secs).unwrap_or(i64::MAX),
            min_observations: i64::from(rule.min_observations),
            min_runtimes: i64::from(rule.min_runtimes),
            max_unacknowledged: 0,
        }
    }
}

impl ShadowCriteria {
    /// The rule of a pack that has none of its own.
    pub fn default_rule(&self) -> ShadowRule {
        let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        ShadowRule {
            min_observations: clamp(self.min_observations),
            min_runtimes: clamp(self.min_runtimes),
            min_observed_secs: u64::try_from(self.min_observed_secs.max(0)).unwrap_or(0),
        }
    }
}

/// Runtime tokens on `/v1/decisions`: how long a validated token set is trusted, and each
/// token's rate limit.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeLimits {
    /// Seconds a replica trusts its in-memory copy of the active tokens: a token revoked on
    /// another replica is refused there within this time (at once on the replica that revoked).
    pub token_cache_secs: u64,
    /// Decisions per second each token may make (a token bucket); 0 means unlimited.
    pub rate_per_sec: f64,
    /// The bucket's size: how many decisions a token may make at once after a quiet spell.
    pub burst: f64,
    /// Longest accepted value of any decision input field, in bytes (422 beyond).
    pub max_field_bytes: usize,
}

impl Default for RuntimeLimits {
    fn default() -> Self {
        RuntimeLimits {
            token_cache_secs: 5,
            rate_per_sec: 1000.0,
            burst: 2000.0,
            max_field_bytes: 4096,
        }
    }
}

/// Retention of the decision log and shadow observations (`cavra serve` prunes every
/// `interval_secs`; `cavra db prune` runs one pass). A bound of 0 is off. Unacknowledged shadow
/// divergences (and their decisions) are kept whatever the bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionLimits {
    /// Decisions older than this many seconds are pruned.
    pub max_age_secs: u64,
    /// Only the newest this many decision-log ids are kept.
    pub max_rows: u64,
    /// Seconds between two prune passes of `cavra serve`; 0: no background pruning.
    pub interval_secs: u64,
}

impl Default for RetentionLimits {
    fn default() -> Self {
        RetentionLimits {
            max_age_secs: 30 * 24 * 3600,
            max_rows: 10_000_000,
            interval_secs: 60,
        }
    }
}

impl RetentionLimits {
    /// Whether any bound is set.
    pub fn enabled(&self) -> bool {
        self.max_age_secs > 0 || self.max_rows > 0
    }
}

/// Sign-in throttling and the password-hash cap (docs/RELIABILITY.md, "Sign-in").
///
/// A key (an account name, or a client address) with `n` failures inside `window_secs`, the
/// last at `t`, may try again from `t + min(first_delay · 2^(n - free), max_delay)` once
/// `n >= free`. The
/// account's cap is short, so an attacker elsewhere can slow the real owner but not lock them
/// out; a client address's cap is long, so one client guessing many names is held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninLimits {
    /// Failures of one account name before delays start.
    pub account_free_failures: i64,
    /// The longest delay an account's failures impose, in seconds.
    pub account_max_delay_secs: i64,
    /// Failures from one client address (IPv6: its /64) before delays start.
    pub client_free_failures: i64,
    /// The longest delay a client address's failures impose, in seconds.
    pub client_max_delay_secs: i64,
    /// How long a failure counts; older ones are deleted. At least both caps.
    pub window_secs: i64,
    /// The first delay, in milliseconds; each further failure doubles it.
    pub first_delay_ms: i64,
    /// Password hashes (sign-in checks and new passwords) computed at once.
    pub max_password_hashes: usize,
    /// How long a sign-in waits for a hash slot before 503 with `Retry-After`, in milliseconds.
    pub hash_wait_ms: u64,
}

impl Default for SigninLimits {
    fn default() -> Self {
        SigninLimits {
            account_free_failures: 3,
            account_max_delay_secs: 30,
            client_free_failures: 10,
            client_max_delay_secs: 15 * 60,
            window_secs: 3600,
            first_delay_ms: 1000,
            max_password_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            hash_wait_ms: 1000,
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
    /// Sign-in throttling and the password-hash cap.
    pub signin: SigninLimits,
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies); from anyone else the
    /// header is ignored and the TCP peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest accepted request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Extra origins allowed to send mutating requests (besides the server's own).
    pub allowed_origins: Vec<String>,
    /// The pack `/v1/decisions` uses when the request names none.
    pub default_pack: String,
    /// Runtime tokens: cache lifetime, rate limits, input field caps.
    pub runtime: RuntimeLimits,
    /// Retention of the decision log and shadow observations.
    pub retention: RetentionLimits,
}

impl ServiceConfig {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServiceConfig {
        ServiceConfig {
            data_dir: data_dir.into(),
            shadow: ShadowCriteria::default(),
            secure_cookies: true,
            session_ttl_secs: 12 * 3600,
            signin: SigninLimits::default(),
            trusted_proxies: Vec::new(),
            max_body_bytes: 1024 * 1024,
            allowed_origins: Vec::new(),
            default_pack: lifecycle::plan::DEFAULT_POLICY_PACK.to_owned(),
            runtime: RuntimeLimits::default(),
            retention: RetentionLimits::default(),
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
