//! Regorus-style decision cases from `tests/fixtures/decide/*.yaml`: each case has a `note`, a
//! `policy`, a `request` (CAVRA input JSON) and the CAVRA decision object it must produce
//! (`want`), plus optionally the `matched_pattern`.

use lifecycle::decide::{CompiledPolicy, Request};
use lifecycle::model::parse_value;

#[test]
fn decide_fixture_cases() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/decide");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut count = 0;
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let document = parse_value(&source).unwrap();
        for case in document.get("cases").unwrap().as_list().unwrap() {
            let note = case.get("note").unwrap().python_str();
            let policy = case.get("policy").cloned().unwrap_or_default();
            let compiled = CompiledPolicy::from_value(&policy);
            let request = Request::from_json(&case.get("request").unwrap().to_json());
            let decision = compiled.decide(&request.as_request());
            assert_eq!(
                decision.to_cavra_json(),
                case.get("want").unwrap().to_json(),
                "{}: {note}",
                file.display()
            );
            if let Some(pattern) = case.get("matched_pattern") {
                assert_eq!(
                    decision.matched_pattern.as_deref(),
                    pattern.as_str(),
                    "{note}"
                );
            }
            count += 1;
        }
    }
    assert!(count >= 20, "only {count} cases");
}
