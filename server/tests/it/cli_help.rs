//! `--help` stays honest: every command's long help (with its examples and exit codes) is
//! snapshotted.

use crate::cli_common::{assert_exit, cavra_in, repo, run_command};

#[test]
fn help_texts() {
    // `cavra --help` and `serve --help` are left out: other commands add variants there, and
    // `serve` shows the current DATABASE_URL.
    let commands: [&[&str]; 11] = [
        &["policy"],
        &["policy", "lifecycle-plan"],
        &["policy", "lifecycle-readiness"],
        &["policy", "validate-lifecycle"],
        &["policy", "lint"],
        &["policy", "digest"],
        &["policy", "diff"],
        &["policy", "simulate"],
        &["policy", "dry-run"],
        &["policy", "replay"],
        &["policy", "schema"],
    ];
    for command in commands {
        let out = run_command(
            cavra_in(&repo())
                .env("COLUMNS", "100")
                .args(command)
                .arg("--help"),
        );
        assert_exit(&out, 0);
        let name = command.join("_");
        insta::assert_snapshot!(format!("help_{name}"), out.stdout);
    }
}
