//! Wording shared by the precedence rules (`LC023`, `LC024`, `LC028`, `LC032`): the earlier
//! rules a finding names, each with an input it takes.

use crate::symbolic::RuleFinding;

/// "`a*` (commands.block, e.g. `ab`), `b*` (commands.allow, e.g. `b`)", with "and N more"
/// when the finding lists fewer rules than it found.
pub(crate) fn covers_text(finding: &RuleFinding) -> String {
    let mut parts: Vec<String> = finding
        .covers
        .iter()
        .map(|cover| {
            format!(
                "`{}` ({}, e.g. `{}`)",
                cover.rule.pattern,
                cover.rule.list,
                printable(&cover.example)
            )
        })
        .collect();
    let more = finding.cover_count.saturating_sub(finding.covers.len());
    if more > 0 {
        parts.push(format!("and {more} more"));
    }
    parts.join(", ")
}

/// An example input as one line (a newline or tab in it is shown escaped).
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The only rule a finding names, when it names exactly one.
pub(crate) fn single_cover(finding: &RuleFinding) -> Option<&crate::symbolic::Cover> {
    match finding.covers.as_slice() {
        [only] if finding.cover_count == 1 => Some(only),
        _ => None,
    }
}
