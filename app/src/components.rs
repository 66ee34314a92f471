//! Pages and components.

pub mod analysis;
pub mod dashboard;
pub mod diff_view;
pub mod draft_page;
pub mod home;
pub mod live_lint;
pub mod login;
pub mod pack;
pub mod policy_editor;
pub mod simulator;
pub mod tokens;
pub mod widgets;
