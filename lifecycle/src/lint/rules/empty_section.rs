//! Rule `LC027` (empty-section): a section or rule list is present but empty.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, PATTERN_LISTS};
use crate::model::NodeValue;
use crate::sections::RULE_SECTIONS;

declare_rule! {
    /// ## What it does
    /// Flags control sections written as `{}` and rule lists written as `[]`.
    ///
    /// ## Why it matters
    /// An empty section reads like a deliberate control but has no effect; it is usually a
    /// leftover or an unfinished edit (CAVRA also does not count it as a populated control).
    ///
    /// ## Example
    /// ```yaml
    /// git: {}
    /// commands:
    ///   allow: []
    /// ```
    ///
    /// ## How to fix
    /// Add the intended rules, or remove the empty entry.
    pub RULE = { code: "LC027", name: "empty-section", severity: Warning, summary: "a section or rule list is empty" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for &section in RULE_SECTIONS {
        if let Some((key, value)) = ctx.section(section) {
            if matches!(&value.value, NodeValue::Map(entries) if entries.is_empty()) {
                out.push(
                    RULE.diagnostic(format!("section `{section}` is empty and has no effect"))
                        .with_span(Some(key.span))
                        .with_help("add rules or remove the section"),
                );
            }
        }
    }
    let lists = PATTERN_LISTS.into_iter().chain([
        ("mcp", "allowed_servers"),
        ("mcp", "blocked_servers"),
        ("compliance", "maps_to"),
    ]);
    for (section, field) in lists {
        if let Some((key, value)) = ctx.field(section, field) {
            if matches!(&value.value, NodeValue::Seq(items) if items.is_empty()) {
                out.push(
                    RULE.diagnostic(format!(
                        "list `{section}.{field}` is empty and has no effect"
                    ))
                    .with_span(Some(key.span))
                    .with_help("add entries or remove the key"),
                );
            }
        }
    }
}
