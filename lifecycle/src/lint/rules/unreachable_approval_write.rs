//! Rule `LC028` (unreachable-approval-write): an approval rule for writes that a block rule hides.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, MAX_PAIRWISE_ITEMS};
use crate::lint::glob::subsumes;

declare_rule! {
    /// ## What it does
    /// Flags an entry of `filesystem.require_approval_write` when an entry of
    /// `filesystem.block_write` matches every path it matches.
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
    pub RULE = { code: "LC028", name: "unreachable-approval-write", severity: Warning, summary: "a block_write pattern hides a require_approval_write pattern" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let blocked = ctx.patterns("filesystem", "block_write");
    let approvals = ctx.patterns("filesystem", "require_approval_write");
    if blocked.len() > MAX_PAIRWISE_ITEMS || approvals.len() > MAX_PAIRWISE_ITEMS {
        return;
    }
    for approval in &approvals {
        if let Some(block) = blocked.iter().find(|b| subsumes(b.text, approval.text)) {
            out.push(
                RULE.diagnostic(format!(
                    "`{}` never requires approval: block_write rule `{}` blocks every path it matches",
                    approval.text, block.text
                ))
                .with_span(Some(approval.node.span))
                .with_help(format!(
                    "narrow `{}` or remove `{}`",
                    block.text, approval.text
                )),
            );
        }
    }
}
