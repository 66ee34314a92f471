//! Wall-clock time and its one display format.

/// The current time in unix milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix milliseconds as RFC 3339 UTC with microseconds, e.g. `2026-07-04T13:37:30.422000+00:00`
/// (CAVRA's timestamp shape; the date arithmetic lives once, in `lifecycle::time`).
pub fn rfc3339(millis: i64) -> String {
    lifecycle::time::rfc3339_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            rfc3339(1_783_172_250_422),
            "2026-07-04T13:37:30.422000+00:00"
        );
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000000+00:00");
    }
}
