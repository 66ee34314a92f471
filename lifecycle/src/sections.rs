//! The top-level sections of a policy pack, written once for the linter, the schema, the draft
//! rebuild and the summaries.

/// Every top-level section CAVRA reads, in CAVRA's order.
pub const POLICY_SECTIONS: [&str; 8] = [
    "metadata",
    "filesystem",
    "commands",
    "git",
    "mcp",
    "approvals",
    "evidence",
    "compliance",
];

/// The sections after `metadata`, in CAVRA's order: the ones a draft keeps and `_count_rules`
/// counts.
pub const RULE_SECTIONS: &[&str] = POLICY_SECTIONS.split_at(1).1;

/// The sections of which CAVRA's lint report wants at least one populated
/// (`policy.controls.missing`): every rule section but `compliance`, which maps controls to
/// frameworks rather than enforcing any.
pub const CONTROL_SECTIONS: &[&str] = RULE_SECTIONS.split_at(6).0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_lists_are_cavras() {
        // Pinned by their ends, so a reordered POLICY_SECTIONS cannot shift them silently.
        assert_eq!(RULE_SECTIONS.len(), 7);
        assert_eq!(RULE_SECTIONS.first(), Some(&"filesystem"));
        assert_eq!(RULE_SECTIONS.last(), Some(&"compliance"));
        assert_eq!(CONTROL_SECTIONS.len(), 6);
        assert_eq!(CONTROL_SECTIONS.last(), Some(&"evidence"));
    }
}
