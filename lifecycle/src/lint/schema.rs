//! CAVRA's strict policy schema (`src/cavra/schemas/policy.schema.json`), checked by hand with
//! the error messages and order of Python's `jsonschema.Draft202012Validator` (4.26).
//!
//! jsonschema visits a schema's keywords in the order the file lists them, then CAVRA sorts the
//! errors (stably) by their path. Messages embed Python `repr()` of the offending value.

use std::cmp::Ordering;

use crate::json::{compare_keys, python_repr, python_str};
use crate::sections::POLICY_SECTIONS;
use crate::value::Value;

/// One step of an error path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PathSeg {
    Key(Value),
    Index(usize),
}

/// What a schema error points at, for positioning it in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Focus {
    /// The value at the error path.
    Value,
    /// A required property is missing from the mapping at the path.
    MissingKey,
    /// A key that is not allowed, inside the mapping at the path.
    ExtraKey(Value),
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SchemaError {
    pub path: Vec<PathSeg>,
    pub message: String,
    pub focus: Focus,
}

impl SchemaError {
    /// CAVRA's `format_validation_error`: `"<dotted.path or <root>>: <message>"`.
    pub fn formatted(&self) -> String {
        format!("{}: {}", dotted(&self.path), self.message)
    }
}

/// `".".join(str(p) for p in path) or "<root>"`.
pub(crate) fn dotted(path: &[PathSeg]) -> String {
    if path.is_empty() {
        return "<root>".to_owned();
    }
    path.iter()
        .map(|segment| match segment {
            PathSeg::Key(key) => python_str(key),
            PathSeg::Index(index) => index.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

const MODES: [&str; 4] = ["audit_only", "enforce", "strict_regulated", "break_glass"];
const RISKS: [&str; 4] = ["low", "medium", "high", "critical"];

/// Validates a policy against the strict schema; errors come sorted as CAVRA sorts them.
pub(crate) fn validate(policy: &Value) -> Vec<SchemaError> {
    let mut errors = Vec::new();
    let mut path = Vec::new();
    root(policy, &mut path, &mut errors);
    errors.sort_by(|a, b| compare_paths(&a.path, &b.path));
    errors
}

fn compare_paths(a: &[PathSeg], b: &[PathSeg]) -> Ordering {
    fn as_value(segment: &PathSeg) -> Value {
        match segment {
            PathSeg::Key(key) => key.clone(),
            PathSeg::Index(index) => Value::Int(i64::try_from(*index).unwrap_or(i64::MAX)),
        }
    }
    for (x, y) in a.iter().zip(b.iter()) {
        let order = compare_keys(&as_value(x), &as_value(y));
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

struct Ctx<'a> {
    path: &'a mut Vec<PathSeg>,
    errors: &'a mut Vec<SchemaError>,
}

fn push(path: &[PathSeg], errors: &mut Vec<SchemaError>, message: String, focus: Focus) {
    errors.push(SchemaError {
        path: path.to_vec(),
        message,
        focus,
    });
}

fn type_error(path: &[PathSeg], errors: &mut Vec<SchemaError>, value: &Value, kind: &str) {
    push(
        path,
        errors,
        format!("{} is not of type '{kind}'", python_repr(value)),
        Focus::Value,
    );
}

/// `properties`: visits each listed property present in the mapping, in schema order.
fn property<'v>(entries: &'v [(Value, Value)], name: &str) -> Option<(&'v Value, &'v Value)> {
    entries
        .iter()
        .find(|(key, _)| matches!(key, Value::Str(k) if k == name))
        .map(|(key, value)| (key, value))
}

fn with_key(
    path: &mut Vec<PathSeg>,
    key: &Value,
    errors: &mut Vec<SchemaError>,
    check: impl FnOnce(&mut Ctx<'_>),
) {
    path.push(PathSeg::Key(key.clone()));
    check(&mut Ctx {
        path: &mut *path,
        errors: &mut *errors,
    });
    path.pop();
}

fn root(policy: &Value, path: &mut Vec<PathSeg>, errors: &mut Vec<SchemaError>) {
    // "type": "object"
    let Value::Map(entries) = policy else {
        type_error(path, errors, policy, "object");
        return;
    };
    // "required": ["metadata"]
    if property(entries, "metadata").is_none() {
        push(
            path,
            errors,
            "'metadata' is a required property".to_owned(),
            Focus::MissingKey,
        );
    }
    // "properties". jsonschema visits them in the schema's order (`compliance` before
    // `approvals`), but `validate` sorts the errors by path and no two sections share a path, so
    // visiting them in CAVRA's section order gives the same result.
    for name in POLICY_SECTIONS {
        if let Some((key, value)) = property(entries, name) {
            let check = section_check(name);
            with_key(path, key, errors, |ctx| check(value, ctx));
        }
    }
}

/// The schema of a top-level section; `approvals` and `evidence` are free-form objects.
fn section_check(name: &str) -> fn(&Value, &mut Ctx<'_>) {
    match name {
        "metadata" => metadata,
        "filesystem" => filesystem,
        "commands" => commands,
        "git" => git,
        "mcp" => mcp,
        "compliance" => compliance,
        _ => plain_object,
    }
}

fn object<'v>(value: &'v Value, ctx: &mut Ctx<'_>) -> Option<&'v [(Value, Value)]> {
    match value {
        Value::Map(entries) => Some(entries),
        other => {
            type_error(ctx.path, ctx.errors, other, "object");
            None
        }
    }
}

fn plain_object(value: &Value, ctx: &mut Ctx<'_>) {
    let _ = object(value, ctx);
}

fn metadata(value: &Value, ctx: &mut Ctx<'_>) {
    let Some(entries) = object(value, ctx) else {
        return;
    };
    for field in ["id", "title", "description", "version"] {
        if property(entries, field).is_none() {
            push(
                ctx.path,
                ctx.errors,
                format!("'{field}' is a required property"),
                Focus::MissingKey,
            );
        }
    }
    for field in ["id", "title", "description", "version"] {
        if let Some((key, item)) = property(entries, field) {
            with_key(ctx.path, key, ctx.errors, |ctx| {
                non_empty_string(item, ctx);
                if field == "id" {
                    if let Value::Str(text) = item {
                        if !matches_id_pattern(text) {
                            push(
                                ctx.path,
                                ctx.errors,
                                format!(
                                    "{} does not match '^cavra-[a-z0-9-]+$'",
                                    python_repr(item)
                                ),
                                Focus::Value,
                            );
                        }
                    }
                }
            });
        }
    }
    if let Some((key, item)) = property(entries, "inherits") {
        with_key(ctx.path, key, ctx.errors, |ctx| {
            let as_string = matches!(item, Value::Str(s) if !s.is_empty());
            let as_list = match item {
                Value::List(items) => {
                    !items.is_empty()
                        && items
                            .iter()
                            .all(|i| matches!(i, Value::Str(s) if !s.is_empty()))
                        && all_unique(items)
                }
                _ => false,
            };
            if !as_string && !as_list {
                push(
                    ctx.path,
                    ctx.errors,
                    format!(
                        "{} is not valid under any of the given schemas",
                        python_repr(item)
                    ),
                    Focus::Value,
                );
            }
        });
    }
    if let Some((key, item)) = property(entries, "mode") {
        with_key(ctx.path, key, ctx.errors, |ctx| {
            enumeration(item, &MODES, ctx);
        });
    }
}

/// `^cavra-[a-z0-9-]+$` with Python `re.search`, where `$` also matches before a final newline.
fn matches_id_pattern(text: &str) -> bool {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_prefix("cavra-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// `{"type": "string", "minLength": 1}`.
fn non_empty_string(value: &Value, ctx: &mut Ctx<'_>) {
    match value {
        Value::Str(text) if text.is_empty() => push(
            ctx.path,
            ctx.errors,
            "'' should be non-empty".to_owned(),
            Focus::Value,
        ),
        Value::Str(_) => {}
        other => type_error(ctx.path, ctx.errors, other, "string"),
    }
}

fn enumeration(value: &Value, allowed: &[&str], ctx: &mut Ctx<'_>) {
    if matches!(value, Value::Str(s) if allowed.contains(&s.as_str())) {
        return;
    }
    let listed: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    push(
        ctx.path,
        ctx.errors,
        format!(
            "{} is not one of [{}]",
            python_repr(value),
            listed.join(", ")
        ),
        Focus::Value,
    );
}

fn boolean(value: &Value, ctx: &mut Ctx<'_>) {
    if !matches!(value, Value::Bool(_)) {
        type_error(ctx.path, ctx.errors, value, "boolean");
    }
}

/// `$defs/stringList`: an array of non-empty strings without repeats.
fn string_list(value: &Value, ctx: &mut Ctx<'_>) {
    let Value::List(items) = value else {
        type_error(ctx.path, ctx.errors, value, "array");
        return;
    };
    for (index, item) in items.iter().enumerate() {
        ctx.path.push(PathSeg::Index(index));
        non_empty_string(item, ctx);
        ctx.path.pop();
    }
    if !all_unique(items) {
        push(
            ctx.path,
            ctx.errors,
            format!("{} has non-unique elements", python_repr(value)),
            Focus::Value,
        );
    }
}

/// A closed section (`additionalProperties: false`) whose listed properties are string lists.
fn closed_section(value: &Value, fields: &[&str], ctx: &mut Ctx<'_>) {
    let Some(entries) = object(value, ctx) else {
        return;
    };
    let mut extras: Vec<&Value> = entries
        .iter()
        .map(|(key, _)| key)
        .filter(|key| !matches!(key, Value::Str(k) if fields.contains(&k.as_str())))
        .collect();
    if !extras.is_empty() {
        // `sorted(extras, key=str)`.
        extras.sort_by_key(|key| python_str(key));
        let names: Vec<String> = extras.iter().map(|key| python_repr(key)).collect();
        let verb = if extras.len() == 1 { "was" } else { "were" };
        let first = extras.first().map(|key| (*key).clone()).unwrap_or_default();
        push(
            ctx.path,
            ctx.errors,
            format!(
                "Additional properties are not allowed ({} {verb} unexpected)",
                names.join(", ")
            ),
            Focus::ExtraKey(first),
        );
    }
    for field in fields {
        if let Some((key, item)) = property(entries, field) {
            with_key(ctx.path, key, ctx.errors, |ctx| string_list(item, ctx));
        }
    }
}

fn filesystem(value: &Value, ctx: &mut Ctx<'_>) {
    closed_section(
        value,
        &["block_read", "block_write", "require_approval_write"],
        ctx,
    );
}

fn commands(value: &Value, ctx: &mut Ctx<'_>) {
    closed_section(value, &["block", "allow", "require_approval"], ctx);
}

fn git(value: &Value, ctx: &mut Ctx<'_>) {
    let Some(entries) = object(value, ctx) else {
        return;
    };
    for field in [
        "require_pull_request",
        "block_direct_push_to_protected_branch",
        "require_human_reviewer",
        "require_ai_attestation",
    ] {
        if let Some((key, item)) = property(entries, field) {
            with_key(ctx.path, key, ctx.errors, |ctx| boolean(item, ctx));
        }
    }
}

fn mcp(value: &Value, ctx: &mut Ctx<'_>) {
    let Some(entries) = object(value, ctx) else {
        return;
    };
    for field in ["allowlist_enabled", "block_unknown_servers"] {
        if let Some((key, item)) = property(entries, field) {
            with_key(ctx.path, key, ctx.errors, |ctx| boolean(item, ctx));
        }
    }
    for field in ["allowed_servers", "blocked_servers"] {
        if let Some((key, item)) = property(entries, field) {
            with_key(ctx.path, key, ctx.errors, |ctx| string_list(item, ctx));
        }
    }
    if let Some((key, item)) = property(entries, "risk_scoring") {
        with_key(ctx.path, key, ctx.errors, |ctx| {
            let Some(scores) = object(item, ctx) else {
                return;
            };
            for (server, score) in scores {
                with_key(ctx.path, server, ctx.errors, |ctx| {
                    enumeration(score, &RISKS, ctx);
                });
            }
        });
    }
}

fn compliance(value: &Value, ctx: &mut Ctx<'_>) {
    let Some(entries) = object(value, ctx) else {
        return;
    };
    if let Some((key, item)) = property(entries, "maps_to") {
        with_key(ctx.path, key, ctx.errors, |ctx| string_list(item, ctx));
    }
}

/// jsonschema's `uniq`: items are equal under JSON equality, where `True` differs from `1`
/// but `1` equals `1.0`.
fn all_unique(items: &[Value]) -> bool {
    let mut seen = std::collections::HashSet::new();
    items.iter().all(|item| seen.insert(identity(item)))
}

fn identity(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("bool:{b}"),
        Value::Int(i) => format!("num:{i}"),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
            #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
            let whole = *f as i64;
            format!("num:{whole}")
        }
        Value::Float(f) => format!("float:{}", f.to_bits()),
        Value::Str(s) => format!("str:{s}"),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(identity).collect();
            format!("list:[{}]", parts.join("\u{0}"))
        }
        Value::Map(entries) => {
            let mut parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}={}", identity(k), identity(v)))
                .collect();
            parts.sort();
            format!("map:{{{}}}", parts.join("\u{0}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_value;

    fn check(src: &str, expect: &[&str]) {
        let policy = parse_value(src).unwrap();
        let got: Vec<String> = validate(&policy)
            .iter()
            .map(SchemaError::formatted)
            .collect();
        assert_eq!(got, expect, "schema errors for {src:?}");
    }

    const META: &str = "metadata: {id: cavra-x, title: t, description: d, version: '1'}\n";

    #[test]
    fn spec_examples() {
        check(
            "metadata: {id: bad}",
            &[
                "metadata: 'title' is a required property",
                "metadata: 'description' is a required property",
                "metadata: 'version' is a required property",
                "metadata.id: 'bad' does not match '^cavra-[a-z0-9-]+$'",
            ],
        );
        check("{}", &["<root>: 'metadata' is a required property"]);
        check(
            "metadata: {id: cavra-x, title: t, description: d, version: 1.0}",
            &["metadata.version: 1.0 is not of type 'string'"],
        );
        check(
            &format!("{META}filesystem: {{block_read: [a, b, 3], weird: 1}}"),
            &[
                "filesystem: Additional properties are not allowed ('weird' was unexpected)",
                "filesystem.block_read.2: 3 is not of type 'string'",
            ],
        );
    }

    #[test]
    fn strict_schema_details() {
        check("[]", &["<root>: [] is not of type 'object'"]);
        check(
            "metadata: {id: '', title: '', description: x, version: x, mode: nope, inherits: []}",
            &[
                "metadata.id: '' should be non-empty",
                "metadata.id: '' does not match '^cavra-[a-z0-9-]+$'",
                "metadata.inherits: [] is not valid under any of the given schemas",
                "metadata.mode: 'nope' is not one of ['audit_only', 'enforce', 'strict_regulated', 'break_glass']",
                "metadata.title: '' should be non-empty",
            ],
        );
        check(
            &format!("{META}commands: {{zz: 1, allow: [a, a], aa: 2}}\ngit: {{require_pull_request: 'yes'}}\nmcp: {{risk_scoring: {{b: extreme, a: low, c: null}}}}"),
            &[
                "commands: Additional properties are not allowed ('aa', 'zz' were unexpected)",
                "commands.allow: ['a', 'a'] has non-unique elements",
                "git.require_pull_request: 'yes' is not of type 'boolean'",
                "mcp.risk_scoring.b: 'extreme' is not one of ['low', 'medium', 'high', 'critical']",
                "mcp.risk_scoring.c: None is not one of ['low', 'medium', 'high', 'critical']",
            ],
        );
        check(
            &format!("{META}filesystem:\ncompliance: {{maps_to: x}}\napprovals: []"),
            &[
                "approvals: [] is not of type 'object'",
                "compliance.maps_to: 'x' is not of type 'array'",
                "filesystem: None is not of type 'object'",
            ],
        );
        check(
            "metadata: {id: \"cavra-x\\n\", title: t, description: d, version: v, mode: null}",
            &["metadata.mode: None is not one of ['audit_only', 'enforce', 'strict_regulated', 'break_glass']"],
        );
        check(
            &format!("{META}mcp: {{allowed_servers: [1, 1.0, true]}}"),
            &[
                "mcp.allowed_servers: [1, 1.0, True] has non-unique elements",
                "mcp.allowed_servers.0: 1 is not of type 'string'",
                "mcp.allowed_servers.1: 1.0 is not of type 'string'",
                "mcp.allowed_servers.2: True is not of type 'string'",
            ],
        );
    }
}
