//! The pack's heading, its enforced version and its drafts (with "new draft").

use leptos::prelude::*;

use crate::api::drafts::create_draft;
use crate::api::packs::PackDetail;
use crate::components::widgets::{go, ActionStatus};

/// Title, enforced digest and drafts.
#[component]
pub fn Overview(detail: PackDetail, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let author = detail.actor.can_author();
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
    view! {
        <section class="card">
            <h1>{detail.pack.title.clone()}</h1>
            <p>
                "Pack " <code>{pack_id}</code> " · enforced "
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
    }
    .into_any()
}
