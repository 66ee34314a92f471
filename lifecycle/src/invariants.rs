//! Pack invariants: what a pack's `cases.yaml` says must *always* be decided a certain way,
//! proved for a pack version over every request, not sampled.
//!
//! ```yaml
//! must_block:
//!   - action: read_file
//!     target: "**/.env*"
//!     note: secrets stay unreadable        # optional
//!   - {action: execute_command, requested_operation: "terraform destroy*"}
//! must_allow:
//!   - {action: execute_command, requested_operation: "terraform plan*"}
//! must_require_approval:
//!   - {action: write_file, target: "iam/**"}
//! cases: [...]                             # the dry-run cases, unchanged
//! ```
//!
//! Each entry names an action type and a glob (CAVRA's pattern language: `*`/`**` any run of
//! characters but a newline, everything else literal) over the field the evaluator matches for
//! it: `target` for `read_file`/`write_file`, `requested_operation` for `execute_command`
//! (after `strip()`, as the evaluator matches it), `server` for `mcp_tool_call`. `git_operation`
//! and other action types are decided without the pack, so an invariant on them is refused.
//!
//! An invariant **holds** when every request of the action type whose field is in the
//! action's domain and matches the glob gets the required outcome. The domain is the decision
//! regions' ([`crate::symbolic`]): normal-form paths (other spellings of a path are decided at
//! least as strictly as their normal form, so a proved `must_block` covers them too when their
//! normal form matches), stripped commands, every server name. [`prove_invariants`] decides it
//! with the pack's automata ([`crate::symbolic::check_invariant`]): *proved*, *violated* with a
//! shortest counterexample (confirmed by the evaluator) and where possible a typical one, or
//! *unknown* when the state budget runs out (the gate treats that as a failure).

use serde::{Deserialize, Serialize};

use crate::decide::{CavraDecision, CompiledPolicy, Outcome};
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::rules::{invalid_invariant, invariant_violated};
use crate::lint::LintOutcome;
use crate::model::{Node, NodeValue};
use crate::symbolic::{witness_request, Decider, InvariantCheck, InvariantProver};
use crate::value::{Span, Value};

/// Schema id of the invariant proof report.
pub const INVARIANT_PROOFS_SCHEMA: &str = "cavra-lifecycle.invariant-proofs.v1";

/// The state budget the gate and the packet prove with.
pub const GATE_STATE_BUDGET: usize = 2_000_000;

/// The state budget the editor proves with on every keystroke (an invariant it cannot settle
/// is a warning there; the gate retries with [`GATE_STATE_BUDGET`]).
pub const EDITOR_STATE_BUDGET: usize = 200_000;

/// The three invariant lists of `cases.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvariantKind {
    /// `must_block`
    MustBlock,
    /// `must_allow`
    MustAllow,
    /// `must_require_approval`
    MustRequireApproval,
}

impl InvariantKind {
    /// Every kind, in the order they are reported.
    pub const ALL: [InvariantKind; 3] = [
        InvariantKind::MustBlock,
        InvariantKind::MustAllow,
        InvariantKind::MustRequireApproval,
    ];

    /// The `cases.yaml` key.
    pub fn key(self) -> &'static str {
        match self {
            InvariantKind::MustBlock => "must_block",
            InvariantKind::MustAllow => "must_allow",
            InvariantKind::MustRequireApproval => "must_require_approval",
        }
    }

    /// The outcome it requires.
    pub fn required(self) -> Outcome {
        match self {
            InvariantKind::MustBlock => Outcome::Block,
            InvariantKind::MustAllow => Outcome::Allow,
            InvariantKind::MustRequireApproval => Outcome::RequireApproval,
        }
    }

    fn of_key(key: &str) -> Option<InvariantKind> {
        InvariantKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// One invariant of a pack, as declared in `cases.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invariant {
    /// Which list it is in.
    pub kind: InvariantKind,
    /// Its position in that list (from 0).
    pub index: usize,
    /// `read_file`, `write_file`, `execute_command` or `mcp_tool_call`.
    pub action_type: String,
    /// The request field the glob ranges over (`target`, `requested_operation`, `server`).
    pub field: String,
    /// The glob.
    pub glob: String,
    /// The author's note, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the glob is in `cases.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl Invariant {
    /// `must_block[0]`.
    pub fn label(&self) -> String {
        format!("{}[{}]", self.kind.key(), self.index)
    }

    /// `read_file target matching `**/.env*` is always block`.
    pub fn statement(&self) -> String {
        format!(
            "{} {} matching `{}` is always {}",
            self.action_type,
            self.field,
            self.glob,
            self.kind.required().as_str()
        )
    }
}

/// The invariants of a `cases.yaml` and what is wrong with their declaration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedInvariants {
    /// The well-formed invariants, by list then position.
    pub invariants: Vec<Invariant>,
    /// Parse problems and invalid entries (positioned in `cases.yaml`).
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedInvariants {
    /// Whether a diagnostic is a blocker (an entry could not be read: the declared invariants
    /// are not all there, so nothing may rely on them).
    pub fn has_blockers(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_blocker)
    }

    /// The blockers as one-line texts (`LC034 … at 3:5`).
    pub fn blocker_texts(&self, source: &str) -> Vec<String> {
        self.diagnostics
            .iter()
            .filter(|d| d.is_blocker())
            .map(|d| {
                let at = d
                    .span
                    .map(|span| {
                        let (col, _) = span.utf16_columns(source);
                        format!(" at {}:{col}", span.line)
                    })
                    .unwrap_or_default();
                format!("{} {}{at}", d.code, d.message)
            })
            .collect()
    }
}

/// The action types an invariant may name, with the field their glob ranges over.
const ACTION_FIELDS: [(&str, &str); 4] = [
    ("read_file", "target"),
    ("write_file", "target"),
    ("execute_command", "requested_operation"),
    ("mcp_tool_call", "server"),
];

const ENTRY_KEYS: [&str; 5] = ["action", "target", "requested_operation", "server", "note"];
const TOP_KEYS: [&str; 4] = ["cases", "must_block", "must_allow", "must_require_approval"];

/// Reads the invariants of a `cases.yaml` text (see the module docs), with positioned
/// diagnostics for everything that is not a well-formed invariant.
pub fn parse_invariants(src: &str) -> ParsedInvariants {
    let parsed = crate::model::parse_policy(src);
    let mut out = ParsedInvariants {
        invariants: Vec::new(),
        diagnostics: parsed.diagnostics,
    };
    if let Some(root) = &parsed.root {
        read_root(root, &mut out);
    }
    out
}

fn invalid(span: Span, message: String) -> Diagnostic {
    invalid_invariant::RULE
        .diagnostic(message)
        .with_span(Some(span))
}

fn read_root(root: &Node, out: &mut ParsedInvariants) {
    let entries = match &root.value {
        NodeValue::Map(entries) => entries,
        // A bare list of cases, or an empty file: no invariants.
        NodeValue::Seq(_) | NodeValue::Null => return,
        _ => {
            out.diagnostics.push(
                invalid(
                    root.span,
                    "a cases file is a mapping with `cases` and the invariant lists".to_owned(),
                )
                .with_help("start it with `must_block:` or `cases:`"),
            );
            return;
        }
    };
    for (key, value) in entries {
        let Some(name) = key.as_str() else {
            out.diagnostics.push(invalid(
                key.span,
                "keys of a cases file are names such as `must_block`".to_owned(),
            ));
            continue;
        };
        if name == "cases" {
            continue;
        }
        let Some(kind) = InvariantKind::of_key(name) else {
            let mut diagnostic = invalid(
                key.span,
                format!(
                    "unknown key `{name}` in a cases file (known: {})",
                    TOP_KEYS.join(", ")
                ),
            );
            diagnostic.severity = Severity::Warning;
            if let Some(known) = crate::lint::suggest_key(name, &TOP_KEYS) {
                diagnostic = diagnostic.with_help(format!("did you mean `{known}`?"));
            }
            out.diagnostics.push(diagnostic);
            continue;
        };
        match &value.value {
            NodeValue::Null => {}
            NodeValue::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(invariant) = read_entry(kind, index, item, out) {
                        out.invariants.push(invariant);
                    }
                }
            }
            _ => out.diagnostics.push(
                invalid(value.span, format!("`{name}` must be a list of invariants")).with_help(
                    format!("write `{name}: [{{action: read_file, target: \"**/.env*\"}}]`"),
                ),
            ),
        }
    }
    out.invariants.sort_by_key(|i| {
        (
            InvariantKind::ALL.iter().position(|k| *k == i.kind),
            i.index,
        )
    });
}

fn read_entry(
    kind: InvariantKind,
    index: usize,
    item: &Node,
    out: &mut ParsedInvariants,
) -> Option<Invariant> {
    let label = format!("{}[{index}]", kind.key());
    let Some(entries) = item.as_map() else {
        out.diagnostics.push(
            invalid(item.span, format!("{label} must be a mapping"))
                .with_help("write `{action: read_file, target: \"**/.env*\"}`"),
        );
        return None;
    };
    let mut ok = true;
    for (key, _) in entries {
        let name = key.as_str().unwrap_or_default();
        if !ENTRY_KEYS.contains(&name) {
            let mut diagnostic = invalid(
                key.span,
                format!(
                    "{label}: unknown key `{}` (known: {})",
                    if name.is_empty() {
                        key.to_value().to_json().to_string()
                    } else {
                        name.to_owned()
                    },
                    ENTRY_KEYS.join(", ")
                ),
            );
            if let Some(known) = crate::lint::suggest_key(name, &ENTRY_KEYS) {
                diagnostic = diagnostic.with_help(format!("did you mean `{known}`?"));
            }
            out.diagnostics.push(diagnostic);
            ok = false;
        }
    }
    let string = |key: &str, out: &mut ParsedInvariants| -> Option<(String, Span)> {
        let node = item.get(key)?;
        match &node.value {
            NodeValue::Str(text) => Some((text.clone(), node.span)),
            _ => {
                out.diagnostics.push(
                    invalid(node.span, format!("{label}: `{key}` must be a string"))
                        .with_help("quote the value"),
                );
                None
            }
        }
    };
    let Some((action, action_span)) = string("action", out) else {
        if item.get("action").is_none() {
            out.diagnostics.push(
                invalid(item.span, format!("{label} needs an `action`"))
                    .with_help("one of read_file, write_file, execute_command, mcp_tool_call"),
            );
        }
        return None;
    };
    let Some(&(_, field)) = ACTION_FIELDS.iter().find(|(a, _)| *a == action) else {
        let message = if action == "git_operation" {
            format!("{label}: `git_operation` is decided without the pack (protected-branch pushes are always blocked), so an invariant on it proves nothing")
        } else {
            format!(
                "{label}: `{action}` is not an action type the pack decides (known: read_file, write_file, execute_command, mcp_tool_call)"
            )
        };
        let mut diagnostic = invalid(action_span, message);
        let known: Vec<&str> = ACTION_FIELDS.iter().map(|(a, _)| *a).collect();
        if let Some(near) = crate::lint::suggest_key(&action, &known) {
            diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
        }
        out.diagnostics.push(diagnostic);
        return None;
    };
    for other in ["target", "requested_operation", "server"] {
        if other != field {
            if let Some((key, _)) = item.entry(other) {
                out.diagnostics.push(
                    invalid(
                        key.span,
                        format!("{label}: `{action}` is decided on `{field}`, not `{other}`"),
                    )
                    .with_help(format!("write the glob as `{field}:`")),
                );
                ok = false;
            }
        }
    }
    let glob = string(field, out);
    if glob.is_none() && item.get(field).is_none() && ok {
        let example = match field {
            "target" => "**/.env*",
            "requested_operation" => "terraform apply*",
            _ => "github",
        };
        out.diagnostics.push(
            invalid(item.span, format!("{label} needs a `{field}` glob"))
                .with_help(format!("e.g. `{field}: \"{example}\"`")),
        );
    }
    let note = item.get("note").and_then(|n| match &n.value {
        NodeValue::Str(text) => Some(text.clone()),
        NodeValue::Null => None,
        _ => {
            out.diagnostics
                .push(invalid(n.span, format!("{label}: `note` must be a string")));
            None
        }
    });
    let (glob, span) = glob?;
    ok.then(|| Invariant {
        kind,
        index,
        action_type: action,
        field: field.to_owned(),
        glob,
        note,
        span: Some(span),
    })
}

/// Whether an invariant was proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    /// Every request in scope gets the required outcome.
    Proved,
    /// A request in scope gets another outcome (see the counterexample).
    Violated,
    /// Not settled within the state budget; treated as not proved.
    Unknown,
}

/// A request that breaks an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counterexample {
    /// The value of the invariant's field (a shortest one).
    pub value: String,
    /// The whole request, in CAVRA's input shape.
    pub input: serde_json::Value,
    /// What the evaluator decides for it.
    pub decision: CavraDecision,
    /// The rule (or the default) that decides it.
    pub decided_by: Decider,
    /// A more ordinary-looking value that breaks the invariant too, when one is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical: Option<String>,
}

/// The proof of one invariant for one pack version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvariantProof {
    /// `must_block[0]`.
    pub invariant: String,
    /// The list.
    pub kind: InvariantKind,
    /// The action type.
    pub action_type: String,
    /// The field the glob ranges over.
    pub field: String,
    /// The glob.
    pub glob: String,
    /// The outcome required.
    pub required: Outcome,
    /// The values of the field the proof ranges over.
    pub domain: String,
    /// Proved, violated or unknown.
    pub status: ProofStatus,
    /// Proved only because no value of the domain matches the glob.
    pub vacuous: bool,
    /// A request that breaks it (violated only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// Why it is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Automaton states explored.
    pub states: usize,
}

impl InvariantProof {
    /// The gate's blocker text, or `None` when proved.
    pub fn blocker(&self) -> Option<String> {
        let statement = format!(
            "invariant `{}` ({} {} matching `{}` is always {})",
            self.invariant,
            self.action_type,
            self.field,
            self.glob,
            self.required.as_str()
        );
        match (self.status, &self.counterexample) {
            (ProofStatus::Proved, _) => None,
            (ProofStatus::Violated, Some(example)) => Some(format!(
                "{statement} is violated: {} `{}` is {} ({})",
                self.field,
                example.value,
                example.decision.decision,
                decided_by_text(&example.decided_by)
            )),
            _ => Some(format!(
                "{statement} is not proved: {}",
                self.detail.as_deref().unwrap_or("no proof")
            )),
        }
    }
}

/// `commands.allow[2] `terraform *`` or `no rule matched (commands.default.require_approval)`.
pub fn decided_by_text(decider: &Decider) -> String {
    match (&decider.list, decider.index, &decider.pattern) {
        (Some(list), Some(index), Some(pattern)) => format!("{list}[{index}] `{pattern}`"),
        _ => format!("no rule matched: {}", decider.rule_id.as_str()),
    }
}

/// The proofs of a pack version's invariants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvariantReport {
    /// Always `cavra-lifecycle.invariant-proofs.v1`.
    pub schema_version: String,
    /// Every invariant proved.
    pub holds: bool,
    /// How many invariants.
    pub invariant_count: usize,
    /// Proved.
    pub proved_count: usize,
    /// Violated.
    pub violated_count: usize,
    /// Unknown.
    pub unknown_count: usize,
    /// One proof per invariant, in declaration order.
    pub proofs: Vec<InvariantProof>,
}

impl InvariantReport {
    /// The gate's blocker texts, one per invariant not proved.
    pub fn blockers(&self) -> Vec<String> {
        self.proofs
            .iter()
            .filter_map(InvariantProof::blocker)
            .collect()
    }
}

/// Proves each invariant for `policy` (the loaded pack, inherits merged), exploring at most
/// `state_budget` automaton states per invariant.
pub fn prove_invariants(
    policy: &Value,
    invariants: &[Invariant],
    state_budget: usize,
) -> InvariantReport {
    let mut prover = InvariantProver::new(policy);
    // Compiled only to confirm a counterexample.
    let mut compiled: Option<CompiledPolicy> = None;
    let proofs: Vec<InvariantProof> = invariants
        .iter()
        .map(|invariant| prove_one(&mut prover, policy, &mut compiled, invariant, state_budget))
        .collect();
    let count = |status| proofs.iter().filter(|p| p.status == status).count();
    InvariantReport {
        schema_version: INVARIANT_PROOFS_SCHEMA.to_owned(),
        holds: proofs.iter().all(|p| p.status == ProofStatus::Proved),
        invariant_count: proofs.len(),
        proved_count: count(ProofStatus::Proved),
        violated_count: count(ProofStatus::Violated),
        unknown_count: count(ProofStatus::Unknown),
        proofs,
    }
}

fn prove_one(
    prover: &mut InvariantProver<'_>,
    policy: &Value,
    compiled: &mut Option<CompiledPolicy>,
    invariant: &Invariant,
    state_budget: usize,
) -> InvariantProof {
    let required = invariant.kind.required();
    let mut proof = InvariantProof {
        invariant: invariant.label(),
        kind: invariant.kind,
        action_type: invariant.action_type.clone(),
        field: invariant.field.clone(),
        glob: invariant.glob.clone(),
        required,
        domain: crate::symbolic::invariant_field(&invariant.action_type)
            .map(|(_, domain)| domain.to_owned())
            .unwrap_or_default(),
        status: ProofStatus::Unknown,
        vacuous: false,
        counterexample: None,
        detail: None,
        states: 0,
    };
    let Some((check, states)) = prover.check(
        &invariant.action_type,
        &invariant.glob,
        required,
        state_budget,
    ) else {
        proof.detail = Some(format!(
            "`{}` is not decided by the pack",
            invariant.action_type
        ));
        return proof;
    };
    proof.states = states;
    match check {
        InvariantCheck::Holds { vacuous } => {
            proof.status = ProofStatus::Proved;
            proof.vacuous = vacuous;
        }
        InvariantCheck::Unknown => {
            proof.detail = Some(format!("not settled within {state_budget} states"));
        }
        InvariantCheck::Fails { text, decider, .. } => {
            let compiled = compiled.get_or_insert_with(|| CompiledPolicy::from_value(policy));
            let request = witness_request(&invariant.action_type, &text);
            let decision = compiled.decide(&request.as_request());
            if decision.decision == required {
                // The automata and the evaluator disagree: never claim a proof either way.
                proof.detail = Some(format!(
                    "internal disagreement on `{text}`: the evaluator decides it {}",
                    required.as_str()
                ));
                return proof;
            }
            let typical = typical(compiled, invariant, &text);
            proof.status = ProofStatus::Violated;
            proof.counterexample = Some(Counterexample {
                value: text,
                input: request.to_cavra_input(),
                decision: decision.to_cavra(),
                decided_by: decider,
                typical,
            });
        }
    }
    proof
}

/// A readable value (the glob's stars filled with ordinary words) that breaks the invariant
/// too, checked with the evaluator.
fn typical(compiled: &CompiledPolicy, invariant: &Invariant, shortest: &str) -> Option<String> {
    let glob = crate::decide::matcher::Pattern::new(&invariant.glob);
    crate::symbolic::typical_inputs(&invariant.action_type, &invariant.glob)
        .into_iter()
        .find(|text| {
            text != shortest
                && glob.matches(text)
                && crate::symbolic::in_invariant_domain(&invariant.action_type, text)
                && compiled
                    .decide(&witness_request(&invariant.action_type, text).as_request())
                    .decision
                    != invariant.kind.required()
        })
}

/// The node of item `index` of `section.key` in a policy tree, when it holds `pattern`.
fn rule_node<'a>(
    root: &'a Node,
    section: &str,
    key: &str,
    index: usize,
    pattern: &str,
) -> Option<&'a Node> {
    let node = root.get(section)?.get(key)?.as_seq()?.get(index)?;
    (crate::decide::python::value_str(&node.to_value()) == pattern).then_some(node)
}

/// Where in a policy a failed proof belongs: the rule deciding the counterexample, or (for a
/// default) the key of the list a rule would have to join, or its section.
pub fn policy_span(root: &Node, proof: &InvariantProof) -> Option<Span> {
    let example = proof.counterexample.as_ref()?;
    let decider = &example.decided_by;
    if let (Some(list), Some(index), Some(pattern)) =
        (&decider.list, decider.index, &decider.pattern)
    {
        let (section, key) = list.split_once('.')?;
        return rule_node(root, section, key, index, pattern).map(|n| n.span);
    }
    let (section, key) = crate::symbolic::list_deciding(&proof.action_type, proof.required)?;
    let (section_key, section_node) = root.entry(section)?;
    Some(
        section_node
            .entry(key)
            .map_or(section_key.span, |(key_node, _)| key_node.span),
    )
}

/// "invariant must_block[0] fails: read_file target `/.envx` matches `**/.env*` but gets allow
/// by default (filesystem.read.allow: no rule matches it); also e.g. `config/.env.local`".
fn violation_message(proof: &InvariantProof, example: &Counterexample) -> String {
    let mut text = format!(
        "invariant {} fails: {} {} `{}` matches `{}` but gets {}",
        proof.invariant,
        proof.action_type,
        proof.field,
        printable(&example.value),
        proof.glob,
        example.decision.decision
    );
    let decider = &example.decided_by;
    match (&decider.list, decider.index, &decider.pattern) {
        (Some(list), Some(index), Some(pattern)) => {
            text.push_str(&format!(" from `{pattern}` ({list}[{index}])"));
        }
        _ => text.push_str(&format!(
            " by default ({}: no rule matches it)",
            decider.rule_id.as_str()
        )),
    }
    if let Some(typical) = &example.typical {
        text.push_str(&format!("; also e.g. `{}`", printable(typical)));
    }
    text
}

/// An example value on one line (control characters escaped).
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn fix_help(proof: &InvariantProof) -> String {
    let required = proof.required.as_str();
    let decider = proof.counterexample.as_ref().map(|e| &e.decided_by);
    match decider.and_then(|d| d.pattern.as_ref().zip(d.list.as_ref())) {
        Some((pattern, list)) => {
            match crate::symbolic::list_deciding_before(&proof.action_type, proof.required, list) {
                Some(earlier) => format!(
                    "add a rule to {earlier} that matches them (it is checked before {list}), narrow `{pattern}`, or narrow the invariant in cases.yaml"
                ),
                None => format!(
                    "narrow `{pattern}` ({list}) so it leaves them to a rule deciding {required}, or narrow the invariant in cases.yaml"
                ),
            }
        }
        None => {
            let list = crate::symbolic::list_deciding(&proof.action_type, proof.required)
                .map(|(section, key)| format!("{section}.{key}"))
                .unwrap_or_else(|| "the pack".to_owned());
            format!("add a rule to {list} that matches them, or narrow the invariant in cases.yaml")
        }
    }
}

/// The editor's view: a failed proof as a diagnostic on the policy rule that decides the
/// counterexample (or the list a rule would have to join). `invariants` gives each proof's
/// position in `cases.yaml` for the message.
pub fn policy_diagnostics(
    root: &Node,
    report: &InvariantReport,
    invariants: &[Invariant],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (proof, invariant) in report.proofs.iter().zip(invariants) {
        let at = invariant
            .span
            .map(|s| format!(" (declared in cases.yaml line {})", s.line))
            .unwrap_or_default();
        match (proof.status, &proof.counterexample) {
            (ProofStatus::Violated, Some(example)) => out.push(
                invariant_violated::RULE
                    .diagnostic(format!("{}{at}", violation_message(proof, example)))
                    .with_span(policy_span(root, proof))
                    .with_help(fix_help(proof)),
            ),
            (ProofStatus::Unknown, _) => {
                let mut diagnostic = invariant_violated::RULE.diagnostic(format!(
                    "invariant {} ({}) is not proved here: {}{at}",
                    proof.invariant,
                    invariant.statement(),
                    proof.detail.as_deref().unwrap_or("no proof")
                ));
                diagnostic.severity = Severity::Warning;
                out.push(diagnostic.with_help(
                    "the promotion gate proves it again with a larger budget; a smaller glob proves faster",
                ));
            }
            _ => {}
        }
    }
    out
}

/// `cases.yaml`'s view: declaration problems, then each failed or vacuous proof on its
/// invariant. `policy_root` (the pack's own text, when at hand) names the line of the rule
/// that decides a counterexample.
pub fn cases_diagnostics(
    parsed: &ParsedInvariants,
    report: &InvariantReport,
    policy_root: Option<&Node>,
) -> Vec<Diagnostic> {
    let mut out = parsed.diagnostics.clone();
    for (proof, invariant) in report.proofs.iter().zip(&parsed.invariants) {
        let diagnostic = match (proof.status, &proof.counterexample) {
            (ProofStatus::Violated, Some(example)) => {
                let mut message = violation_message(proof, example);
                if let Some(span) = policy_root.and_then(|root| policy_span(root, proof)) {
                    message.push_str(&format!(" (see policy.yaml line {})", span.line));
                }
                invariant_violated::RULE
                    .diagnostic(message)
                    .with_help(fix_help(proof))
            }
            (ProofStatus::Unknown, _) => invariant_violated::RULE
                .diagnostic(format!(
                    "invariant {} ({}) is not proved: {}",
                    proof.invariant,
                    invariant.statement(),
                    proof.detail.as_deref().unwrap_or("no proof")
                ))
                .with_help("a smaller glob proves faster"),
            (ProofStatus::Proved, _) if proof.vacuous => {
                let mut diagnostic = invalid_invariant::RULE.diagnostic(format!(
                    "invariant {} proves nothing: no {} the evaluator sees matches `{}`; the proof ranges over {}",
                    proof.invariant, proof.field, proof.glob, proof.domain
                ));
                diagnostic.severity = Severity::Warning;
                diagnostic.with_help(
                    "check the glob: commands are matched after strip(), paths in normal form",
                )
            }
            _ => continue,
        };
        out.push(diagnostic.with_span(invariant.span));
    }
    out.sort_by_key(|d| d.span.map_or(0, |s| s.start));
    out
}

/// Everything `cases.yaml` says about a pack version: its invariants, their proofs and the
/// diagnostics positioned in `cases.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct CasesLint {
    /// The parsed invariants and their declaration problems.
    pub parsed: ParsedInvariants,
    /// The proofs.
    pub report: InvariantReport,
    /// Declaration problems and failed proofs, positioned in `cases.yaml`.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `cases_src`'s invariants and proves them for `policy` (the loaded pack);
/// `policy_root` is the pack's own parsed text, for line numbers in messages.
pub fn lint_cases(
    cases_src: &str,
    policy: &Value,
    policy_root: Option<&Node>,
    state_budget: usize,
) -> CasesLint {
    let parsed = parse_invariants(cases_src);
    let report = prove_invariants(policy, &parsed.invariants, state_budget);
    let diagnostics = cases_diagnostics(&parsed, &report, policy_root);
    CasesLint {
        parsed,
        report,
        diagnostics,
    }
}

/// Lints a pack's text and proves the pack's invariants (from its `cases.yaml`) on it: a
/// failed proof is an `LC033` diagnostic on the rule that decides the counterexample (see
/// [`policy_diagnostics`]), after the linter's own. The editor's entry point.
pub fn lint_source_with_invariants(src: &str, invariants: &[Invariant]) -> LintOutcome {
    lint_parsed_with_invariants(src, crate::model::parse_policy(src), invariants)
}

/// [`lint_source_with_invariants`] on an already parsed pack (`parsed` must come from `src`).
pub fn lint_parsed_with_invariants(
    src: &str,
    parsed: crate::model::ParsedPolicy,
    invariants: &[Invariant],
) -> LintOutcome {
    // The tree is needed after the linter has consumed it, for the rules' positions.
    let root = (!invariants.is_empty())
        .then(|| parsed.root.clone())
        .flatten()
        .filter(|root| matches!(root.value, NodeValue::Map(_)));
    let mut outcome = crate::lint::lint_parsed(src, parsed);
    if let (Some(root), Some(value)) = (root, &outcome.value) {
        let report = prove_invariants(value, invariants, EDITOR_STATE_BUDGET);
        let mut found = policy_diagnostics(&root, &report, invariants);
        found.sort_by_key(|d| d.span.map_or(0, |s| s.start));
        outcome.diagnostics.extend(found);
    }
    outcome
}
