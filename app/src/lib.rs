//! The web application: Leptos components (rendered on the server, hydrated in the browser) and
//! the server functions they call.
//!
//! Boundary: this crate knows no SQL and no HTTP status codes. Server functions reach storage
//! through [`backend::Backend`], which the `server` crate implements; the browser reaches the
//! Monaco editor through [`editor::EditorBridge`], which the `frontend` crate implements.

pub mod api;
pub mod backend;
pub mod components;
pub mod editor;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The name of the built site bundle: `/pkg/cavra.js`, `/pkg/cavra_bg.wasm`, `/pkg/cavra.css`.
pub const OUTPUT_NAME: &str = "cavra";

/// The HTML document around the application, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application root: routes to every page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: `main[data-hydrated=true]` tells tests the page is live.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/cavra.css" />
        <Title text="CAVRA Policy Lifecycle" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"CAVRA Policy Lifecycle"</a>
                <components::widgets::SessionMenu />
            </header>
            <main data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=|| view! { <p class="not-found">"Page not found."</p> }>
                    <Route path=path!("") view=components::home::HomePage />
                    <Route path=path!("/login") view=components::login::LoginPage />
                    <Route path=path!("/packs") view=components::dashboard::DashboardPage />
                    <Route path=path!("/packs/:pack") view=components::pack::PackPage />
                    <Route path=path!("/drafts/:id") view=components::draft_page::DraftPage />
                </Routes>
            </main>
        </Router>
    }
}
