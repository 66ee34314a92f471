//! The parse rules (`LC001`–`LC008`): the diagnostics the parser itself raises. They live with the
//! parser rather than under `lint/rules/` so that `model` needs nothing from the linter above it;
//! `lint::rules` re-exports them, so every rule is still listed and explained there.

pub mod alias_limit;
pub mod duplicate_key;
pub mod input_too_large;
pub mod invalid_character;
pub mod nesting_too_deep;
pub mod timestamp_value;
pub mod unsupported_yaml;
pub mod yaml_syntax;
