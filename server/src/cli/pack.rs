//! Finding and loading policy packs: `<policy-root>/<pack>/policy.yaml` (default root
//! `policies`, `--policy-root`, env `CAVRA_POLICY_ROOT`), with `metadata.inherits` resolved by
//! [`lifecycle::inherits::load_policy`], or a single file given with `--policy-file` (loaded raw,
//! without inherits resolution, as CAVRA's script does).
//!
//! Every file read because of a pack name (its `policy.yaml`, the packs it inherits, its
//! `cases.yaml`) is resolved first, symbolic links followed, and refused unread when it lands
//! outside the resolved policy root ([`OutsideRoot`]): a CI lint of an untrusted change must not
//! print a file the change links to. Links that stay inside the root work.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use lifecycle::inherits::{load_policy, InheritsError};
use lifecycle::value::Value;

use super::output::{one_line, read_text};

/// The file name of a pack inside its directory.
pub const POLICY_FILE: &str = "policy.yaml";
/// The file name of a pack's required decisions.
pub const CASES_FILE: &str = "cases.yaml";

/// A file named through the policy root resolves (links followed) outside it.
#[derive(Debug, thiserror::Error)]
#[error("`{shown}` leads outside the policy root `{root}` (through a symbolic link); refusing to read it")]
pub struct OutsideRoot {
    shown: String,
    root: String,
}

/// Resolves `path` (a file under `root`, named by a pack) with every link followed, and refuses
/// it unread when it is not inside the resolved root.
pub fn resolve_under_root(root: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    let real_root = root
        .canonicalize()
        .with_context(|| format!("reading policy root `{}`", root.display()))?;
    let real = path
        .canonicalize()
        .with_context(|| format!("reading `{}`", path.display()))?;
    if !real.starts_with(&real_root) {
        return Err(OutsideRoot {
            shown: path.display().to_string(),
            root: root.display().to_string(),
        }
        .into());
    }
    Ok(real)
}

/// Reads a file named through the policy root (see [`resolve_under_root`]); errors name `path`
/// as the user gave it.
pub fn read_under_root(what: &str, root: &Path, path: &Path) -> anyhow::Result<String> {
    let real = resolve_under_root(root, path)?;
    let bytes =
        std::fs::read(real).with_context(|| format!("reading {what} `{}`", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{what} `{}` is not valid UTF-8 text", path.display()))
}

/// A pack loaded for a command.
#[derive(Debug, Clone)]
pub struct LoadedPack {
    /// The pack name (`--policy-pack`), or the file's `metadata.id`/stem for `--policy-file`.
    pub name: String,
    /// The file the pack's own text came from.
    pub path: PathBuf,
    /// The pack's own YAML text (before the inherits merge).
    pub source: String,
    /// The loaded policy (after the inherits merge for packs, raw for files).
    pub value: Value,
    /// The policy root it was found under (`None` for a `--policy-file`).
    pub root: Option<PathBuf>,
}

impl LoadedPack {
    /// The pack's own `cases.yaml` beside its policy, if there is one, as (the path to show,
    /// the path to read); under a policy root it must resolve inside the root like the policy.
    pub fn own_cases(&self) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
        let Some(path) = self
            .path
            .parent()
            .map(|dir| dir.join(CASES_FILE))
            .filter(|path| path.is_file())
        else {
            return Ok(None);
        };
        let real = match &self.root {
            Some(root) => resolve_under_root(root, &path)?,
            None => path.clone(),
        };
        Ok(Some((path, real)))
    }
}

/// Refuses a pack name that is not a plain directory name: empty, `.`/`..`, path separators,
/// or characters outside `A-Z a-z 0-9 . _ -` (so a name can never reach outside the root).
pub fn check_pack_name(name: &str) -> anyhow::Result<()> {
    let plain = !name.is_empty()
        && !name.starts_with(['.', '-'])
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain {
        bail!("`{name}` is not a policy pack name (use the directory name under the policy root, e.g. `cavra-ai-agent-baseline`; for a file use `--policy-file`)");
    }
    Ok(())
}

/// The pack names under `root` (directories holding a `policy.yaml`), sorted.
pub fn list_packs(root: &Path) -> anyhow::Result<Vec<String>> {
    let entries = std::fs::read_dir(root)
        .with_context(|| format!("reading policy root `{}`", root.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(POLICY_FILE).is_file())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .filter(|name| check_pack_name(name).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The path of a pack's `policy.yaml`.
pub fn pack_file(root: &Path, name: &str) -> PathBuf {
    root.join(name).join(POLICY_FILE)
}

/// Loads a pack by name, resolving `metadata.inherits` from the same root.
pub fn load_pack(root: &Path, name: &str) -> anyhow::Result<LoadedPack> {
    check_pack_name(name)?;
    let path = pack_file(root, name);
    if !path.is_file() {
        let known = list_packs(root)
            .map(|names| names.join(", "))
            .unwrap_or_default();
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known
        };
        bail!(
            "unknown policy pack `{name}`: there is no `{}` (packs under `{}`: {known})",
            path.display(),
            root.display()
        );
    }
    let source = read_under_root("policy pack", root, &path)?;
    let mut read_error: Option<anyhow::Error> = None;
    let mut loader = |id: &str| -> Option<String> {
        if check_pack_name(id).is_err() {
            return None;
        }
        let file = pack_file(root, id);
        if !file.is_file() {
            return None;
        }
        match read_under_root("policy pack", root, &file) {
            Ok(text) => Some(text),
            Err(error) => {
                read_error.get_or_insert(error);
                None
            }
        }
    };
    let loaded = load_policy(name, &mut loader);
    if let Some(error) = read_error {
        return Err(error);
    }
    let value = loaded.map_err(|error| match &error {
        InheritsError::NotFound { pack } if pack != name => anyhow::anyhow!(
            "policy pack `{name}` inherits `{pack}`, which is not under `{}`",
            root.display()
        ),
        InheritsError::Parse { .. } => anyhow::anyhow!(
            "{} (run `cavra policy lint --policy-pack {name}` for positions)",
            one_line(&error.to_string())
        ),
        _ => anyhow::anyhow!("{error}"),
    })?;
    Ok(LoadedPack {
        name: name.to_owned(),
        path,
        source,
        value,
        root: Some(root.to_path_buf()),
    })
}

/// Loads a single policy file without inherits resolution. `label` names it in reports; the
/// default is its `metadata.id`, else the parent directory's name.
pub fn load_file(path: &Path, label: Option<&str>) -> anyhow::Result<LoadedPack> {
    let source = read_text("policy file", path)?;
    let value = lifecycle::model::parse_value(&source).map_err(|error| {
        anyhow::anyhow!(
            "policy file `{}` does not parse: {} (run `cavra policy lint {}` for positions)",
            path.display(),
            one_line(&error.to_string()),
            path.display()
        )
    })?;
    let name = match label {
        Some(label) => label.to_owned(),
        None => file_label(path, &value),
    };
    Ok(LoadedPack {
        name,
        path: path.to_path_buf(),
        source,
        value,
        root: None,
    })
}

/// A label for a file: its `metadata.id` when that is a string, else the directory or stem.
pub fn file_label(path: &Path, value: &Value) -> String {
    if let Some(id) = value
        .get("metadata")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
    {
        return id.to_owned();
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy");
    if stem == "policy" {
        if let Some(dir) = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|d| d.to_str())
        {
            return dir.to_owned();
        }
    }
    stem.to_owned()
}

/// The proofs of the invariants the pack's `cases.yaml` declares (`None` without a
/// `cases.yaml` or without invariants in it), for its loaded `value`. A malformed invariant is
/// an input error naming its position.
pub fn pack_invariants(
    root: &Path,
    name: &str,
    value: &Value,
) -> anyhow::Result<Option<lifecycle::invariants::InvariantReport>> {
    let path = root.join(name).join(CASES_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = read_text("cases file", &path)?;
    let parsed = lifecycle::invariants::parse_invariants(&text);
    if parsed.has_blockers() {
        bail!(
            "cases file `{}`: {} (run `cavra policy lint --policy-pack {name}` for positions)",
            path.display(),
            parsed.blocker_texts(&text).join("; ")
        );
    }
    if parsed.invariants.is_empty() {
        return Ok(None);
    }
    Ok(Some(lifecycle::invariants::prove_invariants(
        value,
        &parsed.invariants,
        lifecycle::invariants::GATE_STATE_BUDGET,
    )))
}

/// Reads dry-run fixtures: a `cases.yaml` (by extension `.yaml`/`.yml`) or CAVRA's sample-actions
/// JSON (a list, or an object with an `actions` list).
pub fn load_fixtures(path: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let text = read_text("cases file", path)?;
    let is_yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    let fixtures = if is_yaml {
        lifecycle::dry_run::parse_cases_yaml(&text)
            .map_err(|error| anyhow::anyhow!("cases file `{}`: {error}", path.display()))?
    } else {
        let document: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("sample actions `{}` are not valid JSON", path.display()))?;
        lifecycle::dry_run::fixtures_from_json(&document)
            .map_err(|error| anyhow::anyhow!("sample actions `{}`: {error}", path.display()))?
    };
    Ok(fixtures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_names_are_plain_directory_names() {
        for good in ["cavra-ai-agent-baseline", "a.b_c-1"] {
            assert!(check_pack_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", ".", "..", "../etc", "a/b", "a\\b", ".hidden", "-x", "a..b", "a b", "é",
        ] {
            assert!(check_pack_name(bad).is_err(), "{bad}");
        }
    }
}
