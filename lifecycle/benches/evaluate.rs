//! Evaluator throughput: single decisions and a batch of one million mixed requests, on the
//! baseline pack and on a generated 10 000-rule pack; plus digest and semantic diff of both.
//!
//! Run with `cargo bench -p lifecycle --bench evaluate -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lifecycle::decide::{CompiledPolicy, Request, RequestBuf};
use lifecycle::diff::semantic_diff;
use lifecycle::digest::policy_digest;
use lifecycle::value::Value;

const BASELINE: &str =
    include_str!("../tests/fixtures/reference/policies/cavra-ai-agent-baseline/policy.yaml");

fn baseline() -> Value {
    lifecycle::model::parse_value(BASELINE).unwrap_or_default()
}

fn strings(items: impl Iterator<Item = String>) -> Value {
    Value::List(items.map(Value::Str).collect())
}

fn key(text: &str) -> Value {
    Value::Str(text.to_owned())
}

/// A pack with 10 000 patterns spread over the five evaluated lists.
fn generated_pack() -> Value {
    let filesystem = Value::Map(vec![
        (
            key("block_read"),
            strings((0..2500).map(|i| format!("svc{i}/**/secret{i}.*"))),
        ),
        (
            key("block_write"),
            strings((0..2500).map(|i| format!("infra{i}/**/main.tf"))),
        ),
        (
            key("require_approval_write"),
            strings((0..1000).map(|i| format!("policies{i}/**"))),
        ),
    ]);
    let commands = Value::Map(vec![
        (
            key("block"),
            strings((0..2000).map(|i| format!("tool{i} deploy*"))),
        ),
        (
            key("allow"),
            strings((0..2000).map(|i| format!("tool{i} status*"))),
        ),
    ]);
    Value::Map(vec![
        (
            key("metadata"),
            Value::Map(vec![
                (key("id"), key("cavra-generated")),
                (key("title"), key("Generated")),
                (key("description"), key("10k rules")),
                (key("version"), key("0.1.0")),
            ]),
        ),
        (key("filesystem"), filesystem),
        (key("commands"), commands),
    ])
}

/// Deterministic mixed requests (a 64-bit LCG picks the shape).
fn requests(count: usize) -> Vec<RequestBuf> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let n = next();
            let i = n % 3000;
            let (action, target, operation): (&str, String, String) = match n % 10 {
                0 => ("read_file", ".env".into(), "read".into()),
                1 => (
                    "read_file",
                    format!("svc{i}/app/secret{i}.txt"),
                    "read".into(),
                ),
                2 => ("read_file", format!("src/module{i}/lib.rs"), "read".into()),
                3 => (
                    "write_file",
                    format!("policies/p{i}/policy.yaml"),
                    "write".into(),
                ),
                4 => (
                    "write_file",
                    format!("infra{i}/env/main.tf"),
                    "write".into(),
                ),
                5 => (
                    "execute_command",
                    String::new(),
                    format!("terraform plan -out={i}"),
                ),
                6 => (
                    "execute_command",
                    String::new(),
                    format!("tool{i} status --all"),
                ),
                7 => ("git_operation", "origin/main".into(), "push".into()),
                8 => (
                    "mcp_tool_call",
                    format!("server{i}:read_file"),
                    "filesystem".into(),
                ),
                _ => ("other_action", format!("x{i}"), String::new()),
            };
            let mut request = Request::new(action, &target).to_owned_request();
            if !operation.is_empty() {
                request.requested_operation = operation;
            }
            request
        })
        .collect()
}

fn bench_evaluate(c: &mut Criterion) {
    let packs = [
        ("baseline", baseline()),
        ("generated_10k", generated_pack()),
    ];
    let owned = requests(1_000_000);
    let borrowed: Vec<Request<'_>> = owned.iter().map(RequestBuf::as_request).collect();
    for (name, pack) in &packs {
        let compiled = CompiledPolicy::from_value(pack);
        let mut group = c.benchmark_group(format!("decide/{name}"));
        group.throughput(Throughput::Elements(1));
        let mut index = 0usize;
        group.bench_function("single", |b| {
            b.iter(|| {
                index = (index + 1) % 4096;
                black_box(compiled.decide(black_box(&borrowed[index])))
            })
        });
        group.throughput(Throughput::Elements(borrowed.len() as u64));
        group.sample_size(10);
        group.bench_function("batch_1m", |b| {
            b.iter(|| black_box(compiled.decide_batch(black_box(&borrowed))))
        });
        group.finish();
    }
    let mut group = c.benchmark_group("pack");
    for (name, pack) in &packs {
        group.bench_function(format!("compile/{name}"), |b| {
            b.iter(|| black_box(CompiledPolicy::from_value(black_box(pack))))
        });
        group.bench_function(format!("digest/{name}"), |b| {
            b.iter(|| black_box(policy_digest(black_box(pack))))
        });
    }
    group.bench_function("semantic_diff/baseline_vs_generated_10k", |b| {
        b.iter(|| {
            black_box(semantic_diff(
                black_box(&packs[0].1),
                black_box(&packs[1].1),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_evaluate);
criterion_main!(benches);
