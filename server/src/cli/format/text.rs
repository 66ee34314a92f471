//! Positioned diagnostics for a terminal: header, `--> file:line:col`, the source line with the
//! span underlined and the help line, rendered with `annotate-snippets` (coloured only when
//! [`crate::cli::output::color_enabled`] says so).

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use lifecycle::diagnostic::{Diagnostic, Severity};

/// Renders one diagnostic against the source it points into.
pub fn render_diagnostic(diagnostic: &Diagnostic, source: &str, path: &str, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Blocker => Level::ERROR.with_name("blocker"),
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let mut title = format!("{}: {}", diagnostic.name, diagnostic.message);
    if let Some(cavra) = &diagnostic.cavra_code {
        title.push_str(&format!(" (cavra: {cavra})"));
    }
    let header = level.primary_title(title).id(diagnostic.code.as_str());
    let mut group: Group<'_> = match diagnostic.span {
        Some(span) => {
            let start = span.start.min(source.len());
            let end = span.end.clamp(start, source.len());
            header.element(
                Snippet::source(source)
                    .path(path)
                    .annotation(AnnotationKind::Primary.span(start..end)),
            )
        }
        None => header.element(Origin::path(path)),
    };
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = renderer.render(&[group]);
    out.push('\n');
    out
}

/// Renders every diagnostic of one file, separated by blank lines.
pub fn render_diagnostics(
    diagnostics: &[Diagnostic],
    source: &str,
    path: &str,
    color: bool,
) -> String {
    diagnostics
        .iter()
        .map(|d| render_diagnostic(d, source, path, color))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Wraps `text` in an ANSI colour when `color` is on (`green`, `red`, `yellow`, `bold`).
pub fn paint(text: &str, style: &str, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match style {
        "green" => "32",
        "red" => "31",
        "yellow" => "33",
        _ => "1",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

/// The status word of a summary line: `pass` in green when it passed, else `FAIL` in red.
pub fn pass_fail(passed: bool, pass: &str, color: bool) -> String {
    if passed {
        paint(pass, "green", color)
    } else {
        paint("FAIL", "red", color)
    }
}
