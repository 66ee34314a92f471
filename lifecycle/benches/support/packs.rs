//! Packs shared by the benchmarks: CAVRA's baseline and a generated 10 000-rule pack.

use std::fmt::Write as _;

/// CAVRA's baseline pack.
pub const BASELINE: &str =
    include_str!("../../tests/fixtures/reference/policies/cavra-ai-agent-baseline/policy.yaml");

/// A 10 000-pattern pack as YAML text: 4 000 `filesystem.block_read` rules
/// (`svc{i}/**/secret{i}.*`), one `block_write` rule, 3 000 `commands.block` rules
/// (`tool{i} deploy*`) and 3 000 `commands.allow` rules (`tool{i} status*`).
pub fn generated_yaml() -> String {
    let mut text = String::from(
        "metadata:\n  id: cavra-generated\n  title: Generated\n  description: 10k rules\n  version: 0.1.0\n",
    );
    let mut list = |section: &str, field: &str, count: usize, pattern: &dyn Fn(usize) -> String| {
        let _ = writeln!(text, "{section}:");
        let _ = writeln!(text, "  {field}:");
        for i in 0..count {
            let _ = writeln!(text, "    - \"{}\"", pattern(i));
        }
    };
    list("filesystem", "block_read", 4000, &|i| {
        format!("svc{i}/**/secret{i}.*")
    });
    list("commands", "block", 3000, &|i| format!("tool{i} deploy*"));
    // A second mapping key for each section would be a duplicate; append lists under them.
    text = text.replace(
        "commands:\n",
        "  block_write:\n    - \"infra/**/main.tf\"\ncommands:\n",
    );
    let mut allow = String::from("  allow:\n");
    for i in 0..3000 {
        let _ = writeln!(allow, "    - \"tool{i} status*\"");
    }
    text.push_str(&allow);
    text
}
