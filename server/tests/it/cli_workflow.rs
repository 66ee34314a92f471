//! `.github/workflows/policy-lifecycle.yml` runs the same commands `.ci/run` runs: this test reads
//! the `run:` steps of the main job and executes every `cavra …` line against the built binary
//! (in a scratch directory that sees the clone's `policies/` and `examples/`), and each must exit 0
//! as it must on GitHub. Setup lines (`cargo build`, `echo … >> $GITHUB_PATH`) are skipped.

use std::path::Path;

use crate::cli_common::{cavra_in, repo, run_command};
use lifecycle::value::Value;

const WORKFLOW: &str = ".github/workflows/policy-lifecycle.yml";
const MAIN_JOB: &str = "policy-lifecycle-contract";

/// Splits a shell line into words: single and double quotes, no expansions.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// The shell lines of the main job's `run:` steps, with `\` continuations joined.
fn run_lines() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(WORKFLOW)).unwrap();
    let workflow = lifecycle::model::parse_value(&text).expect("the workflow parses");
    let steps = workflow
        .get("jobs")
        .and_then(|jobs| jobs.get(MAIN_JOB))
        .and_then(|job| job.get("steps"))
        .and_then(Value::as_list)
        .expect("the main job has steps");
    let mut lines = Vec::new();
    for step in steps {
        let Some(script) = step.get("run").and_then(Value::as_str) else {
            continue;
        };
        let mut pending = String::new();
        for line in script.lines() {
            let line = line.trim();
            if let Some(head) = line.strip_suffix('\\') {
                pending.push_str(head);
                pending.push(' ');
                continue;
            }
            pending.push_str(line);
            let full = std::mem::take(&mut pending);
            if !full.trim().is_empty() {
                lines.push(full);
            }
        }
    }
    lines
}

fn execute(cwd: &Path, line: &str) -> bool {
    let mut words = words(line);
    match words.first().map(String::as_str) {
        Some("cavra") => {}
        Some("mkdir") => {
            for dir in words.iter().skip(1).filter(|w| !w.starts_with('-')) {
                std::fs::create_dir_all(cwd.join(dir)).unwrap();
            }
            return true;
        }
        _ => return false,
    }
    let mut redirect = None;
    if let Some(index) = words.iter().position(|w| w == ">") {
        redirect = words.get(index + 1).cloned();
        words.truncate(index);
    }
    let out = run_command(cavra_in(cwd).args(&words[1..]));
    assert_eq!(
        out.code,
        0,
        "workflow line failed: {line}\n{}",
        out.transcript()
    );
    if let Some(path) = redirect {
        std::fs::write(cwd.join(path), &out.stdout).unwrap();
    }
    true
}

#[test]
fn the_workflow_commands_pass_locally() {
    let dir = tempfile::tempdir().unwrap();
    for linked in ["policies", "examples"] {
        std::os::unix::fs::symlink(repo().join(linked), dir.path().join(linked)).unwrap();
    }
    let lines = run_lines();
    let mut executed = Vec::new();
    for line in &lines {
        if execute(dir.path(), line) && line.starts_with("cavra") {
            executed.push(line.clone());
        }
    }
    assert!(executed.len() >= 12, "{executed:#?}");
    for command in [
        "cavra policy lint --format sarif",
        "cavra policy lifecycle-plan",
        "cavra policy validate-lifecycle --policy-pack",
        "cavra policy lifecycle-readiness",
    ] {
        assert!(
            executed.iter().any(|line| line.starts_with(command)),
            "the workflow runs `{command}`"
        );
    }
    // The evidence the workflow uploads exists.
    for file in [
        "dist/policy-lint.sarif",
        "dist/policy-dry-run.junit.xml",
        "dist/enterprise-policy-lifecycle-packet.json",
        "dist/policy-lifecycle-export.json",
        "dist/policy-lifecycle-lint.json",
        "dist/policy-lifecycle-dry-run.json",
        "dist/enterprise-policy-lifecycle-sample.json",
        "dist/enterprise-policy-lifecycle-live-sanitized.json",
        "dist/policy-lifecycle/policy-lifecycle-plan.json",
    ] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
}

#[test]
fn the_workflow_triggers_on_policy_changes_and_uploads_sarif() {
    let text = std::fs::read_to_string(repo().join(WORKFLOW)).unwrap();
    let workflow = lifecycle::model::parse_value(&text).unwrap();
    // PyYAML typing: the `on` key loads as `True`, as in CAVRA's own tooling.
    let triggers = workflow
        .as_map()
        .unwrap()
        .iter()
        .find(|(key, _)| key.python_str() == "True" || key.as_str() == Some("on"))
        .map(|(_, value)| value.clone())
        .expect("`on:`");
    let paths = triggers
        .get("pull_request")
        .and_then(|pr| pr.get("paths"))
        .and_then(Value::as_list)
        .unwrap();
    assert!(paths.iter().any(|p| p.as_str() == Some("policies/**")));
    assert!(text.contains("github/codeql-action/upload-sarif"));
    assert!(text.contains("actions/upload-artifact"));
}
