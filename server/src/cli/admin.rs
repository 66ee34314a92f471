//! Governance commands: `cavra user add`, `cavra packet verify`, `cavra audit verify`, and the
//! service options of `cavra serve` (`--demo`, shadow criteria, allowed origins).

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use app::backend::Role;

use crate::config::ServiceConfig;
use crate::db::Database;
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

    /// Unacknowledged shadow divergences a promotion tolerates.
    #[arg(long, env = "CAVRA_SHADOW_MAX_UNACKNOWLEDGED", default_value_t = 0)]
    pub shadow_max_unacknowledged: i64,

    /// Extra origins allowed to send mutating requests (comma separated), e.g. a UI on
    /// another host behind the same proxy.
    #[arg(long, env = "CAVRA_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
}

/// Builds the service for `cavra serve`, seeding demo data when asked.
pub async fn build_service(
    database: Database,
    data_dir: &Path,
    addr: SocketAddr,
    args: &GovernanceArgs,
) -> anyhow::Result<Service> {
    let mut config = ServiceConfig::new(data_dir);
    // Browsers refuse Secure cookies over plain HTTP, except on loopback where we serve HTTP.
    config.secure_cookies = !addr.ip().is_loopback();
    config.shadow.min_observed_secs =
        args.shadow_min_seconds
            .unwrap_or(if args.demo { 60 } else { 24 * 3600 });
    config.shadow.max_unacknowledged = args.shadow_max_unacknowledged;
    config.allowed_origins = args.allowed_origins.clone();
    let service = Service::new(database, config)?;
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
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data directory `{}`", self.data_dir.display()))?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("cavra.db").display()
        ))
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
Examples:
  echo 's3cret-pass' | cavra user add alice --role author
  CAVRA_PASSWORD=s3cret-pass cavra user add bob --role approver --group 'Platform Security'
  cavra user add root --role admin --database-url postgres://cavra@127.0.0.1/cavra < pw.txt";

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
    /// Verify a packet's detached Ed25519 signature (`<packet>.sig`) and its readiness.
    #[command(after_long_help = PACKET_VERIFY_EXAMPLES)]
    Verify(PacketVerifyArgs),
}

const PACKET_VERIFY_EXAMPLES: &str = "\
Examples:
  cavra packet verify data/evidence/cavra-ai-agent-baseline/1783172250422-promotion-6a79faa218f8.json
  cavra packet verify packet.json --key evidence-ed25519.pub --signature packet.json.sig
Exit codes: 0 the signature is valid, 1 it is not (or the packet changed), 2 an error.";

/// Options of `cavra packet verify`.
#[derive(Debug, Args)]
pub struct PacketVerifyArgs {
    /// The packet file.
    pub packet: PathBuf,
    /// Public key file (hex). Default: `keys/evidence-ed25519.pub` in --data-dir.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Signature file (hex). Default: the packet path plus `.sig`.
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// Directory for local state (to find the default public key).
    #[arg(long, env = "CAVRA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
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
    /// Recompute the audit hash chain; any edited or deleted entry fails.
    #[command(
        after_long_help = "Examples:\n  cavra audit verify\n  cavra audit verify --database-url postgres://cavra@127.0.0.1/cavra\nExit codes: 0 intact, 1 tampered, 2 an error."
    )]
    Verify(DatabaseArgs),
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
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
    runtime()?.block_on(async move {
        let database = Database::connect(&args.database.url()?).await?;
        let service = Service::new(database, ServiceConfig::new(&args.database.data_dir))?;
        let user = crate::service::accounts::create_user(
            &service,
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
    let key_path = args.key.clone().unwrap_or_else(|| {
        args.data_dir
            .join("keys")
            .join(crate::evidence::PUBLIC_KEY_FILE)
    });
    let key = std::fs::read_to_string(&key_path)
        .with_context(|| format!("reading public key `{}`", key_path.display()))?;
    match crate::evidence::verify(&bytes, &signature, &key) {
        Ok(()) => {}
        Err(crate::evidence::VerifyError::BadSignature) => {
            println!(
                "INVALID {}: the signature does not match (the packet or signature changed)",
                args.packet.display()
            );
            return Ok(ExitCode::from(1));
        }
        Err(error) => anyhow::bail!("{error}"),
    }
    let readiness = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map(|packet| lifecycle::packet::validate_packet(&packet, false));
    match readiness {
        Ok(result) => println!(
            "OK {}: signature valid (sha256 {}); readiness {:?}, {} blocker(s), {} warning(s)",
            args.packet.display(),
            crate::evidence::sha256_hex(&bytes),
            result.status,
            result.blocker_count,
            result.warning_count
        ),
        Err(_) => println!(
            "OK {}: signature valid (not a readiness packet)",
            args.packet.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `cavra audit …`.
pub fn run_audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify(args) = args.command;
    runtime()?.block_on(async move {
        let database = Database::connect(&args.url()?).await?;
        let mut conn = database.pool().acquire().await.context("connecting")?;
        let report = crate::audit::verify(&mut conn)
            .await
            .context("reading the audit log")?;
        if report.ok() {
            println!("OK audit log intact: {} entries", report.entries);
            Ok(ExitCode::SUCCESS)
        } else {
            println!("TAMPERED audit log ({} entries checked):", report.entries);
            for problem in &report.problems {
                println!("  {problem}");
            }
            Ok(ExitCode::from(1))
        }
    })
}
