//! The promotion gate: every check of the candidate, "Promote" for authors, and break-glass for
//! admins (a reason is required; the server audits it and flags the packet).

use leptos::prelude::*;

use crate::api::governance::{break_glass, promote};
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
    is_admin: bool,
) -> AnyView {
    let Some(gate) = gate else {
        return view! {
            <section class="card" id="gate"><h2>"Promotion"</h2><p class="muted">"No candidate version."</p></section>
        }
        .into_any();
    };
    let digest = gate.digest.clone();
    let promote_now = {
        let (pack_id, digest) = (pack_id.clone(), digest.clone());
        move |_| {
            act(
                status,
                reload,
                |e: &Enforcement| format!("Promoted {} (enforcement #{}).", e.digest, e.seq),
                promote(pack_id.clone(), digest.clone()),
            );
        }
    };
    let reason = RwSignal::new(String::new());
    let break_now = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act(
            status,
            reload,
            |e: &Enforcement| {
                format!(
                    "Break-glass: enforced {} (enforcement #{}); recorded and flagged in the packet.",
                    e.digest, e.seq
                )
            },
            break_glass(
                pack_id.clone(),
                digest.clone(),
                "promote".to_owned(),
                reason.get_untracked(),
            ),
        );
    };
    let show_break_glass = is_admin && !gate.ready;
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
            {show_break_glass.then(|| view! {
                <details id="break-glass">
                    <summary>"Break glass (admins)"</summary>
                    <form on:submit=break_now>
                        <p class="muted">"Enforces this version without the approval and shadow checks; lint, the dry run and the invariants still apply. Audited, and flagged in the evidence packet."</p>
                        <label>
                            "Reason (at least 10 characters) "
                            <textarea id="break-glass-reason" required minlength="10" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                        </label>
                        <button id="break-glass-promote" type="submit" class="danger">"Promote without approvals"</button>
                    </form>
                </details>
            })}
        </section>
    }
    .into_any()
}
