//! The demo's embedded store: SQLite holding sealed credentials, user states
//! and the audit log.
//!
//! Every change of a user's state is a compare-and-swap on the state's
//! `version` (SPEC §5), in one transaction with the audit lines of the same
//! call: a request that lost a race writes nothing and is re-run on the
//! fresh state, so concurrent attempts never lose a counted failure and the
//! log never records an event that did not happen.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

/// A store error: SQLite's, or a record that does not decode.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite failed.
    Sql(rusqlite::Error),
    /// A stored state does not decode or authenticate (the record is left
    /// as it is): altered, moved from another user, or written without the key.
    Corrupt(mx::Error),
    /// A state could not be encoded (an invalid user id).
    Encode(mx::Error),
    /// A compare-and-swap kept losing (over 100 tries).
    Contended,
    /// The database's schema is not this build's (`matrixauth db migrate`).
    Schema(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sql(e) => write!(f, "database error: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored user state is corrupt: {e}"),
            StoreError::Encode(e) => write!(f, "cannot encode a user state: {e}"),
            StoreError::Contended => f.write_str("too many concurrent updates of one user"),
            StoreError::Schema(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

/// Result with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// One enrolled user as the store holds it.
pub struct UserRecord {
    /// The sealed credential (bound to the user id).
    pub sealed_credential: Vec<u8>,
    /// The user's state.
    pub state: mx::UserState,
}

/// A row of `matrixauth users`.
#[derive(Debug)]
pub struct UserSummary {
    /// The user id.
    pub user: String,
    /// Unix seconds of enrollment.
    pub created_at: u64,
    /// The decoded state (or why it does not decode).
    pub state: Result<mx::UserState, mx::Error>,
}

/// The SQLite store, with a small pool of connections so that requests run
/// in parallel and the compare-and-swap is real.
pub struct Store {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
    /// Authenticates the state records (SPEC §5): a row edited in the
    /// database, or copied from another user, does not load.
    keyring: mx::Keyring,
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
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Whether [`Store::open`] may bring an older schema up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Migrate {
    /// Apply missing steps (`matrixauth serve` on its embedded database,
    /// `matrixauth db migrate`).
    Yes,
    /// Refuse an older schema with a message naming `matrixauth db migrate`
    /// (the admin commands: they never change the schema behind a server's back).
    No,
}

/// An approved access window of a user (Unix seconds, `[starts_at, ends_at)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Its number, for `users window remove`.
    pub id: i64,
    /// Start, inclusive.
    pub starts_at: u64,
    /// End, exclusive.
    pub ends_at: u64,
}

/// What an invitation lookup found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The user id the invitation enrols.
    pub user: String,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
}

/// Tries of one compare-and-swap before giving up.
const CAS_TRIES: usize = 100;

impl Store {
    /// Opens (creating if needed) the database at `path`, owner-only; user
    /// states are authenticated under `keyring`.
    ///
    /// A new database gets the current schema. An older one is brought up
    /// to date with [`Migrate::Yes`] and refused with [`Migrate::No`]; a
    /// newer one (written by a later release) is always refused.
    pub fn open(path: &Path, keyring: mx::Keyring, migrate: Migrate) -> StoreResult<Store> {
        let store = Store { path: path.to_owned(), pool: Mutex::new(Vec::new()), keyring };
        let mut conn = store.connect()?;
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let fresh: bool =
            conn.query_row("SELECT COUNT(*) = 0 FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Schema(format!(
                "the database has schema version {version}, newer than this build's {SCHEMA_VERSION}: \
                 run the matching matrixauth release"
            )));
        }
        if version < SCHEMA_VERSION && !fresh && migrate == Migrate::No {
            return Err(StoreError::Schema(format!(
                "the database has schema version {version}, this build needs {SCHEMA_VERSION}: \
                 run `matrixauth db migrate` (or start `matrixauth serve`, which migrates)"
            )));
        }
        migrate_in(&mut conn, version)?;
        restrict_permissions(path);
        store.put(conn);
        Ok(store)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> StoreResult<u32> {
        self.with(|conn| Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?))
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

    /// Adds a user; `Ok(false)` if the id is taken (nothing changes).
    pub fn create_user(
        &self,
        user: &str,
        sealed_credential: &[u8],
        state: &mx::UserState,
        now: u64,
        audit: &[String],
    ) -> StoreResult<bool> {
        let state_bytes = state.to_bytes(&self.keyring, user).map_err(StoreError::Encode)?;
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO users (user, credential, state, version, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user, sealed_credential, state_bytes, to_i64(state.version()), to_i64(now)],
            )?;
            if n == 0 {
                return Ok(false);
            }
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// The user's record, or `None` if not enrolled.
    pub fn load(&self, user: &str) -> StoreResult<Option<UserRecord>> {
        self.with(|conn| load_in(conn, &self.keyring, user))
    }

    /// Runs `f` on the user's current record and stores the state it leaves
    /// with a compare-and-swap on `version`, together with the audit lines it
    /// returns; on a lost race, re-runs `f` on the fresh record. `None` if
    /// the user is not enrolled.
    pub fn update<T>(
        &self,
        user: &str,
        mut f: impl FnMut(&mut UserRecord) -> (T, Vec<String>),
    ) -> StoreResult<Option<T>> {
        self.with(|conn| {
            for _ in 0..CAS_TRIES {
                let Some(mut record) = load_in(conn, &self.keyring, user)? else { return Ok(None) };
                let before = record.state.version();
                let (out, audit) = f(&mut record);
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                if record.state.version() == before {
                    // Nothing to write, but the answer must still be from the current state:
                    // if someone changed it since we read it, re-run.
                    let current: Option<i64> = tx
                        .query_row("SELECT version FROM users WHERE user = ?1", params![user], |r| r.get(0))
                        .optional()?;
                    if current != Some(to_i64(before)) {
                        continue;
                    }
                } else {
                    let bytes = record.state.to_bytes(&self.keyring, user).map_err(StoreError::Encode)?;
                    let n = tx.execute(
                        "UPDATE users SET state = ?1, version = ?2 WHERE user = ?3 AND version = ?4",
                        params![bytes, to_i64(record.state.version()), user, to_i64(before)],
                    )?;
                    if n == 0 {
                        continue; // lost the race: drop this result, re-run on the fresh state
                    }
                }
                insert_audit(&tx, &audit)?;
                tx.commit()?;
                return Ok(Some(out));
            }
            Err(StoreError::Contended)
        })
    }

    /// Runs `f` on the decoy state of the unknown user `user` (a default
    /// state if there is none, or if the stored one does not authenticate)
    /// and stores what it leaves with `now`, in one transaction with the
    /// audit lines `f` returns; nothing is stored when `f` says not to keep
    /// it. Decoys live in the store like users, so a flood of other names
    /// cannot evict one (which would tell unknown users from real ones), a
    /// restart keeps them, and every node sharing the store sees the same.
    pub fn update_decoy<T>(
        &self,
        user: &str,
        now: u64,
        f: impl FnOnce(&mut mx::UserState) -> (T, Vec<String>, bool),
    ) -> StoreResult<T> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let stored: Option<Vec<u8>> = tx
                .query_row("SELECT state FROM decoys WHERE user = ?1", params![user], |r| r.get(0))
                .optional()?;
            let mut state = stored
                .and_then(|b| mx::UserState::from_bytes(&self.keyring, user, &b).ok())
                .unwrap_or_default();
            let (out, audit, keep) = f(&mut state);
            if keep {
                let bytes = state.to_bytes(&self.keyring, user).map_err(StoreError::Encode)?;
                tx.execute(
                    "INSERT INTO decoys (user, state, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                    params![user, bytes, to_i64(now)],
                )?;
            }
            insert_audit(&tx, &audit)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Forgets decoy states not touched since `before` (Unix seconds);
    /// returns how many.
    pub fn prune_decoys(&self, before: u64) -> StoreResult<usize> {
        self.with(|conn| {
            Ok(conn.execute("DELETE FROM decoys WHERE updated_at < ?1", params![to_i64(before)])?)
        })
    }

    /// Decoy states stored.
    pub fn decoys(&self) -> StoreResult<usize> {
        self.with(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM decoys", [], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    /// Appends audit lines on their own (events with no user record).
    pub fn append_audit(&self, lines: &[String]) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.with(|conn| {
            let tx = conn.transaction()?;
            insert_audit(&tx, lines)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Every user, by id.
    pub fn users(&self) -> StoreResult<Vec<UserSummary>> {
        self.with(|conn| {
            let mut stmt = conn.prepare("SELECT user, state, created_at FROM users ORDER BY user")?;
            let rows = stmt.query_map([], |r| {
                let user: String = r.get(0)?;
                let state: Vec<u8> = r.get(1)?;
                let created: i64 = r.get(2)?;
                Ok(UserSummary {
                    created_at: u64::try_from(created).unwrap_or(0),
                    state: mx::UserState::from_bytes(&self.keyring, &user, &state),
                    user,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Deletes the audit lines whose `time` is before `before` (Unix
    /// seconds), and appends the line `record` makes of the count (the
    /// pruning's own line; `None`: none) in the same transaction. Returns
    /// the count.
    pub fn prune_audit(
        &self,
        before: u64,
        record: impl FnOnce(usize) -> Option<String>,
    ) -> StoreResult<usize> {
        let before = i64::try_from(before).unwrap_or(i64::MAX);
        self.with(|conn| {
            let tx = conn.transaction()?;
            let removed = tx.execute(
                "DELETE FROM audit WHERE json_valid(line) AND json_extract(line, '$.time') < ?1",
                params![before],
            )?;
            if let Some(line) = record(removed) {
                insert_audit(&tx, &[line])?;
            }
            tx.commit()?;
            Ok(removed)
        })
    }

    /// Stores an enrollment invitation for `user` (only the SHA-256 of its
    /// token), revoking the user's earlier unused ones, with `audit` in the
    /// same transaction.
    pub fn create_invitation(
        &self,
        user: &str,
        token_hash: &[u8; 32],
        now: u64,
        expires_at: u64,
        audit: &[String],
    ) -> StoreResult<()> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM invitations WHERE user = ?1 AND used_at IS NULL", params![user])?;
            tx.execute(
                "INSERT INTO invitations (token_hash, user, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![&token_hash[..], user, to_i64(now), to_i64(expires_at)],
            )?;
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The unused, unexpired invitation with this token hash, if any.
    pub fn invitation(&self, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>> {
        self.with(|conn| invitation_in(conn, token_hash, now))
    }

    /// Enrols the holder of an invitation, in one transaction: the
    /// invitation must still be unused and unexpired; `seal` gets its user id
    /// and returns the sealed credential and the audit lines (or an error,
    /// which changes nothing). A new user starts with a fresh state; an
    /// enrolled one (re-enrolment) gets the new credential and keeps the
    /// state, locks and counters included. The invitation is then used.
    /// `Ok(None)`: no such invitation (or used, or expired).
    pub fn enroll<E>(
        &self,
        token_hash: &[u8; 32],
        now: u64,
        seal: impl FnOnce(&str) -> Result<(Vec<u8>, Vec<String>), E>,
    ) -> StoreResult<Option<Result<Invitation, E>>> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let Some(invitation) = invitation_in(&tx, token_hash, now)? else { return Ok(None) };
            let (sealed, audit) = match seal(&invitation.user) {
                Ok(v) => v,
                Err(e) => return Ok(Some(Err(e))),
            };
            let state = mx::UserState::new();
            let state_bytes = state.to_bytes(&self.keyring, &invitation.user).map_err(StoreError::Encode)?;
            tx.execute(
                "INSERT INTO users (user, credential, state, version, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user) DO UPDATE SET credential = excluded.credential",
                params![invitation.user, sealed, state_bytes, to_i64(state.version()), to_i64(now)],
            )?;
            tx.execute(
                "UPDATE invitations SET used_at = ?1 WHERE token_hash = ?2",
                params![to_i64(now), &token_hash[..]],
            )?;
            insert_audit(&tx, &audit)?;
            tx.commit()?;
            Ok(Some(Ok(invitation)))
        })
    }

    /// Invitations not used yet: (user, created, expires), by expiry.
    pub fn open_invitations(&self, now: u64) -> StoreResult<Vec<(String, u64, u64)>> {
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

    /// Removes a user: the record, windows and invitations, with `audit`.
    /// `false` if there was no such user (nothing changes).
    pub fn remove_user(&self, user: &str, audit: &[String]) -> StoreResult<bool> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM users WHERE user = ?1", params![user])? == 0 {
                return Ok(false);
            }
            tx.execute("DELETE FROM windows WHERE user = ?1", params![user])?;
            tx.execute("DELETE FROM invitations WHERE user = ?1", params![user])?;
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// Whether `user` is enrolled, and when (Unix seconds).
    pub fn enrolled_at(&self, user: &str) -> StoreResult<Option<u64>> {
        self.with(|conn| {
            let t: Option<i64> = conn
                .query_row("SELECT created_at FROM users WHERE user = ?1", params![user], |r| r.get(0))
                .optional()?;
            Ok(t.map(from_i64))
        })
    }

    /// Adds an access window for `user`, with `audit`; returns its number.
    pub fn add_window(
        &self,
        user: &str,
        starts_at: u64,
        ends_at: u64,
        now: u64,
        audit: impl FnOnce(i64) -> String,
    ) -> StoreResult<i64> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO windows (user, starts_at, ends_at, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user, to_i64(starts_at), to_i64(ends_at), to_i64(now)],
            )?;
            let id = tx.last_insert_rowid();
            insert_audit(&tx, &[audit(id)])?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// The access windows of `user`, by start.
    pub fn windows(&self, user: &str) -> StoreResult<Vec<Window>> {
        self.with(|conn| windows_in(conn, user))
    }

    /// Removes window `id` of `user`, with `audit`; `false` if there is none.
    pub fn remove_window(&self, user: &str, id: i64, audit: &[String]) -> StoreResult<bool> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM windows WHERE user = ?1 AND id = ?2", params![user, id])? == 0 {
                return Ok(false);
            }
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// Whether `user` may log in at `now`: true without windows, else
    /// whether one holds `now`.
    pub fn in_window(&self, user: &str, now: u64) -> StoreResult<bool> {
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

    /// The audit lines whose `time` is in `[from, to)`, oldest first
    /// (`matrixauth audit export`).
    pub fn audit_between(&self, from: u64, to: u64) -> StoreResult<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT line FROM audit WHERE json_valid(line)
                 AND json_extract(line, '$.time') >= ?1 AND json_extract(line, '$.time') < ?2 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![to_i64(from), to_i64(to)], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The last `tail` audit lines (all with `None`), oldest first.
    pub fn audit(&self, tail: Option<usize>) -> StoreResult<Vec<String>> {
        self.with(|conn| {
            let limit = tail.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
            let mut stmt = conn.prepare(
                "SELECT line FROM (SELECT id, line FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![limit], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
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

fn load_in(conn: &Connection, keyring: &mx::Keyring, user: &str) -> StoreResult<Option<UserRecord>> {
    let row: Option<(Vec<u8>, Vec<u8>)> = conn
        .query_row("SELECT credential, state FROM users WHERE user = ?1", params![user], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((sealed_credential, state)) = row else { return Ok(None) };
    let state = mx::UserState::from_bytes(keyring, user, &state).map_err(StoreError::Corrupt)?;
    Ok(Some(UserRecord { sealed_credential, state }))
}

fn invitation_in(conn: &Connection, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>> {
    let row: Option<(String, i64)> = conn
        .query_row(
            "SELECT user, expires_at FROM invitations
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![&token_hash[..], to_i64(now)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.map(|(user, expires)| Invitation { user, expires_at: from_i64(expires) }))
}

fn windows_in(conn: &Connection, user: &str) -> StoreResult<Vec<Window>> {
    let mut stmt =
        conn.prepare("SELECT id, starts_at, ends_at FROM windows WHERE user = ?1 ORDER BY starts_at, id")?;
    let rows = stmt.query_map(params![user], |r| {
        Ok(Window { id: r.get(0)?, starts_at: from_i64(r.get(1)?), ends_at: from_i64(r.get(2)?) })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn insert_audit(tx: &rusqlite::Transaction<'_>, lines: &[String]) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached("INSERT INTO audit (line) VALUES (?1)")?;
    for line in lines {
        stmt.execute(params![line])?;
    }
    Ok(())
}

/// SQLite stores signed 64-bit integers; times and versions fit.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Times read back: never negative.
fn from_i64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
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
