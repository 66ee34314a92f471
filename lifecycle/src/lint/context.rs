//! What our own rules look at: the positioned tree, with helpers to reach sections and
//! pattern lists.

use std::cell::OnceCell;

use crate::model::{Node, NodeValue};
use crate::symbolic::{precedence, Precedence, PrecedenceOptions, RuleFinding, RuleRef};
use crate::value::Value;

/// The pattern lists CAVRA matches with its glob matcher, as `(section, field)`.
pub(crate) const PATTERN_LISTS: [(&str, &str); 6] = [
    ("filesystem", "block_read"),
    ("filesystem", "block_write"),
    ("filesystem", "require_approval_write"),
    ("commands", "block"),
    ("commands", "allow"),
    ("commands", "require_approval"),
];

/// Lists above this length skip the pairwise rules (the checks are quadratic).
pub(crate) const MAX_PAIRWISE_ITEMS: usize = 300;

/// The input of a rule.
pub(crate) struct Context<'a> {
    /// The source text, for rules that look at how a value was written.
    pub source: &'a str,
    /// The document root (a mapping).
    pub root: &'a Node,
    /// The loaded value of `root`.
    pub value: &'a Value,
    /// The precedence proofs, computed once for the rules that read them.
    precedence: OnceCell<Precedence>,
}

/// A string item of a rule list.
pub(crate) struct Pattern<'a> {
    /// The item's text.
    pub text: &'a str,
    /// The item's node (for its span).
    pub node: &'a Node,
}

impl<'a> Context<'a> {
    /// A context over a parsed pack.
    pub fn new(source: &'a str, root: &'a Node, value: &'a Value) -> Context<'a> {
        Context {
            source,
            root,
            value,
            precedence: OnceCell::new(),
        }
    }

    /// The precedence findings of the pack (see [`crate::symbolic::precedence`]).
    pub fn precedence(&self) -> &[RuleFinding] {
        &self
            .precedence
            .get_or_init(|| precedence(self.value, &PrecedenceOptions::default()))
            .findings
    }

    /// The node of a rule a finding names (`None` when the position holds something else).
    pub fn rule_node(&self, rule: &RuleRef) -> Option<&'a Node> {
        let (section, key) = rule.section_key();
        let node = self
            .root
            .get(section)?
            .get(key)?
            .as_seq()?
            .get(rule.index)?;
        match &node.value {
            NodeValue::Str(text) if *text == rule.pattern => Some(node),
            _ => None,
        }
    }

    /// `(key, value)` of a top-level section.
    pub fn section(&self, name: &str) -> Option<(&'a Node, &'a Node)> {
        self.root.entry(name)
    }

    /// `(key, value)` of a field in a top-level section.
    pub fn field(&self, section: &str, field: &str) -> Option<(&'a Node, &'a Node)> {
        self.root.get(section)?.entry(field)
    }

    /// The string items of a list field (other items are skipped; the schema reports them).
    pub fn patterns(&self, section: &str, field: &str) -> Vec<Pattern<'a>> {
        self.field(section, field)
            .and_then(|(_, list)| list.as_seq())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|node| match &node.value {
                        NodeValue::Str(text) => Some(Pattern { text, node }),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The source text of a node.
    pub fn text_of(&self, node: &Node) -> &'a str {
        self.source
            .get(node.span.start..node.span.end)
            .unwrap_or("")
    }
}

/// Every node of the tree with whether it is a mapping key, in document order.
pub(crate) fn walk(root: &Node) -> Vec<(&Node, bool)> {
    let mut out = Vec::new();
    let mut stack = vec![(root, false)];
    while let Some((node, is_key)) = stack.pop() {
        out.push((node, is_key));
        match &node.value {
            NodeValue::Seq(items) => stack.extend(items.iter().rev().map(|n| (n, false))),
            NodeValue::Map(entries) => {
                for (key, value) in entries.iter().rev() {
                    stack.push((value, false));
                    stack.push((key, true));
                }
            }
            _ => {}
        }
    }
    out
}

/// Levenshtein distance, for "did you mean" suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = current.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = current.get_mut(j + 1) {
                *slot = substitute.min(delete).min(insert);
            }
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// The closest known name within a small edit distance.
pub(crate) fn suggest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (unknown.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|candidate| {
            (
                edit_distance(&unknown.to_ascii_lowercase(), candidate),
                *candidate,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}
