//! The limits of `cavra serve`: sign-in throttling, the password-hash cap, trusted proxies
//! ([`SigninArgs`], into [`crate::config::ServiceConfig`]) and connection limits
//! ([`ConnectionArgs`], into [`crate::serve::ServeOptions`]). docs/RELIABILITY.md explains them.

use std::time::Duration;

use clap::Args;
use ipnet::IpNet;

use crate::config::{ServiceConfig, SigninLimits};
use crate::serve::ServeOptions;

/// Sign-in throttling, the password-hash cap and trusted proxies.
#[derive(Debug, Clone, Args)]
pub struct SigninArgs {
    /// Failed sign-ins of one account before delays start; each further failure doubles the
    /// wait before the next attempt (1 s, 2 s, 4 s, …) up to --signin-account-max-delay-secs.
    #[arg(long, env = "CAVRA_SIGNIN_ACCOUNT_FREE_FAILURES", default_value_t = 3)]
    pub signin_account_free_failures: u32,

    /// The longest wait an account's failures impose (kept short: failures from elsewhere can
    /// slow the real owner, never lock them out).
    #[arg(
        long,
        env = "CAVRA_SIGNIN_ACCOUNT_MAX_DELAY_SECS",
        default_value_t = 30
    )]
    pub signin_account_max_delay_secs: u32,

    /// Failed sign-ins from one client address (IPv6: its /64), on any accounts, before delays
    /// start.
    #[arg(long, env = "CAVRA_SIGNIN_CLIENT_FREE_FAILURES", default_value_t = 10)]
    pub signin_client_free_failures: u32,

    /// The longest wait a client address's failures impose.
    #[arg(
        long,
        env = "CAVRA_SIGNIN_CLIENT_MAX_DELAY_SECS",
        default_value_t = 900
    )]
    pub signin_client_max_delay_secs: u32,

    /// How long a failed sign-in counts; older ones are deleted. At least both maximum delays.
    #[arg(long, env = "CAVRA_SIGNIN_WINDOW_SECS", default_value_t = 3600)]
    pub signin_window_secs: u32,

    /// Password hashes (sign-in checks, new passwords) computed at once. Default: the number of
    /// cores.
    #[arg(long, env = "CAVRA_MAX_PASSWORD_HASHES",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_password_hashes: Option<u32>,

    /// How long a sign-in waits for a hash slot before it is answered 503 with Retry-After.
    #[arg(long, env = "CAVRA_PASSWORD_HASH_WAIT_MS", default_value_t = 1000)]
    pub password_hash_wait_ms: u64,

    /// A reverse proxy (an address or CIDR block, repeatable or comma separated) whose
    /// X-Forwarded-For names the client. From any other peer the header is ignored.
    #[arg(long = "trusted-proxy", env = "CAVRA_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = parse_proxy)]
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for SigninArgs {
    fn default() -> Self {
        let limits = SigninLimits::default();
        let secs = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        SigninArgs {
            signin_account_free_failures: secs(limits.account_free_failures),
            signin_account_max_delay_secs: secs(limits.account_max_delay_secs),
            signin_client_free_failures: secs(limits.client_free_failures),
            signin_client_max_delay_secs: secs(limits.client_max_delay_secs),
            signin_window_secs: secs(limits.window_secs),
            max_password_hashes: None,
            password_hash_wait_ms: limits.hash_wait_ms,
            trusted_proxies: Vec::new(),
        }
    }
}

impl SigninArgs {
    /// Writes these options into a service configuration; a window shorter than a maximum
    /// delay is refused (the delay would be forgotten before it ended).
    pub fn apply(&self, config: &mut ServiceConfig) -> anyhow::Result<()> {
        let longest = self
            .signin_account_max_delay_secs
            .max(self.signin_client_max_delay_secs);
        if self.signin_window_secs < longest.max(1) {
            anyhow::bail!(
                "--signin-window-secs ({}) must be at least the longest maximum delay ({longest})",
                self.signin_window_secs
            );
        }
        let signin = &mut config.signin;
        signin.account_free_failures = i64::from(self.signin_account_free_failures);
        signin.account_max_delay_secs = i64::from(self.signin_account_max_delay_secs);
        signin.client_free_failures = i64::from(self.signin_client_free_failures);
        signin.client_max_delay_secs = i64::from(self.signin_client_max_delay_secs);
        signin.window_secs = i64::from(self.signin_window_secs);
        if let Some(n) = self.max_password_hashes {
            signin.max_password_hashes = usize::try_from(n).unwrap_or(1);
        }
        signin.hash_wait_ms = self.password_hash_wait_ms;
        config.trusted_proxies = self.trusted_proxies.clone();
        Ok(())
    }
}

/// `10.0.0.1` (one address) or `10.0.0.0/8`.
fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is neither an IP address nor a CIDR block"))
}

/// Connection limits of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Open connections at most; more are answered 503 and closed at once. Keep it below the
    /// process's open-file limit (`ulimit -n`).
    #[arg(long, env = "CAVRA_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,

    /// Seconds a request's head may take to arrive (also how long a kept-alive connection may
    /// wait for its next request).
    #[arg(long, env = "CAVRA_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,

    /// Seconds a request's body may take to arrive after its head (408 beyond).
    #[arg(long, env = "CAVRA_BODY_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,

    /// Seconds a connection may sit with no request in progress and no bytes moving.
    #[arg(long, env = "CAVRA_IDLE_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,
}

impl ConnectionArgs {
    /// The serve loop's options.
    pub fn options(&self) -> ServeOptions {
        ServeOptions {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Both {
        #[command(flatten)]
        signin: SigninArgs,
        #[command(flatten)]
        connections: ConnectionArgs,
    }

    #[test]
    fn flag_defaults_are_the_documented_defaults() {
        let parsed = Both::try_parse_from(["cavra"]).unwrap();
        let mut from_flags = ServiceConfig::new("d");
        parsed.signin.apply(&mut from_flags).unwrap();
        let mut from_default = ServiceConfig::new("d");
        SigninArgs::default().apply(&mut from_default).unwrap();
        assert_eq!(from_flags.signin, from_default.signin);
        assert_eq!(from_flags.signin, SigninLimits::default());
        assert_eq!(parsed.connections.options(), ServeOptions::default());
    }

    #[test]
    fn bad_values_are_refused() {
        let parse = |args: &[&str]| Both::try_parse_from([&["cavra"], args].concat());
        let parsed = parse(&["--trusted-proxy", "10.0.0.1,192.168.0.0/16,::1"]).unwrap();
        assert_eq!(parsed.signin.trusted_proxies.len(), 3);
        assert!(parse(&["--trusted-proxy", "example.com"]).is_err());
        assert!(parse(&["--max-password-hashes", "0"]).is_err());
        assert!(parse(&["--max-connections", "0"]).is_err());
        let short = parse(&["--signin-window-secs", "60"]).unwrap();
        let error = short
            .signin
            .apply(&mut ServiceConfig::new("d"))
            .unwrap_err();
        assert!(
            error.to_string().contains("--signin-window-secs"),
            "{error}"
        );
    }
}
