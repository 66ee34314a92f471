//! Slow clients and sign-in storms against a running `cavra serve` (issue 15), on loopback.
//!
//! `MODE=swarm` (default): measures `GET /healthz` and `POST /v1/decisions` (with the runtime
//! token `TOKEN`) latency, `SAMPLES` sequential requests each on one kept-alive connection,
//! first on a quiet server, then while `CONNECTIONS` (default 2000) slow clients are connected:
//! each sends the start of a request head and then one more header byte every `TRICKLE_SECS`
//! (default 3), reconnecting whenever the server closes it. The measurement starts `HOLD_SECS`
//! (default 12) after the swarm connected, once the server's header timeout (10 s) is cutting
//! slow clients and they reconnect. Prints p50/p99 before and during, and how many slow
//! connections the server closed.
//!
//! `MODE=login`: measures a real sign-in's latency (`author`), `SAMPLES` times, first on a quiet
//! server, then while `STORM` (default 32) workers send wrong sign-ins back to back, each from
//! its own rotating loopback addresses (127.100.w.k), so the per-client throttle does not stop
//! them. Prints p50/p99, the storm's answers by status, and the server's memory (`SERVER_PID`).
//!
//! Both need more open files than the default limit; `scripts/slow-swarm.sh` raises it, starts
//! `cavra serve --demo` and runs both modes.
//!
//! Run with:
//!   ADDR=127.0.0.1:3000 TOKEN=... target/release/examples/slow_swarm
//!   MODE=login ADDR=127.0.0.1:3000 SERVER_PID=1234 target/release/examples/slow_swarm

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::{header, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".into())
        .parse()
        .context("ADDR is host:port")?;
    let samples = env_number("SAMPLES", 200).clamp(10, 10_000) as usize;
    match std::env::var("MODE").as_deref().unwrap_or("swarm") {
        "swarm" => swarm(addr, samples).await,
        "login" => login_storm(addr, samples).await,
        other => anyhow::bail!("MODE is `swarm` or `login`, not `{other}`"),
    }
}

/// One kept-alive HTTP/1 connection.
struct Probe {
    addr: SocketAddr,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Probe {
    async fn connect(addr: SocketAddr) -> anyhow::Result<Probe> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Probe { addr, sender })
    }

    /// One request; its status and how long the whole response took.
    async fn time(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<(u16, Duration)> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::from(body.to_owned())))?;
        let start = Instant::now();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        Ok((status, start.elapsed()))
    }
}

/// p50 and p99 of a set of durations, in ms.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| {
        let index = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[index].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.99))
}

const DECISION: &str = r#"{"schema_version":"cavra.opa-rego-policy.input.v1","action_type":"read_file","target":"README.md"}"#;

/// Latency of `GET /healthz` and `POST /v1/decisions`: (p50, p99) each.
async fn measure(addr: SocketAddr, token: &str, samples: usize) -> anyhow::Result<[(f64, f64); 2]> {
    let bearer = format!("Bearer {token}");
    let decision_headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let mut health = Probe::connect(addr).await?;
    let mut decide = Probe::connect(addr).await?;
    let (mut health_times, mut decision_times) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        let (status, took) = health.time("GET", "/healthz", &[], "").await?;
        anyhow::ensure!(status == 200, "GET /healthz answered {status}");
        health_times.push(took);
        let (status, took) = decide
            .time("POST", "/v1/decisions", &decision_headers, DECISION)
            .await?;
        anyhow::ensure!(status == 200, "POST /v1/decisions answered {status}");
        decision_times.push(took);
        // Spread the samples over a few seconds rather than measuring one burst.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok([percentiles(health_times), percentiles(decision_times)])
}

async fn swarm(addr: SocketAddr, samples: usize) -> anyhow::Result<()> {
    let token = std::env::var("TOKEN").context("TOKEN: a runtime token (`--demo` prints one)")?;
    let connections = env_number("CONNECTIONS", 2000).clamp(1, 20_000);
    let trickle = Duration::from_secs(env_number("TRICKLE_SECS", 3).clamp(1, 60));
    let hold = Duration::from_secs(env_number("HOLD_SECS", 12).clamp(0, 120));
    let before = measure(addr, &token, samples).await?;

    let open = Arc::new(AtomicI64::new(0));
    let closed_by_server = Arc::new(AtomicU64::new(0));
    let connect_failures = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..connections {
        let (open, closed, failures, stop) = (
            open.clone(),
            closed_by_server.clone(),
            connect_failures.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
                    failures.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                open.fetch_add(1, Ordering::Relaxed);
                let mut alive = stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nx-slow: ")
                    .await
                    .is_ok();
                let mut buf = [0u8; 512];
                while alive && !stop.load(Ordering::Relaxed) {
                    tokio::select! {
                        read = stream.read(&mut buf) => {
                            // Anything from the server here is its goodbye.
                            let _ = read;
                            alive = false;
                        }
                        () = tokio::time::sleep(trickle) => {
                            alive = stream.write_all(b"a").await.is_ok();
                        }
                    }
                }
                open.fetch_sub(1, Ordering::Relaxed);
                if !stop.load(Ordering::Relaxed) {
                    closed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Let the swarm connect.
    let ramp = Instant::now();
    while open.load(Ordering::Relaxed) < connections as i64 * 95 / 100
        && ramp.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Hold until the server's header timeout has started cutting slow clients (which then
    // reconnect), so the measurement sees the churn as well as the open connections.
    tokio::time::sleep(hold).await;
    let open_at_start = open.load(Ordering::Relaxed);
    let closed_before = closed_by_server.load(Ordering::Relaxed);
    let during = measure(addr, &token, samples).await?;
    let open_at_end = open.load(Ordering::Relaxed);
    let closed_during = closed_by_server.load(Ordering::Relaxed) - closed_before;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.abort();
    }

    println!("slow clients: {connections} (a header byte every {trickle:?})");
    println!(
        "open during the measurement: {open_at_start} at start, {open_at_end} at end; \
         closed by the server: {closed_before} before it, {closed_during} during it; \
         failed connects: {}",
        connect_failures.load(Ordering::Relaxed)
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "request", "p50 before", "p99 before", "p50 during", "p99 during", "p50 diff"
    );
    for (name, (b, d)) in ["GET /healthz", "POST /v1/decisions"]
        .iter()
        .zip(before.iter().zip(during.iter()))
    {
        println!(
            "{name:<22} {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>+8.1}%",
            b.0,
            b.1,
            d.0,
            d.1,
            (d.0 / b.0 - 1.0) * 100.0
        );
    }
    Ok(())
}

/// `VmRSS` and `VmHWM` (peak) of a process, in MB.
fn memory_mb(pid: Option<u32>) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    };
    Some((field("VmRSS:")? / 1024, field("VmHWM:")? / 1024))
}

async fn login_storm(addr: SocketAddr, samples: usize) -> anyhow::Result<()> {
    let workers = env_number("STORM", 32).clamp(1, 250);
    let pid = std::env::var("SERVER_PID")
        .ok()
        .and_then(|p| p.parse().ok());
    let login = r#"{"username":"author","password":"author-demo-pass"}"#;
    let json = [("content-type", "application/json")];
    let time_logins = |count: usize| async move {
        let mut times = Vec::new();
        for _ in 0..count {
            let mut probe = Probe::connect(addr).await?;
            let (status, took) = probe.time("POST", "/api/session", &json, login).await?;
            anyhow::ensure!(status == 200, "the real sign-in answered {status}");
            times.push(took);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::Ok(percentiles(times))
    };
    let quiet = time_logins(samples).await?;
    let memory_quiet = memory_mb(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let statuses: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let mut storm = Vec::new();
    for worker in 0..workers {
        let (stop, statuses) = (stop.clone(), statuses.clone());
        storm.push(tokio::spawn(async move {
            let mut attempt = 0u64;
            while !stop.load(Ordering::Relaxed) {
                attempt += 1;
                // A fresh address every 5 attempts: the per-client throttle never engages.
                let host = (attempt / 5) % 250 + 1;
                let source: std::net::IpAddr = format!("127.100.{worker}.{host}").parse().unwrap();
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                if socket.bind(SocketAddr::new(source, 0)).is_err() {
                    continue;
                }
                let Ok(stream) = socket.connect(addr).await else {
                    continue;
                };
                let Ok((mut sender, connection)) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
                else {
                    continue;
                };
                tokio::spawn(connection);
                let body = format!(
                    r#"{{"username":"storm-{worker}-{attempt}","password":"wrong-password"}}"#
                );
                let request = Request::builder()
                    .method("POST")
                    .uri("/api/session")
                    .header(header::HOST, addr.to_string())
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body)))
                    .unwrap();
                if let Ok(response) = sender.send_request(request).await {
                    let slot = match response.status().as_u16() {
                        401 => 0,
                        503 => 1,
                        _ => 2,
                    };
                    statuses[slot].fetch_add(1, Ordering::Relaxed);
                    let _ = response.into_body().collect().await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let during = time_logins(samples).await?;
    let storm_secs = started.elapsed().as_secs_f64() + 1.0;
    let memory_storm = memory_mb(pid);
    stop.store(true, Ordering::Relaxed);
    for worker in storm {
        let _ = worker.await;
    }
    println!("a real sign-in, {samples} samples; storm: {workers} concurrent wrong sign-ins");
    println!("quiet:  p50 {:.1} ms, p99 {:.1} ms", quiet.0, quiet.1);
    println!("storm:  p50 {:.1} ms, p99 {:.1} ms", during.0, during.1);
    let [checked, busy, other] = &*statuses;
    println!(
        "storm answers in {storm_secs:.1} s: {} checked (401), {} busy (503), {} other",
        checked.load(Ordering::Relaxed),
        busy.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed)
    );
    if let (Some(quiet), Some(storm)) = (memory_quiet, memory_storm) {
        println!(
            "server memory: {} MB quiet, {} MB during the storm (peak {} MB)",
            quiet.0, storm.0, storm.1
        );
    }
    Ok(())
}
