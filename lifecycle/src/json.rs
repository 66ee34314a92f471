//! JSON text exactly as CAVRA's Python writes it.
//!
//! Two layouts matter:
//!
//! - [`canonical_json`]: `json.dumps(v, sort_keys=True, separators=(",", ":"))`, the text that
//!   the policy digest hashes;
//! - [`python_pretty`] / [`python_pretty_value`]: `json.dumps(v, indent=2) + "\n"`, the layout of
//!   every file and report CAVRA writes.
//!
//! Both use Python's defaults: `ensure_ascii` (non-ASCII as lowercase `\uXXXX`, astral characters
//! as surrogate pairs), floats in `repr` form, `NaN`/`Infinity` for non-finite floats.
//!
//! The module also holds [`python_repr`] and [`python_str`], Python's `repr()`/`str()` of a
//! loaded value, which CAVRA's messages and normalisation embed.

use std::cmp::Ordering;

use crate::value::{python_float_repr, Value};

/// Python `json.dumps(value, sort_keys=True, separators=(",", ":"))`.
///
/// Mapping keys are sorted by code point. Non-string keys are ordered the way Python compares
/// them (numbers numerically) and then written as strings (`1` → `"1"`, `True` → `"true"`,
/// `None` → `"null"`). A mapping that mixes strings with other key types makes Python raise a
/// `TypeError`; we still produce text, ordering `null` keys first, then numbers, then strings.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let mut sorted: Vec<&(Value, Value)> = entries.iter().collect();
            sorted.sort_by(|a, b| compare_keys(&a.0, &b.0));
            out.push('{');
            for (index, (key, item)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_string(out, &json_key(key));
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
        scalar => write_scalar(out, scalar),
    }
}

/// Orders mapping keys the way Python's `sorted()` does for the key types that can be compared.
pub(crate) fn compare_keys(a: &Value, b: &Value) -> Ordering {
    fn class(value: &Value) -> u8 {
        match value {
            Value::Null => 0,
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => 1,
            Value::Str(_) => 2,
            Value::List(_) | Value::Map(_) => 3,
        }
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        _ => match class(a).cmp(&class(b)) {
            Ordering::Equal if class(a) == 1 => {
                number(a).partial_cmp(&number(b)).unwrap_or(Ordering::Equal)
            }
            other => other,
        },
    }
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Bool(b) => f64::from(u8::from(*b)),
        #[expect(clippy::cast_precision_loss, reason = "only orders keys")]
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

/// How Python's JSON encoder turns a mapping key into a string.
fn json_key(key: &Value) -> String {
    match key {
        Value::Str(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(true) => "true".to_owned(),
        Value::Bool(false) => "false".to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => python_float_repr(*f),
        // Python raises on these; there is no right answer, so keep something readable.
        Value::List(_) | Value::Map(_) => python_repr(key),
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&python_float_repr(*f)),
        Value::Str(s) => write_json_string(out, s),
        Value::List(_) | Value::Map(_) => {}
    }
}

/// Writes a JSON string literal with Python's `ensure_ascii=True` escaping.
pub(crate) fn write_json_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(ch),
            _ => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python `json.dumps(value, indent=2) + "\n"` for a JSON value (insertion key order).
pub fn python_pretty(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_pretty_json(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_pretty_json(out: &mut String, value: &serde_json::Value, level: usize) {
    match value {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(&python_float_repr(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        serde_json::Value::String(s) => write_json_string(out, s),
        serde_json::Value::Array(items) => {
            write_pretty_items(out, ('[', ']'), items.iter(), level, write_pretty_json);
        }
        serde_json::Value::Object(map) => {
            write_pretty_items(
                out,
                ('{', '}'),
                map.iter(),
                level,
                |out, (key, item), level| {
                    write_json_string(out, key);
                    out.push_str(": ");
                    write_pretty_json(out, item, level);
                },
            );
        }
    }
}

/// Python `json.dumps(value, indent=2) + "\n"` for a loaded value: insertion key order,
/// non-string keys written as Python's encoder writes them, `NaN`/`Infinity` kept.
pub fn python_pretty_value(value: &Value) -> String {
    let mut out = String::new();
    write_pretty_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_pretty_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::List(items) => {
            write_pretty_items(out, ('[', ']'), items.iter(), level, write_pretty_value);
        }
        Value::Map(entries) => {
            write_pretty_items(
                out,
                ('{', '}'),
                entries.iter(),
                level,
                |out, (key, item), level| {
                    write_json_string(out, &json_key(key));
                    out.push_str(": ");
                    write_pretty_value(out, item, level);
                },
            );
        }
        scalar => write_scalar(out, scalar),
    }
}

/// The one `indent=2` layout of a list or mapping, shared by both pretty writers: `[]`/`{}` when
/// empty, else one item per line, indented one level deeper, and the closing bracket on its own
/// line. `write_item` writes an item (for a mapping, `"key": value`) at the given level.
fn write_pretty_items<T>(
    out: &mut String,
    (open, close): (char, char),
    items: impl ExactSizeIterator<Item = T>,
    level: usize,
    mut write_item: impl FnMut(&mut String, T, usize),
) {
    out.push(open);
    if items.len() == 0 {
        out.push(close);
        return;
    }
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline_indent(out, level + 1);
        write_item(out, item, level + 1);
    }
    newline_indent(out, level);
    out.push(close);
}

fn newline_indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Python `repr()` of a loaded value: `'text'`, `True`, `None`, `1.0`, `[1, 'a']`, `{'k': 1}`.
///
/// jsonschema embeds this in its messages (`1.0 is not of type 'string'`).
pub fn python_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&float_repr(*f)),
        Value::Str(s) => write_str_repr(out, s),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_repr(out, key);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python `repr(float)`: like JSON's form but `nan`/`inf`/`-inf` for non-finite values.
fn float_repr(value: f64) -> String {
    if value.is_nan() {
        "nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        python_float_repr(value)
    }
}

/// Python `repr(str)`: single quotes unless the text holds `'` and no `"`.
pub(crate) fn write_str_repr(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                if code < 0x100 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
        }
    }
    out.push(quote);
}

/// An approximation of Python's `str.isprintable()` per character: control, format, separator
/// (other than space), surrogate and private-use characters are not printable. Unassigned code
/// points are treated as printable (we carry no Unicode tables).
fn is_printable(ch: char) -> bool {
    let code = u32::from(ch);
    !matches!(
        code,
        0..=0x1f
            | 0x7f..=0xa0
            | 0xad
            | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x1680
            | 0x180e
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x2064
            | 0x2066..=0x206f
            | 0x3000
            | 0xd800..=0xf8ff
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
            | 0xf0000..=0x10ffff
    )
}

/// Python `str()` of a loaded value: strings as they are, scalars as `str()` prints them,
/// containers in `repr` form. CAVRA's `normalize_policy` applies this to list items.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => python_repr(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    fn map(entries: Vec<(Value, Value)>) -> Value {
        Value::Map(entries)
    }

    fn check(value: &Value, expect: &str) {
        assert_eq!(canonical_json(value), expect);
    }

    #[test]
    fn canonical_sorts_keys_and_escapes() {
        check(&map(vec![]), "{}");
        check(
            &map(vec![(s("b"), Value::Int(1)), (s("a"), Value::List(vec![]))]),
            r#"{"a":[],"b":1}"#,
        );
        check(&s("é😀"), r#""\u00e9\ud83d\ude00""#);
        check(&s("a\"b\\\n\u{1}\u{7f}"), r#""a\"b\\\n\u0001\u007f""#);
        check(&Value::Float(1e16), "1e+16");
        check(&Value::Float(f64::NAN), "NaN");
        check(&Value::Float(f64::NEG_INFINITY), "-Infinity");
        check(
            &Value::List(vec![Value::Null, Value::Bool(true), Value::Float(1.0)]),
            "[null,true,1.0]",
        );
    }

    #[test]
    fn canonical_orders_non_string_keys_like_python() {
        // Integer keys sort numerically, then become strings.
        check(
            &map(vec![
                (Value::Int(10), s("c")),
                (Value::Int(2), s("b")),
                (Value::Int(1), s("a")),
            ]),
            r#"{"1":"a","2":"b","10":"c"}"#,
        );
        check(
            &map(vec![(Value::Bool(true), Value::Null)]),
            r#"{"true":null}"#,
        );
        check(&map(vec![(Value::Null, Value::Int(1))]), r#"{"null":1}"#);
        check(
            &map(vec![(Value::Float(2.5), s("x")), (Value::Int(2), s("y"))]),
            r#"{"2":"y","2.5":"x"}"#,
        );
        // Code-point order, not UTF-16 order.
        check(
            &map(vec![
                (s("\u{ff61}"), Value::Int(1)),
                (s("😀"), Value::Int(2)),
            ]),
            r#"{"\uff61":1,"\ud83d\ude00":2}"#,
        );
    }

    #[test]
    fn pretty_matches_python_layout() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,{"x":[]},{}],"a":"é","f":1.0,"n":null}"#).unwrap();
        assert_eq!(
            python_pretty(&value),
            "{\n  \"b\": [\n    1,\n    {\n      \"x\": []\n    },\n    {}\n  ],\n  \"a\": \"\\u00e9\",\n  \"f\": 1.0,\n  \"n\": null\n}\n"
        );
        assert_eq!(python_pretty(&serde_json::json!([])), "[]\n");
        let loaded = map(vec![(Value::Int(1), Value::Float(f64::INFINITY))]);
        assert_eq!(python_pretty_value(&loaded), "{\n  \"1\": Infinity\n}\n");
        // Both writers share one layout: a loaded value prints as its JSON does.
        assert_eq!(
            python_pretty_value(&Value::from_json(&value)),
            python_pretty(&value)
        );
    }

    #[test]
    fn repr_matches_python() {
        let cases = [
            (s("bad"), "'bad'"),
            (s("it's"), "\"it's\""),
            (s("it's \"x\""), "'it\\'s \"x\"'"),
            (s("tab\there\u{0}é\u{a0}"), "'tab\\there\\x00é\\xa0'"),
            (Value::Float(1.0), "1.0"),
            (Value::Float(f64::NAN), "nan"),
            (Value::Float(f64::NEG_INFINITY), "-inf"),
            (Value::Null, "None"),
            (Value::Bool(false), "False"),
            (
                Value::List(vec![Value::Int(1), s("a"), Value::List(vec![])]),
                "[1, 'a', []]",
            ),
            (
                map(vec![
                    (s("k"), Value::Null),
                    (Value::Int(2), Value::Bool(true)),
                ]),
                "{'k': None, 2: True}",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(python_repr(&value), want);
        }
        assert_eq!(python_str(&s("x")), "x");
        assert_eq!(python_str(&Value::Null), "None");
    }
}
