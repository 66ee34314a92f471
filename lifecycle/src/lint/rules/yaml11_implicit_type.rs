//! Rule `LC029` (yaml11-implicit-type): YAML 1.1 gives an unquoted value a surprising type.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::Context;
use crate::model::{Node, NodeValue};

declare_rule! {
    /// ## What it does
    /// Flags unquoted values that CAVRA's YAML 1.1 loader types in a way YAML 1.2 tools and
    /// most readers do not expect: `yes`/`no`/`on`/`off` (booleans), numbers with a leading
    /// zero (`010` is octal 8), and `a:b` numbers (`1:30` is the sexagesimal 90).
    ///
    /// ## Why it matters
    /// The value that reaches CAVRA differs from the text: a server named `on` becomes `True`,
    /// a key `on:` becomes the boolean key `True`, and `0755` becomes 493. Digests, diffs and
    /// matching all see the converted value.
    ///
    /// ## Example
    /// ```yaml
    /// mcp:
    ///   allowed_servers: [github, on]
    /// ```
    ///
    /// ## How to fix
    /// Quote the value (`"on"`), or write `true`/`false` when a boolean is meant. (A `yes`
    /// written as the value of a setting such as `allowlist_enabled: yes` is taken to be a
    /// deliberate boolean and not flagged; in keys, list items and `metadata` it is.)
    pub RULE = { code: "LC029", name: "yaml11-implicit-type", severity: Warning, summary: "YAML 1.1 types an unquoted value in a surprising way" }
}

/// Where a node sits, which decides whether a YAML 1.1 boolean is likely deliberate.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Key,
    Item,
    Setting,
    Metadata,
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut stack: Vec<(&Node, Place)> = vec![(ctx.root, Place::Setting)];
    while let Some((node, place)) = stack.pop() {
        match &node.value {
            NodeValue::Seq(items) => stack.extend(items.iter().rev().map(|n| (n, Place::Item))),
            NodeValue::Map(entries) => {
                let is_root = std::ptr::eq(node, ctx.root);
                for (key, value) in entries.iter().rev() {
                    let entering_metadata = is_root && key.as_str() == Some("metadata");
                    let child = if entering_metadata || place == Place::Metadata {
                        Place::Metadata
                    } else {
                        Place::Setting
                    };
                    stack.push((value, child));
                    stack.push((key, Place::Key));
                }
            }
            _ => report(ctx, node, place, out),
        }
    }
}

fn report(ctx: &Context<'_>, node: &Node, place: Place, out: &mut Vec<Diagnostic>) {
    let raw = ctx.text_of(node);
    if raw.starts_with(['!', '&', '*', '"', '\'']) {
        return;
    }
    let digits = raw.trim_start_matches(['-', '+']).replace('_', "");
    let reading = match &node.value {
        NodeValue::Bool(b)
            if place != Place::Setting
                && matches!(
                    raw.to_ascii_lowercase().as_str(),
                    "yes" | "no" | "on" | "off"
                ) =>
        {
            format!("the boolean `{}`", if *b { "true" } else { "false" })
        }
        NodeValue::Int(i) if raw.contains(':') => format!("the sexagesimal number {i}"),
        NodeValue::Float(f) if raw.contains(':') => format!(
            "the sexagesimal number {}",
            crate::value::python_float_repr(*f)
        ),
        NodeValue::Int(i)
            if digits.len() > 1
                && digits.starts_with('0')
                && !digits.starts_with("0x")
                && !digits.starts_with("0b") =>
        {
            format!("the octal number {i}")
        }
        _ => return,
    };
    let what = if place == Place::Key {
        "the key"
    } else {
        "the value"
    };
    out.push(
        RULE.diagnostic(format!("{what} `{raw}` is read as {reading} (YAML 1.1)"))
            .with_span(Some(node.span))
            .with_help(format!("quote it if you meant the text: \"{raw}\"")),
    );
}
