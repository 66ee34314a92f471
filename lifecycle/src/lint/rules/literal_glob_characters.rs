//! Rule `LC020` (literal-glob-characters): a pattern uses glob syntax CAVRA does not have.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{Context, PATTERN_LISTS};

declare_rule! {
    /// ## What it does
    /// Flags patterns containing `?`, `[`, `]`, `{` or `}`, and says when brackets or braces are
    /// unbalanced.
    ///
    /// ## Why it matters
    /// CAVRA's matcher only knows `*` (and `**`, which means the same). Every other character is
    /// literal: `*.{pem,key}` matches only a file literally named `x.{pem,key}`, and `id_rsa?`
    /// only `id_rsa?`. The rule looks like it blocks something but blocks nothing.
    ///
    /// ## Example
    /// ```yaml
    /// filesystem:
    ///   block_read: ["**/*.{pem,key}"]
    /// ```
    ///
    /// ## How to fix
    /// Write one pattern per alternative (`**/*.pem`, `**/*.key`) and use `*` for "anything".
    pub RULE = { code: "LC020", name: "literal-glob-characters", severity: Warning, summary: "a pattern uses glob syntax that CAVRA matches literally" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (section, field) in PATTERN_LISTS {
        for pattern in ctx.patterns(section, field) {
            let found: Vec<char> = ['?', '[', ']', '{', '}']
                .into_iter()
                .filter(|c| pattern.text.contains(*c))
                .collect();
            if found.is_empty() {
                continue;
            }
            let listed: Vec<String> = found.iter().map(|c| format!("`{c}`")).collect();
            let mut message = format!(
                "`{}` uses {}, which CAVRA matches literally: only `*` is a wildcard",
                pattern.text,
                listed.join(", ")
            );
            let unbalanced = |open: char, close: char| {
                pattern.text.matches(open).count() != pattern.text.matches(close).count()
            };
            if unbalanced('[', ']') || unbalanced('{', '}') {
                message.push_str(" (and its brackets are unbalanced)");
            }
            out.push(
                RULE.diagnostic(message)
                    .with_span(Some(pattern.node.span))
                    .with_help("write one pattern per alternative and use `*` for any characters"),
            );
        }
    }
}
