//! The decision evaluator: CAVRA's Rego-compatible rules, compiled once and evaluated without
//! allocating.
//!
//! A pack is compiled into a [`CompiledPolicy`] ([`CompiledPolicy::from_value`], or
//! [`CompiledPolicy::from_node`] to keep each pattern's source [`Span`]); [`CompiledPolicy::decide`]
//! then answers a [`Request`] with a [`Decision`]. The rules are CAVRA's
//! `evaluate_rego_compatible_policy`, in this order:
//!
//! | action_type | rule | outcome |
//! |---|---|---|
//! | `read_file` | first `filesystem.block_read` match | block `filesystem.read.block` (high) |
//! | | none | allow `filesystem.read.allow` (low) |
//! | `write_file` | first `filesystem.block_write` match | block `filesystem.write.block` (high) |
//! | | first `filesystem.require_approval_write` match | require_approval (high, Platform Security) |
//! | | none | allow `filesystem.write.allow` (low) |
//! | `execute_command` | first `commands.block` match | block `commands.block`, critical when the operation contains `apply` or `delete`, else high |
//! | | first `commands.allow` match | allow `commands.allow` (low) |
//! | | none | require_approval `commands.default.require_approval` (medium, Repository Owners) |
//! | `git_operation` | operation `push` and target ending in `main` or `master` | block `git.protected_branch.block_direct_push` (high) |
//! | | otherwise | allow `git.allow` (low) |
//! | `mcp_tool_call` | server blocked, or unknown while `mcp.block_unknown_servers` (default true) | block `mcp.server.trust.block_unknown` (high) |
//! | | otherwise | allow `mcp.server.trust.allow` (low) |
//! | anything else | | require_approval `runtime.default.require_approval` (medium, Repository Owners) |
//!
//! Patterns use CAVRA's matcher (see [`matcher`]): `*` and `**` both match any characters
//! including `/` but never a newline, everything else is literal, and the whole text must match.
//! Commands match against `requested_operation` after Python's `strip()`; the git rule strips the
//! operation but not the target, and its branch test is a plain suffix test (`origin/remaster`
//! is protected). The policy's `git` section and `commands.require_approval` are ignored, as in
//! CAVRA. Pattern list items are converted with Python's `str()` and `null` items are dropped.
//!
//! # Deliberate difference from CAVRA: path normalisation
//!
//! CAVRA matches file paths literally, so `./.env`, `a/../.env` and `a//.env` are *allowed* by a
//! `.env` block rule. For `read_file` and `write_file` we also compute a lexically normalised
//! spelling (strip `./`, collapse `//`, resolve `a/../`, keep a leading `/`; see
//! [`path::normalize_path`]) and a rule matches when **either** the raw or the normalised spelling
//! matches it. A `..` that climbs above the start is dropped, and because the raw spelling is
//! always tried as well, normalisation can only turn an allow into a block or an approval, never
//! the other way. For already-normal paths (all of CAVRA's fixtures) the result is identical to
//! CAVRA's.

pub mod matcher;
pub mod path;
pub mod python;
pub mod request;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::value::{Span, Value};
use matcher::PatternSet;
pub use request::{Request, RequestBuf};

/// What the evaluator decided.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The action may proceed.
    Allow,
    /// The action is refused.
    Block,
    /// The action needs a human approval.
    RequireApproval,
}

impl Outcome {
    /// CAVRA's spelling (`allow`, `block`, `require_approval`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Block => "block",
            Outcome::RequireApproval => "require_approval",
        }
    }
}

/// How severe a decision is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Routine.
    Low,
    /// Needs review.
    Medium,
    /// Sensitive.
    High,
    /// Destructive or privileged.
    Critical,
}

impl Severity {
    /// CAVRA's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The rule that produced a decision, with CAVRA's ids.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum RuleId {
    /// `filesystem.read.block`
    #[serde(rename = "filesystem.read.block")]
    FilesystemReadBlock,
    /// `filesystem.read.allow`
    #[serde(rename = "filesystem.read.allow")]
    FilesystemReadAllow,
    /// `filesystem.write.block`
    #[serde(rename = "filesystem.write.block")]
    FilesystemWriteBlock,
    /// `filesystem.write.require_approval`
    #[serde(rename = "filesystem.write.require_approval")]
    FilesystemWriteRequireApproval,
    /// `filesystem.write.allow`
    #[serde(rename = "filesystem.write.allow")]
    FilesystemWriteAllow,
    /// `commands.block`
    #[serde(rename = "commands.block")]
    CommandsBlock,
    /// `commands.allow`
    #[serde(rename = "commands.allow")]
    CommandsAllow,
    /// `commands.default.require_approval`
    #[serde(rename = "commands.default.require_approval")]
    CommandsDefaultRequireApproval,
    /// `git.protected_branch.block_direct_push`
    #[serde(rename = "git.protected_branch.block_direct_push")]
    GitProtectedBranchBlockDirectPush,
    /// `git.allow`
    #[serde(rename = "git.allow")]
    GitAllow,
    /// `mcp.server.trust.block_unknown`
    #[serde(rename = "mcp.server.trust.block_unknown")]
    McpServerTrustBlockUnknown,
    /// `mcp.server.trust.allow`
    #[serde(rename = "mcp.server.trust.allow")]
    McpServerTrustAllow,
    /// `runtime.default.require_approval`
    #[serde(rename = "runtime.default.require_approval")]
    RuntimeDefaultRequireApproval,
}

impl RuleId {
    /// CAVRA's rule id.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::FilesystemReadBlock => "filesystem.read.block",
            RuleId::FilesystemReadAllow => "filesystem.read.allow",
            RuleId::FilesystemWriteBlock => "filesystem.write.block",
            RuleId::FilesystemWriteRequireApproval => "filesystem.write.require_approval",
            RuleId::FilesystemWriteAllow => "filesystem.write.allow",
            RuleId::CommandsBlock => "commands.block",
            RuleId::CommandsAllow => "commands.allow",
            RuleId::CommandsDefaultRequireApproval => "commands.default.require_approval",
            RuleId::GitProtectedBranchBlockDirectPush => "git.protected_branch.block_direct_push",
            RuleId::GitAllow => "git.allow",
            RuleId::McpServerTrustBlockUnknown => "mcp.server.trust.block_unknown",
            RuleId::McpServerTrustAllow => "mcp.server.trust.allow",
            RuleId::RuntimeDefaultRequireApproval => "runtime.default.require_approval",
        }
    }
}

/// Who approves a `require_approval` decision.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum ApproverGroup {
    /// `Platform Security`
    #[serde(rename = "Platform Security")]
    PlatformSecurity,
    /// `Repository Owners`
    #[serde(rename = "Repository Owners")]
    RepositoryOwners,
}

impl ApproverGroup {
    /// CAVRA's group name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApproverGroup::PlatformSecurity => "Platform Security",
            ApproverGroup::RepositoryOwners => "Repository Owners",
        }
    }
}

/// A decision with the rule and pattern responsible.
///
/// Text fields are shared with the [`CompiledPolicy`] (`Arc<str>`), so producing a decision does
/// not allocate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The outcome.
    pub decision: Outcome,
    /// CAVRA's rule id.
    pub rule_id: RuleId,
    /// The severity.
    pub severity: Severity,
    /// CAVRA's reason text.
    pub reason: Arc<str>,
    /// The approver group, on `require_approval` outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_group: Option<ApproverGroup>,
    /// The pattern that matched, for pattern rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_pattern: Option<Arc<str>>,
    /// Where that pattern is in the policy source, when compiled from a spanned document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_span: Option<Span>,
}

impl Decision {
    /// CAVRA's decision object: `{decision, rule_id, severity, reason[, approver_group]}`.
    pub fn to_cavra_json(&self) -> serde_json::Value {
        serde_json::to_value(self.to_cavra()).unwrap_or(serde_json::Value::Null)
    }

    /// CAVRA's decision object as a typed record.
    pub fn to_cavra(&self) -> CavraDecision {
        CavraDecision {
            decision: self.decision.as_str().to_owned(),
            rule_id: self.rule_id.as_str().to_owned(),
            severity: self.severity.as_str().to_owned(),
            reason: self.reason.to_string(),
            approver_group: self.approver_group.map(|g| g.as_str().to_owned()),
        }
    }
}

/// CAVRA's decision object, as it appears in dry-run reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CavraDecision {
    /// `allow`, `block` or `require_approval`.
    pub decision: String,
    /// The rule id.
    pub rule_id: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The reason text.
    pub reason: String,
    /// Present only on CAVRA's `require_approval` outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_group: Option<String>,
}

/// One compiled pattern list (e.g. `filesystem.block_read`).
#[derive(Debug, Clone, Default)]
struct RuleList {
    set: PatternSet,
    patterns: Vec<Arc<str>>,
    reasons: Vec<Arc<str>>,
    spans: Vec<Option<Span>>,
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

    #[inline]
    fn first_match(&self, text: &str) -> Option<usize> {
        self.set.first_match(text)
    }

    /// First rule matching the raw or the normalised path.
    #[inline]
    fn first_path_match(&self, raw: &str) -> Option<usize> {
        if self.set.is_empty() {
            return None;
        }
        let direct = self.set.first_match(raw);
        match path::normalize_path(raw) {
            std::borrow::Cow::Borrowed(_) => direct,
            std::borrow::Cow::Owned(normal) => match (direct, self.set.first_match(&normal)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    fn decision(
        &self,
        position: usize,
        outcome: Outcome,
        rule_id: RuleId,
        severity: Severity,
        approver_group: Option<ApproverGroup>,
    ) -> Decision {
        Decision {
            decision: outcome,
            rule_id,
            severity,
            reason: self
                .reasons
                .get(position)
                .cloned()
                .unwrap_or_else(|| Arc::from("")),
            approver_group,
            matched_pattern: self.patterns.get(position).cloned(),
            pattern_span: self.spans.get(position).copied().flatten(),
        }
    }
}

/// The action types the evaluator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionType {
    ReadFile,
    WriteFile,
    ExecuteCommand,
    GitOperation,
    McpToolCall,
    Other,
}

impl ActionType {
    #[inline]
    fn of(text: &str) -> ActionType {
        use matcher::bytes_eq;
        let bytes = text.as_bytes();
        let candidate = match bytes.len() {
            9 => (b"read_file".as_slice(), ActionType::ReadFile),
            10 => (b"write_file".as_slice(), ActionType::WriteFile),
            15 => (b"execute_command".as_slice(), ActionType::ExecuteCommand),
            13 if bytes.first() == Some(&b'g') => {
                (b"git_operation".as_slice(), ActionType::GitOperation)
            }
            13 => (b"mcp_tool_call".as_slice(), ActionType::McpToolCall),
            _ => return ActionType::Other,
        };
        if bytes_eq(bytes, candidate.0) {
            candidate.1
        } else {
            ActionType::Other
        }
    }
}

/// Reasons that do not depend on a pattern, allocated once per compiled policy.
#[derive(Debug, Clone)]
struct FixedReasons {
    path_allow: Arc<str>,
    command_default: Arc<str>,
    git_block: Arc<str>,
    git_allow: Arc<str>,
    mcp_block: Arc<str>,
    mcp_allow: Arc<str>,
    runtime_default: Arc<str>,
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
    block_read: RuleList,
    block_write: RuleList,
    require_approval_write: RuleList,
    command_block: RuleList,
    command_allow: RuleList,
    allowed_servers: Vec<Box<str>>,
    blocked_servers: Vec<Box<str>>,
    block_unknown_servers: bool,
    reasons: FixedReasons,
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

impl CompiledPolicy {
    /// Compiles a loaded policy (the value CAVRA would evaluate). Never fails: sections of the
    /// wrong type count as empty, where CAVRA would crash.
    pub fn from_value(policy: &Value) -> CompiledPolicy {
        Self::compile(policy, |_, _, _| None)
    }

    /// Compiles a parsed document, keeping each pattern's source span (reported as
    /// [`Decision::pattern_span`]).
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
        let block_unknown_servers = policy
            .get("mcp")
            .and_then(|mcp| mcp.get("block_unknown_servers"))
            .is_none_or(Value::truthy);
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

    /// Decides one request.
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        let fixed = |outcome, rule_id, severity, reason: &Arc<str>, group| Decision {
            decision: outcome,
            rule_id,
            severity,
            reason: Arc::clone(reason),
            approver_group: group,
            matched_pattern: None,
            pattern_span: None,
        };
        let r = &self.reasons;
        match ActionType::of(request.action_type) {
            ActionType::ReadFile => match self.block_read.first_path_match(request.target) {
                Some(i) => self.block_read.decision(
                    i,
                    Outcome::Block,
                    RuleId::FilesystemReadBlock,
                    Severity::High,
                    None,
                ),
                None => fixed(
                    Outcome::Allow,
                    RuleId::FilesystemReadAllow,
                    Severity::Low,
                    &r.path_allow,
                    None,
                ),
            },
            ActionType::WriteFile => {
                if let Some(i) = self.block_write.first_path_match(request.target) {
                    return self.block_write.decision(
                        i,
                        Outcome::Block,
                        RuleId::FilesystemWriteBlock,
                        Severity::High,
                        None,
                    );
                }
                if let Some(i) = self.require_approval_write.first_path_match(request.target) {
                    return self.require_approval_write.decision(
                        i,
                        Outcome::RequireApproval,
                        RuleId::FilesystemWriteRequireApproval,
                        Severity::High,
                        Some(ApproverGroup::PlatformSecurity),
                    );
                }
                fixed(
                    Outcome::Allow,
                    RuleId::FilesystemWriteAllow,
                    Severity::Low,
                    &r.path_allow,
                    None,
                )
            }
            ActionType::ExecuteCommand => {
                let operation = python::python_strip(request.requested_operation);
                if let Some(i) = self.command_block.first_match(operation) {
                    let severity = if operation.contains("apply") || operation.contains("delete") {
                        Severity::Critical
                    } else {
                        Severity::High
                    };
                    return self.command_block.decision(
                        i,
                        Outcome::Block,
                        RuleId::CommandsBlock,
                        severity,
                        None,
                    );
                }
                if let Some(i) = self.command_allow.first_match(operation) {
                    return self.command_allow.decision(
                        i,
                        Outcome::Allow,
                        RuleId::CommandsAllow,
                        Severity::Low,
                        None,
                    );
                }
                fixed(
                    Outcome::RequireApproval,
                    RuleId::CommandsDefaultRequireApproval,
                    Severity::Medium,
                    &r.command_default,
                    Some(ApproverGroup::RepositoryOwners),
                )
            }
            ActionType::GitOperation => {
                let operation = python::python_strip(request.requested_operation);
                let target = request.target;
                if operation == "push" && (target.ends_with("main") || target.ends_with("master")) {
                    fixed(
                        Outcome::Block,
                        RuleId::GitProtectedBranchBlockDirectPush,
                        Severity::High,
                        &r.git_block,
                        None,
                    )
                } else {
                    fixed(
                        Outcome::Allow,
                        RuleId::GitAllow,
                        Severity::Low,
                        &r.git_allow,
                        None,
                    )
                }
            }
            ActionType::McpToolCall => {
                let server = request.server;
                let listed =
                    |list: &[Box<str>]| list.binary_search_by(|s| (**s).cmp(server)).is_ok();
                if listed(&self.blocked_servers)
                    || (self.block_unknown_servers && !listed(&self.allowed_servers))
                {
                    fixed(
                        Outcome::Block,
                        RuleId::McpServerTrustBlockUnknown,
                        Severity::High,
                        &r.mcp_block,
                        None,
                    )
                } else {
                    fixed(
                        Outcome::Allow,
                        RuleId::McpServerTrustAllow,
                        Severity::Low,
                        &r.mcp_allow,
                        None,
                    )
                }
            }
            ActionType::Other => fixed(
                Outcome::RequireApproval,
                RuleId::RuntimeDefaultRequireApproval,
                Severity::Medium,
                &r.runtime_default,
                Some(ApproverGroup::RepositoryOwners),
            ),
        }
    }

    /// Decides many requests, in order.
    pub fn decide_batch(&self, requests: &[Request<'_>]) -> Vec<Decision> {
        requests
            .iter()
            .map(|request| self.decide(request))
            .collect()
    }

    /// Decides many requests and only counts the outcomes (`[allow, block, require_approval]`),
    /// for throughput measurements and summaries.
    pub fn count_outcomes(&self, requests: &[Request<'_>]) -> [usize; 3] {
        let mut counts = [0usize; 3];
        for request in requests {
            let slot = match self.decide(request).decision {
                Outcome::Allow => &mut counts[0],
                Outcome::Block => &mut counts[1],
                Outcome::RequireApproval => &mut counts[2],
            };
            *slot += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Value {
        let list =
            |items: &[&str]| Value::List(items.iter().map(|s| Value::Str((*s).into())).collect());
        let map = |entries: Vec<(&str, Value)>| {
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Value::Str(k.into()), v))
                    .collect(),
            )
        };
        map(vec![
            (
                "filesystem",
                map(vec![
                    ("block_read", list(&[".env", "**/secrets.*"])),
                    ("block_write", list(&["**/main.tf"])),
                    ("require_approval_write", list(&["policies/**"])),
                ]),
            ),
            (
                "commands",
                map(vec![
                    ("block", list(&["terraform apply*", "git push origin main"])),
                    ("allow", list(&["terraform plan*"])),
                ]),
            ),
        ])
    }

    fn check(request: Request<'_>, want: &str, rule: &str) {
        let compiled = CompiledPolicy::from_value(&policy());
        let decision = compiled.decide(&request);
        assert_eq!(
            (decision.decision.as_str(), decision.rule_id.as_str()),
            (want, rule),
            "{request:?}"
        );
    }

    #[test]
    fn paths_are_normalised_before_blocking() {
        check(
            Request::new("read_file", ".env"),
            "block",
            "filesystem.read.block",
        );
        check(
            Request::new("read_file", "./.env"),
            "block",
            "filesystem.read.block",
        );
        check(
            Request::new("read_file", "a/../.env"),
            "block",
            "filesystem.read.block",
        );
        check(
            Request::new("read_file", "../../.env"),
            "block",
            "filesystem.read.block",
        );
        check(
            Request::new("read_file", "a//secrets.txt"),
            "block",
            "filesystem.read.block",
        );
        check(
            Request::new("read_file", "secrets.txt"),
            "allow",
            "filesystem.read.allow",
        );
        check(
            Request::new("write_file", "./policies/x.yaml"),
            "require_approval",
            "filesystem.write.require_approval",
        );
    }

    #[test]
    fn commands_git_mcp_and_default() {
        check(
            Request::new("execute_command", " terraform plan "),
            "allow",
            "commands.allow",
        );
        check(
            Request::new("execute_command", "terraform   plan"),
            "require_approval",
            "commands.default.require_approval",
        );
        let push = Request::new("git_operation", "origin/remaster").with_operation(" push ");
        check(push, "block", "git.protected_branch.block_direct_push");
        let push = Request::new("git_operation", "origin/main ").with_operation("push");
        check(push, "allow", "git.allow");
        check(
            Request::new("mcp_tool_call", "github:read"),
            "block",
            "mcp.server.trust.block_unknown",
        );
        check(
            Request::new("other", "x"),
            "require_approval",
            "runtime.default.require_approval",
        );
    }

    #[test]
    fn spans_point_at_the_pattern() {
        let source = "filesystem:\n  block_read:\n    - .env\n    - ~\n    - \"**/*.pem\"\n";
        let root = crate::model::parse_policy(source).root.unwrap();
        let compiled = CompiledPolicy::from_node(&root);
        let decision = compiled.decide(&Request::new("read_file", "a/k.pem"));
        let span = decision.pattern_span.unwrap();
        assert_eq!(&source[span.start..span.end], "\"**/*.pem\"");
        assert_eq!(span.line, 5);
    }

    #[test]
    fn severity_and_cavra_json() {
        let compiled = CompiledPolicy::from_value(&policy());
        let decision = compiled.decide(&Request::new("execute_command", "terraform apply -x"));
        assert_eq!(decision.severity, Severity::Critical);
        assert_eq!(
            decision.matched_pattern.as_deref(),
            Some("terraform apply*")
        );
        let json = decision.to_cavra_json();
        assert_eq!(
            serde_json::to_string(&json).unwrap(),
            r#"{"decision":"block","rule_id":"commands.block","severity":"critical","reason":"Matched blocked command policy: terraform apply*"}"#
        );
    }
}
