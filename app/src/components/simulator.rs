//! The simulator: the required cases and the pack's own cases, decided in WASM against the
//! editor's current text on every change, plus a custom request whose matched pattern is
//! highlighted in the editor.

use std::sync::Arc;

use leptos::prelude::*;
use lifecycle::decide::{CompiledPolicy, Decision, RequestBuf};

use crate::components::analysis::Analysis;
use crate::components::live_lint::span_range;
use crate::components::widgets::TableHead;
use crate::editor::EditorRange;

/// One simulated case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    /// Case id.
    pub case_id: String,
    /// Expected outcome, if the case states one.
    pub expected: Option<String>,
    /// Outcome under the current text.
    pub decision: String,
    /// Rule under the current text.
    pub rule_id: String,
    /// Outcome under the baseline (enforced) text, if there is one.
    pub baseline: Option<String>,
    /// Whether the case passes.
    pub passed: bool,
}

impl CaseRow {
    /// Whether the outcome differs from the baseline.
    pub fn flipped(&self) -> bool {
        self.baseline.as_ref().is_some_and(|b| *b != self.decision)
    }
}

/// The fixtures the simulator runs: CAVRA's six required cases, then `extra` cases whose ids
/// are not among them.
pub fn simulator_fixtures(extra: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let mut fixtures = lifecycle::dry_run::default_fixtures();
    let ids: Vec<String> = fixtures
        .iter()
        .enumerate()
        .map(|(i, f)| lifecycle::dry_run::case_id(f, i))
        .collect();
    for (index, fixture) in extra.iter().enumerate() {
        if !ids.contains(&lifecycle::dry_run::case_id(fixture, index)) {
            fixtures.push(fixture.clone());
        }
    }
    fixtures
}

/// Runs `fixtures` against `compiled` (and `baseline`, when given).
pub fn simulate(
    compiled: &CompiledPolicy,
    baseline: Option<&CompiledPolicy>,
    fixtures: &[serde_json::Value],
) -> Vec<CaseRow> {
    fixtures
        .iter()
        .enumerate()
        .map(|(index, fixture)| {
            let input = match fixture.get("input") {
                Some(input @ serde_json::Value::Object(_)) => input.clone(),
                _ => fixture.clone(),
            };
            let request = RequestBuf::from_json(&input);
            let decision = compiled.decide(&request.as_request());
            let expected = fixture
                .get("expected_decision")
                .and_then(|e| e.as_str())
                .map(str::to_owned);
            let outcome = decision.decision.as_str().to_owned();
            CaseRow {
                case_id: lifecycle::dry_run::case_id(fixture, index),
                passed: expected.as_deref().is_none_or(|e| e == outcome),
                expected,
                rule_id: decision.rule_id.as_str().to_owned(),
                baseline: baseline
                    .map(|b| b.decide(&request.as_request()).decision.as_str().to_owned()),
                decision: outcome,
            }
        })
        .collect()
}

/// The custom request of the form.
fn custom_request(
    action_type: &str,
    target: &str,
    operation: &str,
    server: &str,
    tool: &str,
) -> RequestBuf {
    let mut input = serde_json::Map::new();
    input.insert("action_type".into(), action_type.into());
    input.insert("target".into(), target.into());
    input.insert("requested_operation".into(), operation.into());
    if action_type == "mcp_tool_call" {
        if !server.is_empty() {
            input.insert("server".into(), server.into());
        }
        if !tool.is_empty() {
            input.insert("tool".into(), tool.into());
        }
    }
    RequestBuf::from_json(&serde_json::Value::Object(input))
}

const ACTION_TYPES: [&str; 5] = [
    "read_file",
    "write_file",
    "execute_command",
    "git_operation",
    "mcp_tool_call",
];

/// The simulator panel.
#[component]
pub fn Simulator(
    /// The editor's text.
    text: RwSignal<String>,
    /// Its analysis.
    analysis: Memo<Analysis>,
    /// The enforced (baseline) text to compare outcomes with, if any.
    #[prop(into)]
    baseline: Signal<Option<String>>,
    /// The pack's own cases (CAVRA fixtures), run after the six required ones.
    #[prop(into)]
    cases: Signal<Vec<serde_json::Value>>,
    /// Receives the matched pattern's range for the editor to highlight.
    highlight: WriteSignal<Option<EditorRange>>,
) -> AnyView {
    let fixtures = Memo::new(move |_| cases.with(|c| simulator_fixtures(c)));
    let baseline_policy = Memo::new(move |_| {
        baseline.with(|b| {
            b.as_deref().map(|text| {
                let parsed = lifecycle::model::parse_policy(text);
                BaselinePolicy(
                    parsed
                        .root
                        .as_ref()
                        .map(|root| Arc::new(CompiledPolicy::from_node(root))),
                )
            })
        })
    });
    let rows = Memo::new(move |_| {
        analysis.with(|a| {
            let compiled = a.compiled.as_deref()?;
            let baseline = baseline_policy.with(|b| b.as_ref().and_then(|b| b.0.clone()));
            Some(fixtures.with(|f| simulate(compiled, baseline.as_deref(), f)))
        })
    });

    let action_type = RwSignal::new("read_file".to_owned());
    let target = RwSignal::new(".env".to_owned());
    let operation = RwSignal::new("read".to_owned());
    let server = RwSignal::new(String::new());
    let tool = RwSignal::new(String::new());
    let custom = Memo::new(move |_| {
        let request = custom_request(
            &action_type.get(),
            &target.get(),
            &operation.get(),
            &server.get(),
            &tool.get(),
        );
        let before = baseline_policy.with(|b| {
            b.as_ref()
                .and_then(|b| b.0.as_ref())
                .map(|c| c.decide(&request.as_request()).decision.as_str().to_owned())
        });
        analysis.with(|a| {
            a.compiled.as_ref().map(|c| {
                let mut result = CustomResult::from_decision(&c.decide(&request.as_request()));
                result.baseline = before;
                result
            })
        })
    });
    // The matched pattern's span, converted against the text the policy was compiled from.
    Effect::new(move |_| {
        let span = custom.with(|c| c.as_ref().and_then(|c| c.span));
        let range = span.map(|span| text.with_untracked(|t| span_range(t, &span)));
        highlight.set(range);
    });

    let summary = move || {
        rows.with(|rows| match rows {
            None => "the text does not parse; fix the problems to simulate".to_owned(),
            Some(rows) => {
                let passed = rows.iter().filter(|r| r.passed).count();
                let flips = rows.iter().filter(|r| r.flipped()).count();
                format!(
                    "{passed} of {} cases pass · {flips} flip(s) against the enforced version",
                    rows.len()
                )
            }
        })
    };
    let table = move || {
        rows.with(|rows| {
            rows.iter()
                .flatten()
                .map(|row| {
                    let status = if row.passed { "pass" } else { "fail" };
                    let flip = if row.flipped() {
                        format!(
                            "{} → {}",
                            row.baseline.clone().unwrap_or_default(),
                            row.decision
                        )
                    } else {
                        String::new()
                    };
                    view! {
                        <tr class=format!("case case-{status}") data-case=row.case_id.clone()>
                            <td>{row.case_id.clone()}</td>
                            <td>{row.expected.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class="case-decision">{row.decision.clone()}</td>
                            <td><code>{row.rule_id.clone()}</code></td>
                            <td class="case-status">{status}</td>
                            <td class="case-flip">{flip}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section class="simulator" aria-labelledby="simulator-title">
            <h3 id="simulator-title">"Simulator"</h3>
            <p id="simulator-summary" aria-live="polite">{summary}</p>
            <table id="simulator-cases" class="cases">
                <TableHead columns={&["Case", "Expected", "Decision", "Rule", "Result", "Flip"]} />
                <tbody>{table}</tbody>
            </table>
            <form class="custom-request" on:submit=|ev| ev.prevent_default()>
                <fieldset>
                    <legend>"Custom request"</legend>
                    <label>
                        "Action type "
                        <select
                            id="sim-action"
                            prop:value=move || action_type.get()
                            on:change=move |ev| action_type.set(event_target_value(&ev))
                        >
                            {ACTION_TYPES
                                .iter()
                                .map(|a| view! { <option value=*a>{*a}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    {text_field("Target ", "sim-target", target)}
                    {text_field("Operation ", "sim-operation", operation)}
                    {text_field("MCP server ", "sim-server", server)}
                    {text_field("MCP tool ", "sim-tool", tool)}
                </fieldset>
                <dl id="sim-result" class="sim-result" aria-live="polite">
                    {move || {
                        custom
                            .get()
                            .map(|c| {
                                view! {
                                    <dt>"Decision"</dt>
                                    <dd id="sim-decision" class=format!("decision-{}", c.decision)>
                                        {c.decision.clone()}
                                    </dd>
                                    <dt>"Rule"</dt>
                                    <dd id="sim-rule"><code>{c.rule_id.clone()}</code></dd>
                                    <dt>"Severity"</dt>
                                    <dd id="sim-severity">{c.severity.clone()}</dd>
                                    <dt>"Reason"</dt>
                                    <dd id="sim-reason">{c.reason.clone()}</dd>
                                    <dt>"Enforced version"</dt>
                                    <dd id="sim-flip">
                                        {match &c.baseline {
                                            Some(b) if *b != c.decision => {
                                                format!("flip: {b} → {}", c.decision)
                                            }
                                            Some(b) => format!("same ({b})"),
                                            None => "—".to_owned(),
                                        }}
                                    </dd>
                                    <dt>"Matched pattern"</dt>
                                    <dd id="sim-pattern">
                                        <code>{c.pattern.clone().unwrap_or_else(|| "—".into())}</code>
                                        {c.span.map(|s| format!(" (line {})", s.line))}
                                    </dd>
                                }
                            })
                    }}
                </dl>
            </form>
        </section>
    }
    .into_any()
}

/// A labelled text input bound to `value`.
fn text_field(label: &'static str, id: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                id=id
                type="text"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

#[derive(Debug, Clone)]
struct BaselinePolicy(Option<Arc<CompiledPolicy>>);

impl PartialEq for BaselinePolicy {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// What the custom-request form shows.
#[derive(Debug, Clone, PartialEq)]
struct CustomResult {
    decision: String,
    rule_id: String,
    severity: String,
    reason: String,
    pattern: Option<String>,
    span: Option<lifecycle::value::Span>,
    baseline: Option<String>,
}

impl CustomResult {
    fn from_decision(decision: &Decision) -> CustomResult {
        CustomResult {
            decision: decision.decision.as_str().to_owned(),
            rule_id: decision.rule_id.as_str().to_owned(),
            severity: decision.severity.as_str().to_owned(),
            reason: decision.reason.to_string(),
            pattern: decision.matched_pattern.as_deref().map(str::to_owned),
            span: decision.pattern_span,
            baseline: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_cases_run_and_a_removed_allow_flips() {
        let before = "commands:\n  allow:\n    - \"terraform plan*\"\n";
        let after = "commands:\n  allow: []\n";
        let compile = |text: &str| {
            CompiledPolicy::from_node(&lifecycle::model::parse_policy(text).root.unwrap())
        };
        let rows = simulate(
            &compile(after),
            Some(&compile(before)),
            &simulator_fixtures(&[]),
        );
        assert_eq!(rows.len(), 6);
        let plan = rows
            .iter()
            .find(|r| r.case_id == "allow_terraform_plan")
            .unwrap();
        assert!(!plan.passed);
        assert!(plan.flipped());
        assert_eq!(plan.decision, "require_approval");
    }

    #[test]
    fn matched_pattern_has_its_span() {
        let text = "filesystem:\n  block_read:\n    - \".env\"\n";
        let compiled =
            CompiledPolicy::from_node(&lifecycle::model::parse_policy(text).root.unwrap());
        let request = custom_request("read_file", ".env", "read", "", "");
        let result = CustomResult::from_decision(&compiled.decide(&request.as_request()));
        assert_eq!(result.decision, "block");
        let range = span_range(text, &result.span.unwrap());
        assert_eq!(range.start_line_number, 3);
    }
}
