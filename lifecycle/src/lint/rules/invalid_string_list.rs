//! Rule `LC013` (invalid-string-list): a rule list is not a list of non-empty strings

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports `filesystem.block_read`, `block_write`, `require_approval_write`,
    /// `commands.block`, `commands.allow`, `mcp.allowed_servers` or `mcp.blocked_servers` when
    /// present but not a list of strings that are not blank (CAVRA code
    /// `<section>.<field>.invalid`). The diagnostic points at the first bad item.
    ///
    /// ## Why it matters
    /// CAVRA's evaluator silently converts or skips such items, so the rule does not do what it
    /// says.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["terraform apply*", "  ", 42]
    /// ```
    ///
    /// ## How to fix
    /// Write each pattern as a non-empty string; quote numbers.
    pub RULE = { code: "LC013", name: "invalid-string-list", severity: Blocker, summary: "a rule list is not a list of non-empty strings" }
}
