//! Rule `LC023` (shadowed-allow): a block pattern makes an allow pattern unreachable.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, MAX_PAIRWISE_ITEMS};
use crate::lint::glob::subsumes;

declare_rule! {
    /// ## What it does
    /// Flags an entry of `commands.allow` when a different entry of `commands.block` matches
    /// every command the allow entry matches. The containment check is exact for CAVRA's
    /// matcher (`*` matches anything but a newline; everything else is literal).
    ///
    /// ## Why it matters
    /// Block rules are checked first, so such an allow rule can never allow anything: the
    /// author thinks `terraform plan` runs freely while it is always blocked.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["terraform*"]
    ///   allow: ["terraform plan*"]   # never reached
    /// ```
    ///
    /// ## How to fix
    /// Narrow the block pattern (`terraform apply*`) or drop the allow entry.
    pub RULE = { code: "LC023", name: "shadowed-allow", severity: Warning, summary: "a block pattern makes an allow pattern unreachable" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let blocked = ctx.patterns("commands", "block");
    let allowed = ctx.patterns("commands", "allow");
    if blocked.len() > MAX_PAIRWISE_ITEMS || allowed.len() > MAX_PAIRWISE_ITEMS {
        return;
    }
    for allow in &allowed {
        let shadow = blocked
            .iter()
            .find(|block| block.text != allow.text && subsumes(block.text, allow.text));
        if let Some(block) = shadow {
            out.push(
                RULE.diagnostic(format!(
                    "allow rule `{}` is unreachable: block rule `{}` matches every command it matches",
                    allow.text, block.text
                ))
                .with_span(Some(allow.node.span))
                .with_help(format!(
                    "narrow `{}` or remove `{}`",
                    block.text, allow.text
                )),
            );
        }
    }
}
