//! The pack page: drafts, versions, the diff viewer, approvals (approver picker and sign-off),
//! shadow mode with live counters, the promotion gate, the rollback picker and evidence.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use lifecycle::diff::SemanticDiff;

use crate::api::drafts::create_draft;
use crate::api::governance::{
    acknowledge, divergence, promote, request_approval, rollback, sign_off, start_shadow,
    stop_shadow,
};
use crate::api::packs::{load_pack, replay_version, version_detail, PackDetail};
use crate::api::ApiError;
use crate::backend::{
    Actor, ApprovalRequest, DivergenceSummary, GateReport, ReplaySummary, Role, Version,
};
use crate::components::diff_view::DiffView;
use crate::components::widgets::{go, short_digest, ActionStatus, ErrorNote, StatusLine};

/// The approver groups offered by the picker besides the pack's own.
const KNOWN_GROUPS: [&str; 2] = ["Platform Security", "Repository Owners"];

/// Runs a server call; on success reports `done` and reloads the page's data.
fn act<T, Fut>(
    status: ActionStatus,
    reload: RwSignal<u32>,
    done: impl Fn(&T) -> String + 'static,
    call: Fut,
) where
    T: 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(value) => {
                status.set(Some(Ok(done(&value))));
                reload.update(|n| *n += 1);
            }
            Err(error) => status.set(Some(Err(error))),
        }
    });
}

/// Renders its children only in the browser, after hydration. The panels with nested
/// client-fetched data (diff texts, what an approver signs) raced the streamed page otherwise.
#[component]
fn ClientOnly(children: ChildrenFn) -> AnyView {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    view! { <Show when=move || ready.get()>{children()}</Show> }.into_any()
}

/// `/packs/:pack`.
#[component]
pub fn PackPage() -> AnyView {
    let params = use_params_map();
    let pack_id = Memo::new(move |_| params.with(|p| p.get("pack").unwrap_or_default()));
    let reload = RwSignal::new(0u32);
    let status: ActionStatus = RwSignal::new(None);
    let detail = Resource::new(
        move || (pack_id.get(), reload.get()),
        |(id, _)| load_pack(id),
    );
    view! {
        <StatusLine status />
        <Transition fallback=|| view! { <p>"Loading the pack…"</p> }>
            {move || {
                detail
                    .get()
                    .map(|result| match result {
                        Ok(detail) => view! { <PackBody detail reload status /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    })
            }}
        </Transition>
    }
    .into_any()
}

fn can_author(actor: &Actor) -> bool {
    matches!(actor.role, Role::Author | Role::Admin)
}

#[component]
fn PackBody(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let author = can_author(&detail.actor);
    let enforced = detail.pack.enforced_digest.clone().unwrap_or_default();
    let new_draft = {
        let pack_id = pack_id.clone();
        move |_| {
            let pack_id = pack_id.clone();
            leptos::task::spawn_local(async move {
                match create_draft(pack_id, None).await {
                    Ok(draft) => go(&format!("/drafts/{}", draft.id)),
                    Err(error) => status.set(Some(Err(error))),
                }
            });
        }
    };
    let (for_diff, for_rollback) = (detail.clone(), detail.clone());
    let shadow_active = detail
        .pack
        .shadow
        .as_ref()
        .is_some_and(|s| s.stopped_at.is_none());

    view! {
        <section class="card">
            <h1>{detail.pack.title.clone()}</h1>
            <p>
                "Pack " <code>{pack_id.clone()}</code> " · enforced "
                <code id="enforced-digest" title=enforced.clone()>{enforced.clone()}</code>
                " · enforcement #" {detail.pack.enforced_seq}
            </p>
            <h2>"Drafts"</h2>
            <ul id="drafts">
                {detail
                    .drafts
                    .iter()
                    .map(|d| {
                        view! {
                            <li>
                                <a href=format!("/drafts/{}", d.id)>
                                    {format!("Draft {} (revision {}, {}, {})", d.id, d.revision, d.created_by, d.updated_at)}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {author.then(|| view! {
                <button id="new-draft" type="button" on:click=new_draft>"New draft from the enforced version"</button>
            })}
        </section>
        <Versions detail=detail.clone() reload status />
        <ClientOnly>
            <VersionDiff detail=for_diff.clone() />
            <Approvals detail=for_diff.clone() reload status />
        </ClientOnly>
        <ShadowPanel pack_id=pack_id.clone() active=shadow_active initial=detail.divergence.clone() reload status can_act=author />
        <GatePanel pack_id=pack_id.clone() gate=detail.gate.clone() reload status can_act=author />
        <ClientOnly>
            <RollbackPicker detail=for_rollback.clone() reload status />
        </ClientOnly>
        <Evidence detail />
    }
    .into_any()
}

#[component]
fn Versions(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let author = can_author(&detail.actor);
    let candidates: Vec<Version> = detail
        .versions
        .iter()
        .filter(|v| !v.enforced)
        .cloned()
        .collect();
    let chosen = RwSignal::new(detail.candidate.clone().unwrap_or_default());
    let kind = RwSignal::new("promotion".to_owned());
    let mut groups_offered: Vec<String> = detail.pack.approver_groups.clone();
    for g in KNOWN_GROUPS {
        if !groups_offered.iter().any(|x| x == g) {
            groups_offered.push(g.to_owned());
        }
    }
    let selected_groups = RwSignal::new(detail.pack.approver_groups.clone());
    let rows = detail
        .versions
        .iter()
        .map(|v| {
            let start = {
                let (pack_id, digest) = (pack_id.clone(), v.digest.clone());
                move |_| {
                    let (pack_id, digest) = (pack_id.clone(), digest.clone());
                    act(
                        status,
                        reload,
                        |run: &crate::backend::ShadowRun| {
                            format!("Shadow started for {}.", run.candidate_digest)
                        },
                        start_shadow(pack_id, digest),
                    );
                }
            };
            view! {
                <tr data-digest=v.digest.clone()>
                    <td><code title=v.digest.clone()>{short_digest(&v.digest)}</code></td>
                    <td>{v.author.clone()}</td>
                    <td>{v.created_at.clone()}</td>
                    <td>{format!("{} blockers, {} warnings", v.lint_blockers, v.lint_warnings)}</td>
                    <td>{if v.dry_run_passed { "passed" } else { "failed" }}</td>
                    <td>{if v.enforced { "enforced" } else { "" }}</td>
                    <td>
                        {(author && !v.enforced).then(|| view! {
                            <button type="button" class="start-shadow secondary" on:click=start>
                                "Start shadow"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let submit = {
        let pack_id = pack_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
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
        }
    };
    view! {
        <section class="card">
            <h2>"Versions"</h2>
            <table id="versions">
                <thead>
                    <tr>
                        <th scope="col">"Digest"</th>
                        <th scope="col">"Author"</th>
                        <th scope="col">"Published"</th>
                        <th scope="col">"Lint"</th>
                        <th scope="col">"Dry run"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Shadow"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {(author && !candidates.is_empty()).then(|| view! {
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
                            <legend>"Approver groups"</legend>
                            {groups_offered.into_iter().map(|group| {
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
                            }).collect_view()}
                        </fieldset>
                        <button id="request-approval" type="submit">"Request approval"</button>
                    </fieldset>
                </form>
            })}
        </section>
    }
    .into_any()
}

/// A text to compare: a version (fetched) or a draft (inline).
async fn source_of(detail: &PackDetail, key: &str) -> String {
    if let Some(id) = key.strip_prefix("d:") {
        return detail
            .drafts
            .iter()
            .find(|d| d.id.to_string() == id)
            .map(|d| d.source.clone())
            .unwrap_or_default();
    }
    let digest = key.strip_prefix("v:").unwrap_or(key);
    if digest.is_empty() {
        return String::new();
    }
    version_detail(detail.pack.id.clone(), digest.to_owned())
        .await
        .map(|v| v.source)
        .unwrap_or_default()
}

#[component]
fn VersionDiff(detail: PackDetail) -> AnyView {
    let enforced = detail.pack.enforced_digest.clone().unwrap_or_default();
    let left = RwSignal::new(format!("v:{enforced}"));
    let right = RwSignal::new(
        detail
            .candidate
            .clone()
            .map(|c| format!("v:{c}"))
            .or_else(|| detail.drafts.first().map(|d| format!("d:{}", d.id)))
            .unwrap_or_else(|| format!("v:{enforced}")),
    );
    let mut options: Vec<(String, String)> = detail
        .versions
        .iter()
        .map(|v| {
            let label = format!(
                "{}{} by {}",
                if v.enforced { "enforced " } else { "version " },
                short_digest(&v.digest),
                v.author
            );
            (format!("v:{}", v.digest), label)
        })
        .collect();
    options.extend(detail.drafts.iter().map(|d| {
        (
            format!("d:{}", d.id),
            format!("draft {} (revision {})", d.id, d.revision),
        )
    }));
    let stored = StoredValue::new(detail);
    // Client-only: nested server-rendered resources raced the streamed page during hydration.
    let texts = LocalResource::new(move || {
        let (l, r) = (left.get(), right.get());
        let detail = stored.get_value();
        async move { (source_of(&detail, &l).await, source_of(&detail, &r).await) }
    });
    let label_of = {
        let options = options.clone();
        move |key: String| {
            options
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, l)| l.clone())
                .unwrap_or(key)
        }
    };
    let select = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        let options = options.clone();
        view! {
            <label>
                {label} " "
                <select id=id prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                    {options.iter().map(|(k, l)| view! { <option value=k.clone()>{l.clone()}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let (label_left, label_right) = (label_of.clone(), label_of);
    let pack_id = stored.with_value(|d| d.pack.id.clone());
    view! {
        <section class="card" id="version-diff">
            <h2>"Compare versions"</h2>
            <div class="picker">
                {select("diff-left", "Left", left)}
                {select("diff-right", "Right", right)}
            </div>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    texts.get().map(|(l, r)| {
                        view! {
                            <DiffView
                                original=Signal::derive(move || l.clone())
                                modified=Signal::derive(move || r.clone())
                                original_label=label_left(left.get_untracked())
                                modified_label=label_right(right.get_untracked())
                            />
                        }
                    })
                }}
            </Transition>
            <ReplayPanel pack_id left right />
        </section>
    }
    .into_any()
}

/// Replays the pack's recorded decisions through the right-hand version, on the server, against
/// the left-hand version: what promoting it would have done to real traffic.
#[component]
fn ReplayPanel(pack_id: String, left: RwSignal<String>, right: RwSignal<String>) -> AnyView {
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
    let percent = |v: f64| format!("{:.1} %", v * 100.0);
    let signed = |v: f64| format!("{:+.1} pts", v * 100.0);
    view! {
        <div class="replay" id="replay">
            <h3>"Replay recorded traffic"</h3>
            <p class="muted">
                "Decides the pack's newest recorded decisions (up to "
                {crate::backend::DEFAULT_REPLAY_WINDOW.to_string()}
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
                            <thead>
                                <tr>
                                    <th scope="col">"Outcome"</th>
                                    <th scope="col">"Baseline"</th>
                                    <th scope="col">"Candidate"</th>
                                    <th scope="col">"Change"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <tr>
                                    <th scope="row">"allow"</th>
                                    <td>{percent(rates.baseline.allow)}</td>
                                    <td>{percent(rates.candidate.allow)}</td>
                                    <td>{signed(rates.change.allow)}</td>
                                </tr>
                                <tr>
                                    <th scope="row">"block"</th>
                                    <td>{percent(rates.baseline.block)}</td>
                                    <td>{percent(rates.candidate.block)}</td>
                                    <td>{signed(rates.change.block)}</td>
                                </tr>
                                <tr>
                                    <th scope="row">"require_approval (human load)"</th>
                                    <td>{percent(rates.baseline.require_approval)}</td>
                                    <td>{percent(rates.candidate.require_approval)}</td>
                                    <td>{signed(rates.change.require_approval)}</td>
                                </tr>
                            </tbody>
                        </table>
                        <table class="replay-flips">
                            <thead>
                                <tr>
                                    <th scope="col">"Flip"</th>
                                    <th scope="col">"Rule"</th>
                                    <th scope="col">"Count"</th>
                                    <th scope="col">"Example"</th>
                                </tr>
                            </thead>
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

#[component]
fn Approvals(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
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
    let open = !request.rejected && !request.pending_groups.is_empty();
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
                {request.rejected.then_some(" · rejected")}
            </p>
            <ul class="signoffs">
                {request.signoffs.iter().map(|s| view! {
                    <li>{format!("{} ({}) {}: {}", s.user, s.group, s.decision, s.comment)}</li>
                }).collect_view()}
            </ul>
            <Transition fallback=|| view! { <p>"Loading what you sign…"</p> }>
                {move || version.get().map(|result| match result {
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                    Ok(v) => {
                        let is_author = v.author == username;
                        let SemanticDiff { added, removed, changed } = v.semantic_diff.clone().unwrap_or_default();
                        let flips = v.decision_impact.as_ref().map_or(0, |impact| impact.flip_count);
                        let (approve, reject) = (approve.clone(), reject.clone());
                        let my_groups = my_groups.clone();
                        view! {
                            <div class="what-you-sign">
                                <p>
                                    "Digest " <code>{v.digest.clone()}</code> " · author " {v.author.clone()}
                                    {format!(" · dry run {} · lint {} blockers · {flips} decision flip(s) against {}",
                                        if v.dry_run_passed { "passed" } else { "failed" }, v.lint_blockers,
                                        v.diff_against.clone().map(|d| short_digest(&d)).unwrap_or_default())}
                                </p>
                                <p class="semantic">
                                    {format!("Added: {} · Removed: {} · Changed: {}",
                                        if added.is_empty() { "—".into() } else { added.join(", ") },
                                        if removed.is_empty() { "—".into() } else { removed.join(", ") },
                                        if changed.is_empty() { "—".into() } else { changed.join(", ") })}
                                </p>
                                {shadow_line.clone().map(|line| view! { <p>{line}</p> })}
                            </div>
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
                    }
                })}
            </Transition>
        </article>
    }
    .into_any()
}

/// Polled samples of a shadow run: (seconds since the page opened, decisions, divergences).
type Samples = Vec<(f64, i64, i64)>;

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

#[component]
fn ShadowPanel(
    pack_id: String,
    active: bool,
    initial: Option<DivergenceSummary>,
    reload: RwSignal<u32>,
    status: ActionStatus,
    can_act: bool,
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
                </dl>
                <table class="by-flip">
                    <caption>"Divergences per flip kind and rule"</caption>
                    <tbody>
                        {d.by_flip.iter().map(|(k, n)| view! { <tr><th scope="row">{k.clone()}</th><td>{*n}</td></tr> }).collect_view()}
                        {d.by_rule.iter().map(|(k, n)| view! { <tr><th scope="row"><code>{k.clone()}</code></th><td>{*n}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
            {move || samples.with(|s| (s.len() > 1).then(|| chart(s)))}
            {(can_act && active).then(|| view! {
                <div class="toolbar">
                    <button id="stop-shadow" type="button" class="secondary" on:click=stop>"Stop shadow"</button>
                    <button id="acknowledge" type="button" class="secondary" on:click=ack>"Acknowledge divergences"</button>
                </div>
            })}
            {(!active).then(|| view! { <p class="muted">"Start shadow from a version row above."</p> })}
        </section>
    }
    .into_any()
}

#[component]
fn GatePanel(
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
            |e: &crate::backend::Enforcement| {
                format!("Promoted {} (enforcement #{}).", e.digest, e.seq)
            },
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

#[component]
fn RollbackPicker(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
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
    let author = can_author(&detail.actor);
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
            |e: &crate::backend::Enforcement| {
                format!("Rolled back to {} (enforcement #{}).", e.digest, e.seq)
            },
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
                <thead><tr><th scope="col">"#"</th><th scope="col">"Digest"</th><th scope="col">"Action"</th><th scope="col">"Who"</th><th scope="col">"When"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>
                    {detail.history.iter().map(|h| view! {
                        <tr><td>{h.seq}</td><td><code title=h.digest.clone()>{short_digest(&h.digest)}</code></td><td>{h.action.clone()}</td><td>{h.actor.clone()}</td><td>{h.at.clone()}</td><td>{h.reason.clone()}</td></tr>
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

#[component]
fn Evidence(detail: PackDetail) -> AnyView {
    let readiness = detail.gate.clone();
    view! {
        <section class="card" id="evidence">
            <h2>"Evidence"</h2>
            {readiness.map(|gate| {
                let blockers: Vec<String> = gate.checks.iter().flat_map(|c| c.missing.iter().map(move |m| format!("{}: {m}", c.name))).collect();
                view! {
                    <p>"Readiness of " <code>{short_digest(&gate.digest)}</code> ": "
                        <strong id="readiness">{if gate.ready { "ready" } else { "blocked" }}</strong></p>
                    <ul class="blockers">{blockers.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}</ul>
                }
            })}
            <table id="evidence-list">
                <thead><tr><th scope="col">"Event"</th><th scope="col">"Digest"</th><th scope="col">"When"</th><th scope="col">"Packet"</th><th scope="col">"Validate with"</th></tr></thead>
                <tbody>
                    {detail.evidence.iter().map(|p| {
                        let command = format!("cavra policy lifecycle-readiness {} --require-live && cavra packet verify {}", p.file_name, p.file_name);
                        view! {
                            <tr data-event=p.event.clone()>
                                <td>{p.event.clone()}</td>
                                <td><code title=p.digest.clone()>{short_digest(&p.digest)}</code></td>
                                <td>{p.created_at.clone()}</td>
                                <td>
                                    <a class="evidence-download" href=format!("/api/evidence/{}/packet.json", p.id) download=p.file_name.clone()>
                                        {format!("Download {}", p.file_name)}
                                    </a>
                                    " · "
                                    <a href=format!("/api/evidence/{}/packet.json.sig", p.id)>"signature"</a>
                                </td>
                                <td>
                                    <label>
                                        <span class="visually-hidden">"CLI command"</span>
                                        <input class="cli-command" type="text" readonly value=command.clone() on:focus=|ev| {
                                            #[cfg(feature = "hydrate")]
                                            {
                                                use wasm_bindgen::JsCast;
                                                if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                                    input.select();
                                                }
                                            }
                                            #[cfg(not(feature = "hydrate"))]
                                            let _ = ev;
                                        } />
                                    </label>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}
