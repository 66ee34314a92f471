//! Sign-in throttling and the password-hash cap over real HTTP, on SQLite and PostgreSQL
//! (issue 15, "Sign-in"):
//!
//! - failures elsewhere delay the real owner by at most the account's cap, never lock them out;
//! - one client guessing many names is throttled per address, over REST and server functions;
//! - `X-Forwarded-For` from an untrusted peer is ignored, from a trusted proxy honoured;
//! - a refused attempt computes no hash;
//! - the failure table stays bounded under a flood of distinct names, and old rows are pruned;
//! - concurrent hashes are capped: the excess gets 503 with `Retry-After` quickly, no row, no hash.
//!
//! Distinct clients are distinct loopback source addresses (`127.0.0.N`), so the server sees
//! them as different TCP peers.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

use app::backend::Backend;
use server::config::ServiceConfig;

use crate::common::servers_with;

/// One request from the loopback address `source`: status, headers, body as JSON (or text).
async fn from(
    source: &str,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Value) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(source.parse().unwrap(), 0))
        .unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, value)
}

/// A REST sign-in from `source`, with extra headers.
async fn rest_login(
    source: &str,
    addr: SocketAddr,
    user: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let body = json!({"username": user, "password": password});
    from(
        source,
        addr,
        "/api/session",
        &all,
        body.to_string().into_bytes(),
    )
    .await
}

/// A server-function sign-in from `source`.
async fn server_fn_login(
    source: &str,
    addr: SocketAddr,
    user: &str,
    password: &str,
) -> (StatusCode, HeaderMap, Value) {
    let body = format!("username={user}&password={password}");
    from(
        source,
        addr,
        app::api::session::Login::PATH,
        &[("content-type", "application/x-www-form-urlencoded")],
        body.into_bytes(),
    )
    .await
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Stored failed sign-ins.
async fn failure_rows(service: &server::service::Service) -> i64 {
    let mut conn = service.db().pool().acquire().await.unwrap();
    server::store::users::failure_rows(&mut conn).await.unwrap()
}

fn short_account_cap(config: &mut ServiceConfig) {
    config.signin.account_max_delay_secs = 2;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_elsewhere_slows_the_owner_but_never_locks_them_out() {
    for server in servers_with(short_account_cap).await {
        let addr = server.addr;
        let engine = server.engine;
        // The attacker hammers the owner's account for 3 s from one address.
        let (mut wrong, mut refused) = (0, 0);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            let (status, headers, body) =
                rest_login("127.0.0.2", addr, "owner", "not-the-password", &[]).await;
            match status {
                StatusCode::UNAUTHORIZED => wrong += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    refused += 1;
                    assert_eq!(body["code"], "rate_limited", "{engine:?}");
                    assert!(retry_after(&headers) <= 2, "{engine:?}: the account's cap");
                }
                other => panic!("{engine:?}: {other} {body}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(wrong >= 3, "{engine:?}: the free failures were checked");
        assert!(refused > wrong, "{engine:?}: most attempts were refused");
        // The owner, elsewhere, gets in within the account's cap (2 s), with the right password.
        let start = Instant::now();
        let mut waits = 0;
        loop {
            let (status, headers, body) =
                rest_login("127.0.0.3", addr, "owner", "owner-demo-pass", &[]).await;
            if status == StatusCode::OK {
                break;
            }
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{engine:?}: {body}");
            let wait = retry_after(&headers);
            assert!(wait <= 2, "{engine:?}: Retry-After {wait}");
            waits += 1;
            assert!(
                waits <= 1,
                "{engine:?}: one wait is enough when nobody else tries"
            );
            tokio::time::sleep(Duration::from_millis(wait * 1000 + 50)).await;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "{engine:?}");
        // Signing in cleared the account's failures: the next attempt is free again.
        let (status, _, _) = rest_login("127.0.0.3", addr, "owner", "owner-demo-pass", &[]).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}");
    }
}

/// A first delay long enough that no refused attempt of a test can outlast it.
fn long_first_delay(config: &mut ServiceConfig) {
    config.signin.first_delay_ms = 20_000;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_guessing_many_names_is_throttled_on_both_entry_points() {
    for server in servers_with(long_first_delay).await {
        let addr = server.addr;
        let engine = server.engine;
        let mut statuses = Vec::new();
        for n in 0..40 {
            let (status, headers, body) = rest_login(
                "127.0.0.4",
                addr,
                &format!("guess{n}"),
                "password-guess",
                &[],
            )
            .await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(&headers);
                assert!((19..=20).contains(&wait), "{engine:?}: Retry-After {wait}");
                assert!(
                    body["message"]
                        .as_str()
                        .unwrap()
                        .contains("from this address"),
                    "{engine:?}: {body}"
                );
            }
            statuses.push(status);
        }
        let checked = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        assert_eq!(checked, 10, "{engine:?}: ten free failures per client");
        assert!(
            statuses[10..]
                .iter()
                .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
            "{engine:?}: {statuses:?}"
        );
        // The throttled client is refused even with a right password, on the server function
        // too; another client is not affected.
        let (status, headers, _) =
            server_fn_login("127.0.0.4", addr, "author", "author-demo-pass").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{engine:?}");
        assert!(headers.get(header::SET_COOKIE).is_none());
        let (status, _, _) = server_fn_login("127.0.0.5", addr, "author", "author-demo-pass").await;
        assert!(status.is_success(), "{engine:?}: {status}");
        // Server-function failures count against the client as REST ones do.
        for n in 0..10 {
            let (status, _, _) =
                server_fn_login("127.0.0.6", addr, &format!("fn-guess{n}"), "password-guess").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine:?}");
        }
        let (status, _, _) = rest_login("127.0.0.6", addr, "author", "author-demo-pass", &[]).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{engine:?}");
    }
}

fn trust_127_0_0_9(config: &mut ServiceConfig) {
    config.trusted_proxies = vec!["127.0.0.9/32".parse().unwrap()];
    long_first_delay(config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_ignored_from_untrusted_peers_and_honoured_from_a_trusted_proxy() {
    for server in servers_with(trust_127_0_0_9).await {
        let addr = server.addr;
        let engine = server.engine;
        // An untrusted peer claiming a new address each time is still one client.
        let mut statuses = Vec::new();
        for n in 0..12 {
            let spoof = format!("198.51.100.{n}");
            let headers = [("x-forwarded-for", spoof.as_str())];
            let user = format!("spoof{n}");
            let (status, _, _) = rest_login("127.0.0.7", addr, &user, "pw-guess", &headers).await;
            statuses.push(status);
        }
        assert_eq!(
            statuses[10..],
            [StatusCode::TOO_MANY_REQUESTS; 2],
            "{engine:?}: spoofed X-Forwarded-For ignored: {statuses:?}"
        );
        // Through the trusted proxy, each forwarded client has its own budget ...
        for n in 0..15 {
            let client = format!("203.0.113.{n}");
            let headers = [("x-forwarded-for", client.as_str())];
            let user = format!("proxied{n}");
            let (status, _, _) = rest_login("127.0.0.9", addr, &user, "pw-guess", &headers).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine:?}: client {n}");
        }
        // ... and one forwarded client is throttled, whatever it prepends to the header.
        let mut statuses = Vec::new();
        for n in 0..12 {
            let chain = format!("10.9.9.{n}, 192.0.2.50");
            let headers = [("x-forwarded-for", chain.as_str())];
            let user = format!("chain{n}");
            let (status, _, _) = rest_login("127.0.0.9", addr, &user, "pw-guess", &headers).await;
            statuses.push(status);
        }
        assert_eq!(
            statuses[10..],
            [StatusCode::TOO_MANY_REQUESTS; 2],
            "{engine:?}: {statuses:?}"
        );
        // The proxy's other clients are unaffected (the server function reads the same address).
        let headers = [("x-forwarded-for", "192.0.2.51")];
        let (status, _, _) =
            rest_login("127.0.0.9", addr, "author", "author-demo-pass", &headers).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}");
        let mut conn = server.service.db().pool().acquire().await.unwrap();
        let clients: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT client FROM login_failures ORDER BY client")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert!(clients.contains(&"192.0.2.50".to_owned()), "{clients:?}");
        assert!(clients.contains(&"127.0.0.7".to_owned()), "{clients:?}");
        assert!(
            !clients.iter().any(|c| c.starts_with("198.51.100.")),
            "{engine:?}: a spoofed address was stored: {clients:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attempts_compute_no_hash() {
    for server in servers_with(long_first_delay).await {
        let addr = server.addr;
        let engine = server.engine;
        let before = server.service.password_hashes_started();
        for _ in 0..3 {
            let (status, _, _) = rest_login("127.0.0.10", addr, "author", "wrong-pw", &[]).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine:?}");
        }
        let after_failures = server.service.password_hashes_started();
        assert_eq!(
            after_failures - before,
            3,
            "{engine:?}: one hash per checked attempt"
        );
        for _ in 0..20 {
            let (status, _, _) =
                rest_login("127.0.0.11", addr, "author", "author-demo-pass", &[]).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{engine:?}");
        }
        assert_eq!(
            server.service.password_hashes_started(),
            after_failures,
            "{engine:?}: refused attempts hashed"
        );
    }
}

fn short_window(config: &mut ServiceConfig) {
    config.signin.client_free_failures = 5;
    config.signin.client_max_delay_secs = 2;
    config.signin.account_max_delay_secs = 1;
    config.signin.window_secs = 2;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failure_table_stays_bounded_under_a_flood_of_names() {
    for server in servers_with(short_window).await {
        let service = &server.service;
        let engine = server.engine;
        // 10,000 distinct names from 20 addresses, through the service as every entry point
        // calls it.
        let addresses = 20;
        let start = Instant::now();
        for a in 0..addresses {
            let ip: IpAddr = format!("192.0.2.{a}").parse().unwrap();
            for n in 0..10_000 / addresses {
                let name = format!("flood-{a}-{n}");
                let _ = service.login(&name, "password-guess", Some(ip)).await;
            }
        }
        let rows = failure_rows(service).await;
        // Each address gets its 5 free failures; the flood per address ends before a second
        // delayed attempt could pass, so the rows are what the throttle let through.
        assert!(
            rows <= addresses * 7,
            "{engine:?}: {rows} rows after {:?}",
            start.elapsed()
        );
        assert!(rows >= 5, "{engine:?}: failures are recorded");
        // Failures older than the window are deleted by the next attempt.
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let ip: IpAddr = "192.0.2.200".parse().unwrap();
        let _ = service.login("late", "password-guess", Some(ip)).await;
        assert_eq!(
            failure_rows(service).await,
            1,
            "{engine:?}: old rows pruned"
        );
    }
}

fn one_hash_slot(config: &mut ServiceConfig) {
    config.signin.max_password_hashes = 1;
    config.signin.hash_wait_ms = 100;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_hashes_are_capped_and_the_excess_gets_503_quickly() {
    for server in servers_with(one_hash_slot).await {
        let addr = server.addr;
        let engine = server.engine;
        let hashes_before = server.service.password_hashes_started();
        let rows_before = failure_rows(&server.service).await;
        // 24 sign-ins at once, each from its own address (so none is throttled).
        let storm: Vec<_> = (0..24)
            .map(|n| {
                tokio::spawn(async move {
                    let source = format!("127.0.1.{n}");
                    let start = Instant::now();
                    let user = format!("storm{n}");
                    let answer = rest_login(&source, addr, &user, "pw-guess", &[]).await;
                    (answer, start.elapsed())
                })
            })
            .collect();
        let (mut checked, mut busy) = (0u64, 0u64);
        for task in storm {
            let ((status, headers, body), took) = task.await.unwrap();
            match status {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    busy += 1;
                    assert_eq!(body["code"], "busy", "{engine:?}: {body}");
                    assert_eq!(retry_after(&headers), 1, "{engine:?}");
                    assert!(
                        took < Duration::from_secs(2),
                        "{engine:?}: a 503 took {took:?}"
                    );
                }
                other => panic!("{engine:?}: {other} {body}"),
            }
        }
        assert!(
            busy > 0,
            "{engine:?}: with one slot some sign-ins are turned away"
        );
        assert!(checked > 0, "{engine:?}");
        // Only the checked attempts hashed and left a failure row.
        let hashes = server.service.password_hashes_started() - hashes_before;
        assert_eq!(hashes, checked, "{engine:?}");
        let rows = failure_rows(&server.service).await - rows_before;
        assert_eq!(rows, i64::try_from(checked).unwrap(), "{engine:?}");
        // After the storm a valid sign-in succeeds.
        let (status, _, body) =
            rest_login("127.0.2.1", addr, "author", "author-demo-pass", &[]).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {body}");
    }
}
