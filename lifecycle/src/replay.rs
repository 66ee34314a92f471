//! Decision-log replay: what a candidate would have decided on recorded traffic.
//!
//! The input is the JSONL the server exports for its decision log (one object per line:
//! `{"id", "pack", "policy_digest", "input", "decision", "rule_id", "severity", "at"}`; only
//! `input` is required). Each line's input is decided under the candidate and compared with the
//! baseline: the logged decision is trusted when the line's `policy_digest` equals the baseline's
//! digest, otherwise the baseline is evaluated (or, with no baseline given, the logged decision is
//! the baseline).
//!
//! The core is pure and chunked: [`Replayer::replay_chunk`] takes any run of whole lines and
//! returns a partial [`ReplayReport`]; partial reports [`merge`](ReplayReport::merge) in any order
//! to the same result (examples are the lowest line numbers), so callers stream a file in chunks
//! over as many threads as they like, in constant memory.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::decide::request::default_server;
use crate::decide::{CompiledPolicy, Request, RequestBuf};

/// Example inputs kept per flip group by default.
pub const DEFAULT_EXAMPLES_PER_FLIP: usize = 3;
/// Invalid line numbers kept in a report.
const INVALID_EXAMPLES: usize = 10;

/// A string field of a logged input: absent, a JSON string, or something else (which needs the
/// reference's `str()` conversion, done on the slow path).
#[derive(Debug, Default)]
enum Field<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(FieldVisitor)
    }
}

impl Field<'_> {
    fn get(&self) -> Option<&str> {
        match self {
            Field::Absent => None,
            Field::Str(s) => Some(s),
        }
    }
}

/// The fast shape of a logged input: every field a string (the server always writes strings).
#[derive(Debug, Deserialize)]
struct FastInput<'a> {
    #[serde(default, borrow)]
    action_type: Field<'a>,
    #[serde(default, borrow)]
    target: Field<'a>,
    #[serde(default, borrow)]
    requested_operation: Field<'a>,
    #[serde(default, borrow)]
    server: Field<'a>,
    #[serde(default, borrow)]
    tool: Field<'a>,
    #[serde(default, borrow)]
    capability: Field<'a>,
}

impl FastInput<'_> {
    fn request(&self) -> Request<'_> {
        let target = self.target.get().unwrap_or("");
        Request {
            action_type: self.action_type.get().unwrap_or(""),
            target,
            requested_operation: self.requested_operation.get().unwrap_or(target),
            server: self.server.get().unwrap_or_else(|| default_server(target)),
            tool: self.tool.get().unwrap_or(""),
            capability: self.capability.get().unwrap_or(""),
        }
    }
}

#[derive(Debug, Deserialize)]
struct FastLine<'a> {
    #[serde(borrow)]
    input: FastInput<'a>,
    #[serde(default, borrow)]
    policy_digest: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    decision: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    rule_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct SlowLine {
    input: serde_json::Value,
    #[serde(default)]
    policy_digest: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    rule_id: Option<String>,
}

/// Counts of `allow`, `block` and `require_approval`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// `allow` decisions.
    pub allow: u64,
    /// `block` decisions.
    pub block: u64,
    /// `require_approval` decisions (human load).
    pub require_approval: u64,
}

impl OutcomeCounts {
    fn add(&mut self, decision: &str) -> bool {
        match decision {
            "allow" => self.allow += 1,
            "block" => self.block += 1,
            "require_approval" => self.require_approval += 1,
            _ => return false,
        }
        true
    }

    fn merge(&mut self, other: &OutcomeCounts) {
        self.allow += other.allow;
        self.block += other.block;
        self.require_approval += other.require_approval;
    }

    fn total(&self) -> u64 {
        self.allow + self.block + self.require_approval
    }

    /// The rates of each outcome (0 when there are no decisions).
    pub fn rates(&self) -> OutcomeRates {
        let total = self.total();
        let rate = |n: u64| {
            if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            }
        };
        OutcomeRates {
            allow: rate(self.allow),
            block: rate(self.block),
            require_approval: rate(self.require_approval),
        }
    }
}

/// Fractions of `allow`, `block` and `require_approval` (or their change).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRates {
    /// Share of `allow`.
    pub allow: f64,
    /// Share of `block`.
    pub block: f64,
    /// Share of `require_approval`.
    pub require_approval: f64,
}

/// One example of a flip: the log line it came from and its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlipExample {
    /// 1-based line number in the log.
    pub line: u64,
    /// The logged input.
    pub input: serde_json::Value,
}

/// The decisions that moved the same way: `kind` (`allow_to_block`, or `allow_to_allow` when only
/// the rule moved) from one rule to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlipGroup {
    /// `<baseline decision>_to_<candidate decision>`.
    pub kind: String,
    /// The baseline's rule id.
    pub from_rule: String,
    /// The candidate's rule id.
    pub to_rule: String,
    /// How many decisions moved this way.
    pub count: u64,
    /// The first inputs (lowest line numbers) that moved this way.
    pub examples: Vec<FlipExample>,
}

/// What a candidate would have done to a decision log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// Lines decided (blank lines are not counted).
    pub decisions: u64,
    /// Lines whose logged decision was trusted as the baseline's (digest matched, or no baseline).
    pub trusted_baseline: u64,
    /// Lines that are not a log entry (not JSON, or no `input`); never decided.
    pub invalid_lines: u64,
    /// The first invalid line numbers.
    pub invalid_examples: Vec<u64>,
    /// Baseline outcomes.
    pub baseline: OutcomeCounts,
    /// Candidate outcomes.
    pub candidate: OutcomeCounts,
    /// Decisions whose outcome changed.
    pub flips: u64,
    /// Decisions whose outcome stayed but whose rule changed.
    pub rule_changes: u64,
    /// Changed decisions by kind (`allow_to_block`, …; `x_to_x` counts rule-only changes).
    pub by_kind: BTreeMap<String, u64>,
    /// Changed decisions by kind and rule, with examples, most frequent first once finished.
    pub groups: Vec<FlipGroup>,
}

impl ReplayReport {
    /// Adds another partial report (any order gives the same result after [`finish`]).
    ///
    /// [`finish`]: ReplayReport::finish
    pub fn merge(&mut self, other: ReplayReport, examples_per_flip: usize) {
        self.decisions += other.decisions;
        self.trusted_baseline += other.trusted_baseline;
        self.invalid_lines += other.invalid_lines;
        self.invalid_examples.extend(other.invalid_examples);
        self.invalid_examples.sort_unstable();
        self.invalid_examples.truncate(INVALID_EXAMPLES);
        self.baseline.merge(&other.baseline);
        self.candidate.merge(&other.candidate);
        self.flips += other.flips;
        self.rule_changes += other.rule_changes;
        for (kind, count) in other.by_kind {
            *self.by_kind.entry(kind).or_insert(0) += count;
        }
        for group in other.groups {
            match self.groups.iter_mut().find(|g| {
                g.kind == group.kind && g.from_rule == group.from_rule && g.to_rule == group.to_rule
            }) {
                Some(mine) => {
                    mine.count += group.count;
                    mine.examples.extend(group.examples);
                    mine.examples.sort_by_key(|e| e.line);
                    mine.examples.truncate(examples_per_flip);
                }
                None => self.groups.push(group),
            }
        }
    }

    /// Orders the groups (most frequent first, then by kind and rules).
    pub fn finish(&mut self) {
        self.groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.from_rule.cmp(&b.from_rule))
                .then_with(|| a.to_rule.cmp(&b.to_rule))
        });
    }

    /// Candidate rate minus baseline rate, per outcome.
    pub fn rate_change(&self) -> OutcomeRates {
        let (b, c) = (self.baseline.rates(), self.candidate.rates());
        OutcomeRates {
            allow: c.allow - b.allow,
            block: c.block - b.block,
            require_approval: c.require_approval - b.require_approval,
        }
    }

    fn invalid(&mut self, line: u64) {
        self.invalid_lines += 1;
        if self.invalid_examples.len() < INVALID_EXAMPLES {
            self.invalid_examples.push(line);
        }
    }
}

/// Replays log lines against a candidate (and optionally a baseline).
#[derive(Debug)]
pub struct Replayer<'p> {
    candidate: &'p CompiledPolicy,
    baseline: Option<(&'p CompiledPolicy, &'p str)>,
    examples_per_flip: usize,
}

impl<'p> Replayer<'p> {
    /// A replayer of `candidate`; `baseline` is the baseline policy and its digest (logged
    /// decisions under that digest are trusted). Without a baseline the logged decision is the
    /// baseline.
    pub fn new(
        candidate: &'p CompiledPolicy,
        baseline: Option<(&'p CompiledPolicy, &'p str)>,
        examples_per_flip: usize,
    ) -> Replayer<'p> {
        Replayer {
            candidate,
            baseline,
            examples_per_flip,
        }
    }

    /// Examples kept per flip group.
    pub fn examples_per_flip(&self) -> usize {
        self.examples_per_flip
    }

    /// Replays a run of whole lines; `first_line` is the 1-based number of its first line.
    pub fn replay_chunk(&self, chunk: &[u8], first_line: u64) -> ReplayReport {
        let mut report = ReplayReport::default();
        for (number, line) in (first_line..).zip(chunk.split(|&b| b == b'\n')) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.replay_line(line, number, &mut report);
        }
        report
    }

    fn replay_line(&self, line: &[u8], number: u64, report: &mut ReplayReport) {
        match serde_json::from_slice::<FastLine<'_>>(line) {
            Ok(fast) => self.record(
                &fast.input.request(),
                fast.policy_digest.as_deref(),
                fast.decision.as_deref(),
                fast.rule_id.as_deref(),
                line,
                number,
                report,
            ),
            Err(_) => match serde_json::from_slice::<SlowLine>(line) {
                Ok(slow) if slow.input.is_object() => {
                    let request = RequestBuf::from_json(&slow.input);
                    self.record(
                        &request.as_request(),
                        slow.policy_digest.as_deref(),
                        slow.decision.as_deref(),
                        slow.rule_id.as_deref(),
                        line,
                        number,
                        report,
                    );
                }
                _ => report.invalid(number),
            },
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per line shape; a struct would only rename the arguments"
    )]
    fn record(
        &self,
        request: &Request<'_>,
        digest: Option<&str>,
        decision: Option<&str>,
        rule_id: Option<&str>,
        line: &[u8],
        number: u64,
        report: &mut ReplayReport,
    ) {
        let logged = match (decision, rule_id) {
            (Some(d), Some(r)) if matches!(d, "allow" | "block" | "require_approval") => {
                Some((d, r))
            }
            _ => None,
        };
        let trusted = match (self.baseline, logged) {
            (Some((_, baseline_digest)), Some(logged)) if digest == Some(baseline_digest) => {
                Some(logged)
            }
            (None, Some(logged)) => Some(logged),
            _ => None,
        };
        let evaluated;
        let (base_decision, base_rule) = match trusted {
            Some(pair) => {
                report.trusted_baseline += 1;
                pair
            }
            None => match self.baseline {
                Some((baseline, _)) => {
                    evaluated = baseline.decide(request);
                    (evaluated.decision.as_str(), evaluated.rule_id.as_str())
                }
                None => {
                    // No baseline and no usable logged decision: nothing to compare against.
                    report.invalid(number);
                    return;
                }
            },
        };
        let candidate = self.candidate.decide(request);
        let (cand_decision, cand_rule) = (candidate.decision.as_str(), candidate.rule_id.as_str());
        report.decisions += 1;
        report.baseline.add(base_decision);
        report.candidate.add(cand_decision);
        if base_decision == cand_decision && base_rule == cand_rule {
            return;
        }
        if base_decision == cand_decision {
            report.rule_changes += 1;
        } else {
            report.flips += 1;
        }
        let kind = format!("{base_decision}_to_{cand_decision}");
        *report.by_kind.entry(kind.clone()).or_insert(0) += 1;
        let index = match report
            .groups
            .iter()
            .position(|g| g.kind == kind && g.from_rule == base_rule && g.to_rule == cand_rule)
        {
            Some(index) => index,
            None => {
                report.groups.push(FlipGroup {
                    kind,
                    from_rule: base_rule.to_owned(),
                    to_rule: cand_rule.to_owned(),
                    count: 0,
                    examples: Vec::new(),
                });
                report.groups.len() - 1
            }
        };
        if let Some(group) = report.groups.get_mut(index) {
            group.count += 1;
            if group.examples.len() < self.examples_per_flip {
                let input = serde_json::from_slice::<serde_json::Value>(line)
                    .ok()
                    .and_then(|mut v| v.get_mut("input").map(serde_json::Value::take))
                    .unwrap_or(serde_json::Value::Null);
                group.examples.push(FlipExample {
                    line: number,
                    input,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    const BASELINE: &str =
        include_str!("../tests/fixtures/reference/policies/cavra-ai-agent-baseline/policy.yaml");

    fn baseline() -> Value {
        crate::model::parse_value(BASELINE).unwrap_or_default()
    }

    /// The baseline without `pytest*` in `commands.allow`.
    fn candidate() -> Value {
        let text = BASELINE.replace("    - \"pytest*\"\n", "");
        crate::model::parse_value(&text).unwrap_or_default()
    }

    fn line(input: serde_json::Value, digest: &str, decision: &str, rule: &str) -> String {
        serde_json::json!({
            "id": 1, "pack": "p", "policy_digest": digest, "input": input,
            "decision": decision, "rule_id": rule, "severity": "low", "at": "2026-01-01T00:00:00Z"
        })
        .to_string()
    }

    fn pytest() -> serde_json::Value {
        serde_json::json!({"action_type": "execute_command", "target": "pytest -q", "requested_operation": "pytest -q"})
    }

    #[test]
    fn candidate_differs_from_baseline() {
        let b = CompiledPolicy::from_value(&baseline());
        let c = CompiledPolicy::from_value(&candidate());
        let request = Request::new("execute_command", "pytest -q");
        assert_ne!(b.decide(&request).decision, c.decide(&request).decision);
    }

    #[test]
    fn replays_flips_rates_and_examples() {
        let b = CompiledPolicy::from_value(&baseline());
        let c = CompiledPolicy::from_value(&candidate());
        let digest = crate::digest::policy_digest(&baseline());
        let read = serde_json::json!({"action_type": "read_file", "target": "src/lib.rs"});
        let mut log = String::new();
        for _ in 0..5 {
            log.push_str(&line(pytest(), &digest, "allow", "commands.allow"));
            log.push('\n');
            log.push_str(&line(
                read.clone(),
                &digest,
                "allow",
                "filesystem.read.allow",
            ));
            log.push('\n');
        }
        log.push_str("not json\n\n");
        let replayer = Replayer::new(&c, Some((&b, &digest)), 2);
        let mut report = replayer.replay_chunk(log.as_bytes(), 1);
        report.finish();
        assert_eq!(report.decisions, 10);
        assert_eq!(report.trusted_baseline, 10);
        assert_eq!(report.invalid_lines, 1);
        assert_eq!(report.invalid_examples, vec![11]);
        assert_eq!(report.flips, 5);
        assert_eq!(report.baseline.allow, 10);
        assert_eq!(report.candidate.require_approval, 5);
        assert_eq!(report.by_kind.get("allow_to_require_approval"), Some(&5));
        assert_eq!(report.groups.len(), 1);
        let group = &report.groups[0];
        assert_eq!(group.from_rule, "commands.allow");
        assert_eq!(group.to_rule, "commands.default.require_approval");
        assert_eq!(group.examples.len(), 2);
        assert_eq!(group.examples[0].line, 1);
        assert_eq!(group.examples[0].input, pytest());
        assert!((report.rate_change().require_approval - 0.5).abs() < 1e-9);
        assert!((report.rate_change().allow + 0.5).abs() < 1e-9);
    }

    #[test]
    fn untrusted_digest_is_re_evaluated() {
        let b = CompiledPolicy::from_value(&baseline());
        let digest = crate::digest::policy_digest(&baseline());
        // A lying log line under another digest: the baseline is evaluated, not trusted.
        let log = line(pytest(), "sha256:other", "block", "commands.block");
        let replayer = Replayer::new(&b, Some((&b, &digest)), 3);
        let report = replayer.replay_chunk(log.as_bytes(), 1);
        assert_eq!(report.trusted_baseline, 0);
        assert_eq!(report.flips, 0);
        assert_eq!(report.baseline.allow, 1);
        // The same line under the baseline digest is trusted, so it shows as a flip.
        let log = line(pytest(), &digest, "block", "commands.block");
        let report = replayer.replay_chunk(log.as_bytes(), 1);
        assert_eq!(report.trusted_baseline, 1);
        assert_eq!(report.by_kind.get("block_to_allow"), Some(&1));
    }

    #[test]
    fn no_baseline_trusts_the_log_and_non_string_fields_take_the_slow_path() {
        let c = CompiledPolicy::from_value(&candidate());
        let replayer = Replayer::new(&c, None, 3);
        // `target: null` is Python's "None"; the fast path refuses it, the slow path converts.
        let odd = serde_json::json!({"action_type": "read_file", "target": null});
        let log = format!(
            "{}\n{}\n{{\"input\":{{\"action_type\":\"read_file\"}}}}\n",
            line(pytest(), "x", "allow", "commands.allow"),
            line(odd, "x", "allow", "filesystem.read.allow"),
        );
        let report = replayer.replay_chunk(log.as_bytes(), 1);
        assert_eq!(report.decisions, 2);
        // No logged decision and no baseline: not comparable.
        assert_eq!(report.invalid_lines, 1);
        assert_eq!(report.flips, 1);
    }

    #[test]
    fn chunked_merge_equals_whole() {
        let b = CompiledPolicy::from_value(&baseline());
        let c = CompiledPolicy::from_value(&candidate());
        let digest = crate::digest::policy_digest(&baseline());
        let lines: Vec<String> = (0..40)
            .map(|i| {
                let input = if i % 3 == 0 {
                    pytest()
                } else {
                    serde_json::json!({"action_type": "read_file", "target": format!("f{i}")})
                };
                line(
                    input,
                    if i % 2 == 0 { &digest } else { "old" },
                    "allow",
                    "commands.allow",
                )
            })
            .collect();
        let replayer = Replayer::new(&c, Some((&b, &digest)), 3);
        let mut whole = replayer.replay_chunk(lines.join("\n").as_bytes(), 1);
        whole.finish();
        let mut merged = ReplayReport::default();
        // Merge the second half first: order must not matter.
        let second = replayer.replay_chunk(lines[20..].join("\n").as_bytes(), 21);
        let first = replayer.replay_chunk(lines[..20].join("\n").as_bytes(), 1);
        merged.merge(second, 3);
        merged.merge(first, 3);
        merged.finish();
        assert_eq!(whole, merged);
    }
}
