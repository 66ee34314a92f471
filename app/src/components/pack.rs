//! The pack page (`/packs/:pack`), one file per panel: the overview with its drafts, versions
//! (start shadow) and the approver picker, the version diff with a server-side replay of the
//! recorded decisions, approvals and sign-off, shadow mode with live counters, the promotion
//! gate, the rollback picker and evidence.
//!
//! `page.rs` composes the panels; panels import only from below (`widgets`, `diff_view`, the
//! API and records), never from each other, except a panel's own part (`versions` shows the
//! `approver_picker`, `version_diff` the `replay`).

mod approval_rule;
mod approvals;
mod approver_picker;
mod evidence;
mod gate;
mod overview;
mod page;
mod replay;
mod rollback;
mod shadow;
mod shadow_rule;
mod version_diff;
mod versions;

pub use page::PackPage;
