//! Rule `LC003` (nesting-too-deep): lists and mappings nest too deeply

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Refuses documents whose lists and mappings nest deeper than the limit (64 by default).
    ///
    /// ## Why it matters
    /// Real packs nest three or four levels. Deep nesting only serves to exhaust the parser
    /// stack (CAVRA itself would hit Python's recursion limit).
    ///
    /// ## Example
    /// ```yaml
    /// a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ ... ]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
    /// ```
    ///
    /// ## How to fix
    /// Flatten the structure.
    pub RULE = { code: "LC003", name: "nesting-too-deep", severity: Blocker, summary: "lists and mappings nest too deeply" }
}
