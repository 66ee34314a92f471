//! Property tests for the evaluator: the matcher agrees with CAVRA's regex translation, the
//! evaluator is total and deterministic, and path normalisation never relaxes a decision.

use lifecycle::decide::matcher::{Pattern, PatternSet};
use lifecycle::decide::{CompiledPolicy, Outcome, Request};
use lifecycle::value::Value;
use proptest::prelude::*;

/// CAVRA's `pattern_to_regex`: escape everything, star runs become `.*`, anchored both ends.
/// (Rust's `$` only matches at the very end, like `re.fullmatch`.)
fn reference_regex(pattern: &str) -> regex::Regex {
    let mut source = String::from("^");
    let mut literal = String::new();
    let mut in_star = false;
    for c in pattern.chars() {
        if c == '*' {
            if !in_star {
                source.push_str(&regex::escape(&literal));
                literal.clear();
                source.push_str(".*");
            }
            in_star = true;
        } else {
            in_star = false;
            literal.push(c);
        }
    }
    source.push_str(&regex::escape(&literal));
    source.push('$');
    regex::Regex::new(&source).unwrap()
}

fn text(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max).prop_map(|parts| parts.concat())
}

const PATTERN_ALPHABET: &[&str] = &["a", "b", "/", "*", "**", ".", "\n", "?", "[", "é", " "];
const TEXT_ALPHABET: &[&str] = &["a", "b", "/", ".", "\n", "?", "é", " ", "ab", "./", ".."];

fn list(items: &[String]) -> Value {
    Value::List(items.iter().map(|s| Value::Str(s.clone())).collect())
}

fn policy(
    read: &[String],
    write: &[String],
    approve: &[String],
    block: &[String],
    allow: &[String],
) -> Value {
    let map = |entries: Vec<(&str, Value)>| {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Str(k.into()), v))
                .collect(),
        )
    };
    map(vec![
        (
            "filesystem",
            map(vec![
                ("block_read", list(read)),
                ("block_write", list(write)),
                ("require_approval_write", list(approve)),
            ]),
        ),
        (
            "commands",
            map(vec![("block", list(block)), ("allow", list(allow))]),
        ),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn matcher_agrees_with_cavra_regex(pattern in text(PATTERN_ALPHABET, 8), input in text(TEXT_ALPHABET, 10)) {
        let want = reference_regex(&pattern).is_match(&input);
        prop_assert_eq!(Pattern::new(&pattern).matches(&input), want, "pattern {:?} text {:?}", pattern, input);
    }

    #[test]
    fn matcher_agrees_on_texts_built_from_the_pattern(pattern in text(PATTERN_ALPHABET, 8), fill in text(TEXT_ALPHABET, 4)) {
        // Texts derived from the pattern hit the interesting cases (prefix/suffix overlap).
        let input = pattern.replace('*', &fill);
        let want = reference_regex(&pattern).is_match(&input);
        prop_assert_eq!(Pattern::new(&pattern).matches(&input), want, "pattern {:?} text {:?}", pattern, input);
    }

    #[test]
    fn indexed_sets_find_the_first_match(
        patterns in prop::collection::vec(text(PATTERN_ALPHABET, 5), 0..60),
        input in text(TEXT_ALPHABET, 6),
    ) {
        let set = PatternSet::new(patterns.iter().map(String::as_str));
        let want = patterns.iter().position(|p| reference_regex(p).is_match(&input));
        prop_assert_eq!(set.first_match(&input), want);
    }

    #[test]
    fn evaluator_is_total_and_deterministic(
        read in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        write in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        approve in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        block in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        allow in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        action in prop::sample::select(&["read_file", "write_file", "execute_command", "git_operation", "mcp_tool_call", "other", ""][..]),
        target in text(TEXT_ALPHABET, 10),
        operation in text(TEXT_ALPHABET, 6),
    ) {
        let compiled = CompiledPolicy::from_value(&policy(&read, &write, &approve, &block, &allow));
        let request = Request::new(action, &target).with_operation(&operation);
        let first = compiled.decide(&request);
        prop_assert_eq!(&first, &compiled.decide(&request));
        let batch = compiled.decide_batch(&[request, request]);
        prop_assert_eq!(&batch[0], &first);
        prop_assert_eq!(&batch[1], &first);
    }

    #[test]
    fn normalisation_never_relaxes_a_block(
        read in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        write in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        approve in prop::collection::vec(text(PATTERN_ALPHABET, 6), 0..5),
        target in text(TEXT_ALPHABET, 10),
    ) {
        let compiled = CompiledPolicy::from_value(&policy(&read, &write, &approve, &[], &[]));
        let literal = |list: &[String]| list.iter().any(|p| reference_regex(p).is_match(&target));
        let read_decision = compiled.decide(&Request::new("read_file", &target)).decision;
        if literal(&read) {
            prop_assert_eq!(read_decision, Outcome::Block);
        }
        let write_decision = compiled.decide(&Request::new("write_file", &target)).decision;
        if literal(&write) {
            prop_assert_eq!(write_decision, Outcome::Block);
        } else if literal(&approve) {
            prop_assert_ne!(write_decision, Outcome::Allow);
        }
    }
}
