//! Rule `LC011` (metadata-field-missing): a required metadata field is missing or empty

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports `metadata.id`, `title`, `description` or `version` when missing or falsy (empty,
    /// `0`, `null`); CAVRA codes `metadata.<field>.missing`.
    ///
    /// ## Why it matters
    /// CAVRA needs all four to version, publish and reference the pack; a pack without them is
    /// a blocker (and building a lifecycle plan for it crashes CAVRA).
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   id: cavra-x
    ///   title: ""
    /// ```
    ///
    /// ## How to fix
    /// Fill in all four fields with non-empty strings.
    pub RULE = { code: "LC011", name: "metadata-field-missing", severity: Blocker, summary: "a required metadata field is missing or empty" }
}
