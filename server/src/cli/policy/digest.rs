//! `cavra policy digest`: the content digest of packs (after the inherits merge).

use std::process::ExitCode;

use clap::Args;
use lifecycle::json::python_pretty;
use serde_json::json;

use super::select::Selection;
use crate::cli::output::{display_path, print, Format};

pub(super) const DIGEST_HELP: &str = "\
The digest is CAVRA's policy_content_digest: sha256 of the canonical JSON of the loaded pack
(after the inherits merge), not of the file bytes.

Examples:
  cavra policy digest --policy-pack cavra-ai-agent-baseline
  cavra policy digest --format json

Exit codes: 0 ok, 2 usage or input error.";

/// Options of `cavra policy digest`.
#[derive(Debug, Args)]
pub struct DigestArgs {
    #[command(flatten)]
    pub selection: Selection,
}

/// `cavra policy digest`.
pub fn digest(args: DigestArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("digest", &[Format::Text, Format::Json])?;
    let packs = args.selection.load_all()?;
    match format {
        Format::Json => {
            let entries: Vec<serde_json::Value> = packs
                .iter()
                .map(|pack| {
                    json!({
                        "policy_pack": pack.name,
                        "path": display_path(&pack.path),
                        "policy_digest": lifecycle::digest::policy_digest(&pack.value),
                        "short_digest": lifecycle::digest::short_digest(&pack.value),
                    })
                })
                .collect();
            print(&python_pretty(&json!({
                "schema_version": "cavra-lifecycle.digest.v1",
                "packs": entries,
            })))?;
        }
        _ => {
            let mut out = String::new();
            for pack in &packs {
                out.push_str(&format!(
                    "{}  {}\n",
                    lifecycle::digest::policy_digest(&pack.value),
                    pack.name
                ));
            }
            print(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
