//! Runtime identities (issue 15): service tokens on `/v1/decisions`, the shadow gate over
//! authenticated runtimes only, input field caps and per-token rate limits — each tried the
//! forbidden way on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};
use sqlx::AnyPool;

use app::backend::BackendError;
use server::db::Database;
use server::service::{tokens, Service};

use crate::cli_common::{cavra_in, run_command};
use crate::common::extra::{login, publish_version, raw, PACK};
use crate::common::{fresh_databases, seeded_service, servers, servers_with, test_config, Client};

fn read_readme() -> Value {
    json!({"action_type": "read_file", "target": "README.md", "requested_operation": "read"})
}

async fn count(pool: &AnyPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn problems(service: &Service) -> Vec<String> {
    service.verify_audit().await.unwrap().problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_admin_made_shown_once_stored_hashed_and_audited() {
    for server in servers().await {
        let engine = server.engine;
        let pool = server.service.db().pool();
        let admin = login(server.addr, "admin").await;
        let author = login(server.addr, "author").await;

        let (status, created) = admin
            .send(
                "POST",
                "/api/tokens",
                Some(json!({"name": "ci-runner-eu", "packs": [PACK]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{engine:?}: {created}");
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with(tokens::SECRET_PREFIX) && secret.len() > 60);
        assert_eq!(created["token"]["packs"], json!([PACK]));
        let id = created["token"]["id"].as_i64().unwrap();

        // Stored hashed: the row holds SHA-256(secret), and no column holds the secret.
        let (hash, packs): (String, String) =
            sqlx::query_as("SELECT token_hash, packs_json FROM runtime_tokens WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(hash, server::evidence::sha256_hex(secret.as_bytes()));
        assert!(!packs.contains(&secret));
        // Shown once: the list never carries it.
        let (status, list) = admin.send("GET", "/api/tokens", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!list.to_string().contains(&secret), "{engine:?}: {list}");
        assert_eq!(list[0]["name"], "ci-runner-eu");

        // Admins only; names validated; packs must exist; one active token per name.
        for (client, body, expected) in [
            (&author, json!({"name": "x"}), StatusCode::FORBIDDEN),
            (
                &admin,
                json!({"name": "has space"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &admin,
                json!({"name": "-x"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &admin,
                json!({"name": "eu", "packs": ["no-such-pack"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &admin,
                json!({"name": "eu", "packs": []}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &admin,
                json!({"name": "ci-runner-eu"}),
                StatusCode::CONFLICT,
            ),
        ] {
            let (status, body) = client.send("POST", "/api/tokens", Some(body)).await;
            assert_eq!(status, expected, "{engine:?}: {body}");
        }
        let (status, _) = author.send("GET", "/api/tokens", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = author
            .send("DELETE", &format!("/api/tokens/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Creation and revocation are audit entries naming the row.
        let (status, revoked) = admin
            .send("DELETE", &format!("/api/tokens/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{revoked}");
        assert_eq!(revoked["revoked_by"], "admin");
        let (status, _) = admin
            .send("DELETE", &format!("/api/tokens/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "revoked once");
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE action LIKE 'token.%' ORDER BY seq",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(
            actions,
            ["token.create", "token.create", "token.revoke"],
            "{engine:?}: the test runtime's token, then this one"
        );
        assert!(problems(&server.service).await.is_empty());
        // The name is free again after revocation.
        let (status, _) = admin
            .send("POST", "/api/tokens", Some(json!({"name": "ci-runner-eu"})))
            .await;
        assert_eq!(status, StatusCode::CREATED);

        // A row re-scoped, un-revoked or inserted by hand fails verification (un-revoking this
        // one would also collide with the name's new active token).
        sqlx::query("UPDATE runtime_tokens SET all_packs = 1 WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        let found = problems(&server.service).await;
        assert!(
            found
                .iter()
                .any(|p| p.contains(&format!("runtime_tokens row {id} differs"))),
            "{engine:?}: {found:?}"
        );
        sqlx::query(
            "INSERT INTO runtime_tokens (name, token_hash, all_packs, packs_json, created_by, \
             created_at) VALUES ('smuggled', 'abcd', 1, '[]', 'admin', 1)",
        )
        .execute(pool)
        .await
        .unwrap();
        let found = problems(&server.service).await;
        assert!(
            found.iter().any(|p| p.contains("has no audit entry")),
            "{engine:?}: {found:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_refuse_anonymous_forged_revoked_and_out_of_scope_tokens() {
    for server in servers().await {
        let engine = server.engine;
        let pool = server.service.db().pool();
        let addr = server.addr;
        let before = count(pool, "decision_log").await;
        let forged = format!("{}{}", tokens::SECRET_PREFIX, "ab".repeat(32));
        let admin_cookie = crate::common::extra::session_cookie(addr, "admin").await;
        let body = read_readme().to_string().into_bytes();
        let forged = format!("Bearer {forged}");
        let basic = format!("Basic {}", server.token);
        for headers in [
            vec![],
            vec![("authorization", "Bearer")],
            vec![("authorization", "Bearer not-a-token")],
            vec![("authorization", forged.as_str())],
            vec![("authorization", basic.as_str())],
            // A signed-in admin is no runtime.
            vec![("cookie", admin_cookie.as_str())],
        ] {
            let mut all = vec![("content-type", "application/json")];
            all.extend(headers.iter().copied());
            let (status, response_headers, reply) =
                raw(addr, "POST", "/v1/decisions", &all, body.clone()).await;
            let reply = String::from_utf8_lossy(&reply);
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{engine:?} {headers:?}: {reply}"
            );
            assert!(reply.contains("\"unauthenticated\""), "{reply}");
            assert!(response_headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"));
        }

        // An anonymous flood adds nothing.
        let flood: Vec<_> = (0..200)
            .map(|_| {
                tokio::spawn(async move {
                    Client::new(addr)
                        .send("POST", "/v1/decisions", Some(read_readme()))
                        .await
                        .0
                })
            })
            .collect();
        for request in flood {
            assert_eq!(request.await.unwrap(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(count(pool, "decision_log").await, before, "{engine:?}");

        // Scope: a token for one pack may not ask about another (by query or by body).
        let scoped = crate::common::extra::runtime_token(
            &server.service,
            "scoped-runner",
            Some(vec![PACK.to_owned()]),
        )
        .await;
        let client = Client::new(addr);
        let (status, reply) = client
            .decide(&scoped, "?pack=other-pack", read_readme())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {reply}");
        assert!(reply["message"].as_str().unwrap().contains("scoped-runner"));
        let mut input = read_readme();
        input["policy_pack"] = json!("other-pack");
        let (status, _) = client.decide(&scoped, "", input).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(count(pool, "decision_log").await, before, "{engine:?}");

        // A valid token is answered and its runtime recorded on the log row.
        let (status, answer) = client.decide(&scoped, "", read_readme()).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {answer}");
        let runtime: String = sqlx::query_scalar("SELECT runtime FROM decision_log WHERE id = $1")
            .bind(answer["decision_id"].as_i64().unwrap())
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(runtime, "scoped-runner");

        // Revoked: refused at once by the server that revoked it.
        let id = tokens::authenticate(&server.service, &scoped)
            .await
            .unwrap()
            .id();
        let (status, _) = login(addr, "admin")
            .await
            .send("DELETE", &format!("/api/tokens/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, reply) = client.decide(&scoped, "", read_readme()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine:?}: {reply}");
        assert_eq!(count(pool, "decision_log").await, before + 1, "{engine:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_honours_revocation_within_the_cache_lifetime() {
    for (dir, url) in fresh_databases("shared.db").await {
        let first = seeded_service(&url, dir.path().join("a")).await;
        let mut config = test_config(dir.path().join("b"));
        config.runtime.token_cache_secs = 1;
        let second = Service::new(Database::connect(&url).await.unwrap(), config).unwrap();

        let made = tokens::create_as(&first, "test", "fleet", None)
            .await
            .unwrap();
        let runtime = tokens::authenticate(&second, &made.secret).await.unwrap();
        assert_eq!(runtime.name(), "fleet");
        tokens::revoke_as(&first, "test", made.token.id)
            .await
            .unwrap();
        assert!(
            tokens::authenticate(&first, &made.secret).await.is_err(),
            "{url}: refused at once where it was revoked"
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            tokens::authenticate(&second, &made.secret).await.err(),
            Some(BackendError::Unauthenticated),
            "{url}: refused by the other replica after its cache lifetime"
        );
        // A token created on one replica works on the other within about a second.
        let fresh = tokens::create_as(&first, "test", "fleet", None)
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            match tokens::authenticate(&second, &fresh.secret).await {
                Ok(_) => break,
                Err(error) if Instant::now() < deadline => {
                    assert_eq!(error, BackendError::Unauthenticated);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("{url}: the new token never reached the replica: {error}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_fields_are_422_and_store_nothing() {
    for server in servers().await {
        let engine = server.engine;
        let pool = server.service.db().pool();
        let client = Client::new(server.addr);
        let before = count(pool, "decision_log").await;
        let big = "x".repeat(4097);
        let nested: Vec<Value> = (0..600).map(|i| json!({"k": i})).collect();
        let long_query = format!("?pack={big}");
        for (field, input, query) in [
            (
                "target",
                json!({"action_type": "read_file", "target": big}),
                "",
            ),
            ("action_type", json!({"action_type": big}), ""),
            (
                "tool",
                json!({"action_type": "mcp_tool_call", "target": "a:b", "tool": big}),
                "",
            ),
            // Not a string: measured as the decision reads it (Python's str()).
            (
                "target",
                json!({"action_type": "read_file", "target": nested}),
                "",
            ),
            (
                "policy_pack",
                json!({"action_type": "read_file", "policy_pack": big}),
                "",
            ),
            ("policy_pack", read_readme(), long_query.as_str()),
        ] {
            let (status, reply) = client.decide(&server.token, query, input).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine:?} {field}: {reply}"
            );
            let message = reply["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("`{field}`")) && message.contains("4096 bytes"),
                "{message}"
            );
        }
        assert_eq!(count(pool, "decision_log").await, before, "{engine:?}");
        // At the cap exactly: answered.
        let at_cap = json!({"action_type": "read_file", "target": "y".repeat(4096)});
        let (status, reply) = client.decide(&server.token, "", at_cap).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {reply}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_token_gets_429_while_another_token_is_served() {
    for server in servers_with(|config| {
        config.runtime.rate_per_sec = 5.0;
        config.runtime.burst = 10.0;
    })
    .await
    {
        let engine = server.engine;
        let pool = server.service.db().pool();
        let before = count(pool, "decision_log").await;
        let flooder = crate::common::extra::runtime_token(&server.service, "flooder", None).await;
        let addr = server.addr;
        let started = Instant::now();
        let flood: Vec<_> = (0..80)
            .map(|_| {
                let flooder = flooder.clone();
                tokio::spawn(async move {
                    let bearer = format!("Bearer {flooder}");
                    let body = read_readme().to_string().into_bytes();
                    let headers = [
                        ("content-type", "application/json"),
                        ("authorization", bearer.as_str()),
                    ];
                    let (status, headers, _) =
                        raw(addr, "POST", "/v1/decisions", &headers, body).await;
                    let retry = headers
                        .get("retry-after")
                        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
                    (status, retry)
                })
            })
            .collect();
        // Meanwhile the other token's decisions are all served.
        let other = Client::new(addr);
        for _ in 0..8 {
            let (status, reply) = other.decide(&server.token, "", read_readme()).await;
            assert_eq!(status, StatusCode::OK, "{engine:?}: {reply}");
        }
        let (mut ok, mut limited) = (0, 0);
        for request in flood {
            match request.await.unwrap() {
                (StatusCode::OK, _) => ok += 1,
                (StatusCode::TOO_MANY_REQUESTS, Some(retry)) => {
                    assert!(retry >= 1, "Retry-After is at least a second");
                    limited += 1;
                }
                other => panic!("{engine:?}: {other:?}"),
            }
        }
        let allowed = 10.0 + 5.0 * started.elapsed().as_secs_f64() + 1.0;
        assert!(
            f64::from(ok) <= allowed,
            "{engine:?}: {ok} answered, at most {allowed} allowed"
        );
        assert!(
            limited >= 80 - allowed as i32,
            "{engine:?}: {limited} limited"
        );
        let flooded: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM decision_log WHERE runtime = 'flooder'")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(flooded, i64::from(ok), "a refused decision stores nothing");
        assert_eq!(
            count(pool, "decision_log").await,
            before + i64::from(ok) + 8,
            "{engine:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shadow_gate_needs_distinct_authenticated_runtimes() {
    for server in servers().await {
        let engine = server.engine;
        let pool = server.service.db().pool();
        let admin = login(server.addr, "admin").await;
        let author = login(server.addr, "author").await;
        let rule_path = format!("/api/packs/{PACK}/shadow-rule");
        let rule = json!({"min_observations": 4, "min_runtimes": 2, "min_observed_secs": 0});
        let (status, _) = author.send("PUT", &rule_path, Some(rule.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
        for bad in [
            json!({"min_observations": 0, "min_runtimes": 1, "min_observed_secs": 0}),
            json!({"min_observations": 1, "min_runtimes": 0, "min_observed_secs": 0}),
            json!({"min_observations": 1, "min_runtimes": 2, "min_observed_secs": 0}),
            json!({"min_observations": 5, "min_runtimes": 1, "min_observed_secs": 99_999_999_999_u64}),
        ] {
            let (status, body) = admin.send("PUT", &rule_path, Some(bad)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        }
        let (status, pack) = admin.send("PUT", &rule_path, Some(rule.clone())).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {pack}");
        assert_eq!(pack["shadow_rule"], rule);

        let candidate = publish_version(&author, "0.9.0").await;
        let (status, run) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/shadow"),
                Some(json!({"digest": candidate})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        let shadow_id = run["id"].as_i64().unwrap();
        // Observations recorded without a runtime (before tokens were required): 50 diverging
        // ones would have blocked promotion and 10 would have met a count; neither counts now.
        for i in 0..60 {
            sqlx::query(
                "INSERT INTO decision_log (pack_id, policy_digest, input_json, decision, rule_id, \
                 severity, at) VALUES ($1, 'x', '{}', 'allow', 'r', 'low', $2)",
            )
            .bind(PACK)
            .bind(i64::from(i))
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO observations (shadow_id, decision_id, pack_id, enforced_digest, \
                 candidate_digest, enforced_decision, enforced_rule_id, candidate_decision, \
                 candidate_rule_id, diverged, flip_kind, at) SELECT $1, MAX(id), $2, 'x', $3, \
                 'allow', 'r', 'block', 'r', $4, 'allow_to_block', $5 FROM decision_log",
            )
            .bind(shadow_id)
            .bind(PACK)
            .bind(&candidate)
            .bind(i64::from(i < 50))
            .bind(i64::from(i))
            .execute(pool)
            .await
            .unwrap();
        }
        let client = Client::new(server.addr);
        let runner_a = crate::common::extra::runtime_token(&server.service, "runner-a", None).await;
        for _ in 0..10 {
            let (status, reply) = client.decide(&runner_a, "", read_readme()).await;
            assert_eq!(status, StatusCode::OK, "{reply}");
        }
        let gate_path = format!("/api/packs/{PACK}/gate/{candidate}");
        let shadow_missing = |gate: &Value| -> Vec<String> {
            gate["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "shadow")
                .unwrap()["missing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned())
                .collect()
        };
        let (_, gate) = author.send("GET", &gate_path, None).await;
        assert_eq!(
            shadow_missing(&gate),
            ["observations from 1 distinct runtime(s) of the required 2 (runner-a: 10)"],
            "{engine:?}: ten observations of one runtime are one runtime; the 50 anonymous \
             divergences do not block"
        );
        let (_, summary) = author
            .send("GET", &format!("/api/packs/{PACK}/shadow"), None)
            .await;
        assert_eq!(summary["observations"], 10, "{summary}");
        assert_eq!(summary["unacknowledged"], 0);
        assert_eq!(summary["unauthenticated"], 60);
        assert_eq!(
            summary["by_runtime"],
            json!([{"runtime": "runner-a", "observations": 10, "divergences": 0, "unacknowledged": 0}])
        );

        // A second runtime meets K; the per-runtime breakdown shows both.
        let runner_b = crate::common::extra::runtime_token(&server.service, "runner-b", None).await;
        let (status, _) = client.decide(&runner_b, "", read_readme()).await;
        assert_eq!(status, StatusCode::OK);
        let (_, gate) = author.send("GET", &gate_path, None).await;
        assert!(shadow_missing(&gate).is_empty(), "{engine:?}: {gate}");
        let (_, summary) = author
            .send("GET", &format!("/api/packs/{PACK}/shadow"), None)
            .await;
        let names: Vec<&str> = summary["by_runtime"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["runtime"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["runner-a", "runner-b"]);

        // T: the traffic must span the rule's time.
        let rule = json!({"min_observations": 4, "min_runtimes": 2, "min_observed_secs": 3600});
        let (status, _) = admin.send("PUT", &rule_path, Some(rule)).await;
        assert_eq!(status, StatusCode::OK);
        let (_, gate) = author.send("GET", &gate_path, None).await;
        let missing = shadow_missing(&gate);
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(
            missing[0].starts_with("authenticated shadow traffic spans")
                && missing[0].ends_with("of the required 3600 s"),
            "{missing:?}"
        );

        // The rule is audited; edited in the database, it fails verification.
        assert!(problems(&server.service).await.is_empty());
        sqlx::query("UPDATE packs SET shadow_rule_json = NULL WHERE id = $1")
            .bind(PACK)
            .execute(pool)
            .await
            .unwrap();
        let found = problems(&server.service).await;
        assert!(
            found
                .iter()
                .any(|p| p.contains("shadow rule is not the one its audit log set")),
            "{engine:?}: {found:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_lists_and_revokes_tokens() {
    for (dir, url) in fresh_databases("cavra.db").await {
        let cavra = |args: &[&str]| {
            let mut all = vec!["token"];
            all.extend_from_slice(args);
            all.extend_from_slice(&["--database-url", &url]);
            run_command(cavra_in(dir.path()).args(&all))
        };
        let run = cavra(&["create", "ci-runner-eu", "--all-packs"]);
        assert_eq!(run.code, 0, "{}", run.transcript());
        let secret = run.stdout.trim().to_owned();
        assert!(
            secret.starts_with(tokens::SECRET_PREFIX),
            "{}",
            run.transcript()
        );
        assert_eq!(run.stdout.lines().count(), 1, "the secret alone on stdout");
        assert!(run.stderr.contains("every pack"), "{}", run.transcript());

        for (args, why) in [
            (
                vec!["create", "ci-runner-eu", "--all-packs"],
                "already has an active token",
            ),
            (
                vec!["create", "bad name", "--all-packs"],
                "a runtime name is",
            ),
            (
                vec!["create", "eu", "--pack", "no-such-pack"],
                "no pack `no-such-pack`",
            ),
            (
                vec!["revoke", "nobody"],
                "no active runtime token named `nobody`",
            ),
        ] {
            let run = cavra(&args);
            assert_eq!(run.code, 2, "{args:?}: {}", run.transcript());
            assert!(run.stderr.contains(why), "{args:?}: {}", run.transcript());
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.transcript());
        }
        let run = cavra(&["create", "no-scope"]);
        assert_eq!(run.code, 2, "a scope is required: {}", run.transcript());

        let run = cavra(&["list"]);
        assert_eq!(run.code, 0, "{}", run.transcript());
        assert!(run.stdout.contains("ci-runner-eu") && run.stdout.contains("active"));
        assert!(!run.stdout.contains(&secret), "never listed");
        let run = cavra(&["revoke", "ci-runner-eu"]);
        assert_eq!(run.code, 0, "{}", run.transcript());
        let run = cavra(&["list", "--json"]);
        let list: Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(list[0]["revoked_at"].is_string(), "{list}");
        assert_eq!(list[0]["revoked_by"], "cli");

        // Both writes are signed audit entries: the chain verifies with the server's key.
        let run =
            run_command(cavra_in(dir.path()).args(["audit", "verify", "--database-url", &url]));
        assert_eq!(run.code, 0, "{}", run.transcript());
        let database = Database::connect(&url).await.unwrap();
        let actions: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor, action FROM audit_log WHERE action LIKE 'token.%' ORDER BY seq",
        )
        .fetch_all(database.pool())
        .await
        .unwrap();
        assert_eq!(
            actions,
            [
                ("cli".to_owned(), "token.create".to_owned()),
                ("cli".to_owned(), "token.revoke".to_owned())
            ]
        );
    }
}

#[test]
fn demo_prints_a_token_that_decides() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let process = crate::common::extra::CavraProcess::start(dir.path(), &[], "warn");
    let token = process.demo_token();
    let (status, reply) =
        runtime.block_on(Client::new(process.addr).decide(&token, "", read_readme()));
    assert_eq!(status, StatusCode::OK, "{reply}");
    drop(process);
    // A second start replaces it: the old secret no longer works.
    let process = crate::common::extra::CavraProcess::start(dir.path(), &[], "warn");
    let again = process.demo_token();
    assert_ne!(again, token);
    let (status, _) = runtime.block_on(Client::new(process.addr).decide(&token, "", read_readme()));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = runtime.block_on(Client::new(process.addr).decide(&again, "", read_readme()));
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_panel_lists_tokens_and_its_server_functions_check_the_role() {
    for server in servers().await {
        let engine = server.engine;
        let addr = server.addr;
        let admin = login(addr, "admin").await;
        let (status, page) = admin.send_raw("GET", "/packs").await;
        assert_eq!(status, StatusCode::OK);
        let page = String::from_utf8_lossy(&page);
        assert!(
            page.contains("id=\"runtime-tokens\"") && page.contains("test-runtime"),
            "{engine:?}: the admin's dashboard lists the runtime tokens"
        );
        assert!(!page.contains(&server.token), "{engine:?}: never a secret");
        let (_, page) = login(addr, "author").await.send_raw("GET", "/packs").await;
        assert!(!String::from_utf8_lossy(&page).contains("id=\"runtime-tokens\""));

        let create = <app::api::tokens::CreateToken as leptos::server_fn::ServerFn>::PATH;
        let form = [("content-type", "application/x-www-form-urlencoded")];
        for (user, expected) in [("author", StatusCode::FORBIDDEN), ("admin", StatusCode::OK)] {
            let cookie = crate::common::extra::session_cookie(addr, user).await;
            let mut headers = form.to_vec();
            headers.push(("cookie", &cookie));
            let (status, _, reply) = raw(
                addr,
                "POST",
                create,
                &headers,
                format!("name=panel-runner&packs[0]={PACK}").into_bytes(),
            )
            .await;
            let reply = String::from_utf8_lossy(&reply);
            assert_eq!(status, expected, "{engine:?} {user}: {reply}");
            if expected == StatusCode::OK {
                let created: Value = serde_json::from_str(&reply).unwrap();
                let secret = created["secret"].as_str().unwrap();
                let (status, _) = Client::new(addr).decide(secret, "", read_readme()).await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{engine:?}: the panel's token decides"
                );
                assert_eq!(created["token"]["packs"], json!([PACK]));
            }
        }
    }
}
