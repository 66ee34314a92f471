//! Rule `LC032` (narrowed-allow): earlier block rules take some of an allow rule's commands.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;
use crate::lint::covers::covers_text;
use crate::symbolic::FindingKind;

declare_rule! {
    /// ## What it does
    /// Points at an entry of `commands.allow` that allows some commands, while some of the
    /// commands it matches are blocked by `commands.block` (checked first). It names each
    /// block rule that takes commands from it, with an example command it no longer allows.
    /// The proof is exact over every stripped command.
    ///
    /// ## Why it matters
    /// Often this is the intent (`terraform *` allowed, `terraform apply*` blocked), but a
    /// reader of the allow list alone would not know which commands it really allows; a block
    /// rule broader than intended shows up here first.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block: ["terraform apply*"]
    ///   allow: ["terraform *"]   # `terraform apply` is still blocked
    /// ```
    ///
    /// ## How to fix
    /// Nothing when the exceptions are intended; otherwise narrow the block rule it names.
    pub RULE = { code: "LC032", name: "narrowed-allow", severity: Info, summary: "block rules take some commands from an allow pattern" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for finding in ctx.precedence() {
        if finding.kind != FindingKind::Narrowed {
            continue;
        }
        let Some(node) = ctx.rule_node(&finding.rule) else {
            continue;
        };
        let more = if finding.complete {
            ""
        } else {
            " (the search stopped early; there may be more)"
        };
        out.push(
            RULE.diagnostic(format!(
                "allow rule `{}` does not allow every command it matches: blocked first by {}{more}",
                finding.rule.pattern,
                covers_text(finding)
            ))
            .with_span(Some(node.span))
            .with_help("nothing to do if these exceptions are intended; otherwise narrow the block rule"),
        );
    }
}
