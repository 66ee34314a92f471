//! Diffs between two policy packs: CAVRA's semantic diff, a unified text diff, and the
//! decision-impact diff (which requests change outcome).

pub mod impact;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::inherits::normalize_policy;
use crate::value::Value;
pub use impact::{
    decision_impact, synthesize_requests, DecisionFlip, DecisionImpact, SideDecision,
};

/// CAVRA's `PolicyDiff`: dotted paths added, removed and changed, each sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SemanticDiff {
    /// Paths only on the right (new) side.
    pub added: Vec<String>,
    /// Paths only on the left (old) side.
    pub removed: Vec<String>,
    /// Paths on both sides whose values differ (Python `==`, so `1 == 1.0 == True`).
    pub changed: Vec<String>,
}

impl SemanticDiff {
    /// Whether nothing was added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// CAVRA's `flatten`: dotted leaf paths of a value.
///
/// Mapping keys are visited in Python's sort order and joined with `.`; an empty mapping yields
/// nothing. A list is a leaf, sorted when all its items are strings. A later path that spells the
/// same text as an earlier one (`a.b` versus `a: {b: ..}`) replaces its value, as Python's
/// `dict.update` does.
pub fn flatten(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    flatten_into(value, "", &mut out);
    out
}

fn flatten_into(value: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Map(entries) => {
            let mut sorted: Vec<&(Value, Value)> = entries.iter().collect();
            sorted.sort_by(|a, b| crate::json::compare_keys(&a.0, &b.0));
            for (key, child) in sorted {
                let key = crate::json::python_str(key);
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_into(child, &path, out);
            }
        }
        Value::List(items) => {
            let leaf = if items.iter().all(|item| matches!(item, Value::Str(_))) {
                let mut strings: Vec<&String> = items
                    .iter()
                    .filter_map(|item| match item {
                        Value::Str(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                strings.sort();
                Value::List(strings.into_iter().map(|s| Value::Str(s.clone())).collect())
            } else {
                value.clone()
            };
            out.insert(prefix.to_owned(), leaf);
        }
        scalar => {
            out.insert(prefix.to_owned(), scalar.clone());
        }
    }
}

/// CAVRA's `diff_policies(left, right)`: both sides normalised (`normalize_policy`), flattened
/// and compared.
pub fn semantic_diff(left: &Value, right: &Value) -> SemanticDiff {
    let left = flatten(&normalize_policy(left));
    let right = flatten(&normalize_policy(right));
    let added = right
        .keys()
        .filter(|k| !left.contains_key(*k))
        .cloned()
        .collect();
    let removed = left
        .keys()
        .filter(|k| !right.contains_key(*k))
        .cloned()
        .collect();
    let changed = left
        .iter()
        .filter(|(key, value)| right.get(*key).is_some_and(|other| other != *value))
        .map(|(key, _)| key.clone())
        .collect();
    SemanticDiff {
        added,
        removed,
        changed,
    }
}

/// A unified text diff (`---`/`+++` headers, three lines of context), empty when the texts are
/// equal.
pub fn unified_text_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Value {
        crate::model::parse_value(src).unwrap()
    }

    #[test]
    fn semantic_diff_follows_cavra() {
        let old = parse(
            "metadata: {id: a, version: 1}\nfilesystem: {block_read: [b, a]}\ngit: {}\nx: [2, 1]\n",
        );
        let new = parse("metadata: {id: a, version: 1.0}\nfilesystem: {block_read: [a, b]}\nx: [1, 2]\nmcp: {allowed_servers: []}\n");
        let diff = semantic_diff(&old, &new);
        assert_eq!(diff.added, ["mcp.allowed_servers"]);
        assert!(diff.removed.is_empty());
        assert_eq!(diff.changed, ["x"]);
        assert!(semantic_diff(&old, &old).is_empty());
    }

    #[test]
    fn unified_diff_has_headers() {
        let text = unified_text_diff("a\nb\n", "a\nc\n", "old.yaml", "new.yaml");
        assert!(text.starts_with("--- old.yaml\n+++ new.yaml\n"), "{text}");
        assert!(text.contains("-b\n+c\n"));
        assert_eq!(unified_text_diff("a\n", "a\n", "x", "y"), "");
    }
}
