//! One side's decision function for one action type — its pattern lists in first-match order
//! ending in a default — as a DFA over characters, built lazily state by state.
//!
//! The NFA is a trie of the patterns' literal prefixes (so ten thousand anchored patterns do not
//! make every DFA state carry ten thousand NFA states) followed by one small NFA per pattern for
//! the rest, starting at its first star. A DFA state is the trie node reached (if any) and the
//! sorted set of tail positions alive; its label is the first rule (in chain order) that accepts.
//! Transitions are stored only for the characters the state lists (trie edges and the next
//! literal of each position), plus `\n` and "any other character": star runs match anything
//! but a newline, so every unlisted character behaves the same.

use std::sync::Arc;

use super::hash::FxHashMap;
use crate::decide::{Outcome, RuleId};

/// "None" for node, state and rule indices.
pub(super) const NONE: u32 = u32::MAX;

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Token {
    /// A run of `*`: any characters but a newline.
    Star,
    /// A literal character.
    Lit(char),
}

/// Splits a pattern into tokens. `literal` patterns (MCP server names) have no wildcard.
pub(super) fn tokens(pattern: &str, literal: bool) -> Vec<Token> {
    let mut out = Vec::with_capacity(pattern.len());
    for c in pattern.chars() {
        if c == '*' && !literal {
            if out.last() != Some(&Token::Star) {
                out.push(Token::Star);
            }
        } else {
            out.push(Token::Lit(c));
        }
    }
    out
}

/// One pattern of a chain, with what it decides.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    /// The pattern as written (after Python's `str()`).
    pub(super) pattern: Arc<str>,
    /// Its tokens.
    pub(super) tokens: Vec<Token>,
    /// What a match decides.
    pub(super) outcome: Outcome,
    /// CAVRA's rule id for a match.
    pub(super) rule_id: RuleId,
    /// The list, as `section.key`.
    pub(super) list: &'static str,
    /// Position in that list (counting the items the evaluator keeps).
    pub(super) index: usize,
    /// The pattern text's id, shared by both sides (equal texts, equal ids).
    pub(super) text_id: u32,
}

/// What a position of a tail NFA expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Star,
    Lit(char),
    /// The pattern has matched.
    End,
}

#[derive(Debug, Default, Clone)]
struct TrieNode {
    /// Sorted by character.
    children: Vec<(char, u32)>,
    /// The first exact (star-free) rule whose text ends here.
    exact: u32,
    /// Tail start positions of starred rules whose literal prefix ends here.
    starts: Vec<u32>,
    /// Every rule whose literal prefix ends here, in chain order.
    rules: Vec<u32>,
}

/// A DFA state. Its variable-length parts live in the chain's arenas, so the states the
/// product reads on every edge stay small and contiguous.
#[derive(Debug, Clone, Copy)]
struct ChainState {
    node: u32,
    /// The deciding rule, or [`NONE`] for the default.
    label: u32,
    /// A hash of the state's future (see `future_list`); 0 when too large to list.
    future: u64,
    /// `positions[positions_at..positions_at + positions_len]`.
    positions_at: u32,
    positions_len: u32,
    /// `listed[listed_at..listed_at + listed_len]`: the characters with their own transition
    /// (sorted, without `\n`); `transitions[listed_at..]` are their targets once expanded.
    listed_at: u32,
    listed_len: u32,
    /// Targets on `\n` and on any unlisted character; [`NONE`] until expanded.
    newline: u32,
    other: u32,
    /// The next state whose key hashes alike (the index's collision chain).
    same_hash: u32,
}

/// A side's decision function for one action type.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub(super) rules: Vec<Rule>,
    /// What no match decides.
    pub(super) default: (Outcome, RuleId),
    nodes: Vec<TrieNode>,
    /// The smallest rule in each node's subtree (itself included).
    least: Vec<u32>,
    /// How many rules each node's subtree holds (itself included).
    subtree: Vec<u32>,
    /// Each node's depth (characters of prefix consumed).
    depth: Vec<u32>,
    expect: Vec<Expect>,
    owner: Vec<u32>,
    offset: Vec<u32>,
    /// Whether the tail from this position on has a literal `\n`.
    newline_ahead: Vec<bool>,
    states: Vec<ChainState>,
    positions: Vec<u32>,
    listed: Vec<char>,
    /// Per listed character of an expanded state, its target (parallel to `listed`).
    targets: Vec<u32>,
    /// The first state whose key has this hash.
    index: FxHashMap<u64, u32>,
    /// The state of each trie node with no tail position alive (most states of a large
    /// pack's trie), found without hashing.
    trie_state: Vec<u32>,
    /// Reused by `step`.
    scratch: Vec<u32>,
    /// Reused by `future`.
    future_scratch: Vec<(u32, u32)>,
    future_list: Vec<(Outcome, u32, u32)>,
    /// Reused by `expand`.
    expand_scratch: Vec<u32>,
}

/// Marks a pending rule's progress in a state's future.
const PENDING: u32 = 1 << 31;

/// Largest trie subtree listed in a state's future.
const FUTURE_LIMIT: u32 = 64;

/// The dead state (no trie node, no position) is always state 0.
pub(super) const DEAD_STATE: u32 = 0;

impl Chain {
    /// Builds the NFA and the start state (state 1; state 0 is the dead state).
    pub(super) fn new(rules: Vec<Rule>, default: (Outcome, RuleId)) -> Chain {
        let mut chain = Chain {
            rules,
            default,
            nodes: vec![TrieNode {
                exact: NONE,
                ..TrieNode::default()
            }],
            least: Vec::new(),
            subtree: Vec::new(),
            depth: vec![0],
            expect: Vec::new(),
            owner: Vec::new(),
            offset: Vec::new(),
            newline_ahead: Vec::new(),
            states: Vec::new(),
            positions: Vec::new(),
            listed: Vec::new(),
            targets: Vec::new(),
            index: FxHashMap::default(),
            trie_state: Vec::new(),
            scratch: Vec::new(),
            future_scratch: Vec::new(),
            future_list: Vec::new(),
            expand_scratch: Vec::new(),
        };
        for rule in 0..chain.rules.len() {
            chain.insert(rule);
        }
        // Children always have larger ids than their parent, so one backward pass suffices.
        chain.least = chain
            .nodes
            .iter()
            .map(|n| n.rules.first().copied().unwrap_or(NONE))
            .collect();
        chain.subtree = chain.nodes.iter().map(|n| n.rules.len() as u32).collect();
        for id in (0..chain.nodes.len()).rev() {
            let children: Vec<u32> = chain
                .nodes
                .get(id)
                .map(|n| n.children.iter().map(|(_, c)| *c).collect())
                .unwrap_or_default();
            for child in children {
                let least = chain.least.get(child as usize).copied().unwrap_or(NONE);
                let size = chain.subtree.get(child as usize).copied().unwrap_or(0);
                if let Some(slot) = chain.least.get_mut(id) {
                    *slot = (*slot).min(least);
                }
                if let Some(slot) = chain.subtree.get_mut(id) {
                    *slot = slot.saturating_add(size);
                }
            }
        }
        chain.intern(NONE, &[]);
        let mut start = Vec::new();
        if let Some(root) = chain.nodes.first() {
            for &position in &root.starts {
                chain.add(position, &mut start);
            }
        }
        start.sort_unstable();
        start.dedup();
        chain.intern(0, &start);
        chain
    }

    fn insert(&mut self, rule: usize) {
        let Some(tokens) = self.rules.get(rule).map(|r| r.tokens.clone()) else {
            return;
        };
        let rule_id = u32::try_from(rule).unwrap_or(NONE);
        let split = tokens
            .iter()
            .position(|t| *t == Token::Star)
            .unwrap_or(tokens.len());
        let mut node = 0usize;
        for token in tokens.iter().take(split) {
            let Token::Lit(c) = *token else { continue };
            node = match self.child(node as u32, c) {
                Some(next) => next as usize,
                None => {
                    let next = self.nodes.len();
                    self.nodes.push(TrieNode {
                        exact: NONE,
                        ..TrieNode::default()
                    });
                    let depth = self.depth.get(node).copied().unwrap_or(0) + 1;
                    self.depth.push(depth);
                    if let Some(parent) = self.nodes.get_mut(node) {
                        let at = parent.children.partition_point(|(k, _)| *k < c);
                        parent.children.insert(at, (c, next as u32));
                    }
                    next
                }
            };
        }
        let tail = tokens.get(split..).unwrap_or_default();
        let start = u32::try_from(self.expect.len()).unwrap_or(NONE);
        if !tail.is_empty() {
            for (offset, token) in tail.iter().enumerate() {
                self.expect.push(match token {
                    Token::Star => Expect::Star,
                    Token::Lit(c) => Expect::Lit(*c),
                });
                self.owner.push(rule_id);
                self.offset.push(offset as u32);
            }
            self.expect.push(Expect::End);
            self.owner.push(rule_id);
            self.offset.push(tail.len() as u32);
            // Fill `newline_ahead` for the new positions, back to front.
            let mut ahead = false;
            let mut flags: Vec<bool> = tail
                .iter()
                .rev()
                .map(|t| {
                    ahead |= *t == Token::Lit('\n');
                    ahead
                })
                .collect();
            flags.reverse();
            self.newline_ahead.extend(flags);
            self.newline_ahead.push(false);
        }
        if let Some(entry) = self.nodes.get_mut(node) {
            if tail.is_empty() {
                entry.exact = entry.exact.min(rule_id);
            } else {
                entry.starts.push(start);
            }
            entry.rules.push(rule_id);
        }
    }

    fn child(&self, node: u32, c: char) -> Option<u32> {
        let children = &self.nodes.get(node as usize)?.children;
        children
            .binary_search_by(|(k, _)| k.cmp(&c))
            .ok()
            .and_then(|at| children.get(at))
            .map(|(_, next)| *next)
    }

    /// Adds a position and its closure (a star may match nothing).
    fn add(&self, mut position: u32, out: &mut Vec<u32>) {
        loop {
            out.push(position);
            match self.expect.get(position as usize) {
                Some(Expect::Star) => position += 1,
                _ => return,
            }
        }
    }

    /// The successor of `(node, positions)` on `c` (`None`: a character nothing lists): its
    /// node, with its positions in `next`.
    fn step(&self, node: u32, positions: &[u32], c: Option<char>, next: &mut Vec<u32>) -> u32 {
        next.clear();
        let next_node = match c {
            Some(c) if node != NONE => self.child(node, c).unwrap_or(NONE),
            _ => NONE,
        };
        for &position in positions {
            match self.expect.get(position as usize) {
                Some(Expect::Star) if c != Some('\n') => self.add(position, next),
                Some(Expect::Lit(l)) if Some(*l) == c => self.add(position + 1, next),
                _ => {}
            }
        }
        if let Some(entry) = self.nodes.get(next_node as usize) {
            for &start in &entry.starts {
                self.add(start, next);
            }
        }
        next.sort_unstable();
        next.dedup();
        // A rule that accepts every newline-free continuation ("absorbing") decides before any
        // later rule, so later rules' positions can go unless a literal newline lies ahead of
        // them (a newline ends the absorbing star).
        let absorbing = next
            .iter()
            .find(|&&p| {
                self.expect.get(p as usize) == Some(&Expect::Star)
                    && self.expect.get(p as usize + 1) == Some(&Expect::End)
            })
            .and_then(|&p| self.owner.get(p as usize).copied());
        if let Some(first) = absorbing {
            next.retain(|&p| {
                self.owner.get(p as usize).is_some_and(|&o| o <= first)
                    || self.newline_ahead.get(p as usize).copied().unwrap_or(false)
            });
        }
        next_node
    }

    fn label(&self, node: u32, positions: &[u32]) -> u32 {
        let exact = self.nodes.get(node as usize).map_or(NONE, |n| n.exact);
        let tail = positions
            .iter()
            .find(|&&p| self.expect.get(p as usize) == Some(&Expect::End))
            .and_then(|&p| self.owner.get(p as usize).copied())
            .unwrap_or(NONE);
        exact.min(tail)
    }

    /// The future of `(node, positions)` into `out`: `(outcome, text id, progress)` in chain
    /// order for the alive tail positions (progress = offset in the tail) and the rules still
    /// pending in the trie below (progress = [`PENDING`] + depth consumed). False when the
    /// trie below is too large to list. Two states with equal futures decide every
    /// continuation alike, whichever chain they belong to.
    fn future_list(
        &self,
        node: u32,
        positions: &[u32],
        items: &mut Vec<(u32, u32)>,
        out: &mut Vec<(Outcome, u32, u32)>,
    ) -> bool {
        items.clear();
        out.clear();
        if node != NONE {
            if self.subtree.get(node as usize).copied().unwrap_or(0) > FUTURE_LIMIT {
                return false;
            }
            let depth = self.depth.get(node as usize).copied().unwrap_or(0);
            if let Some(entry) = self.nodes.get(node as usize) {
                if entry.exact != NONE {
                    items.push((entry.exact, PENDING | depth));
                }
                let mut stack: Vec<u32> = entry.children.iter().map(|(_, c)| *c).collect();
                while let Some(next) = stack.pop() {
                    if let Some(below) = self.nodes.get(next as usize) {
                        items.extend(below.rules.iter().map(|&r| (r, PENDING | depth)));
                        stack.extend(below.children.iter().map(|(_, c)| *c));
                    }
                }
            }
        }
        for &p in positions {
            let owner = self.owner.get(p as usize).copied().unwrap_or(NONE);
            let offset = self.offset.get(p as usize).copied().unwrap_or(0);
            items.push((owner, offset));
        }
        items.sort_unstable();
        out.extend(items.iter().map(|&(rule, progress)| {
            let (outcome, text) = self
                .rules
                .get(rule as usize)
                .map_or((self.default.0, NONE), |r| (r.outcome, r.text_id));
            (outcome, text, progress)
        }));
        true
    }

    /// A hash of the future of `(node, positions)`, never 0; 0 when it cannot be listed.
    fn future_hash(&mut self, node: u32, positions: &[u32]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut items = std::mem::take(&mut self.future_scratch);
        let mut list = std::mem::take(&mut self.future_list);
        let listed = self.future_list(node, positions, &mut items, &mut list);
        let hash = if listed {
            let mut hasher = super::hash::FxHasher::default();
            for (outcome, text, progress) in &list {
                (*outcome as u8).hash(&mut hasher);
                text.hash(&mut hasher);
                progress.hash(&mut hasher);
            }
            hasher.finish().max(1)
        } else {
            0
        };
        self.future_scratch = items;
        self.future_list = list;
        hash
    }

    /// Whether `state` here and `theirs` in `other` have the same (listable) future.
    pub(super) fn same_future(&self, state: u32, other: &Chain, theirs: u32) -> bool {
        let mine = self.states.get(state as usize).map_or(0, |s| s.future);
        let other_hash = other.states.get(theirs as usize).map_or(0, |s| s.future);
        if mine == 0 || mine != other_hash {
            return false;
        }
        // Equal hashes: compare the lists themselves.
        let (Some(a), Some(b)) = (
            self.states.get(state as usize),
            other.states.get(theirs as usize),
        ) else {
            return false;
        };
        let (mut items, mut mine_list, mut their_list) = (Vec::new(), Vec::new(), Vec::new());
        self.future_list(a.node, self.positions_of(a), &mut items, &mut mine_list)
            && other.future_list(b.node, other.positions_of(b), &mut items, &mut their_list)
            && mine_list == their_list
    }

    fn key_hash(node: u32, positions: &[u32]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = super::hash::FxHasher::default();
        node.hash(&mut hasher);
        positions.hash(&mut hasher);
        hasher.finish()
    }

    fn positions_of(&self, state: &ChainState) -> &[u32] {
        let from = state.positions_at as usize;
        self.positions
            .get(from..from + state.positions_len as usize)
            .unwrap_or_default()
    }

    fn intern(&mut self, node: u32, positions: &[u32]) -> u32 {
        if node == NONE && positions.is_empty() && !self.states.is_empty() {
            return DEAD_STATE;
        }
        let trie_only = positions.is_empty() && node != NONE;
        if trie_only {
            if let Some(&known) = self.trie_state.get(node as usize) {
                if known != NONE {
                    return known;
                }
            }
        }
        let hash = Self::key_hash(node, positions);
        let first = self.index.get(&hash).copied().unwrap_or(NONE);
        let mut at = first;
        while let Some(state) = self.states.get(at as usize) {
            if state.node == node && self.positions_of(state) == positions {
                return at;
            }
            at = state.same_hash;
        }
        let label = self.label(node, positions);
        let listed_at = u32::try_from(self.listed.len()).unwrap_or(NONE);
        if let Some(entry) = self.nodes.get(node as usize) {
            self.listed.extend(entry.children.iter().map(|(c, _)| *c));
        }
        for &position in positions {
            if let Some(Expect::Lit(c)) = self.expect.get(position as usize) {
                self.listed.push(*c);
            }
        }
        if let Some(mine) = self.listed.get_mut(listed_at as usize..) {
            mine.sort_unstable();
        }
        let mut kept = listed_at as usize;
        for read in listed_at as usize..self.listed.len() {
            let c = self.listed.get(read).copied().unwrap_or('\n');
            let duplicate = kept > listed_at as usize && self.listed.get(kept - 1) == Some(&c);
            if c != '\n' && !duplicate {
                if let Some(slot) = self.listed.get_mut(kept) {
                    *slot = c;
                }
                kept += 1;
            }
        }
        self.listed.truncate(kept);
        self.targets.resize(self.listed.len(), NONE);
        let future = self.future_hash(node, positions);
        let positions_at = u32::try_from(self.positions.len()).unwrap_or(NONE);
        self.positions.extend_from_slice(positions);
        let id = u32::try_from(self.states.len()).unwrap_or(NONE);
        self.states.push(ChainState {
            node,
            label,
            future,
            positions_at,
            positions_len: positions.len() as u32,
            listed_at,
            listed_len: (kept - listed_at as usize) as u32,
            newline: NONE,
            other: NONE,
            same_hash: first,
        });
        self.index.insert(hash, id);
        if trie_only {
            if self.trie_state.len() <= node as usize {
                self.trie_state.resize(self.nodes.len(), NONE);
            }
            if let Some(slot) = self.trie_state.get_mut(node as usize) {
                *slot = id;
            }
        }
        id
    }

    /// Computes the transitions of `state` (once).
    pub(super) fn expand(&mut self, state: u32) {
        let Some(&entry) = self.states.get(state as usize) else {
            return;
        };
        if entry.other != NONE {
            return;
        }
        let mut positions = std::mem::take(&mut self.expand_scratch);
        positions.clear();
        positions.extend_from_slice(self.positions_of(&entry));
        let mut next = std::mem::take(&mut self.scratch);
        for k in 0..entry.listed_len {
            let at = (entry.listed_at + k) as usize;
            let c = self.listed.get(at).copied().unwrap_or('\n');
            let n = self.step(entry.node, &positions, Some(c), &mut next);
            let target = if n == entry.node && next == positions {
                state
            } else {
                self.intern(n, &next)
            };
            if let Some(slot) = self.targets.get_mut(at) {
                *slot = target;
            }
        }
        let n = self.step(entry.node, &positions, Some('\n'), &mut next);
        let newline = self.intern(n, &next);
        let n = self.step(entry.node, &positions, None, &mut next);
        let other = if n == entry.node && next == positions {
            state
        } else {
            self.intern(n, &next)
        };
        self.scratch = next;
        self.expand_scratch = positions;
        if let Some(entry) = self.states.get_mut(state as usize) {
            entry.newline = newline;
            entry.other = other;
        }
    }

    /// The successor of an expanded state on `c` (`None`: a character the state does not
    /// list, never `\n`).
    #[inline]
    pub(super) fn next(&self, state: u32, c: Option<char>) -> u32 {
        let Some(entry) = self.states.get(state as usize) else {
            return DEAD_STATE;
        };
        match c {
            Some('\n') => entry.newline,
            Some(c) => {
                let from = entry.listed_at as usize;
                let listed = self
                    .listed
                    .get(from..from + entry.listed_len as usize)
                    .unwrap_or_default();
                match listed.iter().position(|&k| k == c) {
                    Some(at) => self.targets.get(from + at).copied().unwrap_or(DEAD_STATE),
                    None => entry.other,
                }
            }
            None => entry.other,
        }
    }

    /// The deciding rule at `state` ([`NONE`]: the default).
    #[inline]
    pub(super) fn label_of(&self, state: u32) -> u32 {
        self.states.get(state as usize).map_or(NONE, |s| s.label)
    }

    /// The characters `state` lists (sorted, without `\n`).
    #[inline]
    pub(super) fn listed_of(&self, state: u32) -> &[char] {
        match self.states.get(state as usize) {
            Some(entry) => {
                let from = entry.listed_at as usize;
                self.listed
                    .get(from..from + entry.listed_len as usize)
                    .unwrap_or_default()
            }
            None => &[],
        }
    }

    /// How many DFA states are built.
    pub(super) fn state_count(&self) -> usize {
        self.states.len()
    }

    /// The deciding rule for a whole text ([`NONE`]: the default), simulated without building
    /// DFA states.
    pub(super) fn decide(&self, text: &str) -> u32 {
        let Some(start) = self.states.get(1) else {
            return NONE;
        };
        let mut node = start.node;
        let mut positions = self.positions_of(start).to_vec();
        let mut next = Vec::new();
        for c in text.chars() {
            node = self.step(node, &positions, Some(c), &mut next);
            std::mem::swap(&mut positions, &mut next);
            if node == NONE && positions.is_empty() {
                return NONE;
            }
        }
        self.label(node, &positions)
    }

    /// Whether `other` has the same rules (texts and outcomes, in order) and default, so
    /// decides every input alike.
    pub(super) fn same_decisions(&self, other: &Chain) -> bool {
        self.default.0 == other.default.0
            && self.rules.len() == other.rules.len()
            && self
                .rules
                .iter()
                .zip(&other.rules)
                .all(|(a, b)| a.outcome == b.outcome && a.text_id == b.text_id)
    }

    /// The outcome of a label.
    pub(super) fn outcome(&self, label: u32) -> Outcome {
        self.rules
            .get(label as usize)
            .map_or(self.default.0, |r| r.outcome)
    }

    /// The first `limit` rules (in chain order, below `below`) whose literal prefix is
    /// compatible with `prefix`: a prefix of it, or, when `open` (the text may continue after
    /// `prefix`), an extension of it. Rules with an empty prefix always are.
    pub(super) fn compatible_rules(
        &self,
        prefix: &[char],
        open: bool,
        below: u32,
        limit: usize,
    ) -> Vec<u32> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        // Entries are (smallest rule, node or NONE, rule): a subtree is expanded when its
        // smallest rule is the smallest left, so rules come out in chain order.
        let mut heap: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::new();
        let mut singles: Vec<u32> = Vec::new();
        let mut node = 0u32;
        if let Some(root) = self.nodes.first() {
            singles.extend_from_slice(&root.rules);
        }
        let mut reached = true;
        for &c in prefix {
            match self.child(node, c) {
                Some(next) => {
                    node = next;
                    if let Some(entry) = self.nodes.get(node as usize) {
                        singles.extend_from_slice(&entry.rules);
                    }
                }
                None => {
                    reached = false;
                    break;
                }
            }
        }
        let push_children = |node: u32, heap: &mut BinaryHeap<Reverse<(u32, u32)>>| {
            if let Some(entry) = self.nodes.get(node as usize) {
                for &(_, child) in &entry.children {
                    let least = self.least.get(child as usize).copied().unwrap_or(NONE);
                    heap.push(Reverse((least, child)));
                }
            }
        };
        if reached && open {
            push_children(node, &mut heap);
        }
        for rule in singles {
            heap.push(Reverse((rule, NONE)));
        }
        let mut out = Vec::new();
        while let Some(Reverse((least, node))) = heap.pop() {
            if least >= below || out.len() >= limit {
                break;
            }
            if node == NONE {
                out.push(least);
                continue;
            }
            if let Some(entry) = self.nodes.get(node as usize) {
                for &rule in &entry.rules {
                    heap.push(Reverse((rule, NONE)));
                }
            }
            push_children(node, &mut heap);
        }
        out.dedup();
        out
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::decide::matcher::PatternSet;

    /// A chain of `commands.block` rules over `patterns`, falling through to allow (shared with
    /// the search module's tests).
    pub(in crate::symbolic) fn chain(patterns: &[&str]) -> Chain {
        let rules = patterns
            .iter()
            .enumerate()
            .map(|(index, p)| Rule {
                pattern: Arc::from(*p),
                tokens: tokens(p, false),
                outcome: Outcome::Block,
                rule_id: RuleId::CommandsBlock,
                list: "commands.block",
                index,
                text_id: index as u32,
            })
            .collect();
        Chain::new(rules, (Outcome::Allow, RuleId::CommandsAllow))
    }

    #[test]
    fn simulation_agrees_with_the_matcher() {
        let patterns = [
            "a*", "ab", "*b", "**/x.*", "a\n*", "*", ".env", "a*b*c", "x**y", "",
        ];
        let set = PatternSet::new(patterns);
        let texts = [
            "", "a", "ab", "b", "c/x.y", "a\nb", "\n", ".env", "abc", "xy", "x\ny", "acb", "q",
        ];
        for count in 1..=patterns.len() {
            let prefix = patterns.get(..count).unwrap_or_default();
            let chain = chain(prefix);
            let set = PatternSet::new(prefix.iter().copied());
            for text in texts {
                let want = set.first_match(text).map_or(NONE, |i| i as u32);
                assert_eq!(chain.decide(text), want, "{prefix:?} on {text:?}");
            }
        }
        assert_eq!(set.len(), patterns.len());
    }

    #[test]
    fn expanded_dfa_agrees_with_simulation() {
        let mut chain = chain(&["terraform plan*", "terraform *", "**/id_rsa", "*.pem"]);
        for text in [
            "terraform plan x",
            "terraform x",
            "a/id_rsa",
            "k.pem",
            "terraform",
            "",
        ] {
            let mut state = 1;
            for c in text.chars() {
                chain.expand(state);
                let listed = chain.listed_of(state).contains(&c) || c == '\n';
                state = chain.next(state, listed.then_some(c));
            }
            let label = chain.label_of(state);
            assert_eq!(label, chain.decide(text), "{text:?}");
        }
    }
}
