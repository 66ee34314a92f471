//! Command-line interface: `cavra serve` and the `cavra policy …` commands.
//!
//! Exit codes (documented in `--help` and `docs/CLI.md`): 0 ok, 1 a gate failed or findings were
//! reported, 2 a usage, input or internal error. Errors are printed as one line on stderr.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::db::Database;

pub mod admin;
pub mod db;
pub mod format;
pub mod limits;
pub mod output;
pub mod pack;
pub mod policy;

/// CAVRA Policy Lifecycle: a governed release path for AI-agent guardrail policy packs.
#[derive(Debug, Parser)]
#[command(name = "cavra", version, about, long_about = None, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and API.
    #[command(after_long_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Lint, diff, simulate and release policy packs (the policy lifecycle gate).
    Policy(policy::PolicyArgs),
    /// Manage local users.
    User(admin::UserArgs),
    /// Manage runtime tokens (the credentials agent runtimes present on /v1/decisions).
    Token(admin::TokenArgs),
    /// Verify signed evidence packets (signature under the pinned key, and readiness).
    Packet(admin::PacketArgs),
    /// Verify the signed, hash-chained audit log, or export its head as an anchor.
    Audit(admin::AuditArgs),
    /// Database maintenance: prune the decision log and shadow observations.
    Db(db::DbArgs),
}

/// The exit codes every command shares.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  ok, or no findings
  1  a gate failed: lint blockers, a failed dry run, a packet that is not ready
  2  usage, input or internal error (one line on stderr)";

const SERVE_EXAMPLES: &str = "\
Examples:
  cavra serve
      Serve on http://127.0.0.1:3000 with ./data/cavra.db (created on first start).
  DATABASE_URL=postgres://cavra@127.0.0.1:5432/test cavra serve --addr 0.0.0.0:8080 \\
      --public-url https://cavra.example
      Serve from PostgreSQL on all interfaces, reached (through a TLS proxy) at
      https://cavra.example: other Host names get 421, other origins cannot write.
  cavra serve --site-root /srv/cavra/site
      Serve a site built elsewhere.
  cavra serve --rotate-evidence-key
      Accept a replaced keys/evidence-ed25519.key once (audited); without it a key file that is
      not the one the database pinned at first start is refused.";

/// Options of `cavra serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CAVRA_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Database URL: `sqlite://path` or `postgres://user@host/db`. Default: an SQLite file
    /// `cavra.db` inside --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory for local state (the default SQLite database).
    #[arg(long, env = "CAVRA_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Directory holding the built site (`pkg/`, `vs/`, assets). Default: `target/site` under
    /// the current directory, else next to the executable (`target/<profile>/../site`).
    #[arg(long, env = "CAVRA_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// Lifecycle service options (`--demo`, shadow criteria, public URL, allowed origins, sign-in
    /// limits, retention).
    #[command(flatten)]
    pub governance: admin::GovernanceArgs,

    /// Connection limits: header, body and idle timeouts, the connection cap.
    #[command(flatten)]
    pub connections: limits::ConnectionArgs,
}

/// Runs a parsed command line and maps the outcome to an exit code.
pub fn run(cli: Cli) -> ExitCode {
    init_tracing();
    // Each command returns its exit code (0 ok, 1 gate failed); an error is exit 2.
    let outcome: anyhow::Result<ExitCode> = match cli.command {
        Command::Serve(args) => serve(args).map(|()| ExitCode::SUCCESS),
        Command::Policy(args) => policy::run(args),
        Command::User(args) => admin::run_user(args),
        Command::Token(args) => admin::run_token(args),
        Command::Packet(args) => admin::run_packet(args),
        Command::Audit(args) => admin::run_audit(args),
        Command::Db(args) => db::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => output::report_error(&error),
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("server=info,tower_http=info,cavra=info"));
    // Logs go to stderr so that command output on stdout stays machine-readable; colour only
    // for a terminal, and never under NO_COLOR, so log files stay plain text.
    let color = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .try_init();
}

/// Finds the built site when `--site-root` is not given.
fn default_site_root() -> PathBuf {
    let in_cwd = PathBuf::from("target/site");
    if in_cwd.join("pkg").is_dir() {
        return in_cwd;
    }
    // `target/release/cavra` → `target/site`.
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .and_then(Path::parent)
                .map(|dir| dir.join("site"))
        })
        .filter(|dir| dir.join("pkg").is_dir())
        .unwrap_or(in_cwd)
}

fn database_url(args: &ServeArgs) -> anyhow::Result<String> {
    // An empty DATABASE_URL (as `DATABASE_URL= cavra serve` gives) means the default.
    if let Some(url) = args
        .database_url
        .as_deref()
        .filter(|url| !url.trim().is_empty())
    {
        return Ok(url.to_owned());
    }
    crate::fsperm::private_dir(&args.data_dir)?;
    Ok(format!(
        "sqlite://{}",
        args.data_dir.join("cavra.db").display()
    ))
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Before anything is created (the data directory, the database).
    admin::check_public_url(args.addr, &args.governance)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let site_root = args.site_root.clone().unwrap_or_else(default_site_root);
        if !site_root.join("pkg").is_dir() {
            tracing::warn!(site_root = %site_root.display(), "no built site found; run `make build` (pages will not hydrate)");
        }
        let url = database_url(&args)?;
        let database = Database::connect(&url).await?;
        tracing::info!(engine = ?database.engine(), "database ready");
        let service =
            admin::build_service(database, &args.data_dir, args.addr, &args.governance).await?;
        // Prunes every --retention-interval-seconds for as long as the server runs.
        let _pruner = crate::service::retention::spawn(service.clone());
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let local = listener.local_addr().context("reading the bound address")?;
        // The bound address (with the real port when --addr asked for port 0): a loopback
        // server without --public-url answers its loopback names at this port.
        let options = crate::web::leptos_options(&site_root, local);
        let router = crate::web::router(options, service);
        tracing::info!(site_root = %site_root.display(), "listening on http://{local}");
        // Printed on stdout as well, so scripts (and people) can find the URL.
        println!("CAVRA Policy Lifecycle is serving on http://{local}");
        let options = args.connections.options();
        tracing::debug!(?options, "connection limits");
        // Each connection is a file descriptor; the cap only helps below the process's limit.
        if let Some(files) = crate::serve::open_file_limit() {
            let wanted = u64::try_from(options.max_connections).unwrap_or(u64::MAX);
            if files < wanted.saturating_add(64) {
                tracing::warn!(
                    open_files = files,
                    max_connections = wanted,
                    "the open-file limit is below --max-connections; raise `ulimit -n` or lower the cap"
                );
            }
        }
        crate::serve::serve(listener, router, options, shutdown_signal())
            .await
            .context("serving HTTP")
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
