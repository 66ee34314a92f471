//! Rule `LC030` (non-string-key): a mapping key that is not a string.

use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{walk, Context};
use crate::model::NodeValue;

declare_rule! {
    /// ## What it does
    /// Flags mapping keys that load as numbers, booleans or `null` (`1:`, `true:`, `on:`, `~:`).
    /// When one mapping mixes such a key with string keys (or `null` with numbers), the finding
    /// is a blocker.
    ///
    /// ## Why it matters
    /// CAVRA writes non-string keys as strings in its JSON (`1` → `"1"`, `True` → `"true"`),
    /// so the key is not the one the author wrote. And Python cannot sort mixed key types:
    /// computing the digest of such a mapping raises `TypeError`, so CAVRA crashes.
    ///
    /// ## Example
    /// ```yaml
    /// mcp:
    ///   risk_scoring:
    ///     github: high
    ///     1: low
    /// ```
    ///
    /// ## How to fix
    /// Quote the key: `"1": low`.
    pub RULE = { code: "LC030", name: "non-string-key", severity: Warning, summary: "a mapping key is not a string" }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (node, _) in walk(ctx.root) {
        let NodeValue::Map(entries) = &node.value else {
            continue;
        };
        let mut classes = [false; 3];
        for (key, _) in entries {
            let class = match key.value {
                NodeValue::Null => 0,
                NodeValue::Str(_) => 2,
                _ => 1,
            };
            if let Some(slot) = classes.get_mut(class) {
                *slot = true;
            }
        }
        let mixed = classes.iter().filter(|present| **present).count() > 1;
        for (key, _) in entries {
            let written = match &key.value {
                NodeValue::Str(_) => continue,
                NodeValue::Null => "null".to_owned(),
                NodeValue::Bool(b) => b.to_string(),
                NodeValue::Int(i) => i.to_string(),
                NodeValue::Float(f) => crate::value::python_float_repr(*f),
                NodeValue::Seq(_) | NodeValue::Map(_) => continue,
            };
            let raw = ctx.text_of(key);
            let mut diagnostic = if mixed {
                let mut d = RULE.diagnostic(format!(
                    "the key `{raw}` is not a string and this mapping mixes key types; CAVRA cannot compute the digest (Python raises `TypeError` sorting the keys)"
                ));
                d.severity = Severity::Blocker;
                d
            } else {
                RULE.diagnostic(format!(
                    "the key `{raw}` is not a string; CAVRA writes it as \"{written}\""
                ))
            };
            diagnostic = diagnostic
                .with_span(Some(key.span))
                .with_help(format!("quote it: \"{raw}\""));
            out.push(diagnostic);
        }
    }
}
