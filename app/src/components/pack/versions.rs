//! The versions table (start shadow from a row) and, for authors, the approver picker.

use leptos::prelude::*;

use super::approver_picker::ApproverPicker;
use crate::api::governance::start_shadow;
use crate::api::packs::PackDetail;
use crate::backend::ShadowRun;
use crate::components::widgets::{act, ActionStatus, DigestCode, TableHead};

/// Every version of the pack, newest first.
#[component]
pub fn Versions(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let author = detail.actor.can_author();
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
                        |run: &ShadowRun| format!("Shadow started for {}.", run.candidate_digest),
                        start_shadow(pack_id, digest),
                    );
                }
            };
            view! {
                <tr data-digest=v.digest.clone()>
                    <td><DigestCode digest=v.digest.clone() /></td>
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
    let has_candidates = detail.versions.iter().any(|v| !v.enforced);
    view! {
        <section class="card">
            <h2>"Versions"</h2>
            <table id="versions">
                <TableHead columns={&["Digest", "Author", "Published", "Lint", "Dry run", "State", "Shadow"]} />
                <tbody>{rows}</tbody>
            </table>
            {(author && has_candidates).then(|| view! { <ApproverPicker detail reload status /> })}
        </section>
    }
    .into_any()
}
