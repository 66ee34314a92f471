//! The sign-in throttle's rule: which keys a failure counts against, and when a key may try
//! again. Pure functions over counts and times; [`super::accounts::login`] reads the counts from
//! the `login_failures` table and applies them.
//!
//! Growing delays rather than a lockout: a key (an account name, or a client address) with `n`
//! failures inside the window, the latest at `t`, may try again from
//! `t + min(2^(n - free) s, cap)` once `n >= free` (the first delay, 1 s, is configurable). The account's cap is short (30 s by default),
//! so failures from elsewhere can delay the real owner but never lock them out; the client's cap
//! is long (15 min), so one client guessing many names gets a handful of guesses per window.

use std::net::IpAddr;

use crate::config::SigninLimits;

/// The longest account name stored or compared (names longer than this cannot exist).
pub const MAX_NAME_CHARS: usize = 64;

/// The key a failure counts against for an account: the name as tried, cut to
/// [`MAX_NAME_CHARS`] characters (so a megabyte-long name stores 64 characters).
pub fn account_key(username: &str) -> String {
    username.chars().take(MAX_NAME_CHARS).collect()
}

/// The key a failure counts against for a client: an IPv4 address (IPv4-mapped IPv6 included),
/// or the /64 network of an IPv6 address, since one host usually holds a whole /64.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

/// One key's recent failures: how many inside the window, and the latest (unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Failures inside the window.
    pub count: i64,
    /// The latest one.
    pub latest: Option<i64>,
}

/// How a key's failures turn into a delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Failures before delays start.
    pub free: i64,
    /// The first delay (ms), doubled per further failure.
    pub first_ms: i64,
    /// The longest delay (s).
    pub max_secs: i64,
}

/// When a key with these failures may try again (unix ms); `None`: at once.
pub fn next_attempt_at(failures: Failures, backoff: Backoff) -> Option<i64> {
    let latest = failures.latest?;
    let over = failures.count - backoff.free.max(0);
    if over < 0 {
        return None;
    }
    let cap_ms = backoff.max_secs.max(0).saturating_mul(1000);
    // first · 2^over, capped; past 2^30 every cap that fits a window is reached anyway.
    let delay_ms = backoff
        .first_ms
        .max(0)
        .saturating_mul(1i64 << over.min(30))
        .min(cap_ms);
    Some(latest.saturating_add(delay_ms))
}

/// Which of the two limits refused an attempt, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The account's failures (from any client).
    Account { until: i64 },
    /// The client's failures (on any account).
    Client { until: i64 },
}

impl Refusal {
    /// Whole seconds until the attempt would be let through (at least 1), for `Retry-After`.
    pub fn retry_after_secs(self, now: i64) -> u64 {
        let until = match self {
            Refusal::Account { until } | Refusal::Client { until } => until,
        };
        let ms = u64::try_from(until.saturating_sub(now)).unwrap_or(0);
        ms.div_ceil(1000).max(1)
    }

    /// What the user is told.
    pub fn what(self) -> &'static str {
        match self {
            Refusal::Account { .. } => "too many failed sign-ins for this account",
            Refusal::Client { .. } => "too many failed sign-ins from this address",
        }
    }
}

/// Whether an attempt at `now` is let through, given the account's failures and (when the
/// client is known) the client's; a refusal names the limit that ends last.
pub fn check(
    limits: &SigninLimits,
    account: Failures,
    client: Option<Failures>,
    now: i64,
) -> Result<(), Refusal> {
    let account_backoff = Backoff {
        free: limits.account_free_failures,
        first_ms: limits.first_delay_ms,
        max_secs: limits.account_max_delay_secs,
    };
    let client_backoff = Backoff {
        free: limits.client_free_failures,
        first_ms: limits.first_delay_ms,
        max_secs: limits.client_max_delay_secs,
    };
    let account_at = next_attempt_at(account, account_backoff).filter(|at| *at > now);
    let client_at = client
        .and_then(|client| next_attempt_at(client, client_backoff))
        .filter(|at| *at > now);
    match (account_at, client_at) {
        (None, None) => Ok(()),
        (Some(account), Some(client)) if client > account => Err(Refusal::Client { until: client }),
        (Some(until), _) => Err(Refusal::Account { until }),
        (None, Some(until)) => Err(Refusal::Client { until }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(count: i64, latest: i64) -> Failures {
        Failures {
            count,
            latest: Some(latest),
        }
    }

    #[test]
    fn delays_double_after_the_free_failures_and_stop_at_the_cap() {
        let backoff = Backoff {
            free: 3,
            first_ms: 1000,
            max_secs: 30,
        };
        let at = |count| next_attempt_at(failures(count, 10_000), backoff);
        assert_eq!(at(0), None);
        assert_eq!(at(2), None);
        assert_eq!(at(3), Some(11_000));
        assert_eq!(at(4), Some(12_000));
        assert_eq!(at(5), Some(14_000));
        assert_eq!(at(7), Some(26_000));
        assert_eq!(at(8), Some(40_000), "capped at 30 s");
        assert_eq!(at(1_000_000), Some(40_000), "no overflow");
        let none = Failures {
            count: 9,
            latest: None,
        };
        assert_eq!(next_attempt_at(none, backoff), None);
        let slow = Backoff {
            first_ms: 5000,
            ..backoff
        };
        assert_eq!(next_attempt_at(failures(4, 0), slow), Some(10_000));
    }

    #[test]
    fn the_later_limit_is_reported() {
        let limits = SigninLimits::default();
        let now = 100_000;
        assert_eq!(check(&limits, failures(2, now), None, now), Ok(()));
        let refused = check(&limits, failures(3, now), None, now).unwrap_err();
        assert_eq!(refused, Refusal::Account { until: now + 1000 });
        assert_eq!(refused.retry_after_secs(now), 1);
        let refused = check(&limits, failures(3, now), Some(failures(15, now)), now);
        assert_eq!(
            refused,
            Err(Refusal::Client {
                until: now + 32_000
            })
        );
        // A delay that has passed lets the attempt through.
        assert_eq!(
            check(&limits, failures(3, now - 1000), None, now),
            Ok(()),
            "exactly at the allowed time"
        );
    }

    #[test]
    fn client_keys_group_ipv6_by_slash_64() {
        let key = |text: &str| client_key(text.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(account_key(&"x".repeat(1000)).len(), MAX_NAME_CHARS);
    }
}
