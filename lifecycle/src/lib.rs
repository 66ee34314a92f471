//! The policy-lifecycle domain: everything the product decides about a policy pack, as pure
//! functions over its text. The CLI, the server and the browser (compiled to WASM) all call this
//! crate, so they cannot disagree.
//!
//! The crate does no I/O and reads no clock: callers pass source text, time and references in.
#![warn(missing_docs)]
// Hostile policy text must never take the process down: no panicking shortcuts outside tests.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod decide;
pub mod diagnostic;
pub mod diff;
pub mod digest;
pub mod dry_run;
pub mod inherits;
pub mod invariants;
pub mod json;
pub mod lint;
pub mod model;
pub mod packet;
pub mod plan;
pub mod replay;
pub mod schema;
pub mod sections;
pub mod symbolic;
pub mod time;
pub mod value;
