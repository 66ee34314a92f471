//! What the evaluator answers: the outcome, severity, rule id and approver group (each with
//! CAVRA's spelling), and the [`Decision`] carrying them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::value::Span;

/// Declares a fieldless enum whose every variant has one CAVRA spelling, used both by serde and
/// by `as_str`, so the wire format and the text can never drift apart.
macro_rules! cavra_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[doc = $doc:literal])* $variant:ident = $text:literal,)+
        }
        $(#[doc = $as_str_doc:literal])*
        fn as_str;
    ) => {
        $(#[$meta])*
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
        pub enum $name {
            $($(#[doc = $doc])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            $(#[doc = $as_str_doc])*
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
    };
}

cavra_enum! {
    /// What the evaluator decided.
    pub enum Outcome {
        /// The action may proceed.
        Allow = "allow",
        /// The action is refused.
        Block = "block",
        /// The action needs a human approval.
        RequireApproval = "require_approval",
    }
    /// CAVRA's spelling (`allow`, `block`, `require_approval`).
    fn as_str;
}

cavra_enum! {
    /// How severe a decision is.
    pub enum Severity {
        /// Routine.
        Low = "low",
        /// Needs review.
        Medium = "medium",
        /// Sensitive.
        High = "high",
        /// Destructive or privileged.
        Critical = "critical",
    }
    /// CAVRA's spelling.
    fn as_str;
}

cavra_enum! {
    /// The rule that produced a decision, with CAVRA's ids.
    pub enum RuleId {
        /// `filesystem.read.block`
        FilesystemReadBlock = "filesystem.read.block",
        /// `filesystem.read.allow`
        FilesystemReadAllow = "filesystem.read.allow",
        /// `filesystem.write.block`
        FilesystemWriteBlock = "filesystem.write.block",
        /// `filesystem.write.require_approval`
        FilesystemWriteRequireApproval = "filesystem.write.require_approval",
        /// `filesystem.write.allow`
        FilesystemWriteAllow = "filesystem.write.allow",
        /// `commands.block`
        CommandsBlock = "commands.block",
        /// `commands.allow`
        CommandsAllow = "commands.allow",
        /// `commands.default.require_approval`
        CommandsDefaultRequireApproval = "commands.default.require_approval",
        /// `git.protected_branch.block_direct_push`
        GitProtectedBranchBlockDirectPush = "git.protected_branch.block_direct_push",
        /// `git.allow`
        GitAllow = "git.allow",
        /// `mcp.server.trust.block_unknown`
        McpServerTrustBlockUnknown = "mcp.server.trust.block_unknown",
        /// `mcp.server.trust.allow`
        McpServerTrustAllow = "mcp.server.trust.allow",
        /// `runtime.default.require_approval`
        RuntimeDefaultRequireApproval = "runtime.default.require_approval",
    }
    /// CAVRA's rule id.
    fn as_str;
}

cavra_enum! {
    /// Who approves a `require_approval` decision.
    pub enum ApproverGroup {
        /// `Platform Security`
        PlatformSecurity = "Platform Security",
        /// `Repository Owners`
        RepositoryOwners = "Repository Owners",
    }
    /// CAVRA's group name.
    fn as_str;
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
