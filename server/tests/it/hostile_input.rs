//! Hostile input (issue 9) through the browser linter (`lifecycle::lint::lint_source`), the CLI
//! (`cavra policy lint|digest`), the REST API (draft save / publish, `/v1/decisions`) and the
//! rendered pages: YAML alias bombs, 10 000-deep nesting, a 100 MB body (413 while the server keeps
//! serving, peak RSS bounded), invalid UTF-8, NUL bytes, a 1 M-line file, malformed globs, path
//! traversal in pack names, and HTML/script in policy text (escaped in the SSR page).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::cli_common::run_merged;
use crate::common::extra::{login, raw, session_cookie, CavraProcess, PACK};

/// A billion-laughs document: 9 levels of 9 aliases each (9^9 nodes if expanded).
fn alias_bomb() -> String {
    let mut s = String::from("a0: &a0 [\"lol\"]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 9].join(", ");
        s.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    s.push_str("metadata: *a9\n");
    s
}

fn deep_flow(depth: usize) -> String {
    format!("metadata: {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

fn deep_block(depth: usize) -> String {
    let mut s = String::new();
    for level in 0..depth {
        s.push_str(&" ".repeat(level));
        s.push_str("k:\n");
    }
    s
}

fn million_lines() -> String {
    let mut s = String::from("metadata:\n  name: big\n");
    for i in 0..1_000_000 {
        s.push_str(&format!("# line {i}\n"));
    }
    s
}

const MALFORMED_GLOBS: &str = r#"schema_version: cavra.policy.v1
metadata:
  name: globs
  version: 0.1.0
files:
  read:
    deny: ["[", "**/**/**/***", "{a,b", "\\", "a[!]b", "/../../etc/passwd", "***"]
commands:
  allow: ["[z-a]*", "*{*"]
"#;

const SCRIPT: &str = "<script>alert('pwn')</script>";

fn hostile_sources() -> Vec<(&'static str, String)> {
    vec![
        ("alias bomb", alias_bomb()),
        ("10 000-deep flow nesting", deep_flow(10_000)),
        (
            "10 000-deep compact block nesting",
            format!("metadata:\n  {}x\n", "- ".repeat(10_000)),
        ),
        ("NUL bytes", "metadata:\n  name: \"a\0b\"\n\0\0\0".to_owned()),
        ("malformed globs", MALFORMED_GLOBS.to_owned()),
        (
            "html",
            format!("# {SCRIPT}\nmetadata:\n  name: \"{SCRIPT}\"\n  description: <img src=x onerror=alert(1)>\n"),
        ),
    ]
}

#[test]
fn browser_linter_survives_hostile_sources() {
    let mut cases = hostile_sources();
    cases.push(("1 M lines", million_lines()));
    cases.push(("10 000-deep indented nesting (50 MB)", deep_block(10_000)));
    for (name, source) in cases {
        let started = Instant::now();
        let outcome = lifecycle::lint::lint_source(&source);
        let elapsed = started.elapsed();
        // Debug builds are slow; the bound catches exponential blow-ups, not constant factors.
        assert!(elapsed < Duration::from_secs(20), "{name}: {elapsed:?}");
        if name != "malformed globs" && name != "html" {
            assert!(
                !outcome.diagnostics.is_empty(),
                "{name}: a clear diagnostic is expected"
            );
        }
        // The digest must not panic on whatever the parser accepted either.
        if let Some(value) = &outcome.value {
            assert!(lifecycle::digest::policy_digest(value).starts_with("sha256:"));
        }
        let _ = lifecycle::model::parse_bytes(source.as_bytes());
    }
}

#[test]
fn cli_refuses_hostile_files_and_pack_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, Vec<u8>)> = hostile_sources()
        .into_iter()
        .map(|(name, source)| (name.to_owned(), source.into_bytes()))
        .collect();
    files.push(("1 M lines".into(), million_lines().into_bytes()));
    files.push((
        "10 000-deep indented nesting".into(),
        deep_block(10_000).into_bytes(),
    ));
    files.push((
        "invalid UTF-8".into(),
        b"metadata:\n  name: \xff\xfe\xc3\x28\n".to_vec(),
    ));
    for (index, (name, bytes)) in files.iter().enumerate() {
        let path = dir.path().join(format!("hostile-{index}.yaml"));
        std::fs::write(&path, bytes).unwrap();
        let started = Instant::now();
        let (code, out) = run_merged(dir.path(), &["policy", "lint", path.to_str().unwrap()]);
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{name}: {:?}",
            started.elapsed()
        );
        assert!(
            code == 0 || code == 1 || code == 2,
            "{name}: exit {code} (crash?)\n{out}"
        );
        if name != "malformed globs" && name != "html" {
            assert!(code != 0, "{name}: must not lint clean\n{out}");
        }
        assert!(!out.contains("panicked"), "{name}: {out}");
    }
    // Path traversal in pack names: refused with exit 2, never reading outside policies/.
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    for pack in [
        "../../etc/passwd",
        "..",
        "/etc/passwd",
        "a/../../b",
        "pack\0name",
    ] {
        if pack.contains('\0') {
            continue; // an OS argument cannot carry NUL
        }
        let (code, out) = run_merged(dir.path(), &["policy", "digest", "--policy-pack", pack]);
        assert_eq!(code, 2, "{pack}: {out}");
        assert!(!out.contains("root:"), "{pack}: leaked a file\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_refuses_hostile_drafts_and_keeps_serving() {
    for server in crate::common::servers().await {
        let addr = server.addr;
        let engine = server.engine;
        let author = login(addr, "author").await;
        let (status, draft) = author
            .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_i64().unwrap();
        let mut revision = draft["revision"].as_i64().unwrap();
        for (name, source) in hostile_sources() {
            let (status, body) = author
                .send(
                    "PUT",
                    &format!("/api/drafts/{id}"),
                    Some(json!({"source": source, "revision": revision})),
                )
                .await;
            assert!(
                status == StatusCode::OK
                    || status == StatusCode::UNPROCESSABLE_ENTITY
                    || status == StatusCode::PAYLOAD_TOO_LARGE,
                "{engine:?} {name}: save answered {status}: {body}"
            );
            if status != StatusCode::OK {
                assert!(body["message"].is_string(), "{name}: {body}");
                continue;
            }
            revision = body["revision"].as_i64().unwrap();
            let (status, body) = author
                .send("POST", &format!("/api/drafts/{id}/publish"), None)
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine:?} {name}: publish must refuse: {body}"
            );
            assert!(body["message"].is_string(), "{name}: {body}");
        }
        // Invalid UTF-8 and broken JSON bodies: 4xx with a JSON error.
        let cookie = session_cookie(addr, "author").await;
        for body in [
            b"{\"source\": \"\xff\xfe\", \"revision\": 1}".to_vec(),
            b"{\"source\": ".to_vec(),
            b"\0\0\0".to_vec(),
        ] {
            let (status, _, reply) = raw(
                addr,
                "PUT",
                &format!("/api/drafts/{id}"),
                &[("content-type", "application/json"), ("cookie", &cookie)],
                body,
            )
            .await;
            assert!(
                status.is_client_error(),
                "{engine:?}: {status} {}",
                String::from_utf8_lossy(&reply)
            );
        }
        // NUL through the server function (form-encoded) and in sign-in names: a clear 4xx-class
        // refusal, never a storage error (PostgreSQL cannot store NUL in text).
        let (status, _, reply) = raw(
            addr,
            "POST",
            <app::api::drafts::SaveDraft as leptos::server_fn::ServerFn>::PATH,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
            ],
            format!("draft_id={id}&source=a%00b&revision={revision}").into_bytes(),
        )
        .await;
        let reply = String::from_utf8_lossy(&reply);
        assert!(
            !status.is_success() && reply.contains("NUL") && !reply.contains("Unavailable"),
            "{engine:?}: server fn save with NUL: {status} {reply}"
        );
        // NUL in a server function's other arguments (a pack id): 422, not a storage error.
        let (status, _, reply) = raw(
            addr,
            "POST",
            <app::api::drafts::CreateDraft as leptos::server_fn::ServerFn>::PATH,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &cookie),
            ],
            b"pack_id=a%00b".to_vec(),
        )
        .await;
        let reply = String::from_utf8_lossy(&reply);
        assert!(
            status.is_client_error() && !reply.contains("Unavailable"),
            "{engine:?}: server fn create_draft with NUL: {status} {reply}"
        );
        let (status, body) = crate::common::Client::new(addr)
            .send(
                "POST",
                "/api/session",
                Some(json!({"username": "auth\u{0}or", "password": "x\u{0}"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{engine:?}: {body}"
        );
        // Path traversal in pack names over HTTP: 4xx, nothing read from disk.
        for pack in ["..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "a%00b"] {
            let (status, body) = author
                .send("GET", &format!("/api/packs/{pack}/versions"), None)
                .await;
            assert!(
                status.is_client_error() || (status == StatusCode::OK && body == json!([])),
                "{engine:?} {pack}: {status} {body}"
            );
            assert!(!body.to_string().contains("root:"));
            let (status, body) = author
                .send("POST", &format!("/api/packs/{pack}/drafts"), None)
                .await;
            assert!(
                status.is_client_error(),
                "{engine:?} {pack}: {status} {body}"
            );
        }
        let (status, body) = crate::common::Client::new(addr)
            .decide(
                &server.token,
                "?pack=a%00b",
                json!({"action_type": "read_file", "target": "x"}),
            )
            .await;
        assert!(status.is_client_error(), "{engine:?}: {status} {body}");
        // The server still answers.
        let (status, _) = author.send("GET", "/api/packs", None).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}");
    }
}

/// A fresh session cookie (`name=value`) for a demo user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_in_policy_text_is_escaped_in_the_page() {
    for server in crate::common::servers().await {
        let addr = server.addr;
        let engine = server.engine;
        let author = login(addr, "author").await;
        let (_, draft) = author
            .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
            .await;
        let id = draft["id"].as_i64().unwrap();
        let source = format!(
            "# {SCRIPT}\n{}",
            draft["source"].as_str().unwrap().replacen(
                "version: 0.1.0",
                &format!("version: 0.1.0\n  description: \"{SCRIPT}\""),
                1
            )
        );
        let (status, body) = author
            .send(
                "PUT",
                &format!("/api/drafts/{id}"),
                Some(json!({"source": source, "revision": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, page) = author.send_raw("GET", &format!("/drafts/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}");
        let page = String::from_utf8_lossy(&page);
        assert!(
            page.contains("alert(") || page.contains("alert&#x28;"),
            "{engine:?}: the draft text is in the page"
        );
        assert!(
            !page.contains(SCRIPT),
            "{engine:?}: the policy's <script> must be escaped in the SSR HTML"
        );
    }
}

/// Sends a body of `total` bytes in 64 KiB chunks without holding it in memory; returns the
/// status line the server answered with (the server may answer before the upload ends).
async fn stream_body(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    total: usize,
    chunked: bool,
) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {total}")
    };
    // Server functions take form-encoded arguments; the REST API takes JSON.
    let content_type = if path.starts_with("/api/")
        && !path.starts_with("/api/session")
        && !path.starts_with("/api/drafts")
    {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Type: {content_type}\r\n{framing}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let read = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        let mut got = Vec::new();
        while !got.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < total && !read.is_finished() {
        let n = chunk.len().min(total - sent);
        let ok = if chunked {
            let mut framed = format!("{n:x}\r\n").into_bytes();
            framed.extend_from_slice(&chunk[..n]);
            framed.extend_from_slice(b"\r\n");
            writer.write_all(&framed).await.is_ok()
        } else {
            writer.write_all(&chunk[..n]).await.is_ok()
        };
        if !ok {
            break;
        }
        sent += n;
    }
    if chunked && sent >= total {
        let _ = writer.write_all(b"0\r\n\r\n").await;
    }
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the server answers")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabyte_bodies_get_413_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let process = CavraProcess::start(dir.path(), &[], "warn");
    let addr = process.addr;
    let author = login(addr, "author").await;
    let (status, _) = author.send("GET", "/api/packs", None).await;
    assert_eq!(status, StatusCode::OK);
    let before = process.peak_rss_kb();
    const HUNDRED_MB: usize = 100 * 1024 * 1024;
    let cookie = session_cookie(addr, "author").await;
    let (status, draft) = author
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_path = format!("/api/drafts/{}", draft["id"]);
    let save_fn = <app::api::drafts::SaveDraft as leptos::server_fn::ServerFn>::PATH;
    for (method, path, chunked) in [
        ("POST", "/v1/decisions", false),
        ("POST", "/v1/decisions", true),
        ("POST", "/api/session", true),
        ("PUT", draft_path.as_str(), false),
        ("PUT", draft_path.as_str(), true),
        ("POST", save_fn, false),
        ("POST", save_fn, true),
    ] {
        // The runtime token, so the body is read (without one the request is refused first).
        let headers = format!(
            "Cookie: {cookie}\r\nAuthorization: Bearer {}\r\n",
            process.demo_token()
        );
        let line = stream_body(addr, method, path, &headers, HUNDRED_MB, chunked).await;
        // Declared or streamed (chunked), every oversized body is refused with 413.
        assert!(line.contains(" 413 "), "{path} chunked={chunked}: {line}");
        // Other requests are still served.
        let (status, _) = author.send("GET", "/api/packs", None).await;
        assert_eq!(status, StatusCode::OK);
    }
    if let (Some(before), Some(after)) = (before, process.peak_rss_kb()) {
        eprintln!("cavra serve VmHWM: {before} kB before, {after} kB after the 100 MB bodies");
        assert!(
            after < before + 64 * 1024,
            "peak RSS grew by {} kB",
            after - before
        );
    }
}
