//! The home page: a scratch editor that proves SSR, hydration and the WASM editor path.

use leptos::prelude::*;

use crate::components::analysis::analyse;
use crate::components::diff_view::DiffView;
use crate::components::policy_editor::PolicyEditor;
use crate::components::simulator::Simulator;

/// A small policy pack shown in the editor on the home page.
const SAMPLE_POLICY: &str = "\
metadata:
  id: cavra-starter
  title: Starter policy
  description: A first policy pack.
  version: 0.1.0
filesystem:
  block_read:
    - \".env\"
commands:
  allow:
    - \"pytest*\"
";

/// The landing page.
#[component]
pub fn HomePage() -> AnyView {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser, so this flips once hydration has happened.
    Effect::new(move |_| set_hydrated.set(true));

    let text = RwSignal::new(SAMPLE_POLICY.to_owned());
    let analysis = Memo::new(move |_| text.with(|t| analyse(t)));
    let (highlight, set_highlight) = signal(None);

    view! {
        <section class="card">
            <h1>"Policy lifecycle workspace"</h1>
            <p>
                "Status: "
                <span id="status" data-hydrated=move || hydrated.get().to_string()>
                    {move || if hydrated.get() { "hydrated" } else { "server-rendered" }}
                </span>
            </p>
        </section>
        <section class="card">
            <h2>"Policy editor"</h2>
            <p class="muted">
                "A scratch pad: lint, digest, simulator and diff run in your browser. "
                <a href="/packs">"Sign in to edit real packs."</a>
            </p>
            <div class="workbench">
                <PolicyEditor text analysis highlight=highlight />
                <Simulator
                    text
                    analysis
                    baseline=Signal::derive(|| Some(SAMPLE_POLICY.to_owned()))
                    cases=Signal::derive(Vec::new)
                    highlight=set_highlight
                />
            </div>
            <DiffView
                original=Signal::derive(|| SAMPLE_POLICY.to_owned())
                modified=text
                original_label="sample"
                modified_label="editor"
            />
        </section>
    }
    .into_any()
}
