#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The listener's limits against a real socket flood (issue 15): half-open
//! connections are closed after the header-read timeout, one address cannot
//! hold the server, and a normal request is answered throughout. Before the
//! listener (`axum::serve`) every half-open connection stayed open for good.

mod common;

use std::sync::Arc;
use std::time::Duration;

use matrixauth_server::doors::http::listen::{Limits, serve};
use matrixauth_server::doors::http::{ApiRate, App, Config, router};
use matrixauth_server::keys;
use matrixauth_server::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
const PER_ADDRESS: usize = 50;
const FLOOD: usize = 400;

/// One request from `source` (a loopback address), as a browser on the
/// portal's page sends it; the whole response.
async fn send(source: &str, port: u16, method: &str, path: &str, body: &str) -> String {
    send_with(source, port, method, path, body, "").await
}

/// [`send`] with more header lines (each ending in `\r\n`).
async fn send_with(source: &str, port: u16, method: &str, path: &str, body: &str, headers: &str) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut s = socket.connect(format!("127.0.0.1:{port}").parse().unwrap()).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    // A liveness bound, not a measurement: without a response the test fails instead of hanging.
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out)).await.expect("no answer").unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// A GET of /api/policy from `source`; the status line.
async fn get_policy(source: &str, port: u16) -> String {
    send(source, port, "GET", "/api/policy", "").await.lines().next().unwrap_or_default().to_owned()
}

/// A server on a free 127.0.0.1 port with these limits; its port, the stop
/// switch, the task and the data folder (kept while the server runs).
async fn start(
    limits: Limits,
    api_rate: ApiRate,
    trusted_proxies: Vec<matrixauth_server::net::Cidr>,
) -> (u16, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
    let store = Store::open(
        &dir.path().join("matrixauth.db"),
        keyring.clone(),
        matrixauth_server::store::Migrate::Yes,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = App::new(Config {
        login: common::login(store, keyring, Arc::new(|| 1_800_000_000)),
        audience: "vpn.test".into(),
        assets: Some(dir.path().join("none")),
        appliance_url: None,
        origins: vec![format!("http://127.0.0.1:{port}")],
        api_rate,
        trusted_proxies,
        metrics_allow: vec![matrixauth_server::net::Cidr::parse("127.0.0.1").unwrap()],
    })
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, router(app), limits, async {
        let _ = stopped.await;
    }));
    (port, stop, server, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_open_connections_are_closed_and_never_starve_a_normal_request() {
    let limits =
        Limits { header_read_timeout: HEADER_TIMEOUT, max_per_address: PER_ADDRESS, ..Limits::default() };
    let (port, stop, server, _dir) = start(limits, ApiRate::default(), Vec::new()).await;

    // The flood: FLOOD connections from 127.0.0.1, each with an unfinished request head.
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        // A connection over the address limit may already be closed: its write may fail.
        let _ = s.write_all(format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n").as_bytes()).await;
        flood.push(s);
    }
    // Another address is answered while the flood holds its connections.
    assert_eq!(get_policy("127.0.0.2", port).await, "HTTP/1.1 200 OK");

    // Every flood connection is closed by the server: at once over the address limit, after the
    // header-read timeout otherwise. (Before, none was ever closed: the read below timed out.)
    let mut reads = tokio::task::JoinSet::new();
    for mut s in flood {
        reads.spawn(async move {
            let mut buf = [0u8; 512];
            tokio::time::timeout(HEADER_TIMEOUT * 4, async {
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {} // hyper may answer 408 before closing
                    }
                }
            })
            .await
            .is_ok()
        });
    }
    let closed = reads.join_all().await.into_iter().filter(|c| *c).count();
    assert_eq!(closed, FLOOD, "every half-open connection closed by the server");
    // And the flooding address is served again once its connections are gone.
    assert_eq!(get_policy("127.0.0.1", port).await, "HTTP/1.1 200 OK");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("shutdown completes").unwrap();
}

/// One address gets the burst and then 429 with Retry-After; another
/// address is not affected. Before the limit every request was served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_posts_are_rate_limited_per_address() {
    let (port, stop, server, _dir) =
        start(Limits::default(), ApiRate { per_minute: 6, burst: 3 }, Vec::new()).await;
    let challenge =
        |source: &'static str| send(source, port, "POST", "/api/challenge", r#"{"user":"mallory"}"#);
    for i in 0..3 {
        let res = challenge("127.0.0.1").await;
        assert!(res.starts_with("HTTP/1.1 200 OK"), "request {i}: {res}");
    }
    let res = challenge("127.0.0.1").await;
    assert!(res.starts_with("HTTP/1.1 429 Too Many Requests"), "{res}");
    let retry: u64 = res
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("retry-after: ").map(str::to_owned))
        .expect("a Retry-After header")
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "one token comes back within 10 s: {retry}");
    assert!(res.contains(r#""error":"rate_limited""#), "{res}");
    assert!(challenge("127.0.0.2").await.starts_with("HTTP/1.1 200 OK"), "another address");
    assert_eq!(get_policy("127.0.0.1", port).await, "HTTP/1.1 200 OK", "pages are not limited");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("shutdown completes").unwrap();
}

/// Behind a trusted reverse proxy (here 127.0.0.1) the rate limit counts
/// the address `X-Forwarded-For` names, so one client's burst does not
/// lock out everyone behind the proxy; a peer that is not a trusted proxy
/// (127.0.0.2) cannot escape its own limit by writing the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_rate_limit_counts_each_client() {
    let proxy = vec![matrixauth_server::net::Cidr::parse("127.0.0.1").unwrap()];
    let (port, stop, server, _dir) =
        start(Limits::default(), ApiRate { per_minute: 6, burst: 3 }, proxy).await;
    let challenge = |source: &'static str, client: String| async move {
        let xff = format!("X-Forwarded-For: {client}\r\n");
        send_with(source, port, "POST", "/api/challenge", r#"{"user":"mallory"}"#, &xff).await
    };
    for i in 0..3 {
        let res = challenge("127.0.0.1", "203.0.113.7".into()).await;
        assert!(res.starts_with("HTTP/1.1 200 OK"), "request {i}: {res}");
    }
    let res = challenge("127.0.0.1", "203.0.113.7".into()).await;
    assert!(res.starts_with("HTTP/1.1 429"), "the client behind the proxy is limited: {res}");
    let res = challenge("127.0.0.1", "203.0.113.8".into()).await;
    assert!(res.starts_with("HTTP/1.1 200 OK"), "another client behind the same proxy is not: {res}");
    // A client that forges the header in front of the proxy's entry is still itself.
    let res = challenge("127.0.0.1", "198.51.100.1, 203.0.113.7".into()).await;
    assert!(res.starts_with("HTTP/1.1 429"), "{res}");
    // A forged line of its own before the proxy's line (HAProxy's `option forwardfor` adds a
    // separate line): all lines are one list, so the proxy's entry still names the client.
    let two_lines = "X-Forwarded-For: 198.51.100.2\r\nX-Forwarded-For: 203.0.113.7\r\n";
    let res =
        send_with("127.0.0.1", port, "POST", "/api/challenge", r#"{"user":"mallory"}"#, two_lines).await;
    assert!(res.starts_with("HTTP/1.1 429"), "the first line no longer wins: {res}");
    // An untrusted peer's header is ignored.
    for i in 0..3 {
        let res = challenge("127.0.0.2", format!("198.51.100.{i}")).await;
        assert!(res.starts_with("HTTP/1.1 200 OK"), "request {i}: {res}");
    }
    let res = challenge("127.0.0.2", "198.51.100.99".into()).await;
    assert!(res.starts_with("HTTP/1.1 429"), "spoofed X-Forwarded-For from an untrusted peer: {res}");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("shutdown completes").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_answer_the_allowed_address_only_over_a_real_socket() {
    let (port, stop, server, _dir) = start(Limits::default(), ApiRate::default(), Vec::new()).await;
    // metrics.allow is 127.0.0.1 here: another loopback address is outside it.
    let allowed = send("127.0.0.1", port, "GET", "/metrics", "").await;
    assert!(allowed.starts_with("HTTP/1.1 200 OK"), "{allowed}");
    assert!(allowed.contains("# TYPE matrixauth_logins_total counter"), "{allowed}");
    let outside = send("127.0.0.2", port, "GET", "/metrics", "").await;
    assert!(outside.starts_with("HTTP/1.1 404 Not Found"), "{outside}");
    assert!(!outside.contains("matrixauth_"), "{outside}");
    // Liveness answers anyone.
    assert!(send("127.0.0.2", port, "GET", "/healthz", "").await.starts_with("HTTP/1.1 200 OK"));
    let _ = stop.send(());
    server.await.unwrap();
}
