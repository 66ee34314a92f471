//! One module per lint rule: its code, name and documentation, and for our own rules the
//! check itself. Parse rules (`LC001`–`LC008`) are raised by [`crate::model`] and declared beside
//! it in `model/rules/` (re-exported here); `LC009` is raised by the linter, CAVRA's issues
//! (`LC010`–`LC015`) by the report builder; `LC020` onwards are ours. The invariant rules
//! (`LC033`, `LC034`) need the pack's `cases.yaml` and are raised by [`crate::invariants`].

pub use crate::model::rules::{
    alias_limit, duplicate_key, input_too_large, invalid_character, nesting_too_deep,
    timestamp_value, unsupported_yaml, yaml_syntax,
};

pub mod allow_block_conflict;
pub mod allow_list_missing;
pub mod block_read_missing;
pub mod controls_missing;
pub mod duplicate_entry;
pub mod empty_section;
pub mod invalid_invariant;
pub mod invalid_string_list;
pub mod invariant_violated;
pub mod literal_glob_characters;
pub mod metadata_field_missing;
pub mod narrowed_allow;
pub mod non_string_key;
pub mod redundant_pattern;
pub mod root_not_mapping;
pub mod rootless_double_star;
pub mod schema_error;
pub mod shadowed_allow;
pub mod unknown_key;
pub mod unmatchable_command_pattern;
pub mod unreachable_approval_write;
pub mod yaml11_implicit_type;

use super::context::Context;
use crate::diagnostic::{Diagnostic, RuleInfo};

/// Every rule, in code order.
pub(crate) static ALL: &[&RuleInfo] = &[
    &yaml_syntax::RULE,
    &input_too_large::RULE,
    &nesting_too_deep::RULE,
    &alias_limit::RULE,
    &invalid_character::RULE,
    &duplicate_key::RULE,
    &timestamp_value::RULE,
    &unsupported_yaml::RULE,
    &root_not_mapping::RULE,
    &schema_error::RULE,
    &metadata_field_missing::RULE,
    &controls_missing::RULE,
    &invalid_string_list::RULE,
    &allow_list_missing::RULE,
    &block_read_missing::RULE,
    &literal_glob_characters::RULE,
    &duplicate_entry::RULE,
    &allow_block_conflict::RULE,
    &shadowed_allow::RULE,
    &redundant_pattern::RULE,
    &rootless_double_star::RULE,
    &unknown_key::RULE,
    &empty_section::RULE,
    &unreachable_approval_write::RULE,
    &yaml11_implicit_type::RULE,
    &non_string_key::RULE,
    &unmatchable_command_pattern::RULE,
    &narrowed_allow::RULE,
    &invariant_violated::RULE,
    &invalid_invariant::RULE,
];

type Check = fn(&Context<'_>, &mut Vec<Diagnostic>);

/// Our own rules' checks, in code order.
pub(crate) static CHECKS: &[Check] = &[
    literal_glob_characters::check,
    duplicate_entry::check,
    allow_block_conflict::check,
    shadowed_allow::check,
    redundant_pattern::check,
    rootless_double_star::check,
    unknown_key::check,
    empty_section::check,
    unreachable_approval_write::check,
    yaml11_implicit_type::check,
    non_string_key::check,
    unmatchable_command_pattern::check,
    narrowed_allow::check,
];
