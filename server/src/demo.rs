//! `cavra serve --demo`: demo accounts and the packs in `policies/<id>/policy.yaml`.

use std::path::Path;

use anyhow::Context;

use app::backend::{BackendError, Role};

use crate::service::accounts::{create_user, find_user, NewUser};
use crate::service::authoring::import_pack;
use crate::service::Service;

/// A demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// Login name.
    pub username: &'static str,
    /// Password (printed at start; demo only).
    pub password: &'static str,
    /// Role.
    pub role: Role,
    /// Approver groups.
    pub groups: &'static [&'static str],
}

/// The demo accounts: an author, one approver per default group, and an admin (member of both
/// groups, so it can stand in for either approver, but never for its own versions).
pub const DEMO_USERS: [DemoUser; 4] = [
    DemoUser {
        username: "author",
        password: "author-demo-pass",
        role: Role::Author,
        groups: &[],
    },
    DemoUser {
        username: "security",
        password: "security-demo-pass",
        role: Role::Approver,
        groups: &["Platform Security"],
    },
    DemoUser {
        username: "owner",
        password: "owner-demo-pass",
        role: Role::Approver,
        groups: &["Repository Owners"],
    },
    DemoUser {
        username: "admin",
        password: "admin-demo-pass",
        role: Role::Admin,
        groups: &["Platform Security", "Repository Owners"],
    },
];

/// Creates the demo accounts that do not exist yet.
pub async fn seed_users(service: &Service) -> Result<(), BackendError> {
    for user in &DEMO_USERS {
        if find_user(service, user.username).await?.is_some() {
            continue;
        }
        create_user(
            service,
            &NewUser {
                username: user.username,
                password: user.password,
                role: user.role,
                groups: user.groups.iter().map(|g| (*g).to_owned()).collect(),
            },
        )
        .await?;
    }
    Ok(())
}

/// Imports every `<dir>/<id>/policy.yaml` (with `cases.yaml` beside it when present) as the
/// enforced version of a pack that has none. Packs that inherit are retried after their parents.
/// Returns `(pack id, enforced digest)` for each imported or existing pack.
pub async fn import_policies(
    service: &Service,
    dir: &Path,
) -> anyhow::Result<Vec<(String, String)>> {
    if !dir.is_dir() {
        tracing::warn!(dir = %dir.display(), "no policies directory; no packs imported");
        return Ok(Vec::new());
    }
    let mut pending = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading `{}`", dir.display()))? {
        let path = entry?.path().join("policy.yaml");
        if path.is_file() {
            pending.push(path);
        }
    }
    pending.sort();
    let mut imported = Vec::new();
    // Each pass imports what it can; a pack whose parent is not imported yet waits a pass.
    for _ in 0..=pending.len() {
        if pending.is_empty() {
            break;
        }
        let mut failed = Vec::new();
        let mut last_error = None;
        for path in pending {
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("reading `{}`", path.display()))?;
            let cases = path
                .parent()
                .map(|p| p.join("cases.yaml"))
                .filter(|p| p.is_file())
                .map(std::fs::read_to_string)
                .transpose()?;
            match import_pack(service, &source, cases.as_deref()).await {
                Ok(done) => imported.push(done),
                Err(error) => {
                    last_error = Some(format!("{}: {error}", path.display()));
                    failed.push(path);
                }
            }
        }
        if let (Some(error), true) = (last_error, !failed.is_empty()) {
            if failed.len() == imported.len() + failed.len() && imported.is_empty() {
                tracing::warn!(%error, "a pack could not be imported yet");
            }
        }
        pending = failed;
    }
    for path in &pending {
        tracing::warn!(path = %path.display(), "pack not imported (invalid, or its parent is missing)");
    }
    Ok(imported)
}
