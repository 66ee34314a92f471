//! Enforcement history and rollback to a known-good version, with a preview of the change.

use leptos::prelude::*;

use crate::api::governance::{request_approval, rollback};
use crate::api::packs::{version_detail, PackDetail};
use crate::backend::{ApprovalRequest, Enforcement};
use crate::components::diff_view::DiffView;
use crate::components::widgets::{act, ActionStatus, DigestCode, TableHead};

/// Enforcement history, the rollback targets, the preview diff and the rollback actions.
#[component]
pub fn RollbackPicker(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let enforced = detail.pack.enforced_digest.clone().unwrap_or_default();
    let mut targets: Vec<String> = Vec::new();
    for entry in detail.history.iter().rev() {
        if entry.digest != enforced && !targets.contains(&entry.digest) {
            targets.push(entry.digest.clone());
        }
    }
    let chosen = RwSignal::new(targets.first().cloned().unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let author = detail.actor.can_author();
    let sources = LocalResource::new({
        let (p, e) = (pack_id.clone(), enforced.clone());
        move || {
            let (p, e, c) = (p.clone(), e.clone(), chosen.get());
            async move {
                if c.is_empty() {
                    return None;
                }
                let current = version_detail(p.clone(), e).await.ok()?.source;
                let target = version_detail(p, c).await.ok()?.source;
                Some((current, target))
            }
        }
    });
    let request = {
        let pack_id = pack_id.clone();
        move |_| {
            act(
                status,
                reload,
                |r: &ApprovalRequest| format!("Rollback approval request {} opened.", r.id),
                request_approval(
                    pack_id.clone(),
                    chosen.get_untracked(),
                    "rollback".to_owned(),
                    Vec::new(),
                ),
            );
        }
    };
    let roll = move |_| {
        act(
            status,
            reload,
            |e: &Enforcement| format!("Rolled back to {} (enforcement #{}).", e.digest, e.seq),
            rollback(
                pack_id.clone(),
                chosen.get_untracked(),
                reason.get_untracked(),
            ),
        );
    };
    view! {
        <section class="card" id="rollback-picker">
            <h2>"Enforcement history and rollback"</h2>
            <table id="history">
                <TableHead columns={&["#", "Digest", "Action", "Who", "When", "Why"]} />
                <tbody>
                    {detail.history.iter().map(|h| view! {
                        <tr><td>{h.seq}</td><td><DigestCode digest=h.digest.clone() /></td><td>{h.action.clone()}</td><td>{h.actor.clone()}</td><td>{h.at.clone()}</td><td>{h.reason.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            {if targets.is_empty() {
                view! { <p class="muted">"No earlier version to roll back to."</p> }.into_any()
            } else {
                view! {
                    <fieldset>
                        <legend>"Roll back to a known-good version"</legend>
                        {targets.iter().map(|t| {
                            let (t1, t2) = (t.clone(), t.clone());
                            view! {
                                <label class="rollback-target">
                                    <input type="radio" name="rollback-target" value=t.clone()
                                        prop:checked=move || chosen.get() == t1
                                        on:change=move |_| chosen.set(t2.clone()) />
                                    <code>{t.clone()}</code>
                                </label>
                            }
                        }).collect_view()}
                        <label>
                            "Reason "
                            <input id="rollback-reason" type="text" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                        </label>
                        {author.then(|| view! {
                            <div class="toolbar">
                                <button id="request-rollback" type="button" class="secondary" on:click=request>"Request rollback approval"</button>
                                <button id="rollback" type="button" class="danger" on:click=roll>"Roll back"</button>
                            </div>
                        })}
                    </fieldset>
                    <Transition fallback=|| view! { <p>"Loading the preview…"</p> }>
                        {move || sources.get().flatten().map(|(current, target)| view! {
                            <DiffView
                                original=Signal::derive(move || current.clone())
                                modified=Signal::derive(move || target.clone())
                                original_label="enforced"
                                modified_label="rollback target"
                            />
                        })}
                    </Transition>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
