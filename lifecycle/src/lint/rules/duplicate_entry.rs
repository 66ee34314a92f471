//! Rule `LC021` (duplicate-entry): a list repeats an entry.

use std::collections::HashMap;

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, PATTERN_LISTS};

declare_rule! {
    /// ## What it does
    /// Points at each repeated entry of a rule list (`filesystem.*`, `commands.*`,
    /// `mcp.allowed_servers`, `mcp.blocked_servers`, `compliance.maps_to`), naming the earlier
    /// copy.
    ///
    /// ## Why it matters
    /// CAVRA's schema rejects the whole list ("has non-unique elements") without saying which
    /// entry repeats; in a long list the copy is easy to miss. The later copy never decides
    /// anything, since the first match wins.
    ///
    /// ## Example
    /// ```yaml
    /// commands:
    ///   block:
    ///     - "terraform apply*"
    ///     - "kubectl delete*"
    ///     - "terraform apply*"
    /// ```
    ///
    /// ## How to fix
    /// Delete the later copy.
    pub RULE = { code: "LC021", name: "duplicate-entry", severity: Warning, summary: "a rule list repeats an entry" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let lists = PATTERN_LISTS.into_iter().chain([
        ("mcp", "allowed_servers"),
        ("mcp", "blocked_servers"),
        ("compliance", "maps_to"),
    ]);
    for (section, field) in lists {
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        for (index, pattern) in ctx.patterns(section, field).into_iter().enumerate() {
            match first_seen.get(pattern.text) {
                Some(first) => out.push(
                    RULE.diagnostic(format!(
                        "`{}` repeats entry {} of `{section}.{field}`",
                        pattern.text,
                        first + 1
                    ))
                    .with_span(Some(pattern.node.span))
                    .with_help("delete this copy"),
                ),
                None => {
                    first_seen.insert(pattern.text, index);
                }
            }
        }
    }
}
