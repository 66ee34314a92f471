//! Connection limits of the serve loop (`server::serve`, the one `cavra serve` runs), over real
//! TCP (issue 15, "Connections"): a stalled header is cut off, a stalled or trickled body gets
//! 408, an idle kept-alive connection is closed, connections over the cap are refused at once
//! while the listener keeps serving, and shutdown waits for open connections.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use server::serve::ServeOptions;

use crate::common::{servers_with_options, TestServer};

fn options(change: impl FnOnce(&mut ServeOptions)) -> ServeOptions {
    let mut options = ServeOptions::default();
    change(&mut options);
    options
}

async fn servers(options: ServeOptions) -> Vec<TestServer> {
    servers_with_options(|_| {}, options).await
}

/// Reads until the server closes the connection (or `limit` passes): what it sent, and when the
/// close came (`None`: still open at `limit`).
async fn read_until_closed(
    stream: &mut (impl AsyncRead + Unpin),
    limit: Duration,
) -> (String, Option<Duration>) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&received).into(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into(),
                    Some(start.elapsed()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// One `GET /healthz` on a fresh connection: whether it answered 200.
async fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let (text, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    text.starts_with("HTTP/1.1 200")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_header_is_cut_off_after_the_header_timeout() {
    let limits = options(|o| o.header_timeout = Duration::from_secs(1));
    for server in servers(limits).await {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        // Half a head, then silence; then a slow trickle that never finishes it.
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        let closed = closed.expect("the server closed the stalled connection");
        assert!(
            closed >= Duration::from_millis(800) && closed < Duration::from_secs(3),
            "{:?}: closed after {closed:?}",
            server.engine
        );
        let mut trickle = TcpStream::connect(server.addr).await.unwrap();
        let start = Instant::now();
        let mut cut = false;
        for byte in b"GET /healthz HTTP/1.1\r\nx-slow: aaaaaaaaaaaaaaaaaaaa\r\n" {
            if trickle.write_all(&[*byte]).await.is_err() {
                cut = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if start.elapsed() > Duration::from_secs(4) {
                break;
            }
        }
        let (_, closed) = read_until_closed(&mut trickle, Duration::from_secs(1)).await;
        assert!(
            cut || closed.is_some(),
            "{:?}: a trickled head outlived the header timeout",
            server.engine
        );
        assert!(healthy(server.addr).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_or_trickled_body_gets_408() {
    let limits = options(|o| o.body_timeout = Duration::from_secs(1));
    for server in servers(limits).await {
        let engine = server.engine;
        let head = format!(
            "POST /api/session HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
             content-length: 100\r\n\r\n",
            server.addr
        );
        // Ten bytes of a hundred, then nothing.
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(b"{\"username").await.unwrap();
        let (text, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        let closed = closed.expect("closed after the body timeout");
        assert!(text.starts_with("HTTP/1.1 408"), "{engine:?}: {text}");
        assert!(text.contains("request_timeout"), "{engine:?}: {text}");
        assert!(closed < Duration::from_secs(3), "{engine:?}: {closed:?}");
        // A byte every 300 ms keeps every read short but the whole body late: still 408.
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            for _ in 0..10 {
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
        let (text, closed) = read_until_closed(&mut reader, Duration::from_secs(5)).await;
        assert!(text.starts_with("HTTP/1.1 408"), "{engine:?}: {text}");
        assert!(
            closed.is_some_and(|at| at < Duration::from_secs(3)),
            "{engine:?}"
        );
        trickle.abort();
        assert!(healthy(server.addr).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    // The idle timeout alone (the header timeout is longer) ...
    let idle = options(|o| {
        o.idle_timeout = Duration::from_secs(1);
        o.header_timeout = Duration::from_secs(30);
    });
    // ... and the header timeout, which also bounds the wait for a kept-alive connection's next
    // request.
    let header = options(|o| {
        o.idle_timeout = Duration::from_secs(30);
        o.header_timeout = Duration::from_secs(1);
    });
    for limits in [idle, header] {
        for server in servers(limits.clone()).await {
            let mut stream = TcpStream::connect(server.addr).await.unwrap();
            let request = format!("GET /healthz HTTP/1.1\r\nhost: {}\r\n\r\n", server.addr);
            stream.write_all(request.as_bytes()).await.unwrap();
            let (text, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(
                text.ends_with("ok"),
                "one response, then the connection idles: {text}"
            );
            let closed = closed.expect("the idle connection was closed");
            assert!(
                closed >= Duration::from_millis(800) && closed < Duration::from_secs(3),
                "{:?} {limits:?}: closed after {closed:?}",
                server.engine
            );
        }
    }
    // A connection in use is not idle: two requests 600 ms apart on one connection with a 1 s
    // idle timeout both succeed.
    for server in servers(idle_only_short()).await {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        for _ in 0..2 {
            let request = format!("GET /healthz HTTP/1.1\r\nhost: {}\r\n\r\n", server.addr);
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
    }
}

fn idle_only_short() -> ServeOptions {
    options(|o| o.idle_timeout = Duration::from_secs(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_at_once_and_the_listener_keeps_serving() {
    let limits = options(|o| o.max_connections = 4);
    for server in servers(limits).await {
        let engine = server.engine;
        let addr = server.addr;
        // Four connections hold every slot (a head is started, never finished).
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\n")
                .await
                .unwrap();
            held.push(stream);
        }
        // Give the accept loop a moment to take all four.
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Every further connection is answered and closed at once, not queued.
        for _ in 0..20 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let (text, closed) = read_until_closed(&mut stream, Duration::from_secs(2)).await;
            let closed = closed.expect("an over-cap connection is closed");
            assert!(closed < Duration::from_secs(1), "{engine:?}: {closed:?}");
            assert!(
                text.is_empty() || text.starts_with("HTTP/1.1 503"),
                "{engine:?}: {text}"
            );
        }
        // One held connection goes away: a normal request is served again.
        drop(held.pop());
        let start = Instant::now();
        while !healthy(addr).await {
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "{engine:?}: the freed slot was never reused"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(held);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_waits_for_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let service = crate::common::seeded_service(&url, dir.path().join("data")).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = server::web::router(
        server::web::leptos_options(dir.path(), addr),
        service.clone(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = options(|o| o.idle_timeout = Duration::from_secs(2));
    let serving = tokio::spawn(server::serve::serve(listener, router, limits, async move {
        let _ = stopped.await;
    }));
    // A kept-alive connection with one answered request, then shutdown.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let start = Instant::now();
    stop.send(()).unwrap();
    let done = tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve returned after shutdown");
    done.unwrap().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // The idle connection was closed, and nothing listens any more.
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(1)).await;
    assert!(closed.is_some());
    assert!(TcpStream::connect(addr).await.is_err());
}
