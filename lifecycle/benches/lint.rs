//! Authoring-path costs: live lint (`lint_source`, what the editor runs per keystroke), CAVRA's
//! lint report, digest, and the decision-impact diff, for the baseline pack and a generated
//! 10 000-rule pack given as YAML text.
//!
//! Run with `cargo bench -p lifecycle --bench lint -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use lifecycle::diff::decision_impact;
use lifecycle::digest::policy_digest;
use lifecycle::lint::{lint_report, lint_source};

#[path = "support/packs.rs"]
mod packs;

use packs::{generated_yaml, BASELINE};

fn bench(c: &mut Criterion) {
    let generated = generated_yaml();
    for (name, text) in [
        ("baseline", BASELINE),
        ("generated_10k", generated.as_str()),
    ] {
        let value = lifecycle::model::parse_value(text).unwrap_or_default();
        let mut group = c.benchmark_group(name);
        if name != "baseline" {
            group.sample_size(10);
        }
        group.bench_function("lint_source", |b| b.iter(|| lint_source(black_box(text))));
        group.bench_function("lint_report", |b| b.iter(|| lint_report(black_box(&value))));
        group.bench_function("digest", |b| b.iter(|| policy_digest(black_box(&value))));
        group.bench_function("impact_diff_vs_baseline", |b| {
            let baseline = lifecycle::model::parse_value(BASELINE).unwrap_or_default();
            b.iter(|| decision_impact(black_box(&baseline), black_box(&value)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
