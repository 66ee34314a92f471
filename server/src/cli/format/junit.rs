//! JUnit XML, the dialect GitHub, GitLab and Jenkins test reporters read:
//! `<testsuites>` → `<testsuite>` per pack or file → `<testcase>` per check, with a `<failure>`
//! on the failing ones.

use std::fmt::Write as _;

/// A test suite (one pack or file).
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// The suite name.
    pub name: String,
    /// Its cases, in order.
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug, Clone, Default)]
pub struct Case {
    /// The class name (groups cases in reporters).
    pub classname: String,
    /// The case name.
    pub name: String,
    /// Set when the case failed.
    pub failure: Option<Failure>,
    /// Extra text shown with the case.
    pub system_out: Option<String>,
}

/// Why a case failed.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    /// A short type (`blocker`, `decision-mismatch`).
    pub kind: String,
    /// The one-line message.
    pub message: String,
    /// The details.
    pub body: String,
}

/// Renders the suites as one JUnit XML document.
pub fn render(name: &str, suites: &[Suite]) -> String {
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">",
        escape(name)
    );
    for suite in suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            escape(&suite.name),
            suite.cases.len(),
            suite.failures()
        );
        for case in &suite.cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(&case.classname),
                escape(&case.name)
            );
            if case.failure.is_none() && case.system_out.is_none() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if let Some(failure) = &case.failure {
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    escape(&failure.kind),
                    escape(&failure.message),
                    escape_text(&failure.body)
                );
            }
            if let Some(text) = &case.system_out {
                let _ = writeln!(out, "      <system-out>{}</system-out>", escape_text(text));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

impl Suite {
    fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_some()).count()
    }
}

/// Escapes text for XML content and attributes; characters XML 1.0 cannot carry (most control
/// characters) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes element content (line breaks stay as they are).
pub fn escape_text(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }
}
