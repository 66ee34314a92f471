//! SARIF 2.1.0 for `cavra policy lint --format sarif`, the format GitHub code scanning uploads
//! (`github/codeql-action/upload-sarif`).
//!
//! One run; the driver lists every lint rule (so `ruleIndex` is stable across runs); one result
//! per diagnostic with its region in UTF-16 columns (SARIF's default `columnKind`).

use lifecycle::diagnostic::{Diagnostic, Severity};
use serde_json::{json, Value};

/// The SARIF schema URI written into the log.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One linted file.
pub struct LintedFile<'a> {
    /// The path, relative to the working directory, with `/` separators.
    pub path: &'a str,
    /// The file's text.
    pub source: &'a str,
    /// Its diagnostics.
    pub diagnostics: &'a [Diagnostic],
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocker => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Builds the SARIF log.
pub fn sarif_log(files: &[LintedFile<'_>]) -> Value {
    let rules = lifecycle::lint::rules();
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.summary },
                "help": { "text": rule.doc() },
                "defaultConfiguration": { "level": level(rule.severity) },
                "properties": { "tags": ["policy", "cavra"] }
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in files {
        for diagnostic in file.diagnostics {
            let mut physical = json!({ "artifactLocation": { "uri": file.path } });
            if let Some(span) = diagnostic.span {
                let (start_column, end_column) = span.utf16_columns(file.source);
                let mut region = json!({
                    "startLine": span.line.max(1),
                    "startColumn": start_column.max(1),
                    "endLine": span.end_line.max(span.line).max(1),
                    "endColumn": end_column.max(1),
                });
                if span.end_line == span.line && end_column <= start_column {
                    // An empty span: mark one column so viewers show it.
                    region["endColumn"] = json!(start_column + 1);
                }
                physical["region"] = region;
            }
            let mut message = diagnostic.message.clone();
            if let Some(help) = &diagnostic.help {
                message.push_str(&format!(" Help: {help}"));
            }
            let mut result = json!({
                "ruleId": diagnostic.code,
                "level": level(diagnostic.severity),
                "message": { "text": message },
                "locations": [ { "physicalLocation": physical } ],
            });
            if let Some(index) = rules.iter().position(|rule| rule.code == diagnostic.code) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(cavra) = &diagnostic.cavra_code {
                result["properties"] = json!({ "cavraCode": cavra });
            }
            results.push(result);
        }
    }
    let artifacts: Vec<Value> = files
        .iter()
        .map(|file| json!({ "location": { "uri": file.path }, "mimeType": "application/yaml" }))
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cavra",
                    "fullName": "CAVRA Policy Lifecycle linter",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/Huzefaaa2/cavra",
                    "rules": driver_rules
                }
            },
            "artifacts": artifacts,
            "columnKind": "utf16CodeUnits",
            "results": results
        }]
    })
}
