//! Approval requests of the pack, each with what an approver signs (fetched in the browser)
//! and the sign-off form for the groups the signed-in approver may sign for.

use leptos::prelude::*;
use lifecycle::diff::SemanticDiff;

use crate::api::governance::{sign_off, withdraw_signoff};
use crate::api::packs::{version_detail, PackDetail};
use crate::backend::{Actor, ApprovalRequest, DivergenceSummary, Version};
use crate::components::widgets::{act, or_error_note, short_digest, ActionStatus};

/// Every approval request, newest first.
#[component]
pub fn Approvals(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let cards = detail
        .approvals
        .iter()
        .map(|request| {
            view! {
                <ApprovalCard
                    request=request.clone()
                    pack_id=detail.pack.id.clone()
                    actor=detail.actor.clone()
                    divergence=detail.divergence.clone()
                    reload
                    status
                />
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Approvals"</h2>
            {detail.approvals.is_empty().then(|| view! { <p class="muted">"No approval requests."</p> })}
            <div id="approvals">{cards}</div>
        </section>
    }
    .into_any()
}

#[component]
fn ApprovalCard(
    request: ApprovalRequest,
    pack_id: String,
    actor: Actor,
    divergence: Option<DivergenceSummary>,
    reload: RwSignal<u32>,
    status: ActionStatus,
) -> AnyView {
    let request_id = request.id;
    let digest = request.digest.clone();
    let version = LocalResource::new({
        let (p, d) = (pack_id.clone(), digest.clone());
        move || version_detail(p.clone(), d.clone())
    });
    let my_groups: Vec<String> = request
        .pending_groups
        .iter()
        .filter(|g| actor.groups.contains(g))
        .cloned()
        .collect();
    let group = RwSignal::new(my_groups.first().cloned().unwrap_or_default());
    let comment = RwSignal::new(String::new());
    let open =
        !request.rejected && request.consumed_at.is_none() && !request.pending_groups.is_empty();
    let username = actor.username.clone();
    let decide = move |decision: &'static str| {
        let digest = digest.clone();
        move |_| {
            act(
                status,
                reload,
                move |r: &ApprovalRequest| {
                    format!(
                        "Signed ({decision}) request {}; pending: {}.",
                        r.id,
                        r.pending_groups.join(", ")
                    )
                },
                sign_off(
                    request_id,
                    group.get_untracked(),
                    digest.clone(),
                    decision.to_owned(),
                    comment.get_untracked(),
                ),
            );
        }
    };
    let approve = decide("approve");
    let reject = decide("reject");
    let shadow_line = divergence
        .filter(|d| d.shadow.candidate_digest == request.digest)
        .map(|d| {
            format!(
                "Shadow: {} decisions, {} divergences ({} unacknowledged) over {} s.",
                d.observations, d.divergences, d.unacknowledged, d.observed_secs
            )
        });
    view! {
        <article class="approval" data-request=request_id>
            <h3>{format!("Request {} · {} of ", request.id, request.kind)} <code>{request.digest.clone()}</code></h3>
            <p>
                {format!("Requested by {} at {} · groups: {} · pending: {}", request.requested_by, request.created_at, request.groups.join(", "),
                    if request.pending_groups.is_empty() { "none".to_owned() } else { request.pending_groups.join(", ") })}
            </p>
            {request.rejected.then(|| view! {
                <p class="blocked rejected-banner">"Rejected: this digest is blocked until the rejection is withdrawn by the approver or another member of their group. A new request does not clear it."</p>
            })}
            {request.consumed_at.clone().map(|at| view! {
                <p class="muted consumed">{format!("Used up at {at} by the change it approved; a new change needs a new request.")}</p>
            })}
            <ul class="signoffs">
                {request.signoffs.iter().map(|s| {
                    let signoff_id = s.id;
                    let may_withdraw = s.withdrawn.is_none()
                        && (s.user == actor.username
                            || (s.decision == "reject" && actor.groups.contains(&s.group)));
                    let withdraw = move |_| {
                        act(
                            status,
                            reload,
                            move |_: &ApprovalRequest| format!("Sign-off {signoff_id} withdrawn."),
                            withdraw_signoff(signoff_id, String::new()),
                        );
                    };
                    view! {
                        <li class="signoff" data-signoff=signoff_id data-decision=s.decision.clone()>
                            {format!("{} ({}) {}", s.user, s.group, s.decision)}
                            {(!s.comment.is_empty()).then(|| format!(": {}", s.comment))}
                            {s.withdrawn.as_ref().map(|w| view! {
                                <span class="muted withdrawn">{format!(" — withdrawn by {} at {}", w.user, w.at)}</span>
                            })}
                            {may_withdraw.then(|| view! {
                                <button type="button" class="signoff-withdraw" on:click=withdraw>"Withdraw"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Transition fallback=|| view! { <p>"Loading what you sign…"</p> }>
                {move || version.get().map(|result| or_error_note(result, |v| {
                        let is_author = v.author == username;
                        let (approve, reject) = (approve.clone(), reject.clone());
                        let my_groups = my_groups.clone();
                        view! {
                            {what_you_sign(&v, shadow_line.clone())}
                            {if is_author {
                                view! { <p class="muted own-version">"You authored this version, so you cannot sign it."</p> }.into_any()
                            } else if open && !my_groups.is_empty() {
                                view! {
                                    <form class="signoff" on:submit=|ev| ev.prevent_default()>
                                        <label>
                                            "Sign for "
                                            <select class="signoff-group" prop:value=move || group.get() on:change=move |ev| group.set(event_target_value(&ev))>
                                                {my_groups.iter().map(|g| view! { <option value=g.clone()>{g.clone()}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <label>
                                            "Comment "
                                            <textarea class="signoff-comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                                        </label>
                                        <button type="button" class="signoff-approve" on:click=approve>"Approve"</button>
                                        <button type="button" class="signoff-reject danger" on:click=reject>"Reject"</button>
                                    </form>
                                }.into_any()
                            } else {
                                ().into_any()
                            }}
                        }.into_any()
                }))}
            </Transition>
        </article>
    }
    .into_any()
}

/// The version an approver signs: digest, author, dry run, lint, decision flips, the semantic
/// diff and the shadow run's counters when it observed this digest.
fn what_you_sign(v: &Version, shadow_line: Option<String>) -> AnyView {
    let SemanticDiff {
        added,
        removed,
        changed,
    } = v.semantic_diff.clone().unwrap_or_default();
    let flips = v
        .decision_impact
        .as_ref()
        .map_or(0, |impact| impact.flip_count);
    let listed = |items: Vec<String>| {
        if items.is_empty() {
            "—".to_owned()
        } else {
            items.join(", ")
        }
    };
    view! {
        <div class="what-you-sign">
            <p>
                "Digest " <code>{v.digest.clone()}</code> " · author " {v.author.clone()}
                {format!(" · dry run {} · lint {} blockers · {flips} decision flip(s) against {}",
                    if v.dry_run_passed { "passed" } else { "failed" }, v.lint_blockers,
                    v.diff_against.clone().map(|d| short_digest(&d)).unwrap_or_default())}
            </p>
            <p class="semantic">
                {format!("Added: {} · Removed: {} · Changed: {}", listed(added), listed(removed), listed(changed))}
            </p>
            {shadow_line.map(|line| view! { <p>{line}</p> })}
        </div>
    }
    .into_any()
}
