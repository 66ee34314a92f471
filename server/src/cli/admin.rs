//! Governance commands: `cavra user add`, `cavra token create|list|revoke`, `cavra packet verify`,
//! `cavra audit verify|anchor`, and the service options of `cavra serve` (`--demo`, shadow criteria,
//! runtime token limits, the public URL and allowed origins, the evidence key's rotation,
//! retention, sign-in limits).

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use sqlx::pool::PoolConnection;

use app::backend::Role;

use crate::audit::{Anchor, Trust};
use crate::config::{PublicUrl, ServiceConfig};
use crate::db::Database;
use crate::evidence::{fingerprint, Signer};
use crate::service::keys::KeyOutcome;
use crate::service::Service;

/// Service options of `cavra serve`.
#[derive(Debug, Clone, Args)]
pub struct GovernanceArgs {
    /// Seed demo users (printed with their passwords) and import `--policies-dir` packs as
    /// enforced v1. Shadow runs then need 60 s instead of 24 h unless --shadow-min-seconds is set.
    #[arg(long)]
    pub demo: bool,

    /// Directory of packs to import with --demo: `<dir>/<id>/policy.yaml` (+ `cases.yaml`).
    #[arg(long, env = "CAVRA_POLICIES_DIR", default_value = "policies")]
    pub policies_dir: PathBuf,

    /// Shadow observation a promotion needs, in seconds (default 86400, CAVRA's 24 hours).
    #[arg(long, env = "CAVRA_SHADOW_MIN_SECONDS")]
    pub shadow_min_seconds: Option<i64>,

    /// Authenticated shadow observations a promotion needs, for packs without their own shadow
    /// rule (default 100; 1 with --demo).
    #[arg(long, env = "CAVRA_SHADOW_MIN_OBSERVATIONS")]
    pub shadow_min_observations: Option<u32>,

    /// Distinct runtimes those observations must come from, for packs without their own rule
    /// (default 2; 1 with --demo).
    #[arg(long, env = "CAVRA_SHADOW_MIN_RUNTIMES")]
    pub shadow_min_runtimes: Option<u32>,

    /// Unacknowledged shadow divergences a promotion tolerates.
    #[arg(long, env = "CAVRA_SHADOW_MAX_UNACKNOWLEDGED", default_value_t = 0)]
    pub shadow_max_unacknowledged: i64,

    /// Decisions per second each runtime token may make on /v1/decisions (a token bucket; 429
    /// with Retry-After beyond); 0: unlimited.
    #[arg(long, env = "CAVRA_TOKEN_RATE", default_value_t = 1000.0)]
    pub token_rate: f64,

    /// How many decisions a token may make at once after a quiet spell (the bucket's size).
    #[arg(long, env = "CAVRA_TOKEN_BURST", default_value_t = 2000.0)]
    pub token_burst: f64,

    /// Seconds a replica trusts its copy of the active runtime tokens: a token revoked on
    /// another replica is refused there within this time (at once where it was revoked).
    #[arg(long, env = "CAVRA_TOKEN_CACHE_SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub token_cache_seconds: u64,

    /// The URL users reach the server by, e.g. `https://cavra.example` (repeatable, or comma
    /// separated). Only its host is answered (others get 421, against DNS rebinding) and
    /// mutating requests must come from its origin. Required unless --addr is a loopback
    /// address, where the default is http://localhost, 127.0.0.1 and [::1] at the bound port.
    /// An https URL turns on Secure cookies and HSTS.
    #[arg(
        long,
        env = "CAVRA_PUBLIC_URL",
        value_delimiter = ',',
        value_name = "URL"
    )]
    pub public_url: Vec<PublicUrl>,

    /// Extra origins allowed to send mutating requests (comma separated), e.g. a UI on
    /// another host behind the same proxy.
    #[arg(
        long,
        env = "CAVRA_ALLOWED_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub allowed_origins: Vec<PublicUrl>,

    /// Accept a key file that is not the evidence key the database pinned: record it as the
    /// new key (audited as `key.rotate`). Old packets and audit entries stay verifiable with
    /// the old key. Without this flag such a start is refused.
    #[arg(long)]
    pub rotate_evidence_key: bool,

    /// Retention of the decision log and shadow observations.
    #[command(flatten)]
    pub retention: super::db::RetentionArgs,
    /// Sign-in throttling, the password-hash cap and trusted proxies.
    #[command(flatten)]
    pub signin: super::limits::SigninArgs,
}

/// Refuses to serve beyond loopback without `--public-url`: the server could not tell its own
/// Host from a DNS-rebinding page's.
pub fn check_public_url(addr: SocketAddr, args: &GovernanceArgs) -> anyhow::Result<()> {
    if args.public_url.is_empty() && !addr.ip().is_loopback() {
        anyhow::bail!(
            "serving on {addr} needs --public-url (the URL users reach the server by, e.g. https://cavra.example); without it only a loopback --addr is allowed"
        );
    }
    Ok(())
}

/// Builds the service for `cavra serve`, seeding demo data when asked.
pub async fn build_service(
    database: Database,
    data_dir: &Path,
    addr: SocketAddr,
    args: &GovernanceArgs,
) -> anyhow::Result<Service> {
    check_public_url(addr, args)?;
    let mut config = ServiceConfig::new(data_dir);
    // Browsers refuse Secure cookies over plain HTTP (loopback excepted): Secure exactly when
    // users come over HTTPS, which a public URL says. Without one the server is on loopback.
    config.secure_cookies = args.public_url.iter().any(PublicUrl::is_https);
    config.public_urls = args.public_url.clone();
    config.shadow.min_observed_secs =
        args.shadow_min_seconds
            .unwrap_or(if args.demo { 60 } else { 24 * 3600 });
    config.shadow.max_unacknowledged = args.shadow_max_unacknowledged;
    // A demo has one runtime (the demo token) and a person clicking: one observation of it.
    let demo_minimum = args.demo.then_some(1);
    if let Some(n) = args.shadow_min_observations.or(demo_minimum) {
        config.shadow.min_observations = i64::from(n);
    }
    if let Some(k) = args.shadow_min_runtimes.or(demo_minimum) {
        config.shadow.min_runtimes = i64::from(k);
    }
    if !(args.token_rate.is_finite() && args.token_rate >= 0.0) {
        anyhow::bail!("--token-rate must be a number of decisions per second, 0 or more");
    }
    if !(args.token_burst.is_finite() && args.token_burst >= 1.0) {
        anyhow::bail!("--token-burst must be at least 1");
    }
    config.runtime.rate_per_sec = args.token_rate;
    config.runtime.burst = args.token_burst;
    config.runtime.token_cache_secs = args.token_cache_seconds;
    config.allowed_origins = args.allowed_origins.clone();
    config.retention = args.retention.limits();
    args.signin.apply(&mut config)?;
    let service = Service::new(database, config)?;
    match crate::service::keys::pin(&service, args.rotate_evidence_key).await? {
        KeyOutcome::Pinned { fingerprint } => {
            tracing::info!(fingerprint, "evidence key pinned (first start)");
        }
        KeyOutcome::Unchanged { fingerprint } => {
            tracing::info!(fingerprint, "evidence key matches the pinned key");
        }
        KeyOutcome::Rotated { from, to } => {
            tracing::warn!(from, to, "evidence key rotated (audited as key.rotate)");
            println!("Evidence key rotated: {from} -> {to}");
        }
    }
    if args.demo {
        crate::demo::seed_users(&service)
            .await
            .map_err(|error| anyhow::anyhow!("seeding demo users: {error}"))?;
        let packs = crate::demo::import_policies(&service, &args.policies_dir).await?;
        println!("Demo accounts (demo only; change them for real use):");
        for user in &crate::demo::DEMO_USERS {
            let groups = if user.groups.is_empty() {
                String::new()
            } else {
                format!(" [{}]", user.groups.join(", "))
            };
            println!(
                "  {:<9} password {:<20} role {}{groups}",
                user.username,
                user.password,
                user.role.as_str()
            );
        }
        println!(
            "Enforced packs from {}: {}",
            args.policies_dir.display(),
            packs.len()
        );
        for (pack, digest) in &packs {
            println!("  {pack} {digest}");
        }
        let token = crate::service::tokens::demo_token(&service)
            .await
            .map_err(|error| anyhow::anyhow!("creating the demo runtime token: {error}"))?;
        println!(
            "Demo runtime token ({}, every pack; shown once, replaced at each --demo start):",
            token.token.name
        );
        println!("  Authorization: Bearer {}", token.secret);
    }
    Ok(service)
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://path` or `postgres://user@host/db`. Default: `cavra.db` in
    /// --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory for local state (database, signing key, evidence).
    #[arg(long, env = "CAVRA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    /// The URL to connect to.
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = self
            .database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            return Ok(url.to_owned());
        }
        crate::fsperm::private_dir(&self.data_dir)?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("cavra.db").display()
        ))
    }

    /// The URL of a database that must already exist (for commands that only read): the
    /// default SQLite file is not created.
    pub fn existing_url(&self) -> anyhow::Result<String> {
        if self.explicit_url().is_none() {
            let file = self.data_dir.join("cavra.db");
            if !file.is_file() {
                anyhow::bail!(
                    "no database at `{}`: pass --database-url or --data-dir",
                    file.display()
                );
            }
        }
        self.url()
    }

    fn explicit_url(&self) -> Option<&str> {
        self.database_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
    }

    /// The server's key file in --data-dir, when the database is that directory's own SQLite
    /// file (the same deployment), as the key the audit chain must currently be signed with.
    fn own_key(&self) -> anyhow::Result<Option<(String, String)>> {
        if self.explicit_url().is_some() {
            return Ok(None);
        }
        let dir = self.data_dir.join("keys");
        Ok(Signer::load_existing(&dir)?.map(|signer| {
            (
                signer.public_hex(),
                format!("`{}`", dir.join(crate::evidence::KEY_FILE).display()),
            )
        }))
    }
}

/// `cavra user …`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// User subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a local user (password from $CAVRA_PASSWORD or the first line of stdin).
    #[command(after_long_help = USER_ADD_EXAMPLES)]
    Add(UserAddArgs),
}

const USER_ADD_EXAMPLES: &str = "\
Passwords: at least 12 characters (counted as characters, not bytes), not only whitespace, not one
character repeated, not the user name, not a common password. User creation is an audit entry
signed with the evidence key, so --data-dir must hold the server's key (keys/evidence-ed25519.key).

Examples:
  echo 'lantern-quarry-51' | cavra user add alice --role author
  CAVRA_PASSWORD='copper-heron-tide' cavra user add bob --role approver --group 'Platform Security'
  cavra user add root --role admin --database-url postgres://cavra@127.0.0.1/cavra --data-dir /srv/cavra < pw.txt";

/// Options of `cavra user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name.
    pub username: String,
    /// `author`, `approver` or `admin`.
    #[arg(long)]
    pub role: String,
    /// Approver group (repeatable); approvers need at least one.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `cavra token …`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a runtime token for `/v1/decisions`: the secret is printed once, on stdout.
    #[command(after_long_help = TOKEN_CREATE_HELP)]
    Create(TokenCreateArgs),
    /// List runtime tokens (never their secrets), newest first.
    List(TokenListArgs),
    /// Revoke a runtime token by runtime name (its active token) or token id.
    #[command(after_long_help = TOKEN_REVOKE_HELP)]
    Revoke(TokenRevokeArgs),
}

const TOKEN_CREATE_HELP: &str = "\
A runtime token identifies one agent runtime (a CI runner pool, a laptop fleet): every decision it
asks for is recorded under its name, and the shadow gate counts distinct runtimes. The secret goes
to stdout alone (so `$(cavra token create ...)` captures it), the description to stderr; only its
SHA-256 is stored. Creation is an audit entry signed with the evidence key, so --data-dir must hold
the server's key (keys/evidence-ed25519.key).

Examples:
  cavra token create ci-runner-eu --pack cavra-ai-agent-baseline
  cavra token create laptop-fleet --all-packs --database-url postgres://cavra@127.0.0.1/cavra --data-dir /srv/cavra
Use it:  curl -H \"Authorization: Bearer $TOKEN\" -d @input.json http://127.0.0.1:3000/v1/decisions";

const TOKEN_REVOKE_HELP: &str = "\
The server that revoked refuses the token at once; other replicas within --token-cache-seconds
(default 5 s). Revoking is an audit entry. A revoked runtime's name may be given a new token.

Examples:
  cavra token revoke ci-runner-eu
  cavra token revoke 7";

/// Options of `cavra token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The runtime's name (ASCII letters, digits, `.`, `_`, `-`; e.g. `ci-runner-eu`).
    pub name: String,
    /// A pack the token may ask about (repeatable).
    #[arg(long = "pack", required_unless_present = "all_packs")]
    pub packs: Vec<String>,
    /// The token may ask about every pack.
    #[arg(long, conflicts_with = "packs")]
    pub all_packs: bool,
    /// Database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `cavra token list`.
#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `cavra token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The runtime name (its active token) or the token id.
    pub token: String,
    /// Database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `cavra packet …`.
#[derive(Debug, Args)]
pub struct PacketArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PacketCommand,
}

/// Packet subcommands.
#[derive(Debug, Subcommand)]
pub enum PacketCommand {
    /// Verify a packet's detached Ed25519 signature (`<packet>.sig`) under the pinned evidence
    /// key(s) or a key given with --public-key, and that its readiness is not Blocked.
    #[command(after_long_help = PACKET_VERIFY_EXAMPLES)]
    Verify(PacketVerifyArgs),
}

const PACKET_VERIFY_EXAMPLES: &str = "\
The key comes from --public-key, or else from the database (--database-url, or cavra.db in
--data-dir): every evidence key it pinned, old ones included, so packets signed before a key
rotation still verify. A `.pub` file lying in the data directory is never trusted by itself.

Examples:
  cavra packet verify data/evidence/cavra-ai-agent-baseline/1783172250422-promotion-6a79faa218f8.json
  cavra packet verify packet.json --public-key evidence-ed25519.pub --signature packet.json.sig
  cavra packet verify packet.json --public-key 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
Exit codes: 0 the signature is valid and the packet is ready (with or without warnings);
1 the signature does not match (the packet or signature changed, or another key signed it), or
the packet's readiness is Blocked; 2 an error (unreadable file, malformed key or signature).";

/// Options of `cavra packet verify`.
#[derive(Debug, Args)]
pub struct PacketVerifyArgs {
    /// The packet file.
    pub packet: PathBuf,
    /// The public key to check against: a file holding hex, or the hex itself (repeatable: any
    /// of them). Default: the keys pinned in the database.
    #[arg(long = "public-key", alias = "key", value_name = "FILE_OR_HEX")]
    pub public_keys: Vec<String>,
    /// Signature file (hex). Default: the packet path plus `.sig`.
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// The database whose pinned keys to use when no --public-key is given.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// `cavra audit …`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log: hash chain, each entry's signature by a pinned evidence key, the
    /// rows the gate trusts against the entries that vouch for them, and an anchor if given.
    #[command(after_long_help = AUDIT_VERIFY_HELP)]
    Verify(AuditVerifyArgs),
    /// Print the newest entry as a signed anchor (JSON) to keep outside the database; a later
    /// `cavra audit verify --anchor FILE` detects rewriting and truncation up to it.
    #[command(after_long_help = AUDIT_ANCHOR_HELP)]
    Anchor(AuditAnchorArgs),
}

const AUDIT_VERIFY_HELP: &str = "\
Fails when an entry was edited (even with every hash recomputed: the signatures need the key), when
entries are missing or unsigned, when a sign-off, approval request, evidence packet, enforcement
move, account or key row was edited, deleted or inserted outside the service, when a pack's
enforced pointer is not the newest move of its history, when the chain's current key is not the
server's key (keys/evidence-ed25519.key in --data-dir when the database is its cavra.db, or
--public-key), and when the log no longer contains an --anchor's entry unchanged (truncation).

Examples:
  cavra audit verify
  cavra audit verify --database-url postgres://cavra@127.0.0.1/cavra --public-key server.pub
  cavra audit verify --anchor anchors/2026-07-04.json
Exit codes: 0 intact, 1 tampered, 2 an error.";

const AUDIT_ANCHOR_HELP: &str = "\
The anchor names the newest entry's sequence number, hash, signature, public key and time. It is
printed only when `cavra audit verify` passes; store it where the database's writers cannot change
it (a ticket, a CI artifact, write-once storage).

Examples:
  cavra audit anchor --out anchors/$(date +%F).json
  cavra audit anchor --database-url postgres://cavra@127.0.0.1/cavra
Exit codes: 0 printed, 1 the log does not verify (no anchor), 2 an error.";

/// Options of `cavra audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// An anchor from `cavra audit anchor`: the log must still contain its entry, unchanged.
    #[arg(long, value_name = "FILE")]
    pub anchor: Option<PathBuf>,
    /// The log and the key to check it against.
    #[command(flatten)]
    pub source: AuditSource,
}

/// Options of `cavra audit anchor`.
#[derive(Debug, Args)]
pub struct AuditAnchorArgs {
    /// Write the anchor to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The log and the key to check it against first.
    #[command(flatten)]
    pub source: AuditSource,
}

/// The audit log to read and the server key it must currently be signed with.
#[derive(Debug, Args)]
pub struct AuditSource {
    /// The server's current public key (a file holding hex, or the hex itself, e.g. from
    /// `GET /api/evidence/public-key`): the chain's newest key must be this one.
    #[arg(long = "public-key", value_name = "FILE_OR_HEX")]
    pub public_key: Option<String>,
    /// Database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Runs `cavra user …`.
pub fn run_user(args: UserArgs) -> anyhow::Result<ExitCode> {
    let UserCommand::Add(args) = args.command;
    let role = Role::parse(&args.role).ok_or_else(|| {
        anyhow::anyhow!("role `{}` is not one of author, approver, admin", args.role)
    })?;
    let password = match std::env::var("CAVRA_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    // Refused before touching the database, so a weak password creates nothing.
    crate::service::accounts::check_password(&args.username, &password)
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    runtime()?.block_on(async move {
        let database = Database::connect(&args.database.url()?).await?;
        let service = Service::new(database, ServiceConfig::new(&args.database.data_dir))?;
        // The entry is signed with the key in --data-dir, which must be the pinned one.
        crate::service::keys::pin(&service, false).await?;
        let user = crate::service::accounts::create_user_as(
            &service,
            "cli",
            &crate::service::accounts::NewUser {
                username: &args.username,
                password: &password,
                role,
                groups: args.groups.clone(),
            },
        )
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        println!(
            "added user `{}` ({}{})",
            user.username,
            user.role.as_str(),
            if user.groups.is_empty() {
                String::new()
            } else {
                format!("; {}", user.groups.join(", "))
            }
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// A service over an existing database, its evidence key checked against the pinned one (the
/// audit entries of token commands are signed with it).
pub(super) async fn cli_service(database: &DatabaseArgs, writes: bool) -> anyhow::Result<Service> {
    let db = Database::connect(&database.existing_url()?).await?;
    let service = Service::new(db, ServiceConfig::new(&database.data_dir))?;
    if writes {
        crate::service::keys::pin(&service, false).await?;
    }
    Ok(service)
}

/// Runs `cavra token …`.
pub fn run_token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let fail = |error: app::backend::BackendError| anyhow::anyhow!("{error}");
    runtime()?.block_on(async move {
        match args.command {
            TokenCommand::Create(args) => {
                // Refused before touching the database.
                crate::service::tokens::check_name(args.name.trim()).map_err(fail)?;
                let service = cli_service(&args.database, true).await?;
                let packs = (!args.all_packs).then_some(args.packs);
                let created = crate::service::tokens::create_as(&service, "cli", &args.name, packs)
                    .await
                    .map_err(fail)?;
                eprintln!(
                    "created runtime token {} for `{}` ({}); the secret is shown only now:",
                    created.token.id,
                    created.token.name,
                    scope_text(created.token.packs.as_deref())
                );
                println!("{}", created.secret);
            }
            TokenCommand::List(args) => {
                let service = cli_service(&args.database, false).await?;
                let tokens = crate::service::tokens::list_all(&service)
                    .await
                    .map_err(fail)?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&tokens)?);
                } else if tokens.is_empty() {
                    println!("no runtime tokens");
                } else {
                    println!(
                        "{:<6} {:<24} {:<9} {:<26} scope",
                        "id", "runtime", "state", "created"
                    );
                    for token in &tokens {
                        let state = if token.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        };
                        println!(
                            "{:<6} {:<24} {:<9} {:<26} {}",
                            token.id,
                            token.name,
                            state,
                            token.created_at,
                            scope_text(token.packs.as_deref())
                        );
                    }
                }
            }
            TokenCommand::Revoke(args) => {
                let service = cli_service(&args.database, true).await?;
                let id = crate::service::tokens::find(&service, args.token.trim())
                    .await
                    .map_err(fail)?;
                let token = crate::service::tokens::revoke_as(&service, "cli", id)
                    .await
                    .map_err(fail)?;
                println!("revoked runtime token {} of `{}`", token.id, token.name);
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn scope_text(packs: Option<&[String]>) -> String {
    match packs {
        None => "every pack".to_owned(),
        Some(packs) => format!("packs: {}", packs.join(", ")),
    }
}

/// Runs `cavra packet …`.
pub fn run_packet(args: PacketArgs) -> anyhow::Result<ExitCode> {
    let PacketCommand::Verify(args) = args.command;
    let bytes = std::fs::read(&args.packet)
        .with_context(|| format!("reading packet `{}`", args.packet.display()))?;
    let signature_path = args.signature.clone().unwrap_or_else(|| {
        let mut path = args.packet.clone().into_os_string();
        path.push(crate::evidence::SIGNATURE_SUFFIX);
        PathBuf::from(path)
    });
    let signature = std::fs::read_to_string(&signature_path)
        .with_context(|| format!("reading signature `{}`", signature_path.display()))?;
    let (keys, source) = if args.public_keys.is_empty() {
        (
            pinned_keys(&args.database)?,
            "the keys pinned in the database",
        )
    } else {
        let keys = args
            .public_keys
            .iter()
            .map(|key| crate::evidence::read_public_key(key))
            .collect::<anyhow::Result<Vec<_>>>()?;
        (keys, "the given public key")
    };
    let mut signed_by = None;
    for key in &keys {
        match crate::evidence::verify(&bytes, &signature, key) {
            Ok(()) => {
                signed_by = Some(key);
                break;
            }
            Err(crate::evidence::VerifyError::BadSignature) => {}
            Err(error) => anyhow::bail!("{error}"),
        }
    }
    let path = args.packet.display();
    let Some(key) = signed_by else {
        println!(
            "INVALID {path}: the signature does not match under {source} (the packet or \
             signature changed, or another key signed it)"
        );
        return Ok(ExitCode::from(1));
    };
    let Ok(packet) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        println!("NOT READY {path}: signature valid, but the packet is not JSON");
        return Ok(ExitCode::from(1));
    };
    let result = lifecycle::packet::validate_packet(&packet, false);
    let summary = format!(
        "readiness {:?}, {} blocker(s), {} warning(s)",
        result.status, result.blocker_count, result.warning_count
    );
    if result.status == lifecycle::packet::ReadinessStatus::Blocked {
        let blockers: Vec<&str> = result
            .checks
            .iter()
            .filter(|check| check.status == lifecycle::packet::CheckStatus::Blocker)
            .map(|check| check.name.as_str())
            .collect();
        println!(
            "NOT READY {path}: signature valid (key {}), but {summary}: {}",
            fingerprint(key),
            blockers.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    println!(
        "OK {path}: signature valid (key {}, sha256 {}); {summary}",
        fingerprint(key),
        crate::evidence::sha256_hex(&bytes),
    );
    Ok(ExitCode::SUCCESS)
}

/// A connection to a database that must already exist, for commands that only read.
async fn connect(database: &DatabaseArgs) -> anyhow::Result<PoolConnection<sqlx::Any>> {
    let database = Database::connect(&database.existing_url()?).await?;
    database.pool().acquire().await.context("connecting")
}

/// Every evidence key the database pinned (old ones too), hex.
fn pinned_keys(database: &DatabaseArgs) -> anyhow::Result<Vec<String>> {
    runtime()?.block_on(async move {
        let mut conn = connect(database).await?;
        let keys = crate::store::keys::all(&mut conn)
            .await
            .map_err(|error| anyhow::anyhow!("reading the pinned keys: {error}"))?;
        if keys.is_empty() {
            anyhow::bail!("the database has no pinned evidence key yet; pass --public-key");
        }
        Ok(keys.into_iter().map(|key| key.public_key).collect())
    })
}

/// Runs `cavra audit …`.
pub fn run_audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Verify(args) => {
            let anchor = args.anchor.as_deref().map(read_anchor).transpose()?;
            let (trust, report, _) = check_audit(&args.source, anchor, false)?;
            if !report.ok() {
                print_tampered(&report);
                return Ok(ExitCode::from(1));
            }
            println!("{}", intact_line(&report, &trust));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Anchor(args) => {
            let (_, report, anchor) = check_audit(&args.source, None, true)?;
            if !report.ok() {
                print_tampered(&report);
                println!("no anchor: the log does not verify");
                return Ok(ExitCode::from(1));
            }
            let Some(anchor) = anchor else {
                anyhow::bail!("the audit log has no signed entry to anchor yet");
            };
            let mut text =
                serde_json::to_string_pretty(&anchor).context("serialising the anchor")?;
            text.push('\n');
            match &args.out {
                Some(path) => {
                    std::fs::write(path, &text)
                        .with_context(|| format!("writing `{}`", path.display()))?;
                    println!(
                        "anchored entry {} ({}) in {}",
                        anchor.seq,
                        anchor.hash,
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Verifies the log against `source`'s key and `anchor`; with `take_anchor`, also reads the
/// newest entry as an anchor (in the same connection, so it is the entry just verified).
fn check_audit(
    source: &AuditSource,
    anchor: Option<Anchor>,
    take_anchor: bool,
) -> anyhow::Result<(Trust, crate::audit::Report, Option<Anchor>)> {
    let current = match source.public_key.as_deref() {
        Some(key) => Some((
            crate::evidence::read_public_key(key)?,
            "--public-key".to_owned(),
        )),
        None => source.database.own_key()?,
    };
    let trust = Trust { current, anchor };
    runtime()?.block_on(async move {
        let mut conn = connect(&source.database).await?;
        let read = |error| anyhow::anyhow!("reading the audit log: {error}");
        let report = crate::audit::verify(&mut conn, &trust)
            .await
            .map_err(read)?;
        let anchor = if take_anchor && report.ok() {
            crate::audit::anchor(&mut conn, crate::time::now_millis())
                .await
                .map_err(read)?
        } else {
            None
        };
        Ok((trust, report, anchor))
    })
}

/// The one line of an intact log: counts, key rotations, and what outside the database it was
/// checked against.
fn intact_line(report: &crate::audit::Report, trust: &Trust) -> String {
    let mut line = format!(
        "OK audit log intact: {} entries, {} rows vouched for, {} key(s)",
        report.entries,
        report.rows,
        report.keys.len()
    );
    if report.keys.len() > 1 {
        let keys: Vec<String> = report
            .keys
            .iter()
            .map(|key| {
                format!(
                    "{} from entry {}",
                    key.fingerprint,
                    key.introduced_at.unwrap_or(0)
                )
            })
            .collect();
        line.push_str(&format!(
            " ({} rotation(s): {})",
            report.keys.len() - 1,
            keys.join(", ")
        ));
    }
    match (&trust.anchor, &trust.current) {
        (Some(anchor), _) => line.push_str(&format!("; anchor at entry {} holds", anchor.seq)),
        (None, Some(_)) => {}
        (None, None) => line.push_str(
            "; note: only the database's own keys were checked (pass --public-key or --anchor \
             to check against one outside it)",
        ),
    }
    line
}

fn read_anchor(path: &Path) -> anyhow::Result<Anchor> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading anchor `{}`", path.display()))?;
    let anchor: Anchor = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not an audit anchor", path.display()))?;
    if anchor.schema_version != crate::audit::ANCHOR_SCHEMA {
        anyhow::bail!(
            "`{}` is not an audit anchor (schema_version `{}`, expected `{}`)",
            path.display(),
            anchor.schema_version,
            crate::audit::ANCHOR_SCHEMA
        );
    }
    Ok(anchor)
}

fn print_tampered(report: &crate::audit::Report) {
    println!("TAMPERED audit log ({} entries checked):", report.entries);
    for problem in &report.problems {
        println!("  {problem}");
    }
}
