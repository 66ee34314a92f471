//! The service configuration: one typed record, passed explicitly (never a global).

use std::path::PathBuf;

use ipnet::IpNet;
use url::Url;

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
    /// Largest accepted request body, in bytes (413 beyond), for REST and server functions alike.
    /// A transport bound on memory only: what may be stored is limited by the service
    /// ([`crate::service::limits`]), below this even after JSON or form encoding.
    pub max_body_bytes: usize,
    /// Where users reach the server (`--public-url`): the only Host names it answers and the
    /// origin mutating requests must come from. Empty: the loopback names with the bound port
    /// (`web::router`), which is all a server bound to loopback can be reached by.
    pub public_urls: Vec<PublicUrl>,
    /// Extra origins allowed to send mutating requests (besides the public URLs).
    pub allowed_origins: Vec<PublicUrl>,
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
            max_body_bytes: 2 * 1024 * 1024,
            public_urls: Vec::new(),
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

/// An origin users reach the server by: `http` or `https`, a host and a port, nothing else
/// (`https://cavra.example`, `http://10.0.0.5:3000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// The host as browsers send it: lowercase, IDNA-encoded, IPv6 in brackets.
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
}

impl PublicUrl {
    /// Parses `scheme://host[:port]` (a trailing `/` is fine). A path, query, fragment or user
    /// name is refused: the server is served from the root and an origin has none of them.
    pub fn parse(text: &str) -> Result<PublicUrl, String> {
        let url =
            Url::parse(text.trim()).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{text}` must start with http:// or https://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("`{text}` must not contain a user name or password"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{text}` must be an origin such as https://cavra.example (no path, query or fragment)"
            ));
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(address)) => format!("[{address}]"),
            Some(host) => host.to_string(),
            None => return Err(format!("`{text}` has no host")),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| format!("`{text}` has no port"))?;
        Ok(PublicUrl {
            scheme: url.scheme().to_owned(),
            host,
            port,
        })
    }

    /// Whether browsers reach it over TLS.
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    fn default_port(&self) -> bool {
        self.port == if self.is_https() { 443 } else { 80 }
    }

    /// The origin as a browser's `Origin` header spells it (no default port).
    pub fn origin(&self) -> String {
        if self.default_port() {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }

    /// Whether a `Host` header value (`host[:port]`) names this origin: same host, and the
    /// same port (no port meaning the scheme's default).
    pub fn matches_host(&self, value: &str) -> bool {
        let value = value.trim().to_ascii_lowercase();
        // `[v6]:port`, `[v6]`, `name:port`, `name`.
        let (host, port) = match value.rfind(':') {
            Some(at) if !value[at..].contains(']') => (&value[..at], Some(&value[at + 1..])),
            _ => (value.as_str(), None),
        };
        let port_ok = match port {
            Some(port) => port.parse::<u16>().is_ok_and(|port| port == self.port),
            None => self.default_port(),
        };
        port_ok && host.trim_end_matches('.') == self.host
    }
}

impl std::fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin())
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PublicUrl::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_origins() {
        let url = PublicUrl::parse("https://CAVRA.example/").unwrap();
        assert_eq!(url.origin(), "https://cavra.example");
        assert!(url.matches_host("cavra.example") && url.matches_host("cavra.example:443"));
        assert!(url.matches_host("Cavra.Example."));
        assert!(!url.matches_host("cavra.example:8443") && !url.matches_host("evil.example"));
        assert!(!url.matches_host("cavra.example.evil.example"));
        let url = PublicUrl::parse("http://[::1]:3000").unwrap();
        assert_eq!(url.origin(), "http://[::1]:3000");
        assert!(url.matches_host("[::1]:3000") && !url.matches_host("[::1]"));
        let url = PublicUrl::parse("http://10.0.0.5:3000").unwrap();
        assert!(url.matches_host("10.0.0.5:3000") && !url.matches_host("10.0.0.5:3001"));
        for bad in [
            "cavra.example",
            "ftp://cavra.example",
            "https://cavra.example/ui",
            "https://user@cavra.example",
            "https://cavra.example/?x=1",
            "https://",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
