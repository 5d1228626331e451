//! RadSec: RADIUS over TLS (RFC 6614), TCP port 2083.
//!
//! Mutual TLS: the client must present a certificate that chains to
//! `radius.radsec.ca`, and whose SHA-256 fingerprint a
//! `[[radius.radsec.client]]` names; that entry is the client (its name,
//! flow, tickets, first factor, rate limit). The address plays no part.
//! A connection refused for its certificate is audited (`radsec_refused`).
//!
//! On the stream, RADIUS packets follow each other, each framed by its own
//! length field; several may be outstanding, and replies go back as they
//! are ready, in any order. Each packet is handled by the UDP door's own
//! code ([`Radius::handle_radsec`]) with the secret `radsec` (RFC 6614
//! §2.3): the BlastRADIUS rules, the retransmission cache, the rate limits
//! and the login service are the same.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::Digest as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{Action, Radius, RadsecClient};

/// The bounds of the RadSec listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Connections open at once at most; a connection past it is closed at
    /// once.
    pub max_connections: usize,
    /// A connection that sends no packet for this long is closed.
    pub idle: Duration,
    /// A TLS handshake that takes longer is abandoned.
    pub handshake: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_connections: Bounds::MAX_CONNECTIONS,
            idle: Duration::from_secs(Bounds::IDLE_SECONDS),
            handshake: Duration::from_secs(Bounds::HANDSHAKE_SECONDS),
        }
    }
}

impl Bounds {
    /// Default of `radius.radsec.max_connections`.
    pub const MAX_CONNECTIONS: usize = 64;
    /// Default of `radius.radsec.idle_seconds`.
    pub const IDLE_SECONDS: u64 = 300;
    /// Default of `radius.radsec.handshake_seconds`.
    pub const HANDSHAKE_SECONDS: u64 = 10;
}

/// Requests outstanding on one connection at most: past it, the
/// connection is not read until a reply has gone out (RADIUS has 256
/// identifiers).
const MAX_OUTSTANDING: usize = 256;

/// Refusals audited a minute at most: a flood of bad certificates is
/// counted in the log, not written line by line into the audit log.
const AUDITS_PER_MINUTE: u32 = 60;

/// The SHA-256 fingerprint of a certificate (its DER bytes).
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(der).into()
}

/// A fingerprint as lower-case hex, as the audit log writes it.
pub fn fingerprint_hex(fingerprint: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    fingerprint.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Parses a SHA-256 fingerprint: 64 hex digits, in either case, with or
/// without colons (`openssl x509 -fingerprint -sha256 -noout` prints
/// `sha256 Fingerprint=AB:CD:…`; a `sha256:` or `SHA256 Fingerprint=`
/// prefix is allowed).
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    let t = t.rsplit_once('=').map_or(t, |(_, v)| v);
    let t = t.strip_prefix("sha256:").or_else(|| t.strip_prefix("SHA256:")).unwrap_or(t);
    let hex: String = t.chars().filter(|c| *c != ':').collect();
    let mut out = [0u8; 32];
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(format!("{text:?} is not a SHA-256 fingerprint (64 hex digits)"));
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("{text:?} is not a SHA-256 fingerprint (64 hex digits)"))?;
    }
    Ok(out)
}

/// The TLS configuration of the listener: its certificate chain (`cert`,
/// PEM, leaf first) and private key (`key`, PEM), and the CA certificates
/// (`ca`, PEM) that client certificates must chain to. TLS 1.2 and 1.3
/// only; a client certificate is required. Each error names the file.
pub fn server_config(cert: &Path, key: &Path, ca: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs = read_certs(cert, "radius.radsec.cert")?;
    let now = jiff::Timestamp::now().as_second();
    match certs.first().and_then(|c| validity(c)) {
        None => {
            return Err(format!(
                "radius.radsec.cert: {}: the first certificate cannot be read",
                cert.display()
            ));
        }
        Some((_, until)) if until < now => {
            return Err(format!(
                "radius.radsec.cert: {}: the certificate expired at {}",
                cert.display(),
                crate::when::utc(u64::try_from(until).unwrap_or(0))
            ));
        }
        Some((from, _)) if from > now => {
            return Err(format!(
                "radius.radsec.cert: {}: the certificate is not valid before {}",
                cert.display(),
                crate::when::utc(u64::try_from(from).unwrap_or(0))
            ));
        }
        Some(_) => {}
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("radius.radsec.key: {}: no PEM private key ({e})", key.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in read_certs(ca, "radius.radsec.ca")? {
        roots.add(c).map_err(|e| format!("radius.radsec.ca: {}: {e}", ca.display()))?;
    }
    // ring, not aws-lc-rs (which needs a C toolchain build of its own); rustls 0.23.48 marks the
    // ring provider deprecated for its lack of post-quantum key exchange, which RadSec peers
    // (radsecproxy on OpenSSL 3.0) do not offer anyway.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .map_err(|e| format!("radius.radsec.ca: {}: {e}", ca.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("radius.radsec: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key_der)
        .map_err(|e| {
            format!("radius.radsec.cert and .key: {} with {}: {e}", cert.display(), key.display())
        })?;
    Ok(Arc::new(config))
}

/// The validity period of a DER certificate (notBefore, notAfter, Unix
/// seconds), read from its `TBSCertificate` (RFC 5280 §4.1); `None` if it
/// does not have that shape.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (_, certificate, _) = tlv(der)?;
    let (_, tbs, _) = tlv(certificate)?;
    let mut rest = tbs;
    // [0] EXPLICIT version, when present.
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    // serialNumber, signature, issuer.
    for _ in 0..3 {
        rest = tlv(rest)?.2;
    }
    let (_, validity, _) = tlv(rest)?;
    let (tag_from, from, rest) = tlv(validity)?;
    let (tag_until, until, _) = tlv(rest)?;
    Some((der_time(tag_from, from)?, der_time(tag_until, until)?))
}

/// One DER element: (tag, value, what follows).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, bytes) = bytes.split_first()?;
    let (&first, bytes) = bytes.split_first()?;
    let (length, bytes) = if first < 0x80 {
        (usize::from(first), bytes)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (octets, bytes) = bytes.split_at_checked(n)?;
        (octets.iter().fold(0usize, |a, b| a << 8 | usize::from(*b)), bytes)
    };
    let (value, rest) = bytes.split_at_checked(length)?;
    Some((tag, value, rest))
}

/// A UTCTime (tag 0x17, `YYMMDDHHMMSSZ`) or GeneralizedTime (0x18,
/// `YYYYMMDDHHMMSSZ`) as Unix seconds.
fn der_time(tag: u8, value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i16 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    if rest.len() != 10 {
        return None;
    }
    let two = |i: usize| rest.get(i..i + 2).and_then(|d| d.parse::<i8>().ok());
    let time = jiff::civil::DateTime::new(year, two(0)?, two(2)?, two(4)?, two(6)?, two(8)?, 0).ok()?;
    Some(time.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second())
}

fn read_certs(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("{key}: {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{key}: {}: no PEM certificate in it", path.display()));
    }
    Ok(certs)
}

/// What the listener counts (for the log and tests).
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections refused for their certificate.
    pub refused: AtomicU64,
    /// Connections closed because `max_connections` were open.
    pub over_limit: AtomicU64,
    /// Handshakes that failed for another reason (not TLS, timeout).
    pub handshake_failed: AtomicU64,
    /// Connections closed for a malformed length field.
    pub malformed: AtomicU64,
}

/// The listener's shared state.
struct Shared {
    radius: Arc<Radius>,
    tls: tokio_rustls::TlsAcceptor,
    bounds: Bounds,
    counters: Arc<Counters>,
    /// (minute, refusals audited in it).
    audits: Mutex<(u64, u32)>,
}

/// Serves RadSec on `listener` until the task is dropped. Every minute,
/// drops over the rate limits not yet reported get their summary line.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    radius: Arc<Radius>,
    bounds: Bounds,
    counters: Arc<Counters>,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(bounds.max_connections.max(1)));
    let shared = Arc::new(Shared {
        radius,
        tls: tokio_rustls::TlsAcceptor::from(tls),
        bounds,
        counters,
        audits: Mutex::new((0, 0)),
    });
    let mut report = tokio::time::interval(Duration::from_secs(super::rate::REPORT_SECONDS));
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // The rate limits' summary lines, as the UDP listener writes them (a server may
            // have RadSec only; with both, a line is written once all the same).
            _ = report.tick() => {
                let r = Arc::clone(&shared.radius);
                tokio::task::spawn_blocking(move || r.report_rate_drops());
                continue;
            }
        };
        // Out of file descriptors and the like: wait a little rather than spin.
        let Ok((tcp, peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            let n = shared.counters.over_limit.fetch_add(1, Ordering::Relaxed);
            if n < 20 || n.is_multiple_of(1000) {
                crate::warn!(
                    "matrixauth radsec: closed a connection from {peer}: {} connections open \
                     (radius.radsec.max_connections; {} closed so far)",
                    shared.bounds.max_connections,
                    n + 1
                );
            }
            drop(tcp);
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            connection(&shared, tcp, peer).await;
            drop(slot);
        });
    }
}

/// One connection: the handshake, the client's certificate, then its packets.
async fn connection(shared: &Arc<Shared>, tcp: tokio::net::TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let stream = match tokio::time::timeout(shared.bounds.handshake, shared.tls.accept(tcp)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let refusal =
                e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).and_then(|e| match e {
                    rustls::Error::InvalidCertificate(_) => Some("untrusted_certificate"),
                    rustls::Error::NoCertificatesPresented => Some("no_certificate"),
                    _ => None,
                });
            match refusal {
                Some(reason) => refuse(shared, peer, reason, &e.to_string(), None).await,
                None => handshake_failed(shared, peer, &e.to_string()),
            }
            return;
        }
        Err(_) => {
            handshake_failed(shared, peer, "the handshake timed out (radius.radsec.handshake_seconds)");
            return;
        }
    };
    let leaf = stream.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| fingerprint(c));
    let Some(print) = leaf else {
        refuse(shared, peer, "no_certificate", "", None).await;
        return;
    };
    let Some(client) = shared.radius.radsec_client(&print) else {
        refuse(shared, peer, "unknown_certificate", "", Some(print)).await;
        let mut stream = stream;
        let _ = stream.shutdown().await;
        return;
    };
    packets(shared, stream, peer, client).await;
}

/// Reads packets off the stream, hands each to the RADIUS door on the
/// blocking pool, and writes replies as they come.
async fn packets(
    shared: &Arc<Shared>,
    stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    peer: SocketAddr,
    client: RadsecClient,
) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(MAX_OUTSTANDING);
    let outstanding = Arc::new(tokio::sync::Semaphore::new(MAX_OUTSTANDING));
    let idle = shared.bounds.idle;
    let write = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            // A client that stops reading its replies is cut off after the idle time too.
            let sent = tokio::time::timeout(idle, async {
                writer.write_all(&bytes).await?;
                writer.flush().await
            })
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
        }
        let _ = writer.shutdown().await;
    });
    loop {
        let Ok(permit) = Arc::clone(&outstanding).acquire_owned().await else { break };
        let mut header = [0u8; 4];
        match tokio::time::timeout(shared.bounds.idle, reader.read_exact(&mut header)).await {
            Ok(Ok(_)) => {}
            // Closed, broken, or idle for too long.
            Ok(Err(_)) | Err(_) => break,
        }
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if !(radius::MIN_PACKET..=radius::MAX_PACKET).contains(&length) {
            let n = shared.counters.malformed.fetch_add(1, Ordering::Relaxed);
            if n < 20 || n.is_multiple_of(1000) {
                crate::warn!(
                    "matrixauth radsec: closed the connection of {} ({peer}): a packet length of {length}",
                    shared.radius.radsec_client_name(client)
                );
            }
            break;
        }
        let mut rest = vec![0u8; length - header.len()];
        match tokio::time::timeout(shared.bounds.idle, reader.read_exact(&mut rest)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => break,
        }
        let mut packet = header.to_vec();
        packet.append(&mut rest);
        let (radius, tx) = (Arc::clone(&shared.radius), tx.clone());
        tokio::spawn(async move {
            let action =
                tokio::task::spawn_blocking(move || radius.handle_radsec(client, &packet, peer)).await;
            if let Ok(Action::Reply(bytes)) = action {
                let _ = tx.send(bytes).await;
            }
            drop(permit);
        });
    }
    // Replies still being worked out go out before the writer closes the stream.
    drop(tx);
    let _ = write.await;
}

fn handshake_failed(shared: &Shared, peer: SocketAddr, why: &str) {
    let n = shared.counters.handshake_failed.fetch_add(1, Ordering::Relaxed);
    if n < 20 || n.is_multiple_of(1000) {
        crate::warn!("matrixauth radsec: no TLS session with {peer}: {why} ({} so far)", n + 1);
    }
}

/// Logs and audits a connection refused for its certificate (at most
/// [`AUDITS_PER_MINUTE`] audit lines a minute; the rest are counted in the log).
async fn refuse(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    reason: &'static str,
    detail: &str,
    print: Option<[u8; 32]>,
) {
    let n = shared.counters.refused.fetch_add(1, Ordering::Relaxed);
    let now = shared.radius.login.now();
    let audit = {
        let mut audits = shared.audits.lock().unwrap_or_else(PoisonError::into_inner);
        if audits.0 != now / 60 {
            *audits = (now / 60, 0);
        }
        audits.1 += 1;
        audits.1 <= AUDITS_PER_MINUTE
    };
    if n < 20 || n.is_multiple_of(1000) {
        let mut why = reason.to_owned();
        for part in
            [detail.to_owned(), print.map(|p| format!("sha256 {}", fingerprint_hex(&p))).unwrap_or_default()]
        {
            if !part.is_empty() {
                why = format!("{why}, {part}");
            }
        }
        let more = if audit { "" } else { "; over 60 a minute, not all audited" };
        crate::warn!("matrixauth radsec: refused {peer}: {why} ({} refused so far{more})", n + 1);
    }
    if !audit {
        return;
    }
    let (radius, detail) = (Arc::clone(&shared.radius), detail.to_owned());
    let written = tokio::task::spawn_blocking(move || {
        radius.refuse_radsec_client(peer, reason, &detail, print.as_ref())
    })
    .await;
    if let Ok(Err(e)) = written {
        crate::warn!("matrixauth radsec: cannot audit the refusal of {peer}: {e}");
    }
}
