//! Deciding a request with a [`CompiledPolicy`]: CAVRA's rules in CAVRA's order (see the table
//! in the module documentation of [`crate::decide`]).

use std::sync::Arc;

use super::compile::{CompiledPolicy, RuleList};
use super::{path, python, ApproverGroup, Decision, Outcome, Request, RuleId, Severity};

impl RuleList {
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
        use super::matcher::bytes_eq;
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

impl CompiledPolicy {
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
