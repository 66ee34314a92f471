//! Rule `LC034` (invalid-invariant): an entry of `cases.yaml`'s invariant lists is malformed
//! or proves nothing.

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks the invariant lists of a pack's `cases.yaml` (`must_block`, `must_allow`,
    /// `must_require_approval`): each entry is a mapping with `action` (`read_file`,
    /// `write_file`, `execute_command` or `mcp_tool_call`), the glob under the field the
    /// evaluator matches for it (`target`, `requested_operation`, `server`) and an optional
    /// `note`. Unknown keys and misspelt lists are reported with a suggestion; an invariant
    /// whose glob matches no request the evaluator can see (a command glob starting with a
    /// space) is a warning.
    ///
    /// ## Why it matters
    /// A malformed invariant would silently promise nothing; the server refuses to import a
    /// `cases.yaml` with one, and the gate refuses promotion while one is stored.
    ///
    /// ## Example
    /// ```yaml
    /// must_block:
    ///   - {action: execute_command, target: "terraform destroy*"}   # commands match `requested_operation`
    ///   - {action: git_operation, target: origin/main}              # not decided by the pack
    /// ```
    ///
    /// ## How to fix
    /// Use the field the message names, or drop the entry.
    pub RULE = { code: "LC034", name: "invalid-invariant", severity: Blocker, summary: "an invariant in cases.yaml is malformed or proves nothing" }
}
