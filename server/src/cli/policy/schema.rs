//! `cavra policy schema`: print or write the JSON Schemas of every document the lifecycle
//! writes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use crate::cli::output::{check_output_path, display_path, print, write_file, Format};

pub(super) const SCHEMA_HELP: &str = "\
Examples:
  cavra policy schema
  cavra policy schema policy-lifecycle-readiness-packet.schema.json
  cavra policy schema --out-dir dist/schemas

Exit codes: 0 ok, 2 usage or input error (unknown schema name).";

/// Options of `cavra policy schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print only this schema (a file name as listed).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Write every schema into this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub out_dir: Option<PathBuf>,
}

fn schema_text(schema: &serde_json::Value) -> anyhow::Result<String> {
    // The same layout as `lifecycle/schemas/*.json`.
    Ok(serde_json::to_string_pretty(schema)? + "\n")
}

/// `cavra policy schema`.
pub fn schema(args: SchemaArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("schema", &[Format::Text, Format::Json])?;
    let schemas = lifecycle::schema::schemas();
    if let Some(dir) = &args.out_dir {
        check_output_path("--out-dir", dir)?;
        let mut out = String::new();
        for (name, schema) in &schemas {
            let path = dir.join(name);
            write_file(&path, &schema_text(schema)?)?;
            out.push_str(&format!("wrote {}\n", display_path(&path)));
        }
        print(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.name {
        let Some((_, schema)) = schemas
            .iter()
            .find(|(n, _)| n == name || n.trim_end_matches(".schema.json") == name)
        else {
            let names: Vec<&str> = schemas.iter().map(|(n, _)| *n).collect();
            bail!("unknown schema `{name}` (known: {})", names.join(", "));
        };
        print(&schema_text(schema)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    match format {
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = schemas
                .into_iter()
                .map(|(name, schema)| (name.to_owned(), schema))
                .collect();
            print(&schema_text(&serde_json::Value::Object(map))?)?;
        }
        _ => {
            let mut out = String::new();
            for (name, _) in &schemas {
                out.push_str(name);
                out.push('\n');
            }
            print(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
