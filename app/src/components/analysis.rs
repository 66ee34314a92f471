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
