//! The decision-impact diff: which requests change outcome between two packs.
//!
//! Both packs are evaluated over the same request set: CAVRA's six default dry-run fixtures, the
//! built-in git and MCP probes, and requests synthesised from **both** packs' own patterns. For
//! every pattern we build matching targets by replacing each star run with `x`, `a/b` and the
//! empty string; file patterns also get the spellings `./p`, `a/../p` and `a//p` (where the path
//! has a `/`), each tried as `read_file` and `write_file`; command patterns (including
//! `commands.require_approval`, which the evaluator ignores) also get padded whitespace. MCP
//! server lists yield one call per server plus an unknown server.
//!
//! A request is reported when its outcome differs (`allow` → `block`, …), with the rule and
//! pattern responsible on each side.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::decide::{string_list, CompiledPolicy, Decision, Outcome, RequestBuf, RuleId, Severity};
use crate::dry_run::default_fixtures;
use crate::value::Value;

/// Schema id of the decision-impact report.
pub const DECISION_IMPACT_SCHEMA: &str = "cavra-lifecycle.decision-impact.v1";

/// One side of a flip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SideDecision {
    /// The outcome.
    pub decision: Outcome,
    /// The rule responsible.
    pub rule_id: RuleId,
    /// The severity.
    pub severity: Severity,
    /// The pattern responsible, for pattern rules.
    pub matched_pattern: Option<String>,
}

impl From<&Decision> for SideDecision {
    fn from(decision: &Decision) -> Self {
        SideDecision {
            decision: decision.decision,
            rule_id: decision.rule_id,
            severity: decision.severity,
            matched_pattern: decision.matched_pattern.as_deref().map(str::to_owned),
        }
    }
}

/// A request whose outcome changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecisionFlip {
    /// `<before>_to_<after>`, e.g. `allow_to_block`.
    pub kind: String,
    /// The request.
    pub request: RequestBuf,
    /// The decision under the old pack.
    pub before: SideDecision,
    /// The decision under the new pack.
    pub after: SideDecision,
}

/// The decision-impact report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecisionImpact {
    /// Always `cavra-lifecycle.decision-impact.v1`.
    pub schema_version: String,
    /// How many distinct requests were evaluated.
    pub request_count: usize,
    /// How many of them flipped.
    pub flip_count: usize,
    /// Flip counts per kind, sorted by kind.
    pub summary: BTreeMap<String, usize>,
    /// The flips, in request order.
    pub flips: Vec<DecisionFlip>,
}

const STAR_FILLERS: [&str; 3] = ["x", "a/b", ""];
const COMMAND_FILLERS: [&str; 4] = ["", "x", " -x", "a/b"];

/// Replaces every run of `*` in `pattern` with `filler`.
fn fill(pattern: &str, filler: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + filler.len());
    let mut in_star = false;
    for c in pattern.chars() {
        if c == '*' {
            if !in_star {
                out.push_str(filler);
            }
            in_star = true;
        } else {
            in_star = false;
            out.push(c);
        }
    }
    out
}

struct RequestSet {
    seen: HashSet<RequestBuf>,
    requests: Vec<RequestBuf>,
}

impl RequestSet {
    fn push(&mut self, request: RequestBuf) {
        if self.seen.insert(request.clone()) {
            self.requests.push(request);
        }
    }

    fn simple(&mut self, action_type: &str, target: &str, operation: &str) {
        let request = crate::decide::Request::new(action_type, target)
            .with_operation(operation)
            .to_owned_request();
        self.push(request);
    }
}

/// The requests the impact diff evaluates (see the module docs), without duplicates.
pub fn synthesize_requests(policies: &[&Value]) -> Vec<RequestBuf> {
    let mut set = RequestSet {
        seen: HashSet::new(),
        requests: Vec::new(),
    };
    for fixture in default_fixtures() {
        let input = fixture.get("input").cloned().unwrap_or_default();
        set.push(RequestBuf::from_json(&input));
    }
    for (target, operation) in [
        ("origin/main", "push"),
        ("origin/master", "push"),
        ("origin/feature", "push"),
        ("origin/main", "fetch"),
    ] {
        set.simple("git_operation", target, operation);
    }
    set.simple("mcp_tool_call", "unknown-server:tool", "tool");
    for policy in policies {
        for key in ["block_read", "block_write", "require_approval_write"] {
            for pattern in string_list(policy, "filesystem", key) {
                for filler in STAR_FILLERS {
                    let path = fill(&pattern, filler);
                    let mut spellings =
                        vec![path.clone(), format!("./{path}"), format!("a/../{path}")];
                    if let Some((head, tail)) = path.split_once('/') {
                        spellings.push(format!("{head}//{tail}"));
                    }
                    for spelling in spellings {
                        set.simple("read_file", &spelling, "read");
                        set.simple("write_file", &spelling, "write");
                    }
                }
            }
        }
        for key in ["block", "allow", "require_approval"] {
            for pattern in string_list(policy, "commands", key) {
                for filler in COMMAND_FILLERS {
                    let command = fill(&pattern, filler);
                    set.simple("execute_command", &command, &command);
                    set.simple("execute_command", &command, &format!("  {command} "));
                }
            }
        }
        for key in ["allowed_servers", "blocked_servers"] {
            for server in string_list(policy, "mcp", key) {
                set.simple("mcp_tool_call", &format!("{server}:tool"), "tool");
            }
        }
    }
    set.requests
}

/// Evaluates both packs over [`synthesize_requests`] and lists the outcome flips.
pub fn decision_impact(before: &Value, after: &Value) -> DecisionImpact {
    let requests = synthesize_requests(&[before, after]);
    let old = CompiledPolicy::from_value(before);
    let new = CompiledPolicy::from_value(after);
    let mut summary = BTreeMap::new();
    let mut flips = Vec::new();
    for request in &requests {
        let a = old.decide(&request.as_request());
        let b = new.decide(&request.as_request());
        if a.decision != b.decision {
            let kind = format!("{}_to_{}", a.decision.as_str(), b.decision.as_str());
            *summary.entry(kind.clone()).or_insert(0) += 1;
            flips.push(DecisionFlip {
                kind,
                request: request.clone(),
                before: SideDecision::from(&a),
                after: SideDecision::from(&b),
            });
        }
    }
    DecisionImpact {
        schema_version: DECISION_IMPACT_SCHEMA.to_owned(),
        request_count: requests.len(),
        flip_count: flips.len(),
        summary,
        flips,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_star_runs() {
        assert_eq!(fill("**/secrets.*", "x"), "x/secrets.x");
        assert_eq!(fill("a**b*", ""), "ab");
    }

    #[test]
    fn removing_a_block_rule_flips_to_allow() {
        let old =
            crate::model::parse_value("filesystem: {block_read: ['.env', '**/*.pem']}\n").unwrap();
        let new = crate::model::parse_value("filesystem: {block_read: ['.env']}\n").unwrap();
        let impact = decision_impact(&old, &new);
        assert!(impact.flip_count > 0);
        assert_eq!(
            impact.summary.keys().collect::<Vec<_>>(),
            ["block_to_allow"]
        );
        let flip = &impact.flips[0];
        assert_eq!(flip.before.matched_pattern.as_deref(), Some("**/*.pem"));
        assert_eq!(flip.after.rule_id, RuleId::FilesystemReadAllow);
        assert!(decision_impact(&old, &old).flips.is_empty());
    }
}
