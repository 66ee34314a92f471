//! Property tests: parsing and linting are total, digests ignore formatting, canonical JSON
//! round-trips, pattern containment is sound and complete, hostile input stops fast.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use lifecycle::digest::policy_digest;
use lifecycle::json::canonical_json;
use lifecycle::lint::glob::{cavra_matches, subsumes};
use lifecycle::lint::{lint_report, lint_source};
use lifecycle::model::{parse_bytes, parse_policy, parse_value};
use lifecycle::value::Value;

/// YAML-looking text: indentation, keys, flow brackets, quotes, anchors, tags, scalars.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("- ".to_owned()),
        Just(": ".to_owned()),
        Just("metadata".to_owned()),
        Just("filesystem".to_owned()),
        Just("block_read".to_owned()),
        Just("commands".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just(", ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("!!str ".to_owned()),
        Just("<<".to_owned()),
        Just("? ".to_owned()),
        Just("---\n".to_owned()),
        Just("|\n".to_owned()),
        Just("#c".to_owned()),
        Just("yes".to_owned()),
        Just("010".to_owned()),
        Just("1:30".to_owned()),
        Just("2024-01-31".to_owned()),
        Just("**/x.*".to_owned()),
        "[a-z0-9 .*é]{0,6}",
    ];
    prop::collection::vec(token, 0..60).prop_map(|parts| parts.concat())
}

/// A string-keyed policy-like value without floats (so it prints exactly in any style).
fn policy_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::Int),
        "[ -~é😀]{0,8}".prop_map(Value::Str),
    ];
    scalar.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::List),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5).prop_map(|map| {
                Value::Map(map.into_iter().map(|(k, v)| (Value::Str(k), v)).collect())
            }),
        ]
    })
}

/// Writes a value as YAML in one of several styles; `reverse` reorders mapping keys.
fn emit(value: &Value, style: u8, reverse: bool, indent: usize, out: &mut String) {
    emit_in(value, style, reverse, indent, false, out);
}

fn emit_in(value: &Value, style: u8, reverse: bool, indent: usize, flow: bool, out: &mut String) {
    let pad = "  ".repeat(indent);
    match value {
        Value::Map(entries) if !entries.is_empty() && style.is_multiple_of(2) && !flow => {
            let mut entries: Vec<&(Value, Value)> = entries.iter().collect();
            if reverse {
                entries.reverse();
            }
            for (key, item) in entries {
                out.push('\n');
                out.push_str(&pad);
                emit_in(key, style, reverse, indent + 1, false, out);
                out.push(':');
                if !matches!(item, Value::Map(e) if !e.is_empty()) {
                    out.push(' ');
                }
                emit_in(item, style, reverse, indent + 1, false, out);
            }
        }
        Value::Map(entries) => {
            let mut entries: Vec<&(Value, Value)> = entries.iter().collect();
            if reverse {
                entries.reverse();
            }
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                emit_in(key, style, reverse, indent + 1, true, out);
                out.push_str(": ");
                emit_in(item, style, reverse, indent + 1, true, out);
            }
            out.push('}');
        }
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                emit_in(item, style, reverse, indent + 1, true, out);
            }
            out.push(']');
        }
        Value::Null => out.push_str(if style.is_multiple_of(3) { "~" } else { "null" }),
        Value::Bool(b) => out.push_str(match (b, style % 3) {
            (true, 0) => "yes",
            (true, 1) => "True",
            (true, _) => "on",
            (false, 0) => "no",
            (false, 1) => "FALSE",
            (false, _) => "off",
        }),
        Value::Int(i) if style % 3 == 1 && *i >= 0 => out.push_str(&format!("0x{i:x}")),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format!("{f:?}")),
        Value::Str(s) if style % 4 < 2 => {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Value::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_and_lint_never_panic_on_any_string(text in any::<String>()) {
        let _ = lint_source(&text);
        let _ = parse_bytes(text.as_bytes());
    }

    #[test]
    fn parse_and_lint_never_panic_on_yamlish_text(text in yamlish()) {
        let outcome = lint_source(&text);
        if let Some(value) = &outcome.value {
            let _ = lint_report(value);
            let _ = policy_digest(value);
        }
    }

    #[test]
    fn digest_ignores_formatting_order_and_quoting(
        value in policy_value(), first in 0u8..12, second in 0u8..12, reverse in any::<bool>()
    ) {
        let root = Value::Map(vec![(Value::Str("root".into()), value)]);
        let mut a = String::new();
        emit(&root, first, false, 0, &mut a);
        let mut b = String::new();
        emit(&root, second, reverse, 0, &mut b);
        let loaded_a = parse_value(&a).map_err(|e| TestCaseError::fail(format!("{e}\n{a}")))?;
        let loaded_b = parse_value(&b).map_err(|e| TestCaseError::fail(format!("{e}\n{b}")))?;
        prop_assert_eq!(policy_digest(&loaded_a), policy_digest(&root), "{}", a);
        prop_assert_eq!(policy_digest(&loaded_b), policy_digest(&root), "{}", b);
    }

    #[test]
    fn canonical_json_round_trips_through_serde(value in policy_value()) {
        let text = canonical_json(&value);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(canonical_json(&Value::from_json(&parsed)), text);
    }

    #[test]
    fn subsumption_is_sound_and_complete(
        general in "[ab*/]{0,6}", specific in "[ab*/]{0,6}", fill in "[ab/]{0,3}"
    ) {
        let covered = subsumes(&general, &specific);
        // Sound: every expansion of the specific pattern matches the general one.
        if covered {
            prop_assert!(cavra_matches(&general, &specific.replace('*', &fill)));
        }
        // Complete: the expansion with a character the general pattern lacks decides it.
        let witness = specific.replace('*', "\u{1}");
        prop_assert_eq!(covered, cavra_matches(&general, &witness));
    }
}

fn fast(label: &str, run: impl FnOnce()) {
    let start = Instant::now();
    run();
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(2), "{label} took {elapsed:?}");
}

#[test]
fn hostile_inputs_fail_fast() {
    fast("alias bomb", || {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let refs = vec![format!("*a{}", level - 1); 9].join(", ");
            bomb.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        let parsed = parse_policy(&bomb);
        assert!(parsed.root.is_none());
        assert!(parsed.has_blockers());
    });
    fast("10 000 nested flow lists", || {
        let deep = format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_policy(&deep).has_blockers());
    });
    fast("10 000 nested block lists", || {
        let deep: String = (0..10_000)
            .map(|i| format!("{}- x:\n", "  ".repeat(i)))
            .collect();
        assert!(lint_source(&deep).has_blockers());
    });
    fast("10 000 nested block mappings", || {
        let deep: String = (0..10_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(lint_source(&deep).has_blockers());
    });
    fast("1 MiB of one plain scalar", || {
        let big = format!("a: {}", "x".repeat(1024 * 1024 - 10));
        let outcome = lint_source(&big);
        assert!(outcome.report.is_some());
    });
    fast("2 MiB input", || {
        let big = "a: x\n".repeat(500_000);
        assert!(parse_policy(&big).has_blockers());
    });
    fast("many pairwise patterns", || {
        let items: Vec<String> = (0..290).map(|i| format!("\"*{i}*{i}*\"")).collect();
        let src = format!(
            "metadata: {{id: cavra-x, title: t, description: d, version: v}}\ncommands:\n  block: [{}]\n  allow: [{}]\n",
            items.join(", "),
            items.join(", ")
        );
        let _ = lint_source(&src);
    });
}
