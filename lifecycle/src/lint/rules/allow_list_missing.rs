//! Rule `LC014` (allow-list-missing): commands are blocked but none is allowed

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Warns when `commands.block` has entries but `commands.allow` is missing or empty (CAVRA
    /// code `commands.allow.missing`).
    ///
    /// ## Why it matters
    /// Every command that is not blocked then falls to "require approval", so dry runs and
    /// agents need extra approvals for routine commands.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["terraform apply*"]
    /// ```
    ///
    /// ## How to fix
    /// List the routine commands in `commands.allow` (`terraform plan*`, `pytest*`).
    pub RULE = { code: "LC014", name: "allow-list-missing", severity: Warning, summary: "commands are blocked but none is allowed" }
}
