//! The integration tests of `lifecycle`, one module per area, linked into one test binary
//! (`[[test]] name = "it"` in Cargo.toml): one link instead of one per file. Fixtures are under
//! `tests/fixtures/`, insta snapshots under `tests/it/snapshots/` (named `it__<module>__<name>`),
//! proptest's saved failure seeds under `tests/proptest-regressions/<module>.txt` (proptest puts
//! them beside the directory holding `main.rs`).

mod common;

mod decide_cases;
mod decide_props;
mod diff_impact;
mod digest_reference;
mod dry_run_golden;
mod lint_differential;
mod lint_reference;
mod lint_snapshots;
mod model_props;
mod packet_readiness;
mod plan_golden;
mod plan_invalid;
mod schema_sync;
