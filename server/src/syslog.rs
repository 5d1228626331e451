//! Every audit line of this node to a syslog collector (`syslog.target`):
//! RFC 5424 messages over UDP (RFC 5426), TCP (RFC 6587 octet counting) or
//! TLS (RFC 5425).
//!
//! The database's audit log stays the record. The sender never sits on a
//! login's path: the store's commit only moves a watch of this node's last
//! sequence number ([`crate::store::chain::Chain::subscribe`]), and the
//! sender, a task of its own, reads the rows after the last one it
//! delivered from the store ([`crate::store::Store::audit_after`]), a batch
//! at a time. A collector that is down or refusing costs a login nothing:
//! its lines are counted as dropped, reported on standard error (at most a
//! line a minute), and sent from the database once it is back, in order,
//! each once. `docs/OPERATIONS.md` ("Syslog") says what is and is not
//! guaranteed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::login::Login;
use crate::store::chain::ChainRow;

/// Lines read from the store and sent at a time.
pub const BATCH: usize = 256;

/// The longest wait between two tries to reach a collector that is down.
pub const MAX_RETRY: Duration = Duration::from_secs(8);

/// How often the store is read even without a commit of this process (lines
/// an admin command wrote under the same node name).
pub const POLL: Duration = Duration::from_secs(5);

/// The facilities by name (RFC 5424 §6.2.1).
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7",
];

/// The transport of a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `udp://`: one datagram a message (RFC 5426); delivery is not known.
    Udp,
    /// `tcp://`: octet-counting framing (RFC 6587 §3.4.1).
    Tcp,
    /// `tls://`: octet-counting framing over TLS 1.2/1.3 (RFC 5425).
    Tls,
}

/// Where the lines go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The transport.
    pub transport: Transport,
    /// The collector's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl Target {
    /// Parses `udp://host:port`, `tcp://host:port` or `tls://host:port`
    /// (an IPv6 address in brackets).
    pub fn parse(text: &str) -> Result<Target, String> {
        let err = || format!("{text:?}: expected udp://host:port, tcp://host:port or tls://host:port");
        let (scheme, rest) = text.split_once("://").ok_or_else(err)?;
        let transport = match scheme {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            _ => return Err(err()),
        };
        let (host, port) = rest.rsplit_once(':').ok_or_else(err)?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or_else(err)?;
        if host.is_empty() || host.chars().any(|c| !(c.is_ascii_alphanumeric() || ".-_:".contains(c))) {
            return Err(err());
        }
        Ok(Target { transport, host: host.to_owned(), port })
    }
}

/// The facility number of a name ([`FACILITIES`]).
pub fn facility(name: &str) -> Result<u8, String> {
    FACILITIES
        .iter()
        .position(|f| *f == name)
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| format!("{name:?}: one of {}", FACILITIES.join(", ")))
}

/// How to send.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The collector.
    pub target: Target,
    /// The facility (default 10, `authpriv`).
    pub facility: u8,
    /// The CA certificates (PEM) a `tls://` collector's certificate must
    /// chain to.
    pub ca: Option<PathBuf>,
    /// The HOSTNAME field (default: the host's name).
    pub hostname: String,
    /// A file remembering the last sequence number delivered, so a restart
    /// of the server sends what it had not (`None`: start from the chain's
    /// head at start).
    pub state: Option<PathBuf>,
}

/// The sender's counts, read by `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Lines delivered (written to a TCP/TLS connection, or sent as a datagram).
    pub sent: AtomicU64,
    /// Lines that could not be sent when they were committed (collector
    /// down, refusing, or the connection lost): each counted once, and sent
    /// later from the database.
    pub dropped: AtomicU64,
    /// Lines sent late, from the database, after a drop.
    pub resent: AtomicU64,
    /// Lines committed and not yet delivered.
    pub backlog: AtomicU64,
    /// Whether a connection to the collector is open (UDP: the last send worked).
    pub up: AtomicBool,
    /// Times the sender stopped at a line that is not the chain's next
    /// genuine one (a row inserted or renumbered in the database).
    pub tampered: AtomicU64,
}

impl Stats {
    /// Adds the sender's metrics to an exposition.
    pub fn expose(&self, e: &mut crate::metrics::Exposition) {
        for (name, help, n) in [
            ("matrixauth_syslog_sent_total", "Audit lines delivered to the syslog collector.", &self.sent),
            (
                "matrixauth_syslog_dropped_total",
                "Audit lines that could not be sent when committed (sent later from the database).",
                &self.dropped,
            ),
            (
                "matrixauth_syslog_resent_total",
                "Audit lines sent from the database after the collector came back.",
                &self.resent,
            ),
            (
                "matrixauth_syslog_stopped_total",
                "Times the sender stopped at a line that is not the chain's next genuine one (audit verify).",
                &self.tampered,
            ),
        ] {
            e.help(name, "counter", help);
            e.sample(name, &[], n.load(Ordering::Relaxed));
        }
        e.help(
            "matrixauth_syslog_backlog",
            "gauge",
            "Audit lines committed and not yet delivered to syslog.",
        );
        e.sample("matrixauth_syslog_backlog", &[], self.backlog.load(Ordering::Relaxed));
        e.help("matrixauth_syslog_up", "gauge", "1 while the syslog collector takes lines.");
        e.sample("matrixauth_syslog_up", &[], u64::from(self.up.load(Ordering::Relaxed)));
    }
}

/// The host's name as a HOSTNAME field: printable ASCII, at most 255.
pub fn default_hostname() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String = host.trim().chars().filter(char::is_ascii_graphic).take(255).collect();
    if name.is_empty() { "-".to_owned() } else { name }
}

/// One RFC 5424 message for a stored line (no framing):
/// `<PRI>1 TIMESTAMP HOSTNAME matrixauth PROCID MSGID [meta sequenceId="SEQ"] MSG`,
/// PRI from the facility and the event's severity
/// ([`crate::login::audit::severity`]), TIMESTAMP the line's own `time`
/// (UTC), MSGID the event's name, MSG the line's JSON as stored.
pub fn message(row: &ChainRow, facility: u8, hostname: &str, procid: u32) -> String {
    let v: Option<serde_json::Value> = serde_json::from_str(&row.line).ok();
    let pri = u16::from(facility) * 8 + u16::from(crate::login::audit::severity(&row.line));
    let time = v
        .as_ref()
        .and_then(|v| v.get("time")?.as_i64())
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map_or_else(|| "-".to_owned(), |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    let event: String = v
        .as_ref()
        .and_then(|v| v.get("event")?.as_str().map(str::to_owned))
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_graphic)
        .take(32)
        .collect();
    let msgid = if event.is_empty() { "-".to_owned() } else { event };
    // RFC 5424 §7.3.1: sequenceId is 1 to 2147483647, wrapping.
    let seq = (row.seq.saturating_sub(1) % 2_147_483_647) + 1;
    format!("<{pri}>1 {time} {hostname} matrixauth {procid} {msgid} [meta sequenceId=\"{seq}\"] {}", row.line)
}

/// A message with its octet-counting frame (RFC 6587 §3.4.1, RFC 5425 §4.3).
pub fn frame(message: &str) -> Vec<u8> {
    let mut out = format!("{} ", message.len()).into_bytes();
    out.extend_from_slice(message.as_bytes());
    out
}

/// Checks the settings as `serve` starts (a `tls://` target needs a CA
/// file that reads), so a mistake is an error at start, not a silent outage.
pub fn check(settings: &Settings) -> Result<(), String> {
    if settings.target.transport == Transport::Tls {
        let Some(ca) = &settings.ca else {
            return Err(format!("syslog.target {}: a tls:// target needs syslog.ca", settings.target));
        };
        tls_config(ca)?;
    } else if settings.ca.is_some() {
        return Err(format!("syslog.ca is for a tls:// target, not {}", settings.target));
    }
    Ok(())
}

fn tls_config(ca: &Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("syslog.ca {}: {e}", ca.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("syslog.ca {}: {e}", ca.display()))?;
    for cert in certs {
        roots.add(cert).map_err(|e| format!("syslog.ca {}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("syslog.ca {}: no certificate in it", ca.display()));
    }
    // ring's provider (aws-lc-rs needs cmake and nasm); deprecated in rustls 0.23.48 only for its
    // lack of post-quantum key exchange, which a syslog collector's TLS does not offer either.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("syslog TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Stream for T {}

/// An open way to the collector.
enum Conn {
    Udp(tokio::net::UdpSocket),
    Stream(Box<dyn Stream>),
}

impl Conn {
    async fn open(settings: &Settings, tls: Option<&Arc<rustls::ClientConfig>>) -> std::io::Result<Conn> {
        let t = &settings.target;
        let addr = (t.host.as_str(), t.port);
        let timeout = |e| std::io::Error::new(std::io::ErrorKind::TimedOut, e);
        match t.transport {
            Transport::Udp => {
                let any = if t.host.contains(':') { "[::]:0" } else { "0.0.0.0:0" };
                let socket = tokio::net::UdpSocket::bind(any).await?;
                socket.connect(addr).await?;
                Ok(Conn::Udp(socket))
            }
            Transport::Tcp => {
                let s = tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(addr))
                    .await
                    .map_err(|_| timeout("connect timed out"))??;
                s.set_nodelay(true)?;
                Ok(Conn::Stream(Box::new(s)))
            }
            Transport::Tls => {
                let config = tls.ok_or_else(|| std::io::Error::other("no TLS configuration"))?;
                let name = rustls::pki_types::ServerName::try_from(t.host.clone())
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                let connect = async {
                    let s = tokio::net::TcpStream::connect(addr).await?;
                    s.set_nodelay(true)?;
                    tokio_rustls::TlsConnector::from(Arc::clone(config)).connect(name, s).await
                };
                let s = tokio::time::timeout(Duration::from_secs(10), connect)
                    .await
                    .map_err(|_| timeout("TLS connect timed out"))??;
                Ok(Conn::Stream(Box::new(s)))
            }
        }
    }

    /// Whether the collector closed the connection (it never sends: a read
    /// that ends says so). Checked before each batch, so lines are not
    /// written into a connection the collector already left.
    async fn closed(&mut self) -> bool {
        let Conn::Stream(s) = self else { return false };
        let mut buf = [0u8; 512];
        loop {
            tokio::select! {
                biased;
                r = s.read(&mut buf) => match r {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                },
                () = std::future::ready(()) => return false,
            }
        }
    }

    async fn send(&mut self, message: &str) -> std::io::Result<()> {
        match self {
            Conn::Udp(s) => s.send(message.as_bytes()).await.map(|_| ()),
            Conn::Stream(s) => s.write_all(&frame(message)).await,
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Udp(_) => Ok(()),
            Conn::Stream(s) => s.flush().await,
        }
    }
}

/// Before the sender starts: if `state` does not name a point of this
/// node's chain yet (a first start, or a node renamed), records the chain's
/// head now, so the sender sends every line committed from here on and not
/// the history before it.
pub fn remember_start(login: &Login, state: &Path) -> Result<(), String> {
    let node = login.audit_node();
    if read_state(state, node).is_some() {
        return Ok(());
    }
    let heads = login.store().chain_heads().map_err(|e| e.to_string())?;
    let head = heads.iter().find(|(n, _)| n == node).map_or(0, |(_, h)| h.0);
    write_state(state, node, head).map_err(|e| format!("{}: {e}", state.display()))
}

fn read_state(path: &Path, node: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let (n, seq) = text.trim().split_once(' ')?;
    (n == node).then(|| seq.parse().ok()).flatten()
}

fn write_state(path: &Path, node: &str, seq: u64) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{node} {seq}\n"))?;
    std::fs::rename(&tmp, path)
}

/// Rate-limited lines about the collector on standard error.
struct Reporter {
    last: Option<tokio::time::Instant>,
    down: bool,
}

impl Reporter {
    fn failed(&mut self, target: &Target, e: &std::io::Error, stats: &Stats) {
        let now = tokio::time::Instant::now();
        if !self.down || self.last.is_none_or(|l| now.duration_since(l) >= Duration::from_secs(60)) {
            crate::warn!(
                "matrixauth syslog: cannot send to {target}: {e} ({} lines dropped so far, {} waiting; they \
                 will be sent from the database when it is back)",
                stats.dropped.load(Ordering::Relaxed),
                stats.backlog.load(Ordering::Relaxed)
            );
            self.last = Some(now);
        }
        self.down = true;
    }

    fn back(&mut self, target: &Target) {
        if self.down {
            crate::warn!("matrixauth syslog: {target} takes lines again; sending what it missed");
        }
        self.down = false;
    }
}

/// The sender's state between batches.
struct Sender {
    login: Arc<Login>,
    settings: Settings,
    stats: Arc<Stats>,
    tls: Option<Arc<rustls::ClientConfig>>,
    node: String,
    procid: u32,
    committed: tokio::sync::watch::Receiver<u64>,
    /// The last sequence number delivered.
    delivered: u64,
    /// Lines up to here were counted as dropped already.
    counted: u64,
    conn: Option<Conn>,
    retry: Duration,
    report: Reporter,
    /// The line the sender stopped at because it did not check (reported once).
    stuck_at: Option<u64>,
}

/// How long one batch may take to be written; a collector that stops reading
/// (a zero window, a path that drops packets) is then a failure, counted and
/// reported, rather than a sender blocked without a word.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

impl Sender {
    /// The point the sender starts from: where the last run stopped (the
    /// state file), else the chain's head now.
    async fn start(&self) -> u64 {
        if let Some(seq) = self.settings.state.as_deref().and_then(|p| read_state(p, &self.node)) {
            return seq;
        }
        loop {
            let store = self.login.store_handle();
            let node = self.node.clone();
            let head = tokio::task::spawn_blocking(move || {
                store.chain_heads().map(|h| h.iter().find(|(n, _)| *n == node).map_or(0, |(_, h)| h.0))
            })
            .await;
            match head {
                Ok(Ok(seq)) => return seq,
                _ => tokio::time::sleep(MAX_RETRY).await,
            }
        }
    }

    /// The next rows to send (`None`: the database cannot be read now).
    async fn rows(&self) -> Option<Vec<ChainRow>> {
        let store = self.login.store_handle();
        let (node, after) = (self.node.clone(), self.delivered);
        tokio::task::spawn_blocking(move || store.audit_after(&node, after, BATCH)).await.ok()?.ok()
    }

    /// Counts the lines committed up to `head` not counted yet as dropped.
    fn count_dropped(&mut self, head: u64) {
        if head > self.counted {
            self.stats.dropped.fetch_add(head - self.counted, Ordering::Relaxed);
            self.counted = head;
        }
        self.stats.backlog.store(head.saturating_sub(self.delivered), Ordering::Relaxed);
    }

    /// Sends `rows` in order, over the open connection (opened if needed);
    /// the error that stopped it, if one did.
    async fn send(&mut self, rows: &[ChainRow]) -> Option<std::io::Error> {
        if let Some(c) = self.conn.as_mut()
            && c.closed().await
        {
            self.conn = None;
        }
        if self.conn.is_none() {
            match Conn::open(&self.settings, self.tls.as_ref()).await {
                Ok(c) => self.conn = Some(c),
                Err(e) => return Some(e),
            }
        }
        let c = self.conn.as_mut()?;
        let mut failure = None;
        let mut last = self.delivered;
        let key = self.login.audit_key();
        let mut prev_mac: Option<Vec<u8>> = None;
        for row in rows {
            // Only the chain's next genuine line goes: a row a database writer inserted (its MAC
            // fails) or numbered ahead (a gap) would otherwise be sent as authentic, or move the
            // delivered mark past lines never sent. The sender stops there and says so.
            let next = row.seq == last.saturating_add(1)
                && prev_mac.as_ref().is_none_or(|m| *m == row.prev)
                && key.checks(row);
            if !next {
                if self.stuck_at != Some(row.seq) {
                    self.stuck_at = Some(row.seq);
                    self.stats.tampered.fetch_add(1, Ordering::Relaxed);
                    crate::warn!(
                        "matrixauth syslog: line {} of node {:?} is not the chain's next genuine line (after {last}): \
                         not sent, and nothing after it until it checks; see matrixauth audit verify",
                        row.seq,
                        self.node
                    );
                }
                break;
            }
            let msg = message(row, self.settings.facility, &self.settings.hostname, self.procid);
            let sent = match tokio::time::timeout(WRITE_TIMEOUT, c.send(&msg)).await {
                Ok(r) => r,
                Err(_) => {
                    Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the collector stopped reading"))
                }
            };
            if let Err(e) = sent {
                failure = Some(e);
                break;
            }
            prev_mac = Some(row.mac.clone());
            last = row.seq;
            self.stats.sent.fetch_add(1, Ordering::Relaxed);
            if row.seq <= self.counted {
                self.stats.resent.fetch_add(1, Ordering::Relaxed);
            }
        }
        if failure.is_none() {
            match tokio::time::timeout(WRITE_TIMEOUT, c.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failure = Some(e),
                Err(_) => {
                    failure = Some(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the collector stopped reading",
                    ));
                }
            }
        }
        if last > self.delivered {
            self.delivered = last;
            if let Some(path) = &self.settings.state
                && let Err(e) = write_state(path, &self.node, last)
            {
                crate::warn!("matrixauth syslog: cannot write {}: {e}", path.display());
            }
        }
        self.counted = self.counted.max(self.delivered);
        failure
    }

    /// After a failure: counts what could not go, reports, and waits before
    /// the next try, counting the lines committed meanwhile as they come.
    async fn failed(&mut self, head: u64, e: &std::io::Error) {
        self.conn = None;
        self.stats.up.store(false, Ordering::Relaxed);
        let head = head.max(*self.committed.borrow());
        self.count_dropped(head);
        self.report.failed(&self.settings.target, e, &self.stats);
        let wait = tokio::time::sleep(self.retry);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                r = self.committed.changed() => {
                    if r.is_err() {
                        wait.as_mut().await;
                        break;
                    }
                    let head = *self.committed.borrow();
                    self.count_dropped(head);
                }
            }
        }
        self.retry = (self.retry * 2).min(MAX_RETRY);
    }
}

/// Sends this node's audit lines to the collector, for ever (a task of
/// `matrixauth serve`).
pub async fn run(login: Arc<Login>, settings: Settings, stats: Arc<Stats>) {
    let tls = match (settings.target.transport, settings.ca.as_deref()) {
        (Transport::Tls, Some(ca)) => match tls_config(ca) {
            Ok(c) => Some(c),
            Err(e) => {
                crate::warn!("matrixauth syslog: {e}: no lines are sent");
                return;
            }
        },
        _ => None,
    };
    let node = login.audit_node().to_owned();
    let committed = login.audit_committed();
    let mut sender = Sender {
        login,
        settings,
        stats,
        tls,
        node,
        procid: std::process::id(),
        committed,
        delivered: 0,
        counted: 0,
        conn: None,
        retry: Duration::from_millis(250),
        report: Reporter { last: None, down: false },
        stuck_at: None,
    };
    sender.delivered = sender.start().await;
    sender.counted = sender.delivered;
    loop {
        let Some(rows) = sender.rows().await else {
            // The database is down: the lines are there when it is back.
            tokio::time::sleep(MAX_RETRY).await;
            continue;
        };
        let head = (*sender.committed.borrow()).max(rows.last().map_or(0, |r| r.seq));
        sender.stats.backlog.store(head.saturating_sub(sender.delivered), Ordering::Relaxed);
        if rows.is_empty() {
            tokio::select! {
                _ = sender.committed.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            continue;
        }
        match sender.send(&rows).await {
            None => {
                sender.stats.backlog.store(head.saturating_sub(sender.delivered), Ordering::Relaxed);
                sender.stats.up.store(true, Ordering::Relaxed);
                sender.report.back(&sender.settings.target);
                sender.retry = Duration::from_millis(250);
            }
            Some(e) => sender.failed(head, &e).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("tcp://127.0.0.1:514").unwrap();
        assert_eq!((t.transport, t.host.as_str(), t.port), (Transport::Tcp, "127.0.0.1", 514));
        assert_eq!(Target::parse("tls://[::1]:6514").unwrap().host, "::1");
        for bad in ["127.0.0.1:514", "http://x:1", "udp://x", "udp://x:0", "udp://:1", "udp://a b:1"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(facility("authpriv"), Ok(10));
        assert!(facility("nope").is_err());
    }

    #[test]
    fn message_and_frame() {
        let row = ChainRow {
            id: 1,
            node: Some("n1".into()),
            seq: 7,
            prev: vec![],
            mac: vec![],
            subject: None,
            version: None,
            line: r#"{"time":1800000000,"user":"alice","event":"tampered"}"#.into(),
            column_time: None,
        };
        let m = message(&row, 10, "host", 42);
        assert_eq!(
            m,
            r#"<81>1 2027-01-15T08:00:00Z host matrixauth 42 tampered [meta sequenceId="7"] {"time":1800000000,"user":"alice","event":"tampered"}"#
        );
        let f = frame("abc");
        assert_eq!(f, b"3 abc");
    }
}
