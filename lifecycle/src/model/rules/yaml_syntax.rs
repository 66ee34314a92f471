//! Rule `LC001` (yaml-syntax): the text is not valid YAML

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports text that is not valid YAML, at the position where the parser gave up.
    ///
    /// ## Why it matters
    /// CAVRA cannot load the pack at all; every command on it fails with a traceback.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["terraform apply*"
    /// ```
    ///
    /// ## How to fix
    /// Close the bracket or quote, or fix the indentation at the reported position.
    pub RULE = { code: "LC001", name: "yaml-syntax", severity: Blocker, summary: "the text is not valid YAML" }
}
