//! Rule `LC024` (redundant-pattern): earlier entries of the same list decide everything an
//! entry matches.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;
use crate::lint::covers::{covers_text, single_cover};
use crate::symbolic::FindingKind;

declare_rule! {
    /// ## What it does
    /// Flags an entry that never decides a request because earlier entries of the *same* list
    /// match everything it matches (exact repeats are `LC021`; a different, earlier list is
    /// `LC023`/`LC028`). The proof is exact over every input the list is matched against
    /// (stripped commands; every spelling of a path) and names the earlier entries that decide
    /// its inputs, each with an example.
    ///
    /// ## Why it matters
    /// CAVRA stops at the first matching entry, so the later one never decides a request and
    /// never appears as the reason. It is dead weight that suggests a distinction the policy
    /// does not make.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block:
    ///     - "terraform apply*"
    ///     - "terraform apply -auto-approve*"   # already covered
    /// ```
    ///
    /// ## How to fix
    /// Remove the later entry, or move it first if its reason text matters.
    pub RULE = { code: "LC024", name: "redundant-pattern", severity: Warning, summary: "earlier patterns in the same list cover this one" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for finding in ctx.precedence() {
        let list = finding.rule.list.as_str();
        if finding.kind != FindingKind::Dead || finding.covers.iter().any(|c| c.rule.list != list) {
            continue;
        }
        let Some(node) = ctx.rule_node(&finding.rule) else {
            continue;
        };
        let later = finding.rule.pattern.as_str();
        let (section, field) = finding.rule.section_key();
        // An exact repeat is `duplicate-entry`'s finding.
        let repeated = ctx
            .patterns(section, field)
            .iter()
            .take_while(|p| !std::ptr::eq(p.node, node))
            .any(|p| p.text == later);
        if repeated {
            continue;
        }
        let message = match single_cover(finding) {
            Some(cover) => format!(
                "`{later}` is already covered by `{}` earlier in `{list}`",
                cover.rule.pattern
            ),
            None => format!(
                "`{later}` is already covered by earlier entries of `{list}`: {}",
                covers_text(finding)
            ),
        };
        out.push(
            RULE.diagnostic(message)
                .with_span(Some(node.span))
                .with_help("remove it, or move it before the broader pattern"),
        );
    }
}
