//! Rule `LC002` (input-too-large): the policy text exceeds the size limit

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Refuses policy text larger than the parse limit (1 MiB by default).
    ///
    /// ## Why it matters
    /// Policy packs are small; a huge input is a mistake or an attempt to exhaust the service.
    ///
    /// ## Example
    /// A 20 MB generated file pasted into the editor.
    ///
    /// ## How to fix
    /// Split the pack, or remove generated content.
    pub RULE = { code: "LC002", name: "input-too-large", severity: Blocker, summary: "the policy text exceeds the size limit" }
}
