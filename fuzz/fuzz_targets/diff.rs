//! Semantic diff, decision impact and text diff of two policies: the input is `<old>\0<new>`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (old, new) = text.split_once('\0').unwrap_or((text, ""));
    let _ = lifecycle::diff::unified_text_diff(old, new, "old", "new");
    let (Some(left), Some(right)) = (
        lifecycle::lint::lint_source(old).value,
        lifecycle::lint::lint_source(new).value,
    ) else {
        return;
    };
    let _ = lifecycle::diff::semantic_diff(&left, &right);
    let _ = lifecycle::diff::impact::decision_impact(&left, &right);
});
