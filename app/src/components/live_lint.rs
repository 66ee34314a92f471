//! Lint findings in editor terms: markers, the problems list and the live digest, and source
//! spans as editor ranges. Shared by the analysis (one parse per keystroke), the policy editor
//! and the simulator.

use lifecycle::diagnostic::{Diagnostic, Severity};
use lifecycle::value::Span;

use crate::editor::{EditorMarker, EditorRange, MarkerSeverity};

/// What the editor shows about the current text.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveLint {
    /// Every diagnostic, in the linter's order.
    pub diagnostics: Vec<Diagnostic>,
    /// The diagnostics as editor markers (same order).
    pub markers: Vec<EditorMarker>,
    /// CAVRA's policy digest of the text, when it loads.
    pub digest: Option<String>,
}

/// Lints a policy text. The browser runs this on every keystroke, so it must stay cheap: the
/// baseline pack lints in well under a millisecond natively.
pub fn live_lint(text: &str) -> LiveLint {
    to_live_lint(text, lifecycle::lint::lint_source(text))
}

/// Turns a lint outcome for `text` into markers, problems and the digest.
pub fn to_live_lint(text: &str, outcome: lifecycle::lint::LintOutcome) -> LiveLint {
    let markers = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| to_marker(text, diagnostic))
        .collect();
    LiveLint {
        digest: outcome.value.as_ref().map(lifecycle::digest::policy_digest),
        markers,
        diagnostics: outcome.diagnostics,
    }
}

fn to_marker(text: &str, diagnostic: &Diagnostic) -> EditorMarker {
    let severity = match diagnostic.severity {
        Severity::Blocker => MarkerSeverity::Error,
        Severity::Warning => MarkerSeverity::Warning,
        _ => MarkerSeverity::Info,
    };
    let message = match &diagnostic.help {
        Some(help) => format!("{}\n{help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    // A finding without a span marks the first line.
    let range = diagnostic.span.map_or(
        EditorRange {
            start_line_number: 1,
            start_column: 1,
            end_line_number: 1,
            end_column: 2,
        },
        |span| span_range(text, &span),
    );
    EditorMarker {
        start_line_number: range.start_line_number,
        start_column: range.start_column,
        end_line_number: range.end_line_number,
        end_column: range.end_column,
        severity,
        message,
        code: diagnostic.code.clone(),
    }
}

/// A source span as an editor range. Monaco counts columns in UTF-16 units, and an empty range
/// would draw no squiggle.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_section_becomes_a_warning_marker_on_its_line() {
        let lint = live_lint("metadata:\n  id: cavra-x\nfilesytem: {}\n");
        let marker = lint
            .markers
            .iter()
            .find(|m| m.message.contains("filesytem"))
            .expect("unknown-section marker");
        assert_eq!(marker.start_line_number, 3);
        assert_eq!(marker.severity, MarkerSeverity::Warning);
        assert!(marker.message.contains("did you mean `filesystem`?"));
    }

    #[test]
    fn syntax_error_is_an_error_marker_and_no_digest() {
        let lint = live_lint("a: [unclosed\n");
        assert!(lint.digest.is_none());
        assert!(lint
            .markers
            .iter()
            .any(|m| m.severity == MarkerSeverity::Error));
    }

    #[test]
    fn digest_matches_cavra_for_a_loaded_pack() {
        let lint = live_lint("{}\n");
        assert_eq!(
            lint.digest.as_deref().map(|d| &d[..15]),
            Some("sha256:44136fa3")
        );
    }
}
