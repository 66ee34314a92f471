//! The baseline pack's rules written by us in Rego (run by `regorus`) and in Cedar (run by
//! `cedar-policy`), a shared request corpus, and one `(decision, rule_id)` evaluator per engine,
//! so the three can be checked for agreement and then timed side by side.
//!
//! The Rego and Cedar texts are generated from the pack's pattern lists with CAVRA's semantics:
//! a `*` matches any run of characters (`/` included) and a pattern must match the whole text;
//! block lists win over allow lists, in the evaluator's order. The corpus uses normalised paths
//! and already-stripped operations, so the peers need no path normalisation or `strip()`.

pub mod realistic;

use std::str::FromStr as _;

use lifecycle::decide::{CompiledPolicy, Request, RequestBuf};
use lifecycle::value::Value;

/// The baseline pack (CAVRA's bytes).
pub const BASELINE: &str = include_str!("../../policies/cavra-ai-agent-baseline/policy.yaml");

/// The baseline pack, parsed.
pub fn baseline() -> Value {
    lifecycle::model::parse_value(BASELINE).unwrap_or_default()
}

fn list(policy: &Value, section: &str, key: &str) -> Vec<String> {
    lifecycle::decide::string_list(policy, section, key)
}

/// A deterministic mixed corpus over every rule of the baseline pack (a 64-bit LCG).
pub fn corpus(count: usize) -> Vec<RequestBuf> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let n = next();
            let i = n % 1000;
            let (action, target): (&str, String) = match n % 16 {
                0 => ("read_file", ".env".into()),
                1 => ("read_file", format!("svc{i}/config/secrets.yaml")),
                2 => ("read_file", format!("src/module{i}/lib.rs")),
                3 => ("read_file", format!("deploy/{i}/kubeconfig")),
                4 => ("write_file", format!("policies/p{i}/policy.yaml")),
                5 => ("write_file", format!("infra/env{i}/main.tf")),
                6 => ("write_file", format!("docs/page{i}.md")),
                7 => ("write_file", ".github/workflows/ci.yml".into()),
                8 => ("execute_command", format!("terraform plan -out={i}")),
                9 => (
                    "execute_command",
                    format!("terraform apply -auto-approve {i}"),
                ),
                10 => ("execute_command", format!("pytest -k test_{i}")),
                11 => ("execute_command", format!("make build{i}")),
                12 => ("git_operation", "refs/heads/main".into()),
                13 => ("git_operation", format!("feature/{i}")),
                14 => ("mcp_tool_call", format!("github:get_issue_{i}")),
                _ => ("other_action", format!("x{i}")),
            };
            let mut request = Request::new(action, &target).to_owned_request();
            if action == "git_operation" {
                request.requested_operation = "push".into();
            }
            request
        })
        .collect()
}

/// Our evaluator's `(decision, rule_id)`.
pub fn ours(policy: &CompiledPolicy, request: &Request<'_>) -> (&'static str, &'static str) {
    let d = policy.decide(request);
    (d.decision.as_str(), d.rule_id.as_str())
}

// ---------------------------------------------------------------------------------------------
// Rego

fn rego_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => out.push_str("[^\\n]*"),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == ' ' || c == '-' => {
                out.push(c)
            }
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out.push('$');
    out
}

fn rego_list(patterns: &[String]) -> String {
    let items: Vec<String> = patterns
        .iter()
        .map(|p| serde_json::Value::String(rego_regex(p)).to_string())
        .collect();
    format!("[{}]", items.join(", "))
}

/// The pack as a Rego v1 module (`data.cavra.decision` is `{decision, rule_id}`).
pub fn rego_module(policy: &Value) -> String {
    format!(
        r#"package cavra

import rego.v1

block_read := {block_read}
block_write := {block_write}
approval_write := {approval_write}
command_block := {command_block}
command_allow := {command_allow}

any_match(patterns, text) if {{
	some p in patterns
	regex.match(p, text)
}}

read_decision := {{"decision": "block", "rule_id": "filesystem.read.block"}} if {{
	any_match(block_read, input.target)
}} else := {{"decision": "allow", "rule_id": "filesystem.read.allow"}}

write_decision := {{"decision": "block", "rule_id": "filesystem.write.block"}} if {{
	any_match(block_write, input.target)
}} else := {{"decision": "require_approval", "rule_id": "filesystem.write.require_approval"}} if {{
	any_match(approval_write, input.target)
}} else := {{"decision": "allow", "rule_id": "filesystem.write.allow"}}

command_decision := {{"decision": "block", "rule_id": "commands.block"}} if {{
	any_match(command_block, input.requested_operation)
}} else := {{"decision": "allow", "rule_id": "commands.allow"}} if {{
	any_match(command_allow, input.requested_operation)
}} else := {{"decision": "require_approval", "rule_id": "commands.default.require_approval"}}

protected_branch if endswith(input.target, "main")
protected_branch if endswith(input.target, "master")

git_decision := {{"decision": "block", "rule_id": "git.protected_branch.block_direct_push"}} if {{
	input.requested_operation == "push"
	protected_branch
}} else := {{"decision": "allow", "rule_id": "git.allow"}}

default decision := {{"decision": "require_approval", "rule_id": "runtime.default.require_approval"}}

decision := read_decision if input.action_type == "read_file"
decision := write_decision if input.action_type == "write_file"
decision := command_decision if input.action_type == "execute_command"
decision := git_decision if input.action_type == "git_operation"
decision := {{"decision": "block", "rule_id": "mcp.server.trust.block_unknown"}} if input.action_type == "mcp_tool_call"
"#,
        block_read = rego_list(&list(policy, "filesystem", "block_read")),
        block_write = rego_list(&list(policy, "filesystem", "block_write")),
        approval_write = rego_list(&list(policy, "filesystem", "require_approval_write")),
        command_block = rego_list(&list(policy, "commands", "block")),
        command_allow = rego_list(&list(policy, "commands", "allow")),
    )
}

/// A regorus engine with the module loaded.
pub fn rego_engine(policy: &Value) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("cavra.rego".into(), rego_module(policy))
        .map_err(|e| e.to_string())?;
    Ok(engine)
}

/// A request as regorus input.
pub fn rego_input(request: &RequestBuf) -> regorus::Value {
    let json = serde_json::json!({
        "action_type": request.action_type,
        "target": request.target,
        "requested_operation": request.requested_operation,
        "server": request.server,
    });
    regorus::Value::from_json_str(&json.to_string()).unwrap_or(regorus::Value::Null)
}

/// regorus's `(decision, rule_id)`.
pub fn rego_decide(
    engine: &mut regorus::Engine,
    input: &regorus::Value,
) -> Result<(String, String), String> {
    engine.set_input(input.clone());
    let value = engine
        .eval_rule("data.cavra.decision".into())
        .map_err(|e| e.to_string())?;
    let field = |key: &str| -> Result<String, String> {
        value[key]
            .as_string()
            .map(|s| s.to_string())
            .map_err(|e| e.to_string())
    };
    Ok((field("decision")?, field("rule_id")?))
}

// ---------------------------------------------------------------------------------------------
// Cedar

fn cedar_like(attribute: &str, patterns: &[String]) -> String {
    if patterns.is_empty() {
        return "false".into();
    }
    let alternatives: Vec<String> = patterns
        .iter()
        .map(|p| {
            // `like` has `*` as its wildcard; quotes and backslashes are escaped.
            let escaped = p.replace('\\', "\\\\").replace('"', "\\\"");
            format!("context.{attribute} like \"{escaped}\"")
        })
        .collect();
    format!("({})", alternatives.join(" || "))
}

/// `(policy id, decision, rule id)` of every Cedar policy: exactly one is satisfied per request.
pub const CEDAR_RULES: [(&str, &str, &str); 13] = [
    ("read_block", "block", "filesystem.read.block"),
    ("read_allow", "allow", "filesystem.read.allow"),
    ("write_block", "block", "filesystem.write.block"),
    (
        "write_approval",
        "require_approval",
        "filesystem.write.require_approval",
    ),
    ("write_allow", "allow", "filesystem.write.allow"),
    ("command_block", "block", "commands.block"),
    ("command_allow", "allow", "commands.allow"),
    (
        "command_default",
        "require_approval",
        "commands.default.require_approval",
    ),
    (
        "git_block",
        "block",
        "git.protected_branch.block_direct_push",
    ),
    ("git_allow", "allow", "git.allow"),
    ("mcp_block", "block", "mcp.server.trust.block_unknown"),
    (
        "runtime_default",
        "require_approval",
        "runtime.default.require_approval",
    ),
    ("unused", "allow", "unused"),
];

/// The pack as Cedar policies, one `permit` per rule with mutually exclusive conditions.
pub fn cedar_policies(policy: &Value) -> Result<cedar_policy::PolicySet, String> {
    let read_block = cedar_like("target", &list(policy, "filesystem", "block_read"));
    let write_block = cedar_like("target", &list(policy, "filesystem", "block_write"));
    let write_approval = cedar_like(
        "target",
        &list(policy, "filesystem", "require_approval_write"),
    );
    let command_block = cedar_like("operation", &list(policy, "commands", "block"));
    let command_allow = cedar_like("operation", &list(policy, "commands", "allow"));
    let git_block = "(context.operation == \"push\" && (context.target like \"*main\" || context.target like \"*master\"))";
    let on = |action: &str| format!("permit(principal, action == Action::\"{action}\", resource)");
    let texts = [
        (
            "read_block",
            format!("{} when {{ {read_block} }};", on("read_file")),
        ),
        (
            "read_allow",
            format!("{} unless {{ {read_block} }};", on("read_file")),
        ),
        (
            "write_block",
            format!("{} when {{ {write_block} }};", on("write_file")),
        ),
        (
            "write_approval",
            format!(
                "{} when {{ !{write_block} && {write_approval} }};",
                on("write_file")
            ),
        ),
        (
            "write_allow",
            format!(
                "{} unless {{ {write_block} || {write_approval} }};",
                on("write_file")
            ),
        ),
        (
            "command_block",
            format!("{} when {{ {command_block} }};", on("execute_command")),
        ),
        (
            "command_allow",
            format!(
                "{} when {{ !{command_block} && {command_allow} }};",
                on("execute_command")
            ),
        ),
        (
            "command_default",
            format!(
                "{} unless {{ {command_block} || {command_allow} }};",
                on("execute_command")
            ),
        ),
        (
            "git_block",
            format!("{} when {{ {git_block} }};", on("git_operation")),
        ),
        (
            "git_allow",
            format!("{} unless {{ {git_block} }};", on("git_operation")),
        ),
        ("mcp_block", format!("{};", on("mcp_tool_call"))),
        (
            "runtime_default",
            "permit(principal, action, resource) unless { action in [Action::\"read_file\", \
             Action::\"write_file\", Action::\"execute_command\", Action::\"git_operation\", \
             Action::\"mcp_tool_call\"] };"
                .to_owned(),
        ),
    ];
    let mut set = cedar_policy::PolicySet::new();
    for (id, text) in texts {
        let policy = cedar_policy::Policy::parse(Some(cedar_policy::PolicyId::new(id)), text)
            .map_err(|e| format!("{id}: {e}"))?;
        set.add(policy).map_err(|e| e.to_string())?;
    }
    Ok(set)
}

/// A request as a Cedar request (action = the action type; context = target and operation).
pub fn cedar_request(request: &RequestBuf) -> Result<cedar_policy::Request, String> {
    let uid = |text: &str| cedar_policy::EntityUid::from_str(text).map_err(|e| e.to_string());
    let action = serde_json::Value::String(request.action_type.clone()).to_string();
    let context = cedar_policy::Context::from_json_value(
        serde_json::json!({
            "target": request.target,
            "operation": request.requested_operation,
            "server": request.server,
        }),
        None,
    )
    .map_err(|e| e.to_string())?;
    cedar_policy::Request::new(
        uid("Agent::\"agent\"")?,
        uid(&format!("Action::{action}"))?,
        uid("Target::\"target\"")?,
        context,
        None,
    )
    .map_err(|e| e.to_string())
}

/// A Cedar authorizer with its policies and (empty) entities.
pub struct CedarEngine {
    authorizer: cedar_policy::Authorizer,
    policies: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
}

impl CedarEngine {
    /// The baseline pack in Cedar.
    pub fn new(policy: &Value) -> Result<CedarEngine, String> {
        Ok(CedarEngine {
            authorizer: cedar_policy::Authorizer::new(),
            policies: cedar_policies(policy)?,
            entities: cedar_policy::Entities::empty(),
        })
    }

    /// cedar-policy's `(decision, rule_id)`: the one satisfied policy names the rule.
    pub fn decide(&self, request: &cedar_policy::Request) -> Option<(&'static str, &'static str)> {
        let response = self
            .authorizer
            .is_authorized(request, &self.policies, &self.entities);
        let mut reasons = response.diagnostics().reason();
        let id = reasons.next()?;
        if reasons.next().is_some() {
            return None;
        }
        CEDAR_RULES
            .iter()
            .find(|(name, _, _)| id.to_string() == *name)
            .map(|&(_, decision, rule)| (decision, rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_engines_agree_on_the_corpus() {
        let pack = baseline();
        let compiled = CompiledPolicy::from_value(&pack);
        let mut rego = rego_engine(&pack).unwrap();
        let cedar = CedarEngine::new(&pack).unwrap();
        let corpus = corpus(2000);
        let mut seen = std::collections::BTreeSet::new();
        for request in &corpus {
            let (decision, rule) = ours(&compiled, &request.as_request());
            seen.insert(rule);
            let (rd, rr) = rego_decide(&mut rego, &rego_input(request)).unwrap();
            assert_eq!(
                (rd.as_str(), rr.as_str()),
                (decision, rule),
                "regorus on {request:?}"
            );
            let cedar_answer = cedar.decide(&cedar_request(request).unwrap());
            assert_eq!(cedar_answer, Some((decision, rule)), "cedar on {request:?}");
        }
        // The corpus exercises every rule of the baseline pack.
        assert_eq!(seen.len(), 12, "{seen:?}");
    }

    #[test]
    fn the_three_engines_agree_on_the_realistic_corpus() {
        let pack = baseline();
        let compiled = CompiledPolicy::from_value(&pack);
        let mut rego = rego_engine(&pack).unwrap();
        let cedar = CedarEngine::new(&pack).unwrap();
        for request in realistic::realistic_corpus(2000) {
            let (decision, rule) = ours(&compiled, &request.as_request());
            let (rd, rr) = rego_decide(&mut rego, &rego_input(&request)).unwrap();
            assert_eq!(
                (rd.as_str(), rr.as_str()),
                (decision, rule),
                "regorus on {request:?}"
            );
            let cedar_answer = cedar.decide(&cedar_request(&request).unwrap());
            assert_eq!(cedar_answer, Some((decision, rule)), "cedar on {request:?}");
        }
    }
}
