//! The policy editor: Monaco in the browser, with markers computed by Rust on every change.

use leptos::prelude::*;

use crate::editor::{EditorMarker, MarkerSeverity};

/// Computes the editor markers for a policy text.
///
/// This is the function the browser runs on every keystroke, so it must stay cheap.
pub fn lint_markers(text: &str) -> Vec<EditorMarker> {
    // YAML forbids tab characters in indentation; a tab anywhere at the start of a line is a
    // syntax error that PyYAML (and so CAVRA) rejects.
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let indent: String = line
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let tab = indent.find('\t')?;
            let line_number = u32::try_from(index + 1).ok()?;
            let column = u32::try_from(tab + 1).ok()?;
            Some(EditorMarker {
                start_line_number: line_number,
                start_column: column,
                end_line_number: line_number,
                end_column: column + 1,
                severity: MarkerSeverity::Error,
                message: "tab characters are not allowed in YAML indentation".to_owned(),
                code: "yaml-tab-indent".to_owned(),
            })
        })
        .collect()
}

/// A YAML policy editor showing live line and problem counts.
#[component]
pub fn PolicyEditor(
    /// The text the editor starts with.
    #[prop(into)]
    initial: String,
) -> impl IntoView {
    let (text, set_text) = signal(initial.clone());
    // Counted as Monaco counts lines: a trailing newline starts one more (empty) line.
    let line_count = Memo::new(move |_| text.with(|t| t.split('\n').count()));
    let markers = Memo::new(move |_| text.with(|t| lint_markers(t)));
    let container = NodeRef::<leptos::html::Div>::new();

    #[cfg(feature = "hydrate")]
    {
        use std::rc::Rc;

        use crate::editor::EditorHandle;

        let handle: StoredValue<Option<Rc<dyn EditorHandle>>, LocalStorage> =
            StoredValue::new_local(None);
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
                Box::new(move |new_text| set_text.set(new_text)),
            );
            handle.set_value(Some(mounted));
        });
        Effect::new(move |_| {
            let current = markers.get();
            handle.with_value(|h| {
                if let Some(h) = h {
                    h.set_markers(&current);
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_text;

    view! {
        <div class="editor-panel">
            <div id="editor" class="editor" node_ref=container>
                <pre class="editor-fallback">{initial}</pre>
            </div>
            <p class="editor-status">
                <span id="line-count">{line_count}</span>
                " lines · "
                <span id="problem-count">{move || markers.with(Vec::len)}</span>
                " problems"
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_indentation_gets_a_marker() {
        let markers = lint_markers("a:\n\t- b\n  c: d\n");
        assert_eq!(markers.len(), 1);
        assert_eq!(markers[0].start_line_number, 2);
        assert_eq!(markers[0].start_column, 1);
        assert!(lint_markers("a:\n  - b\n").is_empty());
    }
}
