//! Rule `LC022` (allow-block-conflict): the same command pattern is blocked and allowed.

use std::collections::HashSet;

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;

declare_rule! {
    /// ## What it does
    /// Flags a pattern that appears in both `commands.block` and `commands.allow`.
    ///
    /// ## Why it matters
    /// CAVRA checks `block` first, so the allow entry never applies. Either the block is
    /// intended and the allow entry is misleading, or the allow is intended and the command is
    /// blocked by mistake.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["git push*"]
    ///   allow: ["git push*"]
    /// ```
    ///
    /// ## How to fix
    /// Keep the pattern in one list only.
    pub RULE = { code: "LC022", name: "allow-block-conflict", severity: Warning, summary: "a command pattern is both blocked and allowed" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let blocked: HashSet<&str> = ctx
        .patterns("commands", "block")
        .iter()
        .map(|p| p.text)
        .collect();
    for allowed in ctx.patterns("commands", "allow") {
        if blocked.contains(allowed.text) {
            out.push(
                RULE.diagnostic(format!(
                    "`{}` is both blocked and allowed; the block wins, so this allow entry has no effect",
                    allowed.text
                ))
                .with_span(Some(allowed.node.span))
                .with_help("remove it from one of the two lists"),
            );
        }
    }
}
