//! A realistic request corpus (issue 17) and the naive evaluator it is measured against.
//!
//! The corpus mixes action types the way an agent session does: 40 % file reads, 25 % writes,
//! 20 % commands, 10 % git operations and 5 % MCP calls. Paths are 20–120 bytes, built from
//! common repository directory and file names (a few of them sensitive), in normal form;
//! commands are real-looking command lines with arguments, already stripped. It is generated
//! from a fixed seed, so every run and every engine sees the same requests.
//!
//! [`NaiveRegex`] is the obvious implementation: CAVRA's rules with one anchored
//! `regex::Regex` per pattern, tried in list order.

use lifecycle::decide::path::normalize_path;
use lifecycle::decide::python::python_strip;
use lifecycle::decide::{string_list, Outcome, Request, RequestBuf, RuleId};
use lifecycle::value::Value;

const DIRECTORIES: &[&str] = &[
    "src",
    "lib",
    "app",
    "services",
    "payments",
    "internal",
    "api",
    "handlers",
    "components",
    "tests",
    "docs",
    "config",
    "deploy",
    "infra",
    "modules",
    "terraform",
    "k8s",
    "charts",
    "templates",
    "utils",
    "core",
    "pkg",
    "cmd",
    "web",
    "static",
    "assets",
    "migrations",
    "scripts",
    "tools",
    "vendor",
    "crates",
    "server",
    "client",
    "platform",
    "billing",
    "auth",
    "env",
    "prod",
    "staging",
    "shared",
    "policies",
    "iam",
    "security",
    ".github",
    "workflows",
];

const FILES: &[&str] = &[
    "main.rs",
    "lib.rs",
    "mod.rs",
    "index.ts",
    "app.tsx",
    "README.md",
    "config.yaml",
    "values.yaml",
    "Cargo.toml",
    "package.json",
    "Dockerfile",
    "handler.go",
    "service.py",
    "test_api.py",
    "schema.sql",
    "variables.tf",
    "outputs.tf",
    "styles.css",
    "utils.ts",
    "Makefile",
    "ci.yml",
    "policy.yaml",
    "CHANGELOG.md",
    "build.gradle",
    "settings.json",
    // Sensitive names the baseline pack blocks; about one request in eight.
    "main.tf",
    "providers.tf",
    ".env",
    "secrets.yaml",
    "server.pem",
    "id_rsa",
    "kubeconfig",
    "terraform.tfstate",
];

const COMMANDS: &[&str] = &[
    "git status",
    "git diff --stat",
    "cargo test --workspace",
    "cargo build --release",
    "cargo clippy --all-targets",
    "npm test -- --watch=false",
    "npm run build",
    "pytest -k",
    "pytest tests/unit -x",
    "terraform plan -out=plan.tfplan",
    "terraform fmt -recursive",
    "terraform validate",
    "terraform apply -auto-approve",
    "kubectl get pods -n",
    "kubectl delete pod",
    "ls -la",
    "cat",
    "grep -rn TODO",
    "make build",
    "docker build -t app",
    "aws s3 ls",
    "go test ./...",
    "rustfmt --check",
    "sed -n 1,80p",
    "find . -name",
];

const GIT_TARGETS: &[&str] = &[
    "origin/main",
    "origin/master",
    "refs/heads/main",
    "origin/feature/payments-retry",
    "origin/fix/issue-4711",
    "refs/heads/release/2.3",
    "upstream/develop",
];

const MCP_SERVERS: &[&str] = &[
    "github",
    "filesystem",
    "slack",
    "jira",
    "postgres",
    "unknown-tool",
];

/// A 64-bit linear congruential generator (Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.next() % items.len().max(1))
            .copied()
            .unwrap_or("x")
    }
}

fn path(rng: &mut Lcg) -> String {
    let length = 20 + rng.next() % 101;
    let file = rng.pick(FILES);
    let mut out = String::new();
    while out.len() + file.len() < length {
        let directory = rng.pick(DIRECTORIES);
        if rng.next().is_multiple_of(4) {
            out.push_str(&format!("{directory}{}/", rng.next() % 100));
        } else {
            out.push_str(directory);
            out.push('/');
        }
    }
    out.push_str(file);
    // Keep 20..=120 bytes: trim leading directories of an overlong path.
    while out.len() > 120 {
        match out.find('/') {
            Some(at) => out.replace_range(..=at, ""),
            None => break,
        }
    }
    while out.len() < 20 {
        out.insert_str(0, "src/");
    }
    out
}

/// `count` requests of the realistic mix (deterministic).
pub fn realistic_corpus(count: usize) -> Vec<RequestBuf> {
    let mut rng = Lcg(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|_| {
            let slot = rng.next() % 100;
            match slot {
                0..=39 => Request::new("read_file", &path(&mut rng)).to_owned_request(),
                40..=64 => Request::new("write_file", &path(&mut rng)).to_owned_request(),
                65..=84 => {
                    let mut command = rng.pick(COMMANDS).to_owned();
                    if rng.next().is_multiple_of(2) {
                        command.push(' ');
                        command.push_str(&path(&mut rng));
                    }
                    Request::new("execute_command", &command).to_owned_request()
                }
                85..=94 => {
                    let operation = ["push", "push", "fetch", "pull"][rng.next() % 4];
                    Request::new("git_operation", rng.pick(GIT_TARGETS))
                        .with_operation(operation)
                        .to_owned_request()
                }
                _ => {
                    let target = format!("{}:call_{}", rng.pick(MCP_SERVERS), rng.next() % 50);
                    Request::new("mcp_tool_call", &target).to_owned_request()
                }
            }
        })
        .collect()
}

/// CAVRA's translation of a pattern, anchored: `^` + escaped literals with star runs as `.*` + `$`.
fn anchored(pattern: &str) -> Option<regex::Regex> {
    let mut source = String::from("^");
    let mut literal = String::new();
    let mut in_star = false;
    for c in pattern.chars() {
        if c == '*' {
            if !in_star {
                source.push_str(&regex::escape(&literal));
                literal.clear();
                source.push_str(".*");
            }
            in_star = true;
        } else {
            in_star = false;
            literal.push(c);
        }
    }
    source.push_str(&regex::escape(&literal));
    source.push('$');
    regex::Regex::new(&source).ok()
}

/// The naive evaluator: one anchored regex per pattern, first match in list order.
pub struct NaiveRegex {
    block_read: Vec<regex::Regex>,
    block_write: Vec<regex::Regex>,
    approve_write: Vec<regex::Regex>,
    command_block: Vec<regex::Regex>,
    command_allow: Vec<regex::Regex>,
    allowed_servers: Vec<String>,
    blocked_servers: Vec<String>,
    block_unknown: bool,
}

impl NaiveRegex {
    /// Compiles every pattern of `policy`.
    pub fn new(policy: &Value) -> NaiveRegex {
        let list = |section: &str, key: &str| -> Vec<regex::Regex> {
            string_list(policy, section, key)
                .iter()
                .filter_map(|p| anchored(p))
                .collect()
        };
        NaiveRegex {
            block_read: list("filesystem", "block_read"),
            block_write: list("filesystem", "block_write"),
            approve_write: list("filesystem", "require_approval_write"),
            command_block: list("commands", "block"),
            command_allow: list("commands", "allow"),
            allowed_servers: string_list(policy, "mcp", "allowed_servers"),
            blocked_servers: string_list(policy, "mcp", "blocked_servers"),
            block_unknown: lifecycle::decide::block_unknown_servers(policy),
        }
    }

    fn first(list: &[regex::Regex], text: &str) -> Option<usize> {
        list.iter().position(|r| r.is_match(text))
    }

    /// The first match on the raw or the normalised path (our evaluator's rule).
    fn first_path(list: &[regex::Regex], path: &str) -> Option<usize> {
        let raw = Self::first(list, path);
        let normal = normalize_path(path);
        if *normal == *path {
            return raw;
        }
        match (raw, Self::first(list, &normal)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `(outcome, rule id, matched pattern index)`.
    pub fn decide(&self, request: &Request<'_>) -> (Outcome, RuleId, Option<usize>) {
        match request.action_type {
            "read_file" => match Self::first_path(&self.block_read, request.target) {
                Some(i) => (Outcome::Block, RuleId::FilesystemReadBlock, Some(i)),
                None => (Outcome::Allow, RuleId::FilesystemReadAllow, None),
            },
            "write_file" => {
                if let Some(i) = Self::first_path(&self.block_write, request.target) {
                    return (Outcome::Block, RuleId::FilesystemWriteBlock, Some(i));
                }
                match Self::first_path(&self.approve_write, request.target) {
                    Some(i) => (
                        Outcome::RequireApproval,
                        RuleId::FilesystemWriteRequireApproval,
                        Some(i),
                    ),
                    None => (Outcome::Allow, RuleId::FilesystemWriteAllow, None),
                }
            }
            "execute_command" => {
                let operation = python_strip(request.requested_operation);
                if let Some(i) = Self::first(&self.command_block, operation) {
                    return (Outcome::Block, RuleId::CommandsBlock, Some(i));
                }
                match Self::first(&self.command_allow, operation) {
                    Some(i) => (Outcome::Allow, RuleId::CommandsAllow, Some(i)),
                    None => (
                        Outcome::RequireApproval,
                        RuleId::CommandsDefaultRequireApproval,
                        None,
                    ),
                }
            }
            "git_operation" => {
                let operation = python_strip(request.requested_operation);
                let target = request.target;
                if operation == "push" && (target.ends_with("main") || target.ends_with("master")) {
                    (
                        Outcome::Block,
                        RuleId::GitProtectedBranchBlockDirectPush,
                        None,
                    )
                } else {
                    (Outcome::Allow, RuleId::GitAllow, None)
                }
            }
            "mcp_tool_call" => {
                let listed = |list: &[String]| list.iter().any(|s| s == request.server);
                if listed(&self.blocked_servers)
                    || (self.block_unknown && !listed(&self.allowed_servers))
                {
                    (Outcome::Block, RuleId::McpServerTrustBlockUnknown, None)
                } else {
                    (Outcome::Allow, RuleId::McpServerTrustAllow, None)
                }
            }
            _ => (
                Outcome::RequireApproval,
                RuleId::RuntimeDefaultRequireApproval,
                None,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle::decide::CompiledPolicy;

    #[test]
    fn corpus_has_the_issue_17_mix() {
        let corpus = realistic_corpus(100_000);
        let share = |action: &str| {
            corpus.iter().filter(|r| r.action_type == action).count() as f64 / 1000.0
        };
        for (action, percent) in [
            ("read_file", 40.0),
            ("write_file", 25.0),
            ("execute_command", 20.0),
            ("git_operation", 10.0),
            ("mcp_tool_call", 5.0),
        ] {
            assert!(
                (share(action) - percent).abs() < 1.0,
                "{action}: {}",
                share(action)
            );
        }
        for request in &corpus {
            if request.action_type.ends_with("_file") {
                let length = request.target.len();
                assert!((20..=120).contains(&length), "{length}: {}", request.target);
                assert_eq!(normalize_path(&request.target), request.target.as_str());
            }
        }
        assert_eq!(
            realistic_corpus(100),
            realistic_corpus(100),
            "deterministic"
        );
    }

    #[test]
    fn naive_regex_loop_agrees_with_the_evaluator() {
        for policy in [crate::baseline()] {
            let compiled = CompiledPolicy::from_value(&policy);
            let naive = NaiveRegex::new(&policy);
            let mut outcomes = std::collections::BTreeMap::new();
            for request in realistic_corpus(20_000) {
                let request = request.as_request();
                let ours = compiled.decide(&request);
                let (outcome, rule, _) = naive.decide(&request);
                assert_eq!(
                    (ours.decision, ours.rule_id),
                    (outcome, rule),
                    "{request:?}"
                );
                *outcomes.entry(rule.as_str()).or_insert(0) += 1;
            }
            // Every rule of the pack decides some of the corpus (the baseline trusts no MCP
            // server and the corpus has no unknown action type, so 11 of 13 rule ids).
            assert_eq!(outcomes.len(), 11, "{outcomes:?}");
        }
    }
}
