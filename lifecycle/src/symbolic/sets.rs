//! A faster exploration of the same product when one side's DFA is small (a pack of tens of
//! rules against one of thousands, the common review): the small side's states, with the
//! domain's, are numbered densely, and each large-side state keeps the set of small states seen
//! with it as a bitset. The breadth-first search then moves level by level with the pairs of a
//! level grouped by their large-side state, so each step is a table lookup and a bit test, not
//! a hash lookup of a pair.
//!
//! It answers what the report needs — the flip kinds, every cell with a shortest example — and
//! proves kinds infinite the same way the pair exploration does (an "any other character" edge
//! or a self-loop between two states of the kind). When a kind stays unproven (it may be
//! finite, and then its size needs the whole graph) or a budget runs out, it gives up and the
//! caller runs the pair exploration.

use std::collections::BTreeMap;

use super::analysis::{CellSummary, KindSummary};
use super::chain::{Chain, NONE};
use super::domain::{DomState, Domain, Input, DEAD, PYTHON_SPACES};
use super::hash::FxHashMap;
use super::product::{slot, Symbol, NO_KIND, READABLE};
use crate::decide::Outcome;

/// Largest small side, in chain states, worth expanding up front (a pack of a few dozen rules
/// has a few hundred: long literal command prefixes are one trie state per character).
const SMALL_CHAIN: usize = 512;

/// One pair reached, with how it was first reached.
#[derive(Debug, Clone, Copy)]
struct Record {
    large: u32,
    small: u32,
    parent: u32,
    symbol: Symbol,
}

/// The small side: its chain states crossed with the domain's states, numbered densely.
struct Small {
    /// Chain states (all of them, expanded).
    count: usize,
    domain_states: usize,
}

impl Small {
    fn index(&self, domain: DomState, state: u32) -> u32 {
        (u32::from(domain) * self.count as u32) + state
    }

    fn split(&self, index: u32) -> (DomState, u32) {
        let count = self.count.max(1) as u32;
        (u8::try_from(index / count).unwrap_or(DEAD), index % count)
    }

    fn len(&self) -> usize {
        self.count * self.domain_states
    }
}

/// Expands every state of `chain` reachable from its start, if there are at most `cap`.
fn expand_all(chain: &mut Chain, cap: usize) -> bool {
    let mut at = 0u32;
    while (at as usize) < chain.state_count() {
        if chain.state_count() > cap {
            return false;
        }
        chain.expand(at);
        at += 1;
    }
    chain.state_count() <= cap
}

/// Explores with the set method; `None` when no side is small, the budget runs out, or a kind
/// is not proven infinite (the caller then uses the pair exploration).
pub(super) fn explore(
    domain: Domain,
    sides: &mut [Chain; 2],
    budget: usize,
) -> Option<(Vec<KindSummary>, usize)> {
    let small_side = if expand_all(&mut sides[0], SMALL_CHAIN) {
        0
    } else if expand_all(&mut sides[1], SMALL_CHAIN) {
        1
    } else {
        return None;
    };
    let small = Small {
        count: sides[small_side].state_count(),
        domain_states: domain.states(),
    };
    let words = small.len().div_ceil(64);
    let [first, second] = sides;
    let (small_chain, large_chain) = if small_side == 0 {
        (&*first, second)
    } else {
        (&*second, first)
    };
    let same_default = small_chain.default.0 == large_chain.default.0;
    // Per large state: the small states seen with it.
    let mut seen: Vec<u64> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    let mut cells: FxHashMap<(u8, u32, u32), u32> = FxHashMap::default();
    let mut kinds: BTreeMap<u8, (Outcome, Outcome)> = BTreeMap::new();
    let mut infinite = [false; 9];
    // The labels of a pair, as (before, after).
    let labels = |s: u32, l: u32, small_chain: &Chain, large_chain: &Chain| {
        let ls = small_chain.label_of(s);
        let ll = large_chain.label_of(l);
        if small_side == 0 {
            (ls, ll)
        } else {
            (ll, ls)
        }
    };
    let outcome_pair = |s: u32, l: u32, small_chain: &Chain, large_chain: &Chain| {
        let os = small_chain.outcome(small_chain.label_of(s));
        let ol = large_chain.outcome(large_chain.label_of(l));
        if small_side == 0 {
            (os, ol)
        } else {
            (ol, os)
        }
    };
    let kind_of = |d: DomState, s: u32, l: u32, small_chain: &Chain, large_chain: &Chain| {
        if !domain.accepts(d) {
            return NO_KIND;
        }
        let (b, a) = outcome_pair(s, l, small_chain, large_chain);
        if b == a {
            NO_KIND
        } else {
            slot(b) * 3 + slot(a)
        }
    };
    let prunable = |d: DomState, s: u32, l: u32, small_chain: &Chain, large_chain: &Chain| {
        d == DEAD || (same_default && small_chain.same_future(s, large_chain, l))
    };
    let start_dom = domain.start();
    if prunable(start_dom, 1, 1, small_chain, large_chain) {
        return Some((Vec::new(), 0));
    }
    let mark = |seen: &mut Vec<u64>, large: u32, index: u32| -> bool {
        let need = (large as usize + 1) * words;
        if seen.len() < need {
            seen.resize(need, 0);
        }
        let word = large as usize * words + index as usize / 64;
        let bit = 1u64 << (index % 64);
        match seen.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    };
    let start_index = small.index(start_dom, 1);
    mark(&mut seen, 1, start_index);
    records.push(Record {
        large: 1,
        small: start_index,
        parent: NONE,
        symbol: Symbol::Other,
    });
    let note = |record: u32,
                (d, s, l): (DomState, u32, u32),
                (small_chain, large_chain): (&Chain, &Chain),
                cells: &mut FxHashMap<(u8, u32, u32), u32>,
                kinds: &mut BTreeMap<u8, (Outcome, Outcome)>| {
        let kind = kind_of(d, s, l, small_chain, large_chain);
        if kind != NO_KIND {
            let (b, a) = labels(s, l, small_chain, large_chain);
            cells.entry((kind, b, a)).or_insert(record);
            kinds.insert(kind, outcome_pair(s, l, small_chain, large_chain));
        }
    };
    note(
        0,
        (start_dom, 1, 1),
        (small_chain, large_chain),
        &mut cells,
        &mut kinds,
    );
    let mut level_start = 0usize;
    let mut order: Vec<u32> = Vec::new();
    let mut listed: Vec<char> = Vec::new();
    let mut group: Vec<(u32, DomState, u32, u8)> = Vec::new();
    let mut keyed: Vec<(u32, u32)> = Vec::new();
    let mut symbols: Vec<Symbol> = Vec::new();
    while level_start < records.len() {
        let level_end = records.len();
        // Group this level's pairs by their large state.
        keyed.clear();
        keyed.extend(
            records
                .get(level_start..level_end)
                .unwrap_or_default()
                .iter()
                .zip(level_start as u32..)
                .map(|(record, r)| (record.large, r)),
        );
        keyed.sort_unstable();
        order.clear();
        order.extend(keyed.iter().map(|&(_, r)| r));
        let mut group_start = 0usize;
        while group_start < order.len() {
            let large = order
                .get(group_start)
                .and_then(|&r| records.get(r as usize))
                .map_or(NONE, |x| x.large);
            let mut group_end = group_start;
            while order
                .get(group_end)
                .and_then(|&r| records.get(r as usize))
                .is_some_and(|x| x.large == large)
            {
                group_end += 1;
            }
            large_chain.expand(large);
            // The characters anyone in the group lists.
            listed.clear();
            listed.extend_from_slice(large_chain.listed_of(large));
            listed.extend_from_slice(domain.listed());
            for &r in order.get(group_start..group_end).unwrap_or_default() {
                if let Some(record) = records.get(r as usize) {
                    let (_, s) = small.split(record.small);
                    listed.extend_from_slice(small_chain.listed_of(s));
                }
            }
            listed.sort_unstable();
            listed.dedup();
            let spare_space = domain.splits_space()
                && PYTHON_SPACES
                    .iter()
                    .any(|c| *c != '\n' && listed.binary_search(c).is_err());
            symbols.clear();
            symbols.push(Symbol::Other);
            if spare_space {
                symbols.push(Symbol::OtherSpace);
            }
            symbols.extend(
                listed
                    .iter()
                    .filter(|c| **c != '\n')
                    .map(|c| Symbol::Char(*c)),
            );
            symbols.push(Symbol::Char('\n'));
            // This group's pairs, with their kinds, once for all symbols.
            group.clear();
            for &r in order.get(group_start..group_end).unwrap_or_default() {
                if let Some(record) = records.get(r as usize) {
                    let (d, s) = small.split(record.small);
                    group.push((r, d, s, kind_of(d, s, large, small_chain, large_chain)));
                }
            }
            for &symbol in &symbols {
                let (chain_input, input) = match symbol {
                    Symbol::Char(c) => (Some(c), Input::Char(c)),
                    Symbol::Other => (None, Input::Other { space: false }),
                    Symbol::OtherSpace => (None, Input::Other { space: true }),
                };
                let next_large = large_chain.next(large, chain_input);
                large_chain.expand(next_large);
                for &(r, d, s, from_kind) in &group {
                    let next_dom = domain.step(d, input);
                    let next_small = small_chain.next(s, chain_input);
                    if prunable(next_dom, next_small, next_large, small_chain, large_chain) {
                        continue;
                    }
                    let index = small.index(next_dom, next_small);
                    let fresh = mark(&mut seen, next_large, index);
                    let proves = from_kind != NO_KIND
                        && !infinite.get(from_kind as usize).copied().unwrap_or(true)
                        && (symbol == Symbol::Other
                            || (next_dom == d && next_small == s && next_large == large));
                    if !fresh && !proves {
                        continue;
                    }
                    let to_kind =
                        kind_of(next_dom, next_small, next_large, small_chain, large_chain);
                    if proves && to_kind == from_kind {
                        if let Some(flag) = infinite.get_mut(from_kind as usize) {
                            *flag = true;
                        }
                    }
                    if !fresh {
                        continue;
                    }
                    if records.len() >= budget {
                        return None;
                    }
                    let id = records.len() as u32;
                    records.push(Record {
                        large: next_large,
                        small: index,
                        parent: r,
                        symbol,
                    });
                    if to_kind != NO_KIND {
                        let (b, a) = labels(next_small, next_large, small_chain, large_chain);
                        cells.entry((to_kind, b, a)).or_insert(id);
                        kinds.insert(
                            to_kind,
                            outcome_pair(next_small, next_large, small_chain, large_chain),
                        );
                    }
                }
            }
            group_start = group_end;
        }
        level_start = level_end;
        if large_chain.state_count() > budget.saturating_mul(2) {
            return None;
        }
    }
    if kinds
        .keys()
        .any(|k| !infinite.get(*k as usize).copied().unwrap_or(false))
    {
        return None;
    }
    // A record's text: its parents' symbols, each rendered at the pair it left.
    let witness = |record: u32| -> String {
        let mut steps = Vec::new();
        let mut at = record;
        while let Some(entry) = records.get(at as usize) {
            if entry.parent == NONE {
                break;
            }
            steps.push((entry.parent, entry.symbol));
            at = entry.parent;
        }
        steps
            .iter()
            .rev()
            .map(|&(from, symbol)| match symbol {
                Symbol::Char(c) => c,
                _ => {
                    let Some(entry) = records.get(from as usize) else {
                        return 'x';
                    };
                    let (_, s) = small.split(entry.small);
                    let mut taken: Vec<char> = small_chain.listed_of(s).to_vec();
                    taken.extend_from_slice(large_chain.listed_of(entry.large));
                    taken.extend_from_slice(domain.listed());
                    let space = symbol == Symbol::OtherSpace;
                    let free = |c: &char| {
                        !taken.contains(c)
                            && *c != '\n'
                            && (!domain.splits_space()
                                || crate::decide::python::is_python_space(*c) == space)
                    };
                    if space {
                        PYTHON_SPACES.iter().copied().find(free).unwrap_or(' ')
                    } else {
                        READABLE
                            .chars()
                            .find(free)
                            .or_else(|| ('A'..=char::MAX).find(free))
                            .unwrap_or('x')
                    }
                }
            })
            .collect()
    };
    let mut by_kind: BTreeMap<u8, Vec<CellSummary>> = BTreeMap::new();
    for ((kind, b, a), record) in cells {
        by_kind.entry(kind).or_default().push(CellSummary {
            labels: (b, a),
            order: record,
            example: witness(record),
        });
    }
    let pairs = records.len();
    let summaries = kinds
        .into_iter()
        .map(|(kind, (before, after))| {
            let mut cells = by_kind.remove(&kind).unwrap_or_default();
            cells.sort_by_key(|c| c.order);
            KindSummary {
                before,
                after,
                finite: false,
                size: None,
                cells,
            }
        })
        .collect();
    Some((summaries, pairs))
}
