//! A policy value as CAVRA's Python reference sees it after `yaml.safe_load`.
//!
//! CAVRA hashes and compares the loaded Python object, not the file, so we keep a value model with
//! the same distinctions Python makes: integers and floats are different types, mapping keys may
//! be non-strings (YAML `1: x`), and mappings keep insertion order (Python dicts do).

use std::fmt;

/// A half-open byte range into the policy source, with 1-based line/column of its start and end.
///
/// Columns count Unicode scalar values; [`Span::utf16_columns`] converts for editors that count
/// UTF-16 units (Monaco).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`.
    pub col: u32,
    /// 1-based line of `end`.
    pub end_line: u32,
    /// 1-based column of `end`.
    pub end_col: u32,
}

impl Span {
    /// Converts the span's columns from Unicode scalar values to UTF-16 code units, given the
    /// source the span points into. Returns `(col, end_col)`.
    pub fn utf16_columns(&self, source: &str) -> (u32, u32) {
        let convert = |offset: usize| -> u32 {
            let offset = offset.min(source.len());
            let line_start = source
                .get(..offset)
                .and_then(|head| head.rfind('\n').map(|i| i + 1))
                .unwrap_or(0);
            let units: usize = source
                .get(line_start..offset)
                .map(|s| s.encode_utf16().count())
                .unwrap_or(0);
            u32::try_from(units + 1).unwrap_or(u32::MAX)
        };
        (convert(self.start), convert(self.end))
    }
}

/// A loaded policy value with Python semantics.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// YAML `null`, `~` or an empty value (Python `None`).
    #[default]
    Null,
    /// A boolean (YAML 1.1 also types `yes`/`no`/`on`/`off` as booleans).
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float; Python prints it with `repr`.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    List(Vec<Value>),
    /// A mapping in insertion order. Keys are usually strings but YAML allows any scalar.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// Looks up a string key in a mapping; `None` for non-mappings and missing keys.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Looks up a dotted path of string keys (`"filesystem.block_read"`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// Python truthiness: `None`, `False`, `0`, `0.0`, `""`, `[]` and `{}` are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(entries) => !entries.is_empty(),
        }
    }

    /// The string inside a `Str`, else `None`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a `List`, else `None`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a `Map`, else `None`.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is a mapping (Python `isinstance(x, dict)`).
    pub fn is_map(&self) -> bool {
        matches!(self, Value::Map(_))
    }

    /// Python's `str(x)` for scalars (`None`, `True`, `1.0`); containers use a JSON-like form.
    pub fn python_str(&self) -> String {
        match self {
            Value::Null => "None".to_owned(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => python_float_repr(*f),
            Value::Str(s) => s.clone(),
            Value::List(_) | Value::Map(_) => self.to_json().to_string(),
        }
    }

    /// Converts to a JSON value: non-string keys become their Python `str`, floats that JSON
    /// cannot hold (NaN, infinities) become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.python_str(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Converts from JSON; integers outside `i64` become floats.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (Value::Str(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Python `==`: `1 == 1.0 == True`, and dict equality ignores key order.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        fn number(v: &Value) -> Option<f64> {
            match v {
                Bool(b) => Some(f64::from(u8::from(*b))),
                // Policy integers are small; comparing through f64 matches Python for them.
                #[expect(clippy::cast_precision_loss, reason = "policy integers are small")]
                Int(i) => Some(*i as f64),
                Float(f) => Some(*f),
                _ => None,
            }
        }
        match (self, other) {
            (Null, Null) => true,
            (Str(a), Str(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v == v2))
            }
            (Int(a), Int(b)) => a == b,
            _ => match (number(self), number(other)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.python_str())
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in positional notation for
/// exponents from -4 to 15 and scientific (`1e+16`, `1.5e-07`) outside it.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // `{:e}` yields the shortest round-trip digits, e.g. `1.5e-7`, `1e16`, `-0e0`.
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // position of the decimal point within `digits`
        let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        let body = if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            format!("0.{zeros}{digits}")
        } else if point >= len {
            let zeros = "0".repeat(usize::try_from(point - len).unwrap_or(0));
            format!("{digits}{zeros}.0")
        } else {
            let split = usize::try_from(point).unwrap_or(0);
            format!("{}.{}", &digits[..split], &digits[split..])
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::INFINITY, "Infinity"),
        ];
        for (value, want) in cases {
            assert_eq!(python_float_repr(value), want, "repr of {value}");
        }
    }

    #[test]
    fn python_equality_and_truthiness() {
        assert_eq!(Value::Int(1), Value::Float(1.0));
        assert_eq!(Value::Bool(true), Value::Int(1));
        assert_ne!(Value::Str("1".into()), Value::Int(1));
        let a = Value::Map(vec![
            (Value::Str("a".into()), Value::Int(1)),
            (Value::Str("b".into()), Value::Int(2)),
        ]);
        let b = Value::Map(vec![
            (Value::Str("b".into()), Value::Int(2)),
            (Value::Str("a".into()), Value::Int(1)),
        ]);
        assert_eq!(a, b);
        assert!(!Value::List(vec![]).truthy());
        assert!(!Value::Str(String::new()).truthy());
        assert!(Value::Float(0.5).truthy());
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let source = "a: \"😀x\"\n";
        // `x` sits after one astral character: scalar column 6, UTF-16 column 7.
        let span = Span {
            start: 8,
            end: 9,
            line: 1,
            col: 6,
            end_line: 1,
            end_col: 7,
        };
        assert_eq!(span.utf16_columns(source), (7, 8));
    }
}
