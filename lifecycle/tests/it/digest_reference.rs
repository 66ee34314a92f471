//! Digests of the reference packs and byte-exact re-printing of CAVRA's golden JSON files.

use std::path::{Path, PathBuf};

use lifecycle::digest::{policy_digest, short_digest};
use lifecycle::inherits::load_policy;
use lifecycle::json::python_pretty;
use lifecycle::model::parse_value;

use crate::common::{reference_dir, reference_registry};

#[test]
fn registry_digests_match_cavra() {
    let cases = [
        (
            "cavra-ai-agent-baseline",
            "6a79faa218f8bf77abb5f878c0c822c610ebaff71a4a9736ffbe3fa1ec27f45e",
        ),
        ("cavra-terraform-prod", "5b6239c7"),
        ("cavra-mcp-enterprise", "e26273b7"),
        ("cavra-github-enterprise", "843620bd"),
        ("cavra-banking-baseline", "f14b7be1"),
        ("cavra-agentic-delivery", "37f2768a"),
    ];
    for (pack, prefix) in cases {
        let policy = load_policy(pack, &mut reference_registry).unwrap();
        let digest = policy_digest(&policy);
        assert!(
            digest.starts_with(&format!("sha256:{prefix}")),
            "{pack}: {digest} does not start with {prefix}"
        );
        assert_eq!(short_digest(&policy), digest[7..19]);
    }
}

#[test]
fn raw_agentic_delivery_digest() {
    let raw = parse_value(&reference_registry("cavra-agentic-delivery").unwrap()).unwrap();
    assert!(policy_digest(&raw).starts_with("sha256:f15c5944"));
}

#[test]
fn golden_version_manifests_carry_our_digests() {
    // The manifests CAVRA wrote name the full digests; ours must equal them.
    for (dir, pack) in [
        ("policy-lifecycle", "cavra-ai-agent-baseline"),
        (
            "policy-lifecycle-agentic-delivery",
            "cavra-agentic-delivery",
        ),
    ] {
        let text = std::fs::read_to_string(
            reference_dir()
                .join(dir)
                .join("policy-version-manifest.json"),
        )
        .unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
        let policy = load_policy(pack, &mut reference_registry).unwrap();
        assert_eq!(manifest["policy_digest"], policy_digest(&policy), "{dir}");
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn python_pretty_reprints_every_golden_file_byte_for_byte() {
    let mut files = Vec::new();
    json_files(&reference_dir(), &mut files);
    assert!(
        files.len() > 20,
        "expected the golden files, found {}",
        files.len()
    );
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(python_pretty(&value), text, "{}", path.display());
    }
}
