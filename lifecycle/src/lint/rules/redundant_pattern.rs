//! Rule `LC024` (redundant-pattern): an earlier entry of the same list covers a later one.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, MAX_PAIRWISE_ITEMS, PATTERN_LISTS};
use crate::lint::glob::subsumes;

declare_rule! {
    /// ## What it does
    /// Flags an entry when an earlier, different entry of the same list matches everything it
    /// matches (exact repeats are `LC021`).
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
    pub RULE = { code: "LC024", name: "redundant-pattern", severity: Info, summary: "an earlier pattern in the same list covers this one" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (section, field) in PATTERN_LISTS {
        let patterns = ctx.patterns(section, field);
        if patterns.len() > MAX_PAIRWISE_ITEMS {
            continue;
        }
        for (index, later) in patterns.iter().enumerate() {
            let earlier = patterns
                .iter()
                .take(index)
                .find(|p| p.text != later.text && subsumes(p.text, later.text));
            if let Some(earlier) = earlier {
                out.push(
                    RULE.diagnostic(format!(
                        "`{}` is already covered by `{}` earlier in `{section}.{field}`",
                        later.text, earlier.text
                    ))
                    .with_span(Some(later.node.span))
                    .with_help("remove it, or move it before the broader pattern"),
                );
            }
        }
    }
}
