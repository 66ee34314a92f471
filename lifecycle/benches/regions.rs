//! The symbolic decision-impact diff (exact regions) against the probe sample it replaces, for
//! a one-rule edit of the baseline pack and for the baseline against a generated 10 000-rule
//! pack, measured in the same run.
//!
//! `regions_cpu` is the same measurement by the thread's CPU clock: on the shared project
//! machine wall time also counts other processes' turns on the core.
//!
//! Run with `cargo bench -p lifecycle --bench regions -- --warm-up-time 1 --measurement-time 5`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use lifecycle::diff::decision_impact;
use lifecycle::model::parse_value;
use lifecycle::symbolic::{decision_regions, RegionOptions};

#[path = "support/packs.rs"]
mod packs;

#[path = "support/cpu.rs"]
mod cpu;

use packs::{generated_yaml, BASELINE};

fn bench(c: &mut Criterion) {
    let baseline = parse_value(BASELINE).unwrap_or_default();
    let edited = parse_value(&BASELINE.replace("\"terraform plan*\"", "\"terraform *\""))
        .unwrap_or_default();
    let generated = parse_value(&generated_yaml()).unwrap_or_default();
    let options = RegionOptions::default();
    for (name, after) in [("baseline_edit", &edited), ("generated_10k", &generated)] {
        let mut group = c.benchmark_group(format!("diff/{name}"));
        group.sample_size(10);
        group.bench_function("regions", |b| {
            b.iter(|| decision_regions(black_box(&baseline), black_box(after), &options))
        });
        // The same, timed by the thread's CPU clock (other tenants' time excluded).
        group.bench_function("regions_cpu", |b| {
            b.iter_custom(|iterations| {
                cpu::cpu_time(iterations, || {
                    decision_regions(black_box(&baseline), black_box(after), &options)
                })
            })
        });
        group.bench_function("probe_sample", |b| {
            b.iter(|| decision_impact(black_box(&baseline), black_box(after)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
