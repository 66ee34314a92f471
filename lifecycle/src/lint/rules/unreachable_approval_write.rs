//! Rule `LC028` (unreachable-approval-write): an approval rule for writes that block rules hide.

use crate::decide::Outcome;
use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;
use crate::lint::covers::{covers_text, single_cover};
use crate::symbolic::FindingKind;

declare_rule! {
    /// ## What it does
    /// Flags an entry of `filesystem.require_approval_write` that never requires approval:
    /// every path it matches is decided earlier, at least partly by `filesystem.block_write`
    /// (checked first). The proof is exact over every spelling of a path and names the
    /// earlier rules that decide its paths, each with an example.
    ///
    /// ## Why it matters
    /// CAVRA checks `block_write` first, so those writes are always blocked: the approval
    /// workflow the author designed never starts.
    ///
    /// ## Example
    /// ```yaml
    /// filesystem:
    ///   block_write: [".github/**"]
    ///   require_approval_write: [".github/workflows/**"]   # always blocked
    /// ```
    ///
    /// ## How to fix
    /// Narrow the block pattern, or drop the approval entry.
    pub RULE = { code: "LC028", name: "unreachable-approval-write", severity: Warning, summary: "block_write patterns hide a require_approval_write pattern" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for finding in ctx.precedence() {
        if finding.kind != FindingKind::Dead
            || finding.rule.list != "filesystem.require_approval_write"
            || finding.covers.iter().all(|c| c.outcome != Outcome::Block)
        {
            continue;
        }
        let Some(node) = ctx.rule_node(&finding.rule) else {
            continue;
        };
        let approval = finding.rule.pattern.as_str();
        let (message, help) = match single_cover(finding) {
            Some(cover) => (
                format!(
                    "`{approval}` never requires approval: block_write rule `{}` blocks every path it matches",
                    cover.rule.pattern
                ),
                format!("narrow `{}` or remove `{approval}`", cover.rule.pattern),
            ),
            None => (
                format!(
                    "`{approval}` never requires approval: every path it matches is decided earlier, by {}",
                    covers_text(finding)
                ),
                format!("narrow the block_write rules or remove `{approval}`"),
            ),
        };
        out.push(
            RULE.diagnostic(message)
                .with_span(Some(node.span))
                .with_help(help),
        );
    }
}
