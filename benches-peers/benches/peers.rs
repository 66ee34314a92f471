//! Decisions per second on the baseline pack, one core, same corpus: our evaluator vs regorus
//! (Rego) vs cedar-policy (Cedar). Inputs are prepared in each engine's native form outside the
//! timed loop; each iteration decides one request and extracts `(decision, rule_id)`.
//!
//! A second group decides issue 17's realistic corpus (100 000 requests: 40 % reads, 25 %
//! writes, 20 % commands, 10 % git, 5 % MCP; paths of 20–120 bytes): our evaluator and a naive
//! loop of one anchored `regex::Regex` per pattern over the whole corpus per iteration, the
//! peers one request per iteration (a pass over 100 000 would take them seconds).
//!
//! `cargo bench -p benches-peers -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use benches_peers::realistic::{realistic_corpus, NaiveRegex};
use benches_peers::{
    baseline, cedar_request, corpus, ours, rego_decide, rego_engine, rego_input, CedarEngine,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lifecycle::decide::{CompiledPolicy, Request, RequestBuf};

const CORPUS: usize = 4096;

fn bench_peers(c: &mut Criterion) {
    let pack = baseline();
    let requests = corpus(CORPUS);
    let mut group = c.benchmark_group("decide_baseline");
    group.throughput(Throughput::Elements(1));

    let compiled = CompiledPolicy::from_value(&pack);
    let borrowed: Vec<Request<'_>> = requests.iter().map(RequestBuf::as_request).collect();
    let mut i = 0usize;
    group.bench_function("cavra", |b| {
        b.iter(|| {
            i = (i + 1) % CORPUS;
            black_box(ours(&compiled, black_box(&borrowed[i])))
        })
    });

    if let Ok(mut engine) = rego_engine(&pack) {
        let inputs: Vec<regorus::Value> = requests.iter().map(rego_input).collect();
        let mut i = 0usize;
        group.bench_function("regorus", |b| {
            b.iter(|| {
                i = (i + 1) % CORPUS;
                black_box(rego_decide(&mut engine, black_box(&inputs[i])).ok())
            })
        });
    }

    if let Ok(engine) = CedarEngine::new(&pack) {
        let inputs: Vec<cedar_policy::Request> = requests
            .iter()
            .filter_map(|r| cedar_request(r).ok())
            .collect();
        let n = inputs.len().max(1);
        let mut i = 0usize;
        group.bench_function("cedar-policy", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                black_box(engine.decide(black_box(&inputs[i])))
            })
        });
    }
    group.finish();
}

/// Requests in the realistic corpus.
const REALISTIC: usize = 100_000;

fn bench_realistic(c: &mut Criterion) {
    let pack = baseline();
    let requests = realistic_corpus(REALISTIC);
    let borrowed: Vec<Request<'_>> = requests.iter().map(RequestBuf::as_request).collect();
    let compiled = CompiledPolicy::from_value(&pack);
    let naive = NaiveRegex::new(&pack);
    let mut group = c.benchmark_group("realistic_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(REALISTIC as u64));
    group.bench_function("cavra", |b| {
        b.iter(|| {
            for request in &borrowed {
                black_box(compiled.decide(black_box(request)));
            }
        })
    });
    group.bench_function("naive_regex_loop", |b| {
        b.iter(|| {
            for request in &borrowed {
                black_box(naive.decide(black_box(request)));
            }
        })
    });
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    if let Ok(mut engine) = rego_engine(&pack) {
        let inputs: Vec<regorus::Value> = requests.iter().map(rego_input).collect();
        let mut i = 0usize;
        group.bench_function("regorus", |b| {
            b.iter(|| {
                i = (i + 1) % REALISTIC;
                black_box(rego_decide(&mut engine, black_box(&inputs[i])).ok())
            })
        });
    }
    if let Ok(engine) = CedarEngine::new(&pack) {
        let inputs: Vec<cedar_policy::Request> = requests
            .iter()
            .filter_map(|r| cedar_request(r).ok())
            .collect();
        let n = inputs.len().max(1);
        let mut i = 0usize;
        group.bench_function("cedar-policy", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                black_box(engine.decide(black_box(&inputs[i])))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_peers, bench_realistic);
criterion_main!(benches);
