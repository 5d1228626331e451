//! The audit chain as the backends write it (issue 21): each audit line a
//! node writes carries that node's next sequence number, the MAC of the
//! node's previous line (`prev`) and its own MAC over both, the line, and the
//! state version the same transaction wrote, if any. The MAC is the login
//! service's ([`Linker`], under a key derived from the keyring), so a
//! database writer without the keyring cannot edit, insert, remove or
//! reorder lines without `matrixauth audit verify` naming the first bad one.
//!
//! Each node has a chain of its own, with its head (last sequence number and
//! MAC) in `audit_heads`, so nodes sharing a database never wait for each
//! other's lines. A process also remembers the head it last committed: a
//! head found lower later (lines cut off the end and the head put back) is
//! not continued from, but from the remembered one, with a `tampered` line
//! first, so the cut stays a gap `audit verify` reports.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

/// What a line's MAC covers.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    /// The node that wrote it.
    pub node: &'a str,
    /// Its number in the node's chain (from 1).
    pub seq: u64,
    /// The MAC of the node's line before it (zeros before the first).
    pub prev: &'a [u8; 32],
    /// The user whose state the same transaction wrote, and the version
    /// written (what `audit verify` holds a restored older state against):
    /// on the transaction's last line only.
    pub subject: Option<(&'a str, u64)>,
    /// The line, as stored.
    pub line: &'a str,
}

/// Computes a line's MAC (the login service's, under its audit key).
pub type Linker = Arc<dyn Fn(&Link<'_>) -> [u8; 32] + Send + Sync>;

/// Makes the `tampered` line written when a node finds its chain's head
/// lower than the one it committed last: (the sequence number it committed,
/// the one found).
pub type GapLine = Arc<dyn Fn(u64, u64) -> String + Send + Sync>;

/// A stored head of a node's chain: the last sequence number and its MAC.
pub type Head = (u64, [u8; 32]);

/// The head of an empty chain.
pub const START: Head = (0, [0; 32]);

/// The further of a node's stored head and its last line (as read:
/// sequence number and MAC), `None` if neither is past 0.
pub(crate) fn further(stored: Option<(i64, Vec<u8>)>, last: Option<(i64, Vec<u8>)>) -> Option<Head> {
    let pick = match (stored, last) {
        (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
        (a, b) => a.or(b),
    };
    pick.filter(|(seq, _)| *seq > 0).map(|(seq, mac)| {
        (u64::try_from(seq).unwrap_or(0), <[u8; 32]>::try_from(mac.as_slice()).unwrap_or([0; 32]))
    })
}

/// A line ready to insert.
#[derive(Clone, Debug)]
pub struct Chained {
    /// Its sequence number.
    pub seq: u64,
    /// The MAC of the line before it.
    pub prev: [u8; 32],
    /// Its MAC.
    pub mac: [u8; 32],
    /// The user and state version the MAC binds it to.
    pub subject: Option<(String, u64)>,
    /// The line.
    pub line: String,
}

/// One audit row with its chain fields, as `audit verify` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainRow {
    /// The row's id (the database's insertion order).
    pub id: i64,
    /// The node that wrote it (`None`: a row written without a chain).
    pub node: Option<String>,
    /// Its sequence number in the node's chain.
    pub seq: u64,
    /// The MAC of the node's line before it.
    pub prev: Vec<u8>,
    /// Its MAC.
    pub mac: Vec<u8>,
    /// The user whose state the transaction wrote.
    pub subject: Option<String>,
    /// The state version written.
    pub version: Option<u64>,
    /// The line.
    pub line: String,
    /// The `time` column beside the line, where the backend has one
    /// (PostgreSQL: exports and pruning select by it), to hold against the
    /// line's own `time`.
    pub column_time: Option<i64>,
}

/// A node's chain: its name, the MAC, and the head this process committed last.
pub struct Chain {
    node: String,
    linker: Linker,
    gap: GapLine,
    last: Mutex<Option<Head>>,
    /// The last sequence number this process committed, for the syslog
    /// sender ([`Chain::subscribe`]).
    head: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain").field("node", &self.node).finish_non_exhaustive()
    }
}

thread_local! {
    /// The head a transaction on this thread is about to commit, and whose
    /// chain it is (a transaction runs on one thread, start to end).
    static PENDING: RefCell<Option<(usize, Head)>> = const { RefCell::new(None) };
}

impl Chain {
    /// The chain of `node`.
    pub fn new(node: String, linker: Linker, gap: GapLine) -> Chain {
        Chain { node, linker, gap, last: Mutex::new(None), head: tokio::sync::watch::Sender::new(0) }
    }

    /// Follows the last sequence number of this node's chain that this
    /// process committed (0 before its first): it changes after each commit
    /// that wrote lines, never inside a transaction, and costs the writer
    /// no wait (the syslog sender reads the rows after it from the store).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// The node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// A line's MAC.
    pub fn mac(&self, link: &Link<'_>) -> [u8; 32] {
        (self.linker)(link)
    }

    /// Links `lines` after `stored` (the head read in the transaction; `None`:
    /// none yet), binding them to `subject`. Remembers the new head as
    /// pending until [`Chain::committed`].
    pub fn link(&self, stored: Option<Head>, subject: Option<(&str, u64)>, lines: &[String]) -> Vec<Chained> {
        let mut head = stored.unwrap_or(START);
        let last = *self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::with_capacity(lines.len() + 1);
        if let Some(l) = last.filter(|l| l.0 > head.0) {
            crate::warn!(
                "matrixauth: the audit chain of node {:?} ends at line {} in the database, but this process wrote \
                 up to {}: lines were removed (audit verify reports the gap)",
                self.node,
                head.0,
                l.0
            );
            let line = (self.gap)(l.0, head.0);
            head = l;
            self.push(&mut out, &mut head, None, line);
        }
        // The state version is the transaction's, recorded once: on its last line.
        let last = lines.len().saturating_sub(1);
        for (i, line) in lines.iter().enumerate() {
            self.push(&mut out, &mut head, subject.filter(|_| i == last), line.clone());
        }
        let key = std::ptr::from_ref(self) as usize;
        PENDING.with(|p| *p.borrow_mut() = Some((key, head)));
        out
    }

    fn push(&self, out: &mut Vec<Chained>, head: &mut Head, subject: Option<(&str, u64)>, line: String) {
        let seq = head.0.saturating_add(1);
        let mac = (self.linker)(&Link { node: &self.node, seq, prev: &head.1, subject, line: &line });
        out.push(Chained { seq, prev: head.1, mac, subject: subject.map(|(u, v)| (u.to_owned(), v)), line });
        *head = (seq, mac);
    }

    /// The transaction that linked lines on this thread committed: its head
    /// is the one this process remembers.
    pub fn committed(&self) {
        let key = std::ptr::from_ref(self) as usize;
        if let Some((k, head)) = PENDING.with(|p| p.borrow_mut().take())
            && k == key
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_none_or(|l| head.0 >= l.0) {
                *last = Some(head);
            }
            drop(last);
            self.head.send_if_modified(|seen| {
                let newer = head.0 > *seen;
                if newer {
                    *seen = head.0;
                }
                newer
            });
        }
    }

    /// The transaction did not commit: forget its head.
    pub fn discard() {
        PENDING.with(|p| p.borrow_mut().take());
    }
}

impl ChainRow {
    /// The fields the row's MAC covers (`None`: a row that cannot have one).
    pub fn link(&self) -> Option<Link<'_>> {
        let node = self.node.as_deref()?;
        let prev = <&[u8; 32]>::try_from(self.prev.as_slice()).ok()?;
        let subject = match (self.subject.as_deref(), self.version) {
            (Some(u), Some(v)) => Some((u, v)),
            (None, None) => None,
            _ => return None,
        };
        Some(Link { node, seq: self.seq, prev, subject, line: &self.line })
    }

    /// Whether the row's MAC is the one its fields call for under `mac`.
    pub fn checks_with(&self, mac: impl Fn(&Link<'_>) -> [u8; 32]) -> bool {
        self.link().is_some_and(|link| self.mac == mac(&link))
    }

    /// Whether the row's MAC is the one its fields call for under `chain`'s key.
    pub fn checks(&self, chain: &Chain) -> bool {
        self.checks_with(|l| chain.mac(l))
    }

    /// The line's own `time` (Unix seconds), if it has one.
    pub fn time(&self) -> Option<u64> {
        serde_json::from_str::<serde_json::Value>(&self.line).ok()?.get("time")?.as_u64()
    }

    /// Whether the line is an `audit_pruned` marker.
    pub fn is_marker(&self) -> bool {
        serde_json::from_str::<serde_json::Value>(&self.line)
            .ok()
            .is_some_and(|v| v.get("event").and_then(serde_json::Value::as_str) == Some("audit_pruned"))
    }
}
