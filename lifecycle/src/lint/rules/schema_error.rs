//! Rule `LC010` (schema-error): the pack violates CAVRA's policy schema

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks the pack against CAVRA's strict policy schema (the one shipped in its package)
    /// and reports each violation with jsonschema's exact message, in CAVRA's order (CAVRA code
    /// `schema_error`).
    ///
    /// ## Why it matters
    /// CAVRA refuses to publish a pack with schema errors; its lint report lists them as
    /// blockers.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   id: cavra-x
    ///   title: X
    ///   description: X
    ///   version: 1.0          # a float: "metadata.version: 1.0 is not of type 'string'"
    /// filesystem:
    ///   block_reads: [".env"] # "Additional properties are not allowed"
    /// ```
    ///
    /// ## How to fix
    /// Quote versions, use only the documented keys, keep rule lists as lists of non-empty,
    /// unique strings, and use the documented `mode` and risk values.
    pub RULE = { code: "LC010", name: "schema-error", severity: Blocker, summary: "the pack violates CAVRA's policy schema" }
}
