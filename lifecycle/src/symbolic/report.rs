//! The region report: serialisable types, and turning an explored product into regions with
//! cells, witnesses and readable descriptions.

use serde::{Deserialize, Serialize};

use super::analysis::KindSummary;
use super::chain::{Chain, Rule, Token, NONE};
use super::domain::Domain;
use super::intersect::{intersects, parts};
use super::{RegionOptions, Space};
use crate::decide::{Outcome, RuleId};

/// The symbolic decision-impact report: every region of inputs whose outcome changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecisionRegions {
    /// Always `cavra-lifecycle.decision-regions.v1`.
    pub schema_version: String,
    /// False when a state budget ran out: the regions listed exist, others may be missing.
    pub complete: bool,
    /// How many regions there are.
    pub region_count: usize,
    /// Per pack-dependent action type: its field, domain and how much was explored.
    pub actions: Vec<RegionAction>,
    /// The regions, by action type then flip kind.
    pub regions: Vec<Region>,
}

/// What was analysed for one action type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegionAction {
    /// The action type.
    pub action_type: String,
    /// The request field it decides on.
    pub field: String,
    /// Which values of that field the regions range over.
    pub domain: String,
    /// Whether the whole space was explored.
    pub complete: bool,
    /// Product states explored.
    pub states: usize,
    /// Regions found.
    pub regions: usize,
}

/// The inputs of one action type whose outcome moves from `before` to `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Region {
    /// The action type.
    pub action_type: String,
    /// The field the inputs are values of.
    pub field: String,
    /// `<before>_to_<after>`, e.g. `require_approval_to_allow`.
    pub kind: String,
    /// The outcome under the old pack.
    pub before: Outcome,
    /// The outcome under the new pack.
    pub after: Outcome,
    /// Whether finitely many inputs move (`null` when the exploration was cut short).
    pub finite: Option<bool>,
    /// How many, when finite (saturating at 2^64 - 1).
    pub size: Option<u64>,
    /// The first cells' descriptions, joined.
    pub description: String,
    /// Shortest inputs of the region, one per cell, shortest first.
    pub witnesses: Vec<String>,
    /// Inputs built by filling the deciding patterns' stars with literals of related rules.
    pub typical: Vec<String>,
    /// How many cells the region has (all of them; `cells` lists the first ones).
    pub cell_count: usize,
    /// The cells with the shortest inputs first.
    pub cells: Vec<Cell>,
}

/// The inputs of a region one `(before rule, after rule)` pair decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cell {
    /// What decides these inputs under the old pack.
    pub before: Decider,
    /// What decides them under the new pack.
    pub after: Decider,
    /// A shortest input of the cell.
    pub example: String,
    /// Earlier rules (on either side) that overlap the deciding patterns and decide otherwise
    /// than this cell's rule on their side. The region is exactly the union, over its cells,
    /// of the inputs that match the cell's patterns (every input, for a default) and none of
    /// its excludes.
    pub excludes: Vec<Exclusion>,
    /// Whether more such rules may exist than are listed.
    pub excludes_truncated: bool,
    /// E.g. "matches `terraform *` (after: commands.allow), not `terraform apply*`
    /// (commands.block)".
    pub description: String,
}

/// A rule, or a list's default, that decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decider {
    /// CAVRA's rule id.
    pub rule_id: RuleId,
    /// The pattern list, for a pattern rule (`commands.allow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// Position in that list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// An earlier rule that removes inputs from a cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Exclusion {
    /// `before`, `after`, or both.
    pub sides: Vec<String>,
    /// The pattern list.
    pub list: String,
    /// The pattern.
    pub pattern: String,
}

/// The readable name of a domain.
pub(super) fn domain_text(domain: Domain) -> &'static str {
    match domain {
        Domain::NormalPath => "paths in normal form (no `//`, no `.` or `..` segment)",
        Domain::Stripped => "commands after strip() (no leading or trailing whitespace)",
        Domain::Any => "every server name",
    }
}

/// Candidate earlier rules checked per side and cell.
const SCAN_LIMIT: usize = 256;

/// The rule (or default) behind a label.
pub(super) fn decider(chain: &Chain, label: u32) -> Decider {
    match chain.rules.get(label as usize) {
        Some(rule) => Decider {
            rule_id: rule.rule_id,
            list: Some(rule.list.to_owned()),
            index: Some(rule.index),
            pattern: Some(rule.pattern.to_string()),
        },
        None => Decider {
            rule_id: chain.default.1,
            list: None,
            index: None,
            pattern: None,
        },
    }
}

/// The earlier rules of both sides that overlap a cell's deciding patterns and decide
/// otherwise.
fn excludes(space: &Space<'_>, labels: (u32, u32), max: usize) -> (Vec<Exclusion>, bool) {
    let positives: Vec<&Rule> = [(0usize, labels.0), (1, labels.1)]
        .iter()
        .filter_map(|&(side, label)| space.sides.get(side)?.rules.get(label as usize))
        .collect();
    let tokens: Vec<&[Token]> = positives.iter().map(|r| r.tokens.as_slice()).collect();
    // Candidates must share the cell's literal prefix.
    let mut prefix: Vec<char> = Vec::new();
    let mut open = true;
    for rule in &positives {
        let cut = parts(&rule.tokens);
        if !cut.starred {
            open = false;
            prefix = cut.prefix;
            break;
        }
        if cut.prefix.len() > prefix.len() {
            prefix = cut.prefix;
        }
    }
    let mut out: Vec<Exclusion> = Vec::new();
    let mut truncated = false;
    for (side, label) in [(0usize, labels.0), (1, labels.1)] {
        let Some(chain) = space.sides.get(side) else {
            continue;
        };
        let side_name = if side == 0 { "before" } else { "after" };
        // An earlier rule deciding like this cell's rule moves inputs to a sibling cell of the
        // same region; only rules deciding otherwise take inputs out of the region.
        let decided = chain.outcome(label);
        let candidates = chain.compatible_rules(&prefix, open, label, SCAN_LIMIT * 2);
        let mut scanned = 0usize;
        for candidate in candidates {
            let Some(rule) = chain.rules.get(candidate as usize) else {
                continue;
            };
            if rule.outcome == decided {
                continue;
            }
            if let Some(known) = out
                .iter_mut()
                .find(|e| e.list == rule.list && *e.pattern == *rule.pattern)
            {
                if !known.sides.iter().any(|s| s == side_name) {
                    known.sides.push(side_name.to_owned());
                }
                continue;
            }
            if out.len() >= max || scanned >= SCAN_LIMIT {
                truncated = true;
                break;
            }
            scanned += 1;
            let mut all = tokens.clone();
            all.push(&rule.tokens);
            match intersects(space.domain, &all) {
                Some(true) => out.push(Exclusion {
                    sides: vec![side_name.to_owned()],
                    list: rule.list.to_owned(),
                    pattern: rule.pattern.to_string(),
                }),
                Some(false) => {}
                None => truncated = true,
            }
        }
    }
    (out, truncated)
}

fn cell_description(field: &str, before: &Decider, after: &Decider, cell: &Cell) -> String {
    let mut positives = Vec::new();
    for (side, decider) in [("before", before), ("after", after)] {
        if let (Some(pattern), Some(list)) = (&decider.pattern, &decider.list) {
            positives.push(format!("`{pattern}` ({side}: {list})"));
        }
    }
    let mut text = if positives.is_empty() {
        format!("any {field}")
    } else {
        format!("matches {}", positives.join(" and "))
    };
    for exclusion in &cell.excludes {
        let sides = if exclusion.sides.len() == 2 {
            String::new()
        } else {
            format!("{}: ", exclusion.sides.join(", "))
        };
        text.push_str(&format!(
            ", not `{}` ({sides}{})",
            exclusion.pattern, exclusion.list
        ));
    }
    if cell.excludes_truncated {
        text.push_str(", not …");
    }
    text
}

/// Fillers for a star in a typical witness: what follows the deciding pattern's literal
/// prefix in related rules' prefixes, then a few generic words.
fn fillers(space: &Space<'_>, rule: &Rule) -> Vec<String> {
    let prefix = parts(&rule.tokens).prefix;
    let mut out: Vec<String> = Vec::new();
    if !prefix.is_empty() {
        for chain in space.sides {
            for candidate in chain.compatible_rules(&prefix, true, NONE, 64) {
                let Some(other) = chain.rules.get(candidate as usize) else {
                    continue;
                };
                let head = parts(&other.tokens).prefix;
                let rest: String = head
                    .get(prefix.len()..)
                    .unwrap_or_default()
                    .iter()
                    .collect();
                let word = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if !word.is_empty() && !out.contains(&word) {
                    out.push(word);
                }
            }
        }
    }
    out.truncate(9);
    let generic: &[&str] = match space.domain {
        Domain::NormalPath => &["app/config", "prod", "x"],
        // A subcommand slot (`terraform *`) reads best with a subcommand.
        Domain::Stripped if prefix.last() == Some(&' ') => &["init", "--help", "x"],
        Domain::Stripped => &["--help", "x"],
        Domain::Any => &[],
    };
    out.extend(generic.iter().map(|s| (*s).to_owned()));
    out
}

/// Replaces each star of `tokens` with `filler`, the way a person would write it: a word
/// after a command gets a space, a star before a `.` is a file name and one after a `.` an
/// extension.
pub(super) fn fill(domain: Domain, tokens: &[Token], filler: &str) -> String {
    let mut out = String::new();
    for (at, token) in tokens.iter().enumerate() {
        match token {
            Token::Star => match (domain, out.chars().last(), tokens.get(at + 1)) {
                (Domain::NormalPath, Some('.'), _) => out.push_str("yaml"),
                (Domain::NormalPath, _, Some(Token::Lit('.'))) => out.push_str("server"),
                (Domain::Stripped, Some(prev), _)
                    if !crate::decide::python::is_python_space(prev)
                        && !filler.starts_with(' ') =>
                {
                    out.push(' ');
                    out.push_str(filler);
                }
                _ => out.push_str(filler),
            },
            Token::Lit(c) => out.push(*c),
        }
    }
    out
}

/// Typical inputs: the first cells' deciding patterns with their stars filled, checked against
/// the automaton. One per cell first, so the examples show the region's variety.
fn typical(space: &Space<'_>, kind: &KindSummary, taken: &[String], max: usize) -> Vec<String> {
    let mut candidates: Vec<Vec<String>> = Vec::new();
    for cell in kind.cells.iter().take(16) {
        let mut texts = Vec::new();
        for (side, label) in [(1usize, cell.labels.1), (0, cell.labels.0)] {
            let Some(rule) = space
                .sides
                .get(side)
                .and_then(|c| c.rules.get(label as usize))
            else {
                continue;
            };
            if !rule.tokens.contains(&Token::Star) {
                continue;
            }
            for filler in fillers(space, rule) {
                texts.push(fill(space.domain, &rule.tokens, &filler));
            }
        }
        candidates.push(texts);
    }
    let mut out: Vec<String> = Vec::new();
    let fits = |text: &String, out: &[String]| {
        !taken.contains(text)
            && !out.contains(text)
            && space.classify(text) == Some((kind.before, kind.after))
    };
    // First pass: one per cell; second pass: the rest in order.
    for texts in &candidates {
        if out.len() >= max {
            return out;
        }
        if let Some(text) = texts.iter().find(|t| fits(t, &out)) {
            out.push(text.clone());
        }
    }
    for texts in &candidates {
        for text in texts {
            if out.len() >= max {
                return out;
            }
            if fits(text, &out) {
                out.push(text.clone());
            }
        }
    }
    out
}

/// One region of the report.
pub(super) fn region(
    action_type: &str,
    field: &str,
    space: &Space<'_>,
    kind: &KindSummary,
    complete: bool,
    options: &RegionOptions,
) -> Region {
    let mut cells = Vec::new();
    for summary in kind.cells.iter().take(options.max_cells) {
        let before = decider(&space.sides[0], summary.labels.0);
        let after = decider(&space.sides[1], summary.labels.1);
        let (excludes, excludes_truncated) = excludes(space, summary.labels, options.max_excludes);
        let mut cell = Cell {
            before,
            after,
            example: summary.example.clone(),
            excludes,
            excludes_truncated,
            description: String::new(),
        };
        cell.description = cell_description(field, &cell.before, &cell.after, &cell);
        cells.push(cell);
    }
    let witnesses: Vec<String> = cells
        .iter()
        .take(options.max_witnesses)
        .map(|c| c.example.clone())
        .collect();
    let typical = typical(space, kind, &witnesses, options.max_typical);
    let mut description = cells
        .iter()
        .take(3)
        .map(|c| c.description.clone())
        .collect::<Vec<_>>()
        .join("; or ");
    if kind.cells.len() > 3 {
        description.push_str(&format!("; or … ({} cells)", kind.cells.len()));
    }
    Region {
        action_type: action_type.to_owned(),
        field: field.to_owned(),
        kind: format!("{}_to_{}", kind.before.as_str(), kind.after.as_str()),
        before: kind.before,
        after: kind.after,
        finite: complete.then_some(kind.finite),
        size: if complete { kind.size } else { None },
        description,
        witnesses,
        typical,
        cell_count: kind.cells.len(),
        cells,
    }
}
