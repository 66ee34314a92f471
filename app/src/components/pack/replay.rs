//! Replays the pack's recorded decisions through the right-hand version of the diff, on the
//! server, against the left-hand version: what promoting it would have done to real traffic.

use leptos::prelude::*;
use lifecycle::replay::OutcomeRates;

use crate::api::packs::replay_version;
use crate::api::ApiError;
use crate::backend::{ReplayRates, ReplaySummary, DEFAULT_REPLAY_WINDOW};
use crate::components::widgets::TableHead;

/// The replay button and its result: outcome shares and the flips by kind and rule.
#[component]
pub fn ReplayPanel(pack_id: String, left: RwSignal<String>, right: RwSignal<String>) -> AnyView {
    let version = |key: String| key.strip_prefix("v:").map(str::to_owned);
    let result: RwSignal<Option<Result<ReplaySummary, ApiError>>> = RwSignal::new(None);
    let running = RwSignal::new(false);
    // A new pair of sides makes an old answer misleading.
    Effect::new(move |_| {
        let _ = (left.get(), right.get());
        result.set(None);
    });
    let run = move |_| {
        let (Some(digest), baseline) = (version(right.get()), version(left.get())) else {
            return;
        };
        let pack_id = pack_id.clone();
        running.set(true);
        leptos::task::spawn_local(async move {
            let answer = replay_version(pack_id, digest, baseline).await;
            result.set(Some(answer));
            running.set(false);
        });
    };
    view! {
        <div class="replay" id="replay">
            <h3>"Replay recorded traffic"</h3>
            <p class="muted">
                "Decides the pack's newest recorded decisions (up to "
                {DEFAULT_REPLAY_WINDOW.to_string()}
                ") under the right-hand version and compares them with the left-hand one."
            </p>
            <button
                id="replay-run"
                on:click=run
                disabled=move || running.get() || version(right.get()).is_none()
            >
                {move || if running.get() { "Replaying…" } else { "Replay against the decision log" }}
            </button>
            {move || match result.get() {
                None => ().into_any(),
                Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                Some(Ok(summary)) => {
                    let report = summary.report.clone();
                    let rates = summary.rates.clone();
                    view! {
                        <p id="replay-summary">
                            {format!(
                                "{} decisions replayed: {} change outcome, {} change rule only",
                                report.decisions, report.flips, report.rule_changes,
                            )}
                        </p>
                        <table class="replay-rates">
                            <TableHead columns={&["Outcome", "Baseline", "Candidate", "Change"]} />
                            <tbody>
                                {rate_row(&rates, "allow", |r| r.allow)}
                                {rate_row(&rates, "block", |r| r.block)}
                                {rate_row(&rates, "require_approval (human load)", |r| r.require_approval)}
                            </tbody>
                        </table>
                        <table class="replay-flips">
                            <TableHead columns={&["Flip", "Rule", "Count", "Example"]} />
                            <tbody>
                                {report
                                    .groups
                                    .into_iter()
                                    .take(50)
                                    .map(|group| {
                                        let example = group
                                            .examples
                                            .first()
                                            .map(|e| e.input.to_string())
                                            .unwrap_or_default();
                                        view! {
                                            <tr class="replay-flip">
                                                <td>{group.kind}</td>
                                                <td>{format!("{} → {}", group.from_rule, group.to_rule)}</td>
                                                <td>{group.count.to_string()}</td>
                                                <td><code>{example}</code></td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }
            }}
        </div>
    }
    .into_any()
}

/// One outcome's share under the baseline and the candidate, and the change in points.
fn rate_row(
    rates: &ReplayRates,
    outcome: &'static str,
    share: fn(&OutcomeRates) -> f64,
) -> AnyView {
    let percent = |v: f64| format!("{:.1} %", v * 100.0);
    view! {
        <tr>
            <th scope="row">{outcome}</th>
            <td>{percent(share(&rates.baseline))}</td>
            <td>{percent(share(&rates.candidate))}</td>
            <td>{format!("{:+.1} pts", share(&rates.change) * 100.0)}</td>
        </tr>
    }
    .into_any()
}
