//! `cavra policy replay`: what a candidate would have done to recorded traffic.
//!
//! Streams the decision log (the JSONL `GET /api/packs/{pack}/decisions.jsonl` exports) in
//! chunks of whole lines through a bounded queue to one worker per core; each worker replays its
//! chunks with `lifecycle::replay` and the partial reports merge at the end. Memory stays
//! constant: at most `2 × workers` chunks are in flight.

use std::fs::File;
use std::io::{IsTerminal as _, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::Mutex;

use anyhow::{bail, Context as _};
use clap::Args;
use lifecycle::decide::CompiledPolicy;
use lifecycle::replay::{ReplayReport, Replayer, DEFAULT_EXAMPLES_PER_FLIP};

use super::RootArg;
use crate::cli::admin::DatabaseArgs;
use crate::cli::output::{self, Format};
use crate::cli::pack::{load_file, load_pack, LoadedPack};

pub(crate) const REPLAY_HELP: &str = "\
The log is JSONL, one decision per line, as the server exports it:
  {\"id\":1,\"pack\":\"…\",\"policy_digest\":\"sha256:…\",\"input\":{…},\"decision\":\"allow\",
   \"rule_id\":\"…\",\"severity\":\"low\",\"at\":\"…\"}
Only `input` is required. A logged decision is trusted as the baseline's when its policy_digest
equals the baseline's digest; otherwise the baseline is evaluated. Without --baseline the logged
decision is the baseline.

Examples:
  curl -s -H 'authorization: Bearer …' \\
      http://127.0.0.1:3000/api/packs/cavra-ai-agent-baseline/decisions.jsonl > decisions.jsonl
  cavra policy replay --log decisions.jsonl --candidate my-candidate \\
      --baseline cavra-ai-agent-baseline --format json

Exit codes: 0 no decision changed, 1 some decision changed (with --fail-on-flip), 2 error.";

/// Options of `cavra policy replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The decision log (JSONL); `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// The candidate: a pack name under the policy root, a policy file path, or the digest
    /// (`sha256:…`) of a version stored in the server's database (see --database-url).
    #[arg(long, value_name = "PACK|FILE|DIGEST")]
    pub candidate: String,
    /// The baseline: a pack name under the policy root, a policy file path, or a stored
    /// version's digest.
    #[arg(long, value_name = "PACK|FILE|DIGEST")]
    pub baseline: Option<String>,
    /// Example inputs kept per flip (by kind and rule).
    #[arg(long, default_value_t = DEFAULT_EXAMPLES_PER_FLIP, value_name = "N")]
    pub examples: usize,
    /// Worker threads (default: the available cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Exit 1 when any decision changed outcome.
    #[arg(long)]
    pub fail_on_flip: bool,
    #[command(flatten)]
    pub root: RootArg,
    /// Where stored versions are read from, for a `sha256:…` candidate or baseline.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Bytes per chunk handed to a worker.
const CHUNK: usize = 1 << 20;

fn load_side(root: &Path, database: &DatabaseArgs, spec: &str) -> anyhow::Result<LoadedPack> {
    if spec.starts_with("sha256:") {
        return load_version(database, spec);
    }
    let path = Path::new(spec);
    if spec.contains('/') || spec.ends_with(".yaml") || spec.ends_with(".yml") {
        if path.is_file() {
            return load_file(path, Some(spec));
        }
        bail!("no policy file `{spec}`");
    }
    load_pack(root, spec)
}

/// Loads a stored version by digest from the server's database. Versions are content-addressed,
/// so any pack's row with that digest holds the same policy; the digest is checked on load.
fn load_version(database: &DatabaseArgs, digest: &str) -> anyhow::Result<LoadedPack> {
    let url = database.url()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let row: Option<(String, String)> = runtime.block_on(async {
        let db = crate::db::Database::connect(&url).await?;
        let row = sqlx::query_as(
            "SELECT pack_id, policy_json FROM versions WHERE digest = $1 ORDER BY pack_id LIMIT 1",
        )
        .bind(digest)
        .fetch_optional(db.pool())
        .await?;
        anyhow::Ok(row)
    })?;
    let Some((pack, json)) = row else {
        bail!("no stored version `{digest}` in the database (set --database-url or DATABASE_URL)");
    };
    let json: serde_json::Value = serde_json::from_str(&json)
        .with_context(|| format!("the stored version `{digest}` is not valid JSON"))?;
    let value = lifecycle::value::Value::from_json(&json);
    let actual = lifecycle::digest::policy_digest(&value);
    if actual != digest {
        bail!("the stored version `{digest}` hashes to `{actual}`; the database is damaged");
    }
    Ok(LoadedPack {
        name: format!("{pack}@{}", &digest[..digest.len().min(19)]),
        path: PathBuf::new(),
        source: String::new(),
        value,
        root: None,
    })
}

/// Replays a log through the replayer on `threads` workers.
fn replay_stream(
    mut input: impl Read,
    replayer: &Replayer<'_>,
    threads: usize,
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<ReplayReport> {
    let examples = replayer.examples_per_flip();
    let (sender, receiver) = mpsc::sync_channel::<(Vec<u8>, u64)>(threads * 2);
    let receiver = Mutex::new(receiver);
    let merged = Mutex::new(ReplayReport::default());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut mine = ReplayReport::default();
                loop {
                    let next = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => break,
                    };
                    let Ok((chunk, first_line)) = next else { break };
                    mine.merge(replayer.replay_chunk(&chunk, first_line), examples);
                }
                if let Ok(mut merged) = merged.lock() {
                    merged.merge(mine, examples);
                }
            });
        }
        // The reader: whole lines only; the tail after the last newline carries over.
        let mut carry: Vec<u8> = Vec::new();
        let mut line = 1u64;
        let result = (|| -> anyhow::Result<()> {
            loop {
                let mut buffer = std::mem::take(&mut carry);
                let start = buffer.len();
                buffer.resize(start + CHUNK, 0);
                let read = loop {
                    match input.read(&mut buffer[start..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e).context("reading the decision log"),
                    }
                };
                buffer.truncate(start + read);
                if let Some(bar) = progress {
                    bar.inc(read as u64);
                }
                if read == 0 {
                    if !buffer.is_empty() {
                        let _ = sender.send((buffer, line));
                    }
                    return Ok(());
                }
                let Some(last) = buffer.iter().rposition(|&b| b == b'\n') else {
                    carry = buffer;
                    continue;
                };
                carry = buffer[last + 1..].to_vec();
                buffer.truncate(last + 1);
                let lines = buffer.iter().filter(|&&b| b == b'\n').count() as u64;
                let first = line;
                line += lines;
                if sender.send((buffer, first)).is_err() {
                    bail!("replay workers stopped");
                }
            }
        })();
        drop(sender);
        result
    })?;
    let mut report = merged
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a replay worker panicked"))?;
    report.finish();
    Ok(report)
}

fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

fn signed_points(delta: f64) -> String {
    format!("{:+.2} pp", delta * 100.0)
}

fn text_report(report: &ReplayReport, candidate: &str, baseline: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "replay: {candidate} against {baseline}");
    let _ = writeln!(
        out,
        "  {} decisions ({} logged decisions trusted), {} invalid lines",
        report.decisions, report.trusted_baseline, report.invalid_lines
    );
    let (b, c, d) = (
        report.baseline.rates(),
        report.candidate.rates(),
        report.rate_change(),
    );
    let _ = writeln!(out, "  outcome            baseline   candidate  change");
    for (name, b, c, d) in [
        ("allow", b.allow, c.allow, d.allow),
        ("block", b.block, c.block, d.block),
        (
            "require_approval",
            b.require_approval,
            c.require_approval,
            d.require_approval,
        ),
    ] {
        let _ = writeln!(
            out,
            "  {name:<18} {:>9}  {:>9}  {}",
            percent(b),
            percent(c),
            signed_points(d)
        );
    }
    let _ = writeln!(
        out,
        "  {} flips, {} rule-only changes",
        report.flips, report.rule_changes
    );
    for group in &report.groups {
        let _ = writeln!(
            out,
            "  {:>8}  {}  {} -> {}",
            group.count, group.kind, group.from_rule, group.to_rule
        );
        for example in &group.examples {
            let _ = writeln!(out, "            line {}: {}", example.line, example.input);
        }
    }
    if !report.invalid_examples.is_empty() {
        let lines: Vec<String> = report.invalid_examples.iter().map(u64::to_string).collect();
        let _ = writeln!(out, "  invalid lines: {}", lines.join(", "));
    }
    out
}

/// `cavra policy replay`.
pub fn replay(args: ReplayArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("replay", &[Format::Text, Format::Json])?;
    let root = &args.root.policy_root;
    let candidate = load_side(root, &args.database, &args.candidate)?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|spec| load_side(root, &args.database, spec))
        .transpose()?;
    let candidate_digest = lifecycle::digest::policy_digest(&candidate.value);
    let compiled_candidate = CompiledPolicy::from_value(&candidate.value);
    let baseline_compiled = baseline.as_ref().map(|b| {
        (
            CompiledPolicy::from_value(&b.value),
            lifecycle::digest::policy_digest(&b.value),
        )
    });
    let replayer = Replayer::new(
        &compiled_candidate,
        baseline_compiled.as_ref().map(|(c, d)| (c, d.as_str())),
        args.examples,
    );
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 64);
    let stdin = args.log.as_os_str() == "-";
    let (reader, size): (Box<dyn Read>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = File::open(&args.log)
            .with_context(|| format!("opening the decision log `{}`", args.log.display()))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let progress = match size {
        Some(size) if std::io::stderr().is_terminal() => {
            let bar = indicatif::ProgressBar::new(size);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            Some(bar)
        }
        _ => None,
    };
    let report = replay_stream(reader, &replayer, threads, progress.as_ref())?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let baseline_label = baseline
        .as_ref()
        .map_or_else(|| "the logged decisions".to_owned(), |b| b.name.clone());
    match format {
        Format::Json => {
            let json = serde_json::json!({
                "candidate": {"name": candidate.name, "policy_digest": candidate_digest},
                "baseline": baseline_compiled.as_ref().map(|(_, digest)| serde_json::json!({
                    "name": baseline_label, "policy_digest": digest,
                })),
                "rates": {
                    "baseline": report.baseline.rates(),
                    "candidate": report.candidate.rates(),
                    "change": report.rate_change(),
                },
                "report": report,
            });
            output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
        }
        _ => output::print(&text_report(&report, &candidate.name, &baseline_label))?,
    }
    Ok(if args.fail_on_flip && report.flips > 0 {
        output::gate(false)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_splits_lines_across_chunks_and_threads() {
        let policy = CompiledPolicy::from_value(&lifecycle::value::Value::Map(Vec::new()));
        let replayer = Replayer::new(&policy, Some((&policy, "d")), 2);
        let mut log = String::new();
        for i in 0..5000 {
            log.push_str(&format!(
                "{{\"input\":{{\"action_type\":\"read_file\",\"target\":\"src/f{i}.rs\"}},\"policy_digest\":\"x\"}}\n"
            ));
        }
        log.push_str("{\"input\":{\"action_type\":\"read_file\"}}"); // no final newline
        let report = replay_stream(log.as_bytes(), &replayer, 3, None).unwrap_or_default();
        assert_eq!(report.decisions, 5001);
        assert_eq!(report.invalid_lines, 0);
        assert_eq!(report.flips, 0);
    }
}
