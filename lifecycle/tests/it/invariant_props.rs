//! Property tests for the proofs built on the symbolic automata, beside the region properties
//! (`symbolic_props`), over the same random packs:
//!
//! - invariants: "proved" means no request in scope (a random text, or one built from the
//!   glob and the pack's patterns) gets another outcome from the evaluator; every
//!   counterexample (shortest and typical) is in scope and gets a wrong outcome; no in-scope
//!   text shorter than the counterexample breaks the invariant;
//! - precedence: a rule reported dead never decides a request, and a rule not reported dead
//!   decides its own fresh expansion; each narrowing example matches the allow rule and is
//!   blocked by the rule named.

use lifecycle::decide::matcher::Pattern;
use lifecycle::decide::path::normalize_path;
use lifecycle::decide::python::python_strip;
use lifecycle::decide::{CompiledPolicy, Outcome, RequestBuf, RuleId};
use lifecycle::invariants::{prove_invariants, Invariant, InvariantKind, ProofStatus};
use lifecycle::symbolic::{
    in_invariant_domain, precedence, witness_request, FindingKind, PrecedenceOptions,
};
use proptest::prelude::*;

use crate::symbolic_props::{pack, text, value, Pack, PATTERN_ALPHABET, TEXT_ALPHABET};

const ACTIONS: [(&str, &str); 4] = [
    ("read_file", "target"),
    ("write_file", "target"),
    ("execute_command", "requested_operation"),
    ("mcp_tool_call", "server"),
];

fn invariant() -> impl Strategy<Value = Invariant> {
    (0usize..3, 0usize..4, text(PATTERN_ALPHABET, 5)).prop_map(|(kind, action, glob)| {
        let (action_type, field) = ACTIONS[action];
        Invariant {
            kind: InvariantKind::ALL[kind],
            index: 0,
            action_type: action_type.to_owned(),
            field: field.to_owned(),
            glob,
            note: None,
            span: None,
        }
    })
}

/// Every pattern of a pack (paths and commands), and its servers.
fn pack_patterns(pack: &Pack) -> Vec<String> {
    pack.read
        .iter()
        .chain(&pack.write)
        .chain(&pack.approve)
        .chain(&pack.block)
        .chain(&pack.allow)
        .chain(&pack.allowed_servers)
        .chain(&pack.blocked_servers)
        .cloned()
        .collect()
}

/// Texts likely to land in and around an invariant's scope.
fn texts(glob: &str, pack: &Pack, random: &[String], fills: &[String]) -> Vec<String> {
    let mut out: Vec<String> = random.to_vec();
    for pattern in std::iter::once(glob.to_owned()).chain(pack_patterns(pack)) {
        for fill in fills {
            out.push(pattern.replace("**", "*").replace('*', fill));
        }
    }
    out
}

/// The request whose decided field is `text` (for commands, also a whitespace-padded
/// operation, which the evaluator strips).
fn requests(action: &str, text: &str) -> Vec<RequestBuf> {
    let mut out = vec![witness_request(action, text)];
    if action == "execute_command" {
        let mut padded = witness_request(action, text);
        padded.requested_operation = format!(" {text}\t");
        out.push(padded);
    }
    out
}

fn in_scope(invariant: &Invariant, value: &str) -> bool {
    in_invariant_domain(&invariant.action_type, value)
        && Pattern::new(&invariant.glob).matches(value)
}

/// Which list a rule id reports and whether `matched_pattern` identifies the rule.
fn list_of(rule_id: RuleId) -> Option<&'static str> {
    Some(match rule_id {
        RuleId::FilesystemReadBlock => "filesystem.block_read",
        RuleId::FilesystemWriteBlock => "filesystem.block_write",
        RuleId::FilesystemWriteRequireApproval => "filesystem.require_approval_write",
        RuleId::CommandsBlock => "commands.block",
        RuleId::CommandsAllow => "commands.allow",
        _ => return None,
    })
}

fn action_of(list: &str) -> &'static str {
    match list {
        "filesystem.block_read" => "read_file",
        "filesystem.block_write" | "filesystem.require_approval_write" => "write_file",
        "mcp.blocked_servers" | "mcp.allowed_servers" => "mcp_tool_call",
        _ => "execute_command",
    }
}

fn list_items<'a>(pack: &'a Pack, list: &str) -> &'a [String] {
    match list {
        "filesystem.block_read" => &pack.read,
        "filesystem.block_write" => &pack.write,
        "filesystem.require_approval_write" => &pack.approve,
        "commands.block" => &pack.block,
        "commands.allow" => &pack.allow,
        "mcp.allowed_servers" => &pack.allowed_servers,
        "mcp.blocked_servers" => &pack.blocked_servers,
        _ => &[],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn proofs_and_counterexamples_agree_with_the_evaluator(
        pack in pack(),
        invariants in prop::collection::vec(invariant(), 1..4),
        random in prop::collection::vec(text(TEXT_ALPHABET, 7), 0..8),
        fills in prop::collection::vec(text(TEXT_ALPHABET, 3), 1..3),
    ) {
        let policy = value(&pack);
        let compiled = CompiledPolicy::from_value(&policy);
        let report = prove_invariants(&policy, &invariants, 100_000);
        prop_assert_eq!(report.proofs.len(), invariants.len());
        for (proof, invariant) in report.proofs.iter().zip(&invariants) {
            let required = invariant.kind.required();
            let action = invariant.action_type.as_str();
            prop_assert!(proof.status != ProofStatus::Unknown, "{:?}", proof);
            let candidates = texts(&invariant.glob, &pack, &random, &fills);
            match proof.status {
                ProofStatus::Proved => {
                    for text in &candidates {
                        if !in_scope(invariant, text) {
                            // A non-normal spelling whose normal form is in scope: a proved
                            // must_block covers it too.
                            let normal = normalize_path(text);
                            if required == Outcome::Block
                                && matches!(action, "read_file" | "write_file")
                                && in_scope(invariant, &normal)
                            {
                                let decided = compiled.decide(&witness_request(action, text).as_request());
                                prop_assert_eq!(decided.decision, Outcome::Block, "{:?} ({})", text, invariant.glob);
                            }
                            continue;
                        }
                        prop_assert!(!proof.vacuous, "vacuous, yet {:?} matches {:?}", text, invariant.glob);
                        for request in requests(action, text) {
                            let decided = compiled.decide(&request.as_request());
                            prop_assert_eq!(
                                decided.decision, required,
                                "proved {} {:?} but {:?} gets another outcome", action, invariant.glob, request
                            );
                        }
                    }
                }
                ProofStatus::Violated => {
                    let example = proof.counterexample.as_ref().unwrap();
                    prop_assert!(in_scope(invariant, &example.value), "{:?}", example);
                    let request = RequestBuf::from_json(&example.input);
                    let decided = compiled.decide(&request.as_request());
                    prop_assert_ne!(decided.decision, required);
                    prop_assert_eq!(decided.decision.as_str(), example.decision.decision.as_str());
                    prop_assert_eq!(decided.rule_id, example.decided_by.rule_id);
                    if let Some(typical) = &example.typical {
                        prop_assert!(in_scope(invariant, typical));
                        let decided = compiled.decide(&witness_request(action, typical).as_request());
                        prop_assert_ne!(decided.decision, required);
                    }
                    // Shortest: nothing in scope and shorter breaks it.
                    let length = example.value.chars().count();
                    for text in candidates.iter().filter(|t| t.chars().count() < length) {
                        if in_scope(invariant, text) {
                            let decided = compiled.decide(&witness_request(action, text).as_request());
                            prop_assert_eq!(decided.decision, required, "{:?} is shorter than {:?}", text, example.value);
                        }
                    }
                }
                ProofStatus::Unknown => {}
            }
        }
    }

    #[test]
    fn precedence_findings_agree_with_the_evaluator(
        pack in pack(),
        random in prop::collection::vec(text(TEXT_ALPHABET, 7), 0..8),
        fills in prop::collection::vec(text(TEXT_ALPHABET, 3), 1..3),
    ) {
        let policy = value(&pack);
        let compiled = CompiledPolicy::from_value(&policy);
        let found = precedence(&policy, &PrecedenceOptions::default());
        let all_texts = texts("", &pack, &random, &fills);
        let decides = |action: &str, text: &str, list: &str, pattern: &str| -> bool {
            let decision = compiled.decide(&witness_request(action, text).as_request());
            list_of(decision.rule_id) == Some(list)
                && decision.matched_pattern.as_deref() == Some(pattern)
        };
        for finding in &found.findings {
            let list = finding.rule.list.as_str();
            let action = action_of(list);
            let pattern = finding.rule.pattern.as_str();
            let items = list_items(&pack, list);
            // An earlier identical entry decides under the same text: indistinguishable here.
            let repeated = items.iter().take(finding.rule.index).any(|p| p == pattern);
            prop_assert_eq!(items.get(finding.rule.index).map(String::as_str), Some(pattern));
            match finding.kind {
                FindingKind::Dead => {
                    prop_assert_eq!(finding.covers.len(), 1);
                    let cover = &finding.covers[0];
                    if action == "mcp_tool_call" {
                        let decision = compiled.decide(&witness_request(action, pattern).as_request());
                        prop_assert_eq!(decision.decision, cover.outcome, "{:?}", finding);
                        continue;
                    }
                    let cover_pattern = Pattern::new(&cover.rule.pattern);
                    for text in &all_texts {
                        if !repeated {
                            prop_assert!(!decides(action, text, list, pattern), "dead {:?} decides {:?}", finding.rule, text);
                        }
                        if Pattern::new(pattern).matches(text) {
                            prop_assert!(cover_pattern.matches(text), "{:?} covers {:?}", cover.rule, text);
                        }
                    }
                }
                FindingKind::Narrowed => {
                    prop_assert_eq!(finding.outcome, Outcome::Allow);
                    for cover in &finding.covers {
                        prop_assert!(Pattern::new(pattern).matches(&cover.example), "{:?}", cover);
                        prop_assert!(in_invariant_domain(action, &cover.example));
                        let decision = compiled.decide(&witness_request(action, &cover.example).as_request());
                        prop_assert_eq!(decision.decision, cover.outcome);
                        prop_assert_ne!(cover.outcome, Outcome::Allow);
                        prop_assert_eq!(decision.matched_pattern.as_deref(), Some(cover.rule.pattern.as_str()));
                    }
                }
            }
        }
        // Complete: a rule not reported dead decides its fresh expansion (unless the text is
        // outside what the evaluator sees the way the pattern is written).
        for list in ["filesystem.block_read", "filesystem.block_write", "filesystem.require_approval_write", "commands.block", "commands.allow"] {
            let action = action_of(list);
            for (index, pattern) in list_items(&pack, list).iter().enumerate() {
                let dead = found.findings.iter().any(|f| {
                    f.kind == FindingKind::Dead && f.rule.list == list && f.rule.index == index
                });
                let repeated = list_items(&pack, list).iter().take(index).any(|p| p == pattern);
                let expansion = pattern.replace('*', "\u{E000}");
                let visible = match action {
                    "execute_command" => python_strip(&expansion) == expansion,
                    _ => normalize_path(&expansion) == expansion,
                };
                if dead || repeated || !visible {
                    continue;
                }
                prop_assert!(
                    decides(action, &expansion, list, pattern),
                    "{list}[{index}] `{pattern:?}` is live but does not decide {expansion:?}"
                );
            }
        }
    }
}
