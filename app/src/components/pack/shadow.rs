//! Shadow mode: the candidate evaluated beside the enforced version, with live counters, a
//! chart of decisions and divergences, stop and acknowledge.

use leptos::prelude::*;

use crate::api::governance::{acknowledge, divergence, stop_shadow};
use crate::backend::DivergenceSummary;
use crate::components::widgets::{act, short_digest, ActionStatus};

/// Polled samples of a shadow run: (seconds since the page opened, decisions, divergences).
type Samples = Vec<(f64, i64, i64)>;

/// Decisions and divergences over time as two polylines.
fn chart(samples: &Samples) -> AnyView {
    let (width, height) = (480.0_f64, 120.0_f64);
    let max_t = samples.last().map(|s| s.0).unwrap_or(1.0).max(1.0);
    let max_y = samples.iter().map(|s| s.1).max().unwrap_or(1).max(1) as f64;
    let line = |pick: fn(&(f64, i64, i64)) -> i64| {
        samples
            .iter()
            .map(|s| {
                format!(
                    "{:.1},{:.1}",
                    s.0 / max_t * width,
                    height - pick(s) as f64 / max_y * height
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    view! {
        <svg id="shadow-chart" class="chart" viewBox=format!("0 0 {width} {height}") role="img"
            aria-label="Decisions and divergences over time">
            <polyline class="decisions" fill="none" points=line(|s| s.1) />
            <polyline class="divergences" fill="none" points=line(|s| s.2) />
        </svg>
        <p class="legend"><span class="key decisions">"decisions"</span> " " <span class="key divergences">"divergences"</span></p>
    }
    .into_any()
}

/// Shadow state, live counters (polled every second in the browser), the chart, stop and
/// acknowledge.
#[component]
pub fn ShadowPanel(
    pack_id: String,
    active: bool,
    initial: Option<DivergenceSummary>,
    reload: RwSignal<u32>,
    status: ActionStatus,
    can_act: bool,
    // Acknowledging waives a gate criterion: reviewers only (the server enforces it too).
    can_review: bool,
) -> AnyView {
    let summary = RwSignal::new(initial);
    let samples = RwSignal::new(Samples::new());
    #[cfg(feature = "hydrate")]
    {
        let started = js_sys::Date::now();
        let pack = pack_id.clone();
        if active {
            let poll = move || {
                let pack = pack.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(Some(d)) = divergence(pack).await {
                        let t = (js_sys::Date::now() - started) / 1000.0;
                        samples.update(|s| s.push((t, d.observations, d.divergences)));
                        summary.set(Some(d));
                    }
                });
            };
            poll();
            if let Ok(handle) =
                set_interval_with_handle(poll, std::time::Duration::from_millis(1000))
            {
                on_cleanup(move || handle.clear());
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (divergence, samples);
    let stop = {
        let pack_id = pack_id.clone();
        move |_| {
            act(
                status,
                reload,
                |_| "Shadow stopped.".to_owned(),
                stop_shadow(pack_id.clone()),
            )
        }
    };
    let ack = {
        let pack_id = pack_id.clone();
        move |_| {
            act(
                status,
                reload,
                |d: &DivergenceSummary| {
                    format!("Acknowledged; {} unacknowledged.", d.unacknowledged)
                },
                acknowledge(pack_id.clone()),
            )
        }
    };
    view! {
        <section class="card" id="shadow">
            <h2>"Shadow mode"</h2>
            <p id="shadow-state">
                {if active { "on" } else { "off" }}
                {move || summary.with(|s| s.as_ref().map(|d| format!(": candidate {} against {}", short_digest(&d.shadow.candidate_digest), short_digest(&d.shadow.enforced_digest))))}
            </p>
            {move || summary.get().map(|d| view! {
                <dl class="counters">
                    <dt>"Decisions"</dt><dd id="shadow-observations">{d.observations}</dd>
                    <dt>"Divergences"</dt><dd id="shadow-divergences">{d.divergences}</dd>
                    <dt>"Unacknowledged"</dt><dd id="shadow-unacknowledged">{d.unacknowledged}</dd>
                    <dt>"Observed"</dt><dd>{format!("{} s", d.observed_secs)}</dd>
                    <dt>"Runtimes"</dt><dd id="shadow-runtimes">{d.by_runtime.len()}</dd>
                    <dt>"Traffic span"</dt><dd>{format!("{} s", d.traffic_secs)}</dd>
                </dl>
                <table id="shadow-by-runtime" class="by-runtime">
                    <caption>"Per runtime (only token-authenticated decisions count)"</caption>
                    <thead><tr><th scope="col">"Runtime"</th><th scope="col">"Decisions"</th><th scope="col">"Divergences"</th><th scope="col">"Unacknowledged"</th></tr></thead>
                    <tbody>
                        {d.by_runtime.iter().map(|r| view! {
                            <tr data-runtime=r.runtime.clone()><th scope="row">{r.runtime.clone()}</th><td>{r.observations}</td><td>{r.divergences}</td><td>{r.unacknowledged}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {(d.unauthenticated > 0).then(|| view! {
                    <p class="muted">{format!("{} observation(s) without a runtime token (recorded before tokens were required) are not counted.", d.unauthenticated)}</p>
                })}
                <table class="by-flip">
                    <caption>"Divergences per flip kind and rule"</caption>
                    <tbody>
                        {d.by_flip.iter().map(|(k, n)| view! { <tr><th scope="row">{k.clone()}</th><td>{*n}</td></tr> }).collect_view()}
                        {d.by_rule.iter().map(|(k, n)| view! { <tr><th scope="row"><code>{k.clone()}</code></th><td>{*n}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
            {move || samples.with(|s| (s.len() > 1).then(|| chart(s)))}
            {((can_act || can_review) && active).then(|| view! {
                <div class="toolbar">
                    {can_act.then(|| view! { <button id="stop-shadow" type="button" class="secondary" on:click=stop>"Stop shadow"</button> })}
                    {can_review.then(|| view! { <button id="acknowledge" type="button" class="secondary" on:click=ack>"Acknowledge divergences"</button> })}
                </div>
            })}
            {(!active).then(|| view! { <p class="muted">"Start shadow from a version row above."</p> })}
        </section>
    }
    .into_any()
}
