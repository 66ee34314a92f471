//! Pages and components.

pub mod home;
pub mod policy_editor;
