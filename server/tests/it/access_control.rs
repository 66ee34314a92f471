//! Access control over real HTTP, on SQLite and PostgreSQL (issue 9):
//!
//! - every REST route of `server::api::ROUTES` (the list the OpenAPI document is built from) is
//!   classified here; an unclassified route fails the test, so a new route cannot be missed;
//! - no session → 401, wrong role → 403, cross-origin mutation → 403 (REST and every mutating
//!   Leptos server function);
//! - an author cannot approve their own version; an approval replayed onto another digest is
//!   refused;
//! - session cookie flags (HttpOnly, SameSite=Strict, Secure when not on loopback);
//! - login rate limiting (429 with Retry-After);
//! - passwords never appear in the server's logs (a real `cavra serve` at `RUST_LOG=trace`).

use std::net::SocketAddr;

use axum::http::{header, StatusCode};
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

use crate::common::extra::{login, raw, session_cookie, CavraProcess, PACK};
use crate::common::{Client, TestServer};
use server::api::ROUTES;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No session needed (the decision endpoint is cookie-less by design; sign-in/out; public
    /// documents).
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Author or admin.
    Authors,
    /// Approver or admin.
    Approvers,
    /// Admin only.
    Admin,
    /// A runtime token (`Authorization: Bearer`); a session is no substitute.
    Runtime,
}

/// The access rule of every route. Panics on a route it does not know.
fn access(method: &str, path: &str) -> Access {
    match (method, path) {
        ("post", "/v1/decisions") => Access::Runtime,
        ("get", "/api/openapi.json")
        | ("post", "/api/session")
        | ("delete", "/api/session")
        | ("get", "/api/evidence/public-key") => Access::Public,
        ("post", "/api/users")
        | ("get", "/api/tokens")
        | ("post", "/api/tokens")
        | ("delete", "/api/tokens/{id}")
        | ("put", "/api/packs/{pack}/shadow-rule") => Access::Admin,
        ("post", "/api/approvals/{id}/signoffs") | ("post", "/api/signoffs/{id}/withdraw") => {
            Access::Approvers
        }
        // Acknowledging divergences waives a gate criterion: reviewers only (and never a
        // contributor of the candidate, see governance_attacks.rs).
        ("post", "/api/packs/{pack}/shadow/acknowledge") => Access::Approvers,
        ("put", "/api/packs/{pack}/approval-rule") | ("post", "/api/packs/{pack}/break-glass") => {
            Access::Admin
        }
        ("post", "/api/packs/{pack}/drafts")
        | ("put", "/api/drafts/{id}")
        | ("put", "/api/drafts/{id}/coauthors")
        | ("post", "/api/drafts/{id}/publish")
        | ("post", "/api/packs/{pack}/approvals")
        | ("post", "/api/packs/{pack}/shadow")
        | ("delete", "/api/packs/{pack}/shadow")
        | ("post", "/api/packs/{pack}/promote")
        | ("post", "/api/packs/{pack}/rollback") => Access::Authors,
        ("get", _) => Access::AnyUser,
        _ => panic!("route {method} {path} is not classified in access_control.rs: add it"),
    }
}

fn concrete(path: &str, digest: &str) -> String {
    path.replace("{pack}", PACK)
        .replace("{digest}", digest)
        .replace("{id}", "1")
}

/// A well-formed body for a mutating route, so the role check (not body parsing) answers.
fn valid_body(method: &str, path: &str, digest: &str) -> Value {
    match (method, path) {
        ("post", "/api/users") => {
            json!({"username": "mallory", "password": "mallory-long-pass", "role": "admin"})
        }
        ("put", "/api/drafts/{id}") => json!({"source": "metadata: {}", "revision": 1}),
        ("put", "/api/drafts/{id}/coauthors") => json!({"coauthors": []}),
        ("post", "/api/approvals/{id}/signoffs") => {
            json!({"group": "Platform Security", "digest": digest, "decision": "approve"})
        }
        ("post", "/api/session") => json!({"username": "nobody", "password": "x"}),
        ("put", "/api/packs/{pack}/approval-rule") => json!({
            "promotion": [{"group": "Platform Security", "quorum": 1}],
            "rollback": [{"group": "Platform Security", "quorum": 1}],
            "ttl_hours": 24
        }),
        ("post", "/api/packs/{pack}/break-glass") => {
            json!({"digest": digest, "action": "promote", "reason": "access control probe"})
        }
        ("post", "/api/tokens") => json!({"name": "access-probe"}),
        ("put", "/api/packs/{pack}/shadow-rule") => {
            json!({"min_observations": 5, "min_runtimes": 2, "min_observed_secs": 60})
        }
        _ => json!({"digest": digest, "reason": "test"}),
    }
}

fn mutating(method: &str) -> bool {
    !matches!(method, "get" | "head" | "options")
}

async fn enforced_digest(client: &Client) -> String {
    let (status, packs) = client.send("GET", "/api/packs", None).await;
    assert_eq!(status, StatusCode::OK, "{packs}");
    packs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == PACK)
        .unwrap()["enforced_digest"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_anonymous_wrong_role_and_cross_origin() {
    for server in crate::common::servers().await {
        routes_on(&server).await;
    }
}

async fn routes_on(server: &TestServer) {
    let engine = server.engine;
    let addr = server.addr;
    let anonymous = Client::new(addr);
    let author = login(addr, "author").await;
    let security = login(addr, "security").await;
    let admin = login(addr, "admin").await;
    let digest = enforced_digest(&author).await;
    // A real draft 1 and approval request 1, so role checks are reached on real objects.
    let (status, draft) = author
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");

    for (method, path, _) in ROUTES {
        let rule = access(method, path);
        let uri = concrete(path, &digest);
        let verb = method.to_uppercase();
        let body = mutating(method).then(|| valid_body(method, path, &digest));
        let what = format!("{engine:?} {verb} {uri}");

        if rule != Access::Public {
            let (status, error) = anonymous.send(&verb, &uri, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {error}");
            assert_eq!(error["code"], "unauthenticated", "{what}");
        }
        let wrong: &[&Client] = match rule {
            Access::Authors => &[&security],
            Access::Approvers => &[&author],
            Access::Admin => &[&author, &security],
            Access::Public | Access::AnyUser => &[],
            // Every role: a signed-in session is not a runtime credential.
            Access::Runtime => &[&author, &security, &admin],
        };
        if rule == Access::Runtime {
            for client in wrong {
                let (status, error) = client.send(&verb, &uri, body.clone()).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {error}");
            }
            continue;
        }
        for client in wrong {
            let (status, error) = client.send(&verb, &uri, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {error}");
            assert_eq!(error["code"], "forbidden", "{what}");
        }
        if mutating(method) && *path != "/v1/decisions" {
            for headers in [
                &[("origin", "http://evil.example")][..],
                &[("origin", "null")][..],
                &[("sec-fetch-site", "cross-site")][..],
                // A look-alike host: same host name, other port.
                &[("origin", "http://127.0.0.1:1")][..],
            ] {
                let (status, error) = admin.send_with(&verb, &uri, body.clone(), headers).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{what} {headers:?}: {error}");
            }
        }
    }
    // The same-origin request still works (the check is not a blanket refusal).
    let (status, body) = author
        .send_with(
            "POST",
            &format!("/api/packs/{PACK}/drafts"),
            None,
            &[("origin", &format!("http://{addr}"))],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{engine:?}: {body}");
}

/// A server function call: the form-encoded body Leptos' default `PostUrl` codec expects.
async fn server_fn(
    addr: SocketAddr,
    path: &str,
    form: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> (StatusCode, String) {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    if let Some(origin) = origin {
        headers.push(("origin", origin));
    }
    let (status, _, body) = raw(addr, "POST", path, &headers, form.as_bytes().to_vec()).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutating_server_functions_refuse_anonymous_wrong_role_and_cross_origin() {
    use app::api::{drafts, governance, session};
    for server in crate::common::servers().await {
        let addr = server.addr;
        let engine = server.engine;
        let author = session_cookie(addr, "author").await;
        let security = session_cookie(addr, "security").await;
        let admin = session_cookie(addr, "admin").await;
        let digest = enforced_digest(&login(addr, "author").await).await;
        // (path, form, who has the wrong role)
        let d = &digest;
        let calls: Vec<(&str, String, Option<&str>)> = vec![
            (
                drafts::CreateDraft::PATH,
                format!("pack_id={PACK}"),
                Some(&security),
            ),
            (
                drafts::SaveDraft::PATH,
                "draft_id=1&source=x&revision=1".into(),
                Some(&security),
            ),
            (
                drafts::PublishDraft::PATH,
                "draft_id=1".into(),
                Some(&security),
            ),
            (
                governance::RequestApproval::PATH,
                format!("pack_id={PACK}&digest={d}&kind=promotion"),
                Some(&security),
            ),
            (
                governance::SignOff::PATH,
                format!(
                    "request_id=1&group=Platform+Security&digest={d}&decision=approve&comment=x"
                ),
                Some(&author),
            ),
            (
                governance::StartShadow::PATH,
                format!("pack_id={PACK}&digest={d}"),
                Some(&security),
            ),
            (
                governance::StopShadow::PATH,
                format!("pack_id={PACK}"),
                Some(&security),
            ),
            (
                governance::Acknowledge::PATH,
                format!("pack_id={PACK}"),
                Some(&author),
            ),
            (
                governance::BreakGlass::PATH,
                format!("pack_id={PACK}&digest={d}&action=promote&reason=access+control+probe"),
                Some(&author),
            ),
            (
                governance::WithdrawSignoff::PATH,
                "signoff_id=1&comment=x".into(),
                Some(&author),
            ),
            (
                governance::SetApprovalRule::PATH,
                format!(
                    "pack_id={PACK}&rule[promotion][0][group]=Platform+Security&rule[promotion][0][quorum]=1\
                     &rule[rollback][0][group]=Platform+Security&rule[rollback][0][quorum]=1&rule[ttl_hours]=24"
                ),
                Some(&security),
            ),
            (
                governance::Promote::PATH,
                format!("pack_id={PACK}&digest={d}"),
                Some(&security),
            ),
            (
                governance::Rollback::PATH,
                format!("pack_id={PACK}&digest={d}&reason=x"),
                Some(&security),
            ),
        ];
        for (path, form, wrong) in &calls {
            let what = format!("{engine:?} {path}");
            let (status, body) = server_fn(addr, path, form, None, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: anonymous {body}");
            assert!(body.contains("Unauthenticated"), "{what}: {body}");
            if let Some(cookie) = wrong {
                let (status, body) = server_fn(addr, path, form, Some(cookie), None).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}: wrong role {body}");
                assert!(body.contains("Forbidden"), "{what}: {body}");
            }
            let (status, body) =
                server_fn(addr, path, form, Some(&admin), Some("http://evil.example")).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}: cross-origin {body}");
        }
        // Sign-in and sign-out through server functions are origin-checked too (login CSRF).
        for path in [session::Login::PATH, session::Logout::PATH] {
            let (status, body) = server_fn(
                addr,
                path,
                "username=author&password=author-demo-pass",
                None,
                Some("http://evil.example"),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?} {path}: {body}");
        }
    }
}

fn signoff(group: &str, digest: &str) -> Value {
    json!({"group": group, "digest": digest, "decision": "approve", "comment": "ok"})
}

/// Publishes a new version of the pack as `client`; returns its digest.
async fn publish(client: &Client, version: &str) -> String {
    let (status, draft) = client
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    let source = draft["source"]
        .as_str()
        .unwrap()
        .replace("version: 0.1.0", &format!("version: {version}"));
    let (status, saved) = client
        .send(
            "PUT",
            &format!("/api/drafts/{id}"),
            Some(json!({"source": source, "revision": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, published) = client
        .send("POST", &format!("/api/drafts/{id}/publish"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    published["digest"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separation_of_duties_and_digest_binding() {
    for server in crate::common::servers().await {
        let addr = server.addr;
        let engine = server.engine;
        let author = login(addr, "author").await;
        let security = login(addr, "security").await;
        let admin = login(addr, "admin").await;
        let enforced = enforced_digest(&author).await;

        // An admin (member of both approver groups) cannot approve a version they authored.
        let own = publish(&admin, "0.1.1").await;
        let (status, request) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/approvals"),
                Some(json!({"digest": own})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        let path = format!("/api/approvals/{}/signoffs", request["id"]);
        for group in ["Platform Security", "Repository Owners"] {
            let (status, body) = admin.send("POST", &path, Some(signoff(group, &own))).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
            assert!(body["message"].as_str().unwrap().contains("contributed"));
        }
        // The requester cannot sign off their own request either.
        let other = publish(&author, "0.1.2").await;
        let (status, request) = admin
            .send(
                "POST",
                &format!("/api/packs/{PACK}/approvals"),
                Some(json!({"digest": other})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        let path = format!("/api/approvals/{}/signoffs", request["id"]);
        let (status, body) = admin
            .send("POST", &path, Some(signoff("Platform Security", &other)))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");

        // An approval replayed onto another digest (the enforced one, or the admin's) is refused.
        for replayed in [&enforced, &own] {
            let (status, body) = security
                .send("POST", &path, Some(signoff("Platform Security", replayed)))
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine:?}: {body}"
            );
            assert!(body["message"].as_str().unwrap().contains("one digest"));
        }
        // A genuine sign-off for the right digest counts only for that digest.
        let (status, body) = security
            .send("POST", &path, Some(signoff("Platform Security", &other)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{engine:?}: {body}");
        let (_, gate_other) = author
            .send("GET", &format!("/api/packs/{PACK}/gate/{own}"), None)
            .await;
        let missing = gate_other.to_string();
        assert!(
            missing.contains("Platform Security"),
            "the sign-off for {other} must not count for {own}: {gate_other}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_flags_and_login_rate_limit() {
    for server in crate::common::servers().await {
        let addr = server.addr;
        let engine = server.engine;
        // REST sign-in on loopback (test config: secure_cookies = false).
        let (status, headers, _) = raw(
            addr,
            "POST",
            "/api/session",
            &[("content-type", "application/json")],
            json!({"username": "author", "password": "author-demo-pass"})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let cookie = headers[header::SET_COOKIE].to_str().unwrap();
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
        assert!(cookie.contains("; SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("; Path=/"), "{cookie}");
        // Server-function sign-in through an HTTPS origin (allowed by the proxy header) is Secure.
        let (status, headers, body) = raw(
            addr,
            "POST",
            app::api::session::Login::PATH,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-forwarded-proto", "https"),
            ],
            b"username=author&password=author-demo-pass".to_vec(),
        )
        .await;
        assert!(
            status.is_success(),
            "{status} {}",
            String::from_utf8_lossy(&body)
        );
        let cookie = headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Secure"),
            "{cookie}"
        );

        // Throttle: three free failures per account, then 429 with Retry-After (1 s after the
        // third, doubling per further failure, at most 30 s) even for the right password.
        let user = "owner";
        for _ in 0..3 {
            let (status, _, _) = raw(
                addr,
                "POST",
                "/api/session",
                &[("content-type", "application/json")],
                json!({"username": user, "password": "wrong"})
                    .to_string()
                    .into_bytes(),
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine:?}");
        }
        let (status, headers, body) = raw(
            addr,
            "POST",
            "/api/session",
            &[("content-type", "application/json")],
            json!({"username": user, "password": "owner-demo-pass"})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{engine:?}");
        assert!(headers.get(header::SET_COOKIE).is_none());
        let retry: u64 = headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry), "Retry-After {retry}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "rate_limited");
        // The server-function sign-in is limited the same way, with the same status and header.
        let (status, headers, _) = raw(
            addr,
            "POST",
            app::api::session::Login::PATH,
            &[("content-type", "application/x-www-form-urlencoded")],
            b"username=owner&password=owner-demo-pass".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{engine:?}");
        assert!(headers.get(header::RETRY_AFTER).is_some());
        assert!(headers.get(header::SET_COOKIE).is_none());
        // Another user is not affected.
        login(addr, "security").await;
        // A delay, not a lockout: once Retry-After has passed the owner signs in.
        tokio::time::sleep(std::time::Duration::from_millis(retry * 1000 + 100)).await;
        login(addr, user).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookie_when_not_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let database = server::db::Database::connect(&url).await.unwrap();
    let args = server::cli::admin::GovernanceArgs {
        demo: false,
        policies_dir: dir.path().into(),
        shadow_min_seconds: None,
        shadow_min_observations: None,
        shadow_min_runtimes: None,
        shadow_max_unacknowledged: 0,
        token_rate: 1000.0,
        token_burst: 2000.0,
        token_cache_seconds: 5,
        public_url: Vec::new(),
        allowed_origins: Vec::new(),
        rotate_evidence_key: false,
        retention: server::cli::db::RetentionArgs::default(),
        signin: Default::default(),
    };
    let public: SocketAddr = "0.0.0.0:3000".parse().unwrap();
    // Serving beyond loopback needs the public URL (the Host allow-list has nothing else).
    let refused =
        server::cli::admin::build_service(database.clone(), &dir.path().join("d"), public, &args)
            .await
            .unwrap_err()
            .to_string();
    assert!(refused.contains("--public-url"), "{refused}");
    let https = server::cli::admin::GovernanceArgs {
        public_url: vec!["https://cavra.example".parse().unwrap()],
        ..args.clone()
    };
    let service =
        server::cli::admin::build_service(database.clone(), &dir.path().join("d"), public, &https)
            .await
            .unwrap();
    assert!(service.config().secure_cookies);
    // A plain-HTTP public URL gets cookies the browser keeps over HTTP.
    let http = server::cli::admin::GovernanceArgs {
        public_url: vec!["http://10.0.0.5:3000".parse().unwrap()],
        ..args.clone()
    };
    let service =
        server::cli::admin::build_service(database.clone(), &dir.path().join("d"), public, &http)
            .await
            .unwrap();
    assert!(!service.config().secure_cookies);
    let loopback: SocketAddr = "127.0.0.1:3000".parse().unwrap();
    let service =
        server::cli::admin::build_service(database, &dir.path().join("d"), loopback, &args)
            .await
            .unwrap();
    assert!(!service.config().secure_cookies);
    let cookie = server::auth::session_cookie("t", true, 60);
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = CavraProcess::start(dir.path(), &[], "trace");
    let addr = process.addr;
    let admin = login(addr, "admin").await;
    let secret = "Zq7-unique-secret-pw-41983";
    let wrong = "Wr0ng-unique-secret-pw-77211";
    let (status, body) = admin
        .send(
            "POST",
            "/api/users",
            Some(json!({"username": "carol", "password": secret, "role": "author"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for password in [wrong, secret] {
        let _ = Client::new(addr)
            .send(
                "POST",
                "/api/session",
                Some(json!({"username": "carol", "password": password})),
            )
            .await;
        let form = format!("username=carol&password={password}");
        let _ = raw(
            addr,
            "POST",
            app::api::session::Login::PATH,
            &[("content-type", "application/x-www-form-urlencoded")],
            form.into_bytes(),
        )
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    process.kill();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = process.output();
    assert!(log.contains("TRACE") || log.contains("DEBUG") || log.contains("INFO"));
    for password in [secret, wrong] {
        assert!(!log.contains(password), "password in the logs:\n{log}");
    }
}
