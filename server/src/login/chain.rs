//! The audit chain's MAC and its verification (issue 21,
//! `matrixauth audit verify`).
//!
//! Each line's MAC is HMAC-SHA256 under the audit key (derived from the site
//! key, so every node has it) over the node, the sequence number, the MAC of
//! the node's previous line, the user and state version the same
//! transaction wrote, and the line itself (`docs/FORMATS.md`). Verifying
//! walks each node's chain in sequence order from its start, or from the
//! anchor a pruning marker left, and reports what a database writer without
//! the keyring could have done: an edited line, a removed one (a gap, or
//! the end cut off below the node's head), lines put out of order, a line
//! inserted without a MAC, and a user's state older than the newest version
//! the chain recorded for them (a restored copy: a rollback).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::site::SiteKey;
use crate::store::chain::{ChainRow, Head, Link, Linker};

/// The audit key: the MAC of every line, and what an auditor needs (with
/// an export) to check one away from the server. It lets its holder write
/// lines that check, nothing else: no login, no user.
pub struct AuditKey {
    raw: zeroize::Zeroizing<[u8; 32]>,
    key: SiteKey,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey { .. }")
    }
}

impl AuditKey {
    fn new(raw: [u8; 32]) -> AuditKey {
        AuditKey { key: SiteKey::new(&raw), raw: zeroize::Zeroizing::new(raw) }
    }

    /// The audit key of a site.
    pub fn of_site(site: &SiteKey) -> AuditKey {
        AuditKey::new(site.mac("matrixauth audit key", &[]))
    }

    /// A key given as 64 hex digits (`matrixauth audit key`).
    pub fn from_hex(text: &str) -> Result<AuditKey, String> {
        let bad = || "the audit key is not 64 hex digits".to_owned();
        let bytes = zeroize::Zeroizing::new(decode_hex(text.trim()).ok_or_else(bad)?);
        let raw = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad())?;
        Ok(AuditKey::new(raw))
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex(self.raw.as_ref()))
    }

    /// A line's MAC.
    pub fn mac(&self, link: &Link<'_>) -> [u8; 32] {
        let (subject, version) = match link.subject {
            Some((u, v)) => ([&[1u8][..], u.as_bytes()].concat(), v.to_be_bytes()),
            None => (vec![0u8], [0; 8]),
        };
        self.key.mac(
            "matrixauth audit line",
            &[
                link.node.as_bytes(),
                &link.seq.to_be_bytes(),
                link.prev,
                &subject,
                &version,
                link.line.as_bytes(),
            ],
        )
    }

    /// The key as the store's [`Linker`].
    pub fn linker(self) -> Linker {
        std::sync::Arc::new(move |link: &Link<'_>| self.mac(link))
    }

    /// Whether `row`'s MAC is the one its fields call for.
    pub fn checks(&self, row: &ChainRow) -> bool {
        row.checks_with(|l| self.mac(l))
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Bytes from hex digits.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// An anchor: where a node's remaining chain starts after a pruning (the
/// last pruned line's sequence number and MAC).
pub type Anchors = BTreeMap<String, (u64, [u8; 32])>;

/// The anchors a marker line states (`None`: not a marker, or unreadable).
pub fn marker_anchors(line: &str) -> Option<Anchors> {
    let v: Value = serde_json::from_str(line).ok()?;
    if v.get("event")?.as_str()? != "audit_pruned" {
        return None;
    }
    let mut out = Anchors::new();
    for (node, a) in v.get("anchors")?.as_object()? {
        let seq = a.get("seq")?.as_u64()?;
        let mac: [u8; 32] = decode_hex(a.get("mac")?.as_str()?)?.try_into().ok()?;
        out.insert(node.clone(), (seq, mac));
    }
    Some(out)
}

/// Adds `(seq, mac)` for `node` unless a later anchor is there.
pub fn merge_anchor(anchors: &mut Anchors, node: &str, seq: u64, mac: [u8; 32]) {
    match anchors.get(node) {
        Some((s, _)) if *s >= seq => {}
        _ => {
            anchors.insert(node.to_owned(), (seq, mac));
        }
    }
}

/// The anchors as a marker line holds them.
pub fn anchors_json(anchors: &Anchors) -> Value {
    Value::Object(anchors.iter().map(|(n, (s, m))| (n.clone(), json!({"seq": s, "mac": hex(m)}))).collect())
}

/// One finding of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// `edited`, `gap`, `truncated`, `head` (a head row behind its lines),
    /// `reordered`, `unchained`, `duplicate`, `rollback`, `replayed` (a
    /// ticket redeemed twice), or `refused` (tampering the server caught and
    /// logged).
    pub kind: &'static str,
    /// The node (if the finding is in a chain).
    pub node: Option<String>,
    /// The first line concerned (its sequence number in the node's chain).
    pub seq: Option<u64>,
    /// Its row id.
    pub id: Option<i64>,
    /// Its time, if it has one.
    pub time: Option<u64>,
    /// What, in words.
    pub detail: String,
}

impl Finding {
    /// Whether it is a problem of the log itself (every kind but `refused`).
    pub fn is_problem(&self) -> bool {
        self.kind != "refused"
    }

    /// The finding as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind, "node": self.node, "seq": self.seq, "id": self.id, "time": self.time,
            "detail": self.detail,
        })
    }
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Lines read.
    pub lines: usize,
    /// Per node: the first and last sequence numbers read.
    pub nodes: BTreeMap<String, (u64, u64)>,
    /// What is wrong (and the tampering the server logged), in the order found.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the log checks: no finding but logged refusals.
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(Finding::is_problem)
    }
}

/// A user's state as the store holds it now: (user, enrolled at, state version).
pub type UserVersion = (String, u64, u64);

/// Verifies the audit rows (`rows`, by id), against each node's stored head
/// and the users' current state versions. With `range`, only findings about
/// lines whose time is in `[from, to)` are kept (the whole log is still read:
/// a chain is checked from its start). `heads` may be empty (an export).
pub fn verify(
    key: &AuditKey,
    rows: &[ChainRow],
    heads: &[(String, Head)],
    users: &[UserVersion],
    range: Option<(u64, u64)>,
) -> Report {
    check(key, rows, heads, users, range, false)
}

/// Verifies an export (`audit export --format jsonl`): each node's chain
/// from its first exported line (a period starts mid-chain), with no heads
/// and no users to hold it against.
pub fn verify_export(key: &AuditKey, rows: &[ChainRow], range: Option<(u64, u64)>) -> Report {
    check(key, rows, &[], &[], range, true)
}

/// Findings as they are found, kept if they concern a line in the range.
struct Findings {
    range: Option<(u64, u64)>,
    list: Vec<Finding>,
}

impl Findings {
    fn add(&mut self, kind: &'static str, row: Option<&ChainRow>, detail: String) {
        let time = row.and_then(ChainRow::time);
        // The range narrows what genuine lines tell (refusals, replays); damage to a chain is
        // always reported, whatever time a line says (a writer could change it).
        let told = matches!(kind, "refused" | "replayed");
        if told && self.range.is_some_and(|(from, to)| time.is_some_and(|t| t < from || t >= to)) {
            return;
        }
        self.list.push(Finding {
            kind,
            node: row.and_then(|r| r.node.clone()),
            seq: row.filter(|r| r.node.is_some()).map(|r| r.seq),
            id: row.map(|r| r.id),
            time,
            detail,
        });
    }
}

/// What the genuine lines say: the pruning anchors, the state versions
/// written, and the tickets redeemed.
#[derive(Default)]
struct Said<'a> {
    anchors: Anchors,
    versions: HashMap<&'a str, Vec<(Option<u64>, u64)>>,
    redeemed: HashMap<String, usize>,
}

impl<'a> Said<'a> {
    fn read(&mut self, row: &'a ChainRow, found: &mut Findings) {
        if let Some(a) = marker_anchors(&row.line) {
            for (n, (s, m)) in a {
                merge_anchor(&mut self.anchors, &n, s, m);
            }
        }
        if let (Some(u), Some(v)) = (row.subject.as_deref(), row.version) {
            self.versions.entry(u).or_default().push((row.time(), v));
        }
        let v: Value = serde_json::from_str(&row.line).unwrap_or(Value::Null);
        match v.get("event").and_then(Value::as_str) {
            Some("tampered") => {
                found.add(
                    "refused",
                    Some(row),
                    format!("the server refused and logged tampering: {}", row.line),
                );
            }
            Some("ticket_redeemed") => {
                if let Some(t) = v.get("ticket").and_then(Value::as_str) {
                    let n = self.redeemed.entry(t.to_owned()).or_default();
                    *n += 1;
                    if *n == 2 {
                        let detail =
                            format!("ticket {t} was redeemed again (its claim removed from the database?)");
                        found.add("replayed", Some(row), detail);
                    }
                }
            }
            _ => {}
        }
    }
}

fn check(
    key: &AuditKey,
    rows: &[ChainRow],
    heads: &[(String, Head)],
    users: &[UserVersion],
    range: Option<(u64, u64)>,
    from_first: bool,
) -> Report {
    let mut report = Report { lines: rows.len(), ..Report::default() };
    let mut found = Findings { range, list: Vec::new() };
    let mut by_node: BTreeMap<&str, Vec<&ChainRow>> = BTreeMap::new();
    let mut said = Said::default();
    let heads: HashMap<&str, u64> = heads.iter().map(|(n, (s, _))| (n.as_str(), *s)).collect();
    for row in rows {
        let Some(node) = row.node.as_deref() else {
            let detail = "a line with no place in any node's chain (inserted without the keyring)".to_owned();
            found.add("unchained", Some(row), detail);
            continue;
        };
        if key.checks(row) {
            said.read(row, &mut found);
        }
        by_node.entry(node).or_default().push(row);
    }
    for (node, mut chain) in by_node {
        chain.sort_by_key(|r| r.seq);
        if from_first && let Some(first) = chain.first() {
            let prev = <[u8; 32]>::try_from(first.prev.as_slice()).unwrap_or([0; 32]);
            said.anchors.insert(node.to_owned(), (first.seq.saturating_sub(1), prev));
        }
        let last_seq = walk(key, node, &chain, said.anchors.get(node).copied(), &mut found);
        report.nodes.insert(node.to_owned(), (chain.first().map_or(0, |r| r.seq), last_seq));
        match heads.get(node) {
            Some(head) if *head > last_seq => {
                let detail =
                    format!("lines {} to {head} of node {node:?} (its last ones) are missing", last_seq + 1);
                found.add("truncated", chain.last().copied(), detail);
            }
            Some(head) if *head < last_seq => {
                let detail =
                    format!("the head of node {node:?} says line {head}, but line {last_seq} is there");
                found.add("head", chain.last().copied(), detail);
            }
            _ => {}
        }
    }
    for (node, head) in &heads {
        if *head > 0
            && !report.nodes.contains_key(*node)
            && said.anchors.get(*node).is_none_or(|(s, _)| s < head)
        {
            found.add("truncated", None, format!("every line of node {node:?} up to {head} is missing"));
        }
    }
    for (user, created_at, version) in users {
        let Some(versions) = said.versions.get(user.as_str()) else { continue };
        let mut mine: Vec<u64> =
            versions.iter().filter(|(t, _)| t.is_none_or(|t| t >= *created_at)).map(|(_, v)| *v).collect();
        mine.sort_unstable();
        if let Some(newest) = mine.last().copied().filter(|n| n > version) {
            let detail = format!(
                "the state of {user:?} is version {version}, but the log recorded version {newest}: \
                 an older copy was put back"
            );
            found.add("rollback", None, detail);
        }
        // Each write moves a state's version on by compare-and-swap: a version written twice
        // means an older copy was put back and written over again.
        if let Some(v) = mine.windows(2).find(|w| w.first() == w.get(1)).and_then(|w| w.first().copied()) {
            let detail = format!(
                "version {v} of the state of {user:?} was written twice: an older copy was put back, then used"
            );
            found.add("rollback", None, detail);
        }
    }
    report.findings = found.list;
    report
}

/// Walks one node's chain (sorted by sequence number) from its start or
/// `anchor`; returns the last sequence number.
fn walk(key: &AuditKey, node: &str, chain: &[&ChainRow], anchor: Option<Head>, found: &mut Findings) -> u64 {
    let (mut expect, mut prev) = anchor.map_or((1, [0u8; 32]), |(s, m)| (s.saturating_add(1), m));
    let mut last_id = i64::MIN;
    let mut last_seq = 0;
    let mut out_of_order = false;
    for r in chain {
        if !key.checks(r) {
            found.add("edited", Some(r), format!("line {} of node {node:?} does not match its MAC", r.seq));
        } else if let Some(t) = r.column_time
            && r.time().and_then(|l| i64::try_from(l).ok()) != Some(t)
        {
            let detail = format!(
                "line {} of node {node:?}: its time column was changed (exports and pruning go by it)",
                r.seq
            );
            found.add("edited", Some(r), detail);
        }
        if r.seq < expect {
            let what = if r.seq == last_seq { "duplicate" } else { "gap" };
            let detail = format!("line {} of node {node:?} comes again, or before the pruned range", r.seq);
            found.add(what, Some(r), detail);
        } else if r.seq > expect {
            found.add(
                "gap",
                Some(r),
                format!("lines {expect} to {} of node {node:?} are missing", r.seq - 1),
            );
        } else if r.prev != prev {
            let detail =
                format!("line {} of node {node:?} does not follow line {}", r.seq, r.seq.saturating_sub(1));
            found.add("edited", Some(r), detail);
        }
        if r.id < last_id && !out_of_order {
            out_of_order = true;
            let detail = format!("line {} of node {node:?} was moved before earlier lines", r.seq);
            found.add("reordered", Some(r), detail);
        }
        last_id = last_id.max(r.id);
        expect = r.seq.max(expect.saturating_sub(1)).saturating_add(1);
        last_seq = r.seq;
        prev = <[u8; 32]>::try_from(r.mac.as_slice()).unwrap_or([0; 32]);
    }
    last_seq
}
