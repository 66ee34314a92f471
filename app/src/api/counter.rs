//! The click counter that proves the whole path: browser (WASM) → server function → database.

use leptos::prelude::*;

/// The counter the home page shows.
pub const HOME_COUNTER: &str = "home.clicks";

/// Records one click and returns the stored total.
#[server]
pub async fn record_click() -> Result<i64, ServerFnError> {
    let backend = crate::backend::backend()?;
    backend
        .increment_counter(HOME_COUNTER)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// The stored total of clicks.
#[server]
pub async fn click_count() -> Result<i64, ServerFnError> {
    let backend = crate::backend::backend()?;
    backend
        .counter(HOME_COUNTER)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}
