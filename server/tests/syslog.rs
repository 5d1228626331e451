#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The syslog sender against collectors written here (issue 24): over TLS
//! with an rcgen certificate (the rsyslog run in `scripts/syslog-test.sh`
//! covers TLS too, with rsyslog's gtls driver), and over TCP with the
//! collector down and then back: every line arrives once, in order, with its
//! octet-counting frame, and the lines of the outage are sent from the
//! database, counted as dropped and re-sent.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use matrixauth_server::keys;
use matrixauth_server::login::{Login, Via};
use matrixauth_server::store::{Migrate, Store};
use matrixauth_server::syslog::{self, Settings, Stats, Target, Transport};
use tokio::io::{AsyncRead, AsyncReadExt};

/// A liveness bound on each wait (not a measurement).
const BOUND: Duration = Duration::from_secs(30);

fn service(dir: &tempfile::TempDir) -> Arc<Login> {
    let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
    let store = Store::open(&dir.path().join("matrixauth.db"), keyring.clone(), Migrate::Yes).unwrap();
    common::login(store, keyring, Arc::new(|| 1_800_000_000))
}

/// The lines of node `test` the database holds, oldest first.
fn stored(login: &Login) -> Vec<String> {
    login.store().audit_after("test", 0, 10_000).unwrap().into_iter().map(|r| r.line).collect()
}

/// Reads one octet-counted frame (`LEN SP MSG`); the message.
async fn frame(s: &mut (impl AsyncRead + Unpin)) -> String {
    let mut len = Vec::new();
    loop {
        let b = s.read_u8().await.unwrap();
        if b == b' ' {
            break;
        }
        assert!(b.is_ascii_digit(), "a frame starts with its length: {b:?}");
        len.push(b);
    }
    let len: usize = String::from_utf8(len).unwrap().parse().unwrap();
    let mut msg = vec![0; len];
    s.read_exact(&mut msg).await.unwrap();
    String::from_utf8(msg).unwrap()
}

/// The MSG part of an RFC 5424 message of ours (after the structured data).
fn msg(message: &str) -> String {
    let (_, rest) = message.split_once("] ").unwrap();
    rest.to_owned()
}

/// Makes some audit lines: challenges for ids nobody is enrolled under.
fn events(login: &Login, n: usize) {
    for i in 0..n {
        let _ = login.challenge(&format!("nobody{i}"), Via::Http);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn over_tls_every_line_arrives_once_in_order_with_its_frame() {
    let dir = tempfile::tempdir().unwrap();
    let login = service(&dir);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();

    events(&login, 3);
    // Where an earlier run stopped: after the first line (the state file). The two lines after
    // it, written before this start, are sent first.
    let state = dir.path().join("syslog-state");
    std::fs::write(&state, "test 1\n").unwrap();
    let settings = Settings {
        target: Target { transport: Transport::Tls, host: "localhost".into(), port },
        facility: 10,
        ca: Some(ca),
        hostname: "testhost".into(),
        state: Some(state.clone()),
    };
    syslog::check(&settings).unwrap();
    let stats = Arc::new(Stats::default());
    let task = tokio::spawn(syslog::run(Arc::clone(&login), settings, Arc::clone(&stats)));
    events(&login, 4);
    let head = 1;
    let (tcp, _) = tokio::time::timeout(BOUND, listener.accept()).await.unwrap().unwrap();
    let mut tls = acceptor.accept(tcp).await.unwrap();
    let want = stored(&login)[head..].to_vec();
    let mut got = Vec::new();
    for _ in 0..want.len() {
        let m = tokio::time::timeout(BOUND, frame(&mut tls)).await.unwrap();
        assert!(m.starts_with("<86>1 2027-01-15T08:00:00Z testhost matrixauth "), "{m}");
        got.push(msg(&m));
    }
    assert_eq!(got, want);
    task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_down_then_back_gets_every_line_once_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let login = service(&dir);
    // A free port with nobody listening: the collector is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // From the chain's start (else the sender starts at the head it finds, which races the lines
    // written below).
    let state = dir.path().join("syslog-state");
    std::fs::write(&state, "test 0\n").unwrap();
    let settings = Settings {
        target: Target { transport: Transport::Tcp, host: "127.0.0.1".into(), port },
        facility: 4,
        ca: None,
        hostname: "testhost".into(),
        state: Some(state.clone()),
    };
    let stats = Arc::new(Stats::default());
    let task = tokio::spawn(syslog::run(Arc::clone(&login), settings, Arc::clone(&stats)));
    tokio::time::timeout(BOUND, async {
        while stats.dropped.load(Ordering::Relaxed) < 5 {
            events(&login, 1);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("lines are counted as dropped while the collector is down");
    assert!(!stats.up.load(Ordering::Relaxed));
    // Logins went on meanwhile: the lines are in the database.
    let during = stored(&login);
    assert!(during.len() >= 5);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (mut s, _) = tokio::time::timeout(BOUND, listener.accept()).await.unwrap().unwrap();
    events(&login, 2);
    let want = stored(&login);
    let mut got = Vec::new();
    for _ in 0..want.len() {
        let m = tokio::time::timeout(BOUND, frame(&mut s)).await.unwrap();
        // facility 4 (auth) and a decoy's challenge: info.
        assert!(m.starts_with("<38>1 "), "{m}");
        got.push(msg(&m));
    }
    assert_eq!(got, want, "every line, in order, once");
    // The counts follow each write (the reader may get a frame a moment before it is counted).
    tokio::time::timeout(BOUND, async {
        while stats.sent.load(Ordering::Relaxed) < want.len() as u64 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(stats.sent.load(Ordering::Relaxed), want.len() as u64);
    assert!(stats.resent.load(Ordering::Relaxed) >= 5);
    // Nothing more is sent (no line twice): the next frame is a new line's.
    events(&login, 1);
    let next = msg(&tokio::time::timeout(BOUND, frame(&mut s)).await.unwrap());
    assert_eq!(Some(&next), stored(&login).last());
    // The state file remembers the last line delivered, for the next start.
    let last = login.store().audit_after("test", 0, 10_000).unwrap().last().unwrap().seq;
    tokio::time::timeout(BOUND, async {
        while std::fs::read_to_string(&state).unwrap() != format!("test {last}\n") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    task.abort();
}
