//! `cavra db prune` and the retention options of `cavra serve`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::admin::{cli_service, runtime, DatabaseArgs};
use crate::config::RetentionLimits;
use crate::service::retention::{self, PruneOptions, PruneReport};

/// The longest interval between two background prune passes (a day).
const MAX_INTERVAL_SECS: u64 = 24 * 3600;

/// Retention of the decision log and shadow observations (`cavra serve`).
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// Prune decisions (and their shadow observations) older than this many seconds; 0: no age
    /// bound. Unacknowledged shadow divergences are kept.
    #[arg(long = "retention-max-age", env = "CAVRA_RETENTION_MAX_AGE", value_name = "SECS",
          default_value_t = RetentionLimits::default().max_age_secs)]
    pub max_age_secs: u64,

    /// Keep only the newest N decisions (and their observations); 0: no row bound.
    #[arg(long = "retention-max-rows", env = "CAVRA_RETENTION_MAX_ROWS", value_name = "N",
          default_value_t = RetentionLimits::default().max_rows)]
    pub max_rows: u64,

    /// Seconds between two prune passes (each truncates the SQLite WAL after deleting
    /// something); 0: never prune in the background.
    #[arg(long = "retention-interval-seconds", env = "CAVRA_RETENTION_INTERVAL_SECONDS",
          value_name = "SECS", default_value_t = RetentionLimits::default().interval_secs,
          value_parser = clap::value_parser!(u64).range(0..=MAX_INTERVAL_SECS))]
    pub interval_secs: u64,
}

impl Default for RetentionArgs {
    fn default() -> Self {
        let limits = RetentionLimits::default();
        RetentionArgs {
            max_age_secs: limits.max_age_secs,
            max_rows: limits.max_rows,
            interval_secs: limits.interval_secs,
        }
    }
}

impl RetentionArgs {
    /// The limits for the service configuration.
    pub fn limits(&self) -> RetentionLimits {
        RetentionLimits {
            max_age_secs: self.max_age_secs,
            max_rows: self.max_rows,
            interval_secs: self.interval_secs,
        }
    }
}

/// `cavra db …`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// Database subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Prune the decision log and shadow observations once (what `cavra serve` does every
    /// --retention-interval-seconds) and print what was deleted.
    #[command(after_long_help = PRUNE_HELP)]
    Prune(PruneArgs),
}

const PRUNE_HELP: &str = "\
Deletes decisions older than --max-age seconds and all but the newest --max-rows decisions, with
their shadow observations, in batches of at most 5,000 decisions per transaction (a running server
keeps answering). Never deleted: an unacknowledged shadow divergence and its decision. The shadow
gate's counts do not change: what is pruned is added to each run's tallies. A pass that deleted
something is an audit entry (`retention.prune`) signed with the evidence key, so --data-dir must
hold the server's key (keys/evidence-ed25519.key); a --dry-run deletes and records nothing. On
SQLite the WAL is truncated afterwards (if a reader or writer is busy, the server does it later);
the file keeps its size and new rows reuse the freed pages.

Examples:
  cavra db prune --dry-run
  cavra db prune --max-age 604800 --max-rows 0
  cavra db prune --database-url postgres://cavra@127.0.0.1/cavra --data-dir /srv/cavra --json
Exit codes: 0 pruned (or nothing to prune), 2 an error.";

/// Options of `cavra db prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Delete decisions older than this many seconds; 0: no age bound.
    #[arg(long = "max-age", env = "CAVRA_RETENTION_MAX_AGE", value_name = "SECS",
          default_value_t = RetentionLimits::default().max_age_secs)]
    pub max_age_secs: u64,
    /// Keep only the newest N decisions; 0: no row bound.
    #[arg(long = "max-rows", env = "CAVRA_RETENTION_MAX_ROWS", value_name = "N",
          default_value_t = RetentionLimits::default().max_rows)]
    pub max_rows: u64,
    /// Count what would be deleted; delete and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// What `cavra db prune` did, as `--json` prints it.
#[derive(Debug, serde::Serialize)]
struct PruneOutput {
    #[serde(flatten)]
    report: PruneReport,
    /// Passes (each one audit entry when it deleted something).
    passes: u32,
    /// SQLite: whether the WAL was truncated (`None`: nothing deleted, or PostgreSQL).
    wal_truncated: Option<bool>,
}

/// Runs `cavra db …`.
pub fn run(args: DbArgs) -> anyhow::Result<ExitCode> {
    let DbCommand::Prune(args) = args.command;
    runtime()?.block_on(async move {
        // A dry run writes nothing, so it needs no key.
        let service = cli_service(&args.database, !args.dry_run).await?;
        let options = PruneOptions {
            max_age_secs: args.max_age_secs,
            max_rows: args.max_rows,
            dry_run: args.dry_run,
        };
        let mut total = PruneReport::default();
        let mut passes = 0;
        // A pass stops after `MAX_PASS_ROWS` decisions so that each is recorded; go on until done.
        loop {
            let report = retention::prune(&service, "cli", options)
                .await
                .map_err(|error| anyhow::anyhow!("pruning: {error}"))?;
            passes += 1;
            total.decisions += report.decisions;
            total.observations += report.observations;
            total.kept_unacknowledged = report.kept_unacknowledged;
            total.batches += report.batches;
            total.dry_run = report.dry_run;
            total.cutoff_at = total.cutoff_at.or(report.cutoff_at);
            total.through_id = total.through_id.or(report.through_id);
            total.complete = report.complete;
            if report.complete {
                break;
            }
        }
        let engine = service.db().engine();
        let wal_truncated =
            if total.deleted_any() && !total.dry_run && engine == crate::db::Engine::Sqlite {
                // The truncation gives up at once when a reader or the periodic checkpoint is
                // busy; a one-shot command can afford a few short retries (about a second).
                let mut truncated = false;
                for _ in 0..20 {
                    truncated = service.db().truncate_wal().await?;
                    if truncated {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Some(truncated)
            } else {
                None
            };
        let output = PruneOutput {
            report: total,
            passes,
            wal_truncated,
        };
        if args.json {
            println!("{}", serde_json::to_string_pretty(&output)?);
        } else {
            println!("{}", describe(&output));
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The report as one or two lines.
fn describe(output: &PruneOutput) -> String {
    let report = &output.report;
    let mut bounds = Vec::new();
    if let Some(at) = report.cutoff_at {
        bounds.push(format!("older than {}", crate::time::rfc3339(at)));
    }
    if let Some(id) = report.through_id {
        bounds.push(format!("ids up to {id}"));
    }
    if bounds.is_empty() {
        return "nothing to prune: --max-age and --max-rows are both 0".to_owned();
    }
    let verb = if report.dry_run {
        "dry run: would prune"
    } else {
        "pruned"
    };
    let mut text = format!(
        "{verb} {} decision(s) and {} shadow observation(s) ({}) in {} batch(es)",
        report.decisions,
        report.observations,
        bounds.join(" or "),
        report.batches
    );
    if report.kept_unacknowledged > 0 {
        text.push_str(&format!(
            "; kept {} decision(s) with an unacknowledged shadow divergence",
            report.kept_unacknowledged
        ));
    }
    if report.dry_run {
        text.push_str("; nothing deleted");
    }
    match output.wal_truncated {
        Some(true) => text.push_str("\nWAL truncated"),
        Some(false) => text.push_str(
            "\nthe WAL is busy and was not truncated (a running server truncates it after its next prune)",
        ),
        None => {}
    }
    text
}
