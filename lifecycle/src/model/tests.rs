//! Unit tests for the model: YAML 1.1 typing, PyYAML mapping rules, spans and limits.

use super::*;
use crate::json::canonical_json;

/// Parses `src` and compares the canonical JSON of the loaded value, plus the diagnostic codes.
fn check(src: &str, expect_json: &str, expect_codes: &[&str]) {
    let parsed = parse_policy(src);
    let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes, expect_codes,
        "diagnostics for {src:?}: {:?}",
        parsed.diagnostics
    );
    let json = parsed
        .root
        .map(|root| canonical_json(&root.to_value()))
        .unwrap_or_else(|| "<none>".to_owned());
    assert_eq!(json, expect_json, "value of {src:?}");
}

#[test]
fn yaml11_scalars() {
    check(
        "a: yes\nb: on\nc: off\nd: y\ne: n\nf: NO\n",
        r#"{"a":true,"b":true,"c":false,"d":"y","e":"n","f":false}"#,
        &[],
    );
    check(
        "a: 010\nb: 0x1F\nc: 1_000\nd: 1:30\ne: 0o10\nf: -0b11\n",
        r#"{"a":8,"b":31,"c":1000,"d":90,"e":"0o10","f":-3}"#,
        &[],
    );
    check(
        "a: .inf\nb: 1e16\nc: 1.0\nd: 0.1.0\ne: -.inf\nf: .NaN\ng: 1.0e+16\n",
        r#"{"a":Infinity,"b":"1e16","c":1.0,"d":"0.1.0","e":-Infinity,"f":NaN,"g":1e+16}"#,
        &[],
    );
    check(
        "a: ~\nb:\nc: null\nd: 'null'\ne: \"yes\"\nf: '010'\ng: !!str 1.0\nh: !!int '0x10'\n",
        r#"{"a":null,"b":null,"c":null,"d":"null","e":"yes","f":"010","g":"1.0","h":16}"#,
        &[],
    );
    check("a: |\n  yes\n", r#"{"a":"yes\n"}"#, &[]);
    check("a: >-\n  010\n", r#"{"a":"010"}"#, &[]);
}

#[test]
fn dates_are_reported() {
    check(
        "version: 2024-01-31\n",
        r#"{"version":"2024-01-31"}"#,
        &["LC007"],
    );
    check(
        "version: '2024-01-31'\n",
        r#"{"version":"2024-01-31"}"#,
        &[],
    );
}

#[test]
fn duplicate_keys_keep_first_position_and_last_value() {
    check("a: 1\nb: 2\na: 3\n", r#"{"a":3,"b":2}"#, &["LC006"]);
    let parsed = parse_policy("a: 1\nb: 2\na: 3\n");
    let root = parsed.root.unwrap();
    let keys: Vec<&str> = root
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a", "b"]);
    // Python: 1 == 1.0 == True are the same key.
    check(
        "1: a\n1.0: b\ntrue: c\n",
        r#"{"1":"c"}"#,
        &["LC006", "LC006"],
    );
}

#[test]
fn merge_keys_follow_yaml11() {
    check(
        "base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nm:\n  <<: [*b, *o]\n  x: 9\n",
        r#"{"base":{"x":1,"y":2},"m":{"x":9,"y":2,"z":4},"other":{"y":3,"z":4}}"#,
        &[],
    );
    check("m:\n  <<: 5\n", r#"{"m":{}}"#, &["LC008"]);
    check("m: {'<<': 5}\n", r#"{"m":{"<<":5}}"#, &[]);
}

#[test]
fn unsupported_constructs() {
    check("a: !foo 1\n", r#"{"a":"1"}"#, &["LC008"]);
    check("? [a]\n: 1\n", r#"{}"#, &["LC008"]);
    check("a: 1\n---\nb: 2\n", r#"{"a":1}"#, &["LC008"]);
    check(
        "a: 99999999999999999999\n",
        r#"{"a":"99999999999999999999"}"#,
        &["LC008"],
    );
}

#[test]
fn syntax_errors_are_positioned() {
    let parsed = parse_policy("a: [1, 2\nb: 3\n");
    assert!(parsed.root.is_none());
    let diagnostic = &parsed.diagnostics[0];
    assert_eq!(diagnostic.code, "LC001");
    assert!(diagnostic.span.is_some());
}

#[test]
fn characters_and_bytes() {
    check("a: \"x\u{0}\"\n", "<none>", &["LC005"]);
    let parsed = parse_bytes(b"a: \xff\n");
    assert_eq!(parsed.diagnostics[0].code, "LC005");
    assert_eq!(parsed.diagnostics[0].span.unwrap().start, 3);
    check("\u{feff}a: 1\n", r#"{"a":1}"#, &[]);
}

#[test]
fn spans_point_at_keys_and_items() {
    let src = "metadata:\n  id: \"é-x\"\nlist:\n  - one\n  - 'two'\n";
    let root = parse_policy(src).root.unwrap();
    let (key, value) = root.get("metadata").unwrap().entry("id").unwrap();
    assert_eq!(&src[key.span.start..key.span.end], "id");
    assert_eq!((key.span.line, key.span.col), (2, 3));
    assert_eq!(&src[value.span.start..value.span.end], "\"é-x\"");
    assert_eq!((value.span.end_line, value.span.end_col), (2, 12));
    let items = root.get("list").unwrap().as_seq().unwrap();
    assert_eq!(&src[items[1].span.start..items[1].span.end], "'two'");
    assert_eq!((items[1].span.line, items[1].span.col), (5, 5));
    let list = root.get("list").unwrap();
    assert_eq!(&src[list.span.start..list.span.end], "- one\n  - 'two'");
}

#[test]
fn limits_stop_hostile_input() {
    let limits = ParseLimits {
        max_bytes: 10,
        ..ParseLimits::default()
    };
    let parsed = parse_policy_with("a: 12345678901", &limits);
    assert_eq!(parsed.diagnostics[0].code, "LC002");

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let parsed = parse_policy(&deep);
    assert!(parsed.root.is_none());
    // The scanner looks ahead through flow collections and stops at 255 levels by itself.
    assert!(["LC001", "LC003"].contains(&parsed.diagnostics[0].code.as_str()));
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert_eq!(parse_policy(&deep).diagnostics[0].code, "LC003");

    let block_deep: String = (0..10_000)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .collect();
    let parsed = parse_policy(&block_deep);
    assert!(parsed.root.is_none());

    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    let parsed = parse_policy(&bomb);
    assert!(parsed.root.is_none());
    assert_eq!(parsed.diagnostics[0].code, "LC004");
}

#[test]
fn parse_value_fails_only_on_blockers() {
    assert_eq!(
        canonical_json(&parse_value("a: 1\na: 2\n").unwrap()),
        r#"{"a":2}"#
    );
    assert!(matches!(parse_value(""), Ok(Value::Null)));
    let error = parse_value("a: [").unwrap_err();
    assert!(error.to_string().contains("line"));
}
