//! Rule `LC004` (alias-limit): aliases expand to too many nodes, or refer to themselves

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Stops loading when aliases (`*name`) expand the document beyond the node limit (100 000
    /// by default), or when an alias refers to the collection that contains it.
    ///
    /// ## Why it matters
    /// A few lines of nested aliases (a "billion laughs" document) expand to billions of nodes;
    /// a recursive alias makes CAVRA's digest fail with "Circular reference detected".
    ///
    /// ## Example
    /// ```yaml
    /// a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
    /// b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    /// c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    /// ```
    ///
    /// ## How to fix
    /// Write the lists out, or use fewer levels of aliases.
    pub RULE = { code: "LC004", name: "alias-limit", severity: Blocker, summary: "aliases expand to too many nodes, or refer to themselves" }
}
