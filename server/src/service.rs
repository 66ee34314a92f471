//! The lifecycle service: every rule of the governed release path, over the database.
//!
//! REST handlers ([`crate::api`]) and Leptos server functions (through [`app::backend::Backend`],
//! implemented here) call the same methods, so they cannot disagree. Nothing here knows HTTP:
//! errors are [`BackendError`]s, which the API maps to status codes.
//!
//! INVARIANT: every lifecycle write runs in one transaction that starts by locking the single
//! `lifecycle_lock` row ([`Service::begin_write`]) and ends with its audit entry, so a crash
//! never leaves a half-written event and replicas sharing a PostgreSQL database serialise their
//! lifecycle writes. Runtime decisions do not take that lock.
//!
//! Domain logic (lint, digest, dry run, diff, plan, packet, decide) comes from the `lifecycle`
//! crate and is not reimplemented here.

pub mod accounts;
pub mod approvals;
pub mod authoring;
pub mod evidence;
pub mod gate;
pub mod keys;
pub mod limits;
pub mod replay;
pub mod retention;
pub mod shadow;
pub mod throttle;
pub mod tokens;
pub mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{Any, AnyConnection, Transaction};

use app::backend::{
    Actor, ApprovalRequest, ApprovalRule, Backend, BackendError, DivergenceSummary, Draft,
    Enforcement, EvidencePacket, GateReport, HistoryEntry, NewRuntimeToken, PackSummary,
    ReplaySummary, Role, RuntimeToken, ShadowRule, ShadowRun, SignOffInput, Version,
};
use lifecycle::decide::CompiledPolicy;

use crate::config::ServiceConfig;
use crate::db::Database;
use crate::evidence::Signer;
use crate::store::{self, db_error};

pub use shadow::DecisionAnswer;

/// A transaction on the shared pool.
pub type Tx = Transaction<'static, Any>;

/// Result of service calls.
pub type Result<T> = std::result::Result<T, BackendError>;

/// The lifecycle service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Service {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Database,
    config: ServiceConfig,
    signer: Signer,
    // Compiled policies by digest. Versions are immutable and content-addressed, so this cache is
    // correct across replicas; which digest is enforced is always read from the database.
    compiled: Mutex<HashMap<String, Arc<CompiledPolicy>>>,
    // The group-commit writer of runtime decisions (its queue is the only state).
    writer: writer::Writer,
    // The active runtime tokens, re-read every few seconds (see `tokens`).
    tokens: tokens::Registry,
    // The cap on concurrent password hashes (per process: it guards this machine's cores).
    hash_slots: accounts::HashSlots,
}

/// A packet file to write once its transaction committed.
#[derive(Debug)]
pub(crate) struct PendingFile {
    pack_id: String,
    file_name: String,
    bytes: Vec<u8>,
    signature: String,
}

/// A lifecycle write in progress: the locked transaction, the event's time and actor, and the
/// packet files to write after the commit. Dereferences to the connection, so store calls take
/// it directly.
pub(crate) struct Write {
    tx: Tx,
    now: i64,
    actor: String,
    files: Vec<PendingFile>,
    // The pinned evidence key every audit entry of the write is signed with.
    key_id: i64,
    signer: Signer,
}

impl Write {
    /// The event's time (unix ms).
    pub(crate) fn now(&self) -> i64 {
        self.now
    }

    /// Who acts.
    pub(crate) fn actor(&self) -> &str {
        &self.actor
    }

    /// Appends the event's audit entry (every lifecycle write has one), signed with the pinned
    /// key; it vouches for the rows its detail names (`crate::audit::REFERENCES`).
    pub(crate) async fn audit(
        &mut self,
        action: &str,
        pack_id: &str,
        digest: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let event = crate::audit::Event {
            actor: &self.actor,
            action,
            pack_id,
            digest,
            detail,
        };
        let key = crate::audit::SigningKey {
            id: self.key_id,
            signer: &self.signer,
        };
        crate::audit::append(&mut self.tx, self.now, &event, key, Vec::new()).await?;
        Ok(())
    }

    /// A packet file to write after the commit.
    pub(crate) fn attach(&mut self, file: PendingFile) {
        self.files.push(file);
    }
}

impl std::ops::Deref for Write {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Service {
    /// Builds the service, loading (or creating) the evidence signing key in the data directory
    /// (created 0700). The key is pinned in the database by [`keys::pin`] at start, or by the
    /// first write.
    pub fn new(db: Database, config: ServiceConfig) -> anyhow::Result<Service> {
        crate::fsperm::private_dir(&config.data_dir)?;
        let signer = Signer::load_or_create(&config.key_dir())?;
        let hash_slots = accounts::HashSlots::new(&config.signin);
        Ok(Service {
            inner: Arc::new(Inner {
                db,
                config,
                signer,
                compiled: Mutex::new(HashMap::new()),
                writer: writer::Writer::default(),
                tokens: tokens::Registry::default(),
                hash_slots,
            }),
        })
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The evidence signer.
    pub fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    pub(crate) fn writer(&self) -> &writer::Writer {
        &self.inner.writer
    }

    pub(crate) fn tokens(&self) -> &tokens::Registry {
        &self.inner.tokens
    }

    pub(crate) fn hash_slots(&self) -> &accounts::HashSlots {
        &self.inner.hash_slots
    }

    /// How many password hashes (sign-in checks and new passwords) this process has started.
    pub fn password_hashes_started(&self) -> u64 {
        self.inner.hash_slots.computed()
    }

    /// Starts a lifecycle write by `actor`: a transaction holding the `lifecycle_lock` row, with
    /// the time every row and audit entry of the event carries.
    pub(crate) async fn begin_write(&self, actor: &str) -> Result<Write> {
        let mut tx = self.lock().await?;
        let now = now_millis();
        let key_id = keys::signing_key_id(self, &mut tx, now).await?;
        Ok(Write {
            tx,
            now,
            actor: actor.to_owned(),
            files: Vec::new(),
            key_id,
            signer: self.signer().clone(),
        })
    }

    /// A transaction holding the `lifecycle_lock` row.
    pub(crate) async fn lock(&self) -> Result<Tx> {
        let mut tx = self.db().pool().begin().await.map_err(db_error)?;
        // Writing first takes SQLite's write lock (waiting on the busy timeout) and PostgreSQL's
        // row lock, so every lifecycle writer sees the previous one's committed state.
        sqlx::query("UPDATE lifecycle_lock SET audit_seq = audit_seq WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        Ok(tx)
    }

    /// Commits a write and then writes its packet files (the database is the record; files are
    /// copies).
    pub(crate) async fn commit(&self, write: Write) -> Result<()> {
        write.tx.commit().await.map_err(db_error)?;
        // A lifecycle write may have moved a pack's pointers: decisions here re-read them at
        // once (other replicas catch up at their writer's next batch, see `writer`).
        self.writer().forget_pointers();
        for file in write.files {
            let dir = self.config().evidence_dir().join(&file.pack_id);
            if let Err(error) = crate::evidence::write_packet_files(
                &dir,
                &file.file_name,
                &file.bytes,
                &file.signature,
            ) {
                tracing::error!(error = %format!("{error:#}"), "writing an evidence file failed; the packet is in the database");
            }
        }
        Ok(())
    }

    /// The compiled policy of a stored version.
    pub(crate) async fn compiled(
        &self,
        conn: &mut AnyConnection,
        pack_id: &str,
        digest: &str,
    ) -> Result<Arc<CompiledPolicy>> {
        if let Some(found) = self.cached(digest) {
            return Ok(found);
        }
        let value = store::versions::value(conn, pack_id, digest).await?;
        let compiled = Arc::new(CompiledPolicy::from_value(&value));
        if let Ok(mut cache) = self.inner.compiled.lock() {
            if cache.len() >= 256 {
                cache.clear();
            }
            cache.insert(digest.to_owned(), compiled.clone());
        }
        Ok(compiled)
    }

    /// The compiled policy of a stored version, opening a connection only on a cache miss.
    pub(crate) async fn compiled_by_digest(
        &self,
        pack_id: &str,
        digest: &str,
    ) -> Result<Arc<CompiledPolicy>> {
        if let Some(found) = self.cached(digest) {
            return Ok(found);
        }
        let mut conn = self.conn().await?;
        self.compiled(&mut conn, pack_id, digest).await
    }

    fn cached(&self, digest: &str) -> Option<Arc<CompiledPolicy>> {
        self.inner
            .compiled
            .lock()
            .ok()
            .and_then(|cache| cache.get(digest).cloned())
    }

    /// Opens a pooled connection for reads.
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        self.db().pool().acquire().await.map_err(db_error)
    }

    /// Verifies the audit log against this server's key.
    pub async fn verify_audit(&self) -> Result<crate::audit::Report> {
        let mut conn = self.conn().await?;
        let trust = crate::audit::Trust {
            current: Some((
                self.signer().public_hex(),
                "the server's key file".to_owned(),
            )),
            ..crate::audit::Trust::default()
        };
        Ok(crate::audit::verify(&mut conn, &trust).await?)
    }
}

/// Refuses unless the actor has one of the roles.
pub(crate) fn require_role(actor: &Actor, roles: &[Role], what: &str) -> Result<()> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
        Err(BackendError::Forbidden(format!(
            "{what} needs the role {}; `{}` is {}",
            names.join(" or "),
            actor.username,
            actor.role.as_str()
        )))
    }
}

/// Authors and admins change policy.
pub(crate) const AUTHORS: &[Role] = &[Role::Author, Role::Admin];

pub use crate::time::{now_millis, rfc3339};

#[async_trait::async_trait]
impl Backend for Service {
    async fn authenticate(&self, session_token: &str) -> Result<Actor> {
        accounts::authenticate(self, session_token).await
    }

    async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<(Actor, String)> {
        accounts::login(self, username, password, client).await
    }

    async fn logout(&self, session_token: &str) -> Result<()> {
        accounts::logout(self, session_token).await
    }

    async fn list_packs(&self) -> Result<Vec<PackSummary>> {
        authoring::list_packs(self).await
    }

    async fn list_drafts(&self, pack_id: &str) -> Result<Vec<Draft>> {
        authoring::list_drafts(self, pack_id).await
    }

    async fn get_draft(&self, draft_id: i64) -> Result<Draft> {
        authoring::get_draft(self, draft_id).await
    }

    async fn create_draft(
        &self,
        actor: &Actor,
        pack_id: &str,
        from_digest: Option<&str>,
    ) -> Result<Draft> {
        authoring::create_draft(self, actor, pack_id, from_digest).await
    }

    async fn save_draft(
        &self,
        actor: &Actor,
        draft_id: i64,
        source: &str,
        base_revision: i64,
    ) -> Result<Draft> {
        authoring::save_draft(self, actor, draft_id, source, base_revision).await
    }

    async fn set_coauthors(
        &self,
        actor: &Actor,
        draft_id: i64,
        usernames: &[String],
    ) -> Result<Draft> {
        authoring::set_coauthors(self, actor, draft_id, usernames).await
    }

    async fn publish_draft(&self, actor: &Actor, draft_id: i64) -> Result<Version> {
        authoring::publish_draft(self, actor, draft_id).await
    }

    async fn list_versions(&self, pack_id: &str) -> Result<Vec<Version>> {
        authoring::list_versions(self, pack_id).await
    }

    async fn get_version(&self, pack_id: &str, digest: &str) -> Result<Version> {
        authoring::get_version(self, pack_id, digest).await
    }

    async fn request_approval(
        &self,
        actor: &Actor,
        pack_id: &str,
        digest: &str,
        kind: &str,
        groups: Option<Vec<String>>,
    ) -> Result<ApprovalRequest> {
        approvals::request_approval(self, actor, pack_id, digest, kind, groups).await
    }

    async fn list_approvals(&self, pack_id: &str) -> Result<Vec<ApprovalRequest>> {
        approvals::list_approvals(self, pack_id).await
    }

    async fn sign_off(
        &self,
        actor: &Actor,
        request_id: i64,
        input: &SignOffInput,
    ) -> Result<ApprovalRequest> {
        approvals::sign_off(self, actor, request_id, input).await
    }

    async fn withdraw_signoff(
        &self,
        actor: &Actor,
        signoff_id: i64,
        comment: &str,
    ) -> Result<ApprovalRequest> {
        approvals::withdraw_signoff(self, actor, signoff_id, comment).await
    }

    async fn set_approval_rule(
        &self,
        actor: &Actor,
        pack_id: &str,
        rule: &ApprovalRule,
    ) -> Result<PackSummary> {
        approvals::set_approval_rule(self, actor, pack_id, rule).await
    }

    async fn set_shadow_rule(
        &self,
        actor: &Actor,
        pack_id: &str,
        rule: &ShadowRule,
    ) -> Result<PackSummary> {
        shadow::set_rule(self, actor, pack_id, rule).await
    }

    async fn list_tokens(&self, actor: &Actor) -> Result<Vec<RuntimeToken>> {
        tokens::list(self, actor).await
    }

    async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        packs: Option<Vec<String>>,
    ) -> Result<NewRuntimeToken> {
        tokens::create(self, actor, name, packs).await
    }

    async fn revoke_token(&self, actor: &Actor, token_id: i64) -> Result<RuntimeToken> {
        tokens::revoke(self, actor, token_id).await
    }

    async fn break_glass(
        &self,
        actor: &Actor,
        pack_id: &str,
        digest: &str,
        action: &str,
        reason: &str,
    ) -> Result<Enforcement> {
        gate::break_glass(self, actor, pack_id, digest, action, reason).await
    }

    async fn start_shadow(&self, actor: &Actor, pack_id: &str, digest: &str) -> Result<ShadowRun> {
        shadow::start(self, actor, pack_id, digest).await
    }

    async fn stop_shadow(&self, actor: &Actor, pack_id: &str) -> Result<ShadowRun> {
        shadow::stop(self, actor, pack_id).await
    }

    async fn divergence(&self, pack_id: &str) -> Result<Option<DivergenceSummary>> {
        shadow::divergence(self, pack_id).await
    }

    async fn replay_version(
        &self,
        pack_id: &str,
        digest: &str,
        baseline: Option<&str>,
        window: u64,
    ) -> Result<ReplaySummary> {
        replay::replay_version(self, pack_id, digest, baseline, window).await
    }

    async fn acknowledge_divergences(
        &self,
        actor: &Actor,
        pack_id: &str,
    ) -> Result<DivergenceSummary> {
        shadow::acknowledge(self, actor, pack_id).await
    }

    async fn gate(&self, pack_id: &str, digest: &str) -> Result<GateReport> {
        let mut conn = self.conn().await?;
        gate::evaluate(self, &mut conn, pack_id, digest).await
    }

    async fn promote(&self, actor: &Actor, pack_id: &str, digest: &str) -> Result<Enforcement> {
        gate::promote(self, actor, pack_id, digest).await
    }

    async fn rollback(
        &self,
        actor: &Actor,
        pack_id: &str,
        digest: &str,
        reason: &str,
    ) -> Result<Enforcement> {
        gate::rollback(self, actor, pack_id, digest, reason).await
    }

    async fn history(&self, pack_id: &str) -> Result<Vec<HistoryEntry>> {
        gate::history(self, pack_id).await
    }

    async fn list_evidence(&self, pack_id: &str) -> Result<Vec<EvidencePacket>> {
        evidence::list(self, pack_id).await
    }

    async fn get_evidence(&self, evidence_id: i64) -> Result<EvidencePacket> {
        evidence::get(self, evidence_id).await
    }
}
