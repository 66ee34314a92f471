//! A pack's rules for one action type with their positions in the YAML lists, and the few
//! rules that can match an input some pattern matches (a *sub-chain*), so that a search about
//! one pattern runs over a handful of rules instead of the whole pack.
//!
//! Two patterns can only match a common text when one literal prefix is a prefix of the other
//! and one literal suffix a suffix of the other (a star-free pattern must match the other
//! pattern outright). Rules that fail this test match none of the pattern's inputs, so on those
//! inputs the first matching rule of the sub-chain is the first matching rule of the pack.

use std::collections::HashMap;
use std::sync::Arc;

use super::chain::{tokens, Chain, Rule, Token, NONE};
use super::intersect::parts;
use super::ListSpec;
use crate::decide::matcher::Pattern;
use crate::decide::python::value_str;
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

/// The rules of `chain` before `below` (in chain order) that may match an input `tokens`
/// matches, or `None` when there are more than `limit`.
pub(super) fn candidates(
    chain: &Chain,
    tokens: &[Token],
    below: u32,
    limit: usize,
) -> Option<Vec<u32>> {
    let cut = parts(tokens);
    let mut found = chain.compatible_rules(&cut.prefix, cut.starred, below, limit + 1);
    if found.len() > limit {
        return None;
    }
    found.retain(|&j| {
        chain
            .rules
            .get(j as usize)
            .is_some_and(|rule| may_overlap(&rule.tokens, tokens))
    });
    Some(found)
}

/// A chain of the given rules of `chain` (in that order), with the same default; its labels
/// are positions in `picked`.
pub(super) fn sub_chain(chain: &Chain, picked: &[u32]) -> Chain {
    let rules = picked
        .iter()
        .filter_map(|&j| chain.rules.get(j as usize).cloned())
        .collect();
    Chain::new(rules, chain.default)
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
