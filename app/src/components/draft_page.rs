//! The draft editor page: Monaco with live lint, the simulator, the diff against the enforced
//! version, save with optimistic concurrency (Ctrl+S), publish, and the co-authors who may save
//! and publish it besides its author.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::drafts::{load_draft, publish_draft, save_draft, set_coauthors, DraftContext};
use crate::api::ApiError;
use crate::backend::{BackendError, Draft, Role};
use crate::components::analysis::analyse_with;
use crate::components::diff_view::DiffView;
use crate::components::policy_editor::PolicyEditor;
use crate::components::simulator::Simulator;
use crate::components::widgets::{or_error_note, short_digest, ActionStatus, StatusLine};

/// `/drafts/:id`.
#[component]
pub fn DraftPage() -> AnyView {
    let params = use_params_map();
    let draft_id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    });
    let context = Resource::new(move || draft_id.get(), load_draft);
    view! {
        <Suspense fallback=|| view! { <p>"Loading the draft…"</p> }>
            {move || {
                context.get().map(|result| {
                    or_error_note(result, |context| view! { <DraftEditor context /> }.into_any())
                })
            }}
        </Suspense>
    }
    .into_any()
}

/// The pack's own cases, recovered from the enforced version's dry-run report.
fn cases_of(context: &DraftContext) -> Vec<serde_json::Value> {
    context
        .enforced
        .as_ref()
        .and_then(|v| v.dry_run_report.as_ref())
        .map(|report| {
            report
                .results
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "case_id": r.case_id,
                        "input": r.input,
                        "expected_decision": r.expected_decision,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[component]
fn DraftEditor(context: DraftContext) -> AnyView {
    let draft_id = context.draft.id;
    let pack_id = context.draft.pack_id.clone();
    let text = RwSignal::new(context.draft.source.clone());
    let saved_text = RwSignal::new(context.draft.source.clone());
    let revision = RwSignal::new(context.draft.revision);
    let invariants = context.invariants.clone();
    let analysis = Memo::new(move |_| text.with(|t| analyse_with(t, &invariants)));
    let (highlight, set_highlight) = signal(None);
    let status: ActionStatus = RwSignal::new(None);
    let conflict = RwSignal::new(None::<Draft>);
    let saving = RwSignal::new(false);
    let dirty = Memo::new(move |_| text.with(|t| saved_text.with(|s| t != s)));
    let enforced_text = context.enforced.as_ref().map(|v| v.source.clone());
    let enforced_label = context
        .enforced
        .as_ref()
        .map(|v| format!("enforced {}", short_digest(&v.digest)))
        .unwrap_or_else(|| "empty".to_owned());
    let cases = cases_of(&context);

    let save = move |base: i64| {
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        let source = text.get_untracked();
        leptos::task::spawn_local(async move {
            match save_draft(draft_id, source.clone(), base).await {
                Ok(draft) => {
                    revision.set(draft.revision);
                    saved_text.set(source);
                    conflict.set(None);
                    status.set(Some(Ok(format!("Saved revision {}.", draft.revision))));
                }
                Err(ApiError::Backend(BackendError::Conflict { message, .. })) => {
                    // Show the other revision; keep the editor's text untouched.
                    match load_draft(draft_id).await {
                        Ok(theirs) => conflict.set(Some(theirs.draft)),
                        Err(error) => status.set(Some(Err(error))),
                    }
                    status.set(Some(Err(ApiError::Backend(BackendError::Conflict {
                        message: format!("{message}. Your text was not saved."),
                        current_revision: None,
                    }))));
                }
                Err(error) => status.set(Some(Err(error))),
            }
            saving.set(false);
        });
    };
    let on_save = Callback::new(move |()| save(revision.get_untracked()));

    #[cfg(feature = "hydrate")]
    {
        // Ctrl+S anywhere on the page saves (inside Monaco the editor's own command runs).
        let listener = window_event_listener(leptos::ev::keydown, move |ev| {
            if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("s") {
                ev.prevent_default();
                on_save.run(());
            }
        });
        on_cleanup(move || listener.remove());
    }

    let publish = move |_| {
        leptos::task::spawn_local(async move {
            match publish_draft(draft_id).await {
                Ok(version) => status.set(Some(Ok(format!(
                    "Published {} (dry run {}).",
                    version.digest,
                    if version.dry_run_passed {
                        "passed"
                    } else {
                        "failed"
                    }
                )))),
                Err(error) => status.set(Some(Err(error))),
            }
        });
    };

    let coauthors = RwSignal::new(context.draft.coauthors.clone());
    // Only the author or an admin manages the list (the service decides; this only hides the
    // control from everyone else).
    let can_manage =
        context.actor.username == context.draft.created_by || context.actor.role == Role::Admin;
    let coauthors_input = RwSignal::new(context.draft.coauthors.join(", "));
    let save_coauthors = move |_| {
        let names = coauthors_input.get_untracked();
        leptos::task::spawn_local(async move {
            match set_coauthors(draft_id, names).await {
                Ok(draft) => {
                    coauthors_input.set(draft.coauthors.join(", "));
                    let shown = if draft.coauthors.is_empty() {
                        "none".to_owned()
                    } else {
                        draft.coauthors.join(", ")
                    };
                    coauthors.set(draft.coauthors);
                    status.set(Some(Ok(format!("Co-authors: {shown}."))));
                }
                Err(error) => status.set(Some(Err(error))),
            }
        });
    };

    let baseline = enforced_text.clone();
    view! {
        <section class="card">
            <h1>
                "Draft " {draft_id} " of "
                <a href=format!("/packs/{pack_id}")>{pack_id.clone()}</a>
            </h1>
            <p class="draft-meta">
                "Revision " <span id="revision">{move || revision.get()}</span>
                " · by " {context.draft.created_by.clone()}
                " · based on " <code>{context.draft.base_digest.clone().map(|d| short_digest(&d)).unwrap_or_default()}</code>
                <span id="dirty" class="dirty">{move || if dirty.get() { " · unsaved changes" } else { "" }}</span>
            </p>
            <div id="coauthors" class="coauthors">
                "Co-authors (may save and publish): "
                <span id="coauthor-list">
                    {move || {
                        let names = coauthors.get();
                        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                    }}
                </span>
                {can_manage
                    .then(|| {
                        view! {
                            <form class="inline-form" on:submit=|ev| ev.prevent_default()>
                                <label for="coauthors-input">"User names"</label>
                                <input
                                    id="coauthors-input"
                                    type="text"
                                    placeholder="e.g. alice, bob"
                                    prop:value=move || coauthors_input.get()
                                    on:input=move |ev| coauthors_input.set(event_target_value(&ev))
                                />
                                <button id="set-coauthors" type="button" class="secondary" on:click=save_coauthors>
                                    "Set co-authors"
                                </button>
                            </form>
                        }
                    })}
            </div>
            <div class="toolbar" role="toolbar" aria-label="Draft actions">
                <button
                    id="save"
                    type="button"
                    aria-keyshortcuts="Control+S"
                    disabled=move || saving.get()
                    on:click=move |_| on_save.run(())
                >
                    "Save (Ctrl+S)"
                </button>
                <button
                    id="publish"
                    type="button"
                    class="secondary"
                    disabled=move || dirty.get()
                    title="Save first; publishing publishes the saved revision"
                    on:click=publish
                >
                    "Publish"
                </button>
            </div>
            <StatusLine status />
            {move || {
                conflict
                    .get()
                    .map(|theirs| {
                        let their_revision = theirs.revision;
                        let their_source = theirs.source.clone();
                        let load_source = theirs.source.clone();
                        view! {
                            <section id="conflict" class="conflict" role="alert">
                                <h2>"Someone saved this draft first"</h2>
                                <p>
                                    "Revision " <strong id="conflict-revision">{their_revision}</strong>
                                    " was saved by " {theirs.created_by.clone()} " at " {theirs.updated_at.clone()}
                                    ". Nothing was overwritten. Compare, then keep yours or load theirs."
                                </p>
                                <div class="toolbar">
                                    <button
                                        id="save-over"
                                        type="button"
                                        on:click=move |_| save(their_revision)
                                    >
                                        {format!("Keep mine and save over revision {their_revision}")}
                                    </button>
                                    <button
                                        id="load-theirs"
                                        type="button"
                                        class="secondary"
                                        on:click=move |_| {
                                            text.set(load_source.clone());
                                            saved_text.set(load_source.clone());
                                            revision.set(their_revision);
                                            conflict.set(None);
                                        }
                                    >
                                        "Load their revision"
                                    </button>
                                </div>
                                <DiffView
                                    original=Signal::derive(move || their_source.clone())
                                    modified=text
                                    original_label=format!("revision {their_revision}")
                                    modified_label="your text"
                                />
                            </section>
                        }
                    })
            }}
            <div class="workbench">
                <PolicyEditor text analysis highlight=highlight on_save />
                <Simulator
                    text
                    analysis
                    baseline=Signal::derive(move || baseline.clone())
                    cases=Signal::derive(move || cases.clone())
                    highlight=set_highlight
                />
            </div>
            <DiffView
                original=Signal::derive(move || enforced_text.clone().unwrap_or_default())
                modified=text
                original_label=enforced_label
                modified_label="draft"
            />
        </section>
    }
    .into_any()
}
