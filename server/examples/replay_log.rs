//! Writes a generated decision log for `cavra policy replay` benchmarks.
//!
//! `cargo run --release -p server --example replay_log -- OUT.jsonl [COUNT]` (default 1 000 000
//! lines, at most 50 000 000). Lines are in the server's export shape; the inputs cycle through
//! read, write, command, git, MCP and unknown actions with varying targets. Even lines carry the
//! baseline pack's digest and its logged decision (trusted by replay), odd lines an older digest
//! (re-evaluated), so both replay paths are measured.

use std::io::{BufWriter, Write as _};

use lifecycle::decide::{CompiledPolicy, Request};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: replay_log OUT.jsonl [COUNT]"))?;
    let count: u64 = args.next().map_or(Ok(1_000_000), |n| n.parse())?;
    anyhow::ensure!(count <= 50_000_000, "at most 50 000 000 lines");
    let source = std::fs::read_to_string("policies/cavra-ai-agent-baseline/policy.yaml")?;
    let value = lifecycle::model::parse_value(&source).map_err(|e| anyhow::anyhow!("{e}"))?;
    let digest = lifecycle::digest::policy_digest(&value);
    let policy = CompiledPolicy::from_value(&value);
    let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    for i in 0..count {
        let n = i.wrapping_mul(2_654_435_761) % 1000;
        let (action, target) = match i % 8 {
            0 => ("read_file", format!("src/module{n}/lib.rs")),
            1 => ("read_file", ".env".to_owned()),
            2 => ("write_file", format!("docs/page{n}.md")),
            3 => ("write_file", format!("policies/p{n}/policy.yaml")),
            4 => ("execute_command", format!("pytest -k test_{n}")),
            5 => ("execute_command", format!("cargo test -p crate{n}")),
            6 => ("git_operation", "refs/heads/main".to_owned()),
            _ => ("mcp_tool_call", format!("github:get_issue_{n}")),
        };
        let request = Request::new(action, &target);
        let decision = policy.decide(&request);
        let line = serde_json::json!({
            "id": i + 1,
            "pack": "cavra-ai-agent-baseline",
            "policy_digest": if i % 2 == 0 { digest.as_str() } else { "sha256:older" },
            "input": {
                "schema_version": lifecycle::decide::request::INPUT_SCHEMA,
                "action_type": action,
                "target": target,
                "requested_operation": target,
            },
            "decision": decision.decision.as_str(),
            "rule_id": decision.rule_id.as_str(),
            "severity": decision.severity.as_str(),
            "at": "2026-11-26T00:00:00Z",
        });
        serde_json::to_writer(&mut file, &line)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    eprintln!("wrote {count} decisions to {out}");
    Ok(())
}
