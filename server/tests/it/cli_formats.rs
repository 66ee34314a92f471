//! Snapshots of what the policy commands print, in every format (text, JSON, JUnit, SARIF), plus
//! structural checks: the JUnit parses as XML with the testsuites/testsuite/testcase shape, and the
//! SARIF validates against the SARIF 2.1.0 JSON Schema (`tests/fixtures/sarif-schema-2.1.0.json`,
//! OASIS's schema as shipped in the `serde-sarif` 0.8.0 crate's sources, with one fix: the
//! published `run.language` pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` has a stray `]`
//! that ECMA-262 regex compilers reject, so the copy uses `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`).

use crate::cli_common::{assert_exit, cavra_in, read, repo, run, run_command};
use quick_xml::events::Event;
use quick_xml::Reader;

const BROKEN: &str = "server/tests/fixtures/cli/broken-pack.yaml";

/// Parses JUnit XML and checks its shape; returns (tests, failures) counted from the elements.
fn check_junit(xml: &str) -> (usize, usize) {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let (mut tests, mut failures) = (0, 0);
    let mut declared: Option<(usize, usize)> = None;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (name, attributes, empty) = match &event {
            Event::Start(e) => (e.name().0.to_owned(), e.attributes(), false),
            Event::Empty(e) => (e.name().0.to_owned(), e.attributes(), true),
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let parent = stack.last().map(String::as_str);
        match name.as_str() {
            "testsuites" => {
                assert_eq!(parent, None);
                let mut counts = (0, 0);
                for attribute in attributes {
                    let attribute = attribute.unwrap();
                    let value: usize = attribute.value.parse().unwrap_or(usize::MAX);
                    match attribute.key.0 {
                        "tests" => counts.0 = value,
                        "failures" => counts.1 = value,
                        _ => {}
                    }
                }
                declared = Some(counts);
            }
            "testsuite" => assert_eq!(parent, Some("testsuites")),
            "testcase" => {
                assert_eq!(parent, Some("testsuite"));
                tests += 1;
            }
            "failure" | "system-out" => {
                assert_eq!(parent, Some("testcase"));
                if name == "failure" {
                    failures += 1;
                }
            }
            other => panic!("unexpected element <{other}>"),
        }
        if !empty {
            stack.push(name);
        }
    }
    assert!(stack.is_empty());
    assert_eq!(declared, Some((tests, failures)), "declared counts match");
    (tests, failures)
}

pub(crate) fn check_sarif(text: &str) -> serde_json::Value {
    let schema: serde_json::Value = serde_json::from_str(&read(
        repo().join("server/tests/fixtures/sarif-schema-2.1.0.json"),
    ))
    .unwrap();
    let log: serde_json::Value = serde_json::from_str(text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    assert_eq!(log["version"], "2.1.0");
    log
}

#[test]
fn lint_text_of_a_broken_pack() {
    let out = run(&["policy", "lint", BROKEN]);
    assert_exit(&out, 1);
    insta::assert_snapshot!("lint_text_broken", out.transcript());
}

#[test]
fn lint_text_of_the_baseline() {
    let out = run(&["policy", "lint", "--policy-pack", "cavra-ai-agent-baseline"]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("lint_text_baseline", out.transcript());
}

#[test]
fn lint_json_of_a_broken_pack() {
    let out = run(&["policy", "lint", BROKEN, "--format", "json"]);
    assert_exit(&out, 1);
    insta::assert_snapshot!("lint_json_broken", out.stdout);
}

#[test]
fn lint_junit_parses_as_junit() {
    let out = run(&[
        "policy",
        "lint",
        BROKEN,
        "--policy-pack",
        "cavra-starter",
        "--format",
        "junit",
    ]);
    assert_exit(&out, 1);
    let (tests, failures) = check_junit(&out.stdout);
    assert_eq!(
        (tests, failures),
        (10, 7),
        "9 diagnostics + the clean starter; 7 blockers"
    );
    insta::assert_snapshot!("lint_junit", out.stdout);
    let out = run(&["policy", "lint", "--format", "junit"]);
    assert_exit(&out, 0);
    let (_, failures) = check_junit(&out.stdout);
    assert_eq!(failures, 0);
}

#[test]
fn lint_sarif_validates_against_the_sarif_schema() {
    let out = run(&["policy", "lint", BROKEN, "--format", "sarif"]);
    assert_exit(&out, 1);
    let log = check_sarif(&out.stdout);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 9);
    // UTF-16 columns on the line with `é`.
    let warning = results.iter().find(|r| r["ruleId"] == "LC025").unwrap();
    assert_eq!(
        warning["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 6, "startColumn": 27, "endLine": 6, "endColumn": 41})
    );
    // Every pack, no blockers: still a valid log.
    let out = run(&["policy", "lint", "--format", "sarif"]);
    assert_exit(&out, 0);
    check_sarif(&out.stdout);
    // The rules' help text is long; snapshot the results only.
    insta::assert_json_snapshot!("lint_sarif_results", results);
}

#[test]
fn lint_explain_and_rule_list() {
    let out = run(&["policy", "lint", "--explain", "LC025"]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("lint_explain_lc025", out.stdout);
    let out = run(&["policy", "lint", "--list-rules"]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("lint_list_rules", out.stdout);
}

#[test]
fn text_is_coloured_only_when_asked() {
    let forced = run_command(
        cavra_in(&repo())
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", "1")
            .args(["policy", "lint", BROKEN]),
    );
    assert!(forced.stdout.contains("\u{1b}["), "{}", forced.stdout);
    let piped = run_command(
        cavra_in(&repo())
            .env_remove("NO_COLOR")
            .args(["policy", "lint", BROKEN]),
    );
    assert!(
        !piped.stdout.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let no_color = run_command(
        cavra_in(&repo())
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1")
            .args(["policy", "lint", BROKEN]),
    );
    assert!(!no_color.stdout.contains('\u{1b}'), "NO_COLOR wins");
}

#[test]
fn dry_run_outputs() {
    let out = run(&[
        "policy",
        "dry-run",
        "--policy-pack",
        "cavra-github-enterprise",
        "--default-cases",
    ]);
    assert_exit(&out, 1);
    insta::assert_snapshot!("dry_run_text_failing", out.transcript());
    let out = run(&["policy", "dry-run", "--policy-pack", "cavra-starter"]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("dry_run_text_starter", out.transcript());
    let out = run(&[
        "policy",
        "dry-run",
        "--policy-pack",
        "cavra-github-enterprise",
        "--default-cases",
        "--format",
        "json",
    ]);
    assert_exit(&out, 1);
    insta::assert_snapshot!("dry_run_json_failing", out.stdout);
    let out = run(&[
        "policy",
        "dry-run",
        "--policy-pack",
        "cavra-github-enterprise",
        "--policy-pack",
        "cavra-starter",
        "--default-cases",
        "--format",
        "junit",
    ]);
    assert_exit(&out, 1);
    assert_eq!(check_junit(&out.stdout), (14, 3));
    insta::assert_snapshot!("dry_run_junit", out.stdout);
}

#[test]
fn digest_outputs() {
    let out = run(&["policy", "digest"]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("digest_text", out.stdout);
    let out = run(&[
        "policy",
        "digest",
        "--policy-pack",
        "cavra-starter",
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("digest_json", out.stdout);
}

#[test]
fn diff_outputs() {
    let out = run(&[
        "policy",
        "diff",
        "--from",
        "cavra-terraform-prod",
        "--to",
        "cavra-ai-agent-baseline",
    ]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("diff_text", out.stdout);
    let out = run(&[
        "policy",
        "diff",
        "--from",
        "cavra-ai-agent-baseline",
        "--to",
        "cavra-starter",
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    let diff: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(diff["schema_version"], "cavra-lifecycle.policy-diff.v2");
    let regions = &diff["decision_regions"];
    assert_eq!(
        regions["schema_version"],
        "cavra-lifecycle.decision-regions.v1"
    );
    assert_eq!(regions["complete"], true);
    assert!(regions["region_count"].as_u64().unwrap() > 0);
    let check = &diff["cross_check"];
    assert!(check["flips"].as_u64().unwrap() > 0);
    assert_eq!(check["disagreements"], serde_json::json!([]));
    assert_eq!(
        check["flips"].as_u64().unwrap(),
        check["in_regions"].as_u64().unwrap() + check["other_spellings"].as_u64().unwrap()
    );
    insta::assert_json_snapshot!("diff_json_semantic", diff["semantic_diff"]);
    let out = run(&[
        "policy",
        "diff",
        "--from",
        "cavra-ai-agent-baseline",
        "--to",
        "cavra-starter",
        "--fail-on-impact",
    ]);
    assert_exit(&out, 1);
    let out = run(&[
        "policy",
        "diff",
        "--from",
        "cavra-starter",
        "--to",
        "cavra-starter",
        "--fail-on-impact",
    ]);
    assert_exit(&out, 0);
    assert!(out.stdout.contains("no semantic changes"));
}

/// Issue 17's example: widening `terraform plan*` to `terraform *` is one exact region, named
/// by its patterns, with a readable example, instead of a count of probe requests.
#[test]
fn diff_reports_the_exact_region_of_a_widened_allow() {
    let dir = tempfile::tempdir().unwrap();
    let old = read(repo().join("policies/cavra-ai-agent-baseline/policy.yaml"));
    let new = old.replace("\"terraform plan*\"", "\"terraform *\"");
    let (old_path, new_path) = (dir.path().join("old.yaml"), dir.path().join("new.yaml"));
    std::fs::write(&old_path, &old).unwrap();
    std::fs::write(&new_path, &new).unwrap();
    let args = [
        "policy",
        "diff",
        "--from-file",
        old_path.to_str().unwrap(),
        "--to-file",
        new_path.to_str().unwrap(),
    ];
    let out = run(&args);
    assert_exit(&out, 0);
    assert!(
        out.stdout.contains(
            "decision regions (exact): 1 region\n  execute_command requested_operation: \
             require_approval -> allow (infinite, 1 cell)\n    · matches `terraform *` (after: \
             commands.allow), not `terraform apply*` (commands.block), not `terraform fmt*` \
             (before: commands.allow), not `terraform validate*` (before: commands.allow), not \
             `terraform plan*` (before: commands.allow); e.g. \"terraform x\"\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("no disagreement"), "{}", out.stdout);
    let mut failing = args.to_vec();
    failing.push("--fail-on-impact");
    assert_exit(&run(&failing), 1);
    // The same file on both sides: no region, and the gate passes.
    let same = [
        "policy",
        "diff",
        "--from-file",
        new_path.to_str().unwrap(),
        "--to-file",
        new_path.to_str().unwrap(),
        "--fail-on-impact",
        "--no-cross-check",
    ];
    let out = run(&same);
    assert_exit(&out, 0);
    assert!(out
        .stdout
        .contains("decision regions (exact): none, no request changes outcome"));
    assert!(!out.stdout.contains("probe cross-check"));
}

#[test]
fn simulate_outputs() {
    let out = run(&[
        "policy",
        "simulate",
        "--policy-pack",
        "cavra-ai-agent-baseline",
        "--action",
        "read_file",
        "--target",
        ".env",
    ]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("simulate_text", out.stdout);
    let out = run(&[
        "policy",
        "simulate",
        "--request-json",
        r#"{"action_type": "mcp_tool_call", "target": "evil:exfiltrate", "tool": "exfiltrate"}"#,
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("simulate_json", out.stdout);
    let out = run(&[
        "policy",
        "simulate",
        "--action",
        "execute_command",
        "--target",
        "terraform apply",
        "--expect",
        "allow",
    ]);
    assert_exit(&out, 1);
    assert_eq!(out.stderr, "expected allow, got block\n");
}

#[test]
fn schema_outputs() {
    let out = run(&["policy", "schema"]);
    assert_exit(&out, 0);
    insta::assert_snapshot!("schema_list", out.stdout);
    let dir = tempfile::tempdir().unwrap();
    let out = run_command(cavra_in(dir.path()).args(["policy", "schema", "--out-dir", "schemas"]));
    assert_exit(&out, 0);
    for line in out.stdout.lines() {
        let name = line.strip_prefix("wrote schemas/").unwrap();
        assert_eq!(
            read(dir.path().join("schemas").join(name)),
            read(repo().join("lifecycle/schemas").join(name)),
            "{name} equals the committed schema"
        );
    }
    let out = run(&["policy", "schema", "policy-lifecycle-plan"]);
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout,
        read(repo().join("lifecycle/schemas/policy-lifecycle-plan.schema.json"))
    );
}
