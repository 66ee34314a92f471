//! Rule `LC012` (controls-missing): no control section is populated

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a pack in which none of `filesystem`, `commands`, `git`, `mcp`, `approvals` and
    /// `evidence` is a non-empty mapping (CAVRA code `policy.controls.missing`). `compliance`
    /// does not count.
    ///
    /// ## Why it matters
    /// A pack without controls governs nothing.
    ///
    /// ## Example
    /// ```yaml
    /// metadata: {id: cavra-x, title: X, description: X, version: "1"}
    /// compliance: {maps_to: [SOC 2]}
    /// ```
    ///
    /// ## How to fix
    /// Add at least one control section with rules.
    pub RULE = { code: "LC012", name: "controls-missing", severity: Blocker, summary: "no control section is populated" }
}
