//! What the policy commands share at the edge: output formats, colour, writing files and stdout
//! (a broken pipe is a success), one-line errors, the clock, path checks and the small text
//! helpers of human output (display paths, plurals).

use std::io::{IsTerminal, Write};
use std::path::{Component, Path};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use lifecycle::plan::PlanTimestamps;
use lifecycle::time::{is_python_utc_isoformat, python_isoformat_micros};

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

/// A path for humans and SARIF: `/` separators, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map_or(text.clone(), str::to_owned)
}

/// `1 file`, `2 files`: a count with an English plural.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
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
        python_isoformat_micros(i64::try_from(last).unwrap_or(i64::MAX))
    };
    Ok(PlanTimestamps::from_clock(&mut clock))
}

#[cfg(test)]
mod tests {
    use super::*;

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
