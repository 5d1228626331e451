//! The SQLite backend: the embedded default. One file, WAL mode, a small
//! pool of connections so requests run in parallel; every write is a
//! `BEGIN IMMEDIATE` transaction.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use super::chain::{Chain, ChainRow};
use super::requests::{Decide, ReportFields, RequestFields, RequestRow, RequestState};
use super::{
    AccessFacts, Backend, EnrollRows, HANDLE_KEEP_SECONDS, HandleRow, Invitation, LoadedUser, Migrate,
    Pruned, SCHEMA_VERSION, Sealer, StoreError, StoreResult, UserRow, Window, check_version, from_i64,
    to_i64,
};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e.to_string())
    }
}

/// The schema, one step per version (`PRAGMA user_version`). A step is
/// applied once, in a transaction with the version bump; steps are never
/// edited once released, only appended.
const MIGRATIONS: &[&str] = &[
    // 1: users, decoys, audit (the tables of 0.1 before versioning, hence IF NOT EXISTS).
    "
CREATE TABLE IF NOT EXISTS users (
    user        TEXT PRIMARY KEY NOT NULL,
    credential  BLOB NOT NULL,
    state       BLOB NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS decoys (
    user        TEXT PRIMARY KEY NOT NULL,
    state       BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS decoys_updated_at ON decoys (updated_at);
CREATE TABLE IF NOT EXISTS audit (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    line  TEXT NOT NULL
) STRICT;
",
    // 2: enrollment invitations (SHA-256 of the token, never the token) and access windows.
    "
CREATE TABLE invitations (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    user        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;
CREATE INDEX invitations_user ON invitations (user);
CREATE TABLE windows (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user        TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX windows_user ON windows (user);
",
    // 3: ticket replay rows shared by every process on the database; decoys get a row version
    // for compare-and-swap.
    "
CREATE TABLE tickets (
    id          BLOB PRIMARY KEY NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX tickets_expires_at ON tickets (expires_at);
ALTER TABLE decoys ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
",
    // 4: suspension (issue 20): a user refused at every door until resumed.
    "
ALTER TABLE users ADD COLUMN suspended_at INTEGER;
",
    // 5: ticket handles (issue 27): short tickets kept as keyed, MAC'd rows; site passwords.
    "
CREATE TABLE ticket_handles (
    id          BLOB PRIMARY KEY NOT NULL,
    user        TEXT NOT NULL,
    audience    TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    mac         BLOB NOT NULL
) STRICT;
CREATE INDEX ticket_handles_expires_at ON ticket_handles (expires_at);
ALTER TABLE users ADD COLUMN site_password BLOB;
",
    // 6: invitations keyed under the site key and bound by a MAC to user and expiry (issue 21):
    // rows of schema 2 to 5 hold an unkeyed hash and no MAC, so they match nothing.
    "
ALTER TABLE invitations ADD COLUMN mac BLOB;
",
    // 7: each user's access MAC over suspension and windows (issue 21), written by the login
    // service; rows from before get theirs when the service first opens the store.
    "
ALTER TABLE users ADD COLUMN access_mac BLOB;
",
    // 8: the audit chain (issue 21): each line's node, sequence number, the MAC of the node's
    // line before and its own, and the state version its transaction wrote; each node's head;
    // roles, covered by the access MAC.
    "
ALTER TABLE audit ADD COLUMN node TEXT;
ALTER TABLE audit ADD COLUMN seq INTEGER;
ALTER TABLE audit ADD COLUMN prev BLOB;
ALTER TABLE audit ADD COLUMN mac BLOB;
ALTER TABLE audit ADD COLUMN subject TEXT;
ALTER TABLE audit ADD COLUMN version INTEGER;
CREATE UNIQUE INDEX audit_chain ON audit (node, seq);
CREATE TABLE audit_heads (
    node  TEXT PRIMARY KEY NOT NULL,
    seq   INTEGER NOT NULL,
    mac   BLOB NOT NULL
) STRICT;
CREATE TABLE roles (
    user  TEXT NOT NULL,
    role  TEXT NOT NULL,
    PRIMARY KEY (user, role)
) STRICT;
",
    // 9: maintenance requests and their reports (issue 23); the roles an invitation gives at
    // enrolment, with their MAC.
    "
CREATE TABLE requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor            TEXT NOT NULL,
    starts_at         INTEGER NOT NULL,
    ends_at           INTEGER NOT NULL,
    purpose           TEXT NOT NULL,
    work              TEXT NOT NULL,
    targets           TEXT NOT NULL,
    operator          TEXT NOT NULL,
    manager_approval  TEXT NOT NULL,
    notes             TEXT NOT NULL,
    state             TEXT NOT NULL,
    filed_at          INTEGER NOT NULL,
    decided_by        TEXT,
    decided_at        INTEGER,
    reason            TEXT,
    window_id         INTEGER,
    actual_from       INTEGER,
    actual_to         INTEGER,
    done              TEXT,
    result            TEXT,
    follow_up         TEXT,
    reported_at       INTEGER
) STRICT;
CREATE INDEX requests_vendor ON requests (vendor);
ALTER TABLE invitations ADD COLUMN roles TEXT;
ALTER TABLE invitations ADD COLUMN roles_mac BLOB;
",
    // 10: federation (issue 22): each user's groups (the SAML `groups` attribute).
    "
CREATE TABLE user_groups (
    user   TEXT NOT NULL,
    grp    TEXT NOT NULL,
    PRIMARY KEY (user, grp)
) STRICT;
",
];

/// The SQLite backend.
pub struct Sqlite {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
    /// Held for each write transaction of this process. SQLite lets one
    /// writer in at a time; a connection that finds the lock taken waits
    /// in its busy handler, which sleeps in growing steps (up to 100 ms)
    /// and so made the slowest logins under load wait far longer than the
    /// write they queued behind. Queueing on this mutex instead hands the
    /// lock over as soon as it is free (`docs/BENCHMARKS.md`). Other
    /// processes (the admin commands) still meet the busy handler.
    writer: Mutex<()>,
    /// The schema version this process brought up to date, if it did.
    migrated_from: Option<u32>,
    /// This node's audit chain ([`Backend::set_chain`]).
    chain: std::sync::OnceLock<Chain>,
}

type Tx<'a> = rusqlite::Transaction<'a>;

impl Sqlite {
    /// Opens (creating if needed) the database at `path`, owner-only.
    ///
    /// A new database gets the current schema. An older one is brought up
    /// to date with [`Migrate::Yes`] and refused with [`Migrate::No`]; a
    /// newer one (written by a later release) is always refused.
    pub fn open(path: &Path, migrate: Migrate) -> StoreResult<Sqlite> {
        debug_assert_eq!(MIGRATIONS.len(), SCHEMA_VERSION as usize);
        let mut store = Sqlite {
            path: path.to_owned(),
            pool: Mutex::new(Vec::new()),
            writer: Mutex::new(()),
            migrated_from: None,
            chain: std::sync::OnceLock::new(),
        };
        let mut conn = store.connect()?;
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let fresh: bool =
            conn.query_row("SELECT COUNT(*) = 0 FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))?;
        check_version(version, fresh, migrate)?;
        migrate_in(&mut conn, version)?;
        store.migrated_from = (!fresh && version < SCHEMA_VERSION).then_some(version);
        restrict_permissions(path);
        store.put(conn);
        Ok(store)
    }

    fn connect(&self) -> StoreResult<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
    }

    fn take(&self) -> StoreResult<Connection> {
        let pooled = self.pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match pooled {
            Some(c) => Ok(c),
            None => self.connect(),
        }
    }

    fn put(&self, conn: Connection) {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < 16 {
            pool.push(conn);
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.take()?;
        let out = f(&mut conn);
        self.put(conn);
        out
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committed when `f`
    /// returns `Ok((true, _))` and rolled back otherwise.
    fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> StoreResult<(bool, T)>) -> StoreResult<T> {
        self.with(|conn| {
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            Chain::discard();
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let (commit, out) = f(&tx)?;
            if commit {
                tx.commit()?;
                if let Some(chain) = self.chain.get() {
                    chain.committed();
                }
            }
            Ok(out)
        })
    }
}

/// Applies the steps after `from`, each in one transaction with its
/// version bump (an interrupted migration leaves the last complete step).
fn migrate_in(conn: &mut Connection, from: u32) -> StoreResult<()> {
    for (i, step) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated meanwhile.
        let now: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now as usize > i {
            continue;
        }
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", to_i64(i as u64 + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// The access MAC `user`'s row and windows call for now, and the one
/// stored (`None`: no such user).
fn access_in(tx: &Tx<'_>, user: &str, sealer: &Sealer) -> StoreResult<Option<super::MacPair>> {
    let row: Option<(i64, Option<i64>, Option<Vec<u8>>)> = tx
        .query_row(
            "SELECT created_at, suspended_at, access_mac FROM users WHERE user = ?1",
            params![user],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((created_at, suspended_at, stored)) = row else { return Ok(None) };
    let mut stmt = tx.prepare_cached("SELECT starts_at, ends_at FROM windows WHERE user = ?1")?;
    let mut windows = stmt
        .query_map(params![user], |r| Ok((from_i64(r.get(0)?), from_i64(r.get(1)?))))?
        .collect::<Result<Vec<_>, _>>()?;
    windows.sort_unstable();
    let mut stmt = tx.prepare_cached("SELECT role FROM roles WHERE user = ?1")?;
    let mut roles =
        stmt.query_map(params![user], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    roles.sort_unstable();
    let facts = AccessFacts {
        user,
        created_at: from_i64(created_at),
        suspended_at: suspended_at.map(from_i64),
        windows: &windows,
        roles: &roles,
    };
    Ok(Some((sealer(&facts), stored)))
}

fn access_in_exists(tx: &Tx<'_>, user: &str) -> StoreResult<bool> {
    Ok(tx.query_row("SELECT COUNT(*) FROM users WHERE user = ?1", params![user], |r| r.get::<_, i64>(0))? > 0)
}

/// Refuses to change `user`'s access when their stored MAC does not match
/// their facts: a change made now would re-sign a tampered row.
fn verify_in(tx: &Tx<'_>, user: &str, sealer: Option<&Sealer>) -> StoreResult<()> {
    let Some(sealer) = sealer else { return Ok(()) };
    match access_in(tx, user, sealer)? {
        Some((expected, stored)) if stored.as_deref() != Some(expected.as_slice()) => {
            Err(StoreError::Tampered(user.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Rewrites `user`'s access MAC from their row and windows, in `tx`.
fn reseal_in(tx: &Tx<'_>, user: &str, sealer: Option<&Sealer>) -> StoreResult<()> {
    let Some(sealer) = sealer else { return Ok(()) };
    if let Some((mac, _)) = access_in(tx, user, sealer)? {
        tx.execute("UPDATE users SET access_mac = ?1 WHERE user = ?2", params![mac, user])?;
    }
    Ok(())
}

/// Appends `lines`, linked into `chain` after its stored head (unlinked
/// without one: a store used on its own, as in the store's tests), bound to
/// `subject` (the user and state version the transaction wrote).
fn insert_audit(
    tx: &Tx<'_>,
    chain: Option<&Chain>,
    subject: Option<(&str, u64)>,
    lines: &[String],
) -> StoreResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let Some(chain) = chain else {
        let mut stmt = tx.prepare_cached("INSERT INTO audit (line) VALUES (?1)")?;
        for line in lines {
            stmt.execute(params![line])?;
        }
        return Ok(());
    };
    let node = chain.node();
    let rows = chain.link(head_in(tx, node)?, subject, lines);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO audit (line, node, seq, prev, mac, subject, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for r in &rows {
        let (subject, version) =
            r.subject.as_ref().map_or((None, None), |(u, v)| (Some(u.as_str()), Some(to_i64(*v))));
        stmt.execute(params![r.line, node, to_i64(r.seq), &r.prev[..], &r.mac[..], subject, version])?;
    }
    if let Some(last) = rows.last() {
        set_head(tx, node, last.seq, &last.mac)?;
    }
    Ok(())
}

/// The stored head of `node`'s chain.
/// The head of `node`'s chain: its head row, or its last line if that is
/// further on (a head row set back or deleted must not make the next line
/// reuse a number, which would stop every write of the node).
fn head_in(tx: &Tx<'_>, node: &str) -> StoreResult<Option<super::chain::Head>> {
    let stored: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, mac FROM audit_heads WHERE node = ?1")?
        .query_row(params![node], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let last: Option<(i64, Option<Vec<u8>>)> = tx
        .prepare_cached("SELECT seq, mac FROM audit WHERE node = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row(params![node], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let last = last.map(|(seq, mac)| (seq, mac.unwrap_or_default()));
    Ok(super::chain::further(stored, last))
}

fn set_head(tx: &Tx<'_>, node: &str, seq: u64, mac: &[u8; 32]) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO audit_heads (node, seq, mac) VALUES (?1, ?2, ?3)
         ON CONFLICT (node) DO UPDATE SET seq = excluded.seq, mac = excluded.mac",
    )?
    .execute(params![node, to_i64(seq), &mac[..]])?;
    Ok(())
}

const CHAIN_COLUMNS: &str = "id, node, seq, prev, mac, subject, version, line";

fn chain_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChainRow> {
    Ok(ChainRow {
        id: r.get(0)?,
        node: r.get(1)?,
        seq: from_i64(r.get::<_, Option<i64>>(2)?.unwrap_or(0)),
        prev: r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
        mac: r.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
        subject: r.get(5)?,
        version: r.get::<_, Option<i64>>(6)?.map(from_i64),
        line: r.get(7)?,
        column_time: None,
    })
}

fn invitation_in(conn: &Connection, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>> {
    let row: Option<(String, i64, Option<Vec<u8>>)> = conn
        .query_row(
            "SELECT user, expires_at, mac FROM invitations
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![&token_hash[..], to_i64(now)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.map(|(user, expires, mac)| Invitation {
        user,
        expires_at: from_i64(expires),
        mac: mac.unwrap_or_default(),
    }))
}

impl Backend for Sqlite {
    fn schema_version(&self) -> StoreResult<u32> {
        self.with(|conn| Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?))
    }

    fn create_user(
        &self,
        user: &str,
        credential: &[u8],
        state: &[u8],
        version: u64,
        now: u64,
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO users (user, credential, state, version, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user, credential, state, to_i64(version), to_i64(now)],
            )?;
            if n == 0 {
                return Ok((false, false));
            }
            reseal_in(tx, user, sealer)?;
            insert_audit(tx, self.chain.get(), Some((user, version)), audit)?;
            Ok((true, true))
        })
    }

    fn migrated_from(&self) -> Option<u32> {
        self.migrated_from
    }

    fn reseal_missing(&self, sealer: &Sealer) -> StoreResult<usize> {
        self.write(|tx| {
            let users = tx
                .prepare("SELECT user FROM users WHERE access_mac IS NULL")?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            for user in &users {
                reseal_in(tx, user, Some(sealer))?;
            }
            Ok((true, users.len()))
        })
    }

    fn load_user(&self, user: &str) -> StoreResult<Option<LoadedUser>> {
        self.with(|conn| {
            // One statement, one snapshot: the row and its windows.
            let mut stmt = conn.prepare_cached(
                "SELECT credential, state, suspended_at, created_at, access_mac,
                        (SELECT group_concat(starts_at || ':' || ends_at, ',') FROM windows WHERE user = ?1),
                        (SELECT group_concat(role, ',') FROM roles WHERE user = ?1)
                 FROM users WHERE user = ?1",
            )?;
            Ok(stmt
                .query_row(params![user], |r| {
                    Ok(LoadedUser {
                        credential: r.get(0)?,
                        state: r.get(1)?,
                        suspended_at: r.get::<_, Option<i64>>(2)?.map(from_i64),
                        created_at: from_i64(r.get(3)?),
                        access_mac: r.get(4)?,
                        windows: super::parse_windows(r.get::<_, Option<String>>(5)?.as_deref()),
                        roles: super::parse_roles(r.get::<_, Option<String>>(6)?.as_deref()),
                    })
                })
                .optional()?)
        })
    }

    fn cas_user(
        &self,
        user: &str,
        before: u64,
        new: Option<(&[u8], u64)>,
        active: bool,
        audit: &[String],
    ) -> StoreResult<bool> {
        let any = !active;
        self.write(|tx| {
            let won = match new {
                // Nothing to write, but the answer must still be from the current state.
                None => {
                    let current: Option<i64> = tx
                        .prepare_cached(
                            "SELECT version FROM users WHERE user = ?1 AND (suspended_at IS NULL OR ?2)",
                        )?
                        .query_row(params![user, any], |r| r.get(0))
                        .optional()?;
                    current == Some(to_i64(before))
                }
                Some((bytes, version)) => {
                    tx.prepare_cached(
                        "UPDATE users SET state = ?1, version = ?2
                         WHERE user = ?3 AND version = ?4 AND (suspended_at IS NULL OR ?5)",
                    )?
                    .execute(params![
                        bytes,
                        to_i64(version),
                        user,
                        to_i64(before),
                        any
                    ])? == 1
                }
            };
            if won {
                insert_audit(tx, self.chain.get(), new.map(|(_, v)| (user, v)), audit)?;
            }
            Ok((won, won))
        })
    }

    fn load_login(&self, user: &str) -> StoreResult<(Option<LoadedUser>, Option<super::DecoyRow>)> {
        self.with(|conn| {
            // One statement, one snapshot: the user's row, their windows and the decoy row. A
            // user and an unknown id cost the same lookups (one finds a user, the other a decoy).
            let mut stmt = conn.prepare_cached(
                "SELECT u.credential, u.state, u.suspended_at, u.created_at, u.access_mac,
                        (SELECT group_concat(starts_at || ':' || ends_at, ',') FROM windows WHERE user = ?1),
                        d.state, d.version,
                        (SELECT group_concat(role, ',') FROM roles WHERE user = ?1)
                 FROM (SELECT ?1 AS user) AS k
                 LEFT JOIN users AS u ON u.user = k.user
                 LEFT JOIN decoys AS d ON d.user = k.user",
            )?;
            Ok(stmt.query_row(params![user], |r| {
                let credential: Option<Vec<u8>> = r.get(0)?;
                let user = match credential {
                    Some(credential) => Some(LoadedUser {
                        credential,
                        state: r.get(1)?,
                        suspended_at: r.get::<_, Option<i64>>(2)?.map(from_i64),
                        created_at: from_i64(r.get(3)?),
                        access_mac: r.get(4)?,
                        windows: super::parse_windows(r.get::<_, Option<String>>(5)?.as_deref()),
                        roles: super::parse_roles(r.get::<_, Option<String>>(8)?.as_deref()),
                    }),
                    None => None,
                };
                let decoy = match r.get::<_, Option<Vec<u8>>>(6)? {
                    Some(state) => Some((state, from_i64(r.get(7)?))),
                    None => None,
                };
                Ok((user, decoy))
            })?)
        })
    }

    fn cas_decoy(
        &self,
        user: &str,
        before: Option<u64>,
        state: Option<&[u8]>,
        now: u64,
        audit: &[String],
    ) -> StoreResult<bool> {
        self.write(|tx| {
            let won = match (before, state) {
                // Nothing to write, as for a user: the decision must still be from the current row.
                (_, None) => {
                    let current: Option<i64> = tx
                        .prepare_cached("SELECT version FROM decoys WHERE user = ?1")?
                        .query_row(params![user], |r| r.get(0))
                        .optional()?;
                    current == before.map(to_i64)
                }
                (None, Some(state)) => {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO decoys (user, state, updated_at, version) VALUES (?1, ?2, ?3, 0)",
                    )?
                    .execute(params![user, state, to_i64(now)])?
                        == 1
                }
                (Some(v), Some(state)) => {
                    tx.prepare_cached(
                        "UPDATE decoys SET state = ?1, updated_at = ?2, version = version + 1
                         WHERE user = ?3 AND version = ?4",
                    )?
                    .execute(params![state, to_i64(now), user, to_i64(v)])?
                        == 1
                }
            };
            if won {
                insert_audit(tx, self.chain.get(), None, audit)?;
            }
            Ok((won, won))
        })
    }

    fn delete_decoys(&self, user: Option<&str>) -> StoreResult<usize> {
        self.write(|tx| {
            let n = match user {
                Some(u) => tx.execute("DELETE FROM decoys WHERE user = ?1", params![u])?,
                None => tx.execute("DELETE FROM decoys WHERE user IN (SELECT user FROM users)", [])?,
            };
            Ok((true, n))
        })
    }

    fn stale_decoys(
        &self,
        before: u64,
        after: &str,
        limit: usize,
    ) -> StoreResult<Vec<(String, super::DecoyRow)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user, state, version FROM decoys WHERE updated_at < ?1 AND user > ?2 ORDER BY user LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![to_i64(before), after, to_i64(limit as u64)], |r| {
                Ok((r.get::<_, String>(0)?, (r.get::<_, Vec<u8>>(1)?, from_i64(r.get(2)?))))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn delete_decoys_at(&self, rows: &[(String, u64)]) -> StoreResult<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached("DELETE FROM decoys WHERE user = ?1 AND version = ?2")?;
            let mut n = 0;
            for (user, version) in rows {
                n += stmt.execute(params![user, to_i64(*version)])?;
            }
            Ok((true, n))
        })
    }

    fn decoys(&self) -> StoreResult<usize> {
        self.with(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM decoys", [], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    fn append_audit(&self, lines: &[String]) -> StoreResult<()> {
        self.write(|tx| {
            insert_audit(tx, self.chain.get(), None, lines)?;
            Ok((true, ()))
        })
    }

    fn users(&self) -> StoreResult<Vec<UserRow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT user, credential, state, created_at, suspended_at FROM users ORDER BY user",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(UserRow {
                    user: r.get(0)?,
                    credential: r.get(1)?,
                    state: r.get(2)?,
                    created_at: from_i64(r.get(3)?),
                    suspended_at: r.get::<_, Option<i64>>(4)?.map(from_i64),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn set_suspended(
        &self,
        user: Option<&str>,
        at: Option<u64>,
        audit: &mut dyn FnMut(usize) -> Vec<String>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<usize> {
        self.write(|tx| {
            let targets = match user {
                Some(u) => vec![u.to_owned()],
                // Every vendor user: holders of a role (the city's staff) are left as they are.
                None => tx
                    .prepare("SELECT user FROM users WHERE user NOT IN (SELECT user FROM roles)")?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?,
            };
            // Suspending is never refused (an emergency switch), but only rows whose MAC checks
            // are re-signed: a row changed without the keyring stays refused at every login.
            let mut verified = Vec::new();
            for u in targets {
                match verify_in(tx, &u, sealer) {
                    Ok(()) => verified.push(u),
                    Err(StoreError::Tampered(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            let at = at.map(to_i64);
            // Only rows that change: suspending a suspended user keeps the first time.
            let n = match (user, at) {
                (Some(u), Some(t)) => tx.execute(
                    "UPDATE users SET suspended_at = ?1 WHERE user = ?2 AND suspended_at IS NULL",
                    params![t, u],
                )?,
                (Some(u), None) => tx.execute(
                    "UPDATE users SET suspended_at = NULL WHERE user = ?1 AND suspended_at IS NOT NULL",
                    params![u],
                )?,
                (None, Some(t)) => tx.execute(
                    "UPDATE users SET suspended_at = ?1 WHERE suspended_at IS NULL
                         AND user NOT IN (SELECT user FROM roles)",
                    params![t],
                )?,
                (None, None) => tx.execute(
                    "UPDATE users SET suspended_at = NULL WHERE suspended_at IS NOT NULL
                     AND user NOT IN (SELECT user FROM roles)",
                    [],
                )?,
            };
            for u in &verified {
                reseal_in(tx, u, sealer)?;
            }
            insert_audit(tx, self.chain.get(), None, &audit(n))?;
            Ok((true, n))
        })
    }

    fn prune_audit(
        &self,
        before: u64,
        record: &mut dyn FnMut(&Pruned) -> Option<String>,
    ) -> StoreResult<usize> {
        let before_i = to_i64(before);
        self.write(|tx| {
            let chain = self.chain.get();
            let mut removed = tx.execute(
                "DELETE FROM audit WHERE node IS NULL AND json_valid(line) AND json_extract(line, '$.time') < ?1",
                params![before_i],
            )?;
            let nodes = tx
                .prepare(
                    "SELECT node, MAX(seq) FROM audit WHERE node IS NOT NULL AND json_valid(line)
                     AND json_extract(line, '$.time') < ?1 GROUP BY node",
                )?
                .query_map(params![before_i], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut pruned = Pruned::default();
            for (node, seq) in nodes {
                let last = tx.query_row(
                    &format!("SELECT {CHAIN_COLUMNS} FROM audit WHERE node = ?1 AND seq = ?2"),
                    params![node, seq],
                    chain_row,
                )?;
                // The line the pruned range ends with must be genuine and old: a time column or a
                // line edited to make recent lines look old is refused, not laundered into a marker.
                if chain.is_some_and(|c| !last.checks(c) || last.time().is_none_or(|t| t >= before)) {
                    pruned.refused.push(node);
                    continue;
                }
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {CHAIN_COLUMNS} FROM audit WHERE node = ?1 AND seq BETWEEN 1 AND ?2
                     AND length(line) < 65536 AND line LIKE '%\"event\":\"audit_pruned\"%'"
                ))?;
                pruned.markers.extend(stmt.query_map(params![node, seq], chain_row)?.collect::<Result<Vec<_>, _>>()?);
                removed += tx.execute("DELETE FROM audit WHERE node = ?1 AND seq <= ?2", params![node, seq])?;
                let mac = <[u8; 32]>::try_from(last.mac.as_slice()).unwrap_or([0; 32]);
                pruned.anchors.push((node, from_i64(seq), mac));
            }
            pruned.removed = removed;
            if let Some(line) = record(&pruned) {
                insert_audit(tx, chain, None, &[line])?;
            }
            Ok((true, removed))
        })
    }

    fn set_roles(
        &self,
        user: &str,
        roles: &[String],
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool> {
        self.write(|tx| {
            if access_in_exists(tx, user)? {
                verify_in(tx, user, sealer)?;
            } else {
                return Ok((false, false));
            }
            tx.execute("DELETE FROM roles WHERE user = ?1", params![user])?;
            for role in roles {
                tx.execute("INSERT OR IGNORE INTO roles (user, role) VALUES (?1, ?2)", params![user, role])?;
            }
            reseal_in(tx, user, sealer)?;
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn groups(&self, user: &str) -> StoreResult<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached("SELECT grp FROM user_groups WHERE user = ?1")?;
            let rows = stmt.query_map(params![user], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn set_group(&self, user: &str, group: &str, add: bool, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx| {
            if !access_in_exists(tx, user)? {
                return Ok((false, false));
            }
            if add {
                tx.execute(
                    "INSERT OR IGNORE INTO user_groups (user, grp) VALUES (?1, ?2)",
                    params![user, group],
                )?;
            } else {
                tx.execute("DELETE FROM user_groups WHERE user = ?1 AND grp = ?2", params![user, group])?;
            }
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn set_chain(&self, chain: Chain) -> bool {
        self.chain.set(chain).is_ok()
    }

    fn chain_unchained(&self) -> StoreResult<usize> {
        let Some(chain) = self.chain.get() else { return Ok(0) };
        self.write(|tx| {
            let rows = tx
                .prepare("SELECT id, line FROM audit WHERE node IS NULL ORDER BY id")?
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            if rows.is_empty() {
                return Ok((false, 0));
            }
            // Linked in place, in their order, after the node's head.
            let lines: Vec<String> = rows.iter().map(|(_, l)| l.clone()).collect();
            let linked = chain.link(head_in(tx, chain.node())?, None, &lines);
            // A gap line (a head found lower than this process wrote) would come first: none can
            // be pending here, as this runs when the chain is set.
            let skip = linked.len() - rows.len();
            for (r, (id, _)) in linked.iter().skip(skip).zip(&rows) {
                tx.execute(
                    "UPDATE audit SET node = ?1, seq = ?2, prev = ?3, mac = ?4 WHERE id = ?5",
                    params![chain.node(), to_i64(r.seq), &r.prev[..], &r.mac[..], id],
                )?;
            }
            if let Some(last) = linked.last() {
                set_head(tx, chain.node(), last.seq, &last.mac)?;
            }
            Ok((true, rows.len()))
        })
    }

    fn chain_rows(&self, range: Option<(u64, u64)>) -> StoreResult<Vec<ChainRow>> {
        self.with(|conn| {
            let Some((from, to)) = range else {
                let mut stmt = conn.prepare(&format!("SELECT {CHAIN_COLUMNS} FROM audit ORDER BY id"))?;
                let rows = stmt.query_map([], chain_row)?;
                return Ok(rows.collect::<Result<Vec<_>, _>>()?);
            };
            let mut stmt = conn.prepare(&format!(
                "SELECT {CHAIN_COLUMNS} FROM audit WHERE json_valid(line)
                 AND json_extract(line, '$.time') >= ?1 AND json_extract(line, '$.time') < ?2 ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![to_i64(from), to_i64(to)], chain_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn chain_snapshot(&self) -> StoreResult<super::Snapshot> {
        self.with(|conn| {
            // One read transaction: the rows, the heads and the users as of one moment (a line
            // committed between two reads would look like a cut-off end).
            let tx = conn.transaction()?;
            let rows = tx
                .prepare(&format!("SELECT {CHAIN_COLUMNS} FROM audit ORDER BY id"))?
                .query_map([], chain_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let heads = tx
                .prepare("SELECT node, seq, mac FROM audit_heads ORDER BY node")?
                .query_map([], |r| {
                    let mac: Vec<u8> = r.get(2)?;
                    Ok((r.get::<_, String>(0)?, from_i64(r.get(1)?), mac))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let users = tx
                .prepare("SELECT user, state, created_at FROM users ORDER BY user")?
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, from_i64(r.get(2)?)))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(super::Snapshot {
                rows,
                heads: heads
                    .into_iter()
                    .map(|(n, s, m)| (n, (s, <[u8; 32]>::try_from(m.as_slice()).unwrap_or([0; 32]))))
                    .collect(),
                users,
            })
        })
    }

    fn audit_after(&self, node: &str, seq: u64, limit: usize) -> StoreResult<Vec<ChainRow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CHAIN_COLUMNS} FROM audit WHERE node = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![node, to_i64(seq), limit], chain_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn chain_heads(&self) -> StoreResult<Vec<(String, super::chain::Head)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare("SELECT node, seq, mac FROM audit_heads ORDER BY node")?;
            let rows = stmt.query_map([], |r| {
                let mac: Vec<u8> = r.get(2)?;
                Ok((
                    r.get::<_, String>(0)?,
                    (from_i64(r.get(1)?), <[u8; 32]>::try_from(mac.as_slice()).unwrap_or([0; 32])),
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn audit(&self, tail: Option<usize>) -> StoreResult<Vec<String>> {
        self.with(|conn| {
            let limit = tail.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
            let mut stmt = conn.prepare(
                "SELECT line FROM (SELECT id, line FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![limit], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn audit_between(&self, from: u64, to: u64) -> StoreResult<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT line FROM audit WHERE json_valid(line)
                 AND json_extract(line, '$.time') >= ?1 AND json_extract(line, '$.time') < ?2 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![to_i64(from), to_i64(to)], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn create_invitation(
        &self,
        user: &str,
        token_hash: &[u8; 32],
        now: u64,
        expires_at: u64,
        mac: &[u8],
        audit: &[String],
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM invitations WHERE user = ?1 AND used_at IS NULL", params![user])?;
            tx.execute(
                "INSERT INTO invitations (token_hash, user, created_at, expires_at, mac) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![&token_hash[..], user, to_i64(now), to_i64(expires_at), mac],
            )?;
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, ()))
        })
    }

    fn invitation(&self, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>> {
        self.with(|conn| invitation_in(conn, token_hash, now))
    }

    fn enroll(
        &self,
        token_hash: &[u8; 32],
        now: u64,
        rows: &mut dyn FnMut(&Invitation) -> Option<EnrollRows>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<Option<Invitation>> {
        self.write(|tx| {
            let Some(invitation) = invitation_in(tx, token_hash, now)? else { return Ok((false, None)) };
            let Some(r) = rows(&invitation) else { return Ok((false, Some(invitation))) };
            verify_in(tx, &invitation.user, sealer)?;
            // A re-enrolment keeps the state: only a new user's first version is recorded.
            let new_user = !access_in_exists(tx, &invitation.user)?;
            tx.execute(
                "INSERT INTO users (user, credential, state, version, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user) DO UPDATE SET credential = excluded.credential",
                params![invitation.user, r.credential, r.state, to_i64(r.version), to_i64(now)],
            )?;
            tx.execute(
                "UPDATE invitations SET used_at = ?1 WHERE token_hash = ?2",
                params![to_i64(now), &token_hash[..]],
            )?;
            reseal_in(tx, &invitation.user, sealer)?;
            let subject = new_user.then_some((invitation.user.as_str(), r.version));
            insert_audit(tx, self.chain.get(), subject, &r.audit)?;
            Ok((true, Some(invitation)))
        })
    }

    fn open_invitations(&self, now: u64) -> StoreResult<Vec<(String, u64, u64)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT user, created_at, expires_at FROM invitations
                 WHERE used_at IS NULL AND expires_at > ?1 ORDER BY expires_at",
            )?;
            let rows = stmt.query_map(params![to_i64(now)], |r| {
                Ok((r.get::<_, String>(0)?, from_i64(r.get(1)?), from_i64(r.get(2)?)))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn remove_user(&self, user: &str, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx| {
            if tx.execute("DELETE FROM users WHERE user = ?1", params![user])? == 0 {
                return Ok((false, false));
            }
            tx.execute("DELETE FROM windows WHERE user = ?1", params![user])?;
            tx.execute("DELETE FROM roles WHERE user = ?1", params![user])?;
            tx.execute("DELETE FROM user_groups WHERE user = ?1", params![user])?;
            tx.execute("DELETE FROM invitations WHERE user = ?1", params![user])?;
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn enrolled_at(&self, user: &str) -> StoreResult<Option<u64>> {
        self.with(|conn| {
            let t: Option<i64> = conn
                .query_row("SELECT created_at FROM users WHERE user = ?1", params![user], |r| r.get(0))
                .optional()?;
            Ok(t.map(from_i64))
        })
    }

    fn add_window(
        &self,
        user: &str,
        starts_at: u64,
        ends_at: u64,
        now: u64,
        audit: &mut dyn FnMut(i64) -> String,
        sealer: Option<&Sealer>,
    ) -> StoreResult<i64> {
        self.write(|tx| {
            verify_in(tx, user, sealer)?;
            tx.execute(
                "INSERT INTO windows (user, starts_at, ends_at, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user, to_i64(starts_at), to_i64(ends_at), to_i64(now)],
            )?;
            let id = tx.last_insert_rowid();
            reseal_in(tx, user, sealer)?;
            insert_audit(tx, self.chain.get(), None, &[audit(id)])?;
            Ok((true, id))
        })
    }

    fn windows(&self, user: &str) -> StoreResult<Vec<Window>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, starts_at, ends_at FROM windows WHERE user = ?1 ORDER BY starts_at, id",
            )?;
            let rows = stmt.query_map(params![user], |r| {
                Ok(Window { id: r.get(0)?, starts_at: from_i64(r.get(1)?), ends_at: from_i64(r.get(2)?) })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn remove_window(
        &self,
        user: &str,
        id: i64,
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool> {
        self.write(|tx| {
            verify_in(tx, user, sealer)?;
            if tx.execute("DELETE FROM windows WHERE user = ?1 AND id = ?2", params![user, id])? == 0 {
                return Ok((false, false));
            }
            reseal_in(tx, user, sealer)?;
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn in_window(&self, user: &str, now: u64) -> StoreResult<bool> {
        self.with(|conn| {
            let (any, inside): (bool, bool) = conn.query_row(
                "SELECT COUNT(*) > 0, COALESCE(SUM(starts_at <= ?2 AND ?2 < ends_at), 0) > 0
                 FROM windows WHERE user = ?1",
                params![user, to_i64(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(!any || inside)
        })
    }

    fn insert_handle(&self, row: &HandleRow, audit: &[String]) -> StoreResult<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO ticket_handles (id, user, audience, expires_at, used_at, mac)
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
            )?
            .execute(params![
                &row.id[..],
                row.user,
                row.audience,
                to_i64(row.expires_at),
                &row.mac[..]
            ])?;
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, ()))
        })
    }

    fn handle(&self, id: &[u8; 32]) -> StoreResult<Option<HandleRow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user, audience, expires_at, used_at, mac FROM ticket_handles WHERE id = ?1",
            )?;
            let row = stmt
                .query_row(params![&id[..]], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                })
                .optional()?;
            Ok(row.map(|(user, audience, expires, used, mac)| {
                HandleRow {
                    id: *id,
                    user,
                    audience,
                    expires_at: from_i64(expires),
                    used_at: used.map(from_i64),
                    // A MAC of another length cannot be right: the row fails its check.
                    mac: <[u8; 32]>::try_from(mac.as_slice()).unwrap_or([0; 32]),
                }
            }))
        })
    }

    fn use_handle(&self, id: &[u8; 32], now: u64, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx
                .prepare_cached("UPDATE ticket_handles SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL")?
                .execute(params![to_i64(now), &id[..]])?;
            if n == 1 {
                insert_audit(tx, self.chain.get(), None, audit)?;
            }
            Ok((true, n == 1))
        })
    }

    fn site_password(&self, user: &str) -> StoreResult<Option<Option<Vec<u8>>>> {
        self.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT site_password FROM users WHERE user = ?1")?
                .query_row(params![user], |r| r.get::<_, Option<Vec<u8>>>(0))
                .optional()?)
        })
    }

    fn set_site_password(&self, user: &str, record: Option<&[u8]>, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx| {
            let n =
                tx.execute("UPDATE users SET site_password = ?1 WHERE user = ?2", params![record, user])?;
            if n == 1 {
                insert_audit(tx, self.chain.get(), None, audit)?;
            }
            Ok((n == 1, n == 1))
        })
    }

    fn claim_ticket(&self, id: &[u8; 32], expires_at: u64) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO tickets (id, expires_at) VALUES (?1, ?2)",
                params![&id[..], to_i64(expires_at)],
            )?;
            Ok((true, n == 1))
        })
    }

    fn prune_tickets(&self, before: u64) -> StoreResult<usize> {
        self.with(|conn| {
            let tickets =
                conn.execute("DELETE FROM tickets WHERE expires_at < ?1", params![to_i64(before)])?;
            let handles = conn.execute(
                "DELETE FROM ticket_handles WHERE expires_at < ?1",
                params![to_i64(before.saturating_sub(HANDLE_KEEP_SECONDS))],
            )?;
            Ok(tickets + handles)
        })
    }

    fn file_request(
        &self,
        vendor: &str,
        f: &RequestFields,
        now: u64,
        audit: &mut dyn FnMut(i64) -> Vec<String>,
    ) -> StoreResult<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO requests (vendor, starts_at, ends_at, purpose, work, targets, operator,
                 manager_approval, notes, state, filed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'filed', ?10)",
                params![
                    vendor,
                    to_i64(f.starts_at),
                    to_i64(f.ends_at),
                    f.purpose,
                    f.work,
                    f.targets,
                    f.operator,
                    f.manager_approval,
                    f.notes,
                    to_i64(now)
                ],
            )?;
            let id = tx.last_insert_rowid();
            insert_audit(tx, self.chain.get(), None, &audit(id))?;
            Ok((true, id))
        })
    }

    fn requests(&self, vendor: Option<&str>, id: Option<i64>) -> StoreResult<Vec<RequestRow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS} FROM requests
                 WHERE (?1 IS NULL OR vendor = ?1) AND (?2 IS NULL OR id = ?2) ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![vendor, id], request_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn decide_request(
        &self,
        id: i64,
        decide: Decide<'_>,
        audit: &mut dyn FnMut(&RequestRow, Option<i64>) -> Vec<String>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<Option<Option<i64>>> {
        self.write(|tx| {
            let row = tx
                .query_row(
                    &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1 AND state = 'filed'"),
                    params![id],
                    request_row,
                )
                .optional()?;
            let Some(row) = row else { return Ok((false, None)) };
            let window = match decide {
                Decide::Approve { by, at } => {
                    if !access_in_exists(tx, &row.vendor)? {
                        return Ok((false, None));
                    }
                    verify_in(tx, &row.vendor, sealer)?;
                    tx.execute(
                        "INSERT INTO windows (user, starts_at, ends_at, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![row.vendor, to_i64(row.fields.starts_at), to_i64(row.fields.ends_at), to_i64(at)],
                    )?;
                    let window = tx.last_insert_rowid();
                    reseal_in(tx, &row.vendor, sealer)?;
                    tx.execute(
                        "UPDATE requests SET state = 'approved', decided_by = ?1, decided_at = ?2, window_id = ?3
                         WHERE id = ?4",
                        params![by, to_i64(at), window, id],
                    )?;
                    Some(window)
                }
                Decide::Reject { by, at, reason } => {
                    tx.execute(
                        "UPDATE requests SET state = 'rejected', decided_by = ?1, decided_at = ?2, reason = ?3
                         WHERE id = ?4",
                        params![by, to_i64(at), reason, id],
                    )?;
                    None
                }
            };
            insert_audit(tx, self.chain.get(), None, &audit(&row, window))?;
            Ok((true, Some(window)))
        })
    }

    fn report_request(
        &self,
        id: i64,
        vendor: &str,
        r: &ReportFields,
        now: u64,
        audit: &[String],
    ) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE requests SET state = 'reported', actual_from = ?1, actual_to = ?2, done = ?3,
                 result = ?4, follow_up = ?5, reported_at = ?6
                 WHERE id = ?7 AND vendor = ?8 AND state = 'approved'",
                params![
                    to_i64(r.actual_from),
                    to_i64(r.actual_to),
                    r.done,
                    r.result,
                    r.follow_up,
                    to_i64(now),
                    id,
                    vendor
                ],
            )?;
            if n == 0 {
                return Ok((false, false));
            }
            insert_audit(tx, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn set_invitation_roles(&self, token_hash: &[u8; 32], roles: &str, mac: &[u8]) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE invitations SET roles = ?1, roles_mac = ?2 WHERE token_hash = ?3 AND used_at IS NULL",
                params![roles, mac, &token_hash[..]],
            )?;
            Ok((n > 0, n > 0))
        })
    }

    fn invitation_roles(&self, token_hash: &[u8; 32]) -> StoreResult<Option<(String, Vec<u8>)>> {
        self.with(|conn| {
            let row: Option<(Option<String>, Option<Vec<u8>>)> = conn
                .query_row(
                    "SELECT roles, roles_mac FROM invitations WHERE token_hash = ?1",
                    params![&token_hash[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(row.and_then(|(roles, mac)| Some((roles?, mac.unwrap_or_default()))))
        })
    }
}

/// The columns [`request_row`] reads.
const REQUEST_COLUMNS: &str = "id, vendor, starts_at, ends_at, purpose, work, targets, operator, \
     manager_approval, notes, state, filed_at, decided_by, decided_at, reason, window_id, actual_from, \
     actual_to, done, result, follow_up, reported_at";

fn request_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    let reported_at: Option<i64> = r.get(21)?;
    let report = match reported_at {
        Some(_) => Some(ReportFields {
            actual_from: from_i64(r.get::<_, Option<i64>>(16)?.unwrap_or(0)),
            actual_to: from_i64(r.get::<_, Option<i64>>(17)?.unwrap_or(0)),
            done: r.get::<_, Option<String>>(18)?.unwrap_or_default(),
            result: r.get::<_, Option<String>>(19)?.unwrap_or_default(),
            follow_up: r.get::<_, Option<String>>(20)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(RequestRow {
        id: r.get(0)?,
        vendor: r.get(1)?,
        fields: RequestFields {
            starts_at: from_i64(r.get(2)?),
            ends_at: from_i64(r.get(3)?),
            purpose: r.get(4)?,
            work: r.get(5)?,
            targets: r.get(6)?,
            operator: r.get(7)?,
            manager_approval: r.get(8)?,
            notes: r.get(9)?,
        },
        state: RequestState::parse(&r.get::<_, String>(10)?),
        filed_at: from_i64(r.get(11)?),
        decided_by: r.get(12)?,
        decided_at: r.get::<_, Option<i64>>(13)?.map(from_i64),
        reason: r.get(14)?,
        window: r.get(15)?,
        report,
        reported_at: reported_at.map(from_i64),
    })
}

/// Owner-only permissions on a file the store created (Unix).
pub(crate) fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [path.to_owned(), path.with_extension("db-wal"), path.with_extension("db-shm")] {
            if p.exists() {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
}
