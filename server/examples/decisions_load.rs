//! Loopback load test of `POST /v1/decisions` with shadow mode on.
//!
//! Starts the real router on 127.0.0.1:0 (SQLite in a temporary directory, or `DATABASE_URL`),
//! imports the baseline pack, publishes a candidate that flips one rule, starts shadow mode, then
//! drives the endpoint from `CONNECTIONS` keep-alive connections for `SECONDS` seconds (both
//! bounded), every request with the runtime token `load-runner` (`Authorization: Bearer`, as
//! production runtimes send it; its rate limit is lifted so the run measures the server, not the
//! limit). Finally it checks that the shadow run holds exactly one observation, and the log
//! exactly one row, per request the server answered with 200 (counted by a middleware).
//!
//! The load comes from Debian's `wrk` in its own process when `LOAD_TOOL=wrk` (`WRK_THREADS`,
//! default 1), else from an in-process hyper client; with either, `PAUSE_MS` makes each
//! connection wait before each request, to hold a rate below the maximum. `scripts/load.sh` installs wrk and runs
//! both the maximum and the soak.
//!
//! `MODE=flood` measures the per-token limits instead (`scripts/load.sh flood`): for `SECONDS`
//! it runs, at once, an anonymous wrk flood (no token), a wrk flood with the token
//! `flood-runner` (held to `FLOOD_RATE` decisions/s, default 500) and a paced in-process client
//! with a second token, `steady-runner`, whose latency is compared with a run of the same client
//! alone just before. It checks that the anonymous flood added no rows, that `flood-runner` got
//! no more than its bucket allows and that every `steady-runner` request was answered.
//!
//! With `TARGET=http://127.0.0.1:PORT` and `TOKEN=<runtime token>` it sets nothing up and checks
//! no counts: it only drives that running server (e.g. `cavra serve --demo`, whose demo token it
//! prints) and reports throughput and latency; `PAD_BYTES` pads each input's `capability` field
//! (recorded in the decision log) to make rows that size (`scripts/soak-retention.sh`).
//!
//! Run with:
//!   cargo run -p server --example decisions_load
//!   SECONDS=20 CONNECTIONS=16 cargo run -p server --release --example decisions_load
//!   LOAD_TOOL=wrk SECONDS=10 CONNECTIONS=64 target/release/examples/decisions_load

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let seconds = env_number("SECONDS", 10).clamp(1, 120);
    let connections = env_number("CONNECTIONS", 8).clamp(1, 256);
    if let Ok(target) = std::env::var("TARGET") {
        return external(&target, seconds, connections).await;
    }
    let dir = tempfile::tempdir()?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("load.db").display()));
    let database = Database::connect(&url).await?;
    let mut config = ServiceConfig::new(dir.path().join("data"));
    config.secure_cookies = false;
    let flood_mode = std::env::var("MODE").is_ok_and(|m| m == "flood");
    let flood_rate = env_number("FLOOD_RATE", 500).max(1) as f64;
    if flood_mode {
        config.runtime.rate_per_sec = flood_rate;
        config.runtime.burst = flood_rate;
    } else {
        // Measure throughput, not the per-token limit (tests/it/runtime_tokens.rs covers that).
        config.runtime.rate_per_sec = 0.0;
    }
    let service = Service::new(database, config)?;
    server::demo::seed_users(&service)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let policies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policies");
    let packs = server::demo::import_policies(&service, &policies).await?;
    let (pack, _) = packs.first().context("no fixture pack")?.clone();
    let token = server::service::tokens::create_as(&service, "load", "load-runner", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .secret;
    let bearer = format!("Bearer {token}");

    // A candidate that no longer allows `pytest*`: its decisions diverge for pytest requests.
    let (author, _) = service
        .login("author", "author-demo-pass", None)
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
    // Requests received and answered with 200, counted by the server itself. When the client
    // stops at its deadline it drops the connections with requests in flight; hyper then drops
    // those handlers, whose decisions may already be recorded but were never answered.
    let received = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let counters = (received.clone(), answered.clone());
    let router = server::web::router(options, service.clone()).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: Next| {
            let (received, answered) = counters.clone();
            async move {
                let decision = request.uri().path() == "/v1/decisions";
                if decision {
                    received.fetch_add(1, Ordering::Relaxed);
                }
                let response = next.run(request).await;
                if decision && response.status() == StatusCode::OK {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                response
            }
        },
    ));
    // The serve loop of `cavra serve`, so the numbers include its connection handling.
    tokio::spawn(server::serve::serve(
        listener,
        router,
        server::serve::ServeOptions::default(),
        std::future::pending(),
    ));

    let bodies: Arc<Vec<Bytes>> = Arc::new(
        lifecycle::dry_run::default_fixtures()
            .iter()
            .map(|f| Bytes::from(f["input"].to_string()))
            .chain(std::iter::once(Bytes::from(
                r#"{"action_type":"execute_command","target":"pytest -q"}"#,
            )))
            .collect(),
    );
    if flood_mode {
        let steady = server::service::tokens::create_as(&service, "load", "steady-runner", None)
            .await
            .map_err(fail)?
            .secret;
        let limits = FloodSetup {
            addr,
            seconds,
            connections,
            rate: flood_rate,
            dir: dir.path(),
        };
        return flood(
            &service,
            &limits,
            &bodies,
            &bearer,
            &format!("Bearer {steady}"),
        )
        .await;
    }
    let tool = std::env::var("LOAD_TOOL").unwrap_or_default();
    // The same-run baseline: the router's cheapest route under the same wrk settings, i.e.
    // what HTTP alone costs on this machine right now.
    let floor = if tool == "wrk" && std::env::var("HTTP_FLOOR").is_ok_and(|v| v == "1") {
        Some(wrk_get(addr, "/healthz", seconds, connections).await?)
    } else {
        None
    };
    let load = if tool == "wrk" {
        wrk(addr, &bodies, &bearer, seconds, connections, dir.path()).await?
    } else {
        internal_client(addr, bodies, bearer, seconds, connections, env_pause()).await?
    };
    // Let requests cut off by the deadline finish on the server before counting (bounded).
    let mut last = u64::MAX;
    for _ in 0..50 {
        let now = answered.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ok = answered.load(Ordering::Relaxed);
    let received = received.load(Ordering::Relaxed);
    let summary = service
        .divergence(&pack)
        .await
        .map_err(fail)?
        .context("no shadow run")?;
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM decision_log")
        .fetch_one(service.db().pool())
        .await?;
    // Each observation must sit beside its own decision (batches are multi-row INSERTs).
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM observations o JOIN decision_log d ON d.id = o.decision_id \
         WHERE d.rule_id <> o.enforced_rule_id OR d.decision <> o.enforced_decision \
         OR d.policy_digest <> o.enforced_digest",
    )
    .fetch_one(service.db().pool())
    .await?;
    println!("engine            {:?}", service.db().engine());
    println!("connections       {connections}");
    println!(
        "load tool         {}",
        if tool == "wrk" {
            "wrk"
        } else {
            "in-process hyper client"
        }
    );
    println!("duration          {:.1} s", load.elapsed);
    println!("requests received {received} (by the server)");
    println!("requests answered {ok} (200, by the server)");
    println!("requests counted  {} (by the client)", load.completed);
    println!("requests failed   {}", load.failed);
    println!(
        "throughput        {:.0} decisions/s",
        load.completed as f64 / load.elapsed
    );
    println!(
        "latency ms        p50 {:.2}  p99 {:.2}  max {:.2}",
        load.p50, load.p99, load.max
    );
    if let Some(floor) = &floor {
        let rate = floor.completed as f64 / floor.elapsed;
        println!(
            "http floor        GET /healthz {rate:.0} req/s (p50 {:.2}  p99 {:.2} ms); decisions at {:.0} % of it",
            floor.p50,
            floor.p99,
            100.0 * (load.completed as f64 / load.elapsed) / rate
        );
    }
    println!("decision log rows {logged}");
    println!(
        "observations      {} (divergences {}, {:?})",
        summary.observations, summary.divergences, summary.by_flip
    );
    let observations = u64::try_from(summary.observations).unwrap_or(u64::MAX);
    let logged = u64::try_from(logged).unwrap_or(u64::MAX);
    // Every answered request is recorded once with its observation; the only rows beyond the
    // answered ones are requests cut off in flight at the deadline (at most one per connection).
    println!("observations paired with another decision: {mismatched}");
    // The server-side replay the diff viewer runs, over the log this run recorded.
    let started = Instant::now();
    let replay = service
        .replay_version(
            &pack,
            &version.digest,
            None,
            app::backend::DEFAULT_REPLAY_WINDOW,
        )
        .await
        .map_err(fail)?;
    println!(
        "server replay     newest {} decisions through the candidate in {:.0} ms ({} flips)",
        replay.report.decisions,
        started.elapsed().as_secs_f64() * 1000.0,
        replay.report.flips
    );
    let matches = mismatched == 0
        && observations == logged
        && (ok..=received).contains(&logged)
        && received - ok <= connections
        && load.completed <= ok;
    println!(
        "observation count == decision-log count == answered requests (+ {} cut off in flight): {}",
        logged.saturating_sub(ok),
        if matches { "yes" } else { "NO" }
    );
    anyhow::ensure!(matches, "observation count differs from request count");
    anyhow::ensure!(load.failed == 0, "{} requests failed", load.failed);
    Ok(())
}

/// Drives an already running server at `target` with the runtime token in `TOKEN`.
async fn external(target: &str, seconds: u64, connections: u64) -> anyhow::Result<()> {
    let addr: std::net::SocketAddr = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("TARGET `{target}` is not http://HOST:PORT"))?;
    let token = std::env::var("TOKEN").context("TARGET needs TOKEN (a runtime token)")?;
    let bearer = format!("Bearer {}", token.trim());
    // Capped like the server caps a field (4 KiB by default).
    let pad = "x".repeat(usize::try_from(env_number("PAD_BYTES", 0).min(4096)).unwrap_or(0));
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        lifecycle::dry_run::default_fixtures()
            .iter()
            .map(|f| {
                let mut input = f["input"].clone();
                if !pad.is_empty() {
                    input["capability"] = serde_json::Value::from(pad.as_str());
                }
                Bytes::from(input.to_string())
            })
            .collect(),
    );
    let dir = tempfile::tempdir()?;
    let load = if std::env::var("LOAD_TOOL").is_ok_and(|tool| tool == "wrk") {
        wrk(addr, &bodies, &bearer, seconds, connections, dir.path()).await?
    } else {
        internal_client(addr, bodies, bearer, seconds, connections, env_pause()).await?
    };
    println!("target            {target}");
    println!("connections       {connections}");
    println!("duration          {:.1} s", load.elapsed);
    println!("requests counted  {} (by the client)", load.completed);
    println!("requests failed   {}", load.failed);
    println!(
        "throughput        {:.0} decisions/s",
        load.completed as f64 / load.elapsed
    );
    println!(
        "latency ms        p50 {:.2}  p99 {:.2}  max {:.2}",
        load.p50, load.p99, load.max
    );
    anyhow::ensure!(load.failed == 0, "{} requests failed", load.failed);
    Ok(())
}

/// `PAUSE_MS`: how long each connection waits before each request, as the wrk script does.
fn env_pause() -> Option<Duration> {
    let millis = env_number("PAUSE_MS", 0).min(10_000);
    (millis > 0).then(|| Duration::from_millis(millis))
}

/// What a load run measured (latencies in milliseconds).
struct Load {
    elapsed: f64,
    completed: u64,
    failed: u64,
    p50: f64,
    p99: f64,
    max: f64,
}

/// Runs Debian's wrk against the server and parses its report.
async fn wrk(
    addr: std::net::SocketAddr,
    bodies: &[Bytes],
    bearer: &str,
    seconds: u64,
    connections: u64,
    dir: &std::path::Path,
) -> anyhow::Result<Load> {
    let list = dir.join(format!("bodies-{}.jsonl", bearer.len()));
    let mut text = String::new();
    for body in bodies {
        text.push_str(std::str::from_utf8(body)?);
        text.push('\n');
    }
    std::fs::write(&list, text)?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/decisions_load.lua");
    let threads = env_number("WRK_THREADS", 1).clamp(1, 8).min(connections);
    let mut command = tokio::process::Command::new("wrk");
    command
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args([
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            "5s",
            "--latency",
            "-s",
            script,
        ])
        .arg(format!("http://{addr}/v1/decisions"))
        .arg("--")
        .arg(&list)
        .kill_on_drop(true);
    if let Ok(pause) = std::env::var("PAUSE_MS") {
        command.env("WRK_PAUSE_MS", pause);
    }
    command.env("WRK_AUTHORIZATION", bearer);
    let output = command
        .output()
        .await
        .context("running wrk (scripts/load.sh installs it)")?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{report}");
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_wrk(&report)
}

/// Runs wrk with plain GETs of `path` (no script).
async fn wrk_get(
    addr: std::net::SocketAddr,
    path: &str,
    seconds: u64,
    connections: u64,
) -> anyhow::Result<Load> {
    let threads = env_number("WRK_THREADS", 1).clamp(1, 8).min(connections);
    let output = tokio::process::Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "5s", "--latency"])
        .arg(format!("http://{addr}{path}"))
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk (scripts/load.sh installs it)")?;
    anyhow::ensure!(output.status.success(), "wrk failed");
    parse_wrk(&String::from_utf8_lossy(&output.stdout))
}

/// Reads requests, duration, errors and the latency distribution from wrk's `--latency` report.
fn parse_wrk(report: &str) -> anyhow::Result<Load> {
    let millis = |value: &str| -> Option<f64> {
        let unit = value.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        let number: f64 = value[..value.len() - unit.len()].parse().ok()?;
        Some(match unit {
            "us" => number / 1000.0,
            "ms" => number,
            "s" => number * 1000.0,
            "m" => number * 60_000.0,
            _ => return None,
        })
    };
    let mut load = Load {
        elapsed: 0.0,
        completed: 0,
        failed: 0,
        p50: 0.0,
        p99: 0.0,
        max: 0.0,
    };
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [count, "requests", "in", time, ..] => {
                load.completed = count.parse()?;
                load.elapsed = millis(time.trim_end_matches(',')).context("wrk duration")? / 1000.0;
            }
            ["Latency", _avg, _stdev, max, ..] => load.max = millis(max).unwrap_or(0.0),
            ["50%", value] => load.p50 = millis(value).context("wrk p50")?,
            ["99%", value] => load.p99 = millis(value).context("wrk p99")?,
            ["Non-2xx", "or", "3xx", "responses:", count] => load.failed += count.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                load.failed += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    anyhow::ensure!(load.elapsed > 0.0, "no summary in wrk's report");
    Ok(load)
}

/// Drives the endpoint from in-process hyper connections.
async fn internal_client(
    addr: std::net::SocketAddr,
    bodies: Arc<Vec<Bytes>>,
    bearer: String,
    seconds: u64,
    connections: u64,
    pause: Option<Duration>,
) -> anyhow::Result<Load> {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (bodies, ok, failed) = (bodies.clone(), ok.clone(), failed.clone());
        let bearer = bearer.clone();
        workers.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let mut index = usize::try_from(worker).unwrap_or(0);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                if let Some(pause) = pause {
                    tokio::time::sleep(pause).await;
                }
                let body = bodies[index % bodies.len()].clone();
                index += 1;
                let request = Request::post("/v1/decisions")
                    .header(header::HOST, addr.to_string())
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, &bearer)
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
    Ok(Load {
        elapsed,
        completed: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        p50: percentile(0.5),
        p99: percentile(0.99),
        max: percentile(1.0),
    })
}

/// Where and how long the flood runs.
struct FloodSetup<'a> {
    addr: std::net::SocketAddr,
    seconds: u64,
    connections: u64,
    rate: f64,
    dir: &'a std::path::Path,
}

/// `MODE=flood`: an anonymous flood and a one-token flood beside a paced second token.
async fn flood(
    service: &Service,
    setup: &FloodSetup<'_>,
    bodies: &Arc<Vec<Bytes>>,
    flooder: &str,
    steady: &str,
) -> anyhow::Result<()> {
    let FloodSetup {
        addr,
        seconds,
        connections,
        rate,
        dir,
    } = *setup;
    // The steady runtime: 4 connections, each pausing 10 ms between requests (a few hundred
    // decisions/s, well under its own limit).
    let pause = Some(Duration::from_millis(env_number("STEADY_PAUSE_MS", 10)));
    let baseline_secs = seconds.clamp(5, 15);
    let alone = internal_client(
        addr,
        bodies.clone(),
        steady.to_owned(),
        baseline_secs,
        4,
        pause,
    )
    .await?;
    let rows = |service: &Service| {
        let pool = service.db().pool().clone();
        async move {
            let counted: Vec<(String, i64)> = sqlx::query_as(
                "SELECT runtime, COUNT(*) FROM decision_log GROUP BY runtime ORDER BY runtime",
            )
            .fetch_all(&pool)
            .await?;
            anyhow::Ok(counted)
        }
    };
    let before = rows(service).await?;
    let started = Instant::now();
    let (anonymous, flooded, during) = tokio::join!(
        wrk(addr, bodies, "", seconds, connections, dir),
        wrk(addr, bodies, flooder, seconds, connections, dir),
        internal_client(addr, bodies.clone(), steady.to_owned(), seconds, 4, pause),
    );
    let elapsed = started.elapsed().as_secs_f64();
    let (anonymous, flooded, during) = (anonymous?, flooded?, during?);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rows(service).await?;
    let count = |table: &[(String, i64)], name: &str| {
        table
            .iter()
            .find(|(runtime, _)| runtime == name)
            .map_or(0, |(_, n)| *n)
    };
    let added = |name: &str| count(&after, name) - count(&before, name);
    let anonymous_rows = after.iter().map(|(_, n)| n).sum::<i64>()
        - before.iter().map(|(_, n)| n).sum::<i64>()
        - added("load-runner")
        - added("steady-runner");
    // A token bucket of `rate` per second holding `rate`: at most one bucket plus the refill.
    let allowed = (rate * (elapsed + 1.0) + rate).ceil() as i64;
    println!("engine              {:?}", service.db().engine());
    println!("flood               {seconds} s, {connections} connections per flood, token limit {rate:.0}/s");
    println!(
        "anonymous flood     {} requests sent, {} answered 200, rows added {anonymous_rows}",
        anonymous.completed,
        anonymous.completed - anonymous.failed.min(anonymous.completed)
    );
    println!(
        "flood-runner        {} requests sent, rows added {} (bucket allows at most {allowed})",
        flooded.completed,
        added("load-runner")
    );
    println!(
        "steady-runner alone {} decisions in {:.1} s, p50 {:.2} ms, p99 {:.2} ms, failed {}",
        alone.completed, alone.elapsed, alone.p50, alone.p99, alone.failed
    );
    println!(
        "steady-runner flood {} decisions in {:.1} s, p50 {:.2} ms, p99 {:.2} ms, failed {}",
        during.completed, during.elapsed, during.p50, during.p99, during.failed
    );
    anyhow::ensure!(
        anonymous_rows == 0,
        "the anonymous flood added {anonymous_rows} rows"
    );
    anyhow::ensure!(
        added("load-runner") <= allowed,
        "flood-runner exceeded its limit: {} rows",
        added("load-runner")
    );
    anyhow::ensure!(
        during.failed == 0,
        "steady-runner was refused {} times",
        during.failed
    );
    Ok(())
}
