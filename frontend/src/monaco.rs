//! The Monaco implementation of `app::editor::EditorBridge`: every wasm-bindgen call into
//! Monaco lives here, against the small ES module `monaco_bridge.js`.

use std::rc::Rc;

use app::editor::{DiffHandle, EditorBridge, EditorHandle, EditorMarker, EditorRange};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/monaco_bridge.js")]
extern "C" {
    /// The JS-side editor object; its methods wait for Monaco to finish loading.
    type JsEditor;

    #[wasm_bindgen(js_name = createEditor)]
    fn create_editor(
        element: &web_sys::HtmlElement,
        initial: &str,
        language: &str,
        on_change: &Closure<dyn FnMut(String)>,
    ) -> JsEditor;

    #[wasm_bindgen(method, js_name = setMarkers)]
    fn set_markers(this: &JsEditor, markers_json: &str);

    #[wasm_bindgen(method, js_name = revealLine)]
    fn reveal_line(this: &JsEditor, line: u32);

    #[wasm_bindgen(method, js_name = setValue)]
    fn set_value(this: &JsEditor, text: &str);

    /// `range_json` is an `EditorRange` as JSON, or empty to clear the highlight.
    #[wasm_bindgen(method, js_name = highlight)]
    fn highlight(this: &JsEditor, range_json: &str);

    #[wasm_bindgen(method, js_name = onSave)]
    fn on_save(this: &JsEditor, callback: &Closure<dyn FnMut()>);

    /// The JS-side diff editor object.
    type JsDiffEditor;

    #[wasm_bindgen(js_name = createDiffEditor)]
    fn create_diff_editor(
        element: &web_sys::HtmlElement,
        original: &str,
        modified: &str,
        language: &str,
    ) -> JsDiffEditor;

    #[wasm_bindgen(method, js_name = setTexts)]
    fn set_texts(this: &JsDiffEditor, original: &str, modified: &str);
}

/// Mounts Monaco editors; Monaco itself is loaded lazily from `/vs` on first use.
pub struct MonacoBridge;

struct MonacoHandle {
    editor: JsEditor,
    // Owned here so the JS change listener stays valid exactly as long as the editor.
    _on_change: Closure<dyn FnMut(String)>,
    // Keyboard-command callbacks, kept alive with the editor for the same reason.
    commands: std::cell::RefCell<Vec<Closure<dyn FnMut()>>>,
}

struct MonacoDiffHandle {
    editor: JsDiffEditor,
}

impl DiffHandle for MonacoDiffHandle {
    fn set_texts(&self, original: &str, modified: &str) {
        self.editor.set_texts(original, modified);
    }
}

impl EditorBridge for MonacoBridge {
    fn mount(
        &self,
        element: &web_sys::HtmlElement,
        initial: &str,
        language: &str,
        on_change: Box<dyn FnMut(String)>,
    ) -> Rc<dyn EditorHandle> {
        let on_change = Closure::wrap(on_change);
        let editor = create_editor(element, initial, language, &on_change);
        Rc::new(MonacoHandle {
            editor,
            _on_change: on_change,
            commands: std::cell::RefCell::new(Vec::new()),
        })
    }

    fn mount_diff(
        &self,
        element: &web_sys::HtmlElement,
        original: &str,
        modified: &str,
        language: &str,
    ) -> Rc<dyn DiffHandle> {
        Rc::new(MonacoDiffHandle {
            editor: create_diff_editor(element, original, modified, language),
        })
    }
}

impl EditorHandle for MonacoHandle {
    fn set_markers(&self, markers: &[EditorMarker]) {
        // JSON keeps the boundary to one string; a marker list is small.
        if let Ok(json) = serde_json::to_string(markers) {
            self.editor.set_markers(&json);
        }
    }

    fn reveal_line(&self, line: u32) {
        self.editor.reveal_line(line);
    }

    fn set_value(&self, text: &str) {
        self.editor.set_value(text);
    }

    fn highlight(&self, range: Option<EditorRange>) {
        let json = range
            .and_then(|range| serde_json::to_string(&range).ok())
            .unwrap_or_default();
        self.editor.highlight(&json);
    }

    fn on_save(&self, callback: Box<dyn FnMut()>) {
        let callback = Closure::wrap(callback);
        self.editor.on_save(&callback);
        self.commands.borrow_mut().push(callback);
    }
}
