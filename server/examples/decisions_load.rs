//! Loopback load test of `POST /v1/decisions` with shadow mode on.
//!
//! Starts the real router on 127.0.0.1:0 (SQLite in a temporary directory, or `DATABASE_URL`),
//! imports the baseline pack, publishes a candidate that flips one rule, starts shadow mode, then
//! drives the endpoint from `CONNECTIONS` keep-alive connections for `SECONDS` seconds (both
//! bounded). Finally it checks that the shadow run holds exactly one observation per answered
//! request.
//!
//! Run with:
//!   cargo run -p server --example decisions_load
//!   SECONDS=20 CONNECTIONS=16 cargo run -p server --release --example decisions_load

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use app::backend::Backend;
use server::config::ServiceConfig;
use server::db::Database;
use server::service::Service;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = env_number("SECONDS", 10).clamp(1, 120);
    let connections = env_number("CONNECTIONS", 8).clamp(1, 256);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("load.db").display()));
    let database = Database::connect(&url).await?;
    let mut config = ServiceConfig::new(dir.path().join("data"));
    config.secure_cookies = false;
    let service = Service::new(database, config)?;
    server::demo::seed_users(&service)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let policies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policies");
    let packs = server::demo::import_policies(&service, &policies).await?;
    let (pack, _) = packs.first().context("no fixture pack")?.clone();

    // A candidate that no longer allows `pytest*`: its decisions diverge for pytest requests.
    let (author, _) = service
        .login("author", "author-demo-pass")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fail = |e: app::backend::BackendError| anyhow::anyhow!("{e}");
    let draft = service
        .create_draft(&author, &pack, None)
        .await
        .map_err(fail)?;
    let source = draft.source.replace("    - \"pytest*\"\n", "");
    let draft = service
        .save_draft(&author, draft.id, &source, draft.revision)
        .await
        .map_err(fail)?;
    let version = service
        .publish_draft(&author, draft.id)
        .await
        .map_err(fail)?;
    service
        .start_shadow(&author, &pack, &version.digest)
        .await
        .map_err(fail)?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let options = server::web::leptos_options(dir.path(), addr);
    let router = server::web::router(options, service.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let bodies: Arc<Vec<Bytes>> = Arc::new(
        lifecycle::dry_run::default_fixtures()
            .iter()
            .map(|f| Bytes::from(f["input"].to_string()))
            .chain(std::iter::once(Bytes::from(
                r#"{"action_type":"execute_command","target":"pytest -q"}"#,
            )))
            .collect(),
    );
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (bodies, ok, failed) = (bodies.clone(), ok.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let mut index = usize::try_from(worker).unwrap_or(0);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let body = bodies[index % bodies.len()].clone();
                index += 1;
                let request = Request::post("/v1/decisions")
                    .header(header::HOST, addr.to_string())
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Full::new(body))?;
                let sent = Instant::now();
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                latencies.push(sent.elapsed());
                if status == StatusCode::OK {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let ok = ok.load(Ordering::Relaxed);
    let summary = service
        .divergence(&pack)
        .await
        .map_err(fail)?
        .context("no shadow run")?;
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM decision_log")
        .fetch_one(service.db().pool())
        .await?;
    println!("engine            {:?}", service.db().engine());
    println!("connections       {connections}");
    println!("duration          {elapsed:.1} s");
    println!("requests ok       {ok}");
    println!("requests failed   {}", failed.load(Ordering::Relaxed));
    println!("throughput        {:.0} decisions/s", ok as f64 / elapsed);
    println!(
        "latency ms        p50 {:.2}  p99 {:.2}  max {:.2}",
        percentile(0.5),
        percentile(0.99),
        percentile(1.0)
    );
    println!("decision log rows {logged}");
    println!(
        "observations      {} (divergences {}, {:?})",
        summary.observations, summary.divergences, summary.by_flip
    );
    let matches = u64::try_from(summary.observations).ok() == Some(ok)
        && u64::try_from(logged).ok() == Some(ok);
    println!(
        "observation count == request count: {}",
        if matches { "yes" } else { "NO" }
    );
    anyhow::ensure!(matches, "observation count differs from request count");
    Ok(())
}
