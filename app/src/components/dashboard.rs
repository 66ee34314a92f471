//! The dashboard: every pack with its enforced version, drafts, approvals, shadow and readiness.

use leptos::prelude::*;

use crate::api::packs::dashboard;
use crate::backend::Role;
use crate::components::tokens::RuntimeTokens;
use crate::components::widgets::{or_error_note, short_digest, DigestCode, TableHead};

/// The list of packs.
#[component]
pub fn DashboardPage() -> AnyView {
    let data = Resource::new(|| (), |_| dashboard());
    view! {
        <section class="card">
            <h1>"Policy packs"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    data.get()
                        .map(|result| or_error_note(result, |(actor, rows)| {
                                let admin = actor.role == Role::Admin;
                                view! {
                                    <table id="packs" class="packs">
                                        <TableHead columns={&["Pack", "Enforced", "Drafts", "Pending approvals", "Shadow", "Readiness"]} />
                                        <tbody>
                                            {rows
                                                .into_iter()
                                                .map(|row| {
                                                    let digest = row.pack.enforced_digest.clone().unwrap_or_default();
                                                    let shadow = match &row.pack.shadow {
                                                        Some(run) if run.stopped_at.is_none() => {
                                                            format!("on: {}", short_digest(&run.candidate_digest))
                                                        }
                                                        _ => "off".to_owned(),
                                                    };
                                                    let readiness = match (&row.candidate, &row.readiness) {
                                                        (Some(c), Some(gate)) if gate.ready => {
                                                            format!("{} ready", short_digest(c))
                                                        }
                                                        (Some(c), Some(gate)) => {
                                                            let missing: usize = gate.checks.iter().map(|c| c.missing.len()).sum();
                                                            format!("{}: {missing} blocker(s)", short_digest(c))
                                                        }
                                                        _ => "no candidate".to_owned(),
                                                    };
                                                    view! {
                                                        <tr data-pack=row.pack.id.clone()>
                                                            <th scope="row">
                                                                <a href=format!("/packs/{}", row.pack.id)>{row.pack.title.clone()}</a>
                                                                <br />
                                                                <small>{row.pack.id.clone()}</small>
                                                            </th>
                                                            <td>
                                                                <DigestCode digest />
                                                                <br />
                                                                <small>{row.pack.enforced_at.clone().unwrap_or_default()}</small>
                                                            </td>
                                                            <td>{row.drafts}</td>
                                                            <td>{row.pending_approvals}</td>
                                                            <td>{shadow}</td>
                                                            <td>{readiness}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                    {admin.then(|| view! { <RuntimeTokens /> })}
                                }
                                    .into_any()
                        }))
                }}
            </Transition>
        </section>
    }
    .into_any()
}
