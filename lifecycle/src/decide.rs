//! The decision evaluator: CAVRA's Rego-compatible rules, compiled once and evaluated without
//! allocating.
//!
//! A pack is compiled into a [`CompiledPolicy`] ([`CompiledPolicy::from_value`], or
//! [`CompiledPolicy::from_node`] to keep each pattern's source [`Span`]); [`CompiledPolicy::decide`]
//! then answers a [`Request`] with a [`Decision`]. The rules are CAVRA's
//! `evaluate_rego_compatible_policy`, in this order:
//!
//! | action_type | rule | outcome |
//! |---|---|---|
//! | `read_file` | first `filesystem.block_read` match | block `filesystem.read.block` (high) |
//! | | none | allow `filesystem.read.allow` (low) |
//! | `write_file` | first `filesystem.block_write` match | block `filesystem.write.block` (high) |
//! | | first `filesystem.require_approval_write` match | require_approval (high, Platform Security) |
//! | | none | allow `filesystem.write.allow` (low) |
//! | `execute_command` | first `commands.block` match | block `commands.block`, critical when the operation contains `apply` or `delete`, else high |
//! | | first `commands.allow` match | allow `commands.allow` (low) |
//! | | none | require_approval `commands.default.require_approval` (medium, Repository Owners) |
//! | `git_operation` | operation `push` and target ending in `main` or `master` | block `git.protected_branch.block_direct_push` (high) |
//! | | otherwise | allow `git.allow` (low) |
//! | `mcp_tool_call` | server blocked, or unknown while `mcp.block_unknown_servers` (default true) | block `mcp.server.trust.block_unknown` (high) |
//! | | otherwise | allow `mcp.server.trust.allow` (low) |
//! | anything else | | require_approval `runtime.default.require_approval` (medium, Repository Owners) |
//!
//! Patterns use CAVRA's matcher (see [`matcher`]): `*` and `**` both match any characters
//! including `/` but never a newline, everything else is literal, and the whole text must match.
//! Commands match against `requested_operation` after Python's `strip()`; the git rule strips the
//! operation but not the target, and its branch test is a plain suffix test (`origin/remaster`
//! is protected). The policy's `git` section and `commands.require_approval` are ignored, as in
//! CAVRA. Pattern list items are converted with Python's `str()` and `null` items are dropped.
//!
//! # Deliberate difference from CAVRA: path normalisation
//!
//! CAVRA matches file paths literally, so `./.env`, `a/../.env` and `a//.env` are *allowed* by a
//! `.env` block rule. For `read_file` and `write_file` we also compute a lexically normalised
//! spelling (strip `./`, collapse `//`, resolve `a/../`, keep a leading `/`; see
//! [`path::normalize_path`]) and a rule matches when **either** the raw or the normalised spelling
//! matches it. A `..` that climbs above the start is dropped, and because the raw spelling is
//! always tried as well, normalisation can only turn an allow into a block or an approval, never
//! the other way. For already-normal paths (all of CAVRA's fixtures) the result is identical to
//! CAVRA's.

mod compile;
mod evaluate;
pub mod matcher;
mod outcome;
pub mod path;
pub mod python;
pub mod request;

pub use compile::{block_unknown_servers, string_list, CompiledPolicy, PATTERN_LISTS};
pub use outcome::{ApproverGroup, CavraDecision, Decision, Outcome, RuleId, Severity};
pub use request::{Request, RequestBuf};

#[cfg(test)]
mod tests;
