//! Which packs a command works on: `--policy-pack` names, `--policy-file` paths, or (neither
//! given) every pack under the policy root. Shared by `lint`, `digest` and `dry-run`.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::RootArg;
use crate::cli::pack::{check_pack_name, list_packs, load_file, load_pack, LoadedPack};

/// Which packs a command works on: names, files, or (neither given) every pack under the root.
#[derive(Debug, Args)]
pub struct Selection {
    /// A pack by name (repeatable); default: every pack under the policy root.
    #[arg(long = "policy-pack", value_name = "PACK")]
    pub policy_pack: Vec<String>,
    /// A policy file (repeatable), loaded without inherits resolution.
    #[arg(long = "policy-file", value_name = "FILE")]
    pub policy_file: Vec<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
}

/// One selected pack: by name under the root, or a file.
pub(super) enum Target {
    Pack(String),
    File(PathBuf),
}

impl Selection {
    /// The selected packs and files, then `extra_files` (lint's positional arguments).
    pub(super) fn targets(&self, extra_files: &[PathBuf]) -> anyhow::Result<Vec<Target>> {
        let mut targets: Vec<Target> = Vec::new();
        for name in &self.policy_pack {
            check_pack_name(name)?;
            targets.push(Target::Pack(name.clone()));
        }
        for path in self.policy_file.iter().chain(extra_files) {
            targets.push(Target::File(path.clone()));
        }
        if targets.is_empty() {
            let names = list_packs(&self.root.policy_root)?;
            if names.is_empty() {
                bail!(
                    "no policy packs under `{}` (expected `<pack>/policy.yaml`)",
                    self.root.policy_root.display()
                );
            }
            targets = names.into_iter().map(Target::Pack).collect();
        }
        Ok(targets)
    }

    /// Loads every target (packs with their inherits merged, files as they are).
    pub(super) fn load_all(&self) -> anyhow::Result<Vec<LoadedPack>> {
        self.targets(&[])?
            .into_iter()
            .map(|target| match target {
                Target::Pack(name) => load_pack(&self.root.policy_root, &name),
                Target::File(path) => load_file(&path, None),
            })
            .collect()
    }
}
