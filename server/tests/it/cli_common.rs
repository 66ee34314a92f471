//! Shared helpers of the `cli_*` tests: run the built `cavra` binary with a clean environment.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the clone).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

/// A file under `lifecycle/tests/fixtures/reference/` (CAVRA's golden outputs).
pub fn reference(path: &str) -> PathBuf {
    repo().join("lifecycle/tests/fixtures/reference").join(path)
}

/// Reads a text file.
pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// A snapshot-friendly rendering: exit code, stdout, stderr.
    pub fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A `cavra` command with no inherited `CAVRA_*` settings, no colour and quiet logs, run in `cwd`.
pub fn cavra_in(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cavra"));
    command.current_dir(cwd);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CAVRA_") || key == "CLICOLOR_FORCE" {
            command.env_remove(&key);
        }
    }
    command.env("NO_COLOR", "1").env("RUST_LOG", "off");
    command
}

/// Runs `cavra <args>` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    run_command(cavra_in(cwd).args(args))
}

/// Runs `cavra <args>` at the repository root (for commands that only read).
pub fn run(args: &[&str]) -> Run {
    run_in(&repo(), args)
}

/// Runs `cavra <args>` in `cwd`: the exit code and stdout followed by stderr, lossily decoded
/// (for tests that only look for a phrase, or feed the CLI invalid UTF-8).
pub fn run_merged(cwd: &Path, args: &[&str]) -> (i32, String) {
    let output = cavra_in(cwd).args(args).output().expect("running cavra");
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Runs a prepared command.
pub fn run_command(command: &mut Command) -> Run {
    let output = command.output().expect("running cavra");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// The reference run's three timestamps (version manifest, plan, publish plan).
pub const REFERENCE_TIME: &str =
    "2026-07-04T13:37:30.422404+00:00,2026-07-04T13:37:30.423168+00:00,2026-07-04T13:37:30.423543+00:00";

/// The three clock fields of a reference plan, as `CAVRA_FIXED_TIME` wants them.
pub fn golden_time(plan_path: &Path) -> String {
    let plan: serde_json::Value = serde_json::from_str(&read(plan_path)).expect("plan JSON");
    let field = |pointer: &str| {
        plan.pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .expect("timestamp")
            .to_owned()
    };
    format!(
        "{},{},{}",
        field("/version_manifest/generated_at"),
        field("/generated_at"),
        field("/approval_workflow/publish_plan/generated_at")
    )
}

/// The absolute policy root of the clone.
pub fn policy_root() -> String {
    repo().join("policies").to_string_lossy().into_owned()
}

/// Asserts a run's exit code, showing the transcript on failure.
#[track_caller]
pub fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{}", run.transcript());
}
