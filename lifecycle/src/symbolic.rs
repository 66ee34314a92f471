//! Exact request-space semantics: which requests change outcome between two packs, as sets.
//!
//! CAVRA's patterns are regular (a `*` run matches any characters but a newline, everything else
//! is literal, the whole text must match), and each action type decides by the first match in a
//! fixed list order. So for every action type the requests whose outcome moves from `before` to
//! `after` form a regular language over one field: the file target, the stripped command, the
//! MCP server. [`RegionAnalysis`] builds each side's decision function as a DFA ([`chain`]),
//! explores their product over the field's domain ([`product`]) and reads off, per flip kind,
//! a **region**: empty or not, finite or not (and its size when finite), its shortest witnesses,
//! some typical ones built from the patterns' own literals, and its **cells** — the inputs one
//! `(before rule, after rule)` pair decides — each with the earlier rules that carve holes in it.
//!
//! | action_type | field | domain |
//! |---|---|---|
//! | `read_file`, `write_file` | `target` | paths in normal form (no `//`, no `.`/`..` segment) |
//! | `execute_command` | `requested_operation` after `strip()` | texts without leading or trailing whitespace |
//! | `mcp_tool_call` | `server` | every text (server names are compared, not matched) |
//!
//! `git_operation` and every other action type ignore the pack, so they never flip.
//!
//! **Other spellings of a path.** The evaluator also matches the lexically normalised spelling
//! of a path (our deliberate difference from CAVRA), and a path decides as the stricter of its
//! two spellings. The preimage of a regular set under normalisation (`a/../` pairs) is not
//! regular, so regions cover the normal-form paths — what tools send — exactly; a non-normal
//! spelling is decided at least as strictly as its normal form on each side.
//! [`RegionAnalysis::outcomes`] gives the exact outcomes of any request, normal or not.

mod analysis;
mod chain;
mod cross_check;
mod domain;
mod hash;
mod intersect;
mod invariant;
mod precedence;
mod product;
mod report;
mod search;
mod sets;
mod subchain;

use std::collections::HashMap;
use std::sync::Arc;

use crate::decide::path::normalize_path;
use crate::decide::python::python_strip;
use crate::decide::{block_unknown_servers, string_list, Outcome, Request, RequestBuf, RuleId};
use crate::value::Value;
use chain::{tokens, Chain, Rule, NONE};
pub use cross_check::CrossCheck;
use domain::Domain;
pub use invariant::{
    check_invariant, in_invariant_domain, invariant_field, list_deciding, list_deciding_before,
    typical_inputs, InvariantCheck, InvariantProver,
};
pub use precedence::{
    precedence, Cover, FindingKind, Precedence, PrecedenceOptions, RuleFinding, RuleRef,
};
use product::Product;
pub use report::{Cell, Decider, DecisionRegions, Exclusion, Region, RegionAction};

/// Schema id of the region report.
pub const DECISION_REGIONS_SCHEMA: &str = "cavra-lifecycle.decision-regions.v1";

/// Bounds on what the report lists (the analysis itself is exact and unbounded but for
/// `state_budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionOptions {
    /// Cells listed per region (all are counted).
    pub max_cells: usize,
    /// Shortest witnesses per region.
    pub max_witnesses: usize,
    /// Typical witnesses per region.
    pub max_typical: usize,
    /// Earlier rules listed per cell.
    pub max_excludes: usize,
    /// Product states explored per action type before giving up (the report then says
    /// `complete: false`); guards against hostile packs.
    pub state_budget: usize,
}

impl Default for RegionOptions {
    fn default() -> Self {
        RegionOptions {
            max_cells: 50,
            max_witnesses: 5,
            max_typical: 3,
            max_excludes: 8,
            state_budget: 2_000_000,
        }
    }
}

/// One pattern list of an action type's chain.
struct ListSpec {
    section: &'static str,
    key: &'static str,
    name: &'static str,
    outcome: Outcome,
    rule_id: RuleId,
}

/// How an action type decides.
struct ActionSpec {
    action_type: &'static str,
    field: &'static str,
    domain: Domain,
    literal: bool,
    lists: &'static [ListSpec],
}

const ACTIONS: [ActionSpec; 4] = [
    ActionSpec {
        action_type: "read_file",
        field: "target",
        domain: Domain::NormalPath,
        literal: false,
        lists: &[ListSpec {
            section: "filesystem",
            key: "block_read",
            name: "filesystem.block_read",
            outcome: Outcome::Block,
            rule_id: RuleId::FilesystemReadBlock,
        }],
    },
    ActionSpec {
        action_type: "write_file",
        field: "target",
        domain: Domain::NormalPath,
        literal: false,
        lists: &[
            ListSpec {
                section: "filesystem",
                key: "block_write",
                name: "filesystem.block_write",
                outcome: Outcome::Block,
                rule_id: RuleId::FilesystemWriteBlock,
            },
            ListSpec {
                section: "filesystem",
                key: "require_approval_write",
                name: "filesystem.require_approval_write",
                outcome: Outcome::RequireApproval,
                rule_id: RuleId::FilesystemWriteRequireApproval,
            },
        ],
    },
    ActionSpec {
        action_type: "execute_command",
        field: "requested_operation",
        domain: Domain::Stripped,
        literal: false,
        lists: &[
            ListSpec {
                section: "commands",
                key: "block",
                name: "commands.block",
                outcome: Outcome::Block,
                rule_id: RuleId::CommandsBlock,
            },
            ListSpec {
                section: "commands",
                key: "allow",
                name: "commands.allow",
                outcome: Outcome::Allow,
                rule_id: RuleId::CommandsAllow,
            },
        ],
    },
    ActionSpec {
        action_type: "mcp_tool_call",
        field: "server",
        domain: Domain::Any,
        literal: true,
        lists: &[
            ListSpec {
                section: "mcp",
                key: "blocked_servers",
                name: "mcp.blocked_servers",
                outcome: Outcome::Block,
                rule_id: RuleId::McpServerTrustBlockUnknown,
            },
            ListSpec {
                section: "mcp",
                key: "allowed_servers",
                name: "mcp.allowed_servers",
                outcome: Outcome::Allow,
                rule_id: RuleId::McpServerTrustAllow,
            },
        ],
    },
];

impl ActionSpec {
    fn default(&self, policy: &Value) -> (Outcome, RuleId) {
        match self.action_type {
            "read_file" => (Outcome::Allow, RuleId::FilesystemReadAllow),
            "write_file" => (Outcome::Allow, RuleId::FilesystemWriteAllow),
            "execute_command" => (
                Outcome::RequireApproval,
                RuleId::CommandsDefaultRequireApproval,
            ),
            _ if block_unknown_servers(policy) => {
                (Outcome::Block, RuleId::McpServerTrustBlockUnknown)
            }
            _ => (Outcome::Allow, RuleId::McpServerTrustAllow),
        }
    }

    fn chain(&self, policy: &Value, texts: &mut HashMap<String, u32>) -> Chain {
        let mut rules = Vec::new();
        for list in self.lists {
            for (index, pattern) in string_list(policy, list.section, list.key)
                .into_iter()
                .enumerate()
            {
                let next = u32::try_from(texts.len()).unwrap_or(NONE);
                let text_id = *texts.entry(pattern.clone()).or_insert(next);
                rules.push(Rule {
                    tokens: tokens(&pattern, self.literal),
                    pattern: Arc::from(pattern),
                    outcome: list.outcome,
                    rule_id: list.rule_id,
                    list: list.name,
                    index,
                    text_id,
                });
            }
        }
        Chain::new(rules, self.default(policy))
    }

    /// The text of `request` this action type decides on.
    fn field<'a>(&self, request: &Request<'a>) -> &'a str {
        match self.domain {
            Domain::NormalPath => request.target,
            Domain::Stripped => python_strip(request.requested_operation),
            Domain::Any => request.server,
        }
    }
}

/// One action type's two decision functions and where its regions sit in the report.
struct ActionAnalysis {
    spec: &'static ActionSpec,
    sides: [Chain; 2],
    /// `(before, after)` of each region of this action, with its index in the report.
    regions: Vec<((Outcome, Outcome), usize)>,
}

/// The space an action type's regions live in: its domain and both sides' chains.
pub(crate) struct Space<'a> {
    domain: Domain,
    sides: &'a [Chain; 2],
}

impl Space<'_> {
    /// The outcomes of an in-domain text under both sides (`None` outside the domain).
    fn classify(&self, text: &str) -> Option<(Outcome, Outcome)> {
        if !self.domain.contains(text) {
            return None;
        }
        let [before, after] = self.sides;
        Some((
            before.outcome(before.decide(text)),
            after.outcome(after.decide(text)),
        ))
    }
}

/// Where a request falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In no region: both packs decide it alike.
    Unaffected,
    /// In the report's region at this index.
    Region(usize),
    /// A file target not in normal form: outside every region's domain (see the module docs;
    /// [`RegionAnalysis::outcomes`] still decides it exactly).
    OutsideDomain,
    /// The state budget ran out before this part of the space was explored.
    Unknown,
}

/// The symbolic comparison of two packs: the report and the automata behind it.
pub struct RegionAnalysis {
    actions: Vec<ActionAnalysis>,
    report: DecisionRegions,
}

impl std::fmt::Debug for RegionAnalysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegionAnalysis")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// The region report of two loaded policies (see [`RegionAnalysis`]).
pub fn decision_regions(before: &Value, after: &Value, options: &RegionOptions) -> DecisionRegions {
    RegionAnalysis::new(before, after, options).into_report()
}

/// A request of `action_type` whose decided field is `text` (the form witnesses take).
pub fn witness_request(action_type: &str, text: &str) -> RequestBuf {
    let mut request = Request::new(action_type, text).to_owned_request();
    match action_type {
        "mcp_tool_call" => {
            request.target = format!("{text}:tool");
            request.requested_operation = "tool".to_owned();
            request.server = text.to_owned();
            request.tool = "tool".to_owned();
        }
        "read_file" => request.requested_operation = "read".to_owned(),
        "write_file" => request.requested_operation = "write".to_owned(),
        _ => {}
    }
    request
}

/// How strict an outcome is: a path decides as the stricter of its two spellings.
fn strictness(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Allow => 0,
        Outcome::RequireApproval => 1,
        Outcome::Block => 2,
    }
}

impl RegionAnalysis {
    /// Compares `before` with `after`.
    pub fn new(before: &Value, after: &Value, options: &RegionOptions) -> RegionAnalysis {
        let mut actions = Vec::new();
        let mut regions = Vec::new();
        let mut summaries = Vec::new();
        for spec in &ACTIONS {
            let mut texts = HashMap::new();
            let old = spec.chain(before, &mut texts);
            let new = spec.chain(after, &mut texts);
            let mut sides = [old, new];
            let budget = options.state_budget;
            let (kinds, complete, states) = if sides[0].same_decisions(&sides[1]) {
                (Vec::new(), true, 0)
            } else if let Some((kinds, pairs)) = sets::explore(spec.domain, &mut sides, budget) {
                (kinds, true, pairs)
            } else {
                let product = Product::explore(spec.domain, sides, budget);
                let kinds = analysis::summarise(&product);
                let (complete, states) = (product.complete, product.nodes.len());
                sides = product.into_sides();
                (kinds, complete, states)
            };
            let space = Space {
                domain: spec.domain,
                sides: &sides,
            };
            let mut indices = Vec::new();
            for kind in &kinds {
                indices.push(((kind.before, kind.after), regions.len()));
                regions.push(report::region(
                    spec.action_type,
                    spec.field,
                    &space,
                    kind,
                    complete,
                    options,
                ));
            }
            summaries.push(RegionAction {
                action_type: spec.action_type.to_owned(),
                field: spec.field.to_owned(),
                domain: report::domain_text(spec.domain).to_owned(),
                complete,
                states,
                regions: kinds.len(),
            });
            actions.push(ActionAnalysis {
                spec,
                sides,
                regions: indices,
            });
        }
        let complete = summaries.iter().all(|a| a.complete);
        RegionAnalysis {
            actions,
            report: DecisionRegions {
                schema_version: DECISION_REGIONS_SCHEMA.to_owned(),
                complete,
                region_count: regions.len(),
                actions: summaries,
                regions,
            },
        }
    }

    /// The report.
    pub fn report(&self) -> &DecisionRegions {
        &self.report
    }

    /// The report, by value.
    pub fn into_report(self) -> DecisionRegions {
        self.report
    }

    fn action(&self, action_type: &str) -> Option<&ActionAnalysis> {
        self.actions
            .iter()
            .find(|a| a.spec.action_type == action_type)
    }

    /// The region `request` falls in: its outcomes under both sides' automata, and the region
    /// of that flip (which the exploration must have found).
    pub fn locate(&self, request: &Request<'_>) -> Location {
        let Some(action) = self.action(request.action_type) else {
            return Location::Unaffected;
        };
        let space = Space {
            domain: action.spec.domain,
            sides: &action.sides,
        };
        match space.classify(action.spec.field(request)) {
            None => Location::OutsideDomain,
            Some((b, a)) if b == a => Location::Unaffected,
            Some(flip) => action
                .regions
                .iter()
                .find(|(kind, _)| *kind == flip)
                .map_or(Location::Unknown, |(_, index)| Location::Region(*index)),
        }
    }

    /// What decides `request` before and after (the cell it falls in), for the four
    /// pack-dependent action types.
    pub fn deciders(&self, request: &Request<'_>) -> Option<(Decider, Decider)> {
        let action = self.action(request.action_type)?;
        let text = action.spec.field(request);
        let [before, after] = &action.sides;
        Some((
            report::decider(before, before.decide(text)),
            report::decider(after, after.decide(text)),
        ))
    }

    /// The outcomes of `request` under both packs, from the same automata (for every request
    /// of the four pack-dependent action types, in normal form or not); `None` for the others.
    pub fn outcomes(&self, request: &Request<'_>) -> Option<(Outcome, Outcome)> {
        let action = self.action(request.action_type)?;
        let text = action.spec.field(request);
        let decide = |side: usize, text: &str| {
            let chain = &action.sides[side];
            chain.outcome(chain.decide(text))
        };
        let side = |side: usize| {
            let raw = decide(side, text);
            if action.spec.domain != Domain::NormalPath {
                return raw;
            }
            let normal = decide(side, &normalize_path(text));
            if strictness(normal) > strictness(raw) {
                normal
            } else {
                raw
            }
        };
        Some((side(0), side(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `(before, after, finite, [(labels, example length)])` per kind, from one engine.
    type Summary = Vec<(Outcome, Outcome, bool, Vec<((u32, u32), usize)>)>;

    fn summary(kinds: &[analysis::KindSummary]) -> Summary {
        kinds
            .iter()
            .map(|k| {
                let mut cells: Vec<((u32, u32), usize)> = k
                    .cells
                    .iter()
                    .map(|c| (c.labels, c.example.chars().count()))
                    .collect();
                cells.sort_unstable();
                (k.before, k.after, k.finite, cells)
            })
            .collect()
    }

    /// Runs both explorations on every action type; the set one may decline.
    fn engines_agree(before: &Value, after: &Value) -> Result<(), TestCaseError> {
        for spec in &ACTIONS {
            let chains = || {
                let mut texts = HashMap::new();
                [
                    spec.chain(before, &mut texts),
                    spec.chain(after, &mut texts),
                ]
            };
            let mut sides = chains();
            let Some((fast, _)) = sets::explore(spec.domain, &mut sides, 100_000) else {
                continue;
            };
            let product = Product::explore(spec.domain, chains(), 100_000);
            prop_assert!(product.complete);
            let slow = analysis::summarise(&product);
            prop_assert_eq!(summary(&fast), summary(&slow), "{}", spec.action_type);
        }
        Ok(())
    }

    fn list(items: &[String]) -> Value {
        Value::List(items.iter().map(|s| Value::Str(s.clone())).collect())
    }

    fn pack(read: &[String], block: &[String], allow: &[String]) -> Value {
        let key = |k: &str| Value::Str(k.to_owned());
        Value::Map(vec![
            (
                key("filesystem"),
                Value::Map(vec![
                    (key("block_read"), list(read)),
                    (key("block_write"), list(block)),
                    (key("require_approval_write"), list(allow)),
                ]),
            ),
            (
                key("commands"),
                Value::Map(vec![
                    (key("block"), list(block)),
                    (key("allow"), list(allow)),
                ]),
            ),
        ])
    }

    fn patterns() -> impl Strategy<Value = Vec<String>> {
        let piece = prop::sample::select(&["a", "b", "/", "*", ".", " ", "ab", "a/", "\n"][..]);
        let pattern = prop::collection::vec(piece, 0..5).prop_map(|p| p.concat());
        prop::collection::vec(pattern, 0..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The set exploration finds the same kinds and cells, with examples just as short, as
        /// the pair exploration it shortcuts.
        #[test]
        fn set_and_pair_explorations_agree(
            a in patterns(), b in patterns(), c in patterns(),
            d in patterns(), e in patterns(), f in patterns(),
        ) {
            engines_agree(&pack(&a, &b, &c), &pack(&d, &e, &f))?;
        }
    }

    #[test]
    fn set_and_pair_explorations_agree_on_the_baseline_edits() {
        let baseline = include_str!(
            "../tests/fixtures/reference/policies/cavra-ai-agent-baseline/policy.yaml"
        );
        let before = crate::model::parse_value(baseline).unwrap_or_default();
        for edit in [
            baseline.replace("\"terraform plan*\"", "\"terraform *\""),
            baseline.replace("\"**/*.pem\"", "\"**/*.p*\""),
            baseline.replace("    - \"iam/**\"\n", ""),
        ] {
            let after = crate::model::parse_value(&edit).unwrap_or_default();
            let result = engines_agree(&before, &after);
            assert!(result.is_ok(), "{result:?}");
        }
    }
}
