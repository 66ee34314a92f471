//! Compile a policy and decide a request: the input is `<policy YAML>\0<request JSON>`; when the
//! request part is not JSON it is used as the target of every action type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifecycle::decide::{CompiledPolicy, Request};

const ACTIONS: &[&str] = &[
    "read_file",
    "write_file",
    "execute_command",
    "git_push",
    "mcp_tool_call",
    "network",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (policy, request) = text.split_once('\0').unwrap_or((text, "README.md"));
    let Some(value) = lifecycle::lint::lint_source(policy).value else {
        return;
    };
    let compiled = CompiledPolicy::from_value(&value);
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(request) {
        let owned = Request::from_json(&json);
        let _ = compiled.decide(&owned.as_request());
    }
    for action in ACTIONS {
        let _ = compiled.decide(&Request::new(action, request));
    }
});
