//! Governance integrity against an insider with database access: the keyed audit log, the pinned
//! evidence key, `cavra packet verify` and the password rule, on SQLite and PostgreSQL, through
//! the real `cavra` binary where a CLI is involved.
//!
//! Every attack is carried out as the attacker would: SQL against the database, with the audit
//! format known (the hashing functions are public) but without the server's key.

use std::path::{Path, PathBuf};

use app::backend::{Actor, Backend as _, SignOffInput};
use serde_json::{json, Value};
use server::audit::{entry_hash, row_hash, signed_message, GENESIS};
use server::db::Database;
use server::evidence::{Signer, KEY_FILE, PUBLIC_KEY_FILE};
use server::service::{accounts, keys, Service};
use sqlx::AnyPool;

use crate::cli_common::{cavra_in, run_command, Run};
use crate::common::extra::{with_version, CavraProcess, PACK};
use crate::common::{database_urls, seeded_service, servers, Client};

/// A seeded service on one engine with a published version, an approval request and one
/// sign-off, so every covered table has rows.
struct Fixture {
    url: String,
    service: Service,
    dir: tempfile::TempDir,
    digest: String,
    request_id: i64,
}

impl Fixture {
    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn public_key_file(&self) -> PathBuf {
        self.data_dir().join("keys").join(PUBLIC_KEY_FILE)
    }

    fn pool(&self) -> &AnyPool {
        self.service.db().pool()
    }

    /// `cavra <args> --database-url <url>` in the fixture's directory.
    fn cavra(&self, args: &[&str]) -> Run {
        run_command(
            cavra_in(self.dir.path())
                .args(args)
                .args(["--database-url", &self.url]),
        )
    }

    /// `cavra audit verify` against the server's public key, plus `extra`.
    fn verify(&self, extra: &[&str]) -> Run {
        let key = self.public_key_file();
        let mut args = vec!["audit", "verify", "--public-key", key.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.cavra(&args)
    }
}

async fn user(service: &Service, name: &str) -> Actor {
    accounts::find_user(service, name).await.unwrap().unwrap()
}

/// One fixture per configured engine.
async fn fixtures() -> Vec<Fixture> {
    let probe = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for url in database_urls(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let url = if url.starts_with("sqlite") {
            format!("sqlite://{}", dir.path().join("cavra.db").display())
        } else {
            url
        };
        let service = seeded_service(&url, dir.path().join("data")).await;
        let author = user(&service, "author").await;
        let draft = service.create_draft(&author, PACK, None).await.unwrap();
        let source = with_version(&draft.source, "9.9.9");
        let draft = service
            .save_draft(&author, draft.id, &source, draft.revision)
            .await
            .unwrap();
        let version = service.publish_draft(&author, draft.id).await.unwrap();
        let request = service
            .request_approval(&author, PACK, &version.digest, "promotion", None)
            .await
            .unwrap();
        let security = user(&service, "security").await;
        service
            .sign_off(
                &security,
                request.id,
                &SignOffInput {
                    group: "Platform Security".into(),
                    digest: version.digest.clone(),
                    decision: "approve".into(),
                    comment: "looks right".into(),
                },
            )
            .await
            .unwrap();
        out.push(Fixture {
            url,
            service,
            dir,
            digest: version.digest,
            request_id: request.id,
        });
    }
    out
}

#[track_caller]
fn assert_tampered(run: &Run, phrase: &str) {
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("TAMPERED"), "{}", run.transcript());
    assert!(
        run.stdout.contains(phrase),
        "`{phrase}` in:\n{}",
        run.transcript()
    );
}

#[track_caller]
fn assert_intact(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.starts_with("OK audit log intact"),
        "{}",
        run.transcript()
    );
}

/// A value bound to a statement of [`sql`].
enum Bind<'a> {
    Int(i64),
    Text(&'a str),
}

/// Runs one statement as the attacker at the database would.
async fn sql(pool: &AnyPool, statement: &str, binds: &[Bind<'_>]) {
    let mut query = sqlx::query(statement);
    for bind in binds {
        query = match bind {
            Bind::Int(value) => query.bind(*value),
            Bind::Text(value) => query.bind(*value),
        };
    }
    query
        .execute(pool)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
}

/// The single integer a query returns.
async fn scalar(pool: &AnyPool, statement: &str) -> i64 {
    sqlx::query_scalar(statement).fetch_one(pool).await.unwrap()
}

/// Every audit entry, in order.
async fn entries(pool: &AnyPool) -> Vec<server::store::audit::EntryRow> {
    let mut conn = pool.acquire().await.unwrap();
    server::store::audit::entries(&mut conn).await.unwrap()
}

/// Rewrites the chain as an attacker would: recompute every hash (and re-sign when the attacker
/// has a key of their own), store the entries and move the head to the last one.
async fn rechain(
    pool: &AnyPool,
    mut all: Vec<server::store::audit::EntryRow>,
    resign: Option<&Signer>,
) {
    let mut prev = GENESIS.to_owned();
    for entry in &mut all {
        entry.prev_hash = prev.clone();
        entry.hash = entry_hash(entry);
        if let Some(key) = resign {
            entry.signature = Some(key.sign(&signed_message(entry.seq, &entry.hash)));
        }
        prev = entry.hash.clone();
    }
    // prev_hash is UNIQUE: clear the old values first so a shifted chain cannot collide.
    sql(
        pool,
        "UPDATE audit_log SET prev_hash = 'x' || CAST(seq AS TEXT)",
        &[],
    )
    .await;
    for entry in &all {
        sqlx::query(
            "UPDATE audit_log SET actor = $1, detail_json = $2, rows_json = $3, prev_hash = $4, \
             hash = $5, signature = $6 WHERE seq = $7",
        )
        .bind(&entry.actor)
        .bind(&entry.detail_json)
        .bind(&entry.rows_json)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .bind(entry.signature.as_deref())
        .bind(entry.seq)
        .execute(pool)
        .await
        .unwrap();
    }
    let last = all.last().unwrap();
    set_head(pool, last.seq, &last.hash).await;
}

/// Moves the head recorded in `lifecycle_lock`.
async fn set_head(pool: &AnyPool, seq: i64, hash: &str) {
    sql(
        pool,
        "UPDATE lifecycle_lock SET audit_seq = $1, audit_head = $2 WHERE id = 1",
        &[Bind::Int(seq), Bind::Text(hash)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_entry_rechained_without_the_key_fails_verification() {
    for fixture in fixtures().await {
        let engine = fixture.service.db().engine();
        assert_intact(&fixture.verify(&[]));
        // Attack: the sign-off entry now names another approver; every hash after it is
        // recomputed and the head rewound, so the plain hash chain would be intact again.
        let mut all = entries(fixture.pool()).await;
        let target = all
            .iter_mut()
            .find(|entry| entry.action == "approval.signoff")
            .unwrap();
        target.actor = "owner".into();
        let seq = target.seq;
        rechain(fixture.pool(), all, None).await;
        let run = fixture.verify(&[]);
        assert_tampered(
            &run,
            &format!("entry {seq} has an invalid signature (rewritten without the key)"),
        );
        assert!(
            !run.stdout.contains("hash mismatch"),
            "{engine:?}: hashes were recomputed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncation_with_a_rewound_head_fails_against_an_anchor() {
    for fixture in fixtures().await {
        let anchor = fixture.dir.path().join("anchor.json");
        let taken = fixture.cavra(&["audit", "anchor", "--out", anchor.to_str().unwrap()]);
        assert_eq!(taken.code, 0, "{}", taken.transcript());
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&anchor).unwrap()).unwrap();
        let all = entries(fixture.pool()).await;
        assert_eq!(written["seq"], all.last().unwrap().seq);
        assert_eq!(written["schema_version"], "cavra.audit-anchor.v1");
        for field in ["hash", "signature", "public_key", "anchored_at"] {
            assert!(written[field].is_string(), "{field} in {written}");
        }
        assert_intact(&fixture.verify(&["--anchor", anchor.to_str().unwrap()]));
        // A forged anchor (another hash under the same signature) is refused.
        let mut forged = written.clone();
        forged["hash"] = json!(GENESIS);
        let forged_path = fixture.dir.path().join("forged-anchor.json");
        std::fs::write(&forged_path, forged.to_string()).unwrap();
        let run = fixture.verify(&["--anchor", forged_path.to_str().unwrap()]);
        assert_tampered(&run, "the anchor's signature does not match");
        assert!(
            run.stdout.contains("differs from the anchor"),
            "{}",
            run.transcript()
        );

        // Attack: delete the newest entries and the rows they vouch for (the evidence of the
        // sign-off, the sign-off itself), then rewind the head: a valid, shorter, signed chain.
        let keep = all
            .iter()
            .rev()
            .find(|entry| entry.action == "approval.signoff")
            .unwrap()
            .seq
            - 1;
        let cut: Vec<_> = all.iter().filter(|entry| entry.seq > keep).collect();
        assert!(cut.len() >= 2, "the sign-off and its evidence entry");
        let pool = fixture.pool();
        let newest =
            "DELETE FROM evidence_packets WHERE id = (SELECT MAX(id) FROM evidence_packets)";
        sql(pool, newest, &[]).await;
        sql(pool, "DELETE FROM signoffs", &[]).await;
        sql(
            pool,
            "DELETE FROM audit_log WHERE seq > $1",
            &[Bind::Int(keep)],
        )
        .await;
        let head = &all[usize::try_from(keep).unwrap() - 1];
        set_head(pool, head.seq, &head.hash).await;
        // Without the anchor the shorter chain is consistent; with it, the cut is found.
        assert_intact(&fixture.verify(&[]));
        let run = fixture.verify(&["--anchor", anchor.to_str().unwrap()]);
        assert_tampered(
            &run,
            &format!(
                "the anchored entry {} is missing: the log ends at entry {keep}",
                all.last().unwrap().seq
            ),
        );
        // No anchor is issued for a log that does not verify.
        sql(pool, "UPDATE signoffs SET comment = 'x'", &[]).await;
        let newest = "UPDATE evidence_packets SET event = 'x'";
        sql(pool, newest, &[]).await;
        let refused = fixture.cavra(&["audit", "anchor"]);
        assert_eq!(refused.code, 1, "{}", refused.transcript());
        assert!(
            refused.stdout.contains("no anchor"),
            "{}",
            refused.transcript()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_edited_or_smuggled_rows_of_the_gate_fail_verification() {
    for fixture in fixtures().await {
        let pool = fixture.pool();
        let engine = fixture.service.db().engine();
        let signoff = scalar(pool, "SELECT MAX(id) FROM signoffs").await;
        let packet = scalar(pool, "SELECT MAX(id) FROM evidence_packets").await;
        let comment = |text: &'static str| async move {
            let statement = "UPDATE signoffs SET comment = $1 WHERE id = $2";
            sql(pool, statement, &[Bind::Text(text), Bind::Int(signoff)]).await;
        };

        // An edited sign-off: the comment rewritten.
        comment("rubber stamp").await;
        assert_tampered(
            &fixture.verify(&[]),
            &format!("signoffs row {signoff} differs from what audit entry"),
        );
        comment("looks right").await;
        assert_intact(&fixture.verify(&[]));

        // A sign-off smuggled in: the second group's approval, never given.
        let owner = user(&fixture.service, "owner").await;
        sql(
            pool,
            "INSERT INTO signoffs (request_id, pack_id, digest, user_id, approver_group, decision, \
             comment, created_at) VALUES ($1, $2, $3, $4, 'Repository Owners', 'approve', '', 1)",
            &[
                Bind::Int(fixture.request_id),
                Bind::Text(PACK),
                Bind::Text(&fixture.digest),
                Bind::Int(owner.id),
            ],
        )
        .await;
        assert_tampered(
            &fixture.verify(&[]),
            "has no audit entry (written outside the service)",
        );
        sql(
            pool,
            "DELETE FROM signoffs WHERE user_id = $1",
            &[Bind::Int(owner.id)],
        )
        .await;

        // A deleted sign-off and a deleted evidence packet.
        sql(
            pool,
            "DELETE FROM signoffs WHERE id = $1",
            &[Bind::Int(signoff)],
        )
        .await;
        let delete = "DELETE FROM evidence_packets WHERE id = $1";
        sql(pool, delete, &[Bind::Int(packet)]).await;
        let run = fixture.verify(&[]);
        assert_tampered(
            &run,
            &format!("signoffs row {signoff}, recorded by audit entry"),
        );
        assert!(
            run.stdout.contains(&format!(
                "evidence_packets row {packet}, recorded by audit entry"
            )),
            "{engine:?}: {}",
            run.transcript()
        );

        // The enforced pointer moved by hand, behind the history's back.
        let pointer = "UPDATE packs SET enforced_digest = $1 WHERE id = $2";
        sql(
            pool,
            pointer,
            &[Bind::Text(&fixture.digest), Bind::Text(PACK)],
        )
        .await;
        assert_tampered(
            &fixture.verify(&[]),
            "but its enforcement history ends with",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_re_signed_with_the_attackers_own_key_fails_against_the_servers_key() {
    for fixture in fixtures().await {
        // Attack: a key of the attacker's replaces the pinned one, every row hash and signature
        // recomputed, so the database is consistent with itself.
        let mallory = Signer::from_seed([66; 32]);
        sql(
            fixture.pool(),
            "UPDATE evidence_keys SET public_key = $1, fingerprint = $2",
            &[
                Bind::Text(&mallory.public_hex()),
                Bind::Text(&mallory.fingerprint()),
            ],
        )
        .await;
        let mut conn = fixture.pool().acquire().await.unwrap();
        let key_row = server::store::audit::row(&mut conn, &server::store::audit::EVIDENCE_KEYS, 1)
            .await
            .unwrap()
            .unwrap();
        drop(conn);
        let mut all = entries(fixture.pool()).await;
        for entry in &mut all {
            let mut rows: Vec<server::audit::RowRef> =
                serde_json::from_str(&entry.rows_json).unwrap();
            for row in &mut rows {
                if row.table == "evidence_keys" {
                    row.sha256 = row_hash(&server::store::audit::EVIDENCE_KEYS, &key_row);
                }
            }
            entry.rows_json = serde_json::to_string(&rows).unwrap();
            if entry.action == "key.pin" {
                let mut detail: Value = serde_json::from_str(&entry.detail_json).unwrap();
                detail["public_key"] = json!(mallory.public_hex());
                detail["fingerprint"] = json!(mallory.fingerprint());
                entry.detail_json = detail.to_string();
            }
        }
        rechain(fixture.pool(), all, Some(&mallory)).await;
        // Only the database's own keys: consistent, and the output says so.
        let alone = fixture.cavra(&["audit", "verify"]);
        assert_intact(&alone);
        assert!(
            alone.stdout.contains("note: only the database's own keys"),
            "{}",
            alone.transcript()
        );
        // Against the server's key (file or --public-key) it fails.
        assert_tampered(&fixture.verify(&[]), "is not the key in --public-key");
        let report = fixture.service.verify_audit().await.unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("the server's key file")),
            "{report:?}"
        );
    }
}

/// The mode bits of a path.
fn mode(path: &Path) -> u32 {
    server::fsperm::mode(path).unwrap()
}

/// `cavra serve` that is expected to refuse to start: its exit code and output.
fn serve_refused(data_dir: &Path, database: &[&str]) -> (i32, String) {
    let output = cavra_in(data_dir.parent().unwrap())
        .env("RUST_LOG", "warn")
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(database)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_key_file_is_refused_until_rotated_and_files_are_private() {
    let probe = tempfile::tempdir().unwrap();
    for url in database_urls(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // SQLite: the default database in the data directory; PostgreSQL: --database-url.
        let database: Vec<&str> = if url.starts_with("sqlite") {
            Vec::new()
        } else {
            vec!["--database-url", &url]
        };
        let mut process = CavraProcess::start(&data, &database, "warn");
        process.kill();
        let keys = data.join("keys");
        assert_eq!(mode(&data), 0o700, "data directory");
        assert_eq!(mode(&keys), 0o700, "key directory");
        assert_eq!(mode(&keys.join(KEY_FILE)), 0o600, "private key");
        assert_eq!(mode(&keys.join(PUBLIC_KEY_FILE)), 0o600, "public key file");
        let sqlite = database.is_empty();
        if sqlite {
            assert_eq!(mode(&data.join("cavra.db")), 0o600, "database file");
        }
        let old_public = std::fs::read_to_string(keys.join(PUBLIC_KEY_FILE)).unwrap();

        // Attack: another key file in place of the server's.
        std::fs::remove_file(keys.join(KEY_FILE)).unwrap();
        std::fs::write(keys.join(KEY_FILE), hex::encode([42u8; 32])).unwrap();
        let (code, output) = serve_refused(&data, &database);
        assert_eq!(code, 2, "{output}");
        assert!(
            output.contains("is not the key this database pinned"),
            "{output}"
        );
        assert!(output.contains("--rotate-evidence-key"), "{output}");
        assert!(!output.contains("serving on"), "{output}");

        // A loosened database file and key file are tightened at the next start, with a warning.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(keys.join(KEY_FILE), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        if sqlite {
            std::fs::set_permissions(
                data.join("cavra.db"),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
        }
        let mut extra = database.clone();
        extra.push("--rotate-evidence-key");
        let mut process = CavraProcess::start(&data, &extra, "warn");
        let output = process.output();
        process.kill();
        assert!(output.contains("Evidence key rotated"), "{output}");
        assert!(output.contains("tightened the permissions"), "{output}");
        assert_eq!(mode(&keys.join(KEY_FILE)), 0o600);
        if sqlite {
            assert_eq!(mode(&data.join("cavra.db")), 0o600);
        }

        // The rotation is in the log, and the log verifies with both keys.
        let db_url = if sqlite {
            format!("sqlite://{}", data.join("cavra.db").display())
        } else {
            url.clone()
        };
        let pool = Database::connect(&db_url).await.unwrap();
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
            .fetch_all(pool.pool())
            .await
            .unwrap();
        assert_eq!(
            actions.first().map(String::as_str),
            Some("key.pin"),
            "{actions:?}"
        );
        assert_eq!(
            actions.iter().filter(|a| *a == "key.rotate").count(),
            1,
            "{actions:?}"
        );
        let new_public = std::fs::read_to_string(keys.join(PUBLIC_KEY_FILE)).unwrap();
        assert_ne!(old_public, new_public);
        let mut args = vec!["audit", "verify", "--data-dir", data.to_str().unwrap()];
        args.extend_from_slice(&database);
        let run = run_command(cavra_in(dir.path()).args(&args));
        assert_intact(&run);
        assert!(run.stdout.contains("1 rotation(s)"), "{}", run.transcript());
        // The old key no longer is the current one.
        let mut stale = args.clone();
        stale.extend(["--public-key", old_public.trim()]);
        assert_tampered(
            &run_command(cavra_in(dir.path()).args(&stale)),
            "is not the key in",
        );
        // And a plain restart with the new key is accepted.
        let mut process = CavraProcess::start(&data, &database, "warn");
        process.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_keeps_old_packets_verifiable_and_retires_the_old_signer() {
    for fixture in fixtures().await {
        let old_packet = newest_packet(&fixture);
        let replica_dir = fixture.dir.path().join("rotated");
        let rotated = Service::new(
            Database::connect(&fixture.url).await.unwrap(),
            server::config::ServiceConfig::new(&replica_dir),
        )
        .unwrap();
        let refused = keys::pin(&rotated, false).await.unwrap_err().to_string();
        assert!(refused.contains("--rotate-evidence-key"), "{refused}");
        let outcome = keys::pin(&rotated, true).await.unwrap();
        assert!(
            matches!(outcome, keys::KeyOutcome::Rotated { .. }),
            "{outcome:?}"
        );
        // Rotating back to the retired key is refused: it may be the compromised one.
        let back = keys::pin(&fixture.service, true)
            .await
            .unwrap_err()
            .to_string();
        assert!(back.contains("a retired key is not reinstated"), "{back}");
        // The old key signs nothing any more; the new one does.
        let author = user(&fixture.service, "author").await;
        assert!(fixture
            .service
            .create_draft(&author, PACK, None)
            .await
            .is_err());
        rotated.create_draft(&author, PACK, None).await.unwrap();
        let new_key = replica_dir.join("keys").join(PUBLIC_KEY_FILE);
        let run = fixture.cavra(&["audit", "verify", "--public-key", new_key.to_str().unwrap()]);
        assert_intact(&run);
        assert!(run.stdout.contains("2 key(s)"), "{}", run.transcript());
        // A packet signed before the rotation verifies against the pinned keys.
        let run = fixture.cavra(&["packet", "verify", old_packet.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.transcript());
    }
}

/// The newest evidence file the fixture wrote.
fn newest_packet(fixture: &Fixture) -> PathBuf {
    let dir = fixture.data_dir().join("evidence").join(PACK);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files.pop().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packet_verify_refuses_tampered_foreign_and_blocked_packets() {
    for fixture in fixtures().await {
        let good = newest_packet(&fixture);
        let key = fixture.public_key_file();
        let key = key.to_str().unwrap();
        let verify = |packet: &Path, extra: &[&str]| {
            let mut args = vec!["packet", "verify", packet.to_str().unwrap()];
            args.extend_from_slice(extra);
            run_command(cavra_in(fixture.dir.path()).args(&args))
        };
        let run = verify(&good, &["--public-key", key]);
        assert_eq!(run.code, 0, "{}", run.transcript());
        assert!(run.stdout.starts_with("OK "), "{}", run.transcript());
        // The key as hex, and the keys pinned in the database, work as well.
        let hex = std::fs::read_to_string(fixture.public_key_file()).unwrap();
        assert_eq!(verify(&good, &["--public-key", hex.trim()]).code, 0);
        assert_eq!(verify(&good, &["--database-url", &fixture.url]).code, 0);

        let bytes = std::fs::read(&good).unwrap();
        let signature = std::fs::read_to_string(format!("{}.sig", good.display())).unwrap();
        let write = |name: &str, bytes: &[u8], signature: &str| {
            let path = fixture.dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            std::fs::write(format!("{}.sig", path.display()), signature).unwrap();
            path
        };

        // One byte changed.
        let mut tampered = bytes.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 0x01;
        let run = verify(
            &write("tampered.json", &tampered, &signature),
            &["--public-key", key],
        );
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert!(run.stdout.starts_with("INVALID"), "{}", run.transcript());

        // Signed by another key, with that key's `.pub` dropped into the data directory.
        let mallory = Signer::from_seed([13; 32]);
        let forged = write("forged.json", &bytes, &mallory.sign(&bytes));
        let run = verify(&forged, &["--public-key", key]);
        assert_eq!(run.code, 1, "{}", run.transcript());
        let planted = fixture.dir.path().join("planted");
        std::fs::create_dir_all(planted.join("keys")).unwrap();
        std::fs::write(
            planted.join("keys").join(PUBLIC_KEY_FILE),
            mallory.public_hex(),
        )
        .unwrap();
        let run = verify(
            &forged,
            &[
                "--database-url",
                &fixture.url,
                "--data-dir",
                planted.to_str().unwrap(),
            ],
        );
        assert_eq!(
            run.code,
            1,
            "the planted .pub is not trusted: {}",
            run.transcript()
        );

        // Validly signed by the server's key, but Blocked: the rollback plan is missing.
        let mut packet: Value = serde_json::from_slice(&bytes).unwrap();
        packet.as_object_mut().unwrap().remove("rollback_plan");
        let blocked = serde_json::to_vec_pretty(&packet).unwrap();
        let server_key = Signer::load_existing(&fixture.data_dir().join("keys"))
            .unwrap()
            .unwrap();
        let run = verify(
            &write("blocked.json", &blocked, &server_key.sign(&blocked)),
            &["--public-key", key],
        );
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert!(run.stdout.starts_with("NOT READY"), "{}", run.transcript());
        assert!(run.stdout.contains("Blocked"), "{}", run.transcript());
    }
}

#[test]
fn read_only_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.json"), "{}").unwrap();
    std::fs::write(dir.path().join("p.json.sig"), "00").unwrap();
    for args in [
        &["packet", "verify", "p.json"][..],
        &["audit", "verify"][..],
        &["audit", "anchor"][..],
    ] {
        let run = run_command(cavra_in(dir.path()).args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.transcript());
        assert!(
            run.stderr.contains("no database at"),
            "{}",
            run.transcript()
        );
    }
    assert!(!dir.path().join("data/cavra.db").exists());
}

#[test]
fn packet_verify_help_names_the_exit_codes() {
    let run = run_command(
        cavra_in(Path::new(env!("CARGO_MANIFEST_DIR"))).args(["packet", "verify", "--help"]),
    );
    assert_eq!(run.code, 0);
    for phrase in ["--public-key", "Blocked", "never trusted"] {
        assert!(run.stdout.contains(phrase), "{phrase}: {}", run.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_passwords_are_refused_everywhere_and_characters_are_counted() {
    let probe = tempfile::tempdir().unwrap();
    for url in database_urls(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let url = if url.starts_with("sqlite") {
            format!("sqlite://{}", dir.path().join("cavra.db").display())
        } else {
            url
        };
        let add = |name: &str, password: &str| {
            run_command(cavra_in(dir.path()).env("CAVRA_PASSWORD", password).args([
                "user",
                "add",
                name,
                "--role",
                "author",
                "--database-url",
                &url,
            ]))
        };
        for (name, password, why) in [
            (
                "alice",
                "aaaaaaaa",
                "at least 12 characters; this one has 8",
            ),
            ("alice", "        ", "only whitespace"),
            ("administrator", "Administrator", "cannot be the user name"),
            ("alice", "password1234", "common passwords"),
            ("alice", "aaaaaaaaaaaa", "one character repeated"),
            // Eleven characters in 21 bytes: characters count, not bytes.
            ("alice", "ключпароль1", "this one has 11"),
        ] {
            let run = add(name, password);
            assert_eq!(run.code, 2, "{password:?}: {}", run.transcript());
            assert!(
                run.stderr.contains(why),
                "{password:?}: {}",
                run.transcript()
            );
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.transcript());
        }
        let run = add("alice", "ключ-пароль1");
        assert_eq!(run.code, 0, "twelve characters: {}", run.transcript());
        // The CLI's user creation is audited, by `cli`.
        let database = Database::connect(&url).await.unwrap();
        let (actor, detail): (String, String) =
            sqlx::query_as("SELECT actor, detail_json FROM audit_log WHERE action = 'user.create'")
                .fetch_one(database.pool())
                .await
                .unwrap();
        assert_eq!(actor, "cli");
        assert!(detail.contains("\"username\":\"alice\""), "{detail}");
        assert!(!detail.contains("пароль"), "no password in the log");
    }
    // The rule lives in the service: the same messages for every caller.
    assert!(accounts::check_password("bob", "Summer2024!!-ok").is_ok());
    assert!(accounts::check_password("longusername1", "  LongUserName1 ").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_and_user_creation_are_audited_without_passwords() {
    for server in servers().await {
        let engine = server.engine;
        let wrong = "not-the-password-71";
        let (status, _) = Client::new(server.addr)
            .send(
                "POST",
                "/api/session",
                Some(json!({"username": "author", "password": wrong})),
            )
            .await;
        assert_eq!(status.as_u16(), 401, "{engine:?}");
        let (status, _) = Client::new(server.addr)
            .send(
                "POST",
                "/api/session",
                Some(json!({"username": "ghost", "password": wrong})),
            )
            .await;
        assert_eq!(status.as_u16(), 401, "{engine:?}");
        let admin = crate::common::extra::login(server.addr, "admin").await;
        let secret = "river-stone-quiet-88";
        let (status, body) = admin
            .send(
                "POST",
                "/api/users",
                Some(json!({"username": "carol", "password": secret, "role": "author"})),
            )
            .await;
        assert_eq!(status.as_u16(), 201, "{body}");
        // A common password is refused over REST with the rule's message.
        let (status, body) = admin
            .send(
                "POST",
                "/api/users",
                Some(json!({"username": "dave", "password": "qwertyuiop123", "role": "author"})),
            )
            .await;
        assert_eq!(status.as_u16(), 422, "{body}");
        assert!(body.to_string().contains("common passwords"), "{body}");

        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT actor, action, detail_json FROM audit_log ORDER BY seq")
                .fetch_all(server.service.db().pool())
                .await
                .unwrap();
        let find = |action: &str, needle: &str| {
            rows.iter()
                .find(|(_, a, detail)| a == action && detail.contains(needle))
                .unwrap_or_else(|| panic!("{engine:?}: {action} with {needle} in {rows:?}"))
        };
        let failed = find("session.login_failed", "\"wrong password\"");
        assert!(failed.2.contains("\"username\":\"author\""), "{failed:?}");
        find("session.login_failed", "\"unknown user\"");
        let admin_login = find("session.login", "user_id");
        assert_eq!(admin_login.0, "admin");
        let created = find("user.create", "\"username\":\"carol\"");
        assert_eq!(created.0, "admin", "the admin who created the user");
        for (_, _, detail) in &rows {
            assert!(
                !detail.contains(wrong) && !detail.contains(secret),
                "{detail}"
            );
        }
        // The log verifies with the sign-ins and accounts it vouches for.
        let report = server.service.verify_audit().await.unwrap();
        assert!(report.ok(), "{engine:?}: {report:?}");
        // A role raised in the database behind the service's back fails verification.
        let raise = "UPDATE users SET role = 'admin' WHERE username = 'carol'";
        sql(server.service.db().pool(), raise, &[]).await;
        let report = server.service.verify_audit().await.unwrap();
        assert!(
            report.problems.iter().any(|p| p.starts_with("users row")),
            "{engine:?}: {report:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_log_is_adopted_by_the_first_pin_and_signatures_cannot_be_stripped() {
    let probe = tempfile::tempdir().unwrap();
    for url in database_urls(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let url = if url.starts_with("sqlite") {
            format!("sqlite://{}", dir.path().join("cavra.db").display())
        } else {
            url
        };
        // A database as the unkeyed release left it: an account and two unsigned entries.
        let database = Database::connect(&url).await.unwrap();
        let pool = database.pool().clone();
        sql(
            &pool,
            "INSERT INTO users (username, password_hash, role, groups_json, created_at) \
             VALUES ('veteran', 'x', 'author', '[]', 1)",
            &[],
        )
        .await;
        let mut prev = GENESIS.to_owned();
        for seq in 1..=2 {
            let mut entry = server::store::audit::EntryRow {
                seq,
                at: seq,
                actor: "system".into(),
                action: "import".into(),
                pack_id: PACK.into(),
                digest: String::new(),
                detail_json: "{}".into(),
                rows_json: "[]".into(),
                prev_hash: prev,
                hash: String::new(),
                key_id: None,
                signature: None,
            };
            entry.hash = entry_hash(&entry);
            prev = entry.hash.clone();
            let mut conn = pool.acquire().await.unwrap();
            server::store::audit::insert(&mut conn, &entry)
                .await
                .unwrap();
        }
        let service = Service::new(
            database,
            server::config::ServiceConfig::new(dir.path().join("data")),
        )
        .unwrap();
        let outcome = keys::pin(&service, false).await.unwrap();
        assert!(
            matches!(outcome, keys::KeyOutcome::Pinned { .. }),
            "{outcome:?}"
        );
        accounts::create_user(
            &service,
            &accounts::NewUser {
                username: "newcomer",
                password: "amber-lantern-road-4",
                role: app::backend::Role::Author,
                groups: Vec::new(),
            },
        )
        .await
        .unwrap();
        let report = service.verify_audit().await.unwrap();
        assert!(report.ok(), "the pin adopted the old account: {report:?}");
        assert_eq!((report.entries, report.rows), (4, 3), "{report:?}");
        let intact = entries(&pool).await;

        // An unsigned entry edited and the chain recomputed: the pin entry's signature breaks.
        let mut edited = intact.clone();
        edited[0].actor = "mallory".into();
        rechain(&pool, edited, None).await;
        let report = service.verify_audit().await.unwrap();
        assert!(
            report.problems.contains(
                &"entry 3 has an invalid signature (rewritten without the key)".to_owned()
            ),
            "{report:?}"
        );
        rechain(&pool, intact.clone(), None).await;
        assert!(service.verify_audit().await.unwrap().ok());

        // The newest entry's signature stripped, re-hashed in the unsigned form.
        let mut stripped = intact.clone();
        stripped[3].key_id = None;
        stripped[3].signature = None;
        rechain(&pool, stripped, None).await;
        sql(
            &pool,
            "UPDATE audit_log SET key_id = NULL WHERE seq = 4",
            &[],
        )
        .await;
        let problems = service.verify_audit().await.unwrap().problems;
        for expected in [
            "entry 4 is not signed, but entries before it are (signatures were stripped)",
            "the newest entry 4 is not signed; the server signs every entry it writes",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_smuggled_into_the_database_cannot_sign_entries() {
    for fixture in fixtures().await {
        // Attack: the attacker's key added as a pinned key, and the newest entry re-signed with
        // it, without a key.rotate entry (which would need the server's key to chain on).
        let mallory = Signer::from_seed([99; 32]);
        let pool = fixture.pool();
        sql(
            pool,
            "INSERT INTO evidence_keys (public_key, fingerprint, created_at) VALUES ($1, $2, 1)",
            &[
                Bind::Text(&mallory.public_hex()),
                Bind::Text(&mallory.fingerprint()),
            ],
        )
        .await;
        let mallory_id = scalar(pool, "SELECT MAX(id) FROM evidence_keys").await;
        let mut all = entries(pool).await;
        let last = all.last_mut().unwrap();
        last.key_id = Some(mallory_id);
        let seq = last.seq;
        sql(
            pool,
            "UPDATE audit_log SET key_id = $1 WHERE seq = $2",
            &[Bind::Int(mallory_id), Bind::Int(seq)],
        )
        .await;
        rechain(pool, all, Some(&mallory)).await;
        let run = fixture.cavra(&["audit", "verify"]);
        assert_tampered(
            &run,
            &format!("entry {seq} is signed by key {}, which no earlier key.pin or key.rotate entry introduced", mallory.fingerprint()),
        );
        assert!(
            run.stdout.contains(&format!(
                "evidence_keys row {mallory_id} has no audit entry"
            )),
            "{}",
            run.transcript()
        );
    }
}
