#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! RadSec (RADIUS over TLS, RFC 6614): the listener with a rustls client,
//! certificates made by rcgen. A client is known by its certificate; the
//! stream carries packets back to back, framed by their length fields.
//! (radsecproxy, the real peer, is in scripts/radsec-test.sh.)

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use matrixauth_server::doors::radius::radsec::{self, Bounds, Counters};
use matrixauth_server::doors::radius::{Action, Client, Flow, Radius};
use matrixauth_server::keys;
use matrixauth_server::login::Login;
use matrixauth_server::store::Store;
use radius::{Attribute, Code, Packet, attr};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];
const SECRET: &[u8] = b"radsec";

/// A certificate and its key, DER.
struct Leaf {
    cert: CertificateDer<'static>,
    key: Vec<u8>,
    pem: (String, String),
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(issuer: &CertifiedIssuer<'static, KeyPair>, cn: &str, server: bool) -> Leaf {
    leaf_with(issuer, cn, server, |_| {})
}

fn leaf_with(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    cn: &str,
    server: bool,
    more: impl FnOnce(&mut CertificateParams),
) -> Leaf {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    more(&mut params);
    params.distinguished_name.push(DnType::CommonName, cn);
    if server {
        params.subject_alt_names = vec![SanType::IpAddress("127.0.0.1".parse().unwrap())];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    } else {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    }
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    Leaf { cert: cert.der().clone(), key: key.serialize_der(), pem: (cert.pem(), key.serialize_pem()) }
}

struct H {
    addr: SocketAddr,
    login: Arc<Login>,
    radius: Arc<Radius>,
    counters: Arc<Counters>,
    ca: CertifiedIssuer<'static, KeyPair>,
    known: Leaf,
    unknown: Leaf,
    rogue: Leaf,
    expired: Leaf,
    _dir: tempfile::TempDir,
}

/// A RadSec listener on a free port whose one client, `vpn-tls`, is known
/// by the fingerprint of `known` (challenge flow); `alice` is enrolled.
async fn harness() -> H {
    harness_with(Bounds { max_connections: 8, ..Bounds::default() }).await
}

async fn harness_with(bounds: Bounds) -> H {
    let dir = tempfile::tempdir().unwrap();
    let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
    let store = Store::open(
        &dir.path().join("matrixauth.db"),
        keyring.clone(),
        matrixauth_server::store::Migrate::Yes,
    )
    .unwrap();
    let login = common::login(store, keyring.clone(), matrixauth_server::login::system_clock());
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    let sealed = cred.seal(&keyring, "alice").unwrap();
    assert!(login.store().create_user("alice", &sealed, &mx::UserState::new(), login.now(), &[]).unwrap());

    let ca = new_ca("test CA");
    let server = leaf(&ca, "matrixauth", true);
    let known = leaf(&ca, "vpn-tls", false);
    let unknown = leaf(&ca, "not-a-client", false);
    // The same subject as the known client, from another CA of the same name.
    let rogue = leaf(&new_ca("test CA"), "vpn-tls", false);
    // The right CA, and listed below, but expired.
    let expired = leaf_with(&ca, "vpn-tls", false, |p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    let (cert, key, ca_file) =
        (dir.path().join("server.pem"), dir.path().join("server.key"), dir.path().join("ca.pem"));
    std::fs::write(&cert, &server.pem.0).unwrap();
    std::fs::write(&key, &server.pem.1).unwrap();
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let tls = radsec::server_config(&cert, &key, &ca_file).unwrap();

    let print = radsec::fingerprint_hex(&radsec::fingerprint(&known.cert));
    let expired_print = radsec::fingerprint_hex(&radsec::fingerprint(&expired.cert));
    let client = Client::radsec("vpn-tls", &[print, expired_print], Flow::Challenge, false, false).unwrap();
    let radius = Arc::new(Radius::new(Arc::clone(&login), vec![client]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    tokio::spawn(radsec::serve(listener, tls, Arc::clone(&radius), bounds, Arc::clone(&counters)));
    H { addr, login, radius, counters, ca, known, unknown, rogue, expired, _dir: dir }
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

impl H {
    /// A TLS connection presenting `client` (none: no certificate).
    async fn connect(&self, client: Option<&Leaf>) -> std::io::Result<Tls> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.der().clone()).unwrap();
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = match client {
            Some(c) => builder
                .with_client_auth_cert(
                    vec![c.cert.clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key.clone())),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        let name = ServerName::IpAddress("127.0.0.1".parse::<std::net::IpAddr>().unwrap().into());
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await
    }

    fn audit(&self) -> String {
        self.login.store().audit(None).unwrap().join("\n")
    }

    /// Waits (bounded) for an audit line holding `needle`.
    async fn audited(&self, needle: &str) -> String {
        for _ in 0..100 {
            let audit = self.audit();
            if audit.contains(needle) {
                return audit;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no audit line with {needle}: {}", self.audit());
    }
}

/// An Access-Request (with Message-Authenticator, secret `radsec`).
fn request(id: u8, user: &str, password: &str, state: Option<&[u8]>) -> (Packet, Vec<u8>) {
    let mut auth = [0u8; 16];
    auth[0] = id;
    auth[1..].copy_from_slice(&getrandom_bytes());
    let mut attributes = vec![
        Attribute::new(attr::USER_NAME, user.as_bytes()).unwrap(),
        Attribute::new(
            attr::USER_PASSWORD,
            &radius::hide_password(SECRET, &auth, password.as_bytes()).unwrap(),
        )
        .unwrap(),
    ];
    if let Some(s) = state {
        attributes.push(Attribute::new(attr::STATE, s).unwrap());
    }
    let p = Packet { code: Code::AccessRequest, identifier: id, authenticator: auth, attributes };
    let wire = p.encode_request(SECRET).unwrap();
    (p, wire)
}

fn getrandom_bytes() -> [u8; 15] {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let mut out = [0u8; 15];
    out[..8].copy_from_slice(&n.to_be_bytes());
    out[8..].copy_from_slice(&t.to_be_bytes()[9..]);
    out
}

/// Reads one reply off the stream (bounded in time).
async fn read_reply(tls: &mut Tls) -> Vec<u8> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut header = [0u8; 4];
        tls.read_exact(&mut header).await.unwrap();
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let mut packet = vec![0u8; len];
        packet[..4].copy_from_slice(&header);
        tls.read_exact(&mut packet[4..]).await.unwrap();
        packet
    })
    .await
    .expect("a reply in time")
}

/// Whether the server closed the stream (EOF or an error, within 10 s).
async fn closed(tls: &mut Tls) -> bool {
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

fn text(p: &Packet) -> String {
    p.all(attr::REPLY_MESSAGE).map(|a| String::from_utf8(a.value().to_vec()).unwrap()).collect()
}

fn answer_from(text: &str) -> String {
    let matrix = mx::Matrix::parse_text(text.split_once('\n').unwrap().1).unwrap();
    mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().respond_matrix(&matrix).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_certificate_logs_in_and_packets_are_framed_by_their_length() {
    let h = harness().await;
    let mut tls = h.connect(Some(&h.known)).await.unwrap();
    // Two packets in one write (one TLS record, one TCP segment): two replies, matched by Identifier.
    let (a, wire_a) = request(1, "alice", "", None);
    let (b, wire_b) = request(2, "nobody-here", "", None);
    tls.write_all(&[wire_a.clone(), wire_b].concat()).await.unwrap();
    tls.flush().await.unwrap();
    let mut replies = [read_reply(&mut tls).await, read_reply(&mut tls).await];
    replies.sort_by_key(|r| r[1]);
    for (req, bytes) in [(&a, &replies[0]), (&b, &replies[1])] {
        assert!(radius::response_is_authentic(SECRET, &req.authenticator, bytes), "signed with \"radsec\"");
        assert_eq!(Packet::decode(bytes).unwrap().code, Code::AccessChallenge);
    }
    let challenge = Packet::decode(&replies[0]).unwrap();
    let state = challenge.get(attr::STATE).unwrap().to_vec();
    // One packet split across writes (TLS records and TCP segments of their own): one reply.
    let (c, wire_c) = request(3, "alice", &answer_from(&text(&challenge)), Some(&state));
    // Split inside the length field and inside the attributes: three writes.
    for part in [&wire_c[..3], &wire_c[3..25], &wire_c[25..]] {
        tls.write_all(part).await.unwrap();
        tls.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let accept = read_reply(&mut tls).await;
    assert!(radius::response_is_authentic(SECRET, &c.authenticator, &accept));
    let accept = Packet::decode(&accept).unwrap();
    assert_eq!(accept.code, Code::AccessAccept, "{}", text(&accept));
    // The same request again on the stream (a retransmission) gets the same reply from the cache.
    tls.write_all(&wire_a).await.unwrap();
    assert_eq!(read_reply(&mut tls).await, replies[0]);
    let audit = h.audit();
    assert!(audit.contains("\"client\":\"vpn-tls\"") && audit.contains("\"decision\":\"accept\""), "{audit}");
    assert!(!audit.contains("radsec_refused"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_is_its_certificate_not_its_address() {
    let h = harness().await;
    // The same packet as a datagram from 127.0.0.1 with the secret "radsec": no UDP client there.
    let (_, wire) = request(9, "alice", "", None);
    assert_eq!(
        h.radius.handle(&wire, "127.0.0.1:5000".parse().unwrap()),
        Action::Drop("unknown client address")
    );
    assert!(h.radius.radsec_client(&radsec::fingerprint(&h.known.cert)).is_some());
    assert!(h.radius.radsec_client(&radsec::fingerprint(&h.unknown.cert)).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_certificate_no_client_names_is_refused_and_audited() {
    let h = harness().await;
    let print = radsec::fingerprint_hex(&radsec::fingerprint(&h.unknown.cert));
    // The handshake completes (the CA is right); then the server closes without reading.
    let mut tls = h.connect(Some(&h.unknown)).await.unwrap();
    let (_, wire) = request(1, "alice", "", None);
    let _ = tls.write_all(&wire).await;
    assert!(closed(&mut tls).await, "the connection was closed");
    let audit = h.audited("\"reason\":\"unknown_certificate\"").await;
    assert!(audit.contains(&format!("\"fingerprint\":\"{print}\"")), "{audit}");
    assert!(
        audit.contains("\"event\":\"radsec_refused\"") && audit.contains("\"peer\":\"127.0.0.1:"),
        "{audit}"
    );
    assert!(!audit.contains("\"event\":\"radius\""), "no request was handled: {audit}");
    assert_eq!(h.counters.refused.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_or_missing_certificate_is_refused_at_the_handshake_and_audited() {
    let h = harness().await;
    // TLS 1.3: the client may finish before the server has checked its certificate; the server's
    // alert then arrives on the first read.
    if let Ok(mut tls) = h.connect(Some(&h.rogue)).await {
        let (_, wire) = request(1, "alice", "", None);
        let _ = tls.write_all(&wire).await;
        assert!(closed(&mut tls).await);
    }
    let audit = h.audited("\"reason\":\"untrusted_certificate\"").await;
    assert!(audit.contains("\"fingerprint\":null"), "{audit}");
    if let Ok(mut tls) = h.connect(None).await {
        assert!(closed(&mut tls).await);
    }
    h.audited("\"reason\":\"no_certificate\"").await;
    // Listed, but expired: refused at the handshake all the same.
    if let Ok(mut tls) = h.connect(Some(&h.expired)).await {
        let (_, wire) = request(2, "alice", "", None);
        let _ = tls.write_all(&wire).await;
        assert!(closed(&mut tls).await);
    }
    h.audited("certificate expired").await;
    assert!(!h.audit().contains("\"event\":\"radius\""), "no request was handled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_length_closes_the_connection_and_the_listener_goes_on() {
    let h = harness().await;
    for length in [0u16, 19, 4097, u16::MAX] {
        let mut tls = h.connect(Some(&h.known)).await.unwrap();
        let mut bogus = vec![1u8, 7];
        bogus.extend_from_slice(&length.to_be_bytes());
        bogus.extend_from_slice(&[0u8; 16]);
        tls.write_all(&bogus).await.unwrap();
        tls.flush().await.unwrap();
        assert!(closed(&mut tls).await, "length {length}: closed");
    }
    assert_eq!(h.counters.malformed.load(Ordering::SeqCst), 4);
    // A connection cut in the middle of a packet is no harm either.
    let mut tls = h.connect(Some(&h.known)).await.unwrap();
    let (_, wire) = request(1, "alice", "", None);
    tls.write_all(&wire[..10]).await.unwrap();
    drop(tls);
    // The listener still serves.
    let mut tls = h.connect(Some(&h.known)).await.unwrap();
    let (req, wire) = request(2, "alice", "", None);
    tls.write_all(&wire).await.unwrap();
    let reply = read_reply(&mut tls).await;
    assert!(radius::response_is_authentic(SECRET, &req.authenticator, &reply));
}

#[test]
fn fingerprints_are_read_as_openssl_prints_them() {
    let hex = "AB".repeat(32);
    let colons = vec!["AB"; 32].join(":");
    for text in [
        hex.clone(),
        hex.to_lowercase(),
        colons.clone(),
        format!("sha256 Fingerprint={colons}"),
        format!("sha256:{hex}"),
    ] {
        assert_eq!(radsec::parse_fingerprint(&text).unwrap(), [0xab; 32], "{text}");
    }
    for bad in ["", "AB", &"AB".repeat(31), &"ZZ".repeat(32), &"é".repeat(32)] {
        assert!(radsec::parse_fingerprint(bad).is_err(), "{bad}");
    }
    assert!(Client::radsec("vpn", &[], Flow::Otp, false, false).is_err(), "at least one certificate");
    assert!(Client::radsec("vpn", &["nonsense".into()], Flow::Otp, false, false).is_err());
}

/// `serve --config` with `text` in a folder holding the harness's PEM files
/// (`server.pem`, `server.key`, `ca.pem`, `other.key`): its error output.
fn config_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ca = new_ca("test CA");
    let server = leaf(&ca, "matrixauth", true);
    let other = leaf(&ca, "other", true);
    std::fs::write(dir.path().join("server.pem"), &server.pem.0).unwrap();
    std::fs::write(dir.path().join("server.key"), &server.pem.1).unwrap();
    std::fs::write(dir.path().join("other.key"), &other.pem.1).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    let expired = leaf_with(&ca, "matrixauth", true, |p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    std::fs::write(dir.path().join("expired.pem"), &expired.pem.0).unwrap();
    std::fs::write(dir.path().join("expired.key"), &expired.pem.1).unwrap();
    let path = dir.path().join("matrixauth.toml");
    std::fs::write(&path, text).unwrap();
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_matrixauth"))
        .args(["serve", "--no-first-invitation", "--port", "0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2), "{text}: {}", String::from_utf8_lossy(&res.stdout));
    String::from_utf8(res.stderr).unwrap()
}

#[test]
fn bad_radsec_settings_are_refused_naming_the_key_or_file() {
    let print = "AB".repeat(32);
    let base = |tls: &str, client: &str| {
        format!(
            "[radius.radsec]\nlisten = \"127.0.0.1:0\"\n{tls}\n[[radius.radsec.client]]\nname = \"vpn\"\nflow = \"otp\"\n{client}\n"
        )
    };
    let good_tls = "cert = \"server.pem\"\nkey = \"server.key\"\nca = \"ca.pem\"";
    let good_client = format!("certificates = [\"{print}\"]");
    for (text, error) in [
        (
            base(good_tls, "certificates = [\"AB:CD\"]"),
            "client vpn: certificates: \"AB:CD\" is not a SHA-256 fingerprint",
        ),
        (base(good_tls, "certificates = []"), "client vpn: certificates: give at least one"),
        (base(good_tls, "certificates = [\"x\"]\nsecret = \"0123456789abcdef\""), "unknown field `secret`"),
        (base(&good_tls.replace("server.pem", "missing.pem"), &good_client), "radius.radsec.cert: "),
        (base(&good_tls.replace("ca.pem", "server.key"), &good_client), "radius.radsec.ca: "),
        (base(&good_tls.replace("server.key", "other.key"), &good_client), "radius.radsec.cert and .key: "),
        (
            base(
                &good_tls.replace("server.pem", "expired.pem").replace("server.key", "expired.key"),
                &good_client,
            ),
            "expired.pem: the certificate expired at 2021-01-01",
        ),
        (
            base(&format!("{good_tls}\nmax_connections = 0"), &good_client),
            "radius.radsec.max_connections = 0",
        ),
        (base(&format!("{good_tls}\nidle_seconds = 0"), &good_client), "radius.radsec.idle_seconds = 0"),
        (
            base(&format!("{good_tls}\nhandshake_seconds = 301"), &good_client),
            "radius.radsec.handshake_seconds = 301",
        ),
        (
            base(good_tls, &good_client).replace("127.0.0.1:0", "127.0.0.1"),
            "radius.radsec.listen = \"127.0.0.1\"",
        ),
        (
            format!("[radius.radsec]\nlisten = \"127.0.0.1:0\"\n{good_tls}\n"),
            "[radius.radsec]: no [[radius.radsec.client]] entries",
        ),
        ("[radius]\n".to_owned(), "[radius] needs listen (UDP) or [radius.radsec], or both"),
    ] {
        let e = config_error(&text);
        assert!(e.contains(error), "{text}\n=> {e}");
    }
    // The file that could not be read is named.
    let e = config_error(&base(&good_tls.replace("server.pem", "missing.pem"), &good_client));
    assert!(e.contains("missing.pem"), "{e}");
}

#[test]
fn a_certificates_validity_is_read_in_both_time_forms() {
    let ca = new_ca("test CA");
    // rcgen's defaults: 1975 (a UTCTime) to 4096 (a GeneralizedTime).
    let default = leaf(&ca, "a", false);
    assert_eq!(radsec::validity(&default.cert), Some((157_766_400, 67_090_118_400)));
    let expired = leaf_with(&ca, "b", false, |p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    assert_eq!(radsec::validity(&expired.cert), Some((1_577_836_800, 1_609_459_200)));
    assert_eq!(radsec::validity(b"not a certificate"), None);
    assert_eq!(radsec::validity(&default.cert[..40]), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_is_bounded_and_the_established_client_keeps_its_replies() {
    let h = harness_with(Bounds { max_connections: 4, ..Bounds::default() }).await;
    let mut tls = h.connect(Some(&h.known)).await.unwrap();
    // Three more connections that never start TLS fill the slots; those past them are closed.
    let mut flood = Vec::new();
    for _ in 0..10 {
        flood.push(tokio::net::TcpStream::connect(h.addr).await.unwrap());
    }
    for _ in 0..200 {
        if h.counters.over_limit.load(Ordering::SeqCst) >= 7 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(h.counters.over_limit.load(Ordering::SeqCst), 7, "4 slots: 1 client and 3 of the flood");
    // The established client is served all the same.
    let (req, wire) = request(1, "alice", "", None);
    tls.write_all(&wire).await.unwrap();
    let reply = read_reply(&mut tls).await;
    assert!(radius::response_is_authentic(SECRET, &req.authenticator, &reply));
    // The flood gone, a new client connects again.
    drop(flood);
    let mut again = None;
    for _ in 0..200 {
        if let Ok(mut t) = h.connect(Some(&h.known)).await {
            let (req, wire) = request(2, "alice", "", None);
            if t.write_all(&wire).await.is_ok() {
                let mut header = [0u8; 4];
                if let Ok(Ok(_)) =
                    tokio::time::timeout(Duration::from_secs(2), t.read_exact(&mut header)).await
                {
                    again = Some(req);
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(again.is_some(), "a new connection is served once the flood is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_idle_connections_are_closed() {
    let bounds =
        Bounds { max_connections: 8, idle: Duration::from_secs(1), handshake: Duration::from_secs(1) };
    let h = harness_with(bounds).await;
    // No TLS at all: closed when the handshake time is up.
    let mut silent = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "closed: {read:?}");
    // A client that says nothing after the handshake: closed when idle.
    let mut tls = h.connect(Some(&h.known)).await.unwrap();
    assert!(closed(&mut tls).await);
    assert!(!h.audit().contains("radsec_refused"), "neither is a refused certificate");
    assert!(h.counters.handshake_failed.load(Ordering::SeqCst) >= 1);
}
