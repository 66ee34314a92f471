//! Rule `LC033` (invariant-violated): the pack breaks an invariant of its `cases.yaml`.

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Proves each invariant of the pack's `cases.yaml` (`must_block`, `must_allow`,
    /// `must_require_approval`) over every request it covers, and reports one that fails with
    /// a shortest counterexample request, confirmed by the evaluator. In the editor the
    /// finding sits on the rule that decides the counterexample (or on the list a rule would
    /// have to join); `cavra policy lint` shows it on the invariant in `cases.yaml`.
    ///
    /// ## Why it matters
    /// An invariant is a promise about every request ("no read of a `.env` file is ever
    /// allowed"), not about a few samples. The promotion gate refuses a version that breaks
    /// one, naming the same counterexample.
    ///
    /// ## Example
    /// ```yaml
    /// # cases.yaml
    /// must_block:
    ///   - {action: read_file, target: "**/.env*"}
    /// # policy.yaml: blocks `.env` and `**/.env` only, so `config/.env.local` is allowed
    /// filesystem:
    ///   block_read: [".env", "**/.env"]
    /// ```
    ///
    /// ## How to fix
    /// Add or widen a rule so the counterexample gets the required outcome (earlier in the
    /// order than the rule deciding it now), or narrow the invariant if it promised too much.
    pub RULE = { code: "LC033", name: "invariant-violated", severity: Blocker, summary: "the pack breaks an invariant of its cases.yaml" }
}
