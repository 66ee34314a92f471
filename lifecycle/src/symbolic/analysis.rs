//! Reading the explored product: which flip kinds occur, their cells (the deciding rule on each
//! side), whether each kind's set of inputs is finite and, when it is, how many inputs it holds.

use std::collections::BTreeMap;

use super::hash::FxHashMap;
use super::product::{Product, Symbol, NO_KIND, PRUNED};
use crate::decide::Outcome;

/// One cell of a region: the inputs one `(before rule, after rule)` pair decides.
#[derive(Debug, Clone)]
pub(super) struct CellSummary {
    /// The deciding rules (`NONE`: the default), before and after.
    pub(super) labels: (u32, u32),
    /// Sorts cells by their shortest input (exploration order of its first state).
    pub(super) order: u32,
    /// A shortest input of the cell.
    pub(super) example: String,
}

/// One flip kind of one action type.
#[derive(Debug, Clone)]
pub(super) struct KindSummary {
    pub(super) before: Outcome,
    pub(super) after: Outcome,
    /// Whether finitely many inputs flip this way.
    pub(super) finite: bool,
    /// How many, when finite (saturating).
    pub(super) size: Option<u64>,
    /// Its cells, in order of their shortest input.
    pub(super) cells: Vec<CellSummary>,
}

/// Summarises every flip kind that occurs in `product`, in the order allow, block,
/// require_approval (before, then after).
pub(super) fn summarise(product: &Product) -> Vec<KindSummary> {
    let count = product.nodes.len();
    // Each state's flip kind was set while exploring; collect the kinds and cells.
    let kind_of = &product.kinds;
    let mut kinds: BTreeMap<u8, (Outcome, Outcome)> = BTreeMap::new();
    let mut firsts: FxHashMap<(u8, u32, u32), u32> = FxHashMap::default();
    for id in 0..count as u32 {
        let kind = kind_of.get(id as usize).copied().unwrap_or(NO_KIND);
        if kind == NO_KIND {
            continue;
        }
        if let (Some(outcomes), Some((b, a))) = (product.outcomes(id), product.labels(id)) {
            kinds.insert(kind, outcomes);
            firsts.entry((kind, b, a)).or_insert(id);
        }
    }
    if kinds.is_empty() {
        return Vec::new();
    }
    let mut cells: BTreeMap<u8, Vec<CellSummary>> = BTreeMap::new();
    for ((kind, b, a), first) in firsts {
        cells.entry(kind).or_default().push(CellSummary {
            labels: (b, a),
            order: first,
            example: product.witness(first),
        });
    }
    // Reverse edges, as compressed rows.
    let mut reverse_start = vec![0u32; count + 1];
    for &(_, target) in &product.edges {
        if let Some(slot) = reverse_start.get_mut(target as usize + 1) {
            *slot += 1;
        }
    }
    for i in 0..count {
        let before = reverse_start.get(i).copied().unwrap_or(0);
        if let Some(slot) = reverse_start.get_mut(i + 1) {
            *slot += before;
        }
    }
    let mut fill = reverse_start.clone();
    let mut reverse = vec![0u32; reverse_start.get(count).copied().unwrap_or(0) as usize];
    for from in 0..count as u32 {
        for &(_, target) in product.edges_of(from) {
            if target == PRUNED {
                continue;
            }
            if let Some(at) = fill.get_mut(target as usize) {
                if let Some(entry) = reverse.get_mut(*at as usize) {
                    *entry = from;
                }
                *at += 1;
            }
        }
    }
    let mut mark = vec![0u32; count];
    let mut indegree = vec![0u32; count];
    let mut counts = vec![0u128; count];
    let mut stamp = 0u32;
    let mut out = Vec::new();
    for (key, (before, after)) in kinds {
        let mut kind_cells = cells.remove(&key).unwrap_or_default();
        kind_cells.sort_by_key(|cell| cell.order);
        if product.infinite.get(key as usize).copied().unwrap_or(false) {
            // Proven while exploring; no need for the co-reachability pass.
            out.push(KindSummary {
                before,
                after,
                finite: false,
                size: None,
                cells: kind_cells,
            });
            continue;
        }
        stamp += 1;
        let seeds: Vec<u32> = (0..count as u32)
            .filter(|&id| kind_of.get(id as usize) == Some(&key))
            .collect();
        // Co-reachable states: those that can reach an input of this kind.
        let mut members = Vec::new();
        let mut stack = Vec::new();
        for &seed in &seeds {
            if let Some(m) = mark.get_mut(seed as usize) {
                if *m != stamp {
                    *m = stamp;
                    stack.push(seed);
                }
            }
        }
        while let Some(at) = stack.pop() {
            members.push(at);
            let from = reverse_start.get(at as usize).copied().unwrap_or(0) as usize;
            let to = reverse_start.get(at as usize + 1).copied().unwrap_or(0) as usize;
            for &source in reverse.get(from..to).unwrap_or_default() {
                if let Some(m) = mark.get_mut(source as usize) {
                    if *m != stamp {
                        *m = stamp;
                        stack.push(source);
                    }
                }
            }
        }
        let inside = |id: u32| mark.get(id as usize) == Some(&stamp);
        let accepts = |id: u32| kind_of.get(id as usize) == Some(&key);
        // Infinite when an infinite symbol joins two members, or the members hold a cycle.
        let mut finite = product.complete;
        for &member in &members {
            for &(symbol, target) in product.edges_of(member) {
                if target == PRUNED || !inside(target) {
                    continue;
                }
                if symbol == Symbol::Other {
                    finite = false;
                }
                if let Some(d) = indegree.get_mut(target as usize) {
                    *d += 1;
                }
            }
        }
        let mut order = Vec::with_capacity(members.len());
        if finite {
            let mut ready: Vec<u32> = members
                .iter()
                .copied()
                .filter(|m| indegree.get(*m as usize) == Some(&0))
                .collect();
            while let Some(at) = ready.pop() {
                order.push(at);
                for &(_, target) in product.edges_of(at) {
                    if target == PRUNED || !inside(target) {
                        continue;
                    }
                    if let Some(d) = indegree.get_mut(target as usize) {
                        *d -= 1;
                        if *d == 0 {
                            ready.push(target);
                        }
                    }
                }
            }
            finite = order.len() == members.len();
        }
        for &member in &members {
            if let Some(d) = indegree.get_mut(member as usize) {
                *d = 0;
            }
        }
        let size = finite.then(|| {
            for &at in order.iter().rev() {
                let mut total: u128 = u128::from(accepts(at));
                if let Some(node) = product.nodes.get(at as usize) {
                    for &(symbol, target) in product.edges_of(at) {
                        if target == PRUNED || !inside(target) {
                            continue;
                        }
                        let times = product.multiplicity(*node, symbol).unwrap_or(0);
                        let below = counts.get(target as usize).copied().unwrap_or(0);
                        total = total.saturating_add(u128::from(times).saturating_mul(below));
                    }
                }
                if let Some(slot) = counts.get_mut(at as usize) {
                    *slot = total;
                }
            }
            let root = counts.first().copied().unwrap_or(0);
            u64::try_from(root).unwrap_or(u64::MAX)
        });
        out.push(KindSummary {
            before,
            after,
            finite,
            size,
            cells: kind_cells,
        });
    }
    out
}
