//! Replay of a generated 1 M-decision log through baseline + candidate (the impact report), on
//! one thread and on two (chunks of whole lines, merged reports).
//!
//! `cargo bench -p lifecycle --bench replay -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lifecycle::decide::{CompiledPolicy, Request};
use lifecycle::replay::{ReplayReport, Replayer};

const BASELINE: &str =
    include_str!("../tests/fixtures/reference/policies/cavra-ai-agent-baseline/policy.yaml");
const LINES: u64 = 1_000_000;

/// The server's export shape; even lines under the baseline digest (trusted), odd lines under
/// an older digest (the baseline is evaluated).
fn log(policy: &CompiledPolicy, digest: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(LINES as usize * 260);
    for i in 0..LINES {
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
        let decision = policy.decide(&Request::new(action, &target));
        let line = serde_json::json!({
            "id": i + 1,
            "pack": "cavra-ai-agent-baseline",
            "policy_digest": if i % 2 == 0 { digest } else { "sha256:older" },
            "input": {"schema_version": "cavra.opa-rego-policy.input.v1", "action_type": action,
                      "target": target, "requested_operation": target},
            "decision": decision.decision.as_str(),
            "rule_id": decision.rule_id.as_str(),
            "severity": decision.severity.as_str(),
            "at": "2026-11-26T00:00:00Z",
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn split_at_newline(bytes: &[u8]) -> (&[u8], &[u8]) {
    let middle = bytes.len() / 2;
    let cut = bytes[middle..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| middle + p + 1);
    bytes.split_at(cut)
}

fn bench_replay(c: &mut Criterion) {
    let base_value = lifecycle::model::parse_value(BASELINE).unwrap_or_default();
    let digest = lifecycle::digest::policy_digest(&base_value);
    let candidate_value =
        lifecycle::model::parse_value(&BASELINE.replace("    - \"pytest*\"\n", ""))
            .unwrap_or_default();
    let baseline = CompiledPolicy::from_value(&base_value);
    let candidate = CompiledPolicy::from_value(&candidate_value);
    let bytes = log(&baseline, &digest);
    let replayer = Replayer::new(&candidate, Some((&baseline, &digest)), 3);
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(LINES));
    group.sample_size(10);
    group.bench_function("1m/one_thread", |b| {
        b.iter(|| black_box(replayer.replay_chunk(black_box(&bytes), 1)))
    });
    let (first, second) = split_at_newline(&bytes);
    let second_line = first.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    group.bench_function("1m/two_threads", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                let other = scope.spawn(|| replayer.replay_chunk(second, second_line));
                let mut report = replayer.replay_chunk(first, 1);
                if let Ok(other) = other.join() {
                    report.merge(other, 3);
                }
                report.finish();
                black_box::<ReplayReport>(report)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_replay);
criterion_main!(benches);
