//! Compiling a pack: its pattern lists into [`PatternSet`]s with their reasons and spans, done
//! once so that deciding allocates nothing.

use std::sync::Arc;

use super::matcher::PatternSet;
use super::python;
use crate::value::{Span, Value};

/// One compiled pattern list (e.g. `filesystem.block_read`).
#[derive(Debug, Clone, Default)]
pub(super) struct RuleList {
    pub(super) set: PatternSet,
    pub(super) patterns: Vec<Arc<str>>,
    pub(super) reasons: Vec<Arc<str>>,
    pub(super) spans: Vec<Option<Span>>,
}

impl RuleList {
    fn new(items: Vec<(String, Option<Span>)>, reason_prefix: &str) -> RuleList {
        let set = PatternSet::new(items.iter().map(|(p, _)| p.as_str()));
        let reasons = items
            .iter()
            .map(|(p, _)| Arc::from(format!("{reason_prefix}{p}")))
            .collect();
        let spans = items.iter().map(|(_, s)| *s).collect();
        let patterns = items.into_iter().map(|(p, _)| Arc::from(p)).collect();
        RuleList {
            set,
            patterns,
            reasons,
            spans,
        }
    }
}

/// Reasons that do not depend on a pattern, allocated once per compiled policy.
#[derive(Debug, Clone)]
pub(super) struct FixedReasons {
    pub(super) path_allow: Arc<str>,
    pub(super) command_default: Arc<str>,
    pub(super) git_block: Arc<str>,
    pub(super) git_allow: Arc<str>,
    pub(super) mcp_block: Arc<str>,
    pub(super) mcp_allow: Arc<str>,
    pub(super) runtime_default: Arc<str>,
}

impl Default for FixedReasons {
    fn default() -> Self {
        FixedReasons {
            path_allow: Arc::from("No sensitive path policy matched."),
            command_default: Arc::from("No allow rule matched; review required."),
            git_block: Arc::from("Direct push to protected branch is prohibited."),
            git_allow: Arc::from("Git operation is allowed by policy."),
            mcp_block: Arc::from(
                "Untrusted MCP server with filesystem/tool capability is not approved.",
            ),
            mcp_allow: Arc::from("MCP server is trusted for this tool call."),
            runtime_default: Arc::from("No Rego rule matched; review required."),
        }
    }
}

/// A policy pack compiled for fast evaluation.
#[derive(Debug, Clone, Default)]
pub struct CompiledPolicy {
    pub(super) block_read: RuleList,
    pub(super) block_write: RuleList,
    pub(super) require_approval_write: RuleList,
    pub(super) command_block: RuleList,
    pub(super) command_allow: RuleList,
    pub(super) allowed_servers: Vec<Box<str>>,
    pub(super) blocked_servers: Vec<Box<str>>,
    pub(super) block_unknown_servers: bool,
    pub(super) reasons: FixedReasons,
}

/// The pattern lists the evaluator reads, as `(section, key)`.
pub const PATTERN_LISTS: [(&str, &str); 5] = [
    ("filesystem", "block_read"),
    ("filesystem", "block_write"),
    ("filesystem", "require_approval_write"),
    ("commands", "block"),
    ("commands", "allow"),
];

/// CAVRA's `_string_list(policy[section][key])`: `str()` of each non-null item of a list,
/// nothing for a non-list or a non-mapping section.
pub fn string_list(policy: &Value, section: &str, key: &str) -> Vec<String> {
    policy
        .get(section)
        .and_then(|s| s.get(key))
        .and_then(Value::as_list)
        .map(|items| {
            items
                .iter()
                .filter(|item| !matches!(item, Value::Null))
                .map(|item| python::value_str(item).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// CAVRA's `bool(mcp.block_unknown_servers)`, true when absent.
pub fn block_unknown_servers(policy: &Value) -> bool {
    policy
        .get("mcp")
        .and_then(|mcp| mcp.get("block_unknown_servers"))
        .is_none_or(Value::truthy)
}

impl CompiledPolicy {
    /// Compiles a loaded policy (the value CAVRA would evaluate). Never fails: sections of the
    /// wrong type count as empty, where CAVRA would crash.
    pub fn from_value(policy: &Value) -> CompiledPolicy {
        Self::compile(policy, |_, _, _| None)
    }

    /// Compiles a parsed document, keeping each pattern's source span (reported as
    /// [`Decision::pattern_span`](super::Decision::pattern_span)).
    pub fn from_node(root: &crate::model::Node) -> CompiledPolicy {
        let value = root.to_value();
        Self::compile(&value, |section, key, index| {
            root.get(section)?
                .get(key)?
                .as_seq()?
                .get(index)
                .map(|node| node.span)
        })
    }

    /// Compiles with a span lookup: `spans(section, key, index)` gives the source span of the
    /// `index`-th item of `section.key` (counting every item, including nulls).
    pub fn from_value_with_spans(
        policy: &Value,
        spans: impl Fn(&str, &str, usize) -> Option<Span>,
    ) -> CompiledPolicy {
        Self::compile(policy, spans)
    }

    fn compile(
        policy: &Value,
        spans: impl Fn(&str, &str, usize) -> Option<Span>,
    ) -> CompiledPolicy {
        let list = |section: &str, key: &str, prefix: &str| -> RuleList {
            let items = policy
                .get(section)
                .and_then(|s| s.get(key))
                .and_then(Value::as_list)
                .unwrap_or_default();
            let entries = items
                .iter()
                .enumerate()
                .filter(|(_, item)| !matches!(item, Value::Null))
                .map(|(index, item)| {
                    (
                        python::value_str(item).into_owned(),
                        spans(section, key, index),
                    )
                })
                .collect();
            RuleList::new(entries, prefix)
        };
        let server_list = |key: &str| -> Vec<Box<str>> {
            let mut servers: Vec<Box<str>> = string_list(policy, "mcp", key)
                .into_iter()
                .map(String::into_boxed_str)
                .collect();
            servers.sort();
            servers.dedup();
            servers
        };
        let block_unknown_servers = block_unknown_servers(policy);
        CompiledPolicy {
            block_read: list(
                "filesystem",
                "block_read",
                "Matched sensitive path policy: ",
            ),
            block_write: list(
                "filesystem",
                "block_write",
                "Matched sensitive path policy: ",
            ),
            require_approval_write: list(
                "filesystem",
                "require_approval_write",
                "Matched approval-required path policy: ",
            ),
            command_block: list("commands", "block", "Matched blocked command policy: "),
            command_allow: list("commands", "allow", "Matched allowed command policy: "),
            allowed_servers: server_list("allowed_servers"),
            blocked_servers: server_list("blocked_servers"),
            block_unknown_servers,
            reasons: FixedReasons::default(),
        }
    }

    /// Total number of patterns across the evaluated lists.
    pub fn pattern_count(&self) -> usize {
        self.block_read.set.len()
            + self.block_write.set.len()
            + self.require_approval_write.set.len()
            + self.command_block.set.len()
            + self.command_allow.set.len()
    }
}
