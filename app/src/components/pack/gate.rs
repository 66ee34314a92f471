//! The promotion gate: every check of the candidate and, for authors, "Promote".

use leptos::prelude::*;

use crate::api::governance::promote;
use crate::backend::{Enforcement, GateReport};
use crate::components::widgets::{act, ActionStatus};

/// The promotion gate of the candidate, check by check, and "Promote".
#[component]
pub fn GatePanel(
    pack_id: String,
    gate: Option<GateReport>,
    reload: RwSignal<u32>,
    status: ActionStatus,
    can_act: bool,
) -> AnyView {
    let Some(gate) = gate else {
        return view! {
            <section class="card" id="gate"><h2>"Promotion"</h2><p class="muted">"No candidate version."</p></section>
        }
        .into_any();
    };
    let digest = gate.digest.clone();
    let promote_now = move |_| {
        act(
            status,
            reload,
            |e: &Enforcement| format!("Promoted {} (enforcement #{}).", e.digest, e.seq),
            promote(pack_id.clone(), digest.clone()),
        );
    };
    view! {
        <section class="card" id="gate">
            <h2>"Promotion gate"</h2>
            <p>
                "Candidate " <code>{gate.digest.clone()}</code> ": "
                <strong id="gate-ready">{if gate.ready { "ready" } else { "not ready" }}</strong>
            </p>
            <ul class="checks">
                {gate.checks.iter().map(|c| view! {
                    <li class=if c.passed { "check passed" } else { "check failed" } data-check=c.name.clone()>
                        {format!("{} {}", if c.passed { "✓" } else { "✗" }, c.name)}
                        <ul>{c.missing.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}</ul>
                    </li>
                }).collect_view()}
            </ul>
            {can_act.then(|| view! { <button id="promote" type="button" on:click=promote_now>"Promote"</button> })}
        </section>
    }
    .into_any()
}
