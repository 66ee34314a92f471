//! UTC timestamps in CAVRA's shape (`YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`), from a time the caller
//! passes in: the crate reads no clock.

/// Python's `datetime.fromtimestamp(t, timezone.utc).isoformat()` for `t` in microseconds since
/// the Unix epoch: the fractional part is omitted when it is zero, as Python does
/// (`2026-07-04T13:37:30.422404+00:00`, `1970-01-01T00:00:00+00:00`).
pub fn python_isoformat_micros(unix_micros: i64) -> String {
    let micros = u32::try_from(unix_micros.rem_euclid(1_000_000)).unwrap_or(0);
    format_utc(unix_micros.div_euclid(1_000_000), micros, false)
}

/// Unix milliseconds as RFC 3339 UTC that always carries six fraction digits, e.g.
/// `2026-07-04T13:37:30.422000+00:00`: the timestamp shape of the server's records.
pub fn rfc3339_millis(unix_millis: i64) -> String {
    let micros = u32::try_from(unix_millis.rem_euclid(1000) * 1000).unwrap_or(0);
    format_utc(unix_millis.div_euclid(1000), micros, true)
}

/// Whether `text` has the shape [`python_isoformat_micros`] writes:
/// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`.
pub fn is_python_utc_isoformat(text: &str) -> bool {
    let Some(body) = text.strip_suffix("+00:00") else {
        return false;
    };
    let (seconds, fraction) = match body.split_once('.') {
        Some((seconds, fraction)) => (seconds, Some(fraction)),
        None => (body, None),
    };
    let shape_ok = seconds.len() == 19
        && seconds.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        });
    shape_ok && fraction.is_none_or(|f| f.len() == 6 && f.chars().all(|c| c.is_ascii_digit()))
}

/// `secs` since the epoch plus `micros` as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`; without the
/// fraction when it is zero, unless `always_fraction`.
fn format_utc(secs: i64, micros: u32, always_fraction: bool) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let base = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if micros == 0 && !always_fraction {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian `(year, month, day)` (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isoformat_matches_python() {
        // datetime(2026, 7, 4, 13, 37, 30, 422404, tzinfo=timezone.utc).timestamp()
        assert_eq!(
            python_isoformat_micros(1_783_172_250_422_404),
            "2026-07-04T13:37:30.422404+00:00"
        );
        assert_eq!(python_isoformat_micros(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            python_isoformat_micros(951_782_400_000_001),
            "2000-02-29T00:00:00.000001+00:00"
        );
    }

    #[test]
    fn rfc3339_always_has_microseconds() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            rfc3339_millis(1_783_172_250_422),
            "2026-07-04T13:37:30.422000+00:00"
        );
        assert_eq!(
            rfc3339_millis(951_782_400_000),
            "2000-02-29T00:00:00.000000+00:00"
        );
        // Before the epoch the date counts back and the fraction stays positive.
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999000+00:00");
    }

    #[test]
    fn fixed_time_shapes() {
        assert!(is_python_utc_isoformat("2026-07-04T13:37:30.422404+00:00"));
        assert!(is_python_utc_isoformat("2026-01-01T00:00:00+00:00"));
        assert!(!is_python_utc_isoformat("2026-01-01 00:00:00+00:00"));
        assert!(!is_python_utc_isoformat("2026-01-01T00:00:00.1+00:00"));
        assert!(!is_python_utc_isoformat("2026-01-01T00:00:00Z"));
        assert!(is_python_utc_isoformat(&python_isoformat_micros(
            1_783_172_250_422_404
        )));
    }
}
