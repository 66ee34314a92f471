//! Whether a few patterns match a common input of a domain: used to list the earlier rules that
//! carve holes into a cell ("matches `terraform *`, not `terraform apply*`").
//!
//! A candidate text is built first (the longest literal prefix, every middle piece, the longest
//! suffix, joined by a filler) and checked; only when it fails does a small breadth-first
//! search over the patterns' own automata decide, within a budget.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::chain::{Chain, Rule, Token};
use super::domain::{Domain, Input, DEAD, PYTHON_SPACES};
use crate::decide::{Outcome, RuleId};

/// States the fallback search may visit.
const BUDGET: usize = 4096;

/// A pattern cut at its stars.
pub(super) struct Parts {
    /// The literals before the first star (the whole pattern when it has none).
    pub(super) prefix: Vec<char>,
    /// The literal pieces between stars.
    pub(super) middle: Vec<Vec<char>>,
    /// The literals after the last star.
    pub(super) suffix: Vec<char>,
    /// Whether the pattern has a star.
    pub(super) starred: bool,
}

/// Cuts a pattern at its stars.
pub(super) fn parts(tokens: &[Token]) -> Parts {
    let mut pieces: Vec<Vec<char>> = vec![Vec::new()];
    for token in tokens {
        match token {
            Token::Star => pieces.push(Vec::new()),
            Token::Lit(c) => {
                if let Some(last) = pieces.last_mut() {
                    last.push(*c);
                }
            }
        }
    }
    let prefix = pieces.first().cloned().unwrap_or_default();
    if pieces.len() == 1 {
        return Parts {
            prefix,
            middle: Vec::new(),
            suffix: Vec::new(),
            starred: false,
        };
    }
    Parts {
        prefix,
        suffix: pieces.last().cloned().unwrap_or_default(),
        middle: pieces.get(1..pieces.len() - 1).unwrap_or_default().to_vec(),
        starred: true,
    }
}

fn single(tokens: &[Token]) -> Chain {
    Chain::new(
        vec![Rule {
            pattern: Arc::from(""),
            tokens: tokens.to_vec(),
            outcome: Outcome::Block,
            rule_id: RuleId::CommandsBlock,
            list: "",
            index: 0,
            text_id: 0,
        }],
        (Outcome::Allow, RuleId::CommandsAllow),
    )
}

fn candidate(patterns: &[&[Token]]) -> Option<String> {
    let mut prefix: Vec<char> = Vec::new();
    let mut suffix: Vec<char> = Vec::new();
    let mut middles: Vec<Vec<char>> = Vec::new();
    for tokens in patterns {
        let cut = parts(tokens);
        if !cut.starred {
            return Some(cut.prefix.into_iter().collect());
        }
        if cut.prefix.len() > prefix.len() {
            prefix = cut.prefix;
        }
        if cut.suffix.len() > suffix.len() {
            suffix = cut.suffix;
        }
        middles.extend(cut.middle);
    }
    let mut text: String = prefix.into_iter().collect();
    text.push('x');
    for middle in middles {
        text.extend(middle);
        text.push('x');
    }
    text.extend(suffix);
    Some(text)
}

/// Whether some input of `domain` matches every pattern (`None`: undecided within the budget).
pub(super) fn intersects(domain: Domain, patterns: &[&[Token]]) -> Option<bool> {
    let mut chains: Vec<Chain> = patterns.iter().map(|t| single(t)).collect();
    if let Some(text) = candidate(patterns) {
        if domain.contains(&text) && chains.iter().all(|c| c.decide(&text) == 0) {
            return Some(true);
        }
    }
    // Breadth-first search over (domain state, each pattern's DFA state).
    let start: Vec<u32> = std::iter::once(u32::from(domain.start()))
        .chain(chains.iter().map(|_| 1))
        .collect();
    let mut seen: HashMap<Vec<u32>, ()> = HashMap::new();
    let mut queue = VecDeque::new();
    seen.insert(start.clone(), ());
    queue.push_back(start);
    while let Some(state) = queue.pop_front() {
        if seen.len() > BUDGET {
            return None;
        }
        let (&dom, rest) = state.split_first()?;
        let dom = u8::try_from(dom).unwrap_or(DEAD);
        if domain.accepts(dom) && rest.iter().zip(&chains).all(|(s, c)| c.label_of(*s) == 0) {
            return Some(true);
        }
        if rest.contains(&super::chain::DEAD_STATE) {
            continue;
        }
        let mut listed: Vec<char> = domain.listed().to_vec();
        for (s, chain) in rest.iter().zip(chains.iter_mut()) {
            chain.expand(*s);
            listed.extend_from_slice(chain.listed_of(*s));
        }
        listed.sort_unstable();
        listed.dedup();
        let mut inputs: Vec<(Option<char>, Input)> =
            listed.iter().map(|&c| (Some(c), Input::Char(c))).collect();
        inputs.push((Some('\n'), Input::Char('\n')));
        inputs.push((None, Input::Other { space: false }));
        if domain.splits_space()
            && PYTHON_SPACES
                .iter()
                .any(|c| *c != '\n' && listed.binary_search(c).is_err())
        {
            inputs.push((None, Input::Other { space: true }));
        }
        for (c, input) in inputs {
            let next_dom = domain.step(dom, input);
            if next_dom == DEAD {
                continue;
            }
            let mut next = vec![u32::from(next_dom)];
            next.extend(rest.iter().zip(&chains).map(|(s, chain)| chain.next(*s, c)));
            if !seen.contains_key(&next) {
                seen.insert(next.clone(), ());
                queue.push_back(next);
            }
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::super::chain::tokens;
    use super::*;

    fn check(domain: Domain, patterns: &[&str], want: bool) {
        let tokens: Vec<Vec<Token>> = patterns.iter().map(|p| tokens(p, false)).collect();
        let refs: Vec<&[Token]> = tokens.iter().map(Vec::as_slice).collect();
        assert_eq!(intersects(domain, &refs), Some(want), "{patterns:?}");
    }

    #[test]
    fn intersections() {
        check(Domain::Stripped, &["terraform *", "terraform apply*"], true);
        check(Domain::Stripped, &["terraform *", "kubectl *"], false);
        check(Domain::NormalPath, &["a/*", "*/b"], true);
        check(Domain::NormalPath, &["**/.env", ".env"], false);
        check(Domain::NormalPath, &["./x", "*"], false);
        check(Domain::Stripped, &["a*", "*b", "*\n*"], false);
        check(Domain::Any, &["a*", "*b", "*\n*"], false);
        check(Domain::Stripped, &["a\n*", "*b"], false);
        check(Domain::Stripped, &["a\n*", "a\n*b"], true);
        check(Domain::Stripped, &["x *", "* "], false);
    }
}
