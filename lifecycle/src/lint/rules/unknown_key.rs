//! Rule `LC026` (unknown-key): a key CAVRA does not know, probably a typo.

use crate::diagnostic::{declare_rule, Diagnostic};
use crate::lint::context::{suggest, Context};
use crate::model::Node;
use crate::sections::POLICY_SECTIONS;

declare_rule! {
    /// ## What it does
    /// Flags keys CAVRA ignores: unknown top-level sections and unknown keys in `metadata`,
    /// `git`, `mcp` and `compliance`, with a "did you mean" suggestion. (Unknown keys in
    /// `filesystem` and `commands` are schema errors, `LC010`, which carry the same
    /// suggestion.) `approvals` and `evidence` are free-form and not checked.
    ///
    /// ## Why it matters
    /// CAVRA's schema allows extra keys in these places, so a typo such as `filesytem:` or
    /// `block_unknown_server:` silently disables the rules under it.
    ///
    /// ## Example
    /// ```yaml
    /// mcp:
    ///   block_unknown_server: true   # did you mean `block_unknown_servers`?
    /// ```
    ///
    /// ## How to fix
    /// Correct the spelling, or remove the key.
    pub RULE = { code: "LC026", name: "unknown-key", severity: Warning, summary: "a key CAVRA ignores, probably a typo" }
}

pub(crate) const METADATA_KEYS: [&str; 6] =
    ["id", "title", "description", "version", "inherits", "mode"];
pub(crate) const FILESYSTEM_KEYS: [&str; 3] =
    ["block_read", "block_write", "require_approval_write"];
pub(crate) const COMMANDS_KEYS: [&str; 3] = ["block", "allow", "require_approval"];
const GIT_KEYS: [&str; 4] = [
    "require_pull_request",
    "block_direct_push_to_protected_branch",
    "require_human_reviewer",
    "require_ai_attestation",
];
const MCP_KEYS: [&str; 5] = [
    "allowlist_enabled",
    "block_unknown_servers",
    "allowed_servers",
    "blocked_servers",
    "risk_scoring",
];
const COMPLIANCE_KEYS: [&str; 1] = ["maps_to"];

/// The "did you mean" help for an unknown key in a scope, if a close name exists.
pub(crate) fn help_for(scope: &str, key: &str) -> Option<String> {
    let known: &[&str] = match scope {
        "" => &POLICY_SECTIONS,
        "metadata" => &METADATA_KEYS,
        "filesystem" => &FILESYSTEM_KEYS,
        "commands" => &COMMANDS_KEYS,
        "git" => &GIT_KEYS,
        "mcp" => &MCP_KEYS,
        "compliance" => &COMPLIANCE_KEYS,
        _ => return None,
    };
    suggest(key, known).map(|name| format!("did you mean `{name}`?"))
}

fn check_keys(scope: &str, mapping: &Node, known: &[&str], out: &mut Vec<Diagnostic>) {
    let Some(entries) = mapping.as_map() else {
        return;
    };
    for (key, _) in entries {
        // Non-string keys are `LC030`'s business.
        let Some(name) = key.as_str() else { continue };
        if known.contains(&name) {
            continue;
        }
        let message = if scope.is_empty() {
            format!("unknown top-level section `{name}`; CAVRA ignores it")
        } else {
            format!("unknown key `{name}` in `{scope}`; CAVRA ignores it")
        };
        let mut diagnostic = RULE.diagnostic(message).with_span(Some(key.span));
        if let Some(help) = help_for(scope, name) {
            diagnostic = diagnostic.with_help(help);
        }
        out.push(diagnostic);
    }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    check_keys("", ctx.root, &POLICY_SECTIONS, out);
    for (scope, known) in [
        ("metadata", &METADATA_KEYS[..]),
        ("git", &GIT_KEYS[..]),
        ("mcp", &MCP_KEYS[..]),
        ("compliance", &COMPLIANCE_KEYS[..]),
    ] {
        if let Some((_, section)) = ctx.section(scope) {
            check_keys(scope, section, known, out);
        }
    }
}
