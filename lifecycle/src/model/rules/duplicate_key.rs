//! Rule `LC006` (duplicate-key): a mapping repeats a key

use crate::diagnostic::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a key that appears twice in the same mapping.
    ///
    /// ## Why it matters
    /// PyYAML silently keeps the last value, so the first block of rules is ignored without a
    /// word. We keep the last value too (so digests match CAVRA's) but say so.
    ///
    /// ## Example
    /// ```yaml
    /// filesystem:
    ///   block_read: [".env"]
    ///   block_read: ["**/*.pem"]   # `.env` is no longer blocked
    /// ```
    ///
    /// ## How to fix
    /// Merge the two entries into one.
    pub RULE = { code: "LC006", name: "duplicate-key", severity: Warning, summary: "a mapping repeats a key" }
}
