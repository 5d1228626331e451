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
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sql(e) => write!(f, "database error: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored user state is corrupt: {e}"),
            StoreError::Encode(e) => write!(f, "cannot encode a user state: {e}"),
            StoreError::Contended => f.write_str("too many concurrent updates of one user"),
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

const SCHEMA: &str = "
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
";

/// Tries of one compare-and-swap before giving up.
const CAS_TRIES: usize = 100;

impl Store {
    /// Opens (creating if needed) the database at `path`, owner-only; user
    /// states are authenticated under `keyring`.
    pub fn open(path: &Path, keyring: mx::Keyring) -> StoreResult<Store> {
        let store = Store { path: path.to_owned(), pool: Mutex::new(Vec::new()), keyring };
        let conn = store.connect()?;
        conn.execute_batch(SCHEMA)?;
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
