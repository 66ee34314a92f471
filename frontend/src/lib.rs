//! The browser entry point: registers the Monaco bridge and hydrates the server-rendered page.
//!
//! On the host this crate is empty; everything lives behind `target_arch = "wasm32"`.

#[cfg(target_arch = "wasm32")]
mod monaco;

/// Called by the hydration script once the WASM module has loaded.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::editor::register_bridge(std::rc::Rc::new(monaco::MonacoBridge));
    leptos::mount::hydrate_body(app::App);
}
