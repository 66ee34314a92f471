//! The diff viewer: Monaco's diff editor between two texts, with the semantic diff and the
//! decision-impact flips computed in WASM by the `lifecycle` crate.

use leptos::prelude::*;
use lifecycle::diff::impact::{DecisionImpact, SideDecision};
use lifecycle::diff::{decision_impact, semantic_diff, SemanticDiff};

use crate::components::widgets::TableHead;

/// The semantic and decision-impact diff of two texts; `None` when either does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffReport {
    /// Added, removed and changed rules.
    pub semantic: SemanticDiff,
    /// Requests whose outcome flips (`None` for packs too large to probe live).
    pub impact: Option<DecisionImpact>,
}

/// Above this many lines (both sides together) the impact diff is not computed live.
pub const LIVE_IMPACT_MAX_LINES: usize = 4000;

/// Compares two policy texts.
pub fn compare(original: &str, modified: &str) -> Option<DiffReport> {
    let before = lifecycle::model::parse_value(original).ok()?;
    let after = lifecycle::model::parse_value(modified).ok()?;
    // The impact diff probes every pattern of both packs against both; past a few thousand
    // lines that no longer fits between keystrokes, so very large packs get the semantic diff
    // here and the impact diff from `cavra policy diff`.
    let impact = (original.lines().count() + modified.lines().count() <= LIVE_IMPACT_MAX_LINES)
        .then(|| decision_impact(&before, &after));
    Some(DiffReport {
        semantic: semantic_diff(&before, &after),
        impact,
    })
}

/// A signal that follows `source` once it has been quiet for `millis` (so a 10 000-rule pack
/// does not recompute the impact diff on every keystroke).
pub fn debounced(source: Signal<String>, millis: u64) -> ReadSignal<String> {
    let (value, set_value) = signal(source.get_untracked());
    #[cfg(feature = "hydrate")]
    {
        let pending: StoredValue<Option<TimeoutHandle>, LocalStorage> =
            StoredValue::new_local(None);
        Effect::new(move |_| {
            let next = source.get();
            if let Some(handle) = pending.try_update_value(Option::take).flatten() {
                handle.clear();
            }
            let handle = set_timeout_with_handle(
                move || set_value.set(next),
                std::time::Duration::from_millis(millis),
            )
            .ok();
            pending.set_value(handle);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_value, millis);
    value
}

/// Monaco's diff editor plus the semantic diff and the decision-impact flips.
#[component]
pub fn DiffView(
    /// The left side.
    #[prop(into)]
    original: Signal<String>,
    /// The right side.
    #[prop(into)]
    modified: Signal<String>,
    /// Label of the left side.
    #[prop(into)]
    original_label: Signal<String>,
    /// Label of the right side.
    #[prop(into)]
    modified_label: Signal<String>,
) -> AnyView {
    let settled = debounced(modified, 250);
    let report = Memo::new(move |_| original.with(|o| settled.with(|m| compare(o, m))));
    let container = NodeRef::<leptos::html::Div>::new();

    #[cfg(feature = "hydrate")]
    {
        use std::rc::Rc;

        use crate::editor::DiffHandle;

        let handle: StoredValue<Option<Rc<dyn DiffHandle>>, LocalStorage> =
            StoredValue::new_local(None);
        Effect::new(move |_| {
            let (left, right) = (original.get(), settled.get());
            if let Some(h) = handle.get_value() {
                h.set_texts(&left, &right);
                return;
            }
            let (Some(element), Some(bridge)) = (container.get(), crate::editor::bridge()) else {
                return;
            };
            handle.set_value(Some(bridge.mount_diff(&element, &left, &right, "yaml")));
        });
    }

    // One side of a flip: the deciding rule and the pattern it matched.
    let side = |decision: &SideDecision| {
        format!(
            "{} ({})",
            decision.rule_id.as_str(),
            decision.matched_pattern.as_deref().unwrap_or_default(),
        )
    };
    let list = |items: Vec<String>, class: &'static str| {
        items
            .into_iter()
            .map(|item| view! { <li class=class><code>{item}</code></li> })
            .collect_view()
    };

    view! {
        <section class="diff-view" aria-labelledby="diff-title">
            <h3 id="diff-title">
                "Diff: " {move || original_label.get()} " → " {move || modified_label.get()}
            </h3>
            <div id="diff-editor" class="diff-editor" node_ref=container role="region" aria-label="Text diff">
                <pre class="editor-fallback">
                    {original.with_untracked(|o| {
                        settled.with_untracked(|m| {
                            lifecycle::diff::unified_text_diff(o, m, "original", "modified")
                        })
                    })}
                </pre>
            </div>
            {move || match report.get() {
                None => view! { <p class="muted">"One side does not parse; no semantic diff."</p> }.into_any(),
                Some(report) => {
                    let semantic = report.semantic.clone();
                    let impact = report.impact.clone();
                    view! {
                        <div class="diff-columns">
                            <div id="semantic-diff">
                                <h4>"Semantic diff"</h4>
                                <p>
                                    {format!(
                                        "{} added · {} removed · {} changed",
                                        semantic.added.len(),
                                        semantic.removed.len(),
                                        semantic.changed.len(),
                                    )}
                                </p>
                                <ul class="semantic-list">
                                    {list(semantic.added, "added")}
                                    {list(semantic.removed, "removed")}
                                    {list(semantic.changed, "changed")}
                                </ul>
                            </div>
                            <div id="decision-impact">
                                <h4>"Decision impact"</h4>
                                {match impact {
                                    None => view! {
                                        <p id="impact-summary">
                                            "Too large to probe live; run `cavra policy diff`."
                                        </p>
                                    }
                                        .into_any(),
                                    Some(impact) => view! {
                                <p id="impact-summary">
                                    {format!(
                                        "{} of {} probe requests flip",
                                        impact.flip_count,
                                        impact.request_count,
                                    )}
                                </p>
                                <table class="flips">
                                    <TableHead columns={&["Flip", "Request", "Before", "After"]} />
                                    <tbody>
                                        {impact
                                            .flips
                                            .into_iter()
                                            .take(200)
                                            .map(|flip| {
                                                view! {
                                                    <tr class="flip">
                                                        <td>{flip.kind}</td>
                                                        <td>
                                                            <code>
                                                                {format!(
                                                                    "{} {}",
                                                                    flip.request.action_type,
                                                                    flip.request.target,
                                                                )}
                                                            </code>
                                                        </td>
                                                        <td>{side(&flip.before)}</td>
                                                        <td>{side(&flip.after)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                    }
                                        .into_any(),
                                }}
                            </div>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
    .into_any()
}
