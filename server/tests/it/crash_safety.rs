//! Crash safety (issue 9): the real `cavra serve` binary is SIGKILLed at pseudo-random points while
//! a client drives saves, publications, sign-offs and promotions, on SQLite and PostgreSQL. After
//! each restart: every acknowledged write is present; no version is half-written (each version's
//! stored source hashes to its digest and carries its lint and dry-run results); the enforced
//! pointer names the imported digest or a fully approved one; and `cavra audit verify` passes.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::cli_common::run_merged;
use crate::common::extra::{try_cookie, try_decide, try_json, with_version, CavraProcess, PACK};

const ITERATIONS: u64 = 6;

#[derive(Debug, Default, Clone)]
struct Acked {
    /// (draft id, revision, source) of every save the server answered 200.
    saves: Vec<(i64, i64, String)>,
    /// Digests of every publication answered 201.
    versions: Vec<String>,
    /// Digests of every promotion answered 200.
    promotions: Vec<String>,
}

/// One cycle: draft → save → publish → approval → shadow → observation → ack → sign-offs →
/// promote. Returns `None` as soon as the server is unreachable.
async fn cycle(
    addr: SocketAddr,
    token: &str,
    cookies: &[String; 3],
    version: &str,
    acked: &Mutex<Acked>,
) -> Option<()> {
    let [author, security, owner] = cookies;
    let (status, draft) = try_json(
        addr,
        author,
        "POST",
        &format!("/api/packs/{PACK}/drafts"),
        None,
    )
    .await?;
    if status != StatusCode::CREATED {
        return Some(());
    }
    let id = draft["id"].as_i64()?;
    let source = with_version(draft["source"].as_str()?, version);
    let (status, saved) = try_json(
        addr,
        author,
        "PUT",
        &format!("/api/drafts/{id}"),
        Some(json!({"source": source, "revision": draft["revision"]})),
    )
    .await?;
    if status != StatusCode::OK {
        return Some(());
    }
    acked
        .lock()
        .unwrap()
        .saves
        .push((id, saved["revision"].as_i64()?, source));
    let (status, published) = try_json(
        addr,
        author,
        "POST",
        &format!("/api/drafts/{id}/publish"),
        None,
    )
    .await?;
    if status != StatusCode::CREATED {
        return Some(());
    }
    let digest = published["digest"].as_str()?.to_owned();
    acked.lock().unwrap().versions.push(digest.clone());
    let (status, request) = try_json(
        addr,
        author,
        "POST",
        &format!("/api/packs/{PACK}/approvals"),
        Some(json!({"digest": digest})),
    )
    .await?;
    if status != StatusCode::CREATED {
        return Some(());
    }
    let _ = try_json(
        addr,
        author,
        "DELETE",
        &format!("/api/packs/{PACK}/shadow"),
        None,
    )
    .await?;
    try_json(
        addr,
        author,
        "POST",
        &format!("/api/packs/{PACK}/shadow"),
        Some(json!({"digest": digest})),
    )
    .await?;
    let input = json!({
        "schema_version": "cavra.opa-rego-policy.input.v1",
        "action_type": "read_file",
        "target": "README.md",
        "requested_operation": "read"
    });
    let (status, _) = try_decide(addr, token, input).await?;
    assert_ne!(status, StatusCode::UNAUTHORIZED, "the demo token decides");
    try_json(
        addr,
        security,
        "POST",
        &format!("/api/packs/{PACK}/shadow/acknowledge"),
        None,
    )
    .await?;
    for (cookie, group) in [
        (security, "Platform Security"),
        (owner, "Repository Owners"),
    ] {
        try_json(
            addr,
            cookie,
            "POST",
            &format!("/api/approvals/{}/signoffs", request["id"]),
            Some(json!({"group": group, "digest": digest, "decision": "approve", "comment": "ok"})),
        )
        .await?;
    }
    let (status, _) = try_json(
        addr,
        author,
        "POST",
        &format!("/api/packs/{PACK}/promote"),
        Some(json!({"digest": digest})),
    )
    .await?;
    if status == StatusCode::OK {
        acked.lock().unwrap().promotions.push(digest);
    }
    Some(())
}

async fn cookies(addr: SocketAddr) -> [String; 3] {
    let mut out = Vec::new();
    for user in ["author", "security", "owner"] {
        out.push(try_cookie(addr, user).await.expect("sign in after restart"));
    }
    out.try_into().unwrap()
}

/// Checks every promise against a freshly restarted server.
async fn check(addr: SocketAddr, acked: &Acked, imported: &str, label: &str) {
    let [author, _, _] = cookies(addr).await;
    let get = |path: String| {
        let author = author.clone();
        async move {
            let (status, body) = try_json(addr, &author, "GET", &path, None)
                .await
                .expect("server answers");
            assert_eq!(status, StatusCode::OK, "{label}: GET {path}: {body}");
            body
        }
    };
    // Acknowledged saves are present (a later save may have superseded them).
    for (id, revision, source) in &acked.saves {
        let draft = get(format!("/api/drafts/{id}")).await;
        let stored = draft["revision"].as_i64().unwrap();
        assert!(
            stored >= *revision,
            "{label}: draft {id} lost revision {revision}"
        );
        if stored == *revision {
            assert_eq!(
                draft["source"].as_str().unwrap(),
                source,
                "{label}: draft {id}"
            );
        }
    }
    // No version half-written: source, digest, lint and dry-run agree.
    let versions = get(format!("/api/packs/{PACK}/versions")).await;
    let mut digests = HashSet::new();
    for version in versions.as_array().unwrap() {
        let digest = version["digest"].as_str().unwrap();
        digests.insert(digest.to_owned());
        let full = get(format!("/api/packs/{PACK}/versions/{digest}")).await;
        let source = full["source"].as_str().unwrap();
        let value = lifecycle::lint::lint_source(source)
            .value
            .expect("stored source parses");
        assert_eq!(
            lifecycle::digest::policy_digest(&value),
            digest,
            "{label}: version text matches its digest"
        );
        assert!(full["dry_run_passed"].is_boolean(), "{label}: {full}");
        assert!(!full["lint_report"].is_null(), "{label}: lint report kept");
    }
    for digest in &acked.versions {
        assert!(digests.contains(digest), "{label}: published {digest} lost");
    }
    // The enforced pointer names the imported digest or a fully approved one.
    let packs = get("/api/packs".into()).await;
    let enforced = packs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == PACK)
        .unwrap()["enforced_digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        digests.contains(&enforced),
        "{label}: enforced is a stored version"
    );
    if enforced != imported {
        let approvals = get(format!("/api/packs/{PACK}/approvals")).await;
        let approved = approvals.as_array().unwrap().iter().any(|a| {
            a["digest"] == enforced.as_str()
                && a["kind"] == "promotion"
                && a["rejected"] == false
                && a["pending_groups"] == json!([])
        });
        assert!(
            approved,
            "{label}: enforced {enforced} is not fully approved"
        );
    }
    // Acknowledged promotions are in the history.
    let history = get(format!("/api/packs/{PACK}/history")).await;
    for digest in &acked.promotions {
        assert!(
            history
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["digest"] == digest.as_str()),
            "{label}: promotion of {digest} lost"
        );
    }
    let audit: Value = get("/api/audit/verify".into()).await;
    assert_eq!(audit["problems"], json!([]), "{label}: {audit}");
}

/// A small deterministic pseudo-random sequence (no extra dependency).
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

async fn kill_loop(data_dir: &Path, url: &str, label: &str) {
    let extra = ["--database-url", url];
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut seed = 0x9e37_79b9_u64 ^ u64::from(std::process::id());
    let mut imported = None;
    let mut cycles_total = 0;
    for iteration in 0..ITERATIONS {
        let mut process = CavraProcess::start(data_dir, &extra, "warn");
        let addr = process.addr;
        if imported.is_none() {
            let [author, _, _] = cookies(addr).await;
            let (_, packs) = try_json(addr, &author, "GET", "/api/packs", None)
                .await
                .unwrap();
            imported = packs
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == PACK)
                .map(|p| p["enforced_digest"].as_str().unwrap().to_owned());
        }
        let snapshot = acked.lock().unwrap().clone();
        check(
            addr,
            &snapshot,
            imported.as_deref().unwrap(),
            &format!("{label} restart {iteration}"),
        )
        .await;
        let cookies = cookies(addr).await;
        let token = process.demo_token();
        let workload = {
            let acked = acked.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while cycle(
                    addr,
                    &token,
                    &cookies,
                    &format!("1.{iteration}.{n}"),
                    &acked,
                )
                .await
                .is_some()
                {
                    n += 1;
                }
                n
            })
        };
        let delay = 150 + next(&mut seed) % 1500;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        process.kill();
        cycles_total += tokio::time::timeout(Duration::from_secs(30), workload)
            .await
            .expect("the client notices the kill")
            .unwrap();
    }
    // Final restart: check, then the audit chain through the CLI with the server stopped.
    let mut process = CavraProcess::start(data_dir, &extra, "warn");
    let snapshot = acked.lock().unwrap().clone();
    check(
        process.addr,
        &snapshot,
        imported.as_deref().unwrap(),
        &format!("{label} final"),
    )
    .await;
    process.kill();
    let (code, output) = run_merged(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["audit", "verify", "--database-url", url],
    );
    assert_eq!(code, 0, "{label}: {output}");
    let acked = acked.lock().unwrap();
    eprintln!(
        "{label}: {ITERATIONS} kills, {cycles_total} full cycles, {} acknowledged saves, {} versions, {} promotions",
        acked.saves.len(),
        acked.versions.len(),
        acked.promotions.len()
    );
    assert!(
        !acked.saves.is_empty(),
        "{label}: the workload made progress"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_writes_loses_nothing_acknowledged() {
    let probe = tempfile::tempdir().unwrap();
    let urls = crate::common::database_urls(probe.path()).await;
    for (index, url) in urls.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let (url, label) = if index == 0 {
            (
                format!("sqlite://{}", dir.path().join("cavra.db").display()),
                "SQLite",
            )
        } else {
            (url, "PostgreSQL")
        };
        kill_loop(dir.path(), &url, label).await;
    }
}
