//! Python's `str()`, `repr()` and `str.strip()` for the values CAVRA converts before matching.
//!
//! CAVRA runs `str(x)` over request fields and pattern list items, so a JSON `null` becomes the
//! text `None`, `true` becomes `True` and a list becomes `['a', 1]`. We reproduce those spellings
//! so that patterns match the same texts.

use std::borrow::Cow;

use crate::json::write_str_repr;
use crate::value::{python_float_repr, Value};

/// Python `str(x)` of a JSON value.
pub fn json_str(value: &serde_json::Value) -> Cow<'_, str> {
    match value {
        serde_json::Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(json_repr(other)),
    }
}

/// Python `repr(x)` of a JSON value (strings quoted).
pub fn json_repr(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_json_repr(&mut out, value);
    out
}

fn write_json_repr(out: &mut String, value: &serde_json::Value) {
    match value {
        serde_json::Value::Null => out.push_str("None"),
        serde_json::Value::Bool(true) => out.push_str("True"),
        serde_json::Value::Bool(false) => out.push_str("False"),
        serde_json::Value::Number(n) => out.push_str(&json_number_str(n)),
        serde_json::Value::String(s) => write_str_repr(out, s),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_repr(out, item);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, key);
                out.push_str(": ");
                write_json_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python `str()` of a JSON number: integers as digits, floats with `repr`.
pub fn json_number_str(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        python_float_repr(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Python `str(x)` of a policy value (containers in `repr` form, as Python prints them).
pub fn value_str(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Str(s) => Cow::Borrowed(s),
        other => Cow::Owned(crate::json::python_str(other)),
    }
}

/// Python `str.strip()` with no argument: Unicode whitespace plus the ASCII separators
/// U+001C..U+001F, which Python counts as whitespace and Rust does not.
pub fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

/// Whether Python's `str.isspace()` holds for `c`: Unicode whitespace plus U+001C..U+001F.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python truthiness of a JSON value.
pub fn json_truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Array(items) => !items.is_empty(),
        serde_json::Value::Object(map) => !map.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn str_matches_python() {
        assert_eq!(json_str(&json!(null)), "None");
        assert_eq!(json_str(&json!(true)), "True");
        assert_eq!(json_str(&json!(1)), "1");
        assert_eq!(json_str(&json!(1.0)), "1.0");
        assert_eq!(json_str(&json!(["a", 1, null])), "['a', 1, None]");
        assert_eq!(json_str(&json!({"k": "it's"})), "{'k': \"it's\"}");
        assert_eq!(python_strip("\u{1f} push \n"), "push");
    }
}
