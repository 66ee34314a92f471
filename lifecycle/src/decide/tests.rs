use super::*;
use crate::value::Value;

fn policy() -> Value {
    let list =
        |items: &[&str]| Value::List(items.iter().map(|s| Value::Str((*s).into())).collect());
    let map = |entries: Vec<(&str, Value)>| {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Str(k.into()), v))
                .collect(),
        )
    };
    map(vec![
        (
            "filesystem",
            map(vec![
                ("block_read", list(&[".env", "**/secrets.*"])),
                ("block_write", list(&["**/main.tf"])),
                ("require_approval_write", list(&["policies/**"])),
            ]),
        ),
        (
            "commands",
            map(vec![
                ("block", list(&["terraform apply*", "git push origin main"])),
                ("allow", list(&["terraform plan*"])),
            ]),
        ),
    ])
}

fn check(request: Request<'_>, want: &str, rule: &str) {
    let compiled = CompiledPolicy::from_value(&policy());
    let decision = compiled.decide(&request);
    assert_eq!(
        (decision.decision.as_str(), decision.rule_id.as_str()),
        (want, rule),
        "{request:?}"
    );
}

#[test]
fn paths_are_normalised_before_blocking() {
    check(
        Request::new("read_file", ".env"),
        "block",
        "filesystem.read.block",
    );
    check(
        Request::new("read_file", "./.env"),
        "block",
        "filesystem.read.block",
    );
    check(
        Request::new("read_file", "a/../.env"),
        "block",
        "filesystem.read.block",
    );
    check(
        Request::new("read_file", "../../.env"),
        "block",
        "filesystem.read.block",
    );
    check(
        Request::new("read_file", "a//secrets.txt"),
        "block",
        "filesystem.read.block",
    );
    check(
        Request::new("read_file", "secrets.txt"),
        "allow",
        "filesystem.read.allow",
    );
    check(
        Request::new("write_file", "./policies/x.yaml"),
        "require_approval",
        "filesystem.write.require_approval",
    );
}

#[test]
fn commands_git_mcp_and_default() {
    check(
        Request::new("execute_command", " terraform plan "),
        "allow",
        "commands.allow",
    );
    check(
        Request::new("execute_command", "terraform   plan"),
        "require_approval",
        "commands.default.require_approval",
    );
    let push = Request::new("git_operation", "origin/remaster").with_operation(" push ");
    check(push, "block", "git.protected_branch.block_direct_push");
    let push = Request::new("git_operation", "origin/main ").with_operation("push");
    check(push, "allow", "git.allow");
    check(
        Request::new("mcp_tool_call", "github:read"),
        "block",
        "mcp.server.trust.block_unknown",
    );
    check(
        Request::new("other", "x"),
        "require_approval",
        "runtime.default.require_approval",
    );
}

#[test]
fn spans_point_at_the_pattern() {
    let source = "filesystem:\n  block_read:\n    - .env\n    - ~\n    - \"**/*.pem\"\n";
    let root = crate::model::parse_policy(source).root.unwrap();
    let compiled = CompiledPolicy::from_node(&root);
    let decision = compiled.decide(&Request::new("read_file", "a/k.pem"));
    let span = decision.pattern_span.unwrap();
    assert_eq!(&source[span.start..span.end], "\"**/*.pem\"");
    assert_eq!(span.line, 5);
}

#[test]
fn severity_and_cavra_json() {
    let compiled = CompiledPolicy::from_value(&policy());
    let decision = compiled.decide(&Request::new("execute_command", "terraform apply -x"));
    assert_eq!(decision.severity, Severity::Critical);
    assert_eq!(
        decision.matched_pattern.as_deref(),
        Some("terraform apply*")
    );
    let json = decision.to_cavra_json();
    assert_eq!(
        serde_json::to_string(&json).unwrap(),
        r#"{"decision":"block","rule_id":"commands.block","severity":"critical","reason":"Matched blocked command policy: terraform apply*"}"#
    );
}
