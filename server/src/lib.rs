//! The `cavra` binary's library: configuration, storage, the web server and the CLI.
//!
//! Boundary: this is the only crate that knows SQL, HTTP status codes and exit codes.

pub mod cli;
pub mod db;
pub mod web;
