//! The `cavra` binary's library: configuration, storage, the web server and the CLI.
//!
//! Boundary: this is the only crate that knows SQL, HTTP status codes and exit codes.

pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod errors;
pub mod evidence;
pub mod fsperm;
pub mod serve;
pub mod service;
pub mod store;
pub mod time;
pub mod web;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
