//! The approver picker: request approval of a version. The pack's approval rule decides which
//! groups must sign (shown, not editable); the requester may only add reviewers.

use leptos::prelude::*;

use crate::api::governance::request_approval;
use crate::api::packs::PackDetail;
use crate::backend::{ApprovalRequest, Version};
use crate::components::widgets::{act, short_digest, ActionStatus};

/// Groups a requester may add besides the rule's.
const KNOWN_GROUPS: [&str; 2] = ["Platform Security", "Repository Owners"];

/// Requests approval of one of the versions that are not enforced.
#[component]
pub fn ApproverPicker(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let candidates: Vec<Version> = detail
        .versions
        .iter()
        .filter(|v| !v.enforced)
        .cloned()
        .collect();
    let chosen = RwSignal::new(detail.candidate.clone().unwrap_or_default());
    let kind = RwSignal::new("promotion".to_owned());
    let rule = detail.pack.approval_rule.clone();
    let required = {
        let rule = rule.clone();
        move || rule.for_kind(&kind.get()).to_vec()
    };
    let mut extra_offered: Vec<String> = KNOWN_GROUPS.iter().map(|g| (*g).to_owned()).collect();
    for g in &detail.actor.groups {
        if !extra_offered.contains(g) {
            extra_offered.push(g.clone());
        }
    }
    let selected_groups = RwSignal::new(Vec::<String>::new());
    let required_list = required.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act(
            status,
            reload,
            |r: &ApprovalRequest| {
                format!(
                    "Approval request {} opened for {}.",
                    r.id,
                    r.groups.join(", ")
                )
            },
            request_approval(
                pack_id.clone(),
                chosen.get_untracked(),
                kind.get_untracked(),
                selected_groups.get_untracked(),
            ),
        );
    };
    view! {
        <form id="approver-picker" class="picker" on:submit=submit>
            <fieldset>
                <legend>"Request approval"</legend>
                <label>
                    "Version "
                    <select id="approval-digest" on:change=move |ev| chosen.set(event_target_value(&ev)) prop:value=move || chosen.get()>
                        {candidates.iter().map(|v| view! {
                            <option value=v.digest.clone()>{format!("{} by {}", short_digest(&v.digest), v.author)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Kind "
                    <select id="approval-kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                        <option value="promotion">"promotion"</option>
                        <option value="rollback">"rollback"</option>
                    </select>
                </label>
                <fieldset class="groups">
                    <legend>"Required by the pack's rule"</legend>
                    <ul id="required-groups">
                        {move || required_list().into_iter().map(|g| view! {
                            <li class="required-group" data-group=g.group.clone()>
                                {format!("{} — {} approver{}", g.group, g.quorum, if g.quorum == 1 { "" } else { "s" })}
                            </li>
                        }).collect_view()}
                    </ul>
                    <p class="muted">{format!("Sign-offs count for {} hours. Only an admin can change the rule.", rule.ttl_hours)}</p>
                </fieldset>
                <fieldset class="groups">
                    <legend>"Add reviewers (optional)"</legend>
                    {move || {
                        let required: Vec<String> = required().into_iter().map(|g| g.group).collect();
                        let offered: Vec<String> = extra_offered.iter().filter(|g| !required.contains(g)).cloned().collect();
                        let none = offered.is_empty().then(|| view! { <p class="muted">"Every known group is already required."</p> });
                        (none, offered.into_iter().map(|group| {
                        let g1 = group.clone();
                        let g2 = group.clone();
                        view! {
                            <label>
                                <input
                                    type="checkbox"
                                    class="approver-group"
                                    value=group.clone()
                                    prop:checked=move || selected_groups.with(|s| s.contains(&g1))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        selected_groups.update(|s| {
                                            s.retain(|x| *x != g2);
                                            if on { s.push(g2.clone()); }
                                        });
                                    }
                                />
                                {group}
                            </label>
                        }
                    }).collect_view())}}
                </fieldset>
                <button id="request-approval" type="submit">"Request approval"</button>
            </fieldset>
        </form>
    }
    .into_any()
}
