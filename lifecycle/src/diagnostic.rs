//! Diagnostics: what the parser and the linter report about a policy pack, with a position.
//!
//! A diagnostic is plain data (serializable for the editor and `--format json`). Codes are
//! stable (`LC001`…) and never reused; each is described by a [`RuleInfo`], whose
//! [`RuleInfo::doc`] is the documentation of the code. Issues that CAVRA's own linter reports also carry CAVRA's code (`schema_error`,
//! `metadata.id.missing`, …) in [`Diagnostic::cavra_code`] and keep CAVRA's exact message.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::value::Span;

/// How serious a diagnostic is.
///
/// `Blocker` and `Warning` mean what they mean in CAVRA's lint report; `Info` is ours only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pack must not be published (CAVRA counts it in `blocker_count`).
    Blocker,
    /// Probably a mistake; publishing is still possible.
    Warning,
    /// A remark on surprising but harmless content.
    Info,
}

impl Severity {
    /// The lowercase name used on the wire (`"blocker"`, `"warning"`, `"info"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding about a policy pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `"LC001"`.
    pub code: String,
    /// Kebab-case rule name, e.g. `"yaml-syntax"`.
    pub name: String,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong. CAVRA-compatible issues keep CAVRA's exact message.
    pub message: String,
    /// Where it is; `None` when the finding concerns the whole document.
    pub span: Option<Span>,
    /// How to fix it, when we can say.
    pub help: Option<String>,
    /// CAVRA's own issue code (`"schema_error"`, `"metadata.id.missing"`) when CAVRA reports it too.
    pub cavra_code: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without span, help or CAVRA code.
    pub fn new(
        code: &str,
        name: &str,
        severity: Severity,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: code.to_owned(),
            name: name.to_owned(),
            severity,
            message: message.into(),
            span: None,
            help: None,
            cavra_code: None,
        }
    }

    /// Sets the span.
    #[must_use]
    pub fn with_span(mut self, span: Option<Span>) -> Diagnostic {
        self.span = span;
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets CAVRA's issue code.
    #[must_use]
    pub fn with_cavra_code(mut self, code: impl Into<String>) -> Diagnostic {
        self.cavra_code = Some(code.into());
        self
    }

    /// Whether this diagnostic is a blocker.
    pub fn is_blocker(&self) -> bool {
        self.severity == Severity::Blocker
    }

    /// Renders the diagnostic for a terminal or a snapshot: a header, the position, the source
    /// line with a caret underline, and the help line.
    ///
    /// ```text
    /// warning[LC023] shadowed-allow: allow rule `terraform plan*` is unreachable …
    ///  --> policy.yaml:12:7
    ///    |
    /// 12 |     - "terraform plan*"
    ///    |       ^^^^^^^^^^^^^^^^^
    ///    = help: …
    /// ```
    pub fn render(&self, source: &str, file_name: &str) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{}[{}] {}: {}",
            self.severity.as_str(),
            self.code,
            self.name,
            self.message
        );
        if let Some(cavra) = &self.cavra_code {
            let _ = write!(out, " (cavra: {cavra})");
        }
        out.push('\n');
        match self.span {
            Some(span) => {
                let _ = writeln!(out, " --> {file_name}:{}:{}", span.line, span.col);
                render_frame(&mut out, source, span);
            }
            None => {
                let _ = writeln!(out, " --> {file_name}");
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "   = help: {help}");
        }
        out
    }
}

/// Static description of a lint rule.
///
/// It lives here, beside [`Diagnostic`], rather than in `lint`, because the parser (`model`)
/// raises the parse rules (`LC001`–`LC008`) and sits below the linter.
#[derive(Debug)]
pub struct RuleInfo {
    /// Stable code, `LC0NN`.
    pub code: &'static str,
    /// Kebab-case name.
    pub name: &'static str,
    /// Severity of its diagnostics (a rule may raise it for a specific finding).
    pub severity: Severity,
    /// One-line summary.
    pub summary: &'static str,
    /// The rule's doc comment, as written (each line still has its leading space).
    raw_doc: &'static str,
    /// [`RuleInfo::doc`], rendered on first use.
    doc: OnceLock<String>,
}

impl RuleInfo {
    #[doc(hidden)]
    pub const fn new(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        summary: &'static str,
        raw_doc: &'static str,
    ) -> RuleInfo {
        RuleInfo {
            code,
            name,
            severity,
            summary,
            raw_doc,
            doc: OnceLock::new(),
        }
    }

    /// A diagnostic of this rule with its default severity.
    pub fn diagnostic(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.code, self.name, self.severity, message)
    }

    /// The rule's documentation (What it does / Why it matters / Example / How to fix), after a
    /// `CODE name: summary` header.
    pub fn doc(&self) -> &str {
        self.doc.get_or_init(|| {
            let body: Vec<&str> = self
                .raw_doc
                .lines()
                .map(|line| line.strip_prefix(' ').unwrap_or(line))
                .collect();
            format!(
                "{} {}: {}\n\n{}\n",
                self.code,
                self.name,
                self.summary,
                body.join("\n").trim_end()
            )
        })
    }
}

/// Declares a rule's [`RuleInfo`] from its doc comment, so the documentation written on the rule
/// is the text `lint::explain` prints.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        $vis:vis $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            severity: $severity:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])+
        $vis static $ident: $crate::diagnostic::RuleInfo = $crate::diagnostic::RuleInfo::new(
            $code,
            $name,
            $crate::diagnostic::Severity::$severity,
            $summary,
            concat!($($doc, "\n"),+),
        );
    };
}
pub(crate) use declare_rule;

/// Renders all diagnostics, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic], source: &str, file_name: &str) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| diagnostic.render(source, file_name))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes the first line of the span with a caret underline (to the end of that line when the
/// span continues below it).
fn render_frame(out: &mut String, source: &str, span: Span) {
    let start = span.start.min(source.len());
    let line_start = source
        .get(..start)
        .and_then(|head| head.rfind('\n').map(|i| i + 1))
        .unwrap_or(0);
    let line_end = source
        .get(line_start..)
        .and_then(|tail| tail.find('\n').map(|i| line_start + i))
        .unwrap_or(source.len());
    let line_text = source.get(line_start..line_end).unwrap_or("");
    let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
    let number = span.line.to_string();
    let gutter = " ".repeat(number.len());
    let lead: usize = source
        .get(line_start..start)
        .map(|s| s.chars().count())
        .unwrap_or(0);
    let end = span.end.clamp(start, line_end.max(start));
    let width = source
        .get(start..end)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        .max(1);
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{number} | {line_text}");
    let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(lead), "^".repeat(width));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_serializes_lowercase() {
        let json = serde_json::to_string(&Severity::Blocker).unwrap();
        assert_eq!(json, "\"blocker\"");
        let back: Severity = serde_json::from_str("\"info\"").unwrap();
        assert_eq!(back, Severity::Info);
    }

    #[test]
    fn render_underlines_the_span() {
        let source = "a: 1\nbad: [x\n";
        let span = Span {
            start: 5,
            end: 8,
            line: 2,
            col: 1,
            end_line: 2,
            end_col: 4,
        };
        let diagnostic = Diagnostic::new("LC999", "demo", Severity::Warning, "demo message")
            .with_span(Some(span))
            .with_help("do something");
        let text = diagnostic.render(source, "p.yaml");
        assert_eq!(
            text,
            "warning[LC999] demo: demo message\n --> p.yaml:2:1\n  |\n2 | bad: [x\n  | ^^^\n   = help: do something\n"
        );
    }
}
