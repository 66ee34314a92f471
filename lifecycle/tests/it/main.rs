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
mod invariant_props;
mod lint_differential;
mod lint_reference;
mod lint_snapshots;
mod model_props;
mod packet_compat;
mod packet_readiness;
mod plan_golden;
mod plan_invalid;
mod schema_sync;
mod symbolic_props;
mod symbolic_regions;

/// With `autotests = false` cargo compiles only this binary: a test file left in `tests/`, or a
/// module file under `tests/it/` that no `mod` line above names, would silently never run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    use std::collections::BTreeSet;
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(tests.join("it/main.rs")).unwrap();
    let declared: BTreeSet<&str> = main
        .lines()
        .filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(tests.join("it")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|ext| ext == "rs") && name != "main"
            || path.join("mod.rs").is_file()
        {
            modules.insert(name);
        }
    }
    let modules: BTreeSet<&str> = modules.iter().map(String::as_str).collect();
    assert_eq!(
        declared, modules,
        "tests/it/main.rs declares every file of tests/it/"
    );
    for entry in std::fs::read_dir(&tests).unwrap() {
        let path = entry.unwrap().path();
        let stray = path.extension().is_some_and(|ext| ext == "rs")
            || path.join("main.rs").is_file() && !path.ends_with("it");
        assert!(!stray, "{}: make it a module of tests/it/", path.display());
    }
}
