//! Rule `LC008` (unsupported-yaml): the text uses a YAML feature CAVRA cannot load

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports YAML that PyYAML's safe loader refuses or that CAVRA cannot serialise: more than
    /// one document, unknown or unsupported tags (`!foo`, `!!set`, `!!binary`), list or mapping
    /// keys, a malformed merge (`<<`), tagged values that do not convert (`!!int abc`), and
    /// integers that do not fit in 64 bits.
    ///
    /// ## Why it matters
    /// CAVRA fails to load the pack or to compute its digest.
    ///
    /// ## Example
    /// ```yaml
    /// metadata: !custom
    ///   id: cavra-x
    /// ```
    ///
    /// ## How to fix
    /// Use plain mappings, lists and scalars in a single document.
    pub RULE = { code: "LC008", name: "unsupported-yaml", severity: Blocker, summary: "the text uses a YAML feature CAVRA cannot load" }
}
