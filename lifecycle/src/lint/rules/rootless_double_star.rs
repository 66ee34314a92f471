//! Rule `LC025` (rootless-double-star): `**/x` does not match `x` at the repository root.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, MAX_PAIRWISE_ITEMS};
use crate::lint::glob::subsumes;

declare_rule! {
    /// ## What it does
    /// Flags a path pattern starting with `**/` when no entry of the same list covers the same
    /// name at the repository root.
    ///
    /// ## Why it matters
    /// In CAVRA `**/secrets.*` becomes the regex `.*/secrets\..*`: it needs a `/`, so it
    /// matches `config/secrets.yaml` but not a top-level `secrets.yaml`. Most authors expect
    /// gitignore semantics, where `**/` also matches zero directories.
    ///
    /// ## Example
    /// ```yaml
    /// filesystem:
    ///   block_read: ["**/secrets.*"]   # `secrets.txt` at the root is readable
    /// ```
    ///
    /// ## How to fix
    /// Add the rootless form as well: `secrets.*`.
    pub RULE = { code: "LC025", name: "rootless-double-star", severity: Warning, summary: "a `**/` pattern does not match files at the repository root" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for field in ["block_read", "block_write", "require_approval_write"] {
        let patterns = ctx.patterns("filesystem", field);
        if patterns.len() > MAX_PAIRWISE_ITEMS {
            continue;
        }
        for pattern in &patterns {
            let Some(rootless) = pattern.text.strip_prefix("**/") else {
                continue;
            };
            if rootless.is_empty() || patterns.iter().any(|p| subsumes(p.text, rootless)) {
                continue;
            }
            out.push(
                RULE.diagnostic(format!(
                    "`{}` does not match `{rootless}` at the repository root: CAVRA's `**/` needs at least one directory",
                    pattern.text
                ))
                .with_span(Some(pattern.node.span))
                .with_help(format!("add `{rootless}` to `filesystem.{field}` as well")),
            );
        }
    }
}
