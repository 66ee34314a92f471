//! Rule `LC009` (root-not-mapping): the document is not a mapping

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a document whose top level is a list, a scalar, or empty.
    ///
    /// ## Why it matters
    /// CAVRA requires a YAML object ("Policy must be a YAML object") and crashes or refuses to
    /// load anything else.
    ///
    /// ## Example
    /// ```yaml
    /// - metadata: {id: cavra-x}
    /// ```
    ///
    /// ## How to fix
    /// Start the pack with `metadata:` at the top level.
    pub RULE = { code: "LC009", name: "root-not-mapping", severity: Blocker, summary: "the document is not a mapping" }
}
