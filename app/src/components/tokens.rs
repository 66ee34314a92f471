//! Runtime tokens (admins, on the dashboard): list, create (the secret is shown once, here) and
//! revoke. The server checks the role, the name and the scope, and audits every change.

use leptos::prelude::*;

use crate::api::tokens::{create_token, list_tokens, revoke_token};
use crate::api::ApiError;
use crate::backend::{NewRuntimeToken, RuntimeToken};
use crate::components::widgets::{or_error_note, ErrorNote, TableHead};

/// Reads a comma- or newline-separated pack list (empty: every pack).
fn packs_of(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn scope_of(token: &RuntimeToken) -> String {
    match &token.packs {
        None => "every pack".to_owned(),
        Some(packs) => packs.join(", "),
    }
}

/// The panel.
#[component]
pub fn RuntimeTokens() -> AnyView {
    let reload = RwSignal::new(0u32);
    let tokens = Resource::new(move || reload.get(), |_| list_tokens());
    let name = RwSignal::new(String::new());
    let packs = RwSignal::new(String::new());
    // The token just created: its secret is shown until the next action.
    let created: RwSignal<Option<NewRuntimeToken>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, p) = (name.get_untracked(), packs_of(&packs.get_untracked()));
        leptos::task::spawn_local(async move {
            match create_token(n, p).await {
                Ok(token) => {
                    created.set(Some(token));
                    error.set(None);
                    name.set(String::new());
                    reload.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: i64| {
        leptos::task::spawn_local(async move {
            match revoke_token(id).await {
                Ok(_) => {
                    created.set(None);
                    error.set(None);
                    reload.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" id="runtime-tokens">
            <h2>"Runtime tokens"</h2>
            <p class="muted">"Agent runtimes call " <code>"/v1/decisions"</code> " with " <code>"Authorization: Bearer <token>"</code> ". Each decision is recorded under the runtime's name, and the shadow gate counts distinct runtimes. Creating and revoking are audited."</p>
            <form class="token-form" on:submit=create>
                <label>"Runtime name "
                    <input id="token-name" placeholder="ci-runner-eu" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label>"Packs (comma separated; empty: every pack) "
                    <input id="token-packs" prop:value=move || packs.get() on:input=move |ev| packs.set(event_target_value(&ev)) />
                </label>
                <button id="create-token" type="submit">"Create token"</button>
            </form>
            {move || error.get().map(|error| view! { <ErrorNote error /> })}
            {move || created.get().map(|token| view! {
                <div id="token-secret" class="token-secret" role="status">
                    <p>{format!("Token for `{}` — copy it now, it is not shown again:", token.token.name)}</p>
                    <pre><code>{token.secret.clone()}</code></pre>
                </div>
            })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || tokens.get().map(|result| or_error_note(result, move |list| view! {
                    <table id="tokens" class="tokens">
                        <TableHead columns={&["Runtime", "Scope", "Created", "State", ""]} />
                        <tbody>
                            {list.into_iter().map(|token| {
                                let id = token.id;
                                let active = token.revoked_at.is_none();
                                let state = match &token.revoked_at {
                                    None => "active".to_owned(),
                                    Some(at) => format!("revoked {at} by {}", token.revoked_by.clone().unwrap_or_default()),
                                };
                                view! {
                                    <tr data-token=id.to_string() data-runtime=token.name.clone()>
                                        <th scope="row">{token.name.clone()}</th>
                                        <td>{scope_of(&token)}</td>
                                        <td><small>{format!("{} by {}", token.created_at, token.created_by)}</small></td>
                                        <td class="token-state">{state}</td>
                                        <td>{active.then(|| view! {
                                            <button type="button" class="secondary revoke-token" on:click=move |_| revoke(id)>"Revoke"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()))}
            </Transition>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_lists_split_on_commas_and_lines() {
        assert_eq!(packs_of(" a, b\nc ,,"), ["a", "b", "c"]);
        assert!(packs_of("  ").is_empty());
    }
}
