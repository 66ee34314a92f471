//! Precedence proofs: for each pattern rule, whether it can ever decide a request, and for an
//! allow rule, which block rules take some of its inputs.
//!
//! A rule decides an input when it is the first match in its action type's fixed list order.
//!
//! **Dead rules.** Replace each star of a rule's pattern with a character no pattern of the
//! action type contains (a *fresh* expansion). An earlier pattern that matches the fresh
//! expansion must absorb each fresh character with one of its own stars (its literals cannot
//! match it), so it matches every expansion of the rule: it *covers* the rule. If no earlier
//! pattern matches the fresh expansion, the rule itself decides that input. So a rule never
//! decides anything exactly when the first rule matching its fresh expansion comes earlier,
//! and that rule is the witness. (Hence a union of earlier rules never covers a rule that no
//! single one covers.) This is exact for every text; for commands the fresh expansion is a
//! stripped command whenever any is (a pattern starting or ending in whitespace matches none:
//! `unmatchable-command-pattern`).
//!
//! **Paths.** The evaluator also tries a path's normalised spelling and takes the first rule
//! matching either, so a rule covered on every text never decides; a rule that is the first
//! match only of spellings whose normal form an earlier rule takes (`a/./b` after `a/b`) is
//! not reported (sound, not complete, for such patterns).
//!
//! **Narrowed allow rules.** A live allow rule loses inputs to each block rule whose pattern
//! shares an input with it: for each candidate block rule (literal prefixes and suffixes
//! compatible) a shared input is built, or searched for with the automata, and the rule that
//! actually decides it is named.

use serde::{Deserialize, Serialize};

use super::chain::{Rule, Token, NONE};
use super::domain::Domain;
use super::search::{probe, search};
use super::subchain::{raw_rules, RuleIndex};
use super::{ListSpec, ACTIONS};
use crate::decide::matcher::Pattern;
use crate::decide::python::is_python_space;
use crate::decide::{Outcome, RuleId};
use crate::value::Value;

/// Limits of the narrowing search. Dead rules are always decided exactly; a limit only means
/// an allow rule's narrowing list may be incomplete (the finding says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrecedenceOptions {
    /// Block rules tried per allow rule.
    pub max_candidates: usize,
    /// Automaton states per shared-input search.
    pub pair_budget: usize,
    /// Automaton states for the whole pack.
    pub total_budget: usize,
    /// Rules listed per finding (all are counted).
    pub max_covers: usize,
}

impl Default for PrecedenceOptions {
    fn default() -> Self {
        PrecedenceOptions {
            max_candidates: 32,
            pair_budget: 512,
            total_budget: 50_000,
            max_covers: 8,
        }
    }
}

/// A rule of a pattern list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// `section.key`, e.g. `commands.allow`.
    pub list: String,
    /// Position in the YAML list (every item counted).
    pub index: usize,
    /// The pattern.
    pub pattern: String,
}

impl RuleRef {
    /// `(section, key)` of the list.
    pub fn section_key(&self) -> (&str, &str) {
        self.list
            .split_once('.')
            .unwrap_or((self.list.as_str(), ""))
    }

    fn of(rule: &Rule) -> RuleRef {
        RuleRef {
            list: rule.list.to_owned(),
            index: rule.index,
            pattern: rule.pattern.to_string(),
        }
    }
}

/// An earlier rule deciding inputs a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    /// The earlier rule.
    pub rule: RuleRef,
    /// What it decides.
    pub outcome: Outcome,
    /// An input both match (for a narrowed rule, one the earlier rule decides).
    pub example: String,
}

/// What was proved about a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The rule never decides: the (single) cover matches every input it matches.
    Dead,
    /// An allow rule that decides some inputs, while the stricter covers decide others it
    /// matches.
    Narrowed,
}

/// One precedence finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFinding {
    /// The rule.
    pub rule: RuleRef,
    /// What the rule decides when it matches first.
    pub outcome: Outcome,
    /// Dead or narrowed.
    pub kind: FindingKind,
    /// The earlier rules responsible (at most `max_covers`): for a dead rule the first rule
    /// that covers it; for a narrowed one each block rule deciding some of its inputs.
    pub covers: Vec<Cover>,
    /// How many such rules were found in all.
    pub cover_count: usize,
    /// For a narrowed rule: whether every candidate was examined (otherwise more rules may
    /// narrow it). Dead findings are always complete.
    pub complete: bool,
}

/// The precedence findings of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Precedence {
    /// Findings, by action type and then rule order.
    pub findings: Vec<RuleFinding>,
    /// Whether every narrowing search ran within the limits.
    pub complete: bool,
}

/// `commands.require_approval`: not evaluated (CAVRA ignores it), but its entries can still
/// repeat one another.
const COMMAND_APPROVALS: ListSpec = ListSpec {
    section: "commands",
    key: "require_approval",
    name: "commands.require_approval",
    outcome: Outcome::RequireApproval,
    rule_id: RuleId::CommandsDefaultRequireApproval,
};

/// A character no rule contains (nor whitespace, nor a newline), to expand stars with: the
/// first private-use character the rules leave free (patterns almost never hold one).
fn fresh_char(rules: &[Rule]) -> char {
    let mut used: Vec<char> = rules
        .iter()
        .flat_map(|r| r.tokens.iter())
        .filter_map(|t| match t {
            Token::Lit(c) if *c >= '\u{E000}' => Some(*c),
            _ => None,
        })
        .collect();
    used.sort_unstable();
    ('\u{E000}'..=char::MAX)
        .find(|c| used.binary_search(c).is_err() && !is_python_space(*c))
        .unwrap_or('\u{E000}')
}

/// The pattern with each star replaced by `fresh`.
fn expansion(tokens: &[Token], fresh: char) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Lit(c) => *c,
            Token::Star => fresh,
        })
        .collect()
}

/// Proves, for every rule of `policy`'s pattern lists, whether it decides anything and which
/// block rules take inputs from an allow rule (see the module docs).
pub fn precedence(policy: &Value, options: &PrecedenceOptions) -> Precedence {
    let mut out = Precedence {
        findings: Vec::new(),
        complete: true,
    };
    let mut spent = 0usize;
    let mut groups: Vec<(Domain, bool, Vec<&ListSpec>)> = ACTIONS
        .iter()
        .map(|spec| (spec.domain, spec.literal, spec.lists.iter().collect()))
        .collect();
    groups.push((Domain::Stripped, false, vec![&COMMAND_APPROVALS]));
    for (domain, literal, lists) in groups {
        let rules = raw_rules(policy, &lists, literal);
        if rules.len() < 2 {
            continue;
        }
        let fresh = fresh_char(&rules);
        let index = RuleIndex::new(&rules, literal);
        for (k, rule) in rules.iter().enumerate().skip(1) {
            let expanded = expansion(&rule.tokens, fresh);
            // Paths are decided on every spelling; other domains exclude some texts.
            if domain != Domain::NormalPath && !domain.contains(&expanded) {
                continue;
            }
            let decider = index
                .first_match(&rules, &expanded, u32::try_from(k).unwrap_or(NONE))
                .map_or(k, |j| j as usize);
            if decider < k {
                let Some(cover) = rules.get(decider) else {
                    continue;
                };
                out.findings.push(RuleFinding {
                    rule: RuleRef::of(rule),
                    outcome: rule.outcome,
                    kind: FindingKind::Dead,
                    covers: vec![Cover {
                        rule: RuleRef::of(cover),
                        outcome: cover.outcome,
                        example: example_of(&rule.tokens, domain),
                    }],
                    cover_count: 1,
                    complete: true,
                });
                continue;
            }
            if rule.outcome != Outcome::Allow
                || rules.iter().take(k).all(|r| r.outcome == Outcome::Allow)
            {
                continue;
            }
            let remaining = options.total_budget.saturating_sub(spent);
            let (covers, complete, states) =
                narrowing(&rules, &index, k, domain, options, remaining);
            spent += states;
            if !complete {
                out.complete = false;
            }
            if covers.is_empty() {
                continue;
            }
            let cover_count = covers.len();
            out.findings.push(RuleFinding {
                rule: RuleRef::of(rule),
                outcome: rule.outcome,
                kind: FindingKind::Narrowed,
                covers: covers.into_iter().take(options.max_covers).collect(),
                cover_count,
                complete,
            });
        }
    }
    out
}

/// A readable input of a pattern: its stars filled with `x` (a path star before an extension
/// with a file name).
fn example_of(tokens: &[Token], domain: Domain) -> String {
    let report_domain = match domain {
        Domain::Any => Domain::Stripped,
        other => other,
    };
    super::report::fill(report_domain, tokens, "x")
}

/// The block rules deciding some input of allow rule `k` (each with such an input), whether
/// every candidate was examined, and the automaton states spent.
fn narrowing(
    rules: &[Rule],
    index: &RuleIndex,
    k: usize,
    domain: Domain,
    options: &PrecedenceOptions,
    mut budget: usize,
) -> (Vec<Cover>, bool, usize) {
    let Some(rule) = rules.get(k) else {
        return (Vec::new(), true, 0);
    };
    let below = u32::try_from(k).unwrap_or(NONE);
    let stricter = |r: &Rule| r.outcome != Outcome::Allow;
    let Some(found) =
        index.candidates(rules, &rule.tokens, below, options.max_candidates, stricter)
    else {
        return (Vec::new(), false, 0);
    };
    let mut complete = true;
    let mut spent = 0usize;
    let mut covers: Vec<Cover> = Vec::new();
    for j in found {
        let Some(other) = rules.get(j as usize) else {
            continue;
        };
        if other.outcome == Outcome::Allow {
            continue;
        }
        let pair_budget = options.pair_budget.min(budget);
        let (shared, states, exhausted) =
            shared_input(&rule.tokens, &other.tokens, domain, pair_budget);
        spent += states;
        budget = budget.saturating_sub(states);
        let Some(text) = shared else {
            complete &= !exhausted;
            continue;
        };
        // The rule that really decides it (an even earlier block rule, maybe).
        let Some(decider) = index
            .first_match(rules, &text, below)
            .and_then(|d| rules.get(d as usize))
        else {
            continue;
        };
        if decider.outcome == Outcome::Allow
            || covers
                .iter()
                .any(|c| c.rule.list == decider.list && c.rule.index == decider.index)
        {
            continue;
        }
        covers.push(Cover {
            rule: RuleRef::of(decider),
            outcome: decider.outcome,
            example: text,
        });
    }
    (covers, complete, spent)
}

/// An input of `domain` both patterns match: the other pattern's shortest input or the rule's
/// when that works, else a search of the two automata; with the states spent and whether the
/// budget ran out before an answer.
fn shared_input(
    rule: &[Token],
    other: &[Token],
    domain: Domain,
    budget: usize,
) -> (Option<String>, usize, bool) {
    let text = |tokens: &[Token]| -> String {
        tokens
            .iter()
            .filter_map(|t| match t {
                Token::Lit(c) => Some(*c),
                Token::Star => None,
            })
            .collect()
    };
    let pattern = |tokens: &[Token]| Pattern::new(&super::subchain::text_of(tokens));
    let (mine, theirs) = (pattern(rule), pattern(other));
    let fits = |candidate: &str| {
        domain.contains(candidate) && mine.matches(candidate) && theirs.matches(candidate)
    };
    for candidate in [text(other), text(rule)] {
        if fits(&candidate) {
            return (Some(candidate), 0, false);
        }
    }
    if budget == 0 {
        return (None, 0, true);
    }
    let mut mine_probe = probe(rule.to_vec());
    let mut single = probe(other.to_vec());
    let result = search(domain, &mut mine_probe, &mut single, budget, |label| {
        label == 0
    });
    let shared = result.found.map(|f| f.witness);
    (shared, result.states, result.exhausted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(yaml: &str) -> Value {
        crate::model::parse_value(yaml).unwrap_or_default()
    }

    type Summary = Vec<(String, FindingKind, Vec<(String, String)>)>;

    fn summary(p: &Precedence) -> Summary {
        p.findings
            .iter()
            .map(|f| {
                (
                    f.rule.pattern.clone(),
                    f.kind,
                    f.covers
                        .iter()
                        .map(|c| (c.rule.pattern.clone(), c.example.clone()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn dead_and_narrowed_command_rules() {
        let p = precedence(
            &pack("commands:\n  block: ['tf apply*', 'tf destroy*']\n  allow: ['tf a*', 'tf *', 'tf apply x', 'ls']\n"),
            &PrecedenceOptions::default(),
        );
        assert!(p.complete);
        assert_eq!(
            summary(&p),
            vec![
                (
                    "tf a*".to_owned(),
                    FindingKind::Narrowed,
                    vec![("tf apply*".to_owned(), "tf apply".to_owned())]
                ),
                (
                    "tf *".to_owned(),
                    FindingKind::Narrowed,
                    vec![
                        ("tf apply*".to_owned(), "tf apply".to_owned()),
                        ("tf destroy*".to_owned(), "tf destroy".to_owned())
                    ]
                ),
                (
                    "tf apply x".to_owned(),
                    FindingKind::Dead,
                    vec![("tf apply*".to_owned(), "tf apply x".to_owned())]
                ),
            ]
        );
    }

    #[test]
    fn a_list_checked_earlier_hides_a_rule() {
        let p = precedence(
            &pack("filesystem:\n  block_read: ['k', 'k*x', 'k*']\n  block_write: ['a/**', '*']\n  require_approval_write: ['a/b']\n"),
            &PrecedenceOptions::default(),
        );
        let s = summary(&p);
        // `k*` is not dead: `ky` is decided by it. `a/b` is dead, covered by `a/**`.
        assert_eq!(
            s,
            vec![(
                "a/b".to_owned(),
                FindingKind::Dead,
                vec![("a/**".to_owned(), "a/b".to_owned())]
            )]
        );
    }

    #[test]
    fn raw_spellings_keep_a_path_rule_alive() {
        // On normal-form paths `a/./b` matches nothing, yet a raw `a/./b` is decided by it.
        let p = precedence(
            &pack("filesystem:\n  block_read: ['a/b*', 'a/./b']\n"),
            &PrecedenceOptions::default(),
        );
        assert!(p.findings.is_empty(), "{p:?}");
    }

    #[test]
    fn stripped_commands_and_literal_servers() {
        let p = precedence(
            &pack("commands:\n  block: ['a *', 'a']\n  allow: ['a*']\nmcp:\n  blocked_servers: [gh]\n  allowed_servers: [gh, 'g*']\n"),
            &PrecedenceOptions::default(),
        );
        // `a*` over stripped commands: `a` and `a ...` are blocked; `ab` is not: narrowed.
        // `gh` is blocked; `g*` is a literal server name, never covered.
        let s = summary(&p);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].0, "a*");
        assert_eq!(s[0].1, FindingKind::Narrowed);
        assert_eq!(s[1].0, "gh");
        assert_eq!(s[1].1, FindingKind::Dead);
    }
}
