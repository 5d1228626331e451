//! The server's store: sealed credentials and cards, user states,
//! suspensions, the audit log, invitations, access windows, ticket replay
//! rows and decoy states. Only the login service ([`crate::login`]) and the
//! admin commands through it use it; no door does.
//!
//! [`Store`] holds the rules; a [`Backend`] holds the rows. Two backends
//! implement it: SQLite ([`sqlite`], the embedded default) and PostgreSQL
//! ([`postgres`], for several nodes sharing one database). Both pass the one
//! conformance suite (`server/tests/store_conformance.rs`).
//!
//! Every change of a user's state is a compare-and-swap on the state's
//! `version` (SPEC §5), in one transaction with the audit lines of the same
//! call: a request that lost a race writes nothing and is re-run on the
//! fresh state, so concurrent attempts (on one node or several) never lose a
//! counted failure and the log never records an event that did not happen.

pub mod chain;
pub mod pgtls;
pub mod postgres;
pub mod requests;
pub mod sqlite;

use std::path::Path;

/// A store error.
#[derive(Debug)]
pub enum StoreError {
    /// The database failed (a query, a constraint, a full disk).
    Sql(String),
    /// The database cannot be reached (PostgreSQL down, connection lost):
    /// the server answers 503 and RADIUS drops the request, never an accept.
    Unavailable(String),
    /// A stored state does not decode or authenticate (the record is left
    /// as it is): altered, moved from another user, or written without the key.
    Corrupt(mx::Error),
    /// A state could not be encoded (an invalid user id).
    Encode(mx::Error),
    /// A compare-and-swap kept losing (over 100 tries).
    Contended,
    /// The database's schema is not this build's (`matrixauth db migrate`).
    Schema(String),
    /// A user's suspension or windows do not match their access MAC: a
    /// change was refused rather than re-sign a row changed without the keyring.
    Tampered(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sql(e) => write!(f, "database error: {e}"),
            StoreError::Unavailable(e) => write!(f, "the database is unavailable: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored user state is corrupt: {e}"),
            StoreError::Encode(e) => write!(f, "cannot encode a user state: {e}"),
            StoreError::Contended => f.write_str("too many concurrent updates of one user"),
            StoreError::Schema(m) => f.write_str(m),
            StoreError::Tampered(user) => write!(
                f,
                "the suspension or access windows of {user:?} do not match their MAC (changed in the database \
                 without the keyring?): nothing changed"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// Result with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// One enrolled user as the store holds it.
pub struct UserRecord {
    /// The sealed credential (bound to the user id).
    pub sealed_credential: Vec<u8>,
    /// The user's state.
    pub state: mx::UserState,
    /// Whether the user is suspended (refused at every door).
    pub suspended: bool,
    /// Since when.
    pub suspended_at: Option<u64>,
    /// When the user was enrolled (Unix seconds): a user removed and
    /// enrolled again is another record.
    pub created_at: u64,
    /// The user's access windows `[start, end)`, sorted, read with the
    /// state (one snapshot).
    pub windows: Vec<(u64, u64)>,
    /// The MAC over suspension, windows and roles ([`AccessFacts`]).
    pub access_mac: Option<Vec<u8>>,
    /// The user's roles ([`ROLES`]), sorted.
    pub roles: Vec<String>,
}

/// The roles a user may hold (issue 23's console enforces them): `admin`
/// (everything), `approver` (decides requests, suspends and resumes),
/// `auditor` (reads the audit log and reports). Vendor users hold none.
pub const ROLES: [&str; 3] = ["admin", "approver", "auditor"];

impl UserRecord {
    /// The facts the access MAC covers.
    pub fn access_facts<'a>(&'a self, user: &'a str) -> AccessFacts<'a> {
        AccessFacts {
            user,
            created_at: self.created_at,
            suspended_at: self.suspended_at,
            windows: &self.windows,
            roles: &self.roles,
        }
    }
}

/// The state a login runs on ([`Store::update_login`]).
pub enum LoginState<'a> {
    /// An enrolled user who is not suspended: their record.
    User(&'a mut UserRecord),
    /// An unknown id: its decoy state (`None`); a suspended user: the
    /// shadow state of their id, and their record.
    Decoy(&'a mut mx::UserState, Option<&'a UserRecord>),
}

/// What a user's access MAC covers (issue 21): a database writer without
/// the keyring cannot delete, add or widen a window, or lift a suspension,
/// without the MAC failing.
#[derive(Clone, Copy, Debug)]
pub struct AccessFacts<'a> {
    /// The user.
    pub user: &'a str,
    /// When they were enrolled.
    pub created_at: u64,
    /// Since when they are suspended, if they are.
    pub suspended_at: Option<u64>,
    /// Their access windows `[start, end)`, sorted.
    pub windows: &'a [(u64, u64)],
    /// Their roles, sorted.
    pub roles: &'a [String],
}

/// Computes the access MAC of a user's facts (the login service's, under
/// the site key). Given to the store by the service; a store without one
/// (tests of the store alone) writes none.
pub type Sealer = std::sync::Arc<dyn Fn(&AccessFacts<'_>) -> Vec<u8> + Send + Sync>;

/// The access MAC a user's facts call for, and the one stored.
pub(crate) type MacPair = (Vec<u8>, Option<Vec<u8>>);

/// A user's row as a backend reads it for a login.
pub struct LoadedUser {
    /// The sealed credential.
    pub credential: Vec<u8>,
    /// The state bytes.
    pub state: Vec<u8>,
    /// Since when the user is suspended, if they are.
    pub suspended_at: Option<u64>,
    /// When the user was enrolled.
    pub created_at: u64,
    /// The user's access windows `[start, end)`, read with the row.
    pub windows: Vec<(u64, u64)>,
    /// The access MAC (`None`: none written).
    pub access_mac: Option<Vec<u8>>,
    /// The user's roles, read with the row.
    pub roles: Vec<String>,
}

/// A decoy's row: the state bytes and the row version (bumped by every
/// write, for compare-and-swap).
pub type DecoyRow = (Vec<u8>, u64);

/// A user's row as a backend lists it.
pub struct UserRow {
    /// The user id.
    pub user: String,
    /// The sealed credential.
    pub credential: Vec<u8>,
    /// The state bytes.
    pub state: Vec<u8>,
    /// Unix seconds of enrollment.
    pub created_at: u64,
    /// Since when the user is suspended, if they are.
    pub suspended_at: Option<u64>,
}

/// A row of `matrixauth users`.
#[derive(Debug)]
pub struct UserSummary {
    /// The user id.
    pub user: String,
    /// Unix seconds of enrollment.
    pub created_at: u64,
    /// Whether the user holds a grid card (else a pattern).
    pub card: bool,
    /// Since when the user is suspended, if they are.
    pub suspended_at: Option<u64>,
    /// The decoded state (or why it does not decode).
    pub state: Result<mx::UserState, mx::Error>,
}

/// A ticket handle's row ([`crate::login::handle`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandleRow {
    /// The keyed hash of the handle.
    pub id: [u8; 32],
    /// Whose login it hands on.
    pub user: String,
    /// The appliance it is for.
    pub audience: String,
    /// When it expires (Unix seconds, exclusive).
    pub expires_at: u64,
    /// When it was redeemed, if it was.
    pub used_at: Option<u64>,
    /// The MAC over id, user, audience and expiry under the site key.
    pub mac: [u8; 32],
}

/// When a user may log in, from their access windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No windows: at any time.
    Always,
    /// Inside a window that ends (exclusive) at this time.
    Until(u64),
    /// The user has windows, none of them open now.
    Outside,
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
    /// The row's MAC under the site key (empty for a row written before
    /// schema 6, which matches nothing).
    pub mac: Vec<u8>,
}

/// The rows an enrollment writes.
pub struct EnrollRows {
    /// The sealed credential.
    pub credential: Vec<u8>,
    /// A fresh state (used only for a new user) and its version.
    pub state: Vec<u8>,
    /// The fresh state's version.
    pub version: u64,
    /// Audit lines.
    pub audit: Vec<String>,
}

/// What an audit pruning removed, for its marker line.
#[derive(Clone, Debug, Default)]
pub struct Pruned {
    /// Lines deleted.
    pub removed: usize,
    /// For each node whose lines were deleted: the last one's sequence
    /// number and MAC (where the node's remaining chain now starts).
    pub anchors: Vec<(String, u64, [u8; 32])>,
    /// The markers of earlier prunings among the deleted lines (their
    /// anchors carry over into the new one).
    pub markers: Vec<chain::ChainRow>,
    /// Nodes whose lines were kept because the last line of the range did
    /// not check (edited, or a time made to look old).
    pub refused: Vec<String>,
}

/// The audit log, each node's head and the users, read in one transaction
/// (`audit verify`).
pub struct Snapshot {
    /// Every audit row, by id.
    pub rows: Vec<chain::ChainRow>,
    /// Each node's stored head.
    pub heads: Vec<(String, chain::Head)>,
    /// Each user: id, state bytes, enrolment time.
    pub users: Vec<(String, Vec<u8>, u64)>,
}

/// The schema version this build writes (both backends).
pub const SCHEMA_VERSION: u32 = 10;

/// Whether opening a store may bring an older schema up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Migrate {
    /// Apply missing steps (`matrixauth serve`, `matrixauth db migrate`).
    Yes,
    /// Refuse an older schema with a message naming `matrixauth db migrate`
    /// (the admin commands: they never change the schema behind a server's back).
    No,
}

/// The rows of a store. Methods are single transactions; the rules (state
/// decoding, compare-and-swap loops) live in [`Store`]. Times are Unix
/// seconds.
pub trait Backend: Send + Sync {
    /// The schema version of the database.
    fn schema_version(&self) -> StoreResult<u32>;
    /// Adds a user (with its access MAC, given a sealer); `false` if the
    /// id is taken (nothing changes).
    #[allow(clippy::too_many_arguments)]
    fn create_user(
        &self,
        user: &str,
        credential: &[u8],
        state: &[u8],
        version: u64,
        now: u64,
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool>;
    /// Writes the access MAC of every user who has none (after the
    /// migration that brought the column); how many.
    fn reseal_missing(&self, sealer: &Sealer) -> StoreResult<usize>;
    /// The schema version this process found and brought up to date, if
    /// it migrated the database.
    fn migrated_from(&self) -> Option<u32>;
    /// The user's sealed credential, state bytes and suspension.
    fn load_user(&self, user: &str) -> StoreResult<Option<LoadedUser>>;
    /// Writes `new` (state bytes and version) if the stored version is still
    /// `before` (with `new == None`: checks that it is) and, with `active`,
    /// the user is still not suspended, with `audit`, in one transaction.
    /// `false`: another writer won (or a suspension came in); nothing was written.
    fn cas_user(
        &self,
        user: &str,
        before: u64,
        new: Option<(&[u8], u64)>,
        active: bool,
        audit: &[String],
    ) -> StoreResult<bool>;
    /// Deletes the decoy row of `user`, or with `None` those of every
    /// enrolled user; how many.
    fn delete_decoys(&self, user: Option<&str>) -> StoreResult<usize>;
    /// What a login reads, in one statement (one snapshot, and the same
    /// work whoever `user` is): the user's row with their windows, if they
    /// are enrolled, and the decoy (or shadow) row of the id, if there is
    /// one: its state bytes and row version.
    fn load_login(&self, user: &str) -> StoreResult<(Option<LoadedUser>, Option<DecoyRow>)>;
    /// Writes a decoy state if its row version is still `before` (`None`:
    /// there is no row yet), with `audit`. With `state == None` nothing is
    /// written but `audit`, once the row version is checked (as
    /// [`Backend::cas_user`] does with nothing to write). `false`: another
    /// writer won, and nothing was written.
    fn cas_decoy(
        &self,
        user: &str,
        before: Option<u64>,
        state: Option<&[u8]>,
        now: u64,
        audit: &[String],
    ) -> StoreResult<bool>;
    /// Up to `limit` decoys whose state was last written before `before`,
    /// with ids after `after`, by id.
    fn stale_decoys(&self, before: u64, after: &str, limit: usize) -> StoreResult<Vec<(String, DecoyRow)>>;
    /// Deletes each decoy `(id, row version)` whose row is still at that
    /// version (not written since it was read), in one transaction; how many.
    fn delete_decoys_at(&self, rows: &[(String, u64)]) -> StoreResult<usize>;
    /// How many decoys are stored.
    fn decoys(&self) -> StoreResult<usize>;
    /// Appends audit lines.
    fn append_audit(&self, lines: &[String]) -> StoreResult<()>;
    /// Every user, by id.
    fn users(&self) -> StoreResult<Vec<UserRow>>;
    /// Suspends (`at` is `Some`) or resumes (`None`) `user`, or with `None`
    /// every user, changing only rows whose suspension changes, and appends
    /// what `audit` makes of that count, in one transaction. Returns the count.
    fn set_suspended(
        &self,
        user: Option<&str>,
        at: Option<u64>,
        audit: &mut dyn FnMut(usize) -> Vec<String>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<usize>;
    /// Deletes audit lines before `before`, each node's chain up to its last
    /// line before then (if that line checks), and appends the marker
    /// `record` makes of what went, in one transaction.
    fn prune_audit(
        &self,
        before: u64,
        record: &mut dyn FnMut(&Pruned) -> Option<String>,
    ) -> StoreResult<usize>;
    /// Replaces `user`'s roles, with `audit`, rewriting the access MAC
    /// (refused if the stored one does not check); `false`: no such user.
    fn set_roles(
        &self,
        user: &str,
        roles: &[String],
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool>;
    /// `user`'s groups (the federation doors' `groups` attribute), sorted.
    fn groups(&self, user: &str) -> StoreResult<Vec<String>>;
    /// Adds (`add`) or removes `group` for `user`, with `audit`; `false`:
    /// no such user.
    fn set_group(&self, user: &str, group: &str, add: bool, audit: &[String]) -> StoreResult<bool>;
    /// Sets this process's audit chain (once; `false` if one is set).
    fn set_chain(&self, chain: chain::Chain) -> bool;
    /// Links the lines written before the chain existed (schema 7 and
    /// before) into it, in their order; how many.
    fn chain_unchained(&self) -> StoreResult<usize>;
    /// Every audit row with its chain fields, by id; with `range`, those
    /// whose time is in `[from, to)`.
    fn chain_rows(&self, range: Option<(u64, u64)>) -> StoreResult<Vec<chain::ChainRow>>;
    /// Each node's stored head.
    fn chain_heads(&self) -> StoreResult<Vec<(String, chain::Head)>>;
    /// The rows, heads and users in one read transaction.
    fn chain_snapshot(&self) -> StoreResult<Snapshot>;
    /// The rows of `node`'s chain after sequence number `seq`, by sequence
    /// number, at most `limit` of them (the syslog sender's reading).
    fn audit_after(&self, node: &str, seq: u64, limit: usize) -> StoreResult<Vec<chain::ChainRow>>;
    /// The last `tail` lines (all with `None`), oldest first.
    fn audit(&self, tail: Option<usize>) -> StoreResult<Vec<String>>;
    /// The lines with `time` in `[from, to)`, oldest first.
    fn audit_between(&self, from: u64, to: u64) -> StoreResult<Vec<String>>;
    /// Stores an invitation with its MAC, revoking the user's unused ones.
    fn create_invitation(
        &self,
        user: &str,
        token_hash: &[u8; 32],
        now: u64,
        expires_at: u64,
        mac: &[u8],
        audit: &[String],
    ) -> StoreResult<()>;
    /// The unused, unexpired invitation with this hash.
    fn invitation(&self, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>>;
    /// In one transaction: finds the unused, unexpired invitation (else
    /// `None`), asks `rows` for what to write (`None`: write nothing), then
    /// adds or re-enrols the user (a re-enrolment keeps the state), uses the
    /// invitation and appends the audit lines.
    fn enroll(
        &self,
        token_hash: &[u8; 32],
        now: u64,
        rows: &mut dyn FnMut(&Invitation) -> Option<EnrollRows>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<Option<Invitation>>;
    /// Unused, unexpired invitations: (user, created, expires), by expiry.
    fn open_invitations(&self, now: u64) -> StoreResult<Vec<(String, u64, u64)>>;
    /// Removes a user with their windows and invitations; `false`: no such user.
    fn remove_user(&self, user: &str, audit: &[String]) -> StoreResult<bool>;
    /// When the user enrolled.
    fn enrolled_at(&self, user: &str) -> StoreResult<Option<u64>>;
    /// Adds a window; returns its number.
    fn add_window(
        &self,
        user: &str,
        starts_at: u64,
        ends_at: u64,
        now: u64,
        audit: &mut dyn FnMut(i64) -> String,
        sealer: Option<&Sealer>,
    ) -> StoreResult<i64>;
    /// The user's windows, by start.
    fn windows(&self, user: &str) -> StoreResult<Vec<Window>>;
    /// Removes window `id` of `user`; `false`: none.
    fn remove_window(
        &self,
        user: &str,
        id: i64,
        audit: &[String],
        sealer: Option<&Sealer>,
    ) -> StoreResult<bool>;
    /// True without windows, else whether one holds `now`.
    fn in_window(&self, user: &str, now: u64) -> StoreResult<bool>;
    /// Stores a ticket handle's row with `audit`, in one transaction.
    fn insert_handle(&self, row: &HandleRow, audit: &[String]) -> StoreResult<()>;
    /// The row of a handle, used or not.
    fn handle(&self, id: &[u8; 32]) -> StoreResult<Option<HandleRow>>;
    /// Marks the handle used at `now` if it is not yet, with `audit`, in one
    /// transaction; `false`: it was used already (perhaps on another node),
    /// or is gone, and nothing is written.
    fn use_handle(&self, id: &[u8; 32], now: u64, audit: &[String]) -> StoreResult<bool>;
    /// The user's site password record (`None`: no such user; `Some(None)`: none set).
    fn site_password(&self, user: &str) -> StoreResult<Option<Option<Vec<u8>>>>;
    /// Sets (or with `None` clears) the user's site password record, with
    /// `audit`; `false`: no such user.
    fn set_site_password(&self, user: &str, record: Option<&[u8]>, audit: &[String]) -> StoreResult<bool>;
    /// Records a redeemed ticket; `false` if it was recorded before (a replay,
    /// perhaps on another node).
    fn claim_ticket(&self, id: &[u8; 32], expires_at: u64) -> StoreResult<bool>;
    /// Forgets ticket rows and ticket handles that expired before `before`; how many.
    fn prune_tickets(&self, before: u64) -> StoreResult<usize>;
    /// Stores a new request (state filed) with the lines `audit` makes of its number.
    fn file_request(
        &self,
        vendor: &str,
        fields: &requests::RequestFields,
        now: u64,
        audit: &mut dyn FnMut(i64) -> Vec<String>,
    ) -> StoreResult<i64>;
    /// Requests of `vendor` (all with `None`), or only number `id`, by number.
    fn requests(&self, vendor: Option<&str>, id: Option<i64>) -> StoreResult<Vec<requests::RequestRow>>;
    /// Decides request `id` if it is still filed, in one transaction (an
    /// approval adds the window of its period, checking and rewriting the
    /// vendor's access MAC); `None`: not filed (or no such request).
    fn decide_request(
        &self,
        id: i64,
        decide: requests::Decide<'_>,
        audit: &mut dyn FnMut(&requests::RequestRow, Option<i64>) -> Vec<String>,
        sealer: Option<&Sealer>,
    ) -> StoreResult<Option<Option<i64>>>;
    /// Files the report of approved request `id` of `vendor`; `false`: none such.
    fn report_request(
        &self,
        id: i64,
        vendor: &str,
        report: &requests::ReportFields,
        now: u64,
        audit: &[String],
    ) -> StoreResult<bool>;
    /// Records the roles of an unused invitation and their MAC; `false`: none such.
    fn set_invitation_roles(&self, token_hash: &[u8; 32], roles: &str, mac: &[u8]) -> StoreResult<bool>;
    /// The roles recorded with an invitation (used or not) and their MAC.
    fn invitation_roles(&self, token_hash: &[u8; 32]) -> StoreResult<Option<(String, Vec<u8>)>>;
}

/// How long a ticket handle's row outlives its expiry.
pub const HANDLE_KEEP_SECONDS: u64 = 2 * 3600;

/// Tries of one compare-and-swap before giving up.
const CAS_TRIES: usize = 100;

/// The store: a backend and the keyring that authenticates user states
/// (SPEC §5): a row edited in the database, or copied from another user,
/// does not load.
pub struct Store {
    backend: Box<dyn Backend>,
    keyring: mx::Keyring,
    /// The login service's access MAC ([`Store::set_sealer`]).
    sealer: std::sync::OnceLock<Sealer>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`.
    pub fn open(path: &Path, keyring: mx::Keyring, migrate: Migrate) -> StoreResult<Store> {
        Ok(Store {
            backend: Box::new(sqlite::Sqlite::open(path, migrate)?),
            keyring,
            sealer: std::sync::OnceLock::new(),
        })
    }

    /// Opens the database a URL names: `postgres://…` / `postgresql://…`
    /// (PostgreSQL), `sqlite:PATH` or a plain path (SQLite).
    pub fn connect(url: &str, keyring: mx::Keyring, migrate: Migrate) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store {
                backend: Box::new(postgres::Postgres::connect(url, migrate)?),
                keyring,
                sealer: std::sync::OnceLock::new(),
            });
        }
        Store::open(Path::new(url.strip_prefix("sqlite:").unwrap_or(url)), keyring, migrate)
    }

    /// Gives the store the login service's access MAC: from then on every
    /// change of a user's windows or suspension rewrites it in the same
    /// transaction. If this process has just migrated the database from
    /// before schema 7, the users (who have none yet) get theirs now; at any
    /// other time a missing MAC is tampering, never filled in. Set once; a
    /// second call changes nothing.
    pub fn set_sealer(&self, sealer: Sealer) -> StoreResult<usize> {
        if self.sealer.set(sealer).is_err() {
            return Ok(0);
        }
        match (self.sealer.get(), self.backend.migrated_from()) {
            (Some(s), Some(from)) if from < 7 => self.backend.reseal_missing(s),
            _ => Ok(0),
        }
    }

    /// Gives the store this node's audit chain: from then on every audit
    /// line is linked into it. If this process has just migrated the
    /// database from before schema 8, the lines written until then are
    /// linked now, in their order (as the access MAC was sealed once at
    /// schema 7); at any other time an unlinked line is tampering. Returns
    /// how many were linked.
    pub fn set_chain(&self, chain: chain::Chain) -> StoreResult<usize> {
        if !self.backend.set_chain(chain) {
            return Ok(0);
        }
        match self.backend.migrated_from() {
            Some(from) if from < 8 => self.backend.chain_unchained(),
            _ => Ok(0),
        }
    }

    /// Replaces `user`'s roles (each one of [`ROLES`]), with `audit`;
    /// `false`: no such user.
    pub fn set_roles(&self, user: &str, roles: &[String], audit: &[String]) -> StoreResult<bool> {
        if !plausible(user) {
            return Ok(false);
        }
        self.backend.set_roles(user, roles, audit, self.sealer.get())
    }

    /// `user`'s groups, sorted (none for an unknown id).
    pub fn groups(&self, user: &str) -> StoreResult<Vec<String>> {
        if !plausible(user) {
            return Ok(Vec::new());
        }
        let mut groups = self.backend.groups(user)?;
        groups.sort_unstable();
        Ok(groups)
    }

    /// Adds or removes one of `user`'s groups, with `audit`; `false`: no
    /// such user.
    pub fn set_group(&self, user: &str, group: &str, add: bool, audit: &[String]) -> StoreResult<bool> {
        if !plausible(user) {
            return Ok(false);
        }
        self.backend.set_group(user, group, add, audit)
    }

    /// Every audit row with its chain fields, by id (`audit verify`); with
    /// `range`, those whose time is in `[from, to)` (`audit export`).
    pub fn chain_rows(&self, range: Option<(u64, u64)>) -> StoreResult<Vec<chain::ChainRow>> {
        self.backend.chain_rows(range)
    }

    /// The audit rows, each node's head and each user's (id, enrolment
    /// time, state version), as of one moment (`audit verify`). A state that
    /// does not decode is left out (its logins are refused anyway).
    #[allow(clippy::type_complexity)]
    pub fn audit_snapshot(
        &self,
    ) -> StoreResult<(Vec<chain::ChainRow>, Vec<(String, chain::Head)>, Vec<(String, u64, u64)>)> {
        let snap = self.backend.chain_snapshot()?;
        let users = snap
            .users
            .into_iter()
            .filter_map(|(user, state, created)| {
                let v = mx::UserState::from_bytes(&self.keyring, &user, &state).ok()?.version();
                Some((user, created, v))
            })
            .collect();
        Ok((snap.rows, snap.heads, users))
    }

    /// The rows of `node`'s chain after sequence number `seq`, oldest
    /// first, at most `limit` (the syslog sender reads what it has not
    /// delivered yet from here, so a collector that was down misses nothing).
    pub fn audit_after(&self, node: &str, seq: u64, limit: usize) -> StoreResult<Vec<chain::ChainRow>> {
        self.backend.audit_after(node, seq, limit)
    }

    /// Each node's stored chain head.
    pub fn chain_heads(&self) -> StoreResult<Vec<(String, chain::Head)>> {
        self.backend.chain_heads()
    }

    /// The schema version this process found and brought up to date, if it
    /// migrated the database.
    pub fn migrated_from(&self) -> Option<u32> {
        self.backend.migrated_from()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> StoreResult<u32> {
        self.backend.schema_version()
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
        let bytes = state.to_bytes(&self.keyring, user).map_err(StoreError::Encode)?;
        self.backend.create_user(
            user,
            sealed_credential,
            &bytes,
            state.version(),
            now,
            audit,
            self.sealer.get(),
        )
    }

    /// The user's record, or `None` if not enrolled.
    pub fn load(&self, user: &str) -> StoreResult<Option<UserRecord>> {
        if !plausible(user) {
            return Ok(None);
        }
        self.backend.load_user(user)?.map(|row| self.record(user, row)).transpose()
    }

    /// A user's record from their row: the state authenticated, the windows sorted.
    fn record(&self, user: &str, row: LoadedUser) -> StoreResult<UserRecord> {
        let state =
            mx::UserState::from_bytes(&self.keyring, user, &row.state).map_err(StoreError::Corrupt)?;
        let mut windows = row.windows;
        windows.sort_unstable();
        let mut roles = row.roles;
        roles.sort_unstable();
        Ok(UserRecord {
            sealed_credential: row.credential,
            state,
            suspended: row.suspended_at.is_some(),
            suspended_at: row.suspended_at,
            created_at: row.created_at,
            windows,
            access_mac: row.access_mac,
            roles,
        })
    }

    /// Runs `f` on the user's current record and stores the state it leaves
    /// with a compare-and-swap on `version`, together with the audit lines it
    /// returns; on a lost race, re-runs `f` on the fresh record. A record
    /// read as not suspended is written only while the user is still not
    /// suspended (a suspension that commits meanwhile makes `f` run again,
    /// on the suspended record). A run that changes nothing and writes no
    /// line stores nothing. `None` if the user is not enrolled.
    pub fn update<T>(
        &self,
        user: &str,
        mut f: impl FnMut(&mut UserRecord) -> (T, Vec<String>),
    ) -> StoreResult<Option<T>> {
        for _ in 0..CAS_TRIES {
            let Some(mut record) = self.load(user)? else { return Ok(None) };
            let before = record.state.version();
            let active = !record.suspended;
            let (out, audit) = f(&mut record);
            if self.write_user(user, before, &record.state, active, &audit)? {
                return Ok(Some(out));
            }
        }
        Err(StoreError::Contended)
    }

    /// Stores a user's state as [`Store::update`] says: nothing if it did
    /// not change and there is no line; a version check and the lines if it
    /// did not change; else the state and the lines, by compare-and-swap.
    fn write_user(
        &self,
        user: &str,
        before: u64,
        state: &mx::UserState,
        active: bool,
        audit: &[String],
    ) -> StoreResult<bool> {
        let after = state.version();
        if after == before && audit.is_empty() {
            return Ok(true);
        }
        let bytes = if after == before {
            None
        } else {
            Some(state.to_bytes(&self.keyring, user).map_err(StoreError::Encode)?)
        };
        self.backend.cas_user(user, before, bytes.as_deref().map(|b| (b, after)), active, audit)
    }

    /// Runs a login's `f` on the state it runs on (SPEC §13): an enrolled
    /// user's record ([`LoginState::User`]); for an unknown id, its decoy
    /// state, and for a suspended user, the shadow state of their id
    /// ([`LoginState::Decoy`]), a default state if there is none (or if the
    /// stored one does not authenticate). Then stores what `f` leaves with
    /// its audit lines by compare-and-swap, re-running `f` on a lost race.
    ///
    /// Whoever `user` is, the store does the same work (issue 21): one
    /// statement reads the user's row, their windows and the decoy row
    /// together; a run that changes the state writes it with its lines; one
    /// that changes nothing checks the version and writes only its lines (a
    /// decoy's row is not rewritten, so its `updated_at` is when its state
    /// last changed; [`Store::prune_decoys`] keeps locked ones). Decoys live
    /// in the store like users, so a flood of other names cannot evict one
    /// (which would tell unknown ids from real ones), a restart keeps them,
    /// and every node sharing the store sees the same. A decoy state that
    /// never changed is not stored: it holds nothing anyone could see.
    pub fn update_login<T>(
        &self,
        user: &str,
        now: u64,
        mut f: impl FnMut(LoginState<'_>) -> (T, Vec<String>),
    ) -> StoreResult<T> {
        if !plausible(user) {
            // Never stored: the core refuses the id.
            let (out, audit) = f(LoginState::Decoy(&mut mx::UserState::default(), None));
            self.append_audit(&audit)?;
            return Ok(out);
        }
        for _ in 0..CAS_TRIES {
            let (row, decoy) = self.backend.load_login(user)?;
            let record = row.map(|row| self.record(user, row)).transpose()?;
            let won = match record {
                Some(mut record) if !record.suspended => {
                    let before = record.state.version();
                    let (out, audit) = f(LoginState::User(&mut record));
                    self.write_user(user, before, &record.state, true, &audit)?.then_some(out)
                }
                shadow_of => {
                    let row_version = decoy.as_ref().map(|(_, v)| *v);
                    let mut state = decoy
                        .and_then(|(b, _)| mx::UserState::from_bytes(&self.keyring, user, &b).ok())
                        .unwrap_or_default();
                    let before = state.version();
                    let (out, audit) = f(LoginState::Decoy(&mut state, shadow_of.as_ref()));
                    let bytes = if state.version() == before {
                        if audit.is_empty() {
                            return Ok(out);
                        }
                        None
                    } else {
                        Some(state.to_bytes(&self.keyring, user).map_err(StoreError::Encode)?)
                    };
                    self.backend.cas_decoy(user, row_version, bytes.as_deref(), now, &audit)?.then_some(out)
                }
            };
            if let Some(out) = won {
                return Ok(out);
            }
        }
        Err(StoreError::Contended)
    }

    /// Forgets the decoy (or shadow) state of `user`, or with `None` of
    /// every enrolled user: a shadow or a decoy of an id never carries over
    /// into the id's life as a user, or back.
    pub fn forget_decoys(&self, user: Option<&str>) -> StoreResult<usize> {
        if user.is_some_and(|u| !plausible(u)) {
            return Ok(0);
        }
        self.backend.delete_decoys(user)
    }

    /// Forgets the decoy states whose state last changed before `before`
    /// and that hold no lock at `before`; returns how many. A permanently
    /// locked decoy is kept, as a user's permanent lock is; a temporary
    /// lock keeps it until `before` passes the lock's end. (Requests that
    /// change nothing do not rewrite a decoy's row, so a decoy asked while
    /// locked would otherwise be forgotten, and unlocked, sooner than a user
    /// is.) A row whose state does not authenticate is judged by its age
    /// alone. Rows written meanwhile are left.
    pub fn prune_decoys(&self, before: u64) -> StoreResult<usize> {
        const BATCH: usize = 1000;
        let mut after = String::new();
        let mut pruned = 0;
        loop {
            let rows = self.backend.stale_decoys(before, &after, BATCH)?;
            let full = rows.len() == BATCH;
            let expired: Vec<(String, u64)> = rows
                .iter()
                .filter(|(user, (bytes, _))| {
                    mx::UserState::from_bytes(&self.keyring, user, bytes)
                        .map_or(true, |state| !state.permanently_locked() && state.locked_until() < before)
                })
                .map(|(user, (_, version))| (user.clone(), *version))
                .collect();
            pruned += self.backend.delete_decoys_at(&expired)?;
            match rows.into_iter().last() {
                Some((user, _)) if full => after = user,
                _ => return Ok(pruned),
            }
        }
    }

    /// Decoy states stored.
    pub fn decoys(&self) -> StoreResult<usize> {
        self.backend.decoys()
    }

    /// Appends audit lines on their own (events with no user record).
    pub fn append_audit(&self, lines: &[String]) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.backend.append_audit(lines)
    }

    /// Every user, by id.
    pub fn users(&self) -> StoreResult<Vec<UserSummary>> {
        Ok(self
            .backend
            .users()?
            .into_iter()
            .map(|row| UserSummary {
                state: mx::UserState::from_bytes(&self.keyring, &row.user, &row.state),
                card: mx::GridCard::is_sealed_card(&row.credential),
                suspended_at: row.suspended_at,
                user: row.user,
                created_at: row.created_at,
            })
            .collect())
    }

    /// Suspends (`at`: since when) or resumes (`None`) `user`, or every user
    /// with `user == None`, with the audit lines `audit` makes of how many
    /// users changed, in one transaction. Returns that count.
    pub fn set_suspended(
        &self,
        user: Option<&str>,
        at: Option<u64>,
        mut audit: impl FnMut(usize) -> Vec<String>,
    ) -> StoreResult<usize> {
        if user.is_some_and(|u| !plausible(u)) {
            return Ok(0);
        }
        self.backend.set_suspended(user, at, &mut audit, self.sealer.get())
    }

    /// When `user` may log in at `now`, from their access windows (the end
    /// of the latest-ending window open now, for the session's end).
    pub fn access(&self, user: &str, now: u64) -> StoreResult<Access> {
        if !plausible(user) {
            return Ok(Access::Always);
        }
        let windows = self.backend.windows(user)?;
        if windows.is_empty() {
            return Ok(Access::Always);
        }
        Ok(windows
            .iter()
            .filter(|w| w.starts_at <= now && now < w.ends_at)
            .map(|w| w.ends_at)
            .max()
            .map_or(Access::Outside, Access::Until))
    }

    /// Deletes the audit lines whose `time` is before `before` (each node's
    /// chain up to its last such line), and appends the marker `record`
    /// makes of it (`None`: none) in the same transaction. Returns the count.
    pub fn prune_audit(
        &self,
        before: u64,
        record: impl FnOnce(&Pruned) -> Option<String>,
    ) -> StoreResult<usize> {
        let mut record = Some(record);
        self.backend.prune_audit(before, &mut |p| record.take().and_then(|r| r(p)))
    }

    /// The last `tail` audit lines (all with `None`), oldest first.
    pub fn audit(&self, tail: Option<usize>) -> StoreResult<Vec<String>> {
        self.backend.audit(tail)
    }

    /// The audit lines whose `time` is in `[from, to)`, oldest first.
    pub fn audit_between(&self, from: u64, to: u64) -> StoreResult<Vec<String>> {
        self.backend.audit_between(from, to)
    }

    /// Stores an enrollment invitation for `user` (only a keyed hash of its
    /// token, and the row's MAC), revoking the user's earlier unused ones,
    /// with `audit`.
    pub fn create_invitation(
        &self,
        user: &str,
        token_hash: &[u8; 32],
        now: u64,
        expires_at: u64,
        mac: &[u8],
        audit: &[String],
    ) -> StoreResult<()> {
        self.backend.create_invitation(user, token_hash, now, expires_at, mac, audit)
    }

    /// The unused, unexpired invitation with this token hash, if any.
    pub fn invitation(&self, token_hash: &[u8; 32], now: u64) -> StoreResult<Option<Invitation>> {
        self.backend.invitation(token_hash, now)
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
        seal: impl FnOnce(&Invitation) -> Result<(Vec<u8>, Vec<String>), E>,
    ) -> StoreResult<Option<Result<Invitation, E>>> {
        let mut seal = Some(seal);
        let mut refused: Option<E> = None;
        let mut encode: Option<StoreError> = None;
        let keyring = &self.keyring;
        let sealer = self.sealer.get();
        let found = self.backend.enroll(
            token_hash,
            now,
            &mut |invitation| {
                let user = invitation.user.as_str();
                let (credential, audit) = match seal.take()?(invitation) {
                    Ok(v) => v,
                    Err(e) => {
                        refused = Some(e);
                        return None;
                    }
                };
                let state = mx::UserState::new();
                match state.to_bytes(keyring, user) {
                    Ok(bytes) => {
                        Some(EnrollRows { credential, state: bytes, version: state.version(), audit })
                    }
                    Err(e) => {
                        encode = Some(StoreError::Encode(e));
                        None
                    }
                }
            },
            sealer,
        )?;
        if let Some(e) = encode {
            return Err(e);
        }
        Ok(found.map(|inv| refused.map_or(Ok(inv), Err)))
    }

    /// Invitations not used yet: (user, created, expires), by expiry.
    pub fn open_invitations(&self, now: u64) -> StoreResult<Vec<(String, u64, u64)>> {
        self.backend.open_invitations(now)
    }

    /// Removes a user: the record, windows and invitations, with `audit`.
    /// `false` if there was no such user (nothing changes).
    pub fn remove_user(&self, user: &str, audit: &[String]) -> StoreResult<bool> {
        if !plausible(user) {
            return Ok(false);
        }
        self.backend.remove_user(user, audit)
    }

    /// Whether `user` is enrolled, and when.
    pub fn enrolled_at(&self, user: &str) -> StoreResult<Option<u64>> {
        if !plausible(user) {
            return Ok(None);
        }
        self.backend.enrolled_at(user)
    }

    /// Adds an access window for `user`, with the audit line `audit` makes
    /// of its number; returns the number.
    pub fn add_window(
        &self,
        user: &str,
        starts_at: u64,
        ends_at: u64,
        now: u64,
        audit: impl FnOnce(i64) -> String,
    ) -> StoreResult<i64> {
        let mut audit = Some(audit);
        self.backend.add_window(
            user,
            starts_at,
            ends_at,
            now,
            &mut |id| audit.take().map(|a| a(id)).unwrap_or_default(),
            self.sealer.get(),
        )
    }

    /// The access windows of `user`, by start.
    pub fn windows(&self, user: &str) -> StoreResult<Vec<Window>> {
        if !plausible(user) {
            return Ok(Vec::new());
        }
        self.backend.windows(user)
    }

    /// Removes window `id` of `user`, with `audit`; `false` if there is none.
    pub fn remove_window(&self, user: &str, id: i64, audit: &[String]) -> StoreResult<bool> {
        if !plausible(user) {
            return Ok(false);
        }
        self.backend.remove_window(user, id, audit, self.sealer.get())
    }

    /// Whether `user` may log in at `now`: true without windows, else
    /// whether one holds `now`.
    pub fn in_window(&self, user: &str, now: u64) -> StoreResult<bool> {
        if !plausible(user) {
            return Ok(true);
        }
        self.backend.in_window(user, now)
    }

    /// Records a redeemed ticket (by the SHA-256 of its text) until
    /// `expires_at`; `false` if it was redeemed before, on any node.
    pub fn claim_ticket(&self, id: &[u8; 32], expires_at: u64) -> StoreResult<bool> {
        self.backend.claim_ticket(id, expires_at)
    }

    /// Forgets ticket rows that expired before `before`, and ticket handles
    /// that expired [`HANDLE_KEEP_SECONDS`] before it (kept that long, a
    /// replayed handle is refused as `replayed`, not as unknown).
    pub fn prune_tickets(&self, before: u64) -> StoreResult<usize> {
        self.backend.prune_tickets(before)
    }

    /// Stores a ticket handle's row with `audit`.
    pub fn insert_handle(&self, row: &HandleRow, audit: &[String]) -> StoreResult<()> {
        self.backend.insert_handle(row, audit)
    }

    /// The row of a handle (by its keyed hash), used or not.
    pub fn handle(&self, id: &[u8; 32]) -> StoreResult<Option<HandleRow>> {
        self.backend.handle(id)
    }

    /// Marks a handle used, once across every node; `false` if it was used already.
    pub fn use_handle(&self, id: &[u8; 32], now: u64, audit: &[String]) -> StoreResult<bool> {
        self.backend.use_handle(id, now, audit)
    }

    /// The user's site password record: `None` for no such user (or an
    /// impossible id), `Some(None)` when none is set.
    pub fn site_password(&self, user: &str) -> StoreResult<Option<Option<Vec<u8>>>> {
        if !plausible(user) {
            return Ok(None);
        }
        self.backend.site_password(user)
    }

    /// Sets or clears the user's site password record; `false`: no such user.
    pub fn set_site_password(
        &self,
        user: &str,
        record: Option<&[u8]>,
        audit: &[String],
    ) -> StoreResult<bool> {
        if !plausible(user) {
            return Ok(false);
        }
        self.backend.set_site_password(user, record, audit)
    }
}

/// Whether `user` can be a user id at all ([`mx::is_valid_user_id`]).
/// Others never reach a backend: no user has them, and PostgreSQL's text
/// cannot even hold a NUL.
fn plausible(user: &str) -> bool {
    mx::is_valid_user_id(user)
}

/// Refuses a schema this build cannot use as it is: newer than
/// [`SCHEMA_VERSION`] always, older unless it may be migrated (or the
/// database is fresh).
pub(crate) fn check_version(version: u32, fresh: bool, migrate: Migrate) -> StoreResult<()> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::Schema(format!(
            "the database has schema version {version}, newer than this build's {SCHEMA_VERSION}: \
             run the matching matrixauth release"
        )));
    }
    if version < SCHEMA_VERSION && !fresh && migrate == Migrate::No {
        return Err(StoreError::Schema(format!(
            "the database has schema version {version}, this build needs {SCHEMA_VERSION}: \
             run `matrixauth db migrate` (or `matrixauth serve --migrate`)"
        )));
    }
    Ok(())
}

/// Windows as the backends aggregate them with the user's row
/// (`start:end,start:end`); anything unreadable is left out, which makes the
/// access MAC fail (closed).
pub(crate) fn parse_windows(text: Option<&str>) -> Vec<(u64, u64)> {
    text.unwrap_or_default()
        .split(',')
        .filter_map(|w| {
            let (a, b) = w.split_once(':')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect()
}

/// Roles as the backends aggregate them with the user's row (`a,b`).
pub(crate) fn parse_roles(text: Option<&str>) -> Vec<String> {
    // Empty parts are kept: a role row holding a comma, or an empty one, reads as a role that
    // does not exist, which the access check refuses.
    text.map(|t| t.split(',').map(str::to_owned).collect()).unwrap_or_default()
}

/// Times and versions in the databases' signed 64-bit integers.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Times read back: never negative.
pub(crate) fn from_i64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
