//! The integration tests of `server`, one module per area, linked into one test binary
//! (`[[test]] name = "it"` in Cargo.toml): one link of the server and its dev-dependencies
//! instead of one per file. `common` starts servers and speaks HTTP, `cli_common` runs the built
//! `cavra` binary. Fixtures are under `tests/fixtures/`, insta snapshots under
//! `tests/it/snapshots/` (named `it__<module>__<name>`).
//!
//! The tests share one process, so none of them may change process-wide state: environment
//! variables and the working directory are set on child `Command`s only, servers bind
//! `127.0.0.1:0`, databases are fresh SQLite files and fresh PostgreSQL schemas.

mod cli_common;
mod common;

mod access_control;
mod api_openapi;
mod cli_errors;
mod cli_examples;
mod cli_formats;
mod cli_help;
mod cli_lifecycle;
mod cli_packs;
mod cli_replay;
mod cli_workflow;
mod concurrency;
mod crash_safety;
mod db;
mod decision_export;
mod hostile_input;
mod journey;
mod replay_and_pointers;
mod web;
