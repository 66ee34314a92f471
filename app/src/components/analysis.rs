//! One parse per keystroke, shared by the editor (lint markers, digest) and the simulator
//! (compiled policy with pattern spans).

use std::sync::Arc;

use lifecycle::decide::CompiledPolicy;
use lifecycle::invariants::Invariant;
use lifecycle::value::Value;

use crate::components::live_lint::{to_live_lint, LiveLint};

/// What the browser knows about the current text.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Lint markers, problems and digest.
    pub lint: LiveLint,
    /// The pack compiled for decisions (with pattern spans), when the text parses.
    pub compiled: Option<Arc<CompiledPolicy>>,
    /// The loaded value, when the text parses.
    pub value: Option<Arc<Value>>,
}

impl PartialEq for Analysis {
    // A new text always yields a new analysis; comparing compiled policies would cost more than
    // re-rendering.
    fn eq(&self, _other: &Self) -> bool {
        false
    }
}

/// Parses once, then lints and compiles the same tree.
pub fn analyse(text: &str) -> Analysis {
    analyse_with(text, &[])
}

/// [`analyse`], also proving the pack's invariants: a failed one is a marker on the rule that
/// decides its counterexample.
pub fn analyse_with(text: &str, invariants: &[Invariant]) -> Analysis {
    let parsed = lifecycle::model::parse_policy(text);
    let compiled = parsed
        .root
        .as_ref()
        .map(|root| Arc::new(CompiledPolicy::from_node(root)));
    let outcome = lifecycle::invariants::lint_parsed_with_invariants(text, parsed, invariants);
    let value = outcome.value.clone().map(Arc::new);
    Analysis {
        lint: to_live_lint(text, outcome),
        compiled,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::MarkerSeverity;

    #[test]
    fn a_broken_invariant_marks_the_deciding_rule_with_the_counterexample() {
        let cases =
            "must_allow:\n  - {action: execute_command, requested_operation: \"terraform *\"}\n";
        let invariants = lifecycle::invariants::parse_invariants(cases).invariants;
        let text = "metadata: {id: cavra-x, title: t, description: d, version: '1'}\ncommands:\n  block: [\"terraform apply*\"]\n  allow: [\"terraform *\"]\n";
        let analysis = analyse_with(text, &invariants);
        let marker = analysis
            .lint
            .markers
            .iter()
            .find(|m| m.code == "LC033")
            .expect("an invariant marker");
        assert_eq!(marker.severity, MarkerSeverity::Error);
        // On the block rule that decides the counterexample, naming it.
        assert_eq!(marker.start_line_number, 3);
        assert!(
            marker.message.contains("`terraform apply`"),
            "{}",
            marker.message
        );
        // Without the invariants (or once fixed) there is no marker.
        assert!(!analyse(text).lint.markers.iter().any(|m| m.code == "LC033"));
        let fixed = text.replace("\"terraform apply*\"", "\"tofu apply*\"");
        assert!(!analyse_with(&fixed, &invariants)
            .lint
            .markers
            .iter()
            .any(|m| m.code == "LC033"));
    }
}
