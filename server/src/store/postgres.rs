//! The PostgreSQL backend: several server nodes share one database
//! (`--database postgres://…`, SPEC §12).
//!
//! The driver is the `postgres` crate (rust-postgres' blocking client over
//! `tokio-postgres`): the store is called from the server's blocking pool and
//! from the admin commands, both synchronous, exactly as SQLite is.
//! Connections are pooled here; one that fails is dropped and the next call
//! opens a new one, so a restarted database is reconnected without restarting
//! the nodes. Until then calls fail with [`StoreError::Unavailable`] (the
//! server answers 503; RADIUS drops the request).
//!
//! Compare-and-swap is an `UPDATE … WHERE version = $before` under READ
//! COMMITTED: a concurrent writer's committed update makes it match no row,
//! and the caller re-runs on the fresh state.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, Row, Statement, Transaction};

use super::chain::{Chain, ChainRow, Head};
use super::requests::{Decide, ReportFields, RequestFields, RequestRow, RequestState};
use super::{
    AccessFacts, Backend, EnrollRows, HANDLE_KEEP_SECONDS, HandleRow, Invitation, LoadedUser, Migrate,
    Pruned, SCHEMA_VERSION, Sealer, StoreError, StoreResult, UserRow, Window, from_i64, to_i64,
};

/// `SELECT` of every column [`request_row`] reads, then `$tail`.
macro_rules! request_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, vendor, starts_at, ends_at, purpose, work, targets, operator, manager_approval, notes, \
             state, filed_at, decided_by, decided_at, reason, window_id, actual_from, actual_to, done, result, \
             follow_up, reported_at FROM requests ",
            $tail
        )
    };
}

/// The schema, one step per version (table `matrixauth_schema`). Steps are
/// applied under an advisory lock, so nodes starting together migrate once.
const MIGRATIONS: &[&str] = &[
    // 1: users, decoys, audit.
    "
CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    credential  BYTEA NOT NULL,
    state       BYTEA NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE TABLE decoys (
    user_id     TEXT PRIMARY KEY,
    state       BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX decoys_updated_at ON decoys (updated_at);
CREATE TABLE audit (
    id    BIGSERIAL PRIMARY KEY,
    time  BIGINT,
    line  TEXT NOT NULL
);
CREATE INDEX audit_time ON audit (time);
",
    // 2: enrollment invitations (SHA-256 of the token) and access windows.
    "
CREATE TABLE invitations (
    token_hash  BYTEA PRIMARY KEY,
    user_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX invitations_user ON invitations (user_id);
CREATE TABLE windows (
    id          BIGSERIAL PRIMARY KEY,
    user_id     TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX windows_user ON windows (user_id);
",
    // 3: ticket replay rows shared by every node; decoys get a row version.
    "
CREATE TABLE tickets (
    id          BYTEA PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX tickets_expires_at ON tickets (expires_at);
ALTER TABLE decoys ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
",
    // 4: suspension (issue 20): a user refused at every door until resumed.
    "
ALTER TABLE users ADD COLUMN suspended_at BIGINT;
",
    // 5: ticket handles (issue 27): short tickets kept as keyed, MAC'd rows; site passwords.
    "
CREATE TABLE ticket_handles (
    id          BYTEA PRIMARY KEY,
    user_id     TEXT NOT NULL,
    audience    TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    mac         BYTEA NOT NULL
);
CREATE INDEX ticket_handles_expires_at ON ticket_handles (expires_at);
ALTER TABLE users ADD COLUMN site_password BYTEA;
",
    // 6: invitations keyed under the site key and bound by a MAC to user and expiry (issue 21):
    // rows of schema 2 to 5 hold an unkeyed hash and no MAC, so they match nothing.
    "
ALTER TABLE invitations ADD COLUMN mac BYTEA;
",
    // 7: each user's access MAC over suspension and windows (issue 21), written by the login
    // service; rows from before get theirs when the service first opens the store.
    "
ALTER TABLE users ADD COLUMN access_mac BYTEA;
",
    // 8: the audit chain (issue 21): each line's node, sequence number, the MAC of the node's
    // line before and its own, and the state version its transaction wrote; each node's head;
    // roles, covered by the access MAC.
    "
ALTER TABLE audit ADD COLUMN node TEXT;
ALTER TABLE audit ADD COLUMN seq BIGINT;
ALTER TABLE audit ADD COLUMN prev BYTEA;
ALTER TABLE audit ADD COLUMN mac BYTEA;
ALTER TABLE audit ADD COLUMN subject TEXT;
ALTER TABLE audit ADD COLUMN version BIGINT;
CREATE UNIQUE INDEX audit_chain ON audit (node, seq);
CREATE TABLE audit_heads (
    node  TEXT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    mac   BYTEA NOT NULL
);
CREATE TABLE roles (
    user_id  TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
",
    // 9: maintenance requests and their reports (issue 23); the roles an invitation gives at
    // enrolment, with their MAC.
    "
CREATE TABLE requests (
    id                BIGSERIAL PRIMARY KEY,
    vendor            TEXT NOT NULL,
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL,
    purpose           TEXT NOT NULL,
    work              TEXT NOT NULL,
    targets           TEXT NOT NULL,
    operator          TEXT NOT NULL,
    manager_approval  TEXT NOT NULL,
    notes             TEXT NOT NULL,
    state             TEXT NOT NULL,
    filed_at          BIGINT NOT NULL,
    decided_by        TEXT,
    decided_at        BIGINT,
    reason            TEXT,
    window_id         BIGINT,
    actual_from       BIGINT,
    actual_to         BIGINT,
    done              TEXT,
    result            TEXT,
    follow_up         TEXT,
    reported_at       BIGINT
);
CREATE INDEX requests_vendor ON requests (vendor);
ALTER TABLE invitations ADD COLUMN roles TEXT;
ALTER TABLE invitations ADD COLUMN roles_mac BYTEA;
",
    // 10: federation (issue 22): each user's groups (the SAML `groups` attribute).
    "
CREATE TABLE user_groups (
    user_id  TEXT NOT NULL,
    grp      TEXT NOT NULL,
    PRIMARY KEY (user_id, grp)
);
",
];

/// The advisory lock key of migrations ("mxau").
const MIGRATION_LOCK: i64 = 0x6d78_6175;

/// The advisory lock key of audit prunings ("mxap").
const PRUNE_LOCK: i64 = 0x6d78_6170;

/// Connections kept open per process.
const POOL: usize = 16;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        // An error the server reported about a statement is a database error; anything else
        // (refused, reset, closed, timed out, the server shutting down) means it is unreachable.
        match e.as_db_error() {
            Some(db) if !db.code().code().starts_with("57") && !db.code().code().starts_with("08") => {
                StoreError::Sql(format!("{} ({})", db.message(), db.code().code()))
            }
            _ => {
                // "error connecting to server" alone does not say why: add the cause (refused,
                // timed out, a name that does not resolve). Neither holds the URL's password.
                let cause = std::error::Error::source(&e).map(|c| format!(": {c}")).unwrap_or_default();
                StoreError::Unavailable(format!("{e}{cause}"))
            }
        }
    }
}

/// The PostgreSQL backend.
pub struct Postgres {
    config: postgres::Config,
    /// TLS as the URL's `sslmode` and `sslrootcert` say ([`super::pgtls`]).
    tls: super::pgtls::Tls,
    pool: Mutex<Vec<Conn>>,
    /// Connections open now (in use or pooled), at most [`POOL`]: a flood of
    /// calls (a `/readyz` flood, many RADIUS requests) waits for one rather
    /// than open connections until the database's `max_connections`, shared
    /// by every node, runs out.
    open: (Mutex<usize>, std::sync::Condvar),
    /// The schema version this process brought up to date, if it did.
    migrated_from: std::sync::OnceLock<u32>,
    /// This node's audit chain ([`Backend::set_chain`]).
    chain: std::sync::OnceLock<Chain>,
}

/// A pooled connection and the statements prepared on it: a statement is
/// parsed once per connection, so each later use is one round trip.
struct Conn {
    client: Client,
    q: Stmts,
}

/// Prepared statements by their text.
#[derive(Default)]
struct Stmts(HashMap<&'static str, Statement>);

impl Stmts {
    fn get(&mut self, c: &mut impl GenericClient, sql: &'static str) -> StoreResult<Statement> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let s = c.prepare(sql)?;
        self.0.insert(sql, s.clone());
        Ok(s)
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

fn execute_c(
    c: &mut impl GenericClient,
    q: &mut Stmts,
    sql: &'static str,
    params: Params<'_>,
) -> StoreResult<u64> {
    let s = q.get(c, sql)?;
    Ok(c.execute(&s, params)?)
}

fn query_c(
    c: &mut impl GenericClient,
    q: &mut Stmts,
    sql: &'static str,
    params: Params<'_>,
) -> StoreResult<Vec<Row>> {
    let s = q.get(c, sql)?;
    Ok(c.query(&s, params)?)
}

fn query_opt_c(
    c: &mut impl GenericClient,
    q: &mut Stmts,
    sql: &'static str,
    params: Params<'_>,
) -> StoreResult<Option<Row>> {
    let s = q.get(c, sql)?;
    Ok(c.query_opt(&s, params)?)
}

fn query_one_c(
    c: &mut impl GenericClient,
    q: &mut Stmts,
    sql: &'static str,
    params: Params<'_>,
) -> StoreResult<Row> {
    let s = q.get(c, sql)?;
    Ok(c.query_one(&s, params)?)
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("Postgres").finish_non_exhaustive()
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db`, or
    /// with `?host=/run/postgresql` for a Unix socket; `sslmode` and
    /// `sslrootcert` as [`super::pgtls`] says) and checks or brings up to
    /// date the schema as [`Migrate`] says.
    pub fn connect(url: &str, migrate: Migrate) -> StoreResult<Postgres> {
        let (mut config, tls) =
            super::pgtls::configure(url).map_err(|e| StoreError::Schema(format!("database URL: {e}")))?;
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("matrixauth");
        let store = Postgres {
            config,
            tls,
            pool: Mutex::new(Vec::new()),
            open: (Mutex::new(0), std::sync::Condvar::new()),
            migrated_from: std::sync::OnceLock::new(),
            chain: std::sync::OnceLock::new(),
        };
        store.with(|c, _| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            // Created only when missing: a least-privilege runtime role may not create tables.
            let exists: bool =
                col(&tx.query_one("SELECT to_regclass('matrixauth_schema') IS NOT NULL", &[])?, 0)?;
            if !exists {
                tx.batch_execute("CREATE TABLE matrixauth_schema (version INTEGER NOT NULL)")?;
            }
            let version: i32 =
                tx.query_opt("SELECT version FROM matrixauth_schema", &[])?.map_or(Ok(0), |r| col(&r, 0))?;
            let version = u32::try_from(version).unwrap_or(0);
            let fresh = version == 0;
            super::check_version(version, fresh, migrate)?;
            if !fresh && version < SCHEMA_VERSION {
                let _ = store.migrated_from.set(version);
            }
            for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(step)?;
                let v = i32::try_from(i + 1).unwrap_or(i32::MAX);
                tx.execute("DELETE FROM matrixauth_schema", &[])?;
                tx.execute("INSERT INTO matrixauth_schema (version) VALUES ($1)", &[&v])?;
            }
            tx.commit()?;
            Ok(())
        })?;
        debug_assert_eq!(MIGRATIONS.len(), SCHEMA_VERSION as usize);
        Ok(store)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Client, &mut Stmts) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self.pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut conn = match pooled {
            Some(c) if !c.client.is_closed() => c,
            Some(_) => {
                // A dead pooled connection gives its place to the new one.
                self.closed();
                self.open_connection()?
            }
            None => self.open_connection()?,
        };
        let out = f(&mut conn.client, &mut conn.q);
        // A connection that failed is dropped, and so are the pooled ones (after a database
        // restart they are all dead): the next call opens a fresh one.
        if matches!(out, Err(StoreError::Unavailable(_))) {
            let dropped = std::mem::take(&mut *self.pool.lock().unwrap_or_else(PoisonError::into_inner));
            for _ in 0..=dropped.len() {
                self.closed();
            }
        } else if !conn.client.is_closed() {
            let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
            if pool.len() < POOL {
                pool.push(conn);
            } else {
                drop(pool);
                self.closed();
            }
        } else {
            self.closed();
        }
        out
    }

    /// Opens a connection once fewer than [`POOL`] are open (waiting up to
    /// 10 s for one to come back; then the database is as good as unavailable).
    fn open_connection(&self) -> StoreResult<Conn> {
        let (open, freed) = &self.open;
        let mut n = open.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while *n >= POOL {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(StoreError::Unavailable(format!("all {POOL} database connections are busy")));
            }
            n = freed.wait_timeout(n, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        *n += 1;
        drop(n);
        match self.config.connect(self.tls.connector.clone()) {
            Ok(client) => Ok(Conn { client, q: Stmts::default() }),
            Err(e) => {
                self.closed();
                Err(e.into())
            }
        }
    }

    /// A connection was closed (or never opened): its place is free.
    fn closed(&self) {
        let (open, freed) = &self.open;
        let mut n = open.lock().unwrap_or_else(PoisonError::into_inner);
        *n = n.saturating_sub(1);
        freed.notify_one();
    }

    /// Runs `f` in a transaction, committed when `f` returns `Ok((true, _))`.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>, &mut Stmts) -> StoreResult<(bool, T)>,
    ) -> StoreResult<T> {
        self.with(|c, q| {
            Chain::discard();
            let mut tx = c.transaction()?;
            let (commit, out) = f(&mut tx, q)?;
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

/// Appends `lines`, linked into `chain` after its head (locked until the
/// transaction ends, so one node's lines keep their order; other nodes have
/// heads of their own and never wait), bound to `subject`. Unlinked without
/// a chain (a store used on its own, as in the store's tests).
fn insert_audit(
    tx: &mut Transaction<'_>,
    q: &mut Stmts,
    chain: Option<&Chain>,
    subject: Option<(&str, u64)>,
    lines: &[String],
) -> StoreResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let time_of = |line: &str| {
        serde_json::from_str::<serde_json::Value>(line).ok().and_then(|v| v.get("time")?.as_i64())
    };
    let Some(chain) = chain else {
        for line in lines {
            execute_c(tx, q, "INSERT INTO audit (time, line) VALUES ($1, $2)", &[&time_of(line), line])?;
        }
        return Ok(());
    };
    let node = chain.node();
    let rows = chain.link(head_in(tx, q, node)?, subject, lines);
    for r in &rows {
        let (subject, version) =
            r.subject.as_ref().map_or((None, None), |(u, v)| (Some(u.as_str()), Some(to_i64(*v))));
        execute_c(
            tx,
            q,
            "INSERT INTO audit (time, line, node, seq, prev, mac, subject, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &time_of(&r.line),
                &r.line,
                &node,
                &to_i64(r.seq),
                &&r.prev[..],
                &&r.mac[..],
                &subject,
                &version,
            ],
        )?;
    }
    if let Some(last) = rows.last() {
        execute_c(
            tx,
            q,
            "UPDATE audit_heads SET seq = $2, mac = $3 WHERE node = $1",
            &[&node, &to_i64(last.seq), &&last.mac[..]],
        )?;
    }
    Ok(())
}

/// The head of `node`'s chain, locked until the transaction ends (a row
/// made for a new node; `None` then).
fn head_in(tx: &mut Transaction<'_>, q: &mut Stmts, node: &str) -> StoreResult<Option<Head>> {
    // One statement that creates the row if needed and locks it either way.
    let row = query_one_c(
        tx,
        q,
        "INSERT INTO audit_heads (node, seq, mac) VALUES ($1, 0, '\\x') ON CONFLICT (node)
         DO UPDATE SET node = EXCLUDED.node RETURNING seq, mac",
        &[&node],
    )?;
    let stored: (i64, Vec<u8>) = (col(&row, 0)?, col(&row, 1)?);
    // Its last line, if further on: a head row set back must not make the next line reuse a
    // number, which would stop every write of the node.
    let last =
        query_opt_c(tx, q, "SELECT seq, mac FROM audit WHERE node = $1 ORDER BY seq DESC LIMIT 1", &[&node])?
            .map(|r| {
                Ok::<_, StoreError>((col::<i64>(&r, 0)?, col::<Option<Vec<u8>>>(&r, 1)?.unwrap_or_default()))
            })
            .transpose()?;
    Ok(super::chain::further(Some(stored), last))
}

fn chain_row(r: &Row) -> StoreResult<ChainRow> {
    Ok(ChainRow {
        id: col(r, 0)?,
        node: col(r, 1)?,
        seq: from_i64(col::<Option<i64>>(r, 2)?.unwrap_or(0)),
        prev: col::<Option<Vec<u8>>>(r, 3)?.unwrap_or_default(),
        mac: col::<Option<Vec<u8>>>(r, 4)?.unwrap_or_default(),
        subject: col(r, 5)?,
        version: col::<Option<i64>>(r, 6)?.map(from_i64),
        line: col(r, 7)?,
        column_time: if r.len() > 8 { col(r, 8)? } else { None },
    })
}

/// The access MAC `user`'s row and windows call for now, and the one
/// stored (`None`: no such user).
fn access_in(
    tx: &mut Transaction<'_>,
    q: &mut Stmts,
    user: &str,
    sealer: &Sealer,
) -> StoreResult<Option<super::MacPair>> {
    let Some(row) = query_opt_c(
        tx,
        q,
        "SELECT created_at, suspended_at, access_mac FROM users WHERE user_id = $1",
        &[&user],
    )?
    else {
        return Ok(None);
    };
    let (created_at, suspended_at, stored): (i64, Option<i64>, Option<Vec<u8>>) =
        (col(&row, 0)?, col(&row, 1)?, col(&row, 2)?);
    let mut windows: Vec<(u64, u64)> =
        query_c(tx, q, "SELECT starts_at, ends_at FROM windows WHERE user_id = $1", &[&user])?
            .iter()
            .map(|r| Ok((from_i64(col(r, 0)?), from_i64(col(r, 1)?))))
            .collect::<StoreResult<_>>()?;
    windows.sort_unstable();
    let mut roles: Vec<String> = query_c(tx, q, "SELECT role FROM roles WHERE user_id = $1", &[&user])?
        .iter()
        .map(|r| col(r, 0))
        .collect::<StoreResult<_>>()?;
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

/// Refuses to change `user`'s access when their stored MAC does not match
/// their facts: a change made now would re-sign a tampered row.
fn verify_in(
    tx: &mut Transaction<'_>,
    q: &mut Stmts,
    user: &str,
    sealer: Option<&Sealer>,
) -> StoreResult<()> {
    let Some(sealer) = sealer else { return Ok(()) };
    match access_in(tx, q, user, sealer)? {
        Some((expected, stored)) if stored.as_deref() != Some(expected.as_slice()) => {
            Err(StoreError::Tampered(user.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Rewrites `user`'s access MAC from their row and windows, in `tx`.
fn reseal_in(
    tx: &mut Transaction<'_>,
    q: &mut Stmts,
    user: &str,
    sealer: Option<&Sealer>,
) -> StoreResult<()> {
    let Some(sealer) = sealer else { return Ok(()) };
    if let Some((mac, _)) = access_in(tx, q, user, sealer)? {
        execute_c(tx, q, "UPDATE users SET access_mac = $1 WHERE user_id = $2", &[&mac, &user])?;
    }
    Ok(())
}

fn invitation_in(
    tx: &mut Transaction<'_>,
    q: &mut Stmts,
    token_hash: &[u8; 32],
    now: u64,
    lock: bool,
) -> StoreResult<Option<Invitation>> {
    let sql = if lock {
        "SELECT user_id, expires_at, mac FROM invitations
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 FOR UPDATE"
    } else {
        "SELECT user_id, expires_at, mac FROM invitations
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    };
    let row = query_opt_c(tx, q, sql, &[&&token_hash[..], &to_i64(now)])?;
    row.map(|r| {
        Ok(Invitation {
            user: col(&r, 0)?,
            expires_at: from_i64(col(&r, 1)?),
            mac: col::<Option<Vec<u8>>>(&r, 2)?.unwrap_or_default(),
        })
    })
    .transpose()
}

/// Column `i` of a row; a value of an unexpected type or NULL (a schema
/// changed behind the server's back) is an error, not a panic.
fn col<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(|e| StoreError::Sql(format!("unexpected value in column {i}: {e}")))
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl Backend for Postgres {
    fn schema_version(&self) -> StoreResult<u32> {
        self.with(|c, q| {
            let v: i32 = query_opt_c(c, q, "SELECT version FROM matrixauth_schema", &[])?
                .map_or(Ok(0), |r| col(&r, 0))?;
            Ok(u32::try_from(v).unwrap_or(0))
        })
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
        self.write(|tx, q| {
            let n = execute_c(tx, q,
                "INSERT INTO users (user_id, credential, state, version, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id) DO NOTHING",
                &[&user, &credential, &state, &to_i64(version), &to_i64(now)],
            )?;
            if n == 0 {
                return Ok((false, false));
            }
            reseal_in(tx, q, user, sealer)?;
            insert_audit(tx, q, self.chain.get(), Some((user, version)), audit)?;
            Ok((true, true))
        })
    }

    fn migrated_from(&self) -> Option<u32> {
        self.migrated_from.get().copied()
    }

    fn reseal_missing(&self, sealer: &Sealer) -> StoreResult<usize> {
        self.write(|tx, q| {
            let users: Vec<String> =
                query_c(tx, q, "SELECT user_id FROM users WHERE access_mac IS NULL", &[])?
                    .iter()
                    .map(|r| col(r, 0))
                    .collect::<StoreResult<_>>()?;
            for user in &users {
                reseal_in(tx, q, user, Some(sealer))?;
            }
            Ok((true, users.len()))
        })
    }

    fn load_user(&self, user: &str) -> StoreResult<Option<LoadedUser>> {
        self.with(|c, q| {
            let row = query_opt_c(
                c,
                q,
                // One statement, one snapshot: the row and its windows.
                "SELECT credential, state, suspended_at, created_at, access_mac,
                        (SELECT string_agg(starts_at::text || ':' || ends_at::text, ',')
                         FROM windows WHERE user_id = $1),
                        (SELECT string_agg(role, ',') FROM roles WHERE user_id = $1)
                 FROM users WHERE user_id = $1",
                &[&user],
            )?;
            row.map(|r| {
                Ok(LoadedUser {
                    credential: col(&r, 0)?,
                    state: col(&r, 1)?,
                    suspended_at: col::<Option<i64>>(&r, 2)?.map(from_i64),
                    created_at: from_i64(col(&r, 3)?),
                    access_mac: col(&r, 4)?,
                    windows: super::parse_windows(col::<Option<String>>(&r, 5)?.as_deref()),
                    roles: super::parse_roles(col::<Option<String>>(&r, 6)?.as_deref()),
                })
            })
            .transpose()
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
        self.write(|tx, q| {
            let won = match new {
                // Nothing to write: the answer must still be from the current state, which stays
                // so until this transaction ends (FOR SHARE holds off writers).
                None => {
                    let row = query_opt_c(
                        tx,
                        q,
                        "SELECT version FROM users WHERE user_id = $1 AND (suspended_at IS NULL OR $2) FOR SHARE",
                        &[&user, &any],
                    )?;
                    row.map(|r| col::<i64>(&r, 0)).transpose()? == Some(to_i64(before))
                }
                Some((bytes, version)) => {
                    execute_c(
                        tx,
                        q,
                        "UPDATE users SET state = $1, version = $2
                         WHERE user_id = $3 AND version = $4 AND (suspended_at IS NULL OR $5)",
                        &[&bytes, &to_i64(version), &user, &to_i64(before), &any],
                    )? == 1
                }
            };
            if won {
                insert_audit(tx, q, self.chain.get(), new.map(|(_, v)| (user, v)), audit)?;
            }
            Ok((won, won))
        })
    }

    fn load_login(&self, user: &str) -> StoreResult<(Option<LoadedUser>, Option<super::DecoyRow>)> {
        self.with(|c, q| {
            // One statement, one snapshot, one round trip: the user's row, their windows and the
            // decoy row. A user and an unknown id cost the same lookups.
            let r = query_one_c(
                c,
                q,
                "SELECT u.credential, u.state, u.suspended_at, u.created_at, u.access_mac,
                        (SELECT string_agg(starts_at::text || ':' || ends_at::text, ',')
                         FROM windows WHERE user_id = $1),
                        d.state, d.version,
                        (SELECT string_agg(role, ',') FROM roles WHERE user_id = $1)
                 FROM (SELECT $1::text AS user_id) AS k
                 LEFT JOIN users AS u ON u.user_id = k.user_id
                 LEFT JOIN decoys AS d ON d.user_id = k.user_id",
                &[&user],
            )?;
            let user = match col::<Option<Vec<u8>>>(&r, 0)? {
                Some(credential) => Some(LoadedUser {
                    credential,
                    state: col(&r, 1)?,
                    suspended_at: col::<Option<i64>>(&r, 2)?.map(from_i64),
                    created_at: from_i64(col(&r, 3)?),
                    access_mac: col(&r, 4)?,
                    windows: super::parse_windows(col::<Option<String>>(&r, 5)?.as_deref()),
                    roles: super::parse_roles(col::<Option<String>>(&r, 8)?.as_deref()),
                }),
                None => None,
            };
            let decoy = match col::<Option<Vec<u8>>>(&r, 6)? {
                Some(state) => Some((state, from_i64(col(&r, 7)?))),
                None => None,
            };
            Ok((user, decoy))
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
        self.write(|tx, q| {
            let won = match (before, state) {
                // Nothing to write, as for a user: the decision must still be from the current row,
                // which stays so until this transaction ends (FOR SHARE holds off writers). With no
                // row there is nothing to lock: a row made meanwhile by another node is a decision
                // taken after this one.
                (_, None) => {
                    let row = query_opt_c(
                        tx,
                        q,
                        "SELECT version FROM decoys WHERE user_id = $1 FOR SHARE",
                        &[&user],
                    )?;
                    row.map(|r| col::<i64>(&r, 0)).transpose()? == before.map(to_i64)
                }
                (None, Some(state)) => {
                    execute_c(
                        tx,
                        q,
                        "INSERT INTO decoys (user_id, state, updated_at, version) VALUES ($1, $2, $3, 0)
                         ON CONFLICT (user_id) DO NOTHING",
                        &[&user, &state, &to_i64(now)],
                    )? == 1
                }
                (Some(v), Some(state)) => {
                    execute_c(
                        tx,
                        q,
                        "UPDATE decoys SET state = $1, updated_at = $2, version = version + 1
                         WHERE user_id = $3 AND version = $4",
                        &[&state, &to_i64(now), &user, &to_i64(v)],
                    )? == 1
                }
            };
            if won {
                insert_audit(tx, q, self.chain.get(), None, audit)?;
            }
            Ok((won, won))
        })
    }

    fn delete_decoys(&self, user: Option<&str>) -> StoreResult<usize> {
        self.with(|c, q| {
            let n = match user {
                Some(u) => execute_c(c, q, "DELETE FROM decoys WHERE user_id = $1", &[&u])?,
                None => {
                    execute_c(c, q, "DELETE FROM decoys WHERE user_id IN (SELECT user_id FROM users)", &[])?
                }
            };
            Ok(count(n))
        })
    }

    fn stale_decoys(
        &self,
        before: u64,
        after: &str,
        limit: usize,
    ) -> StoreResult<Vec<(String, super::DecoyRow)>> {
        self.with(|c, q| {
            let rows = query_c(
                c,
                q,
                "SELECT user_id, state, version FROM decoys WHERE updated_at < $1 AND user_id > $2
                 ORDER BY user_id LIMIT $3",
                &[&to_i64(before), &after, &to_i64(limit as u64)],
            )?;
            rows.iter().map(|r| Ok((col(r, 0)?, (col(r, 1)?, from_i64(col(r, 2)?))))).collect()
        })
    }

    fn delete_decoys_at(&self, rows: &[(String, u64)]) -> StoreResult<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        self.write(|tx, q| {
            let mut n = 0;
            for (user, version) in rows {
                n += execute_c(
                    tx,
                    q,
                    "DELETE FROM decoys WHERE user_id = $1 AND version = $2",
                    &[user, &to_i64(*version)],
                )?;
            }
            Ok((true, count(n)))
        })
    }

    fn decoys(&self) -> StoreResult<usize> {
        self.with(|c, q| {
            let n: i64 = col(&query_one_c(c, q, "SELECT COUNT(*) FROM decoys", &[])?, 0)?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    fn append_audit(&self, lines: &[String]) -> StoreResult<()> {
        self.write(|tx, q| {
            insert_audit(tx, q, self.chain.get(), None, lines)?;
            Ok((true, ()))
        })
    }

    fn users(&self) -> StoreResult<Vec<UserRow>> {
        self.with(|c, q| {
            let rows = query_c(
                c,
                q,
                "SELECT user_id, credential, state, created_at, suspended_at FROM users ORDER BY user_id",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(UserRow {
                        user: col(r, 0)?,
                        credential: col(r, 1)?,
                        state: col(r, 2)?,
                        created_at: from_i64(col(r, 3)?),
                        suspended_at: col::<Option<i64>>(r, 4)?.map(from_i64),
                    })
                })
                .collect()
        })
    }

    fn set_suspended(
        &self,
        user: Option<&str>,
        at: Option<u64>,
        audit: &mut dyn FnMut(usize) -> Vec<String>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<usize> {
        self.write(|tx, q| {
            let targets: Vec<String> = match user {
                Some(u) => vec![u.to_owned()],
                // Every vendor user: holders of a role (the city's staff) are left as they are.
                None => query_c(
                    tx,
                    q,
                    "SELECT user_id FROM users WHERE user_id NOT IN (SELECT user_id FROM roles)",
                    &[],
                )?
                .iter()
                .map(|r| col(r, 0))
                .collect::<StoreResult<_>>()?,
            };
            // Suspending is never refused (an emergency switch), but only rows whose MAC checks
            // are re-signed: a row changed without the keyring stays refused at every login.
            let mut verified = Vec::new();
            for u in targets {
                match verify_in(tx, q, &u, sealer) {
                    Ok(()) => verified.push(u),
                    Err(StoreError::Tampered(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            let at = at.map(to_i64);
            // Only rows that change: suspending a suspended user keeps the first time.
            let n = match (user, at) {
                (Some(u), Some(t)) => execute_c(
                    tx,
                    q,
                    "UPDATE users SET suspended_at = $1 WHERE user_id = $2 AND suspended_at IS NULL",
                    &[&t, &u],
                )?,
                (Some(u), None) => execute_c(
                    tx,
                    q,
                    "UPDATE users SET suspended_at = NULL WHERE user_id = $1 AND suspended_at IS NOT NULL",
                    &[&u],
                )?,
                (None, Some(t)) => execute_c(
                    tx,
                    q,
                    "UPDATE users SET suspended_at = $1 WHERE suspended_at IS NULL
                     AND user_id NOT IN (SELECT user_id FROM roles)",
                    &[&t],
                )?,
                (None, None) => execute_c(
                    tx,
                    q,
                    "UPDATE users SET suspended_at = NULL WHERE suspended_at IS NOT NULL
                     AND user_id NOT IN (SELECT user_id FROM roles)",
                    &[],
                )?,
            };
            let n = count(n);
            for u in &verified {
                reseal_in(tx, q, u, sealer)?;
            }
            insert_audit(tx, q, self.chain.get(), None, &audit(n))?;
            Ok((true, n))
        })
    }

    fn prune_audit(
        &self,
        before: u64,
        record: &mut dyn FnMut(&Pruned) -> Option<String>,
    ) -> StoreResult<usize> {
        let before_i = to_i64(before);
        self.write(|tx, q| {
            // Nodes prune at the same hour: one at a time, so each marker carries the last one's anchors.
            execute_c(tx, q, "SELECT pg_advisory_xact_lock($1)", &[&PRUNE_LOCK])?;
            let chain = self.chain.get();
            let mut removed =
                count(execute_c(tx, q, "DELETE FROM audit WHERE node IS NULL AND time < $1", &[&before_i])?);
            let nodes = query_c(
                tx,
                q,
                "SELECT node, MAX(seq) FROM audit WHERE node IS NOT NULL AND time < $1 GROUP BY node",
                &[&before_i],
            )?
            .iter()
            .map(|r| Ok((col::<String>(r, 0)?, col::<i64>(r, 1)?)))
            .collect::<StoreResult<Vec<_>>>()?;
            let mut pruned = Pruned::default();
            for (node, seq) in nodes {
                let row = query_one_c(
                    tx,
                    q,
                    "SELECT id, node, seq, prev, mac, subject, version, line FROM audit WHERE node = $1 AND seq = $2",
                    &[&node, &seq],
                )?;
                let last = chain_row(&row)?;
                // The line the pruned range ends with must be genuine and old: a time column or a
                // line edited to make recent lines look old is refused, not laundered into a marker.
                if chain.is_some_and(|c| !last.checks(c) || last.time().is_none_or(|t| t >= before)) {
                    pruned.refused.push(node);
                    continue;
                }
                let markers = query_c(
                    tx,
                    q,
                    "SELECT id, node, seq, prev, mac, subject, version, line FROM audit
                     WHERE node = $1 AND seq BETWEEN 1 AND $2 AND length(line) < 65536
                     AND line LIKE '%\"event\":\"audit_pruned\"%'",
                    &[&node, &seq],
                )?;
                for m in &markers {
                    pruned.markers.push(chain_row(m)?);
                }
                removed += count(execute_c(tx, q, "DELETE FROM audit WHERE node = $1 AND seq <= $2", &[&node, &seq])?);
                let mac = <[u8; 32]>::try_from(last.mac.as_slice()).unwrap_or([0; 32]);
                pruned.anchors.push((node, from_i64(seq), mac));
            }
            pruned.removed = removed;
            if let Some(line) = record(&pruned) {
                insert_audit(tx, q, chain, None, &[line])?;
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
        self.write(|tx, q| {
            // The user's row is locked first, as every change of access does.
            if query_opt_c(tx, q, "SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE", &[&user])?.is_none() {
                return Ok((false, false));
            }
            verify_in(tx, q, user, sealer)?;
            execute_c(tx, q, "DELETE FROM roles WHERE user_id = $1", &[&user])?;
            for role in roles {
                execute_c(
                    tx,
                    q,
                    "INSERT INTO roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&user, role],
                )?;
            }
            reseal_in(tx, q, user, sealer)?;
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn groups(&self, user: &str) -> StoreResult<Vec<String>> {
        self.with(|c, q| {
            let rows = query_c(c, q, "SELECT grp FROM user_groups WHERE user_id = $1", &[&user])?;
            rows.iter().map(|r| col::<String>(r, 0)).collect()
        })
    }

    fn set_group(&self, user: &str, group: &str, add: bool, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx, q| {
            if query_opt_c(tx, q, "SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE", &[&user])?.is_none() {
                return Ok((false, false));
            }
            if add {
                execute_c(
                    tx,
                    q,
                    "INSERT INTO user_groups (user_id, grp) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&user, &group],
                )?;
            } else {
                execute_c(
                    tx,
                    q,
                    "DELETE FROM user_groups WHERE user_id = $1 AND grp = $2",
                    &[&user, &group],
                )?;
            }
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn set_chain(&self, chain: Chain) -> bool {
        self.chain.set(chain).is_ok()
    }

    fn chain_unchained(&self) -> StoreResult<usize> {
        let Some(chain) = self.chain.get() else { return Ok(0) };
        self.write(|tx, q| {
            let rows = query_c(tx, q, "SELECT id, line FROM audit WHERE node IS NULL ORDER BY id", &[])?
                .iter()
                .map(|r| Ok((col::<i64>(r, 0)?, col::<String>(r, 1)?)))
                .collect::<StoreResult<Vec<_>>>()?;
            if rows.is_empty() {
                return Ok((false, 0));
            }
            // Linked in place, in their order, after the node's head.
            let lines: Vec<String> = rows.iter().map(|(_, l)| l.clone()).collect();
            let linked = chain.link(head_in(tx, q, chain.node())?, None, &lines);
            let skip = linked.len() - rows.len();
            for (r, (id, _)) in linked.iter().skip(skip).zip(&rows) {
                execute_c(
                    tx,
                    q,
                    "UPDATE audit SET node = $1, seq = $2, prev = $3, mac = $4 WHERE id = $5",
                    &[&chain.node(), &to_i64(r.seq), &&r.prev[..], &&r.mac[..], id],
                )?;
            }
            if let Some(last) = linked.last() {
                execute_c(
                    tx,
                    q,
                    "UPDATE audit_heads SET seq = $2, mac = $3 WHERE node = $1",
                    &[&chain.node(), &to_i64(last.seq), &&last.mac[..]],
                )?;
            }
            Ok((true, rows.len()))
        })
    }

    fn chain_rows(&self, range: Option<(u64, u64)>) -> StoreResult<Vec<ChainRow>> {
        self.with(|c, q| {
            let rows = match range {
                None => query_c(
                    c,
                    q,
                    "SELECT id, node, seq, prev, mac, subject, version, line FROM audit ORDER BY id",
                    &[],
                )?,
                Some((from, to)) => query_c(
                    c,
                    q,
                    "SELECT id, node, seq, prev, mac, subject, version, line FROM audit
                     WHERE time >= $1 AND time < $2 ORDER BY id",
                    &[&to_i64(from), &to_i64(to)],
                )?,
            };
            rows.iter().map(chain_row).collect()
        })
    }

    fn chain_snapshot(&self) -> StoreResult<super::Snapshot> {
        self.with(|c, _| {
            // One snapshot: a line committed between two reads would look like a cut-off end.
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let rows = tx
                .query(
                    "SELECT id, node, seq, prev, mac, subject, version, line, time FROM audit ORDER BY id",
                    &[],
                )?
                .iter()
                .map(chain_row)
                .collect::<StoreResult<Vec<_>>>()?;
            let heads = tx
                .query("SELECT node, seq, mac FROM audit_heads ORDER BY node", &[])?
                .iter()
                .map(|r| {
                    let mac: Vec<u8> = col(r, 2)?;
                    Ok((
                        col(r, 0)?,
                        (from_i64(col(r, 1)?), <[u8; 32]>::try_from(mac.as_slice()).unwrap_or([0; 32])),
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let users = tx
                .query("SELECT user_id, state, created_at FROM users ORDER BY user_id", &[])?
                .iter()
                .map(|r| Ok((col(r, 0)?, col(r, 1)?, from_i64(col(r, 2)?))))
                .collect::<StoreResult<Vec<_>>>()?;
            tx.commit()?;
            Ok(super::Snapshot { rows, heads, users })
        })
    }

    fn audit_after(&self, node: &str, seq: u64, limit: usize) -> StoreResult<Vec<ChainRow>> {
        self.with(|c, q| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = query_c(
                c,
                q,
                "SELECT id, node, seq, prev, mac, subject, version, line FROM audit
                 WHERE node = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&node, &to_i64(seq), &limit],
            )?;
            rows.iter().map(chain_row).collect()
        })
    }

    fn chain_heads(&self) -> StoreResult<Vec<(String, Head)>> {
        self.with(|c, q| {
            let rows =
                query_c(c, q, "SELECT node, seq, mac FROM audit_heads WHERE seq > 0 ORDER BY node", &[])?;
            rows.iter()
                .map(|r| {
                    let mac: Vec<u8> = col(r, 2)?;
                    Ok((
                        col(r, 0)?,
                        (from_i64(col(r, 1)?), <[u8; 32]>::try_from(mac.as_slice()).unwrap_or([0; 32])),
                    ))
                })
                .collect()
        })
    }

    fn audit(&self, tail: Option<usize>) -> StoreResult<Vec<String>> {
        self.with(|c, q| {
            let limit = tail.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
            let rows = query_c(
                c,
                q,
                "SELECT line FROM (SELECT id, line FROM audit ORDER BY id DESC LIMIT $1) t ORDER BY id",
                &[&limit],
            )?;
            rows.iter().map(|r| col(r, 0)).collect()
        })
    }

    fn audit_between(&self, from: u64, to: u64) -> StoreResult<Vec<String>> {
        self.with(|c, q| {
            let rows = query_c(
                c,
                q,
                "SELECT line FROM audit WHERE time >= $1 AND time < $2 ORDER BY id",
                &[&to_i64(from), &to_i64(to)],
            )?;
            rows.iter().map(|r| col(r, 0)).collect()
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
        self.write(|tx, q| {
            execute_c(tx, q, "DELETE FROM invitations WHERE user_id = $1 AND used_at IS NULL", &[&user])?;
            execute_c(tx, q,
                "INSERT INTO invitations (token_hash, user_id, created_at, expires_at, mac) VALUES ($1, $2, $3, $4, $5)",
                &[&&token_hash[..], &user, &to_i64(now), &to_i64(expires_at), &mac],
            )?;
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, ()))
        })
    }

    fn invitation(&self, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>> {
        self.write(|tx, q| Ok((false, invitation_in(tx, q, token_hash, now, false)?)))
    }

    fn enroll(
        &self,
        token_hash: &[u8; 32],
        now: u64,
        rows: &mut dyn FnMut(&Invitation) -> Option<EnrollRows>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<Option<Invitation>> {
        self.write(|tx, q| {
            // FOR UPDATE: two nodes enrolling with one link at once: the second waits, then finds
            // it used.
            let Some(invitation) = invitation_in(tx, q, token_hash, now, true)? else { return Ok((false, None)) };
            let Some(r) = rows(&invitation) else { return Ok((false, Some(invitation))) };
            verify_in(tx, q, &invitation.user, sealer)?;
            // A re-enrolment keeps the state: only a new user's first version is recorded.
            let new_user = query_opt_c(tx, q, "SELECT 1 FROM users WHERE user_id = $1", &[&invitation.user])?.is_none();
            execute_c(tx, q,
                "INSERT INTO users (user_id, credential, state, version, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id) DO UPDATE SET credential = EXCLUDED.credential",
                &[&invitation.user, &r.credential, &r.state, &to_i64(r.version), &to_i64(now)],
            )?;
            execute_c(tx, q, "UPDATE invitations SET used_at = $1 WHERE token_hash = $2", &[&to_i64(now), &&token_hash[..]])?;
            reseal_in(tx, q, &invitation.user, sealer)?;
            let subject = new_user.then_some((invitation.user.as_str(), r.version));
            insert_audit(tx, q, self.chain.get(), subject, &r.audit)?;
            Ok((true, Some(invitation)))
        })
    }

    fn open_invitations(&self, now: u64) -> StoreResult<Vec<(String, u64, u64)>> {
        self.with(|c, q| {
            let rows = query_c(
                c,
                q,
                "SELECT user_id, created_at, expires_at FROM invitations
                 WHERE used_at IS NULL AND expires_at > $1 ORDER BY expires_at",
                &[&to_i64(now)],
            )?;
            rows.iter().map(|r| Ok((col(r, 0)?, from_i64(col(r, 1)?), from_i64(col(r, 2)?)))).collect()
        })
    }

    fn remove_user(&self, user: &str, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx, q| {
            if execute_c(tx, q, "DELETE FROM users WHERE user_id = $1", &[&user])? == 0 {
                return Ok((false, false));
            }
            execute_c(tx, q, "DELETE FROM windows WHERE user_id = $1", &[&user])?;
            execute_c(tx, q, "DELETE FROM roles WHERE user_id = $1", &[&user])?;
            execute_c(tx, q, "DELETE FROM user_groups WHERE user_id = $1", &[&user])?;
            execute_c(tx, q, "DELETE FROM invitations WHERE user_id = $1", &[&user])?;
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn enrolled_at(&self, user: &str) -> StoreResult<Option<u64>> {
        self.with(|c, q| {
            let row = query_opt_c(c, q, "SELECT created_at FROM users WHERE user_id = $1", &[&user])?;
            row.map(|r| Ok(from_i64(col(&r, 0)?))).transpose()
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
        self.write(|tx, q| {
            verify_in(tx, q, user, sealer)?;
            let row = query_one_c(
                tx,
                q,
                "INSERT INTO windows (user_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&user, &to_i64(starts_at), &to_i64(ends_at), &to_i64(now)],
            )?;
            let id: i64 = col(&row, 0)?;
            reseal_in(tx, q, user, sealer)?;
            insert_audit(tx, q, self.chain.get(), None, &[audit(id)])?;
            Ok((true, id))
        })
    }

    fn windows(&self, user: &str) -> StoreResult<Vec<Window>> {
        self.with(|c, q| {
            let rows = query_c(
                c,
                q,
                "SELECT id, starts_at, ends_at FROM windows WHERE user_id = $1 ORDER BY starts_at, id",
                &[&user],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(Window {
                        id: col(r, 0)?,
                        starts_at: from_i64(col(r, 1)?),
                        ends_at: from_i64(col(r, 2)?),
                    })
                })
                .collect()
        })
    }

    fn remove_window(
        &self,
        user: &str,
        id: i64,
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool> {
        self.write(|tx, q| {
            verify_in(tx, q, user, sealer)?;
            if execute_c(tx, q, "DELETE FROM windows WHERE user_id = $1 AND id = $2", &[&user, &id])? == 0 {
                return Ok((false, false));
            }
            reseal_in(tx, q, user, sealer)?;
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn in_window(&self, user: &str, now: u64) -> StoreResult<bool> {
        self.with(|c, q| {
            let r = query_one_c(
                c,
                q,
                "SELECT COUNT(*) > 0, COALESCE(bool_or(starts_at <= $2 AND $2 < ends_at), false)
                 FROM windows WHERE user_id = $1",
                &[&user, &to_i64(now)],
            )?;
            let (any, inside): (bool, bool) = (col(&r, 0)?, col(&r, 1)?);
            Ok(!any || inside)
        })
    }

    fn insert_handle(&self, row: &HandleRow, audit: &[String]) -> StoreResult<()> {
        self.write(|tx, q| {
            execute_c(
                tx,
                q,
                "INSERT INTO ticket_handles (id, user_id, audience, expires_at, used_at, mac)
                 VALUES ($1, $2, $3, $4, NULL, $5)",
                &[&&row.id[..], &row.user, &row.audience, &to_i64(row.expires_at), &&row.mac[..]],
            )?;
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, ()))
        })
    }

    fn handle(&self, id: &[u8; 32]) -> StoreResult<Option<HandleRow>> {
        self.with(|c, q| {
            let row = query_opt_c(
                c,
                q,
                "SELECT user_id, audience, expires_at, used_at, mac FROM ticket_handles WHERE id = $1",
                &[&&id[..]],
            )?;
            row.map(|r| {
                let mac: Vec<u8> = col(&r, 4)?;
                Ok(HandleRow {
                    id: *id,
                    user: col(&r, 0)?,
                    audience: col(&r, 1)?,
                    expires_at: from_i64(col(&r, 2)?),
                    used_at: col::<Option<i64>>(&r, 3)?.map(from_i64),
                    // A MAC of another length cannot be right: the row fails its check.
                    mac: <[u8; 32]>::try_from(mac.as_slice()).unwrap_or([0; 32]),
                })
            })
            .transpose()
        })
    }

    fn use_handle(&self, id: &[u8; 32], now: u64, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx, q| {
            let n = execute_c(
                tx,
                q,
                "UPDATE ticket_handles SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                &[&to_i64(now), &&id[..]],
            )?;
            if n == 1 {
                insert_audit(tx, q, self.chain.get(), None, audit)?;
            }
            Ok((true, n == 1))
        })
    }

    fn site_password(&self, user: &str) -> StoreResult<Option<Option<Vec<u8>>>> {
        self.with(|c, q| {
            let row = query_opt_c(c, q, "SELECT site_password FROM users WHERE user_id = $1", &[&user])?;
            row.map(|r| col::<Option<Vec<u8>>>(&r, 0)).transpose()
        })
    }

    fn set_site_password(&self, user: &str, record: Option<&[u8]>, audit: &[String]) -> StoreResult<bool> {
        self.write(|tx, q| {
            let n = execute_c(
                tx,
                q,
                "UPDATE users SET site_password = $1 WHERE user_id = $2",
                &[&record, &user],
            )?;
            if n == 1 {
                insert_audit(tx, q, self.chain.get(), None, audit)?;
            }
            Ok((n == 1, n == 1))
        })
    }

    fn claim_ticket(&self, id: &[u8; 32], expires_at: u64) -> StoreResult<bool> {
        self.with(|c, q| {
            let n = execute_c(
                c,
                q,
                "INSERT INTO tickets (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[&&id[..], &to_i64(expires_at)],
            )?;
            Ok(n == 1)
        })
    }

    fn prune_tickets(&self, before: u64) -> StoreResult<usize> {
        self.with(|c, q| {
            let tickets = execute_c(c, q, "DELETE FROM tickets WHERE expires_at < $1", &[&to_i64(before)])?;
            let keep = to_i64(before.saturating_sub(HANDLE_KEEP_SECONDS));
            let handles = execute_c(c, q, "DELETE FROM ticket_handles WHERE expires_at < $1", &[&keep])?;
            Ok(count(tickets + handles))
        })
    }

    fn file_request(
        &self,
        vendor: &str,
        f: &RequestFields,
        now: u64,
        audit: &mut dyn FnMut(i64) -> Vec<String>,
    ) -> StoreResult<i64> {
        self.write(|tx, q| {
            let row = query_one_c(
                tx,
                q,
                "INSERT INTO requests (vendor, starts_at, ends_at, purpose, work, targets, operator,
                 manager_approval, notes, state, filed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'filed', $10) RETURNING id",
                &[
                    &vendor,
                    &to_i64(f.starts_at),
                    &to_i64(f.ends_at),
                    &f.purpose,
                    &f.work,
                    &f.targets,
                    &f.operator,
                    &f.manager_approval,
                    &f.notes,
                    &to_i64(now),
                ],
            )?;
            let id: i64 = col(&row, 0)?;
            insert_audit(tx, q, self.chain.get(), None, &audit(id))?;
            Ok((true, id))
        })
    }

    fn requests(&self, vendor: Option<&str>, id: Option<i64>) -> StoreResult<Vec<RequestRow>> {
        self.with(|c, q| {
            let rows = query_c(
                c,
                q,
                request_select!(
                    "WHERE ($1::TEXT IS NULL OR vendor = $1) AND ($2::BIGINT IS NULL OR id = $2) ORDER BY id"
                ),
                &[&vendor, &id],
            )?;
            rows.iter().map(request_row).collect()
        })
    }

    fn decide_request(
        &self,
        id: i64,
        decide: Decide<'_>,
        audit: &mut dyn FnMut(&RequestRow, Option<i64>) -> Vec<String>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<Option<Option<i64>>> {
        self.write(|tx, q| {
            let row =
                query_opt_c(tx, q, request_select!("WHERE id = $1 AND state = 'filed' FOR UPDATE"), &[&id])?;
            let Some(row) = row.as_ref().map(request_row).transpose()? else { return Ok((false, None)) };
            let window = match decide {
                Decide::Approve { by, at } => {
                    let exists =
                        query_opt_c(tx, q, "SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE", &[&row.vendor])?;
                    if exists.is_none() {
                        return Ok((false, None));
                    }
                    verify_in(tx, q, &row.vendor, sealer)?;
                    let w = query_one_c(
                        tx,
                        q,
                        "INSERT INTO windows (user_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4)
                         RETURNING id",
                        &[&row.vendor, &to_i64(row.fields.starts_at), &to_i64(row.fields.ends_at), &to_i64(at)],
                    )?;
                    let window: i64 = col(&w, 0)?;
                    reseal_in(tx, q, &row.vendor, sealer)?;
                    execute_c(
                        tx,
                        q,
                        "UPDATE requests SET state = 'approved', decided_by = $1, decided_at = $2, window_id = $3
                         WHERE id = $4",
                        &[&by, &to_i64(at), &window, &id],
                    )?;
                    Some(window)
                }
                Decide::Reject { by, at, reason } => {
                    execute_c(
                        tx,
                        q,
                        "UPDATE requests SET state = 'rejected', decided_by = $1, decided_at = $2, reason = $3
                         WHERE id = $4",
                        &[&by, &to_i64(at), &reason, &id],
                    )?;
                    None
                }
            };
            insert_audit(tx, q, self.chain.get(), None, &audit(&row, window))?;
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
        self.write(|tx, q| {
            let n = execute_c(
                tx,
                q,
                "UPDATE requests SET state = 'reported', actual_from = $1, actual_to = $2, done = $3,
                 result = $4, follow_up = $5, reported_at = $6
                 WHERE id = $7 AND vendor = $8 AND state = 'approved'",
                &[
                    &to_i64(r.actual_from),
                    &to_i64(r.actual_to),
                    &r.done,
                    &r.result,
                    &r.follow_up,
                    &to_i64(now),
                    &id,
                    &vendor,
                ],
            )?;
            if n == 0 {
                return Ok((false, false));
            }
            insert_audit(tx, q, self.chain.get(), None, audit)?;
            Ok((true, true))
        })
    }

    fn set_invitation_roles(&self, token_hash: &[u8; 32], roles: &str, mac: &[u8]) -> StoreResult<bool> {
        self.write(|tx, q| {
            let n = execute_c(
                tx,
                q,
                "UPDATE invitations SET roles = $1, roles_mac = $2 WHERE token_hash = $3 AND used_at IS NULL",
                &[&roles, &mac, &&token_hash[..]],
            )?;
            Ok((n > 0, n > 0))
        })
    }

    fn invitation_roles(&self, token_hash: &[u8; 32]) -> StoreResult<Option<(String, Vec<u8>)>> {
        self.with(|c, q| {
            let row = query_opt_c(
                c,
                q,
                "SELECT roles, roles_mac FROM invitations WHERE token_hash = $1",
                &[&&token_hash[..]],
            )?;
            let Some(row) = row else { return Ok(None) };
            let roles: Option<String> = col(&row, 0)?;
            let mac: Option<Vec<u8>> = col(&row, 1)?;
            Ok(roles.map(|r| (r, mac.unwrap_or_default())))
        })
    }
}

fn request_row(r: &Row) -> StoreResult<RequestRow> {
    let reported_at: Option<i64> = col(r, 21)?;
    let report = match reported_at {
        Some(_) => Some(ReportFields {
            actual_from: from_i64(col::<Option<i64>>(r, 16)?.unwrap_or(0)),
            actual_to: from_i64(col::<Option<i64>>(r, 17)?.unwrap_or(0)),
            done: col::<Option<String>>(r, 18)?.unwrap_or_default(),
            result: col::<Option<String>>(r, 19)?.unwrap_or_default(),
            follow_up: col::<Option<String>>(r, 20)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(RequestRow {
        id: col(r, 0)?,
        vendor: col(r, 1)?,
        fields: RequestFields {
            starts_at: from_i64(col(r, 2)?),
            ends_at: from_i64(col(r, 3)?),
            purpose: col(r, 4)?,
            work: col(r, 5)?,
            targets: col(r, 6)?,
            operator: col(r, 7)?,
            manager_approval: col(r, 8)?,
            notes: col(r, 9)?,
        },
        state: RequestState::parse(&col::<String>(r, 10)?),
        filed_at: from_i64(col(r, 11)?),
        decided_by: col(r, 12)?,
        decided_at: col::<Option<i64>>(r, 13)?.map(from_i64),
        reason: col(r, 14)?,
        window: col(r, 15)?,
        report,
        reported_at: reported_at.map(from_i64),
    })
}
