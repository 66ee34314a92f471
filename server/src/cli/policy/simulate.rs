//! `cavra policy simulate`: decide one request against a pack.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use lifecycle::decide::{CompiledPolicy, RequestBuf};
use lifecycle::json::python_pretty;
use serde_json::json;

use super::RootArg;
use crate::cli::format::text::paint;
use crate::cli::output::{color_enabled, gate, note, print, read_text, Format};
use crate::cli::pack::{load_file, load_pack};

pub(super) const SIMULATE_HELP: &str = "\
Examples:
  cavra policy simulate --policy-pack cavra-ai-agent-baseline --action read_file --target .env
  cavra policy simulate --action execute_command --target 'terraform apply' --expect block
  cavra policy simulate --format json \\
      --request-json '{\"action_type\": \"mcp_tool_call\", \"server\": \"unknown\"}'

Exit codes: 0 decided (and matched --expect), 1 --expect mismatch, 2 usage or input error.";

/// Options of `cavra policy simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The pack to decide with.
    #[arg(long, value_name = "PACK", conflicts_with = "policy_file")]
    pub policy_pack: Option<String>,
    /// A policy file instead (no inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
    /// `read_file`, `write_file`, `execute_command`, `git_operation` or `mcp_tool_call`.
    #[arg(long, value_name = "ACTION", required_unless_present = "request_json")]
    pub action: Option<String>,
    /// The path, command, branch or MCP target.
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// The requested operation (default: the target).
    #[arg(long, value_name = "OP")]
    pub operation: Option<String>,
    /// The MCP server (default: the target's prefix before `:`).
    #[arg(long)]
    pub server: Option<String>,
    /// The MCP tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// The MCP capability.
    #[arg(long)]
    pub capability: Option<String>,
    /// The whole request as CAVRA's input JSON (or `@file.json`).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["action", "target", "operation", "server", "tool", "capability"])]
    pub request_json: Option<String>,
    /// Exit 1 unless the decision is this (`allow`, `block`, `require_approval`).
    #[arg(long, value_name = "DECISION", value_parser = ["allow", "block", "require_approval"])]
    pub expect: Option<String>,
}

fn simulate_request(args: &SimulateArgs) -> anyhow::Result<serde_json::Value> {
    if let Some(text) = &args.request_json {
        let (what, body) = match text.strip_prefix('@') {
            Some(path) => (
                format!("request file `{path}`"),
                read_text("request file", Path::new(path))?,
            ),
            None => ("--request-json".to_owned(), text.clone()),
        };
        let request: serde_json::Value =
            serde_json::from_str(&body).with_context(|| format!("{what} is not valid JSON"))?;
        if !request.is_object() {
            bail!("{what} must be a JSON object such as {{\"action_type\": \"read_file\", \"target\": \".env\"}}");
        }
        return Ok(request);
    }
    let mut map = serde_json::Map::new();
    let fields = [
        ("action_type", &args.action),
        ("target", &args.target),
        ("requested_operation", &args.operation),
        ("server", &args.server),
        ("tool", &args.tool),
        ("capability", &args.capability),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            map.insert(key.to_owned(), json!(value));
        }
    }
    Ok(serde_json::Value::Object(map))
}

/// `cavra policy simulate`.
pub fn simulate(args: SimulateArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("simulate", &[Format::Text, Format::Json])?;
    let pack = match &args.policy_file {
        Some(path) => load_file(path, None)?,
        None => load_pack(
            &args.root.policy_root,
            args.policy_pack
                .as_deref()
                .unwrap_or(lifecycle::plan::DEFAULT_POLICY_PACK),
        )?,
    };
    let request = RequestBuf::from_json(&simulate_request(&args)?);
    let decision = CompiledPolicy::from_value(&pack.value).decide(&request.as_request());
    let outcome = decision.decision.as_str();
    match format {
        Format::Json => print(&python_pretty(&json!({
            "schema_version": "cavra-lifecycle.simulation.v1",
            "policy_pack": pack.name,
            "policy_digest": lifecycle::digest::policy_digest(&pack.value),
            "input": request.to_cavra_input(),
            "decision": decision.to_cavra_json(),
            "matched_pattern": decision.matched_pattern.as_deref(),
        })))?,
        _ => {
            let color = color_enabled();
            let style = match outcome {
                "allow" => "green",
                "block" => "red",
                _ => "yellow",
            };
            let mut out = format!(
                "{} {} ({})\n",
                paint(outcome, style, color),
                decision.rule_id.as_str(),
                decision.severity.as_str()
            );
            out.push_str(&format!("reason: {}\n", decision.reason));
            if let Some(group) = decision.approver_group {
                out.push_str(&format!("approver group: {}\n", group.as_str()));
            }
            if let Some(pattern) = &decision.matched_pattern {
                out.push_str(&format!("matched pattern: `{pattern}`\n"));
            }
            out.push_str(&format!(
                "policy: {} {}\n",
                pack.name,
                lifecycle::digest::short_digest(&pack.value)
            ));
            print(&out)?;
        }
    }
    match &args.expect {
        Some(want) if want != outcome => {
            note(&format!("expected {want}, got {outcome}"));
            Ok(gate(false))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
