//! Small shared pieces: digests, table headers, error notes, the action status and server
//! actions, client-only rendering, navigation, the session menu.

use std::future::Future;

use leptos::prelude::*;

use crate::api::session::{logout, whoami};
use crate::api::ApiError;

/// A digest shortened for tables (`sha256:` and 12 hex digits); the full one goes in `title`.
pub fn short_digest(digest: &str) -> String {
    digest.chars().take(19).collect()
}

/// A digest in a table cell: shortened, the full digest in `title`.
#[component]
pub fn DigestCode(digest: String) -> AnyView {
    view! { <code title=digest.clone()>{short_digest(&digest)}</code> }.into_any()
}

/// A table's header row: one column header per name.
#[component]
pub fn TableHead(columns: &'static [&'static str]) -> AnyView {
    view! {
        <thead>
            <tr>
                {columns
                    .iter()
                    .map(|column| view! { <th scope="col">{*column}</th> })
                    .collect_view()}
            </tr>
        </thead>
    }
    .into_any()
}

/// Shows a server function's error; offers sign-in when the session is missing.
#[component]
pub fn ErrorNote(error: ApiError) -> AnyView {
    let sign_in = error.is_unauthenticated();
    let details = error.details();
    view! {
        <div class="error-note" role="alert">
            <p>{error.to_string()}</p>
            <ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
            {sign_in.then(|| view! { <p><a href="/login">"Sign in"</a></p> })}
        </div>
    }
    .into_any()
}

/// A loaded server result: `ok` renders the value, an error shows as an [`ErrorNote`].
pub fn or_error_note<T>(result: Result<T, ApiError>, ok: impl FnOnce(T) -> AnyView) -> AnyView {
    match result {
        Ok(value) => ok(value),
        Err(error) => view! { <ErrorNote error /> }.into_any(),
    }
}

/// The outcome of the last action on a page.
pub type ActionStatus = RwSignal<Option<Result<String, ApiError>>>;

/// Shows an [`ActionStatus`].
#[component]
pub fn StatusLine(status: ActionStatus) -> AnyView {
    view! {
        <div id="action-status" class="action-status" role="status" aria-live="polite">
            {move || match status.get() {
                None => ().into_any(),
                Some(Ok(message)) => view! { <p class="ok">{message}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNote error /> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

/// Runs a server call from an event handler; on success shows `done` in `status` and bumps
/// `reload` so the page fetches its data again, on failure shows the error.
pub fn act<T, Fut>(
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

/// Renders its children only in the browser, after hydration. Panels with nested
/// client-fetched data (diff texts, what an approver signs) raced the streamed page otherwise.
#[component]
pub fn ClientOnly(children: ChildrenFn) -> AnyView {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    view! { <Show when=move || ready.get()>{children()}</Show> }.into_any()
}

/// A full page load of `path` (so the server renders it with the new session).
pub fn go(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The signed-in user and a sign-out button, or a sign-in link.
#[component]
pub fn SessionMenu() -> AnyView {
    let me = Resource::new(|| (), |_| whoami());
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = logout().await;
            go("/login");
        });
    };
    view! {
        <nav class="session" aria-label="Session">
            <a href="/packs">"Packs"</a>
            <Transition fallback=|| ()>
                {move || {
                    me.get()
                        .map(|result| match result {
                            Ok(Some(actor)) => {
                                view! {
                                    <span id="whoami">
                                        {format!("{} ({})", actor.username, actor.role.as_str())}
                                    </span>
                                    <button id="sign-out" type="button" on:click=sign_out>
                                        "Sign out"
                                    </button>
                                }
                                    .into_any()
                            }
                            _ => view! { <a id="sign-in-link" href="/login">"Sign in"</a> }.into_any(),
                        })
                }}
            </Transition>
        </nav>
    }
    .into_any()
}
