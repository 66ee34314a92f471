//! Symbolic links under `--policy-root` (issue 15): a file reached through a pack name that
//! resolves outside the root is refused unread (exit 2, one line), so a CI lint of an untrusted
//! change cannot print a secret the change links to. Links that stay inside the root work.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::cli_common::{read, repo, run_in};

/// In every file the tests link to from outside the root; it must never be printed.
const MARKER: &str = "SECRET_MARKER_4b1e9c";

/// A YAML file whose lint findings would quote the marker (an unknown top-level key).
fn secret_yaml() -> String {
    format!("metadata:\n  id: leaked\n{MARKER}: \"{MARKER}-value\"\n")
}

fn baseline() -> String {
    read(repo().join("policies/cavra-ai-agent-baseline/policy.yaml"))
}

/// `root/good` (a real pack) and, outside the root, `outside/secret.yaml` and
/// `outside/pack/policy.yaml` holding the marker.
fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("good")).unwrap();
    std::fs::write(root.join("good/policy.yaml"), baseline()).unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("pack")).unwrap();
    std::fs::write(outside.join("secret.yaml"), secret_yaml()).unwrap();
    std::fs::write(outside.join("pack/policy.yaml"), secret_yaml()).unwrap();
    std::fs::write(
        outside.join("cases.yaml"),
        format!("cases:\n  - id: {MARKER}\n    input: {{}}\n    expected_decision: {MARKER}\n"),
    )
    .unwrap();
    dir
}

/// Runs each command against `pack` under `dir/root` and asserts exit 2, a one-line refusal
/// naming the root, and no trace of the marker.
fn assert_refused(dir: &Path, pack: &str, why: &str) {
    let root = dir.join("root");
    let root = root.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec![
            "policy",
            "lint",
            "--policy-root",
            root,
            "--policy-pack",
            pack,
        ],
        // Every pack under the root, as a CI job would lint a checkout.
        vec!["policy", "lint", "--policy-root", root],
        vec!["policy", "--format", "json", "lint", "--policy-root", root],
        vec![
            "policy",
            "digest",
            "--policy-root",
            root,
            "--policy-pack",
            pack,
        ],
        vec![
            "policy",
            "dry-run",
            "--policy-root",
            root,
            "--policy-pack",
            pack,
        ],
        vec![
            "policy",
            "diff",
            "--policy-root",
            root,
            "--from",
            "good",
            "--to",
            pack,
        ],
        vec![
            "policy",
            "simulate",
            "--policy-root",
            root,
            "--policy-pack",
            pack,
            "--action",
            "read_file",
            "--target",
            ".env",
        ],
        vec![
            "policy",
            "validate-lifecycle",
            "--policy-root",
            root,
            "--policy-pack",
            pack,
        ],
    ];
    for args in commands {
        refused(dir, &args, why);
    }
}

/// Runs `cavra <args>` in `dir` and asserts exit 2 with one line naming the policy root, and no
/// trace of the marker.
fn refused(dir: &Path, args: &[&str], why: &str) {
    let out = run_in(dir, args);
    let what = format!("{why}: cavra {}", args.join(" "));
    assert_eq!(out.code, 2, "{what}\n{}", out.transcript());
    assert!(
        !out.stdout.contains(MARKER) && !out.stderr.contains(MARKER),
        "{what}: the linked file leaked\n{}",
        out.transcript()
    );
    assert!(
        out.stderr.contains("outside the policy root"),
        "{what}: {}",
        out.transcript()
    );
    assert_eq!(
        out.stderr.trim().lines().count(),
        1,
        "{what}: {}",
        out.stderr
    );
}

#[test]
fn issue_15_a_policy_file_linked_out_of_the_root_is_refused_unread() {
    let dir = layout();
    let evil = dir.path().join("root/evil");
    std::fs::create_dir_all(&evil).unwrap();
    symlink(
        dir.path().join("outside/secret.yaml"),
        evil.join("policy.yaml"),
    )
    .unwrap();
    // A relative link escapes as well.
    let relative = dir.path().join("root/relative");
    std::fs::create_dir_all(&relative).unwrap();
    symlink("../../outside/secret.yaml", relative.join("policy.yaml")).unwrap();
    assert_refused(dir.path(), "evil", "absolute file link");
    std::fs::remove_dir_all(&evil).unwrap();
    assert_refused(dir.path(), "relative", "relative file link");
}

#[test]
fn a_pack_directory_linked_out_of_the_root_is_refused_unread() {
    let dir = layout();
    symlink(
        dir.path().join("outside/pack"),
        dir.path().join("root/evil"),
    )
    .unwrap();
    assert_refused(dir.path(), "evil", "directory link");
}

#[test]
fn an_inherited_pack_or_cases_file_linked_out_of_the_root_is_refused() {
    let dir = layout();
    let root = dir.path().join("root");
    // `child` is a real pack inheriting `parent`, which links out of the root.
    std::fs::create_dir_all(root.join("child")).unwrap();
    std::fs::write(
        root.join("child/policy.yaml"),
        baseline().replacen("metadata:\n", "metadata:\n  inherits: parent\n", 1),
    )
    .unwrap();
    symlink(dir.path().join("outside/pack"), root.join("parent")).unwrap();
    let root_arg = root.to_str().unwrap();
    for args in [
        vec![
            "policy",
            "lint",
            "--policy-root",
            root_arg,
            "--policy-pack",
            "child",
        ],
        vec![
            "policy",
            "digest",
            "--policy-root",
            root_arg,
            "--policy-pack",
            "child",
        ],
    ] {
        refused(dir.path(), &args, "inherited pack linked out");
    }
    std::fs::remove_file(root.join("parent")).unwrap();

    // A real pack whose cases.yaml links out: the dry run refuses it unread.
    symlink(
        dir.path().join("outside/cases.yaml"),
        root.join("good/cases.yaml"),
    )
    .unwrap();
    refused(
        dir.path(),
        &[
            "policy",
            "dry-run",
            "--policy-root",
            root_arg,
            "--policy-pack",
            "good",
        ],
        "cases.yaml linked out",
    );
}

#[test]
fn links_that_stay_inside_the_root_still_work() {
    let dir = layout();
    let root = dir.path().join("root");
    // A directory link and a file link, both to the real pack inside the root.
    symlink(root.join("good"), root.join("alias")).unwrap();
    std::fs::create_dir_all(root.join("file-alias")).unwrap();
    symlink("../good/policy.yaml", root.join("file-alias/policy.yaml")).unwrap();
    let root_arg = root.to_str().unwrap();
    let digest = |pack: &str| {
        let out = run_in(
            dir.path(),
            &[
                "policy",
                "digest",
                "--policy-root",
                root_arg,
                "--policy-pack",
                pack,
            ],
        );
        assert_eq!(out.code, 0, "{pack}: {}", out.transcript());
        out.stdout.split_whitespace().next().unwrap().to_owned()
    };
    let good = digest("good");
    assert_eq!(digest("alias"), good);
    assert_eq!(digest("file-alias"), good);
    let out = run_in(dir.path(), &["policy", "lint", "--policy-root", root_arg]);
    assert_eq!(out.code, 0, "{}", out.transcript());
    // The root itself may be reached through a link.
    symlink(&root, dir.path().join("root-link")).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "digest",
            "--policy-root",
            "root-link",
            "--policy-pack",
            "alias",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.transcript());
}
