//! The sign-in page.

use leptos::prelude::*;

use crate::api::session::login;
use crate::api::ApiError;
use crate::components::widgets::{go, ErrorNote};

/// Sign in with a username and password.
#[component]
pub fn LoginPage() -> AnyView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        leptos::task::spawn_local(async move {
            match login(username.get_untracked(), password.get_untracked()).await {
                Ok(_) => go("/packs"),
                Err(e) => {
                    error.set(Some(e));
                    pending.set(false);
                }
            }
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <form id="login-form" on:submit=submit data-hydrated=move || hydrated.get().to_string()>
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    required
                    prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev))
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <button id="sign-in" type="submit" disabled=move || !hydrated.get() || pending.get()>
                    "Sign in"
                </button>
            </form>
            {move || error.get().map(|error| view! { <ErrorNote error /> })}
        </section>
    }
    .into_any()
}
