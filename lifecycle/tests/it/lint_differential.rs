//! Differential test against the Python reference: `fixtures/lint/differential.json` holds, for
//! about 200 inputs (the reference packs, hand-written corner cases and random mutations dumped
//! by PyYAML), what PyYAML + jsonschema + CAVRA's lint and digest produce. Regenerate it with
//! `fixtures/lint/generate_differential.py`.

use std::path::Path;

use lifecycle::digest::policy_digest;
use lifecycle::lint::{lint_report, lint_source};
use lifecycle::model::parse_value;

#[derive(serde::Deserialize)]
struct Case {
    yaml: String,
    load_error: Option<String>,
    digest: Option<String>,
    digest_error: Option<String>,
    report: Option<String>,
}

#[test]
fn agrees_with_the_python_reference() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/differential.json");
    let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() > 150);
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let loaded = parse_value(&case.yaml);
        if case.load_error.is_some() {
            if loaded.is_ok() {
                failures.push(format!(
                    "#{index}: Python fails to load, we load\n{}",
                    case.yaml
                ));
            }
            continue;
        }
        if case.digest_error.is_some() {
            // Python crashes computing the digest (dates, mixed key types): we must block.
            if !lint_source(&case.yaml).has_blockers() {
                failures.push(format!(
                    "#{index}: Python's digest crashes, we report no blocker\n{}",
                    case.yaml
                ));
            }
            continue;
        }
        let policy = match loaded {
            Ok(policy) => policy,
            Err(error) => {
                failures.push(format!("#{index}: we fail to load: {error}\n{}", case.yaml));
                continue;
            }
        };
        if let Some(digest) = &case.digest {
            let ours = policy_digest(&policy);
            if &ours != digest {
                failures.push(format!(
                    "#{index}: digest {ours} != {digest}\n{}",
                    case.yaml
                ));
            }
        }
        if let Some(report) = &case.report {
            let ours = lint_report(&policy).to_python_json();
            if &ours != report {
                failures.push(format!(
                    "#{index}: report differs\n{}\n--- ours\n{ours}--- python\n{report}",
                    case.yaml
                ));
            }
            // The live linter's report is the same one when the text has no parse blockers.
            let outcome = lint_source(&case.yaml);
            if let Some(live) = outcome.report {
                assert_eq!(&live.to_python_json(), report, "#{index}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
