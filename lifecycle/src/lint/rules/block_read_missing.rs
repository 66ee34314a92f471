//! Rule `LC015` (block-read-missing): no sensitive read paths are blocked

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Warns when `filesystem.block_read` is missing or empty, including when the pack has no
    /// `filesystem` section (CAVRA code `filesystem.block_read.missing`).
    ///
    /// ## Why it matters
    /// Agents can then read secrets such as `.env`, keys and Terraform state.
    ///
    /// ## Example
    /// ```yaml
    /// filesystem:
    ///   block_write: ["**/main.tf"]
    /// ```
    ///
    /// ## How to fix
    /// Add `block_read` with at least `.env`, `**/*.pem` and `**/secrets.*`.
    pub RULE = { code: "LC015", name: "block-read-missing", severity: Warning, summary: "no sensitive read paths are blocked" }
}
