//! `cavra policy diff`: semantic diff, exact decision regions (with the probe sample as a
//! cross-check) and text diff of two packs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use lifecycle::json::python_pretty;
use lifecycle::symbolic::{CrossCheck, DecisionRegions, RegionAnalysis, RegionOptions};
use serde_json::json;

use super::RootArg;
use crate::cli::format::text::paint;
use crate::cli::output::{color_enabled, display_path, gate, plural, print, Format};
use crate::cli::pack::{load_file, load_pack, LoadedPack};

pub(super) const DIFF_HELP: &str = "\
Prints CAVRA's semantic diff (dotted paths added, removed, changed), the decision regions and a
unified diff of the two files. A region is the exact set of requests of one action type whose
outcome moves one way (e.g. require_approval -> allow), computed from the patterns as automata:
whether it is finite (and its size), shortest and typical example requests, and its cells (the
rule deciding before and after, minus the earlier rules that overlap it). The old probe sample
is re-run as a cross-check (`--no-cross-check` skips it).

Examples:
  cavra policy diff --from cavra-terraform-prod --to cavra-ai-agent-baseline
  cavra policy diff --from-file old/policy.yaml \\
      --to-file policies/cavra-starter/policy.yaml --format json --max-cells 500
  cavra policy diff --from cavra-ai-agent-baseline --to cavra-starter --fail-on-impact

Exit codes: 0 ok (1 with --fail-on-impact when any request changes outcome), 2 usage or input
error (or the regions disagree with the evaluator on a probe: a bug, please report it).";

/// Options of `cavra policy diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old pack.
    #[arg(
        long,
        value_name = "PACK",
        required_unless_present = "from_file",
        conflicts_with = "from_file"
    )]
    pub from: Option<String>,
    /// The new pack.
    #[arg(
        long,
        value_name = "PACK",
        required_unless_present = "to_file",
        conflicts_with = "to_file"
    )]
    pub to: Option<String>,
    /// The old policy as a file (no inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// The new policy as a file (no inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub to_file: Option<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
    /// Exit 1 when any request changes outcome (a region exists, the analysis was cut
    /// short, or a probe flips).
    #[arg(long)]
    pub fail_on_impact: bool,
    /// Cells listed per region (default: 3 in text, 50 in JSON; all are counted).
    #[arg(long, value_name = "N")]
    pub max_cells: Option<usize>,
    /// Skip re-running the probe sample against the regions.
    #[arg(long)]
    pub no_cross_check: bool,
}

fn load_side(
    root: &Path,
    name: Option<&String>,
    file: Option<&PathBuf>,
) -> anyhow::Result<LoadedPack> {
    match (name, file) {
        (Some(name), _) => load_pack(root, name),
        (None, Some(path)) => load_file(path, None),
        (None, None) => {
            bail!("give a pack (`--from`/`--to`) or a file (`--from-file`/`--to-file`)")
        }
    }
}

/// Text cells shown per region unless `--max-cells` says otherwise.
const TEXT_CELLS: usize = 3;

/// `cavra policy diff`.
pub fn diff(args: DiffArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("diff", &[Format::Text, Format::Json])?;
    let root = &args.root.policy_root;
    let from = load_side(root, args.from.as_ref(), args.from_file.as_ref())?;
    let to = load_side(root, args.to.as_ref(), args.to_file.as_ref())?;
    let semantic = lifecycle::diff::semantic_diff(&from.value, &to.value);
    let defaults = RegionOptions::default();
    let options = RegionOptions {
        max_cells: args.max_cells.unwrap_or(match format {
            Format::Json => defaults.max_cells,
            _ => TEXT_CELLS,
        }),
        ..defaults
    };
    let analysis = RegionAnalysis::new(&from.value, &to.value, &options);
    let check = (!args.no_cross_check).then(|| analysis.cross_check(&from.value, &to.value));
    let regions = analysis.report();
    let from_label = display_path(&from.path);
    let to_label = display_path(&to.path);
    let text_diff =
        lifecycle::diff::unified_text_diff(&from.source, &to.source, &from_label, &to_label);
    match format {
        Format::Json => {
            let side = |pack: &LoadedPack| {
                json!({
                    "policy_pack": pack.name,
                    "path": display_path(&pack.path),
                    "policy_digest": lifecycle::digest::policy_digest(&pack.value),
                })
            };
            print(&python_pretty(&json!({
                "schema_version": "cavra-lifecycle.policy-diff.v2",
                "from": side(&from),
                "to": side(&to),
                "semantic_diff": serde_json::to_value(&semantic)?,
                "decision_regions": serde_json::to_value(regions)?,
                "cross_check": serde_json::to_value(&check)?,
                "text_diff": text_diff,
            })))?;
        }
        _ => {
            let color = color_enabled();
            let mut out = format!(
                "{}\n",
                paint(
                    &format!("semantic diff {} -> {}", from.name, to.name),
                    "bold",
                    color
                )
            );
            if semantic.is_empty() {
                out.push_str("  no semantic changes\n");
            }
            for (label, paths, style) in [
                ("added", &semantic.added, "green"),
                ("removed", &semantic.removed, "red"),
                ("changed", &semantic.changed, "yellow"),
            ] {
                for path in paths {
                    out.push_str(&format!("  {} {path}\n", paint(label, style, color)));
                }
            }
            out.push('\n');
            out.push_str(&regions_text(regions, color));
            if let Some(check) = &check {
                out.push_str(&cross_check_text(check));
            }
            out.push_str(&format!("\n{}\n", paint("text diff", "bold", color)));
            if text_diff.is_empty() {
                out.push_str("  files are identical\n");
            } else {
                for line in text_diff.lines() {
                    let style = if line.starts_with("+++") || line.starts_with("---") {
                        "bold"
                    } else if line.starts_with('+') {
                        "green"
                    } else if line.starts_with('-') {
                        "red"
                    } else {
                        ""
                    };
                    if style.is_empty() {
                        out.push_str(line);
                    } else {
                        out.push_str(&paint(line, style, color));
                    }
                    out.push('\n');
                }
            }
            print(&out)?;
        }
    }
    if let Some(first) = check.as_ref().and_then(|c| c.disagreements.first()) {
        bail!(
            "the decision regions disagree with the evaluator on a probe request ({}); this is \
             a bug in the symbolic diff, please report it",
            serde_json::to_string(&first.to_cavra_input())?
        );
    }
    let impact = !regions.regions.is_empty()
        || !regions.complete
        || check.as_ref().is_some_and(|c| c.flips > 0);
    Ok(gate(!(args.fail_on_impact && impact)))
}

/// The regions as text: one block per region, its first cells and examples.
fn regions_text(report: &DecisionRegions, color: bool) -> String {
    let mut out = String::new();
    let title = match report.regions.len() {
        0 => "decision regions (exact): none, no request changes outcome".to_owned(),
        1 => "decision regions (exact): 1 region".to_owned(),
        n => format!("decision regions (exact): {n} regions"),
    };
    out.push_str(&format!("{}\n", paint(&title, "bold", color)));
    if !report.complete {
        let cut: Vec<&str> = report
            .actions
            .iter()
            .filter(|a| !a.complete)
            .map(|a| a.action_type.as_str())
            .collect();
        out.push_str(&format!(
            "  {} the state budget ran out for {}: the regions listed exist, others may be missing\n",
            paint("incomplete:", "yellow", color),
            cut.join(", ")
        ));
    }
    let mut paths = false;
    for region in &report.regions {
        paths |= region.field == "target";
        let extent = match (region.finite, region.size) {
            (Some(true), Some(size)) => {
                format!(
                    "finite, {}",
                    plural(usize::try_from(size).unwrap_or(usize::MAX), "input")
                )
            }
            (Some(false), _) => "infinite".to_owned(),
            _ => "extent unknown".to_owned(),
        };
        out.push_str(&format!(
            "  {} {}: {} -> {} ({extent}, {})\n",
            region.action_type,
            region.field,
            paint(region.before.as_str(), style(region.before), color),
            paint(region.after.as_str(), style(region.after), color),
            plural(region.cell_count, "cell"),
        ));
        for cell in &region.cells {
            out.push_str(&format!(
                "    · {}; e.g. {:?}\n",
                cell.description, cell.example
            ));
        }
        if region.cell_count > region.cells.len() {
            let more = region.cell_count - region.cells.len();
            out.push_str(&format!(
                "    … and {more} more {} (`--max-cells N` lists more)\n",
                if more == 1 { "cell" } else { "cells" }
            ));
        }
        if !region.typical.is_empty() {
            let typical: Vec<String> = region.typical.iter().map(|t| format!("{t:?}")).collect();
            out.push_str(&format!("    typical: {}\n", typical.join(", ")));
        }
    }
    if paths {
        out.push_str(
            "  (file regions range over paths in normal form; another spelling such as `./x`, \
             `a/../x` or `x//y` decides as the stricter of its raw match and its normal form)\n",
        );
    }
    out
}

fn cross_check_text(check: &CrossCheck) -> String {
    let mut out = format!(
        "  probe cross-check: {} of {} probe requests change outcome; {} inside the regions",
        check.flips, check.probes, check.in_regions
    );
    if check.other_spellings > 0 {
        out.push_str(&format!(
            ", {} other spellings of a path (decided exactly by the same automata)",
            check.other_spellings
        ));
    }
    if check.unknown > 0 {
        out.push_str(&format!(", {} in unexplored space", check.unknown));
    }
    if check.disagreements.is_empty() {
        out.push_str("; no disagreement\n");
    } else {
        out.push_str(&format!("; {} DISAGREE\n", check.disagreements.len()));
    }
    out
}

fn style(outcome: lifecycle::decide::Outcome) -> &'static str {
    match outcome {
        lifecycle::decide::Outcome::Allow => "green",
        lifecycle::decide::Outcome::Block => "red",
        lifecycle::decide::Outcome::RequireApproval => "yellow",
    }
}
