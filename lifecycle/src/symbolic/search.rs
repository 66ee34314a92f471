//! A breadth-first search over one pattern (the *probe*: an invariant's glob, or a rule) and a
//! chain, inside a domain: a shortest input the probe matches that a wanted rule of the chain
//! (or its default) decides.
//!
//! It runs the same automata as the region product ([`super::chain`], [`super::domain`]) but
//! over one chain and a probe, and never explores past a point where the probe can no longer
//! match or the domain has been left. Nodes are visited in order of distance from the start,
//! so the first node found for a label carries a shortest input for it.

use std::sync::Arc;

use super::chain::{Chain, Rule, Token, DEAD_STATE, NONE};
use super::domain::{DomState, Domain, Input, DEAD, PYTHON_SPACES};
use super::hash::FxHashMap;
use super::product::{Symbol, READABLE};
use crate::decide::python::is_python_space;
use crate::decide::{Outcome, RuleId};

/// A chain of one rule (label 0 when it matches), to run a pattern as a probe.
pub(super) fn probe(tokens: Vec<Token>) -> Chain {
    Chain::new(
        vec![Rule {
            pattern: Arc::from(""),
            tokens,
            outcome: Outcome::Block,
            rule_id: RuleId::CommandsBlock,
            list: "",
            index: 0,
            text_id: 0,
        }],
        (Outcome::Allow, RuleId::CommandsAllow),
    )
}

/// A label of the chain met at an input the probe matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    /// The chain's deciding rule ([`NONE`]: its default).
    pub(super) label: u32,
    /// A shortest in-domain input the probe matches that the label decides.
    pub(super) witness: String,
}

/// The outcome of a search.
#[derive(Debug, Clone, Default)]
pub(super) struct Search {
    /// The first wanted label met, with a shortest input for it.
    pub(super) found: Option<Found>,
    /// Whether the search ran to the end without finding one (budget not exhausted).
    pub(super) complete: bool,
    /// Whether the budget ran out.
    pub(super) exhausted: bool,
    /// Whether some in-domain input matches the probe at all (among those visited).
    pub(super) matched: bool,
    /// Nodes visited.
    pub(super) states: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Node {
    domain: DomState,
    probe: u32,
    chain: u32,
}

struct Graph<'a> {
    domain: Domain,
    probe: &'a mut Chain,
    chain: &'a mut Chain,
    nodes: Vec<Node>,
    parent: Vec<(u32, Symbol)>,
    index: FxHashMap<Node, u32>,
}

impl Graph<'_> {
    /// The characters `node` lists: the probe's, the chain's and the domain's.
    fn listed(&self, node: Node, out: &mut Vec<char>) {
        out.clear();
        out.extend_from_slice(self.probe.listed_of(node.probe));
        out.extend_from_slice(self.chain.listed_of(node.chain));
        out.extend_from_slice(self.domain.listed());
        out.sort_unstable();
        out.dedup();
    }

    fn step(&self, node: Node, symbol: Symbol) -> Node {
        let (c, input) = match symbol {
            Symbol::Char(c) => (Some(c), Input::Char(c)),
            Symbol::Other => (None, Input::Other { space: false }),
            Symbol::OtherSpace => (None, Input::Other { space: true }),
        };
        Node {
            domain: self.domain.step(node.domain, input),
            probe: self.probe.next(node.probe, c),
            chain: self.chain.next(node.chain, c),
        }
    }

    /// A readable character for `symbol` leaving `node`.
    fn render(&self, node: Node, symbol: Symbol, listed: &mut Vec<char>) -> char {
        match symbol {
            Symbol::Char(c) => c,
            Symbol::Other => {
                self.listed(node, listed);
                let splits = self.domain.splits_space();
                let free = |c: &char| {
                    listed.binary_search(c).is_err()
                        && *c != '\n'
                        && !(splits && is_python_space(*c))
                };
                READABLE
                    .chars()
                    .find(free)
                    .or_else(|| ('A'..=char::MAX).find(free))
                    .unwrap_or('x')
            }
            Symbol::OtherSpace => {
                self.listed(node, listed);
                PYTHON_SPACES
                    .iter()
                    .copied()
                    .find(|c| *c != '\n' && listed.binary_search(c).is_err())
                    .unwrap_or(' ')
            }
        }
    }

    /// The text of the BFS-tree path to node `id`.
    fn witness(&self, id: u32) -> String {
        let mut steps = Vec::new();
        let mut at = id;
        while let Some(&(parent, symbol)) = self.parent.get(at as usize) {
            if parent == NONE {
                break;
            }
            steps.push((parent, symbol));
            at = parent;
        }
        let mut listed = Vec::new();
        steps
            .iter()
            .rev()
            .filter_map(|&(from, symbol)| {
                let node = *self.nodes.get(from as usize)?;
                Some(self.render(node, symbol, &mut listed))
            })
            .collect()
    }
}

/// Explores the inputs of `domain` that `probe` matches, shortest first, for at most `budget`
/// nodes, until one is decided by a label of `chain` that `wanted` accepts (asked once per
/// label).
pub(super) fn search(
    domain: Domain,
    probe: &mut Chain,
    chain: &mut Chain,
    budget: usize,
    mut wanted: impl FnMut(u32) -> bool,
) -> Search {
    let mut graph = Graph {
        domain,
        probe,
        chain,
        nodes: Vec::new(),
        parent: Vec::new(),
        index: FxHashMap::default(),
    };
    let mut out = Search::default();
    let start = Node {
        domain: domain.start(),
        probe: 1,
        chain: 1,
    };
    graph.nodes.push(start);
    graph.parent.push((NONE, Symbol::Other));
    graph.index.insert(start, 0);
    let mut seen: FxHashMap<u32, ()> = FxHashMap::default();
    let mut listed = Vec::new();
    let mut head = 0usize;
    while let Some(&node) = graph.nodes.get(head) {
        if head >= budget {
            out.exhausted = true;
            out.states = head;
            return out;
        }
        let id = head as u32;
        head += 1;
        if domain.accepts(node.domain) && graph.probe.label_of(node.probe) == 0 {
            out.matched = true;
            let label = graph.chain.label_of(node.chain);
            if seen.insert(label, ()).is_none() && wanted(label) {
                out.found = Some(Found {
                    label,
                    witness: graph.witness(id),
                });
                out.states = head;
                return out;
            }
        }
        // No rule of the chain is alive: every continuation is decided by the default, which
        // adds nothing once it has been met.
        if node.chain == DEAD_STATE && seen.contains_key(&NONE) {
            continue;
        }
        graph.probe.expand(node.probe);
        graph.chain.expand(node.chain);
        graph.listed(node, &mut listed);
        let mut symbols: Vec<Symbol> = vec![Symbol::Other];
        if domain.splits_space()
            && PYTHON_SPACES
                .iter()
                .any(|c| *c != '\n' && listed.binary_search(c).is_err())
        {
            symbols.push(Symbol::OtherSpace);
        }
        symbols.extend(
            listed
                .iter()
                .filter(|c| **c != '\n')
                .map(|&c| Symbol::Char(c)),
        );
        symbols.push(Symbol::Char('\n'));
        for symbol in symbols {
            let next = graph.step(node, symbol);
            if next.domain == DEAD || next.probe == DEAD_STATE {
                continue;
            }
            let fresh = u32::try_from(graph.nodes.len()).unwrap_or(NONE);
            if *graph.index.entry(next).or_insert(fresh) == fresh {
                graph.nodes.push(next);
                graph.parent.push((id, symbol));
            }
        }
    }
    out.complete = true;
    out.states = head;
    out
}

#[cfg(test)]
mod tests {
    use super::super::chain::tests::chain;
    use super::super::chain::tokens;
    use super::*;

    /// Every label met, shortest input first (searching again, excluding those found).
    fn labels(domain: Domain, probe_pattern: &str, patterns: &[&str]) -> Vec<(u32, String)> {
        let mut chain = chain(patterns);
        let mut out: Vec<(u32, String)> = Vec::new();
        loop {
            let mut p = probe(tokens(probe_pattern, false));
            let result = search(domain, &mut p, &mut chain, 10_000, |label| {
                !out.iter().any(|(l, _)| *l == label)
            });
            match result.found {
                Some(found) => out.push((found.label, found.witness)),
                None => {
                    assert!(result.complete);
                    return out;
                }
            }
        }
    }

    #[test]
    fn finds_each_deciding_rule_with_a_shortest_input() {
        let found = labels(
            Domain::Stripped,
            "terraform *",
            &["terraform apply*", "terraform plan*"],
        );
        assert_eq!(
            found,
            // `terraform ` itself is not a stripped command; shortest first.
            vec![
                (NONE, "terraform x".to_owned()),
                (1, "terraform plan".to_owned()),
                (0, "terraform apply".to_owned()),
            ]
        );
        // Fully covered: the probe's inputs are all decided by rule 0.
        let found = labels(Domain::Stripped, "a b*", &["a *"]);
        assert_eq!(found, vec![(0, "a b".to_owned())]);
        // Outside the domain: nothing.
        assert!(labels(Domain::Stripped, " a", &["*"]).is_empty());
        // Normal paths: `./x` is not one.
        assert!(labels(Domain::NormalPath, "./x", &["*"]).is_empty());
        assert_eq!(
            labels(Domain::Any, "./x", &["*"]),
            vec![(0, "./x".to_owned())]
        );
    }

    #[test]
    fn stops_and_runs_out_of_budget() {
        let mut p = probe(tokens("*", false));
        let mut c = chain(&["a*", "b*"]);
        let found = search(Domain::Any, &mut p, &mut c, 10_000, |label| label == 1);
        assert!(!found.complete && !found.exhausted);
        assert_eq!(
            found.found,
            Some(Found {
                label: 1,
                witness: "b".into()
            })
        );
        let mut p = probe(tokens("*", false));
        let found = search(Domain::Any, &mut p, &mut c, 1, |label| label == 7);
        assert!(found.exhausted && !found.complete);
        let mut p = probe(tokens("*", false));
        let found = search(Domain::Any, &mut p, &mut c, 10_000, |label| label == 7);
        assert!(found.complete && found.found.is_none() && found.matched);
    }
}
