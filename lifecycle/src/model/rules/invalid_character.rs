//! Rule `LC005` (invalid-character): the text holds bytes or characters YAML does not allow

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports invalid UTF-8 and characters that PyYAML refuses anywhere in a stream: NUL and
    /// other control characters (except tab, newline and carriage return), DEL, C1 controls,
    /// U+FFFE and U+FFFF.
    ///
    /// ## Why it matters
    /// CAVRA fails to read the whole file ("unacceptable character #x0000").
    ///
    /// ## Example
    /// A pack saved as UTF-16, or with a stray NUL byte pasted from a binary.
    ///
    /// ## How to fix
    /// Save the file as UTF-8 and remove the character, or write it as an escape (`"\u0007"`)
    /// in a double-quoted string.
    pub RULE = { code: "LC005", name: "invalid-character", severity: Blocker, summary: "the text holds bytes or characters YAML does not allow" }
}
