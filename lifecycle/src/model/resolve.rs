//! PyYAML's YAML 1.1 typing of scalars (`yaml.SafeLoader`'s implicit resolvers and
//! constructors), written out by hand so the same text loads to the same Python value.
//!
//! Only plain (unquoted) scalars are typed implicitly; quoted and block scalars are strings.
//! The rules, from PyYAML's `resolver.py` and `constructor.py`:
//!
//! - bool: `yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`
//!   (so `y`/`n` stay strings);
//! - null: ``, `~`, `null`, `Null`, `NULL`;
//! - int: `0b…` binary, `0…` octal (`010` → 8), `0x…` hex, decimal, sexagesimal `1:30` → 90,
//!   underscores ignored, an optional sign (but no `0o` prefix: `0o10` is a string);
//! - float: needs a `.` (`1e16` is a string, `1.0e+16` a float, and the exponent needs a sign),
//!   `.inf`, `-.inf`, `.nan`, sexagesimal `1:30.5`;
//! - timestamps (`2024-01-31`) load as dates, which CAVRA cannot serialise, so we report them;
//! - `<<` is a merge key, `=` is a plain string.

use super::NodeValue;

/// What a scalar loads as.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    /// An ordinary value.
    Value(NodeValue),
    /// The YAML 1.1 merge key `<<`.
    Merge,
    /// A date or timestamp (Python `datetime`), which CAVRA cannot serialise.
    Timestamp,
    /// A value PyYAML refuses to construct; the message says why.
    Error(String),
}

/// Types a plain scalar by PyYAML's implicit resolvers.
pub(crate) fn resolve_plain(text: &str) -> Resolved {
    if is_bool(text) {
        return Resolved::Value(NodeValue::Bool(matches!(
            text,
            "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
        )));
    }
    if is_float(text) {
        return match construct_float(text) {
            Some(f) => Resolved::Value(NodeValue::Float(f)),
            None => Resolved::Error(format!("cannot read `{text}` as a float")),
        };
    }
    if is_int(text) {
        return construct_int(text);
    }
    if text == "<<" {
        return Resolved::Merge;
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Resolved::Value(NodeValue::Null);
    }
    if is_timestamp(text) {
        return Resolved::Timestamp;
    }
    Resolved::Value(NodeValue::Str(text.to_owned()))
}

/// Types a scalar with an explicit tag (`!!str 10`, `!!int "0x1F"`). `tag` is the full tag
/// (`tag:yaml.org,2002:int`); the non-specific tag `!` means "resolve as if plain", as in PyYAML.
pub(crate) fn resolve_tagged(tag: &str, text: &str) -> Resolved {
    let Some(kind) = tag.strip_prefix("tag:yaml.org,2002:") else {
        if tag == "!" {
            return resolve_plain(text);
        }
        return Resolved::Error(format!(
            "could not determine a constructor for the tag `{tag}`"
        ));
    };
    match kind {
        "str" => Resolved::Value(NodeValue::Str(text.to_owned())),
        "null" => Resolved::Value(NodeValue::Null),
        "bool" => match text.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" => Resolved::Value(NodeValue::Bool(true)),
            "no" | "false" | "off" => Resolved::Value(NodeValue::Bool(false)),
            _ => Resolved::Error(format!("cannot read `{text}` as a boolean")),
        },
        "int" => construct_int(text),
        "float" => match construct_float(text) {
            Some(f) => Resolved::Value(NodeValue::Float(f)),
            None => Resolved::Error(format!("cannot read `{text}` as a float")),
        },
        "timestamp" => Resolved::Timestamp,
        "merge" => Resolved::Merge,
        other => Resolved::Error(format!(
            "the YAML tag `!!{other}` is not supported in policy packs"
        )),
    }
}

fn is_bool(text: &str) -> bool {
    matches!(
        text,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn strip_sign(text: &str) -> &str {
    text.strip_prefix(['-', '+']).unwrap_or(text)
}

fn all(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    text.bytes().all(allowed)
}

fn is_digit_or_underscore(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// `[0-9][0-9_]*`
fn is_digits_underscores(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_digit) && all(text, is_digit_or_underscore)
}

/// `(?::[0-5]?[0-9])+` over the text after the leading number, which must start with `:`.
fn is_sexagesimal_tail(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(':') else {
        return false;
    };
    rest.split(':').all(|group| match group.as_bytes() {
        [d] => d.is_ascii_digit(),
        [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
        _ => false,
    })
}

/// PyYAML's int regex.
fn is_int(text: &str) -> bool {
    let body = strip_sign(text);
    if let Some(bits) = body.strip_prefix("0b") {
        return !bits.is_empty() && all(bits, |b| matches!(b, b'0' | b'1' | b'_'));
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && all(hex, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if let Some(octal) = body.strip_prefix('0') {
        return octal.is_empty() || all(octal, |b| matches!(b, b'0'..=b'7' | b'_'));
    }
    if !body
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
    {
        return false;
    }
    match body.find(':') {
        None => all(body, is_digit_or_underscore),
        Some(colon) => {
            let (head, tail) = body.split_at(colon);
            all(head, is_digit_or_underscore) && is_sexagesimal_tail(tail)
        }
    }
}

/// `([eE][-+][0-9]+)?` at the end of a float.
fn is_exponent_or_empty(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let Some(rest) = text.strip_prefix(['e', 'E']) else {
        return false;
    };
    let Some(digits) = rest.strip_prefix(['-', '+']) else {
        return false;
    };
    !digits.is_empty() && all(digits, |b| b.is_ascii_digit())
}

/// PyYAML's float regex.
fn is_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let signed = strip_sign(text);
    if matches!(signed, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // `\.[0-9][0-9_]*(exp)?` takes no sign.
    if let Some(fraction) = text.strip_prefix('.') {
        let digits_end = fraction
            .bytes()
            .position(|b| !is_digit_or_underscore(b))
            .unwrap_or(fraction.len());
        let (digits, rest) = fraction.split_at(digits_end);
        return digits.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && is_exponent_or_empty(rest);
    }
    let Some(dot) = signed.find('.') else {
        return false;
    };
    let (head, tail) = signed.split_at(dot);
    let fraction = tail.get(1..).unwrap_or("");
    let digits_end = fraction
        .bytes()
        .position(|b| !is_digit_or_underscore(b))
        .unwrap_or(fraction.len());
    let (_, rest) = fraction.split_at(digits_end);
    match head.find(':') {
        // `[0-9][0-9_]*\.[0-9_]*(exp)?`
        None => is_digits_underscores(head) && is_exponent_or_empty(rest),
        // `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
        Some(colon) => {
            let (number, groups) = head.split_at(colon);
            is_digits_underscores(number) && is_sexagesimal_tail(groups) && rest.is_empty()
        }
    }
}

/// PyYAML's `construct_yaml_int`, with Python's arbitrary-size integers reported as errors
/// when they do not fit in 64 bits.
fn construct_int(text: &str) -> Resolved {
    let cleaned: String = text.replace('_', "");
    let cleaned = cleaned.trim();
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, cleaned.get(1..).unwrap_or("")),
        Some(b'+') => (false, cleaned.get(1..).unwrap_or("")),
        Some(_) => (false, cleaned),
        None => return Resolved::Error(format!("cannot read `{text}` as an integer")),
    };
    let magnitude: Option<i128> = if body == "0" {
        Some(0)
    } else if let Some(bits) = body.strip_prefix("0b") {
        i128::from_str_radix(bits, 2).ok()
    } else if let Some(hex) = body.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if body.starts_with('0') {
        i128::from_str_radix(body, 8).ok()
    } else if body.contains(':') {
        body.split(':').try_fold(0i128, |total, part| {
            let part: i128 = part.parse().ok()?;
            total.checked_mul(60)?.checked_add(part)
        })
    } else {
        body.parse::<i128>().ok()
    };
    let Some(magnitude) = magnitude else {
        if !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b':') {
            // Digits that overflow i128 still form a valid (huge) Python int.
            let digits_only = body.bytes().all(|b| b.is_ascii_digit() || b == b':');
            if digits_only {
                return too_large(text);
            }
        }
        return Resolved::Error(format!("cannot read `{text}` as an integer"));
    };
    let signed = if negative { -magnitude } else { magnitude };
    match i64::try_from(signed) {
        Ok(value) => Resolved::Value(NodeValue::Int(value)),
        Err(_) => too_large(text),
    }
}

fn too_large(text: &str) -> Resolved {
    Resolved::Error(format!(
        "the integer `{text}` does not fit in 64 bits; CAVRA would hash it exactly but this tool cannot"
    ))
}

/// PyYAML's `construct_yaml_float`.
fn construct_float(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "").to_ascii_lowercase();
    let cleaned = cleaned.trim();
    let (sign, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (-1.0, cleaned.get(1..).unwrap_or("")),
        Some(b'+') => (1.0, cleaned.get(1..).unwrap_or("")),
        Some(_) => (1.0, cleaned),
        None => return None,
    };
    if body == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Some(f64::NAN);
    }
    if body.contains(':') {
        let mut value = 0.0;
        let mut base = 1.0;
        for part in body.split(':').rev() {
            let digit: f64 = parse_python_float(part)?;
            value += digit * base;
            base *= 60.0;
        }
        return Some(sign * value);
    }
    Some(sign * parse_python_float(body)?)
}

/// Python's `float(text)` for the forms that reach it (digits, `.`, exponent, `inf`, `nan`).
fn parse_python_float(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}

/// PyYAML's timestamp regex:
/// `YYYY-MM-DD` or `YYYY-M-D(T|t|[ \t]+)H:MM:SS(.frac)?([ \t]*(Z|[-+]H(:MM)?))?`.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut cursor = Cursor { bytes, pos: 0 };
    let date_only = bytes.len() == 10
        && cursor.digits(4, 4)
        && cursor.eat(b'-')
        && cursor.digits(2, 2)
        && cursor.eat(b'-')
        && cursor.digits(2, 2)
        && cursor.at_end();
    if date_only {
        return true;
    }
    let mut c = Cursor { bytes, pos: 0 };
    if !(c.digits(4, 4) && c.eat(b'-') && c.digits(1, 2) && c.eat(b'-') && c.digits(1, 2)) {
        return false;
    }
    if !(c.eat(b'T') || c.eat(b't') || c.blanks() > 0) {
        return false;
    }
    if !(c.digits(1, 2) && c.eat(b':') && c.digits(2, 2) && c.eat(b':') && c.digits(2, 2)) {
        return false;
    }
    if c.eat(b'.') {
        c.digits(0, usize::MAX);
    }
    if c.at_end() {
        return true;
    }
    c.blanks();
    if c.eat(b'Z') {
        return c.at_end();
    }
    if !(c.eat(b'-') || c.eat(b'+')) || !c.digits(1, 2) {
        return false;
    }
    if c.eat(b':') && !c.digits(2, 2) {
        return false;
    }
    c.at_end()
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, want: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&want) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes between `min` and `max` ASCII digits (greedily).
    fn digits(&mut self, min: usize, max: usize) -> bool {
        let mut count = 0;
        while count < max && self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
            count += 1;
        }
        count >= min
    }

    fn blanks(&mut self) -> usize {
        let mut count = 0;
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t')) {
            self.pos += 1;
            count += 1;
        }
        count
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: &str) {
        let got = match resolve_plain(text) {
            Resolved::Value(NodeValue::Null) => "null".to_owned(),
            Resolved::Value(NodeValue::Bool(b)) => format!("bool {b}"),
            Resolved::Value(NodeValue::Int(i)) => format!("int {i}"),
            Resolved::Value(NodeValue::Float(f)) => {
                format!("float {}", crate::value::python_float_repr(f))
            }
            Resolved::Value(NodeValue::Str(s)) => format!("str {s}"),
            Resolved::Value(_) => "container".to_owned(),
            Resolved::Merge => "merge".to_owned(),
            Resolved::Timestamp => "timestamp".to_owned(),
            Resolved::Error(_) => "error".to_owned(),
        };
        assert_eq!(got, expect, "resolving `{text}`");
    }

    #[test]
    fn booleans() {
        for text in [
            "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            check(text, "bool true");
        }
        for text in [
            "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            check(text, "bool false");
        }
        for text in ["y", "n", "Y", "yES", "oN", "tRUE"] {
            check(text, &format!("str {text}"));
        }
    }

    #[test]
    fn nulls() {
        for text in ["", "~", "null", "Null", "NULL"] {
            check(text, "null");
        }
        check("nULL", "str nULL");
        check("None", "str None");
    }

    #[test]
    fn integers() {
        check("0", "int 0");
        check("-0", "int 0");
        check("42", "int 42");
        check("+42", "int 42");
        check("-17", "int -17");
        check("010", "int 8");
        check("0_10", "int 8");
        check("09", "str 09");
        check("0o10", "str 0o10");
        check("0x1F", "int 31");
        check("0x_1f", "int 31");
        check("-0x10", "int -16");
        check("0b101", "int 5");
        check("1_000", "int 1000");
        check("1:30", "int 90");
        check("1:30:05", "int 5405");
        check("-1:30", "int -90");
        check("1:60", "str 1:60");
        check("0:30", "str 0:30");
        check("9223372036854775807", "int 9223372036854775807");
        check("9223372036854775808", "error");
        check("0b_", "error");
        check("0x", "str 0x");
        check("0b", "str 0b");
    }

    #[test]
    fn floats() {
        check("1.0", "float 1.0");
        check("1.", "float 1.0");
        check(".5", "float 0.5");
        check("-.5", "str -.5");
        check("1e16", "str 1e16");
        check("1.0e16", "str 1.0e16");
        check("1.0e+16", "float 1e+16");
        check("1.5E-3", "float 0.0015");
        check("1_000.5", "float 1000.5");
        check(".inf", "float Infinity");
        check("-.Inf", "float -Infinity");
        check("+.INF", "float Infinity");
        check(".nan", "float NaN");
        check("-.nan", "str -.nan");
        check("1:30.5", "float 90.5");
        check("0.1.0", "str 0.1.0");
        check("1.2.3", "str 1.2.3");
        check(".", "str .");
        check("._", "str ._");
    }

    #[test]
    fn timestamps_and_specials() {
        check("2024-01-31", "timestamp");
        check("2001-12-14t21:59:43.10-05:00", "timestamp");
        check("2001-12-14 21:59:43.10 -5", "timestamp");
        check("2001-12-15 2:59:43.10", "timestamp");
        check("2001-12-15T02:59:43.1Z", "timestamp");
        check("2024-1-31", "str 2024-1-31");
        check("2024-01-31x", "str 2024-01-31x");
        check("<<", "merge");
        check("=", "str =");
    }

    #[test]
    fn explicit_tags() {
        let int = resolve_tagged("tag:yaml.org,2002:int", "0x1F");
        assert_eq!(int, Resolved::Value(NodeValue::Int(31)));
        let text = resolve_tagged("tag:yaml.org,2002:str", "10");
        assert_eq!(text, Resolved::Value(NodeValue::Str("10".into())));
        let float = resolve_tagged("tag:yaml.org,2002:float", "1");
        assert_eq!(float, Resolved::Value(NodeValue::Float(1.0)));
        let plain = resolve_tagged("!", "7");
        assert_eq!(plain, Resolved::Value(NodeValue::Int(7)));
        assert!(matches!(resolve_tagged("!foo", "x"), Resolved::Error(_)));
        assert!(matches!(
            resolve_tagged("tag:yaml.org,2002:int", "abc"),
            Resolved::Error(_)
        ));
        assert!(matches!(
            resolve_tagged("tag:yaml.org,2002:bool", "maybe"),
            Resolved::Error(_)
        ));
    }
}
