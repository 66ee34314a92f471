//! Rule `LC031` (unmatchable-command-pattern): a command pattern that can never match.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;

declare_rule! {
    /// ## What it does
    /// Flags entries of `commands.block`, `commands.allow` and `commands.require_approval` that
    /// start or end with whitespace.
    ///
    /// ## Why it matters
    /// CAVRA strips the requested command before matching, so it never starts or ends with a
    /// space, and whitespace in a pattern is literal: `"terraform apply "` matches nothing. A
    /// block rule that matches nothing blocks nothing.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["terraform apply "]
    /// ```
    ///
    /// ## How to fix
    /// Remove the surrounding whitespace; use `*` for "followed by anything".
    pub RULE = { code: "LC031", name: "unmatchable-command-pattern", severity: Warning, summary: "a command pattern can never match" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for field in ["block", "allow", "require_approval"] {
        for pattern in ctx.patterns("commands", field) {
            let text = pattern.text;
            if text.trim().is_empty() || text.trim() == text {
                continue;
            }
            out.push(
                RULE.diagnostic(format!(
                    "`{text}` can never match: CAVRA strips commands before matching, so they never start or end with whitespace"
                ))
                .with_span(Some(pattern.node.span))
                .with_help(format!("write `{}`", text.trim())),
            );
        }
    }
}
