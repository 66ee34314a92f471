//! One parse per keystroke, shared by the editor (lint markers, digest) and the simulator
//! (compiled policy with pattern spans).

use std::sync::Arc;

use lifecycle::decide::CompiledPolicy;
use lifecycle::value::{Span, Value};

use crate::components::policy_editor::{to_live_lint, LiveLint};
use crate::editor::EditorRange;

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
    let parsed = lifecycle::model::parse_policy(text);
    let compiled = parsed
        .root
        .as_ref()
        .map(|root| Arc::new(CompiledPolicy::from_node(root)));
    let outcome = lifecycle::lint::lint_parsed(text, parsed);
    let value = outcome.value.clone().map(Arc::new);
    Analysis {
        lint: to_live_lint(text, outcome),
        compiled,
        value,
    }
}

/// A source span as an editor range (UTF-16 columns).
pub fn span_range(text: &str, span: &Span) -> EditorRange {
    let (start_column, end_column) = span.utf16_columns(text);
    EditorRange {
        start_line_number: span.line.max(1),
        start_column,
        end_line_number: span.end_line.max(span.line).max(1),
        end_column: if span.end_line <= span.line {
            end_column.max(start_column + 1)
        } else {
            end_column
        },
    }
}
