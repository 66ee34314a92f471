//! Proving one invariant of a pack: every input of an action type's domain that a glob matches
//! is decided with a required outcome. The glob runs as a probe over the pack's chain for that
//! action type (only the rules that can overlap the glob); the first input found that the pack
//! decides otherwise is a shortest counterexample, and a search that ends without one is a
//! proof.

use serde::{Deserialize, Serialize};

use super::chain::{tokens, Chain, Token};
use super::domain::Domain;
use super::report::{decider, Decider};
use super::search::{probe, search};
use super::subchain::{candidates, raw_rules, sub_chain};
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
/// not depend on the pack. Returns the check and the states explored.
pub fn check_invariant(
    policy: &Value,
    action_type: &str,
    glob: &str,
    required: Outcome,
    budget: usize,
) -> Option<(InvariantCheck, usize)> {
    let spec = ACTIONS.iter().find(|s| s.action_type == action_type)?;
    let lists: Vec<_> = spec.lists.iter().collect();
    let chain = Chain::new(
        raw_rules(policy, &lists, spec.literal),
        spec.default(policy),
    );
    let glob_tokens = tokens(glob, false);
    let everything = u32::try_from(chain.rules.len()).unwrap_or(u32::MAX);
    let picked = candidates(&chain, &glob_tokens, everything, SUB_CHAIN_LIMIT);
    let (mut searched, picked) = match picked {
        Some(picked) => (sub_chain(&chain, &picked), Some(picked)),
        None => (chain.clone(), None),
    };
    let mut glob_probe = probe(glob_tokens);
    let result = search(
        spec.domain,
        &mut glob_probe,
        &mut searched,
        budget,
        |label| searched_outcome(&chain, picked.as_deref(), label) != required,
    );
    let check = match &result.found {
        Some(found) => {
            let label = match &picked {
                Some(picked) => picked
                    .get(found.label as usize)
                    .copied()
                    .unwrap_or(super::chain::NONE),
                None => found.label,
            };
            InvariantCheck::Fails {
                text: found.witness.clone(),
                decider: decider(&chain, label),
                outcome: chain.outcome(label),
            }
        }
        None if result.complete => InvariantCheck::Holds {
            vacuous: !result.matched,
        },
        None => InvariantCheck::Unknown,
    };
    Some((check, result.states))
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

/// The outcome of a label of the searched chain (a sub-chain's labels index `picked`).
fn searched_outcome(chain: &Chain, picked: Option<&[u32]>, label: u32) -> Outcome {
    let original = match picked {
        Some(picked) => picked
            .get(label as usize)
            .copied()
            .unwrap_or(super::chain::NONE),
        None => label,
    };
    chain.outcome(original)
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
