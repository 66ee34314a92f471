//! Server functions, grouped by area. Each runs on the server and is called from the browser.

pub mod counter;
