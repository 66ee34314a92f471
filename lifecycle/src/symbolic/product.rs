//! The product of the domain automaton and both sides' chains, explored breadth first from the
//! start: every reachable `(domain, before, after)` state once, so state ids are in order of
//! shortest distance and the first state found with a label has a shortest witness.
//!
//! A successor whose two chains have the same future (the same alive pattern tails, in the same
//! order, and the same default) can never reach a flip and is not explored (`PRUNED`); nor is one
//! that left the domain. Everything kept is reachable, so a region (a flip kind) is empty
//! exactly when no kept state carries its label, and infinite exactly when a state that can
//! reach its label lies on a cycle or leaves through "any other character" — both read off the
//! explored graph.

use super::chain::{Chain, NONE};
use super::domain::{DomState, Domain, Input, DEAD, PYTHON_SPACES};
use super::hash::FxHashMap;
use crate::decide::Outcome;

/// The target of an edge that was not explored (no flip is reachable through it).
pub(super) const PRUNED: u32 = u32::MAX;

/// What an edge reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Symbol {
    /// One character.
    Char(char),
    /// Any character the state does not list (and not `\n`); when the domain splits
    /// whitespace, any such non-whitespace character. Infinitely many characters.
    Other,
    /// Any whitespace character the state does not list (not `\n`), in a domain that splits
    /// whitespace. Finitely many.
    OtherSpace,
}

/// A product state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Node {
    pub(super) domain: DomState,
    pub(super) before: u32,
    pub(super) after: u32,
}

impl Node {
    /// The node packed into one word (chain state ids stay below 2^28: see
    /// [`Product::explore`]'s budget).
    #[inline]
    fn key(self) -> u64 {
        (u64::from(self.domain) << 56) | (u64::from(self.before) << 28) | u64::from(self.after)
    }
}

/// Chain states per side stay below this, so a node packs into 64 bits.
const MAX_CHAIN_STATES: usize = 1 << 27;

/// The explored product.
#[derive(Debug)]
pub(super) struct Product {
    pub(super) domain: Domain,
    pub(super) sides: [Chain; 2],
    pub(super) nodes: Vec<Node>,
    /// Node ids by [`Node::key`].
    index: FxHashMap<u64, u32>,
    /// Reused buffer for a state's listed characters.
    scratch: Vec<char>,
    /// `edges[edge_start[i]..edge_start[i + 1]]` leave node `i`.
    pub(super) edge_start: Vec<u32>,
    pub(super) edges: Vec<(Symbol, u32)>,
    /// How each node was first reached: `(node, symbol)`; the start has `NONE`.
    pub(super) parent: Vec<(u32, Symbol)>,
    /// Each node's flip kind (`before * 3 + after` in [`slot`] order), or [`NO_KIND`].
    pub(super) kinds: Vec<u8>,
    /// Kinds already proven infinite while exploring: an "any other character" edge joins
    /// two states of the kind, or a state of the kind loops on itself.
    pub(super) infinite: [bool; 9],
    /// False when the state budget ran out before the exploration finished.
    pub(super) complete: bool,
}

/// A node where no flip happens.
pub(super) const NO_KIND: u8 = u8::MAX;

/// An outcome's position in flip-kind numbering.
pub(super) fn slot(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Allow => 0,
        Outcome::Block => 1,
        Outcome::RequireApproval => 2,
    }
}

/// Characters tried first when a witness needs "some other character": readable ones.
pub(super) const READABLE: &str = "xyzabcdefghijklmnopqrstuvw0123456789_-";

impl Product {
    /// Explores the product of `before` and `after` over `domain`, up to `budget` states.
    pub(super) fn explore(domain: Domain, sides: [Chain; 2], budget: usize) -> Product {
        let mut product = Product {
            domain,
            sides,
            nodes: Vec::new(),
            index: FxHashMap::default(),
            scratch: Vec::new(),
            edge_start: vec![0],
            edges: Vec::new(),
            parent: Vec::new(),
            kinds: Vec::new(),
            infinite: [false; 9],
            complete: true,
        };
        let start = Node {
            domain: domain.start(),
            before: 1,
            after: 1,
        };
        if product.sides[0].same_decisions(&product.sides[1]) || product.prunable(start) {
            return product;
        }
        product.nodes.push(start);
        product.index.insert(start.key(), 0);
        product.parent.push((NONE, Symbol::Other));
        let kind = product.kind(start);
        product.kinds.push(kind);
        let mut head = 0usize;
        while let Some(&node) = product.nodes.get(head) {
            let chain_states = product.sides[0].state_count() + product.sides[1].state_count();
            if product.nodes.len() > budget
                || chain_states > budget.saturating_mul(2).min(MAX_CHAIN_STATES)
            {
                product.complete = false;
                break;
            }
            product.expand(head as u32, node);
            head += 1;
        }
        product
    }

    /// Whether no continuation from `node` can flip.
    fn prunable(&self, node: Node) -> bool {
        if node.domain == DEAD {
            return true;
        }
        let [before, after] = &self.sides;
        if before.default.0 != after.default.0 {
            return false;
        }
        before.same_future(node.before, after, node.after)
    }

    /// The characters `node` lists (its chains' and its domain's).
    pub(super) fn listed(&self, node: Node) -> Vec<char> {
        let mut out = Vec::new();
        self.listed_into(node, &mut out);
        out
    }

    fn listed_into(&self, node: Node, out: &mut Vec<char>) {
        let [before, after] = &self.sides;
        let b = before.listed_of(node.before);
        let a = after.listed_of(node.after);
        out.clear();
        // Merge two sorted lists, then the domain's (tiny) list.
        let (mut i, mut j) = (0, 0);
        while let (Some(&x), Some(&y)) = (b.get(i), a.get(j)) {
            if x < y {
                out.push(x);
                i += 1;
            } else if y < x {
                out.push(y);
                j += 1;
            } else {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
        out.extend_from_slice(b.get(i..).unwrap_or_default());
        out.extend_from_slice(a.get(j..).unwrap_or_default());
        for &c in self.domain.listed() {
            if let Err(at) = out.binary_search(&c) {
                out.insert(at, c);
            }
        }
    }

    /// Whitespace characters (other than `\n`) that `listed` leaves out.
    fn spare_spaces(listed: &[char]) -> impl Iterator<Item = char> + '_ {
        PYTHON_SPACES
            .iter()
            .copied()
            .filter(move |c| *c != '\n' && listed.binary_search(c).is_err())
    }

    fn expand(&mut self, id: u32, node: Node) {
        self.sides[0].expand(node.before);
        self.sides[1].expand(node.after);
        let mut listed = std::mem::take(&mut self.scratch);
        self.listed_into(node, &mut listed);
        self.edge(id, node, Symbol::Other);
        if self.domain.splits_space() && Self::spare_spaces(&listed).next().is_some() {
            self.edge(id, node, Symbol::OtherSpace);
        }
        for &c in &listed {
            if c != '\n' {
                self.edge(id, node, Symbol::Char(c));
            }
        }
        self.edge(id, node, Symbol::Char('\n'));
        self.scratch = listed;
        self.edge_start
            .push(u32::try_from(self.edges.len()).unwrap_or(u32::MAX));
    }

    /// Adds the edge of `node` (id `id`) on `symbol`, discovering its target.
    #[inline]
    fn edge(&mut self, id: u32, node: Node, symbol: Symbol) {
        let (chain_input, input) = match symbol {
            Symbol::Char(c) => (Some(c), Input::Char(c)),
            Symbol::Other => (None, Input::Other { space: false }),
            Symbol::OtherSpace => (None, Input::Other { space: true }),
        };
        let next = Node {
            domain: self.domain.step(node.domain, input),
            before: self.sides[0].next(node.before, chain_input),
            after: self.sides[1].next(node.after, chain_input),
        };
        let target = if next == node {
            id
        } else if self.prunable(next) {
            PRUNED
        } else {
            let fresh = u32::try_from(self.nodes.len()).unwrap_or(PRUNED);
            let known = *self.index.entry(next.key()).or_insert(fresh);
            if known == fresh {
                self.nodes.push(next);
                self.parent.push((id, symbol));
                let kind = self.kind(next);
                self.kinds.push(kind);
            }
            known
        };
        if target != PRUNED {
            let from = self.kinds.get(id as usize).copied().unwrap_or(NO_KIND);
            let to = self.kinds.get(target as usize).copied().unwrap_or(NO_KIND);
            if from != NO_KIND && from == to && (target == id || symbol == Symbol::Other) {
                if let Some(flag) = self.infinite.get_mut(from as usize) {
                    *flag = true;
                }
            }
        }
        self.edges.push((symbol, target));
    }

    /// The flip kind of a node.
    fn kind(&self, node: Node) -> u8 {
        if !self.domain.accepts(node.domain) {
            return NO_KIND;
        }
        let before = self.sides[0].outcome(self.sides[0].label_of(node.before));
        let after = self.sides[1].outcome(self.sides[1].label_of(node.after));
        if before == after {
            NO_KIND
        } else {
            slot(before) * 3 + slot(after)
        }
    }

    /// Gives the chains back.
    pub(super) fn into_sides(self) -> [Chain; 2] {
        self.sides
    }

    /// The edges leaving node `id` (empty when it was not expanded).
    pub(super) fn edges_of(&self, id: u32) -> &[(Symbol, u32)] {
        let range = self
            .edge_start
            .get(id as usize)
            .zip(self.edge_start.get(id as usize + 1));
        match range {
            Some((&from, &to)) => self.edges.get(from as usize..to as usize).unwrap_or(&[]),
            None => &[],
        }
    }

    /// The labels (deciding rule before, after; [`NONE`] for a default) of an in-domain node.
    pub(super) fn labels(&self, id: u32) -> Option<(u32, u32)> {
        let node = self.nodes.get(id as usize)?;
        if !self.domain.accepts(node.domain) {
            return None;
        }
        Some((
            self.sides[0].label_of(node.before),
            self.sides[1].label_of(node.after),
        ))
    }

    /// The outcomes of an in-domain node.
    pub(super) fn outcomes(&self, id: u32) -> Option<(Outcome, Outcome)> {
        let (b, a) = self.labels(id)?;
        Some((self.sides[0].outcome(b), self.sides[1].outcome(a)))
    }

    /// A readable character for `symbol` leaving `node`.
    fn render(&self, node: Node, symbol: Symbol) -> char {
        match symbol {
            Symbol::Char(c) => c,
            Symbol::Other => {
                let listed = self.listed(node);
                let free = |c: &char| {
                    listed.binary_search(c).is_err()
                        && *c != '\n'
                        && !(self.domain.splits_space()
                            && crate::decide::python::is_python_space(*c))
                };
                READABLE
                    .chars()
                    .find(free)
                    .or_else(|| ('A'..=char::MAX).find(free))
                    .unwrap_or('x')
            }
            Symbol::OtherSpace => {
                let listed = self.listed(node);
                let spare = Self::spare_spaces(&listed).next();
                spare.unwrap_or(' ')
            }
        }
    }

    /// The text of the BFS-tree path to `id` (a shortest text reaching it).
    pub(super) fn witness(&self, id: u32) -> String {
        let mut symbols = Vec::new();
        let mut at = id;
        while let Some(&(parent, symbol)) = self.parent.get(at as usize) {
            if parent == NONE {
                break;
            }
            symbols.push((parent, symbol));
            at = parent;
        }
        symbols
            .iter()
            .rev()
            .filter_map(|&(from, symbol)| {
                let node = *self.nodes.get(from as usize)?;
                Some(self.render(node, symbol))
            })
            .collect()
    }

    /// How many characters `symbol` stands for at `node` (`None`: infinitely many).
    pub(super) fn multiplicity(&self, node: Node, symbol: Symbol) -> Option<u64> {
        match symbol {
            Symbol::Char(_) => Some(1),
            Symbol::Other => None,
            Symbol::OtherSpace => {
                let listed = self.listed(node);
                Some(Self::spare_spaces(&listed).count() as u64)
            }
        }
    }
}
