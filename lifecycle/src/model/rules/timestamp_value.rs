//! Rule `LC007` (timestamp-value): a plain value is read as a date

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports unquoted values that YAML 1.1 reads as dates or timestamps (`2024-01-31`,
    /// `2001-12-14 21:59:43.10 -5`).
    ///
    /// ## Why it matters
    /// PyYAML turns them into Python `datetime` objects, which CAVRA cannot serialise: computing
    /// the policy digest crashes.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   version: 2024-01-31
    /// ```
    ///
    /// ## How to fix
    /// Quote the value: `version: "2024-01-31"`.
    pub RULE = { code: "LC007", name: "timestamp-value", severity: Blocker, summary: "a plain value is read as a date" }
}
