//! The policy editor: Monaco in the browser, linted by the `lifecycle` crate (compiled to WASM)
//! on every change, with a problems panel and the live policy digest.

use leptos::prelude::*;

use crate::components::analysis::Analysis;
use crate::editor::EditorRange;

/// A YAML policy editor with live lint, a problems panel and the live digest.
///
/// `text` holds the current text (the editor writes it on every change; writing it from
/// outside replaces the editor's text); `analysis` must be derived from `text` with
/// [`crate::components::analysis::analyse`]. `highlight` marks a range (the simulator's
/// matched pattern); `on_save` runs on Ctrl+S. F8 / Shift+F8 move between problems (Monaco's
/// own marker navigation).
#[component]
pub fn PolicyEditor(
    /// The current text.
    text: RwSignal<String>,
    /// The analysis of `text`.
    analysis: Memo<Analysis>,
    /// A range to highlight and reveal.
    #[prop(optional, into)]
    highlight: Option<Signal<Option<EditorRange>>>,
    /// Runs on Ctrl+S / Cmd+S.
    #[prop(optional, into)]
    on_save: Option<Callback<()>>,
) -> AnyView {
    let initial = text.get_untracked();
    // Counted as Monaco counts lines: a trailing newline starts one more (empty) line.
    let line_count = Memo::new(move |_| text.with(|t| t.split('\n').count()));
    let lint = Memo::new(move |_| analysis.with(|a| a.lint.clone()));
    let container = NodeRef::<leptos::html::Div>::new();
    let (reveal, set_reveal) = signal(None::<(u32, u64)>);

    #[cfg(feature = "hydrate")]
    {
        use std::rc::Rc;

        use crate::editor::EditorHandle;

        let handle: StoredValue<Option<Rc<dyn EditorHandle>>, LocalStorage> =
            StoredValue::new_local(None);
        // The last text the editor reported, to tell outside writes from the editor's own.
        let from_editor = StoredValue::new_local(initial.clone());
        Effect::new(move |_| {
            if handle.with_value(Option::is_some) {
                return;
            }
            let (Some(element), Some(bridge)) = (container.get(), crate::editor::bridge()) else {
                return;
            };
            let mounted = bridge.mount(
                &element,
                &text.get_untracked(),
                "yaml",
                Box::new(move |new_text: String| {
                    from_editor.set_value(new_text.clone());
                    text.set(new_text);
                }),
            );
            if let Some(on_save) = on_save {
                mounted.on_save(Box::new(move || on_save.run(())));
            }
            handle.set_value(Some(mounted));
        });
        Effect::new(move |_| {
            let current = text.get();
            if from_editor.with_value(|last| *last != current) {
                from_editor.set_value(current.clone());
                handle.with_value(|h| {
                    if let Some(h) = h {
                        h.set_value(&current);
                    }
                });
            }
        });
        Effect::new(move |_| {
            let markers = lint.with(|l| l.markers.clone());
            handle.with_value(|h| {
                if let Some(h) = h {
                    h.set_markers(&markers);
                }
            });
        });
        Effect::new(move |_| {
            if let Some((line, _)) = reveal.get() {
                handle.with_value(|h| {
                    if let Some(h) = h {
                        h.reveal_line(line);
                    }
                });
            }
        });
        if let Some(highlight) = highlight {
            Effect::new(move |_| {
                let range = highlight.get();
                handle.with_value(|h| {
                    if let Some(h) = h {
                        h.highlight(range);
                    }
                });
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (reveal, highlight, on_save);

    let problems = move || {
        lint.with(|l| {
            l.diagnostics
                .iter()
                .enumerate()
                .map(|(index, diagnostic)| {
                    let line = diagnostic.span.map(|s| s.line).unwrap_or(1);
                    let column = diagnostic.span.map(|s| s.col).unwrap_or(1);
                    let severity = format!("{:?}", diagnostic.severity).to_lowercase();
                    let label = format!(
                        "{}:{} {} {}",
                        line, column, diagnostic.code, diagnostic.message
                    );
                    let nonce = index as u64;
                    view! {
                        <li class=format!("problem problem-{severity}")>
                            <button
                                type="button"
                                class="problem-jump"
                                title=diagnostic.help.clone().unwrap_or_default()
                                on:click=move |_| set_reveal.set(Some((line, nonce)))
                            >
                                {label}
                            </button>
                        </li>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <div class="editor-panel">
            <div
                id="editor"
                class="editor"
                node_ref=container
                role="region"
                aria-label="Policy editor (Ctrl+S saves, F8 goes to the next problem)"
            >
                <pre class="editor-fallback">{initial}</pre>
            </div>
            <p class="editor-status" aria-live="polite">
                <span id="line-count">{line_count}</span>
                " lines · "
                <span id="problem-count">{move || lint.with(|l| l.diagnostics.len())}</span>
                " problems · digest "
                <code id="digest">
                    {move || lint.with(|l| l.digest.clone().unwrap_or_else(|| "—".to_owned()))}
                </code>
            </p>
            <ul id="problems" class="problems" aria-label="Problems">
                {problems}
            </ul>
        </div>
    }
    .into_any()
}
