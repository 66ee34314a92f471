//! YAML parse + lint (the browser linter's entry point) and the digest of whatever loaded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lifecycle::model::parse_bytes(data);
    if let Ok(source) = std::str::from_utf8(data) {
        let outcome = lifecycle::lint::lint_source(source);
        if let Some(value) = &outcome.value {
            let _ = lifecycle::digest::policy_digest(value);
        }
    }
});
