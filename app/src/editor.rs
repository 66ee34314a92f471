//! The code-editor port: what components need from an editor, independent of Monaco.
//!
//! The `frontend` crate registers a Monaco implementation with [`register_bridge`] before it
//! hydrates; on the server nothing is registered and editors render as plain text.

use serde::{Deserialize, Serialize};

/// How serious a marker is; maps onto Monaco's `MarkerSeverity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkerSeverity {
    /// Blocks the change (red squiggle).
    Error,
    /// Worth a look (yellow squiggle).
    Warning,
    /// A hint.
    Info,
}

/// One squiggle in the editor. Lines and columns are 1-based, columns in UTF-16 units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorMarker {
    /// Start line.
    pub start_line_number: u32,
    /// Start column.
    pub start_column: u32,
    /// End line.
    pub end_line_number: u32,
    /// End column (exclusive).
    pub end_column: u32,
    /// Severity.
    pub severity: MarkerSeverity,
    /// Message shown on hover.
    pub message: String,
    /// Stable rule code, shown beside the message.
    pub code: String,
}

/// A text range in the editor. Lines and columns are 1-based, columns in UTF-16 units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorRange {
    /// Start line.
    pub start_line_number: u32,
    /// Start column.
    pub start_column: u32,
    /// End line.
    pub end_line_number: u32,
    /// End column (exclusive).
    pub end_column: u32,
}

/// A mounted editor.
pub trait EditorHandle {
    /// Replaces this editor's markers (owner `cavra-lint`).
    fn set_markers(&self, markers: &[EditorMarker]);
    /// Moves the cursor to a line and scrolls it into view.
    fn reveal_line(&self, line: u32);
    /// Replaces the whole text.
    fn set_value(&self, text: &str);
    /// Highlights one range (the matched pattern) and scrolls it into view; `None` clears it.
    fn highlight(&self, range: Option<EditorRange>);
    /// Runs `callback` on Ctrl+S / Cmd+S inside the editor.
    fn on_save(&self, callback: Box<dyn FnMut()>);
}

/// A mounted side-by-side diff editor (read only).
pub trait DiffHandle {
    /// Replaces both sides.
    fn set_texts(&self, original: &str, modified: &str);
}

/// Mounts editors into elements.
pub trait EditorBridge {
    /// Mounts an editor into `element` showing `initial`; `on_change` gets the full text after
    /// every edit. The editor may finish loading later; calls on the handle wait for it.
    #[cfg(feature = "hydrate")]
    fn mount(
        &self,
        element: &web_sys::HtmlElement,
        initial: &str,
        language: &str,
        on_change: Box<dyn FnMut(String)>,
    ) -> std::rc::Rc<dyn EditorHandle>;

    /// Mounts a read-only diff editor into `element` comparing `original` with `modified`.
    #[cfg(feature = "hydrate")]
    fn mount_diff(
        &self,
        element: &web_sys::HtmlElement,
        original: &str,
        modified: &str,
        language: &str,
    ) -> std::rc::Rc<dyn DiffHandle>;
}

#[cfg(feature = "hydrate")]
thread_local! {
    static BRIDGE: std::cell::RefCell<Option<std::rc::Rc<dyn EditorBridge>>> =
        const { std::cell::RefCell::new(None) };
}

/// Registers the editor implementation; the browser entry point calls this before hydrating.
#[cfg(feature = "hydrate")]
pub fn register_bridge(bridge: std::rc::Rc<dyn EditorBridge>) {
    BRIDGE.with(|slot| *slot.borrow_mut() = Some(bridge));
}

/// The registered editor implementation, if any.
#[cfg(feature = "hydrate")]
pub fn bridge() -> Option<std::rc::Rc<dyn EditorBridge>> {
    BRIDGE.with(|slot| slot.borrow().clone())
}
