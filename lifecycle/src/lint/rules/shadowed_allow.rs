//! Rule `LC023` (shadowed-allow): earlier rules decide every input an allow rule matches.

use crate::decide::Outcome;
use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;
use crate::lint::covers::{covers_text, printable, single_cover};
use crate::symbolic::FindingKind;

declare_rule! {
    /// ## What it does
    /// Flags an entry of `commands.allow` (or `mcp.allowed_servers`) that can never allow
    /// anything: every command it matches is decided earlier, at least partly by a block rule
    /// (`commands.block` is checked first). The proof is exact for CAVRA's matcher (`*` matches
    /// anything but a newline; everything else is literal) over every stripped command, and
    /// names the earlier rules that decide its commands, each with an example.
    ///
    /// ## Why it matters
    /// The author thinks `terraform plan` runs freely while it is always blocked.
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
    pub RULE = { code: "LC023", name: "shadowed-allow", severity: Warning, summary: "earlier rules decide everything an allow pattern matches" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let blocked: Vec<&str> = ctx
        .patterns("commands", "block")
        .iter()
        .map(|p| p.text)
        .collect();
    for finding in ctx.precedence() {
        let list = finding.rule.list.as_str();
        if finding.kind != FindingKind::Dead
            || !matches!(list, "commands.allow" | "mcp.allowed_servers")
            || finding.covers.iter().all(|c| c.outcome == Outcome::Allow)
        {
            continue;
        }
        let allow = finding.rule.pattern.as_str();
        // The same text in `commands.block` is `allow-block-conflict`'s finding.
        if list == "commands.allow" && blocked.contains(&allow) {
            continue;
        }
        let Some(node) = ctx.rule_node(&finding.rule) else {
            continue;
        };
        let (message, help) = match (list, single_cover(finding)) {
            ("mcp.allowed_servers", _) => (
                format!("allowed server `{}` is unreachable: `mcp.blocked_servers` lists it, and blocked servers are checked first", printable(allow)),
                format!("remove `{}` from one of the two lists", printable(allow)),
            ),
            (_, Some(cover)) => (
                format!(
                    "allow rule `{allow}` is unreachable: block rule `{}` matches every command it matches",
                    cover.rule.pattern
                ),
                format!("narrow `{}` or remove `{allow}`", cover.rule.pattern),
            ),
            (_, None) => (
                format!(
                    "allow rule `{allow}` is unreachable: every command it matches is decided earlier, by {}",
                    covers_text(finding)
                ),
                format!("narrow the block rules or remove `{allow}`"),
            ),
        };
        out.push(
            RULE.diagnostic(message)
                .with_span(Some(node.span))
                .with_help(help),
        );
    }
}
