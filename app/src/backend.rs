//! The storage and lifecycle port used by server functions.
//!
//! The `server` crate implements [`Backend`] over its service layer (SQLite or PostgreSQL) and
//! provides it as Leptos context; server functions fetch it with [`backend`]. REST handlers call
//! the same service, so the browser and the API cannot disagree. Keeping the trait here lets the
//! components and server functions live in one crate without this crate knowing any SQL.
//!
//! The records below are plain serde types with no server dependency, so they can be shown by
//! components as well.

use std::collections::BTreeMap;

use lifecycle::diagnostic::Diagnostic;
use lifecycle::diff::{DecisionImpact, SemanticDiff};
use lifecycle::dry_run::DryRunReport;
use lifecycle::lint::LintReport;
use serde::{Deserialize, Serialize};

/// An error from the service layer, already safe to show to a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum BackendError {
    /// The database could not be reached or the query failed; details are logged server side.
    #[error("storage is unavailable")]
    Unavailable,
    /// No valid session: sign in first.
    #[error("sign in first")]
    Unauthenticated,
    /// Signed in, but the role or group does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input is well formed but not acceptable (lint blockers, unknown group, …).
    #[error("{0}")]
    Invalid(String),
    /// A text over the service's size limit (a policy source, a comment, a name); the message
    /// names the limit.
    #[error("{0}")]
    TooLarge(String),
    /// A stale write: somebody else saved first. `current_revision` is the stored revision.
    #[error("{message}")]
    Conflict {
        /// What conflicted.
        message: String,
        /// The revision now stored, for drafts.
        current_revision: Option<i64>,
    },
    /// A gate refused: every missing item is listed.
    #[error("{message}")]
    Refused {
        /// Summary.
        message: String,
        /// Each missing item, one sentence each.
        missing: Vec<String>,
    },
    /// Too many attempts (failed sign-ins, a runtime token over its rate); retry after the given
    /// number of seconds.
    #[error("{what}; retry in {retry_after_secs} s")]
    RateLimited {
        /// What was too many (`too many failed sign-ins`, …).
        what: String,
        /// Seconds until the next attempt is accepted.
        retry_after_secs: u64,
    },
    /// The server is at capacity for this kind of work (password hashes); retry after the given
    /// number of seconds.
    #[error("{what}; retry in {retry_after_secs} s")]
    Busy {
        /// What is at capacity (`too many sign-ins at once`, …).
        what: String,
        /// Seconds after which a retry is likely to be served.
        retry_after_secs: u64,
    },
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Drafts, publishes, requests approval, runs shadow, promotes.
    Author,
    /// Signs off for the approver groups they belong to.
    Approver,
    /// Everything, plus user management.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "author" => Some(Role::Author),
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Approver groups the user belongs to.
    pub groups: Vec<String>,
}

impl Actor {
    /// Whether the user may draft, publish, request approval, run shadow and promote.
    pub fn can_author(&self) -> bool {
        matches!(self.role, Role::Author | Role::Admin)
    }
}

/// A pack with its enforced version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackSummary {
    /// `metadata.id`.
    pub id: String,
    /// `metadata.title`.
    pub title: String,
    /// Digest of the enforced version, if any.
    pub enforced_digest: Option<String>,
    /// When it became enforced (RFC 3339).
    pub enforced_at: Option<String>,
    /// Number of enforcement changes so far.
    pub enforced_seq: i64,
    /// The approver groups a promotion needs (the groups of `approval_rule.promotion`).
    pub approver_groups: Vec<String>,
    /// The server's approval rule for this pack: requests may add groups, never remove them.
    pub approval_rule: ApprovalRule,
    /// What a shadow run must show before promotion (the pack's setting, else the defaults).
    #[serde(default)]
    pub shadow_rule: ShadowRule,
    /// The pack's invariants (`must_block`, `must_allow`, `must_require_approval` of its
    /// `cases.yaml`): the gate proves them for every version, the editor marks the rule that
    /// breaks one.
    #[serde(default)]
    pub invariants: Vec<lifecycle::invariants::Invariant>,
    /// The active shadow run, if any.
    pub shadow: Option<ShadowRun>,
}

/// What a shadow run must show before the gate lets its candidate be promoted: at least
/// `min_observations` authenticated decisions, from at least `min_runtimes` distinct runtimes,
/// spread over at least `min_observed_secs` (first to last authenticated observation). Pack
/// settings, admin-editable and audited; a pack without its own takes the server's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowRule {
    /// N: authenticated observations.
    pub min_observations: u32,
    /// K: distinct runtimes (token names) among them.
    pub min_runtimes: u32,
    /// T: seconds between the first and the last authenticated observation.
    pub min_observed_secs: u64,
}

impl Default for ShadowRule {
    /// The server's defaults: 100 observations from 2 runtimes over 24 hours.
    fn default() -> Self {
        ShadowRule {
            min_observations: 100,
            min_runtimes: 2,
            min_observed_secs: 24 * 3600,
        }
    }
}

/// A runtime identity: a service token an agent runtime presents on `/v1/decisions`. The secret
/// itself is shown once, at creation ([`NewRuntimeToken`]); only its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeToken {
    /// Token id.
    pub id: i64,
    /// The runtime's name (`ci-runner-eu`); recorded with every decision it makes.
    pub name: String,
    /// The packs it may ask about; `None`: every pack.
    pub packs: Option<Vec<String>>,
    /// Who created it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// A token just created: the record and the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRuntimeToken {
    /// The stored record.
    pub token: RuntimeToken,
    /// `Authorization: Bearer <secret>`; not stored, not shown again.
    pub secret: String,
}

/// The observations of one runtime in a shadow run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeObservations {
    /// The runtime (token name).
    pub runtime: String,
    /// Decisions observed.
    pub observations: i64,
    /// Of which diverged.
    pub divergences: i64,
    /// Of which nobody acknowledged.
    pub unacknowledged: i64,
}

/// How many distinct approvers of one group an approval needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupQuorum {
    /// Approver group.
    pub group: String,
    /// Distinct approvers needed from it (at least 1).
    pub quorum: u32,
}

/// A pack's approval rule, kept by the server (pack settings, admin-editable, audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRule {
    /// What a promotion needs.
    pub promotion: Vec<GroupQuorum>,
    /// What a rollback needs (always includes Platform Security).
    pub rollback: Vec<GroupQuorum>,
    /// Hours after which a sign-off no longer counts.
    pub ttl_hours: u32,
}

impl ApprovalRule {
    /// The group every rollback needs, whatever the pack's settings say.
    pub const ROLLBACK_GROUP: &'static str = "Platform Security";
    /// Default sign-off lifetime: one week.
    pub const DEFAULT_TTL_HOURS: u32 = 168;

    /// The default rule for a pack whose promotions need `groups`.
    pub fn defaults(groups: &[String]) -> ApprovalRule {
        ApprovalRule {
            promotion: groups
                .iter()
                .map(|group| GroupQuorum {
                    group: group.clone(),
                    quorum: 1,
                })
                .collect(),
            rollback: vec![GroupQuorum {
                group: Self::ROLLBACK_GROUP.to_owned(),
                quorum: 1,
            }],
            ttl_hours: Self::DEFAULT_TTL_HOURS,
        }
    }

    /// The requirement of a request kind (`promotion` or `rollback`).
    pub fn for_kind(&self, kind: &str) -> &[GroupQuorum] {
        if kind == "rollback" {
            &self.rollback
        } else {
            &self.promotion
        }
    }
}

/// An editable draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Draft id.
    pub id: i64,
    /// Pack.
    pub pack_id: String,
    /// YAML text.
    pub source: String,
    /// Revision; a save must carry the revision it was based on.
    pub revision: i64,
    /// The version it was created from.
    pub base_digest: Option<String>,
    /// Author's username.
    pub created_by: String,
    /// Co-authors' usernames: besides the author, only they may save and publish the draft.
    #[serde(default)]
    pub coauthors: Vec<String>,
    /// Last save (RFC 3339).
    pub updated_at: String,
}

/// An immutable published version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// Pack.
    pub pack_id: String,
    /// `sha256:…` content digest.
    pub digest: String,
    /// Author's username.
    pub author: String,
    /// Publication time (RFC 3339).
    pub created_at: String,
    /// Lint blockers (0 for any published version).
    pub lint_blockers: i64,
    /// Lint warnings.
    pub lint_warnings: i64,
    /// Whether the dry run passed.
    pub dry_run_passed: bool,
    /// Whether this is the enforced version.
    pub enforced: bool,
    /// The digest the diff was computed against (the enforced version at publication).
    pub diff_against: Option<String>,
    /// YAML text (detail views only; empty in lists).
    pub source: String,
    /// CAVRA lint report and the live linter's findings (detail views only; `None`, `null` in
    /// JSON, in lists).
    pub lint_report: Option<VersionLintReport>,
    /// CAVRA dry-run report (detail views only).
    pub dry_run_report: Option<DryRunReport>,
    /// Semantic diff against `diff_against` (detail views with a `diff_against` only).
    pub semantic_diff: Option<SemanticDiff>,
    /// Decision-impact diff against `diff_against` (detail views with a `diff_against` only).
    pub decision_impact: Option<DecisionImpact>,
}

/// The lint results stored with a version: CAVRA's report and the live linter's diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionLintReport {
    /// CAVRA's lint report (`lint_policy_lifecycle`).
    pub cavra: LintReport,
    /// Every finding of the live linter (`lint_source`), blockers and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// A sign-off on an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// Sign-off id (to withdraw it).
    pub id: i64,
    /// Approver's username.
    pub user: String,
    /// The group signed for.
    pub group: String,
    /// The digest approved; never valid for another.
    pub digest: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// Free text.
    pub comment: String,
    /// When (RFC 3339).
    pub at: String,
    /// Set once withdrawn: it no longer counts (nor blocks, for a rejection).
    pub withdrawn: Option<Withdrawal>,
}

/// The withdrawal of a sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Who withdrew it.
    pub user: String,
    /// Why.
    pub comment: String,
    /// When (RFC 3339).
    pub at: String,
}

/// An approval request for one digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Request id.
    pub id: i64,
    /// Pack.
    pub pack_id: String,
    /// The digest to approve.
    pub digest: String,
    /// `promotion` or `rollback`.
    pub kind: String,
    /// Groups asked: the pack's rule at request time plus any the requester added.
    pub groups: Vec<String>,
    /// Requester's username.
    pub requested_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// Sign-offs so far.
    pub signoffs: Vec<SignOff>,
    /// Groups still short of their quorum (per the pack's current rule).
    pub pending_groups: Vec<String>,
    /// Whether a rejection of this digest stands (not withdrawn): it blocks the digest.
    pub rejected: bool,
    /// When the promotion or rollback it was for consumed it (RFC 3339); its sign-offs no
    /// longer count.
    pub consumed_at: Option<String>,
}

/// What an approver submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOffInput {
    /// The group signed for (the approver must belong to it).
    pub group: String,
    /// The digest being approved; must be the request's digest.
    pub digest: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// Free text.
    #[serde(default)]
    pub comment: String,
}

/// A shadow run: a candidate evaluated beside the enforced version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowRun {
    /// Run id.
    pub id: i64,
    /// Pack.
    pub pack_id: String,
    /// The candidate evaluated in shadow.
    pub candidate_digest: String,
    /// The enforced digest when the run started.
    pub enforced_digest: String,
    /// Who started it.
    pub started_by: String,
    /// When (RFC 3339).
    pub started_at: String,
    /// When it stopped, if it did.
    pub stopped_at: Option<String>,
}

/// Recorded decisions replayed by default (the newest ones).
pub const DEFAULT_REPLAY_WINDOW: u64 = 100_000;

/// What a stored version would have done to the pack's recorded decisions (`cavra policy
/// replay`, run by the server over its own decision log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplaySummary {
    /// The pack.
    pub pack_id: String,
    /// The replayed version.
    pub candidate_digest: String,
    /// The version compared against; `None` means the logged decisions themselves.
    pub baseline_digest: Option<String>,
    /// Most recent decisions replayed at most.
    pub window: u64,
    /// Share of each outcome: baseline, candidate, and candidate minus baseline.
    pub rates: ReplayRates,
    /// The full report: counts, flips by kind and by rule, example inputs.
    pub report: lifecycle::replay::ReplayReport,
}

/// Outcome shares of a replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayRates {
    /// Under the baseline.
    pub baseline: lifecycle::replay::OutcomeRates,
    /// Under the candidate.
    pub candidate: lifecycle::replay::OutcomeRates,
    /// Candidate minus baseline.
    pub change: lifecycle::replay::OutcomeRates,
}

/// Observations of a shadow run rolled up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivergenceSummary {
    /// The run.
    pub shadow: ShadowRun,
    /// Decisions observed.
    pub observations: i64,
    /// Observations where the candidate's decision differs.
    pub divergences: i64,
    /// Divergences nobody acknowledged yet.
    pub unacknowledged: i64,
    /// Seconds observed so far.
    pub observed_secs: i64,
    /// Divergences per flip kind (`allow_to_block`, `block_to_require_approval`, …).
    pub by_flip: BTreeMap<String, i64>,
    /// Divergences per rule pair (`enforced_rule -> candidate_rule`).
    pub by_rule: BTreeMap<String, i64>,
    /// The counts per runtime (the counts above are their sums).
    #[serde(default)]
    pub by_runtime: Vec<RuntimeObservations>,
    /// Seconds from the first to the last authenticated observation.
    #[serde(default)]
    pub traffic_secs: i64,
    /// Observations without a runtime (recorded before tokens were required): shown, never
    /// counted by the gate.
    #[serde(default)]
    pub unauthenticated: i64,
}

/// One item of the promotion gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCheck {
    /// `enforcement`, `lint`, `dry_run`, `invariants`, `shadow`, `approvals`.
    pub name: String,
    /// Whether it is satisfied.
    pub passed: bool,
    /// Why (one sentence per missing item when not passed).
    pub missing: Vec<String>,
}

/// The promotion gate for one digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateReport {
    /// Pack.
    pub pack_id: String,
    /// The digest evaluated.
    pub digest: String,
    /// Every check passed.
    pub ready: bool,
    /// The checks in order.
    pub checks: Vec<GateCheck>,
}

/// The result of a promotion or rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enforcement {
    /// Pack.
    pub pack_id: String,
    /// The newly enforced digest.
    pub digest: String,
    /// The digest it replaced.
    pub previous_digest: Option<String>,
    /// Enforcement sequence number after the change.
    pub seq: i64,
    /// The evidence packet written for the event.
    pub evidence_id: i64,
    /// Rollback steps carried out (empty for promotions).
    pub steps: Vec<String>,
}

/// One enforcement change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Sequence number within the pack.
    pub seq: i64,
    /// Enforced digest.
    pub digest: String,
    /// `import`, `promote` or `rollback`.
    pub action: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A signed evidence packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidencePacket {
    /// Packet id.
    pub id: i64,
    /// Pack.
    pub pack_id: String,
    /// Digest the packet is for.
    pub digest: String,
    /// `publish`, `approval_request`, `signoff`, `promotion`, `rollback`.
    pub event: String,
    /// SHA-256 of the packet bytes.
    pub sha256: String,
    /// File name in the evidence directory.
    pub file_name: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// The packet bytes (detail views only; empty in lists).
    pub packet: String,
    /// Detached Ed25519 signature over the packet bytes, hex.
    pub signature: String,
    /// Public key, hex.
    pub public_key: String,
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use std::net::IpAddr;
    use std::sync::Arc;

    use leptos::prelude::*;

    use super::*;

    /// What the web application needs from storage and the lifecycle service.
    ///
    /// Every mutating method takes the signed-in [`Actor`] (from [`Backend::authenticate`]) and
    /// enforces its role server side.
    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        /// The user behind a session cookie value.
        async fn authenticate(&self, session_token: &str) -> Result<Actor, BackendError>;
        /// Checks a password and opens a session; returns the user and the session token.
        /// Sign-ins are throttled per account and per `client` address (the request's
        /// [`ClientAddr`]; `None` only for callers without a network peer).
        async fn login(
            &self,
            username: &str,
            password: &str,
            client: Option<IpAddr>,
        ) -> Result<(Actor, String), BackendError>;
        /// Ends a session.
        async fn logout(&self, session_token: &str) -> Result<(), BackendError>;

        /// Every pack with its enforced version and active shadow run.
        async fn list_packs(&self) -> Result<Vec<PackSummary>, BackendError>;
        /// Drafts of a pack, newest first.
        async fn list_drafts(&self, pack_id: &str) -> Result<Vec<Draft>, BackendError>;
        /// One draft.
        async fn get_draft(&self, draft_id: i64) -> Result<Draft, BackendError>;
        /// A new draft from the enforced version, or from `from_digest`.
        async fn create_draft(
            &self,
            actor: &Actor,
            pack_id: &str,
            from_digest: Option<&str>,
        ) -> Result<Draft, BackendError>;
        /// Saves a draft; a stale `base_revision` is a [`BackendError::Conflict`].
        async fn save_draft(
            &self,
            actor: &Actor,
            draft_id: i64,
            source: &str,
            base_revision: i64,
        ) -> Result<Draft, BackendError>;
        /// Replaces a draft's co-authors (the author or an admin); returns the draft.
        async fn set_coauthors(
            &self,
            actor: &Actor,
            draft_id: i64,
            usernames: &[String],
        ) -> Result<Draft, BackendError>;
        /// Publishes a draft as an immutable version (refused on lint blockers).
        async fn publish_draft(
            &self,
            actor: &Actor,
            draft_id: i64,
        ) -> Result<Version, BackendError>;
        /// Versions of a pack, newest first (without the heavy fields).
        async fn list_versions(&self, pack_id: &str) -> Result<Vec<Version>, BackendError>;
        /// One version with reports and diffs.
        async fn get_version(&self, pack_id: &str, digest: &str) -> Result<Version, BackendError>;
        /// Opens an approval request for a digest. It always asks the groups of the pack's
        /// approval rule for `kind`; `groups` can only add reviewers to those.
        async fn request_approval(
            &self,
            actor: &Actor,
            pack_id: &str,
            digest: &str,
            kind: &str,
            groups: Option<Vec<String>>,
        ) -> Result<ApprovalRequest, BackendError>;
        /// Approval requests of a pack, newest first.
        async fn list_approvals(&self, pack_id: &str)
            -> Result<Vec<ApprovalRequest>, BackendError>;
        /// Withdraws a sign-off: the signer's own, or a rejection by a member of its group.
        async fn withdraw_signoff(
            &self,
            actor: &Actor,
            signoff_id: i64,
            comment: &str,
        ) -> Result<ApprovalRequest, BackendError>;
        /// Replaces a pack's shadow rule (admins only; audited).
        async fn set_shadow_rule(
            &self,
            actor: &Actor,
            pack_id: &str,
            rule: &ShadowRule,
        ) -> Result<PackSummary, BackendError>;
        /// Every runtime token, newest first (admins only).
        async fn list_tokens(&self, actor: &Actor) -> Result<Vec<RuntimeToken>, BackendError>;
        /// Creates a runtime token scoped to `packs` (`None`: every pack); admins only, audited.
        async fn create_token(
            &self,
            actor: &Actor,
            name: &str,
            packs: Option<Vec<String>>,
        ) -> Result<NewRuntimeToken, BackendError>;
        /// Revokes a runtime token (admins only, audited).
        async fn revoke_token(
            &self,
            actor: &Actor,
            token_id: i64,
        ) -> Result<RuntimeToken, BackendError>;
        /// Replaces a pack's approval rule (admins only; audited).
        async fn set_approval_rule(
            &self,
            actor: &Actor,
            pack_id: &str,
            rule: &ApprovalRule,
        ) -> Result<PackSummary, BackendError>;
        /// Signs off a request (separation of duties and digest binding enforced).
        async fn sign_off(
            &self,
            actor: &Actor,
            request_id: i64,
            input: &SignOffInput,
        ) -> Result<ApprovalRequest, BackendError>;
        /// Starts shadow mode for a candidate version.
        async fn start_shadow(
            &self,
            actor: &Actor,
            pack_id: &str,
            digest: &str,
        ) -> Result<ShadowRun, BackendError>;
        /// Stops the active shadow run.
        async fn stop_shadow(
            &self,
            actor: &Actor,
            pack_id: &str,
        ) -> Result<ShadowRun, BackendError>;
        /// Divergences of the active (or latest) shadow run.
        async fn divergence(
            &self,
            pack_id: &str,
        ) -> Result<Option<DivergenceSummary>, BackendError>;
        /// Replays the pack's most recent `window` recorded decisions through a stored version,
        /// against `baseline` (default: the enforced version).
        async fn replay_version(
            &self,
            pack_id: &str,
            digest: &str,
            baseline: Option<&str>,
            window: u64,
        ) -> Result<ReplaySummary, BackendError>;
        /// Acknowledges every divergence of the active shadow run.
        async fn acknowledge_divergences(
            &self,
            actor: &Actor,
            pack_id: &str,
        ) -> Result<DivergenceSummary, BackendError>;
        /// The promotion gate for a digest, without changing anything.
        async fn gate(&self, pack_id: &str, digest: &str) -> Result<GateReport, BackendError>;
        /// Promotes a digest to enforced; refused with every missing item.
        async fn promote(
            &self,
            actor: &Actor,
            pack_id: &str,
            digest: &str,
        ) -> Result<Enforcement, BackendError>;
        /// Rolls back to a previously enforced digest (approval-gated).
        async fn rollback(
            &self,
            actor: &Actor,
            pack_id: &str,
            digest: &str,
            reason: &str,
        ) -> Result<Enforcement, BackendError>;
        /// Break-glass (admins only): enforces a digest by `promote` or `rollback` without the
        /// approval (and shadow) checks, with a reason; audited and flagged in the packet.
        async fn break_glass(
            &self,
            actor: &Actor,
            pack_id: &str,
            digest: &str,
            action: &str,
            reason: &str,
        ) -> Result<Enforcement, BackendError>;
        /// Enforcement history, oldest first.
        async fn history(&self, pack_id: &str) -> Result<Vec<HistoryEntry>, BackendError>;
        /// Evidence packets of a pack, newest first (without bytes).
        async fn list_evidence(&self, pack_id: &str) -> Result<Vec<EvidencePacket>, BackendError>;
        /// One evidence packet with its bytes and signature.
        async fn get_evidence(&self, evidence_id: i64) -> Result<EvidencePacket, BackendError>;
    }

    /// The shared handle the server provides as context.
    pub type SharedBackend = Arc<dyn Backend>;

    /// Fetches the backend from the request context.
    pub fn backend() -> Result<SharedBackend, ServerFnError> {
        use_context::<SharedBackend>().ok_or_else(|| {
            ServerFnError::new("server misconfigured: no storage backend in context")
        })
    }

    /// The request's session, resolved once per request by the server's middleware and kept
    /// in the request's extensions: the REST API and server functions read the same value.
    #[derive(Debug, Clone)]
    pub struct Session {
        /// The session token the request carried (to end the session on sign-out).
        pub token: Option<String>,
        /// The signed-in user, or why there is none.
        pub actor: Result<Actor, BackendError>,
    }

    impl Session {
        /// A request without a session.
        pub fn anonymous() -> Session {
            Session {
                token: None,
                actor: Err(BackendError::Unauthenticated),
            }
        }
    }

    /// The request's client address as the server resolved it: the TCP peer, or the address a
    /// trusted proxy forwarded. The server stores it in the request's extensions.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ClientAddr(pub IpAddr);

    /// The current request's client address (`None` outside a request the server resolved).
    pub async fn current_client() -> Option<IpAddr> {
        let parts: Result<http::request::Parts, _> = leptos_axum::extract().await;
        parts
            .ok()
            .and_then(|parts| parts.extensions.get::<ClientAddr>().map(|client| client.0))
    }

    /// What server functions need from HTTP, implemented by the server and provided as context,
    /// so this crate knows no status codes, headers or cookies.
    pub trait HttpPort: Send + Sync + 'static {
        /// Gives the current server-function response the status (and headers) of an error.
        fn error_status(&self, error: &BackendError);
        /// Sets the session cookie on the current response (`None`: clears it).
        fn session_cookie(&self, token: Option<&str>);
    }

    /// The shared handle the server provides as context.
    pub type SharedHttp = Arc<dyn HttpPort>;

    /// The current request's session (anonymous outside a request the server resolved).
    pub async fn current_session() -> Session {
        let parts: Result<http::request::Parts, _> = leptos_axum::extract().await;
        parts
            .ok()
            .and_then(|parts| parts.extensions.get::<Session>().cloned())
            .unwrap_or_else(Session::anonymous)
    }

    // `server_fn` re-exports the axum it was built with; using it avoids a second `http` pin.
    use leptos::server_fn::axum_export::http;
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;

    /// Reading stored report text into the typed record and writing it again gives the very
    /// JSON the untyped `serde_json::Value` gave: REST and server-function output is unchanged.
    fn assert_same_json<T: Serialize + DeserializeOwned>(label: &str, typed: &T) {
        let stored = serde_json::to_string(typed).unwrap();
        let untyped: serde_json::Value = serde_json::from_str(&stored).unwrap();
        let reread: T = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            serde_json::to_string(&reread).unwrap(),
            serde_json::to_string(&untyped).unwrap(),
            "{label}"
        );
        assert_eq!(serde_json::to_string(&reread).unwrap(), stored, "{label}");
    }

    fn packs() -> Vec<(String, String, Option<String>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        let mut packs: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .filter_map(|entry| {
                let dir = entry.ok()?.path();
                let policy = std::fs::read_to_string(dir.join("policy.yaml")).ok()?;
                let cases = std::fs::read_to_string(dir.join("cases.yaml")).ok();
                let name = dir.file_name()?.to_string_lossy().into_owned();
                Some((name, policy, cases))
            })
            .collect();
        packs.sort();
        assert!(packs.len() > 2, "the example packs are found");
        // Findings (blockers, the safe summary, spans) and a float metadata value.
        let (_, first, _) = packs[0].clone();
        packs.push(("broken".into(), first.replacen("id:", "idx:", 1), None));
        packs.push((
            "float".into(),
            first.replacen("version:", "version: 1.0\n  old_version:", 1),
            None,
        ));
        packs
    }

    #[test]
    fn typed_reports_keep_the_stored_json() {
        let mut previous: Option<lifecycle::value::Value> = None;
        let mut safe_summaries = 0;
        let packs = packs();
        let count = packs.len();
        for (name, source, cases) in packs {
            let outcome = lifecycle::lint::lint_source(&source);
            let value = outcome.value.clone().unwrap();
            let lint = VersionLintReport {
                cavra: lifecycle::lint::lint_report(&value),
                diagnostics: outcome.diagnostics.clone(),
            };
            // The text the service stored before the record was typed.
            let old = serde_json::json!({"cavra": lint.cavra, "diagnostics": outcome.diagnostics});
            assert_eq!(
                serde_json::to_string(&lint).unwrap(),
                old.to_string(),
                "{name}"
            );
            assert_same_json(&name, &lint);
            if matches!(lint.cavra.summary, lifecycle::lint::LintSummary::Safe(_)) {
                safe_summaries += 1;
            }
            let fixtures = cases.map(|c| {
                let mut all = lifecycle::dry_run::default_fixtures();
                all.extend(lifecycle::dry_run::parse_cases_yaml(&c).unwrap());
                all
            });
            let dry_run =
                lifecycle::dry_run::build_dry_run_report(&value, fixtures.as_deref(), &name);
            assert_same_json(&name, &dry_run);
            let diff = previous
                .as_ref()
                .map(|p| lifecycle::diff::semantic_diff(p, &value));
            let impact = previous
                .as_ref()
                .map(|p| lifecycle::diff::decision_impact(p, &value));
            assert_same_json(&name, &diff);
            assert_same_json(&name, &impact);
            previous = Some(value);
        }
        // Both summaries are covered: the full one, and the safe one of packs with blockers.
        assert!((1..count).contains(&safe_summaries), "{safe_summaries}");
    }

    #[test]
    fn list_views_send_null_reports() {
        let version = Version {
            pack_id: "p".into(),
            digest: "sha256:0".into(),
            author: "a".into(),
            created_at: "2024-01-01T00:00:00Z".into(),
            lint_blockers: 0,
            lint_warnings: 0,
            dry_run_passed: true,
            enforced: false,
            diff_against: None,
            source: String::new(),
            lint_report: None,
            dry_run_report: None,
            semantic_diff: None,
            decision_impact: None,
        };
        let json = serde_json::to_value(&version).unwrap();
        for key in [
            "lint_report",
            "dry_run_report",
            "semantic_diff",
            "decision_impact",
        ] {
            assert!(json[key].is_null(), "{key}");
        }
        let back: Version = serde_json::from_value(json).unwrap();
        assert_eq!(back, version);
    }
}
