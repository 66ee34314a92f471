//! What the policy commands share at the edge: output formats, colour, writing files and stdout
//! (a broken pipe is a success), one-line errors, the clock and path checks.

use std::io::{IsTerminal, Write};
use std::path::{Component, Path};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use lifecycle::plan::PlanTimestamps;

/// Exit code of a command whose gate failed (lint blockers, failed dry run, packet not ready).
pub const EXIT_FAILED: u8 = 1;
/// Exit code of a usage, input or internal error.
pub const EXIT_ERROR: u8 = 2;

/// The output format of a policy command (`--format`, env `CAVRA_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text (coloured on a terminal unless `NO_COLOR` is set).
    Text,
    /// One JSON document on stdout.
    Json,
    /// JUnit XML (`lint`, `dry-run`).
    Junit,
    /// SARIF 2.1.0 (`lint`).
    Sarif,
}

impl Format {
    /// The flag value, as typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
        }
    }

    /// Refuses a format the command cannot write (a usage error, exit 2).
    pub fn require(self, command: &str, allowed: &[Format]) -> anyhow::Result<Format> {
        if allowed.contains(&self) {
            return Ok(self);
        }
        let names: Vec<&str> = allowed.iter().map(|format| format.as_str()).collect();
        bail!(
            "`cavra policy {command}` cannot write `--format {}`; use one of: {}",
            self.as_str(),
            names.join(", ")
        )
    }
}

/// The exit code for a gate: 0 when it passed, 1 when it failed.
pub fn gate(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

/// Whether text output on stdout gets ANSI colours: never with a non-empty `NO_COLOR` or when
/// stdout is not a terminal, unless `CLICOLOR_FORCE` is set (non-empty, not `0`).
pub fn color_enabled() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    std::io::stdout().is_terminal()
}

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    stdout.flush().context("writing to stdout")
}

/// Writes one line to stderr (a note next to the result on stdout).
pub fn note(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Prints an error as one line on stderr and returns exit code 2; a broken pipe on stdout
/// (`cavra … | head`) is not an error and returns 0, as ripgrep does.
pub fn report_error(error: &anyhow::Error) -> ExitCode {
    let broken_pipe = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    note(&format!("error: {}", one_line(&format!("{error:#}"))));
    ExitCode::from(EXIT_ERROR)
}

/// Folds a message onto one line (error messages from parsers may span several).
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Refuses an output path with a `..` component: the gate writes inside the working tree (or to
/// an absolute path), never above it by accident.
pub fn check_output_path(flag: &str, path: &Path) -> anyhow::Result<()> {
    if path.as_os_str().is_empty() {
        bail!("`{flag}` must not be empty");
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        bail!(
            "refusing `{flag} {}`: output paths must not contain `..`",
            path.display()
        );
    }
    Ok(())
}

/// Writes a file, creating its parent directories.
pub fn write_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating directory `{}`", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing `{}`", path.display()))
}

/// Reads a text file, with the path in the error.
pub fn read_text(what: &str, path: &Path) -> anyhow::Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading {what} `{}`", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{what} `{}` is not valid UTF-8 text", path.display()))
}

/// Reads a JSON file, with the path and position in the error.
pub fn read_json(what: &str, path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = read_text(what, path)?;
    serde_json::from_str(&text)
        .with_context(|| format!("{what} `{}` is not valid JSON", path.display()))
}

/// Python's `str(Path(p))` for a relative or absolute path typed on the command line: repeated
/// and trailing slashes and `.` segments removed.
pub fn python_path(path: &str) -> String {
    let leading = if path.starts_with('/') { "/" } else { "" };
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    let joined = format!("{leading}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// The environment variable that pins the plan clock (tests, example regeneration): one
/// timestamp, or three separated by commas (version manifest, plan, publish plan).
pub const FIXED_TIME_ENV: &str = "CAVRA_FIXED_TIME";

/// The three plan timestamps: from `CAVRA_FIXED_TIME` when set, else the UTC clock read three
/// times in CAVRA's order (each reading strictly later than the one before).
pub fn plan_timestamps() -> anyhow::Result<PlanTimestamps> {
    if let Some(fixed) = std::env::var(FIXED_TIME_ENV).ok().filter(|v| !v.is_empty()) {
        let parts: Vec<&str> = fixed.split(',').map(str::trim).collect();
        for part in &parts {
            if !is_python_utc_isoformat(part) {
                bail!(
                    "{FIXED_TIME_ENV} `{part}` is not a UTC timestamp like `2026-07-04T13:37:30.422404+00:00`"
                );
            }
        }
        return match parts.as_slice() {
            [one] => Ok(PlanTimestamps::fixed(one)),
            [manifest, plan, publish] => Ok(PlanTimestamps {
                version_manifest: (*manifest).to_owned(),
                plan: (*plan).to_owned(),
                publish_plan: (*publish).to_owned(),
            }),
            _ => bail!("{FIXED_TIME_ENV} holds one timestamp or three separated by commas"),
        };
    }
    let mut last: u128 = 0;
    let mut clock = || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        last = now.max(last + 1);
        python_isoformat_micros(last)
    };
    Ok(PlanTimestamps::from_clock(&mut clock))
}

/// `datetime.fromtimestamp(t, timezone.utc).isoformat()` for `t` in microseconds since the
/// epoch: the fractional part is omitted when it is zero, as Python does.
pub fn python_isoformat_micros(micros_since_epoch: u128) -> String {
    let micros = micros_since_epoch % 1_000_000;
    let secs = micros_since_epoch / 1_000_000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let base = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
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

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`.
fn is_python_utc_isoformat(text: &str) -> bool {
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
    fn fixed_time_shapes() {
        assert!(is_python_utc_isoformat("2026-07-04T13:37:30.422404+00:00"));
        assert!(is_python_utc_isoformat("2026-01-01T00:00:00+00:00"));
        assert!(!is_python_utc_isoformat("2026-01-01 00:00:00+00:00"));
        assert!(!is_python_utc_isoformat("2026-01-01T00:00:00.1+00:00"));
        assert!(!is_python_utc_isoformat("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn output_paths_must_not_climb() {
        assert!(check_output_path("--output", Path::new("dist/x.json")).is_ok());
        assert!(check_output_path("--output", Path::new("/tmp/x.json")).is_ok());
        assert!(check_output_path("--output", Path::new("dist/../../x.json")).is_err());
        assert!(check_output_path("--output", Path::new("")).is_err());
    }

    #[test]
    fn errors_fold_onto_one_line() {
        assert_eq!(one_line("a\n  b\n\nc"), "a; b; c");
    }
}
