//! `cavra policy …`: the policy lifecycle gate on the command line.
//!
//! Every command calls the `lifecycle` crate for the domain work; this module only parses flags,
//! reads and writes files, picks the output format and maps outcomes to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::Format;

mod diff;
mod digest;
mod dry_run;
mod lifecycle_cmds;
mod lint;
mod replay;
mod schema;
mod select;
mod simulate;

pub use diff::DiffArgs;
pub use digest::DigestArgs;
pub use dry_run::DryRunArgs;
pub use lifecycle_cmds::{LifecyclePlanArgs, ReadinessArgs, ValidateArgs};
pub use lint::LintArgs;
pub use replay::ReplayArgs;
pub use schema::SchemaArgs;
pub use simulate::SimulateArgs;

/// Options of `cavra policy`.
#[derive(Debug, Args)]
#[command(after_long_help = POLICY_HELP)]
pub struct PolicyArgs {
    /// Output format. `junit` is accepted by `lint` and `dry-run`, `sarif` by `lint`;
    /// `lifecycle-plan` and `validate-lifecycle` always print CAVRA's JSON.
    #[arg(
        long,
        global = true,
        env = "CAVRA_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub format: Format,

    /// The command.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

const POLICY_HELP: &str = "\
Packs live in <policy-root>/<pack>/policy.yaml (default root `policies`, or --policy-root /
CAVRA_POLICY_ROOT), each with a cases.yaml of required decisions.

Examples:
  cavra policy lifecycle-plan --policy-pack cavra-ai-agent-baseline \\
      --output-dir dist/policy-lifecycle
  cavra policy lifecycle-readiness --require-live \\
      examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json
  cavra policy lint --format sarif > dist/policy-lint.sarif

Exit codes:
  0  ok, or no findings
  1  a gate failed: lint blockers, a failed dry run, a packet that is not ready
  2  usage, input or internal error (one line on stderr)";

/// The `cavra policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Build the lifecycle plan and write its eight files (CAVRA's layout), print the export map.
    #[command(name = "lifecycle-plan", after_long_help = lifecycle_cmds::PLAN_HELP)]
    LifecyclePlan(LifecyclePlanArgs),
    /// Gate on a readiness packet: print the completion JSON and the blockers.
    #[command(name = "lifecycle-readiness", after_long_help = lifecycle_cmds::READINESS_HELP)]
    LifecycleReadiness(ReadinessArgs),
    /// CAVRA's `scripts/validate_policy_lifecycle.py`: plan, export, lint, dry-run or packet mode.
    #[command(name = "validate-lifecycle", after_long_help = lifecycle_cmds::VALIDATE_HELP)]
    ValidateLifecycle(ValidateArgs),
    /// Lint packs: positioned diagnostics (text, json, junit, sarif), or explain a rule.
    #[command(after_long_help = lint::LINT_HELP)]
    Lint(LintArgs),
    /// Print the content digest of packs (after the inherits merge).
    #[command(after_long_help = digest::DIGEST_HELP)]
    Digest(DigestArgs),
    /// Compare two packs: semantic diff, exact decision regions and text diff.
    #[command(after_long_help = diff::DIFF_HELP)]
    Diff(DiffArgs),
    /// Decide one request against a pack.
    #[command(after_long_help = simulate::SIMULATE_HELP)]
    Simulate(SimulateArgs),
    /// Run a pack's required decisions (its cases.yaml) and report mismatches.
    #[command(name = "dry-run", after_long_help = dry_run::DRY_RUN_HELP)]
    DryRun(DryRunArgs),
    /// Replay a decision log under a candidate: flips, rate changes and examples.
    #[command(after_long_help = replay::REPLAY_HELP)]
    Replay(ReplayArgs),
    /// Print or write the JSON Schemas of every document the lifecycle writes.
    #[command(after_long_help = schema::SCHEMA_HELP)]
    Schema(SchemaArgs),
}

/// Where packs are found; shared by every command that names a pack.
#[derive(Debug, Clone, Args)]
pub struct RootArg {
    /// Directory holding one `<pack>/policy.yaml` per pack.
    #[arg(
        long,
        env = "CAVRA_POLICY_ROOT",
        default_value = "policies",
        value_name = "DIR"
    )]
    pub policy_root: PathBuf,
}

/// Runs a `cavra policy` command and returns its exit code (errors are exit 2).
pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    let format = args.format;
    match args.command {
        PolicyCommand::LifecyclePlan(a) => lifecycle_cmds::lifecycle_plan(a, format),
        PolicyCommand::LifecycleReadiness(a) => lifecycle_cmds::lifecycle_readiness(a, format),
        PolicyCommand::ValidateLifecycle(a) => lifecycle_cmds::validate_lifecycle(a, format),
        PolicyCommand::Lint(a) => lint::lint(a, format),
        PolicyCommand::Digest(a) => digest::digest(a, format),
        PolicyCommand::Diff(a) => diff::diff(a, format),
        PolicyCommand::Simulate(a) => simulate::simulate(a, format),
        PolicyCommand::DryRun(a) => dry_run::dry_run(a, format),
        PolicyCommand::Replay(a) => replay::replay(a, format),
        PolicyCommand::Schema(a) => schema::schema(a, format),
    }
}
