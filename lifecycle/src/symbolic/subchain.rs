//! A pack's rules for one action type with their positions in the YAML lists, and the few
//! rules that can match an input some pattern matches (a *sub-chain*), so that a search about
//! one pattern runs over a handful of rules instead of the whole pack.
//!
//! Two patterns can only match a common text when one literal prefix is a prefix of the other
//! and one literal suffix a suffix of the other (a star-free pattern must match the other
//! pattern outright). Rules that fail this test match none of the pattern's inputs, so on those
//! inputs the first matching rule of the sub-chain is the first matching rule of the pack.

use std::cell::OnceCell;
use std::collections::HashMap;

use super::hash::FxHashMap;
use std::sync::Arc;

use super::chain::{tokens, Chain, Rule, Token, NONE};
use super::intersect::parts;
use super::ListSpec;
use crate::decide::matcher::Pattern;
use crate::decide::python::value_str;
use crate::decide::{Outcome, RuleId};
use crate::value::Value;

/// The rules of `lists`, in order, with [`Rule::index`] the item's position in its YAML list
/// (nulls, which the evaluator drops, still count, so the position finds the item's node).
pub(super) fn raw_rules(policy: &Value, lists: &[&ListSpec], literal: bool) -> Vec<Rule> {
    let mut texts: HashMap<String, u32> = HashMap::new();
    let mut rules = Vec::new();
    for list in lists {
        let items = policy
            .get(list.section)
            .and_then(|s| s.get(list.key))
            .and_then(Value::as_list)
            .unwrap_or_default();
        for (index, item) in items.iter().enumerate() {
            if matches!(item, Value::Null) {
                continue;
            }
            let pattern = value_str(item).into_owned();
            let next = u32::try_from(texts.len()).unwrap_or(NONE);
            let text_id = *texts.entry(pattern.clone()).or_insert(next);
            rules.push(Rule {
                tokens: tokens(&pattern, literal),
                pattern: Arc::from(pattern),
                outcome: list.outcome,
                rule_id: list.rule_id,
                list: list.name,
                index,
                text_id,
            });
        }
    }
    rules
}

/// A pattern's text from its tokens (a star run as one `*`).
pub(super) fn text_of(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Lit(c) => *c,
            Token::Star => '*',
        })
        .collect()
}

fn is_prefix(short: &[char], long: &[char]) -> bool {
    long.starts_with(short)
}

fn is_suffix(short: &[char], long: &[char]) -> bool {
    long.ends_with(short)
}

/// Whether two patterns may match a common text (a necessary condition, cheap to test).
pub(super) fn may_overlap(a: &[Token], b: &[Token]) -> bool {
    let (x, y) = (parts(a), parts(b));
    let prefixes = is_prefix(&x.prefix, &y.prefix) || is_prefix(&y.prefix, &x.prefix);
    match (x.starred, y.starred) {
        (false, false) => a == b,
        // A star-free pattern is its own only input; `Pattern` reads `*` as a star, so this
        // branch only sees patterns whose stars are real (literal patterns have no star token).
        (false, true) => Pattern::new(&text_of(b)).matches(&text_of(a)),
        (true, false) => Pattern::new(&text_of(a)).matches(&text_of(b)),
        (true, true) => {
            prefixes && (is_suffix(&x.suffix, &y.suffix) || is_suffix(&y.suffix, &x.suffix))
        }
    }
}

/// Rules by literal prefix, to find the rules that may overlap a pattern, or match a text,
/// without building an automaton (or a matcher) over all of them.
pub(super) struct RuleIndex {
    /// Rules by their exact literal prefix (the whole text for a star-free pattern).
    by_prefix: FxHashMap<String, Vec<u32>>,
    /// Every `(prefix, rule)`, sorted, for "prefix starts with" ranges.
    sorted: Vec<(String, u32)>,
    /// Each rule's matcher, compiled on first use (`None` for literal names).
    matchers: Vec<OnceCell<Option<Pattern>>>,
    literal: bool,
}

/// The literals before a pattern's first star (all of a star-free one).
fn literal_prefix(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map_while(|t| match t {
            Token::Lit(c) => Some(*c),
            Token::Star => None,
        })
        .collect()
}

impl RuleIndex {
    /// Indexes `rules` (`literal`: names compared as they are, MCP servers).
    pub(super) fn new(rules: &[Rule], literal: bool) -> RuleIndex {
        let mut by_prefix: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        let mut sorted = Vec::with_capacity(rules.len());
        for (at, rule) in rules.iter().enumerate() {
            let prefix = literal_prefix(&rule.tokens);
            let at = u32::try_from(at).unwrap_or(NONE);
            by_prefix.entry(prefix.clone()).or_default().push(at);
            sorted.push((prefix, at));
        }
        sorted.sort_unstable();
        RuleIndex {
            by_prefix,
            sorted,
            matchers: (0..rules.len()).map(|_| OnceCell::new()).collect(),
            literal,
        }
    }

    /// The rules before `below` whose literal prefix is a prefix of `text`, in order.
    fn prefixes_of(&self, text: &str, below: u32) -> Vec<u32> {
        let mut found: Vec<u32> = Vec::new();
        let boundaries = text
            .char_indices()
            .map(|(at, _)| at)
            .chain(std::iter::once(text.len()));
        for end in boundaries {
            if let Some(list) = text.get(..end).and_then(|head| self.by_prefix.get(head)) {
                found.extend(list.iter().copied().filter(|&j| j < below));
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The first rule before `below` that matches `text`, as the evaluator finds it.
    pub(super) fn first_match(&self, rules: &[Rule], text: &str, below: u32) -> Option<u32> {
        self.prefixes_of(text, below).into_iter().find(|&j| {
            let Some(rule) = rules.get(j as usize) else {
                return false;
            };
            if self.literal {
                return *rule.pattern == *text;
            }
            self.matchers
                .get(j as usize)
                .and_then(|cell| {
                    cell.get_or_init(|| Some(Pattern::new(&rule.pattern)))
                        .as_ref()
                })
                .is_some_and(|pattern| pattern.matches(text))
        })
    }

    /// The rules before `below` (in order) that `keep` accepts and that may match an input
    /// `tokens` matches, or `None` when more than `limit` rules share its literal prefix.
    pub(super) fn candidates(
        &self,
        rules: &[Rule],
        tokens: &[Token],
        below: u32,
        limit: usize,
        keep: impl Fn(&Rule) -> bool,
    ) -> Option<Vec<u32>> {
        let prefix = literal_prefix(tokens);
        let starred = tokens.contains(&Token::Star);
        // Rules whose prefix is a prefix of this one's.
        let mut found = self.prefixes_of(&prefix, below);
        // Rules whose prefix extends this one's (only a starred pattern continues past it).
        if starred {
            let from = self
                .sorted
                .partition_point(|(p, _)| p.as_str() < prefix.as_str());
            for (other, j) in self.sorted.get(from..).unwrap_or_default() {
                if !other.starts_with(prefix.as_str()) {
                    break;
                }
                if *j < below {
                    found.push(*j);
                    if found.len() > limit.saturating_mul(4).max(64) {
                        return None;
                    }
                }
            }
            found.sort_unstable();
            found.dedup();
        }
        found.retain(|&j| {
            rules
                .get(j as usize)
                .is_some_and(|rule| keep(rule) && may_overlap(&rule.tokens, tokens))
        });
        (found.len() <= limit).then_some(found)
    }
}

/// A chain of the given rules (in that order) with `default`; its labels are positions in
/// `picked`.
pub(super) fn sub_chain(rules: &[Rule], picked: &[u32], default: (Outcome, RuleId)) -> Chain {
    let picked = picked
        .iter()
        .filter_map(|&j| rules.get(j as usize).cloned())
        .collect();
    Chain::new(picked, default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(a: &str, b: &str) -> bool {
        may_overlap(&tokens(a, false), &tokens(b, false))
    }

    #[test]
    fn overlap_is_a_necessary_condition() {
        assert!(overlap("terraform *", "terraform apply*"));
        assert!(!overlap("terraform apply*", "terraform plan*"));
        assert!(overlap("**/*.pem", "keys/*"));
        assert!(!overlap("**/*.pem", "*.key"));
        assert!(overlap("a", "a*"));
        assert!(!overlap("a", "b*"));
        assert!(overlap("*", "x"));
        assert!(!overlap("x", "y"));
        assert!(overlap("x", "x"));
    }
}
