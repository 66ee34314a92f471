//! The Monaco implementation of `app::editor::EditorBridge`: every wasm-bindgen call into
//! Monaco lives here, against the small ES module `monaco_bridge.js`.

use std::rc::Rc;

use app::editor::{EditorBridge, EditorHandle, EditorMarker};
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
}

/// Mounts Monaco editors; Monaco itself is loaded lazily from `/vs` on first use.
pub struct MonacoBridge;

struct MonacoHandle {
    editor: JsEditor,
    // Owned here so the JS change listener stays valid exactly as long as the editor.
    _on_change: Closure<dyn FnMut(String)>,
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
}
