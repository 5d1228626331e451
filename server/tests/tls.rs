#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! HTTPS on the portal's listener (issue 24): a rustls client gets the
//! pages over TLS with `Strict-Transport-Security`; bad certificate files
//! are refused at start with the file named; a reload changes the
//! certificate of new connections while an open one keeps going; a bad
//! reload keeps the certificate in use; silent handshakes are closed after
//! the handshake timeout and count against the per-address limit.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use matrixauth_server::doors::http::listen::{Limits, serve, serve_tls};
use matrixauth_server::doors::http::tls::{Files, Tls, load};
use matrixauth_server::doors::http::{ApiRate, App, Config, HSTS, router};
use matrixauth_server::keys;
use matrixauth_server::store::Store;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A test CA.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
}

fn new_ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let der = params.self_signed(&key).unwrap().der().clone();
    Ca { issuer: Issuer::new(params, key), der }
}

/// A server certificate for 127.0.0.1 and localhost from `ca`, valid from
/// `from` to `to` (years); its PEM, its key's PEM and its DER.
fn leaf(ca: &Ca, from: i32, to: i32) -> (String, String, CertificateDer<'static>) {
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params.not_before = date_time_ymd(from, 1, 1);
    params.not_after = date_time_ymd(to, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().clone())
}

/// Writes a pair into `dir` (cert.pem, key.pem).
fn write_pair(dir: &Path, cert: &str, key: &str) -> Files {
    let files = Files { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, key).unwrap();
    files
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A server on a free port: over TLS with `tls`, else plain.
async fn start(
    limits: Limits,
    tls: Option<Arc<Tls>>,
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
    let scheme = if tls.is_some() { "https" } else { "http" };
    let app = App::new(Config {
        login: common::login(store, keyring, Arc::new(|| 1_800_000_000)),
        audience: "vpn.test".into(),
        assets: None,
        appliance_url: None,
        origins: vec![format!("{scheme}://127.0.0.1:{port}")],
        api_rate: ApiRate::default(),
        trusted_proxies: Vec::new(),
        metrics_allow: Vec::new(),
    })
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let server = match tls {
        Some(tls) => tokio::spawn(serve_tls(listener, router(app), limits, tls, shutdown)),
        None => tokio::spawn(serve(listener, router(app), limits, shutdown)),
    };
    (port, stop, server, dir)
}

/// A TLS client trusting `root`, offering only `versions`.
fn connector(
    root: &CertificateDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(matrixauth_server::doors::http::tls::provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

type Conn = tokio_rustls::client::TlsStream<TcpStream>;

async fn connect(port: u16, root: &CertificateDer<'static>) -> std::io::Result<Conn> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
    connector(root, &[&rustls::version::TLS13, &rustls::version::TLS12]).connect(name, tcp).await
}

/// The certificate the server presented on `conn`.
fn served(conn: &Conn) -> CertificateDer<'static> {
    conn.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned()
}

/// One keep-alive GET on `conn`; the response head (lower case) and body.
async fn get<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    conn: &mut S,
    port: u16,
    scheme: &str,
    path: &str,
) -> (String, String) {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {scheme}://127.0.0.1:{port}\r\n\r\n"
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    // A liveness bound, not a measurement.
    tokio::time::timeout(Duration::from_secs(20), async {
        while !buf.ends_with(b"\r\n\r\n") {
            assert_eq!(conn.read(&mut byte).await.unwrap(), 1, "connection closed mid-head");
            buf.push(byte[0]);
        }
    })
    .await
    .expect("no answer");
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).await.unwrap();
    (head, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_over_tls_carry_hsts_and_plain_http_does_not() {
    let ca = new_ca();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, der) = leaf(&ca, 2020, 2090);
    let (tls, loaded) = Tls::new(write_pair(dir.path(), &cert, &key)).unwrap();
    assert!(loaded.not_after > now());
    let (port, stop, server, _d) = start(Limits::default(), Some(tls)).await;

    for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12][..]] {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
        let mut conn = connector(&ca.der, versions).connect(name, tcp).await.unwrap();
        assert_eq!(served(&conn), der);
        assert_eq!(conn.get_ref().1.alpn_protocol(), None, "no ALPN offered, none chosen");
        let (head, body) = get(&mut conn, port, "https", "/").await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains(&format!("strict-transport-security: {HSTS}\r\n")), "{head}");
        assert!(body.contains("<html"), "the login page");
    }
    // A client that does not trust the CA is refused by its own check; one that speaks plain
    // HTTP to the TLS port gets no page.
    let other = new_ca();
    assert!(connect(port, &other.der).await.is_err());
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut out)).await.expect("closed");
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"));
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.unwrap().unwrap();

    let (port, stop, server, _d) = start(Limits::default(), None).await;
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (head, _) = get(&mut tcp, port, "http", "/").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("strict-transport-security"), "no HSTS over plain HTTP: {head}");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.unwrap().unwrap();
}

/// Each bad file is refused with its name and the reason.
#[test]
fn bad_certificate_files_are_refused_with_the_file_named() {
    let ca = new_ca();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = leaf(&ca, 2020, 2090);
    let good = write_pair(dir.path(), &cert, &key);
    assert!(load(&good, now()).is_ok());
    let err = |files: &Files| load(files, now()).unwrap_err();
    let path = |p: &PathBuf| p.display().to_string();

    let missing = Files { cert: dir.path().join("nope.pem"), key: good.key.clone() };
    let e = err(&missing);
    assert!(e.contains(&path(&missing.cert)) && e.contains("cannot read"), "{e}");

    let not_pem = dir.path().join("garbage.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let e = err(&Files { cert: not_pem.clone(), key: good.key.clone() });
    assert!(e.contains(&path(&not_pem)) && e.contains("no certificate"), "{e}");
    let e = err(&Files { cert: good.cert.clone(), key: not_pem.clone() });
    assert!(e.contains(&path(&not_pem)) && e.contains("no private key"), "{e}");

    // A key of another certificate.
    let (_, other_key, _) = leaf(&ca, 2020, 2090);
    let other = dir.path().join("other-key.pem");
    std::fs::write(&other, &other_key).unwrap();
    let e = err(&Files { cert: good.cert.clone(), key: other.clone() });
    assert!(e.contains(&path(&other)) && e.contains("not the key of the certificate"), "{e}");
    assert!(!e.contains("PRIVATE KEY-----"), "no key material in the error: {e}");

    // Expired, and not valid yet.
    let sub = |name: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        d
    };
    let (cert, key, _) = leaf(&ca, 2010, 2015);
    let expired = write_pair(&sub("expired"), &cert, &key);
    let e = err(&expired);
    assert!(e.contains(&path(&expired.cert)) && e.contains("expired"), "{e}");
    assert!(Tls::new(expired).is_err(), "a server does not start with it");
    let (cert, key, _) = leaf(&ca, 2090, 2095);
    let early = write_pair(&sub("early"), &cert, &key);
    let e = err(&early);
    assert!(e.contains(&path(&early.cert)) && e.contains("not valid yet"), "{e}");
}

/// A reload serves the new certificate to new connections while an open
/// connection goes on with the old one; a bad reload keeps the one in use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_swaps_the_certificate_without_dropping_connections() {
    let ca = new_ca();
    let dir = tempfile::tempdir().unwrap();
    let (cert_a, key_a, der_a) = leaf(&ca, 2020, 2090);
    let files = write_pair(dir.path(), &cert_a, &key_a);
    let (tls, _) = Tls::new(files.clone()).unwrap();
    let (port, stop, server, _d) = start(Limits::default(), Some(Arc::clone(&tls))).await;

    let mut open = connect(port, &ca.der).await.unwrap();
    assert_eq!(served(&open), der_a);
    assert!(get(&mut open, port, "https", "/api/policy").await.0.starts_with("http/1.1 200"));

    let (cert_b, key_b, der_b) = leaf(&ca, 2020, 2090);
    write_pair(dir.path(), &cert_b, &key_b);
    tls.reload().unwrap();
    let mut fresh = connect(port, &ca.der).await.unwrap();
    assert_eq!(served(&fresh), der_b, "a new connection gets the new certificate");
    assert!(get(&mut fresh, port, "https", "/api/policy").await.0.starts_with("http/1.1 200"));
    // The connection opened before the reload is still up, on its certificate.
    assert!(get(&mut open, port, "https", "/api/policy").await.0.starts_with("http/1.1 200"));
    assert_eq!(served(&open), der_a);

    // A bad new pair (an expired certificate, then a mismatched key): the reload fails, says
    // why, and new connections still get B.
    let (cert_old, key_old, _) = leaf(&ca, 2010, 2015);
    write_pair(dir.path(), &cert_old, &key_old);
    let e = tls.reload().unwrap_err();
    assert!(e.contains("expired") && e.contains("cert.pem"), "{e}");
    write_pair(dir.path(), &cert_a, &key_b);
    let e = tls.reload().unwrap_err();
    assert!(e.contains("key.pem"), "{e}");
    let again = connect(port, &ca.der).await.unwrap();
    assert_eq!(served(&again), der_b, "the certificate in use stays");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.unwrap().unwrap();
}

/// Connections that never send a ClientHello are closed after the
/// handshake timeout, and over the per-address limit at once; a real
/// client from another address is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_handshakes_are_bounded_and_closed() {
    const PER_ADDRESS: usize = 20;
    const FLOOD: usize = 60;
    let ca = new_ca();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = leaf(&ca, 2020, 2090);
    let (tls, _) = Tls::new(write_pair(dir.path(), &cert, &key)).unwrap();
    let limits = Limits {
        handshake_timeout: Duration::from_secs(2),
        max_per_address: PER_ADDRESS,
        ..Limits::default()
    };
    let (port, stop, server, _d) = start(limits, Some(tls)).await;
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        flood.push(socket.connect(format!("127.0.0.1:{port}").parse().unwrap()).await.unwrap());
    }
    let mut conn = connect(port, &ca.der).await.unwrap();
    assert!(get(&mut conn, port, "https", "/api/policy").await.0.starts_with("http/1.1 200"));
    let mut reads = tokio::task::JoinSet::new();
    for mut s in flood {
        reads.spawn(async move {
            let mut buf = [0u8; 64];
            tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf))
                .await
                .is_ok_and(|r| !matches!(r, Ok(n) if n > 0))
        });
    }
    let closed = reads.join_all().await.into_iter().filter(|c| *c).count();
    assert_eq!(closed, FLOOD, "every silent connection is closed by the server");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await.unwrap().unwrap();
}

/// `[http.tls]` in a configuration file: paths relative to the file, the
/// handshake timeout checked with its key named.
#[test]
fn config_keys_are_read_and_checked() {
    use matrixauth_server::config::File;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[http.tls]\ncert = \"tls/cert.pem\"\nkey = \"/etc/k.pem\"\nhandshake_timeout_seconds = 5\n",
    )
    .unwrap();
    let tls = File::load(&path).unwrap().http.tls.unwrap();
    assert_eq!(tls.cert, dir.path().join("tls/cert.pem"));
    assert_eq!(tls.key, PathBuf::from("/etc/k.pem"));
    assert_eq!(tls.handshake_timeout_seconds, Some(5));
    std::fs::write(&path, "[http.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\nhandshake_timeout_seconds = 0\n")
        .unwrap();
    let e = File::load(&path).unwrap_err();
    assert!(e.contains("http.tls.handshake_timeout_seconds = 0"), "{e}");
    std::fs::write(&path, "[http.tls]\ncert = \"c.pem\"\n").unwrap();
    let e = File::load(&path).unwrap_err();
    assert!(e.contains("key"), "a certificate without its key: {e}");
    std::fs::write(&path, "[database]\nurl = \"postgres://u:secret@db.example/mx?sslmode=allow\"\n").unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(&path, perms).unwrap();
    let e = File::load(&path).unwrap_err();
    assert!(e.contains("database.url") && e.contains("sslmode") && !e.contains("secret"), "{e}");
}
