//! `metadata.inherits`: how a pack is layered over its parents (CAVRA's
//! `PolicyRegistry.load_policy`, `compile_policy`, `merge_policy`, `normalize_policy`).
//!
//! A pack without `inherits` (or with an empty one) loads as its raw YAML value. A pack with
//! parents loads as: the first parent (itself fully loaded), merged with each later parent and
//! then the child, then normalised. The digest is taken of that result.
//!
//! Where CAVRA crashes (a cycle recurses until Python's `RecursionError`, a non-mapping section
//! raises `AttributeError`), we return an [`InheritsError`] or apply the evident meaning, and say
//! so on each function.

use std::collections::HashMap;

use crate::json::{canonical_json, python_str};
use crate::model::{parse_value, ParseError};
use crate::value::Value;

/// How deep `inherits` chains may go before we stop (CAVRA has no limit but Python's stack).
pub const MAX_INHERITS_DEPTH: usize = 32;

/// Why a pack could not be loaded with its parents.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InheritsError {
    /// The loader has no pack with this id.
    #[error("policy pack `{pack}` not found")]
    NotFound {
        /// The pack id.
        pack: String,
    },
    /// A pack id that cannot name a pack directory (empty, `.`/`..`, path separators, NUL).
    #[error("`{pack}` is not a valid policy pack id")]
    InvalidPackId {
        /// The offending id.
        pack: String,
    },
    /// The pack's YAML does not load.
    #[error("policy pack `{pack}` does not parse: {error}")]
    Parse {
        /// The pack id.
        pack: String,
        /// The parse failure.
        error: ParseError,
    },
    /// The pack is not a YAML mapping (CAVRA: "Policy pack '…' is invalid.").
    #[error("policy pack `{pack}` is invalid: it must be a YAML mapping")]
    NotAMapping {
        /// The pack id.
        pack: String,
    },
    /// The pack is an empty mapping (CAVRA: "Policy pack '…' contains no policy data.").
    #[error("policy pack `{pack}` contains no policy data")]
    Empty {
        /// The pack id.
        pack: String,
    },
    /// `metadata.inherits` is neither a string nor a list (CAVRA raises `TypeError`).
    #[error("`metadata.inherits` of policy pack `{pack}` must be a pack id or a list of pack ids")]
    InvalidInherits {
        /// The pack id.
        pack: String,
    },
    /// A pack inherits from itself, directly or through its parents.
    #[error("policy packs inherit in a cycle: {}", chain.join(" -> "))]
    Cycle {
        /// The chain of pack ids, ending with the repeated one.
        chain: Vec<String>,
    },
    /// The inherits chain is deeper than [`MAX_INHERITS_DEPTH`].
    #[error("policy pack inheritance is deeper than {MAX_INHERITS_DEPTH} levels: {}", chain.join(" -> "))]
    TooDeep {
        /// The chain of pack ids.
        chain: Vec<String>,
    },
}

/// Loads a pack the way CAVRA's registry does, resolving `metadata.inherits` recursively.
///
/// `loader` returns the YAML text of a pack id (the caller reads `policies/<id>/policy.yaml`), or
/// `None` when there is no such pack. Each pack is loaded at most once per call. Pack ids are
/// checked before the loader sees them: ids with path separators, `.`/`..` or NUL are refused
/// (CAVRA would join them to its policy directory).
pub fn load_policy(
    pack: &str,
    loader: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<Value, InheritsError> {
    let mut state = LoadState {
        loader,
        stack: Vec::new(),
        loaded: HashMap::new(),
    };
    state.load(pack)
}

struct LoadState<'a> {
    loader: &'a mut dyn FnMut(&str) -> Option<String>,
    stack: Vec<String>,
    loaded: HashMap<String, Value>,
}

impl LoadState<'_> {
    fn load(&mut self, pack: &str) -> Result<Value, InheritsError> {
        if let Some(done) = self.loaded.get(pack) {
            return Ok(done.clone());
        }
        if self.stack.iter().any(|open| open == pack) {
            let mut chain = self.stack.clone();
            chain.push(pack.to_owned());
            return Err(InheritsError::Cycle { chain });
        }
        if self.stack.len() >= MAX_INHERITS_DEPTH {
            let mut chain = self.stack.clone();
            chain.push(pack.to_owned());
            return Err(InheritsError::TooDeep { chain });
        }
        if !is_valid_pack_id(pack) {
            return Err(InheritsError::InvalidPackId {
                pack: pack.to_owned(),
            });
        }
        let source = (self.loader)(pack).ok_or_else(|| InheritsError::NotFound {
            pack: pack.to_owned(),
        })?;
        let policy = parse_value(&source).map_err(|error| InheritsError::Parse {
            pack: pack.to_owned(),
            error,
        })?;
        if !policy.is_map() {
            return Err(InheritsError::NotAMapping {
                pack: pack.to_owned(),
            });
        }
        if !policy.truthy() {
            return Err(InheritsError::Empty {
                pack: pack.to_owned(),
            });
        }
        let inherits = policy.get("metadata").and_then(|m| m.get("inherits"));
        let parent_ids: Vec<String> = match inherits {
            None => Vec::new(),
            Some(value) if !value.truthy() => Vec::new(),
            Some(Value::Str(parent)) => vec![parent.clone()],
            Some(Value::List(items)) => items.iter().map(python_str).collect(),
            // `list(dict)` is the dict's keys.
            Some(Value::Map(entries)) => entries.iter().map(|(key, _)| python_str(key)).collect(),
            Some(_) => {
                return Err(InheritsError::InvalidInherits {
                    pack: pack.to_owned(),
                })
            }
        };
        if parent_ids.is_empty() {
            self.loaded.insert(pack.to_owned(), policy.clone());
            return Ok(policy);
        }
        self.stack.push(pack.to_owned());
        // CAVRA loads the parents last to first; the order only shows in which error wins.
        let mut layers: Vec<Value> = Vec::with_capacity(parent_ids.len() + 1);
        for parent in parent_ids.iter().rev() {
            let loaded = self.load(parent);
            match loaded {
                Ok(value) => layers.push(value),
                Err(error) => {
                    self.stack.pop();
                    return Err(error);
                }
            }
        }
        self.stack.pop();
        layers.reverse();
        layers.push(policy);
        let mut layers = layers.into_iter();
        let mut compiled = layers.next().unwrap_or_default();
        for layer in layers {
            compiled = merge_policy(&compiled, &layer);
        }
        let result = normalize_policy(&compiled);
        self.loaded.insert(pack.to_owned(), result.clone());
        Ok(result)
    }
}

fn is_valid_pack_id(pack: &str) -> bool {
    !pack.is_empty() && pack != "." && pack != ".." && !pack.contains(['/', '\\', '\0'])
}

/// CAVRA's `merge_policy(base, override)`.
///
/// For each key of `override_`: `metadata` merges key by key (a non-`null` value wins;
/// `inherits` always wins, even `null`); two mappings merge section-wise (lists concatenate
/// without duplicates, mappings recurse); anything else replaces the base value. Keys keep the
/// base's order, new keys go last.
///
/// CAVRA crashes when `override_` is not a mapping, or when a `metadata` is not one; we let the
/// override replace the base in those cases.
pub fn merge_policy(base: &Value, override_: &Value) -> Value {
    let (Value::Map(base_entries), Value::Map(override_entries)) = (base, override_) else {
        return override_.clone();
    };
    let mut merged = base_entries.clone();
    for (key, value) in override_entries {
        let current = lookup(&merged, key);
        let replacement = if matches!(key, Value::Str(k) if k == "metadata") {
            let empty = Value::Map(Vec::new());
            let base_metadata = match current {
                Some(existing @ Value::Map(_)) => existing,
                _ => &empty,
            };
            merge_metadata(base_metadata, value)
        } else {
            match (current, value) {
                (Some(existing @ Value::Map(_)), Value::Map(_)) => {
                    merge_policy_section(existing, value)
                }
                _ => value.clone(),
            }
        };
        assign(&mut merged, key, replacement);
    }
    Value::Map(merged)
}

/// CAVRA's `merge_metadata`: later non-`null` values win; `inherits` is always replaced.
fn merge_metadata(base: &Value, override_: &Value) -> Value {
    let (Value::Map(base_entries), Value::Map(override_entries)) = (base, override_) else {
        return override_.clone();
    };
    let mut merged = base_entries.clone();
    for (key, value) in override_entries {
        let is_inherits = matches!(key, Value::Str(k) if k == "inherits");
        if is_inherits || !matches!(value, Value::Null) {
            assign(&mut merged, key, value.clone());
        }
    }
    Value::Map(merged)
}

/// CAVRA's `merge_policy_section`: lists concatenate (deduplicated by canonical JSON, first
/// occurrence kept), mappings recurse, anything else is replaced.
fn merge_policy_section(base: &Value, override_: &Value) -> Value {
    let (Value::Map(base_entries), Value::Map(override_entries)) = (base, override_) else {
        return override_.clone();
    };
    let mut merged = base_entries.clone();
    for (key, value) in override_entries {
        let replacement = match (lookup(&merged, key), value) {
            (Some(Value::List(existing)), Value::List(added)) => {
                Value::List(dedupe(existing.iter().chain(added.iter())))
            }
            (Some(existing @ Value::Map(_)), Value::Map(_)) => {
                merge_policy_section(existing, value)
            }
            _ => value.clone(),
        };
        assign(&mut merged, key, replacement);
    }
    Value::Map(merged)
}

/// Keeps the first of items whose `json.dumps(item, sort_keys=True)` is equal.
fn dedupe<'a>(items: impl Iterator<Item = &'a Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut result = Vec::new();
    for item in items {
        if seen.insert(canonical_json(item)) {
            result.push(item.clone());
        }
    }
    result
}

/// Python `dict[key]` with Python key equality.
fn lookup<'a>(entries: &'a [(Value, Value)], key: &Value) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Python `dict[key] = value`: replaces in place (the key keeps its position) or appends.
fn assign(entries: &mut Vec<(Value, Value)>, key: &Value, value: Value) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key.clone(), value)),
    }
}

/// CAVRA's `normalize_policy`: every list directly under `filesystem` and `commands`, and
/// `mcp.allowed_servers`/`mcp.blocked_servers`, becomes the sorted list of its items' `str()`.
/// Nothing else changes.
pub fn normalize_policy(policy: &Value) -> Value {
    let Value::Map(entries) = policy else {
        return policy.clone();
    };
    let mut normalized = entries.clone();
    for (key, section) in &mut normalized {
        let Value::Str(name) = key else { continue };
        let Value::Map(fields) = section else {
            continue;
        };
        match name.as_str() {
            "filesystem" | "commands" => {
                for (_, field) in fields.iter_mut() {
                    sort_as_strings(field);
                }
            }
            "mcp" => {
                for (field_key, field) in fields.iter_mut() {
                    if matches!(field_key, Value::Str(k) if k == "allowed_servers" || k == "blocked_servers")
                    {
                        sort_as_strings(field);
                    }
                }
            }
            _ => {}
        }
    }
    Value::Map(normalized)
}

fn sort_as_strings(field: &mut Value) {
    if let Value::List(items) = field {
        let mut strings: Vec<String> = items.iter().map(python_str).collect();
        strings.sort();
        *items = strings.into_iter().map(Value::Str).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_value;

    fn yaml(src: &str) -> Value {
        parse_value(src).unwrap()
    }

    fn check_merge(base: &str, override_: &str, expect: &str) {
        let merged = merge_policy(&yaml(base), &yaml(override_));
        assert_eq!(canonical_json(&merged), canonical_json(&yaml(expect)));
        // Key order matters too (Python dicts keep insertion order).
        assert_eq!(
            crate::json::python_pretty_value(&merged),
            crate::json::python_pretty_value(&yaml(expect))
        );
    }

    #[test]
    fn merge_rules() {
        check_merge(
            "metadata: {id: a, mode: audit_only, inherits: [x]}\nfilesystem: {block_read: [a, b]}",
            "metadata: {id: b, mode: null, inherits: null}\nfilesystem: {block_read: [b, c]}",
            "metadata: {id: b, mode: audit_only, inherits: null}\nfilesystem: {block_read: [a, b, c]}",
        );
        // A scalar section replaces the parent's mapping.
        check_merge(
            "git: {require_pull_request: true}",
            "git: off",
            "git: false",
        );
        // Nested mappings recurse; new keys go last.
        check_merge(
            "approvals: {a: {approvers: [x]}, b: 1}",
            "approvals: {a: {approvers: [x, y], extra: 2}, c: 3}",
            "approvals: {a: {approvers: [x, y], extra: 2}, b: 1, c: 3}",
        );
        // Deduplication is by canonical JSON: 1 and true differ, equal mappings collapse.
        check_merge(
            "evidence: {l: [1, {a: 1, b: 2}]}",
            "evidence: {l: [true, {b: 2, a: 1}, 1]}",
            "evidence: {l: [1, {a: 1, b: 2}, true]}",
        );
    }

    #[test]
    fn normalize_sorts_only_rule_lists() {
        let policy = yaml(
            "metadata: {inherits: [z, a]}\nfilesystem: {block_read: [b, a, 3, null]}\ncommands: {allow: [y, x], other: q}\nmcp: {allowed_servers: [s2, s1], risk: [b, a]}\ncompliance: {maps_to: [b, a]}",
        );
        let want = yaml(
            "metadata: {inherits: [z, a]}\nfilesystem: {block_read: ['3', None, a, b]}\ncommands: {allow: [x, y], other: q}\nmcp: {allowed_servers: [s1, s2], risk: [b, a]}\ncompliance: {maps_to: [b, a]}",
        );
        assert_eq!(
            crate::json::python_pretty_value(&normalize_policy(&policy)),
            crate::json::python_pretty_value(&want)
        );
    }

    fn packs(list: &[(&str, &str)]) -> impl FnMut(&str) -> Option<String> {
        let map: HashMap<String, String> = list
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |id| map.get(id).cloned()
    }

    #[test]
    fn load_resolves_parents_and_detects_cycles() {
        let mut loader = packs(&[
            (
                "base",
                "metadata: {id: base, mode: strict_regulated}\ncommands: {block: [z, a]}",
            ),
            (
                "child",
                "metadata: {id: child, inherits: base, mode: null}\ncommands: {block: [m]}",
            ),
            (
                "raw",
                "metadata: {id: raw, inherits: []}\ncommands: {block: [z, a]}",
            ),
            ("loop-a", "metadata: {inherits: loop-b}"),
            ("loop-b", "metadata: {inherits: [loop-a]}"),
            ("bad-inherits", "metadata: {inherits: 5}"),
            ("list", "- 1"),
            ("empty", "{}"),
            ("escape", "metadata: {inherits: ../secret}"),
        ]);
        let child = load_policy("child", &mut loader).unwrap();
        assert_eq!(
            canonical_json(&child),
            r#"{"commands":{"block":["a","m","z"]},"metadata":{"id":"child","inherits":"base","mode":"strict_regulated"}}"#
        );
        let raw = load_policy("raw", &mut loader).unwrap();
        assert_eq!(
            canonical_json(&raw),
            r#"{"commands":{"block":["z","a"]},"metadata":{"id":"raw","inherits":[]}}"#
        );
        assert_eq!(
            load_policy("loop-a", &mut loader).unwrap_err(),
            InheritsError::Cycle {
                chain: vec!["loop-a".into(), "loop-b".into(), "loop-a".into()]
            }
        );
        assert!(matches!(
            load_policy("missing", &mut loader),
            Err(InheritsError::NotFound { .. })
        ));
        assert!(matches!(
            load_policy("bad-inherits", &mut loader),
            Err(InheritsError::InvalidInherits { .. })
        ));
        assert!(matches!(
            load_policy("list", &mut loader),
            Err(InheritsError::NotAMapping { .. })
        ));
        assert!(matches!(
            load_policy("empty", &mut loader),
            Err(InheritsError::Empty { .. })
        ));
        assert!(matches!(
            load_policy("escape", &mut loader),
            Err(InheritsError::InvalidPackId { .. })
        ));
    }

    #[test]
    fn deep_chains_stop_with_an_error() {
        let mut loader = |id: &str| {
            let n: usize = id.strip_prefix("p").and_then(|n| n.parse().ok())?;
            Some(format!("metadata: {{id: p{n}, inherits: p{}}}", n + 1))
        };
        assert!(matches!(
            load_policy("p0", &mut loader),
            Err(InheritsError::TooDeep { .. })
        ));
    }
}
