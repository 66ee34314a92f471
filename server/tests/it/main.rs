//! The integration tests of `server`, one module per area, linked into one test binary
//! (`[[test]] name = "it"` in Cargo.toml): one link of the server and its dev-dependencies
//! instead of one per file. `common` starts servers and speaks HTTP, `cli_common` runs the built
//! `cavra` binary. Fixtures are under `tests/fixtures/`, insta snapshots under
//! `tests/it/snapshots/` (named `it__<module>__<name>`).
//!
//! The tests share one process, so none of them may change process-wide state: environment
//! variables and the working directory are set on child `Command`s only, servers bind
//! `127.0.0.1:0`, databases are fresh SQLite files and fresh PostgreSQL schemas.

mod cli_common;
mod common;

mod access_control;
mod api_openapi;
mod cli_errors;
mod cli_examples;
mod cli_formats;
mod cli_help;
mod cli_lifecycle;
mod cli_packs;
mod cli_readiness_compat;
mod cli_replay;
mod cli_symlinks;
mod cli_workflow;
mod concurrency;
mod connections;
mod crash_safety;
mod db;
mod decision_export;
mod governance_attacks;
mod governance_audit;
mod hostile_input;
mod invariants_gate;
mod journey;
mod replay_and_pointers;
mod retention;
mod runtime_tokens;
mod signin;
mod web;
mod web_hardening;

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
