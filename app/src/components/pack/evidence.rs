//! Evidence: readiness of the candidate and every signed packet, with download links and the
//! CLI command that validates it.

use leptos::prelude::*;

use crate::api::packs::PackDetail;
use crate::components::widgets::{short_digest, DigestCode, TableHead};

/// Readiness of the candidate and the signed packets with their CLI check.
#[component]
pub fn Evidence(detail: PackDetail) -> AnyView {
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
                <TableHead columns={&["Event", "Digest", "When", "Packet", "Validate with"]} />
                <tbody>
                    {detail.evidence.iter().map(|p| {
                        let command = format!("cavra policy lifecycle-readiness {} --require-live && cavra packet verify {}", p.file_name, p.file_name);
                        view! {
                            <tr data-event=p.event.clone()>
                                <td>{p.event.clone()}</td>
                                <td><DigestCode digest=p.digest.clone() /></td>
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
