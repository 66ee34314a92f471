//! Shared helpers of the HTTP tests: a bound server on SQLite or PostgreSQL, and a tiny
//! cookie-keeping HTTP/1 client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use axum::http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use server::config::ServiceConfig;
use server::db::{Database, Engine};
use server::serve::ServeOptions;
use server::service::Service;

pub mod extra;

/// A running server with its storage.
pub struct TestServer {
    pub engine: Engine,
    pub addr: SocketAddr,
    pub url: String,
    pub service: Service,
    pub dir: tempfile::TempDir,
    /// A runtime token (`test-runtime`, every pack) for `/v1/decisions`.
    pub token: String,
}

impl TestServer {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

/// Database URLs to test: a fresh SQLite file, and a fresh PostgreSQL schema when configured.
pub async fn database_urls(dir: &std::path::Path) -> Vec<String> {
    let mut out = vec![format!("sqlite://{}", dir.join("test.db").display())];
    match std::env::var("CAVRA_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => out.push(fresh_postgres_url(&url).await),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true requires PostgreSQL: run the tests through scripts/test-db.sh")
        }
        _ => eprintln!("note: CAVRA_TEST_PG_URL unset; PostgreSQL tests skipped"),
    }
    out
}

/// One fresh database per configured engine, each with its own directory: an SQLite file named
/// `file` in it, or a fresh PostgreSQL schema.
pub async fn fresh_databases(file: &str) -> Vec<(tempfile::TempDir, String)> {
    let probe = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for url in database_urls(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let url = if url.starts_with("sqlite") {
            format!("sqlite://{}", dir.path().join(file).display())
        } else {
            url
        };
        out.push((dir, url));
    }
    out
}

/// Creates an empty schema and returns a URL using it as the search path.
pub async fn fresh_postgres_url(url: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "cavra_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let admin = sqlx::PgPool::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Test criteria: no minimum observation time, at least one observation from one runtime,
/// nothing unacknowledged.
pub fn test_config(data_dir: PathBuf) -> ServiceConfig {
    let mut config = ServiceConfig::new(data_dir);
    config.secure_cookies = false;
    config.shadow.min_observed_secs = 0;
    config.shadow.min_observations = 1;
    config.shadow.min_runtimes = 1;
    config
}

/// A service over `url` with demo users and the fixture packs imported.
pub async fn seeded_service(url: &str, data_dir: PathBuf) -> Service {
    seeded_service_with(url, test_config(data_dir)).await
}

/// [`seeded_service`] with a given configuration.
pub async fn seeded_service_with(url: &str, config: ServiceConfig) -> Service {
    seeded_service_with_cases(url, config, None).await
}

/// [`seeded_service_with`], the fixture pack imported with `cases` as its `cases.yaml` (when
/// given) before the rest.
pub async fn seeded_service_with_cases(
    url: &str,
    config: ServiceConfig,
    cases: Option<&str>,
) -> Service {
    let database = Database::connect(url).await.expect("connect");
    let service = Service::new(database, config).expect("service");
    server::demo::seed_users(&service).await.expect("users");
    if let Some(cases) = cases {
        let source = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/policies/cavra-ai-agent-baseline/policy.yaml"),
        )
        .expect("fixture pack");
        server::service::authoring::import_pack(&service, &source, Some(cases))
            .await
            .expect("import the fixture pack with its cases");
    }
    let policies = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policies");
    let imported = server::demo::import_policies(&service, &policies)
        .await
        .expect("import");
    assert!(!imported.is_empty(), "fixture packs imported");
    service
}

/// The address the in-process router believes it is bound to: requests to it must carry
/// `Host: 127.0.0.1:3000` (or `localhost:3000`), as a browser's would.
pub const IN_PROCESS_HOST: &str = "127.0.0.1:3000";

/// The router over a fresh SQLite database with no packs, driven in-process (`oneshot`, no port).
pub async fn in_process_router() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Database::connect(&url).await.unwrap();
    let config = ServiceConfig::new(dir.path().join("data"));
    let service = Service::new(db, config).unwrap();
    let options = server::web::leptos_options(dir.path(), IN_PROCESS_HOST.parse().unwrap());
    (server::web::router(options, service), dir)
}

/// Starts a server on 127.0.0.1:0 for each configured database.
pub async fn servers() -> Vec<TestServer> {
    servers_with(|_| {}).await
}

/// [`servers`] whose [`test_config`] is adjusted by `configure` first.
pub async fn servers_with(configure: fn(&mut ServiceConfig)) -> Vec<TestServer> {
    start_servers(configure, None, ServeOptions::default()).await
}

/// [`servers_with`], served with the given connection limits (the same serve loop as
/// `cavra serve`).
pub async fn servers_with_options(
    configure: fn(&mut ServiceConfig),
    serve_options: ServeOptions,
) -> Vec<TestServer> {
    start_servers(configure, None, serve_options).await
}

/// [`servers`] whose fixture pack has `cases` as its `cases.yaml`.
pub async fn servers_with_cases(cases: &str) -> Vec<TestServer> {
    start_servers(|_| {}, Some(cases), ServeOptions::default()).await
}

async fn start_servers(
    configure: fn(&mut ServiceConfig),
    cases: Option<&str>,
    serve_options: ServeOptions,
) -> Vec<TestServer> {
    let mut out = Vec::new();
    let probe = tempfile::tempdir().unwrap();
    for (index, url) in database_urls(probe.path()).await.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let url = if index == 0 {
            format!("sqlite://{}", dir.path().join("test.db").display())
        } else {
            url
        };
        let engine = Engine::from_url(&url).unwrap();
        let mut config = test_config(dir.path().join("data"));
        configure(&mut config);
        let service = seeded_service_with_cases(&url, config, cases).await;
        let token = extra::runtime_token(&service, "test-runtime", None).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = server::web::leptos_options(dir.path(), addr);
        let router = server::web::router(options, service.clone());
        tokio::spawn(server::serve::serve(
            listener,
            router,
            serve_options.clone(),
            std::future::pending(),
        ));
        out.push(TestServer {
            engine,
            addr,
            url,
            service,
            dir,
            token,
        });
    }
    out
}

/// A minimal HTTP/1 client that keeps the session cookie.
pub struct Client {
    addr: SocketAddr,
    cookie: Mutex<Option<String>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            cookie: Mutex::new(None),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn has_cookie(&self) -> bool {
        self.cookie.lock().unwrap().is_some()
    }

    async fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Vec<u8>) {
        let stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        if let Some(cookie) = self.cookie.lock().unwrap().clone() {
            request = request.header(header::COOKIE, cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let bytes = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let response = sender
            .send_request(request.body(Full::new(bytes)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    /// Sends a request; the response body parsed as JSON (`null` when empty).
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send_with(method, path, body, &[]).await
    }

    /// [`Client::send`] with extra headers.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let (status, bytes) = self.exchange(method, path, body, headers).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, value)
    }

    /// `POST /v1/decisions` with a runtime token (`?pack=` in `query` when not empty).
    pub async fn decide(&self, token: &str, query: &str, input: Value) -> (StatusCode, Value) {
        let bearer = format!("Bearer {token}");
        let path = format!("/v1/decisions{query}");
        self.send_with("POST", &path, Some(input), &[("authorization", &bearer)])
            .await
    }

    /// Sends a request and returns the raw body.
    pub async fn send_raw(&self, method: &str, path: &str) -> (StatusCode, Vec<u8>) {
        self.exchange(method, path, None, &[]).await
    }
}
