//! Proving one invariant of a pack: every input of an action type's domain that a glob matches
//! is decided with a required outcome. The glob runs as a probe over the pack's chain for that
//! action type (only the rules that can overlap the glob); the first input found that the pack
//! decides otherwise is a shortest counterexample, and a search that ends without one is a
//! proof.

use serde::{Deserialize, Serialize};

use super::chain::{tokens, Chain, Token, NONE};
use super::domain::Domain;
use super::report::Decider;
use super::search::{probe, search};
use super::subchain::{raw_rules, sub_chain, RuleIndex};
use super::ACTIONS;
use crate::decide::Outcome;
use crate::value::Value;

/// Earlier rules kept in a sub-chain; above that the whole chain is searched.
const SUB_CHAIN_LIMIT: usize = 512;

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvariantCheck {
    /// Every input the glob matches is decided as required; `vacuous` when the glob matches no
    /// input of the domain at all.
    Holds {
        /// The glob matches nothing in the domain.
        vacuous: bool,
    },
    /// A shortest input the glob matches that the pack decides otherwise.
    Fails {
        /// The decided field's value.
        text: String,
        /// What decides it.
        decider: Decider,
        /// The outcome it gets.
        outcome: Outcome,
    },
    /// The search ran out of budget before either.
    Unknown,
}

/// The field and domain an invariant on `action_type` ranges over: `(field, domain)`, or
/// `None` when the action type's decision does not depend on the pack.
pub fn invariant_field(action_type: &str) -> Option<(&'static str, &'static str)> {
    ACTIONS
        .iter()
        .find(|spec| spec.action_type == action_type)
        .map(|spec| (spec.field, super::report::domain_text(spec.domain)))
}

/// Checks that every input of `action_type`'s domain matching `glob` is decided `required` by
/// `policy`, exploring at most `budget` states. `None` for an action type whose decision does
/// not depend on the pack. Returns the check and the states explored. (To check several
/// invariants of one pack, an [`InvariantProver`] shares the work.)
pub fn check_invariant(
    policy: &Value,
    action_type: &str,
    glob: &str,
    required: Outcome,
    budget: usize,
) -> Option<(InvariantCheck, usize)> {
    InvariantProver::new(policy).check(action_type, glob, required, budget)
}

/// One action type's rules, prepared once for all the invariants on it.
struct Prepared {
    spec: &'static super::ActionSpec,
    rules: Vec<super::chain::Rule>,
    default: (Outcome, crate::decide::RuleId),
    index: RuleIndex,
    /// The whole chain, built when a glob overlaps too many rules for a sub-chain.
    full: Option<Chain>,
}

/// Checks invariants of one pack, preparing each action type's rules once.
pub struct InvariantProver<'a> {
    policy: &'a Value,
    prepared: Vec<Prepared>,
}

impl std::fmt::Debug for InvariantProver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvariantProver").finish_non_exhaustive()
    }
}

impl<'a> InvariantProver<'a> {
    /// A prover for `policy` (the loaded pack).
    pub fn new(policy: &'a Value) -> InvariantProver<'a> {
        InvariantProver {
            policy,
            prepared: Vec::new(),
        }
    }

    fn prepared(&mut self, action_type: &str) -> Option<&mut Prepared> {
        let spec = ACTIONS.iter().find(|s| s.action_type == action_type)?;
        let at = match self
            .prepared
            .iter()
            .position(|p| p.spec.action_type == action_type)
        {
            Some(at) => at,
            None => {
                let lists: Vec<_> = spec.lists.iter().collect();
                let rules = raw_rules(self.policy, &lists, spec.literal);
                self.prepared.push(Prepared {
                    spec,
                    index: RuleIndex::new(&rules, spec.literal),
                    default: spec.default(self.policy),
                    rules,
                    full: None,
                });
                self.prepared.len() - 1
            }
        };
        self.prepared.get_mut(at)
    }

    /// See [`check_invariant`].
    pub fn check(
        &mut self,
        action_type: &str,
        glob: &str,
        required: Outcome,
        budget: usize,
    ) -> Option<(InvariantCheck, usize)> {
        let prepared = self.prepared(action_type)?;
        let glob_tokens = tokens(glob, false);
        let everything = u32::try_from(prepared.rules.len()).unwrap_or(u32::MAX);
        let picked = prepared.index.candidates(
            &prepared.rules,
            &glob_tokens,
            everything,
            SUB_CHAIN_LIMIT,
            |_| true,
        );
        let mut sub;
        let searched: &mut Chain = match &picked {
            Some(picked) => {
                sub = sub_chain(&prepared.rules, picked, prepared.default);
                &mut sub
            }
            None => {
                let (rules, default) = (&prepared.rules, prepared.default);
                prepared
                    .full
                    .get_or_insert_with(|| Chain::new(rules.clone(), default))
            }
        };
        // A label of the searched chain, as a position in the action's rules.
        let original = |label: u32| match &picked {
            Some(picked) => picked.get(label as usize).copied().unwrap_or(NONE),
            None => label,
        };
        let outcome_of = |label: u32| {
            prepared
                .rules
                .get(original(label) as usize)
                .map_or(prepared.default.0, |r| r.outcome)
        };
        let mut glob_probe = probe(glob_tokens);
        let result = search(
            prepared.spec.domain,
            &mut glob_probe,
            searched,
            budget,
            |label| outcome_of(label) != required,
        );
        let check = match &result.found {
            Some(found) => {
                let label = original(found.label);
                InvariantCheck::Fails {
                    text: found.witness.clone(),
                    decider: decider_of(&prepared.rules, prepared.default, label),
                    outcome: outcome_of(found.label),
                }
            }
            None if result.complete => InvariantCheck::Holds {
                vacuous: !result.matched,
            },
            None => InvariantCheck::Unknown,
        };
        Some((check, result.states))
    }
}

/// The rule (or default) behind a position in an action's rules.
fn decider_of(
    rules: &[super::chain::Rule],
    default: (Outcome, crate::decide::RuleId),
    label: u32,
) -> Decider {
    match rules.get(label as usize) {
        Some(rule) => Decider {
            rule_id: rule.rule_id,
            list: Some(rule.list.to_owned()),
            index: Some(rule.index),
            pattern: Some(rule.pattern.to_string()),
        },
        None => Decider {
            rule_id: default.1,
            list: None,
            index: None,
            pattern: None,
        },
    }
}

/// Whether `text` is a value of `action_type`'s domain (normal-form paths, stripped commands,
/// any server name); false for action types the pack does not decide.
pub fn in_invariant_domain(action_type: &str, text: &str) -> bool {
    ACTIONS
        .iter()
        .find(|spec| spec.action_type == action_type)
        .is_some_and(|spec| spec.domain.contains(text))
}

/// Readable inputs a glob matches: its stars filled with a few ordinary words (for a typical
/// counterexample next to the shortest one). Empty for a glob without a star.
pub fn typical_inputs(action_type: &str, glob: &str) -> Vec<String> {
    let Some(spec) = ACTIONS.iter().find(|s| s.action_type == action_type) else {
        return Vec::new();
    };
    let glob_tokens = tokens(glob, false);
    if !glob_tokens.contains(&Token::Star) {
        return Vec::new();
    }
    let fillers: &[&str] = match spec.domain {
        Domain::NormalPath => &["config", "app/config", "x"],
        Domain::Stripped => &["x", "--help", "init"],
        Domain::Any => &["x", "server"],
    };
    let mut out: Vec<String> = Vec::new();
    for filler in fillers {
        let text = if spec.domain == Domain::NormalPath {
            fill_path(&glob_tokens, filler)
        } else {
            super::report::fill(spec.domain, &glob_tokens, filler)
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// A path glob's stars filled the way a path reads: a file name before an extension, an
/// extension after a dot, a suffix such as `.local` after a name, a directory elsewhere.
fn fill_path(glob: &[Token], filler: &str) -> String {
    let mut out = String::new();
    for (at, token) in glob.iter().enumerate() {
        match token {
            Token::Lit(c) => out.push(*c),
            Token::Star => match (out.chars().last(), glob.get(at + 1)) {
                (_, Some(Token::Lit('.'))) => out.push_str("server"),
                (Some('.'), _) => out.push_str("yaml"),
                (Some(c), None) if c != '/' => out.push_str(".local"),
                _ => out.push_str(filler),
            },
        }
    }
    out
}

/// The first list of `action_type` (as `section.key`) whose rules decide `outcome` and that is
/// checked before the list named `before`: where a rule overriding one of `before` can go.
pub fn list_deciding_before(
    action_type: &str,
    outcome: Outcome,
    before: &str,
) -> Option<&'static str> {
    let spec = ACTIONS.iter().find(|s| s.action_type == action_type)?;
    spec.lists
        .iter()
        .take_while(|list| list.name != before)
        .find(|list| list.outcome == outcome)
        .map(|list| list.name)
}

/// The `(section, key)` of the first list of `action_type` whose rules decide `outcome`: where
/// a rule would have to go for an input the default decides otherwise.
pub fn list_deciding(action_type: &str, outcome: Outcome) -> Option<(&'static str, &'static str)> {
    let spec = ACTIONS.iter().find(|s| s.action_type == action_type)?;
    spec.lists
        .iter()
        .find(|list| list.outcome == outcome)
        .or_else(|| spec.lists.first())
        .map(|list| (list.section, list.key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str, action: &str, glob: &str, required: Outcome) -> InvariantCheck {
        let policy = crate::model::parse_value(yaml).unwrap_or_default();
        check_invariant(&policy, action, glob, required, 100_000)
            .map(|(c, _)| c)
            .unwrap_or(InvariantCheck::Unknown)
    }

    #[test]
    fn proves_and_refutes() {
        let pack = "filesystem:\n  block_read: ['.env', '**/.env', '**/.env.*', '.env.*']\n";
        assert_eq!(
            check(pack, "read_file", "**/.env*", Outcome::Block),
            InvariantCheck::Fails {
                text: "/.envx".into(),
                decider: Decider {
                    rule_id: crate::decide::RuleId::FilesystemReadAllow,
                    list: None,
                    index: None,
                    pattern: None,
                },
                outcome: Outcome::Allow,
            }
        );
        assert_eq!(
            check(pack, "read_file", "**/.env", Outcome::Block),
            InvariantCheck::Holds { vacuous: false }
        );
        // Commands: the default requires approval.
        let pack = "commands:\n  block: ['terraform apply*']\n  allow: ['terraform *']\n";
        assert_eq!(
            check(pack, "execute_command", "terraform apply*", Outcome::Block),
            InvariantCheck::Holds { vacuous: false }
        );
        match check(pack, "execute_command", "terraform *", Outcome::Allow) {
            InvariantCheck::Fails { text, decider, .. } => {
                assert_eq!(text, "terraform apply");
                assert_eq!(decider.pattern.as_deref(), Some("terraform apply*"));
                assert_eq!(decider.index, Some(0));
            }
            other => panic!("{other:?}"),
        }
        // A glob that no stripped command matches holds vacuously.
        assert_eq!(
            check(pack, "execute_command", " x*", Outcome::Allow),
            InvariantCheck::Holds { vacuous: true }
        );
        // MCP: server names are literal in the pack, globbed in the invariant.
        let pack = "mcp:\n  allowed_servers: [github, 'gh*']\n";
        match check(pack, "mcp_tool_call", "g*", Outcome::Allow) {
            InvariantCheck::Fails { text, .. } => assert_eq!(text, "g"),
            other => panic!("{other:?}"),
        }
        assert!(check_invariant(&Value::Null, "git_operation", "*", Outcome::Block, 10).is_none());
    }
}
