//! Helpers of the reliability tests (issue 9): raw HTTP exchanges that expose headers, signing in
//! as a demo user, and a real `cavra serve` child process.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;

use super::Client;

/// The fixture pack every seeded server enforces.
pub const PACK: &str = "cavra-ai-agent-baseline";

/// One HTTP/1 exchange with full control over headers and body; returns status, headers, body.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    raw_checked(addr, method, path, headers, body)
        .await
        .expect("an HTTP exchange with the test server")
}

/// Signs in as a demo user (password `<user>-demo-pass`).
pub async fn login(addr: SocketAddr, user: &str) -> Client {
    let client = Client::new(addr);
    let (status, body) = client
        .send(
            "POST",
            "/api/session",
            Some(json!({"username": user, "password": format!("{user}-demo-pass")})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "login {user}: {body}");
    assert!(client.has_cookie(), "session cookie set for {user}");
    client
}

/// Signs in as a demo user over REST; the session cookie as `name=value`.
pub async fn session_cookie(addr: SocketAddr, user: &str) -> String {
    let (status, headers, body) = raw(
        addr,
        "POST",
        "/api/session",
        &[("content-type", "application/json")],
        json!({"username": user, "password": format!("{user}-demo-pass")})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Creates a runtime token (as `test`) and returns its secret.
pub async fn runtime_token(
    service: &server::service::Service,
    name: &str,
    packs: Option<Vec<String>>,
) -> String {
    server::service::tokens::create_as(service, "test", name, packs)
        .await
        .expect("create a runtime token")
        .secret
}

/// An authenticated runtime of `service` (a fresh token named `name`, every pack), for calling
/// `shadow::decide` directly.
pub async fn runtime(
    service: &server::service::Service,
    name: &str,
) -> std::sync::Arc<server::service::tokens::Runtime> {
    let secret = runtime_token(service, name, None).await;
    server::service::tokens::authenticate(service, &secret)
        .await
        .expect("authenticate the new token")
}

/// `POST /v1/decisions` with a bearer token that reports transport failures instead of
/// panicking (the server may be killed mid-request).
pub async fn try_decide(
    addr: SocketAddr,
    token: &str,
    input: serde_json::Value,
) -> Option<(StatusCode, serde_json::Value)> {
    let (status, _, body) = raw_checked(
        addr,
        "POST",
        "/v1/decisions",
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {token}")),
        ],
        input.to_string().into_bytes(),
    )
    .await?;
    Some((
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    ))
}

/// [`raw`] that returns `None` on a transport failure.
pub async fn raw_checked(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Option<(StatusCode, HeaderMap, Vec<u8>)> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let mut request = Request::builder().method(method).uri(path);
    // The bound address, unless the caller names a host (DNS-rebinding and public-URL tests).
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request = request.header(header::HOST, addr.to_string());
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).ok()?)
        .await
        .ok()?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, headers, body.to_vec()))
}

/// A `cavra serve` child process; killed (SIGKILL) on drop.
pub struct CavraProcess {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything the process wrote to stdout and stderr so far.
    pub output: Arc<Mutex<String>>,
}

impl CavraProcess {
    /// Starts `cavra serve --addr 127.0.0.1:0 --demo` with `extra` arguments and waits until it
    /// prints the address it serves on.
    pub fn start(data_dir: &Path, extra: &[&str], rust_log: &str) -> CavraProcess {
        let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policies");
        let mut child = Command::new(env!("CARGO_BIN_EXE_cavra"))
            .arg("serve")
            .args([
                "--addr",
                "127.0.0.1:0",
                "--demo",
                "--shadow-min-seconds",
                "0",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--policies-dir")
            .arg(&policies)
            .arg("--site-root")
            .arg(data_dir.join("no-site"))
            .args(extra)
            .env("RUST_LOG", rust_log)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cavra serve");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(url) = line.split("serving on http://").nth(1) {
                        if let Ok(addr) = url.trim().parse() {
                            let _ = tx.send(addr);
                        }
                    }
                    let mut out = output.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut out = output.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        let addr = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "cavra serve did not start:\n{}",
                    output.lock().unwrap().as_str()
                );
            }
        };
        CavraProcess {
            child,
            addr,
            output,
        }
    }

    /// The captured stdout and stderr.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The demo runtime token `--demo` printed at start.
    pub fn demo_token(&self) -> String {
        self.output()
            .lines()
            .find_map(|line| line.trim().strip_prefix("Authorization: Bearer "))
            .expect("--demo prints a runtime token")
            .trim()
            .to_owned()
    }

    /// SIGKILLs the process and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Peak resident set size (`VmHWM`, kB) of the process, on Linux.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        peak_rss_kb(self.child.id())
    }
}

impl Drop for CavraProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `VmHWM` of a process in kB (Linux only).
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `source` with its first `version: …` line set to `version: <version>`.
pub fn with_version(source: &str, version: &str) -> String {
    match source.find("version: ") {
        Some(at) => {
            let end = source[at..].find('\n').map_or(source.len(), |n| at + n);
            format!("{}version: {version}{}", &source[..at], &source[end..])
        }
        None => source.to_owned(),
    }
}

/// Publishes a new version of the fixture pack as `client` (the enforced text with
/// `version: <version>`); returns its digest.
pub async fn publish_version(client: &Client, version: &str) -> String {
    let (status, draft) = client
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    let source = with_version(draft["source"].as_str().unwrap(), version);
    let (status, saved) = client
        .send(
            "PUT",
            &format!("/api/drafts/{id}"),
            Some(json!({"source": source, "revision": draft["revision"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, published) = client
        .send("POST", &format!("/api/drafts/{id}/publish"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    published["digest"].as_str().unwrap().to_owned()
}

/// Starts shadow for `digest`, sends one decision with `token` and has `security` (a reviewer
/// who did not touch the digest) acknowledge the divergences.
pub async fn shadow_observed(addr: SocketAddr, token: &str, author: &Client, digest: &str) {
    let (status, run) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/shadow"),
            Some(json!({"digest": digest})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let input = json!({
        "schema_version": "cavra.opa-rego-policy.input.v1",
        "action_type": "read_file",
        "target": "README.md",
        "requested_operation": "read"
    });
    let (status, answer) = Client::new(addr).decide(token, "", input).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, ack) = login(addr, "security")
        .await
        .send(
            "POST",
            &format!("/api/packs/{PACK}/shadow/acknowledge"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
}

/// Drives `digest` to a ready gate: approval request, shadow with one observation, both
/// sign-offs. Returns the approval request id.
pub async fn make_ready(addr: SocketAddr, token: &str, author: &Client, digest: &str) -> i64 {
    let (status, request) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/approvals"),
            Some(json!({"digest": digest})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let request_id = request["id"].as_i64().unwrap();
    shadow_observed(addr, token, author, digest).await;
    for (user, group) in [
        ("security", "Platform Security"),
        ("owner", "Repository Owners"),
    ] {
        let approver = login(addr, user).await;
        let (status, body) = approver
            .send(
                "POST",
                &format!("/api/approvals/{request_id}/signoffs"),
                Some(json!({"group": group, "digest": digest, "decision": "approve", "comment": "ok"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, gate) = author
        .send("GET", &format!("/api/packs/{PACK}/gate/{digest}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gate["ready"], true, "{gate}");
    request_id
}

/// A JSON request that reports transport failures instead of panicking (the server may be
/// killed mid-request). `cookie` is `name=value`.
pub async fn try_json(
    addr: SocketAddr,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Option<(StatusCode, serde_json::Value)> {
    let mut headers = vec![("cookie", cookie)];
    let bytes = match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            body.to_string().into_bytes()
        }
        None => Vec::new(),
    };
    let (status, _, body) = raw_checked(addr, method, path, &headers, bytes).await?;
    let value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
    };
    Some((status, value))
}

/// A session cookie (`name=value`) for a demo user, or `None` when the server is unreachable.
pub async fn try_cookie(addr: SocketAddr, user: &str) -> Option<String> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let body = json!({"username": user, "password": format!("{user}-demo-pass")}).to_string();
    let request = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::HOST, addr.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    let cookie = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    Some(cookie.split(';').next()?.to_owned())
}
