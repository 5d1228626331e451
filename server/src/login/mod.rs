//! The login service (SPEC §13): where every login is decided, once.
//!
//! The doors ([`crate::doors`]) translate their wire formats into these
//! calls and the returned [`Decision`] into their replies; the admin
//! commands ([`crate::admin`]) change users through it. Here, and only here:
//! pattern or card dispatch, decoys for unknown ids ([`decoy`]), the shadow
//! state of suspended users, access windows and the session's end, tickets,
//! and the audit lines ([`audit`]), written in the same transaction as the
//! state change they record. Nothing here knows HTTP or RADIUS types.

pub mod access;
pub mod acting;
pub mod audit;
pub mod chain;
pub mod decoy;
pub mod federation;
pub mod first_factor;
pub mod handle;
pub mod invite;
pub mod requests;
pub mod site;
pub mod terminal;

use std::sync::{Arc, Mutex, PoisonError};

use sha2::Digest as _;
use zeroize::Zeroizing;

/// A user's registered terminals as the service shows them (the doors see no store types).
pub use crate::store::TerminalBook;
pub use audit::{AdminAction, AuditEvent, RadiusReply, Via};
pub use terminal::{Terminal, TerminalOptions};

use crate::store::{Access, AccessFacts, Invitation, LoginState, Store, StoreError};

/// Unix seconds; injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// How long a redeemed ticket's replay row is kept: longer than any ticket
/// the verifier admits (lifetime at most `TicketVerifier::DEFAULT_MAX_LIFETIME`,
/// 300 s, plus 30 s of clock skew).
pub const TICKET_ROW_SECONDS: u64 = 2 * 3600;

/// A decoy state unchanged this long is forgotten by the hourly job of
/// `serve`, unless it holds a lock ([`Store::prune_decoys`]): with its
/// audit lines, the only trace an unknown name leaves, bounded in time.
pub const DECOY_KEEP_SECONDS: u64 = 30 * 86_400;

/// The id the decoy pattern credential is sealed for (its associated data;
/// no login ever runs on it).
const DECOY_PATTERN_ID: &str = "matrixauth decoy";

/// Lengths a signed ticket is cut to on its way as a RADIUS password (radcli
/// keeps 112 characters, RFC 2865 allows 128 octets).
const TRUNCATED_LENGTHS: [usize; 2] = [112, 128];

/// Whether a RADIUS password is a login ticket rather than an answer: a
/// handle, or over 64 base64url characters (a signed ticket). An answer is
/// at most 48 characters after folding, and one longer before folding has
/// white space or full-width forms in it, which no ticket has. One rule for
/// every door that takes tickets as passwords.
pub fn is_ticket(password: &str) -> bool {
    handle::looks_like_handle(password)
        || (password.len() > 64
            && password.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// A session's longest life without an access window (`session.max_seconds`).
pub const DEFAULT_SESSION_SECONDS: u64 = 8 * 3600;

thread_local! {
    /// The ticket verifier's audit events of the current call (its sink is
    /// called synchronously, on the caller's thread).
    static TICKET_EVENTS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The `door` label's index ([`crate::metrics::DOORS`]) of a request.
fn door_index(via: Via<'_>) -> usize {
    match via {
        Via::Http => 0,
        Via::Radius(_) => 1,
    }
}

/// How to build the service.
pub struct Settings {
    /// The store.
    pub store: Store,
    /// Server keys.
    pub keyring: mx::Keyring,
    /// The site key ([`crate::keys::site_key`]): decoy kinds and cards.
    pub site_key: Zeroizing<[u8; 32]>,
    /// The policy.
    pub policy: mx::Policy,
    /// The clock.
    pub clock: Clock,
    /// The longest session (seconds): the session of a user without access
    /// windows ends this long after the login; one inside a window ends at
    /// the window's end, or this long after the login if that is sooner.
    pub session_max_seconds: u64,
    /// The form of the tickets the portal hands to an appliance.
    pub tickets: TicketForm,
    /// This node's name in the audit chain ([`valid_node_name`]): one chain
    /// per node, so nodes sharing a database never wait for each other.
    pub audit_node: String,
}

/// Whether `name` can name a node in the audit chain: 1 to 64 of ASCII
/// letters, digits, `.`, `_` and `-`.
pub fn valid_node_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The default node name: the host's name (characters a node name cannot
/// hold dropped), else `node`.
pub fn default_node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String =
        host.trim().chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).take(64).collect();
    if name.is_empty() { "node".to_owned() } else { name }
}

/// The form of the login tickets the portal hands to an appliance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketForm {
    /// A 56-character handle kept in the store ([`handle`]): fits any RADIUS
    /// client's password, whatever the user id and the appliance's name.
    #[default]
    Handle,
    /// The core's self-contained signed ticket (for appliances that check it
    /// with the C library's `TicketVerifier`). Over 100 characters: too long
    /// for many RADIUS clients (radcli keeps 112, RFC 2865 allows 128).
    Signed,
}

/// A lock in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// Until this time (Unix seconds).
    Until(u64),
    /// Until an administrator unlocks.
    Permanent,
}

impl Lock {
    /// From the core's `lock_at` (none, permanent, until).
    #[allow(clippy::option_option)]
    fn of(lock: Option<Option<u64>>) -> Option<Lock> {
        lock.map(|l| l.map_or(Lock::Permanent, Lock::Until))
    }

    /// The end of a temporary lock.
    pub fn until(self) -> Option<u64> {
        match self {
            Lock::Until(t) => Some(t),
            Lock::Permanent => None,
        }
    }
}

/// What to show the user: a grid, or the cells of their card.
#[derive(Clone, Debug)]
pub enum Prompt {
    /// A pattern challenge.
    Grid {
        /// The token the answer comes back with.
        token: String,
        /// The digits.
        matrix: Box<mx::Matrix>,
        /// When it was first issued.
        issued_at: u64,
        /// When it expires.
        expires_at: u64,
        /// Whether this is the pending challenge shown again.
        reissue: bool,
    },
    /// A card challenge.
    Card {
        /// The token the answer comes back with.
        token: String,
        /// The card's serial.
        serial: String,
        /// The cells to type, in order (`["B3", "F7", "D1"]`).
        cells: Vec<String>,
        /// Challenges the card can serve after this one (single-use cells).
        remaining: Option<u32>,
        /// When it was first issued.
        issued_at: u64,
        /// When it expires.
        expires_at: u64,
        /// Whether this is the pending challenge shown again.
        reissue: bool,
    },
}

impl Prompt {
    fn grid(ch: mx::Challenge) -> Prompt {
        let reissue = ch.is_reissue();
        Prompt::Grid {
            token: ch.token,
            matrix: Box::new(ch.matrix),
            issued_at: ch.issued_at,
            expires_at: ch.expires_at,
            reissue,
        }
    }

    fn card(ch: mx::CardChallenge) -> Prompt {
        let reissue = ch.is_reissue();
        let cells = ch.cell_names();
        Prompt::Card {
            token: ch.token,
            serial: ch.serial,
            cells,
            remaining: ch.remaining,
            issued_at: ch.issued_at,
            expires_at: ch.expires_at,
            reissue,
        }
    }

    /// The token.
    pub fn token(&self) -> &str {
        match self {
            Prompt::Grid { token, .. } | Prompt::Card { token, .. } => token,
        }
    }

    /// When it expires.
    pub fn expires_at(&self) -> u64 {
        match self {
            Prompt::Grid { expires_at, .. } | Prompt::Card { expires_at, .. } => *expires_at,
        }
    }
}

/// An accepted login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: String,
    /// When the session ends (Unix seconds): the end of the access window,
    /// else the login plus `session.max_seconds`, whichever is sooner.
    pub ends_at: u64,
    /// A login ticket for the audience the call named, if it named one.
    pub ticket: Option<String>,
}

/// The one outcome of a call to the service.
#[derive(Clone, Debug)]
pub enum Decision {
    /// Show this grid or these card cells.
    Prompt(Prompt),
    /// Logged in.
    Accepted(Session),
    /// Not logged in: the core's outcome (rejected, expired, duplicate,
    /// stale, invalid), and the lock in force after it, if any.
    Rejected {
        /// The outcome.
        outcome: mx::Outcome,
        /// The lock the answer led to, or that was in force.
        lock: Option<Lock>,
    },
    /// The user is locked: nothing was examined.
    Locked(Lock),
    /// A right answer outside the user's approved access period (no
    /// failure counted, no ticket).
    OutsideWindow,
    /// The user is suspended. **Doors reply to it exactly as to a wrong
    /// answer** ([`Decision::Rejected`] with outcome `rejected`); only the
    /// audit log tells it apart.
    Suspended,
    /// The store cannot be reached: no answer, never an accept (RADIUS
    /// sends nothing, so the appliance fails over; HTTP says 503).
    Unavailable,
    /// The request breaks a rule of the core before any answer is examined
    /// (an invalid user id, another challenge pending, an exhausted or
    /// expired card, a refused ticket): said to the user as it is.
    Refused(mx::Error),
    /// Something failed inside (a corrupt record, the system's randomness):
    /// logged for the operator, a generic error for the user.
    Internal,
}

impl Decision {
    fn store_failure(e: &StoreError) -> Decision {
        crate::metrics::global().database_error(matches!(e, StoreError::Unavailable(_)));
        match e {
            StoreError::Unavailable(_) => {
                // An outage fails every request: the first 20 and then every 1000th are logged.
                static SEEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n < 20 || n.is_multiple_of(1000) {
                    crate::warn!("matrixauth serve: {e} ({} requests refused so far)", n + 1);
                }
                Decision::Unavailable
            }
            other => Decision::internal(other),
        }
    }

    fn internal(e: &dyn std::fmt::Display) -> Decision {
        crate::warn!("matrixauth serve: internal error: {e}");
        Decision::Internal
    }

    fn core_error(e: mx::Error) -> Decision {
        match e {
            mx::Error::Locked { locked_until } => {
                Decision::Locked(locked_until.map_or(Lock::Permanent, Lock::Until))
            }
            mx::Error::Random | mx::Error::Format(_) | mx::Error::Seal => Decision::internal(&e),
            other => Decision::Refused(other),
        }
    }

    /// The `outcome` label of the decision in `/metrics` ([`crate::metrics::OUTCOMES`]).
    pub fn outcome_label(&self) -> &'static str {
        match self {
            Decision::Prompt(_) => "prompt",
            Decision::Accepted(_) => "accepted",
            // A suspended user's attempt is answered as a wrong one, and counted as one.
            Decision::Rejected { .. } | Decision::Suspended => "rejected",
            Decision::Locked(_) => "locked",
            Decision::OutsideWindow => "outside_window",
            Decision::Refused(_) => "refused",
            Decision::Unavailable => "unavailable",
            Decision::Internal => "internal",
        }
    }

    /// What a RADIUS door replies to this decision (`None`: nothing, the
    /// store is unavailable). One mapping, used by the door to build the
    /// packet and by the service to audit it.
    pub fn radius_reply(&self) -> Option<RadiusReply> {
        Some(match self {
            Decision::Prompt(_) => RadiusReply::Challenge,
            Decision::Accepted(_) => RadiusReply::Accept,
            Decision::Locked(_) | Decision::Rejected { lock: Some(_), .. } => RadiusReply::RejectLocked,
            Decision::OutsideWindow => RadiusReply::RejectOutsideWindow,
            Decision::Rejected { lock: None, .. }
            | Decision::Suspended
            | Decision::Refused(_)
            | Decision::Internal => RadiusReply::Reject,
            Decision::Unavailable => return None,
        })
    }
}

/// Why an enrollment was refused.
#[derive(Debug)]
pub enum EnrollError {
    /// The invitation is unknown, used, expired or replaced (one answer for all).
    Invitation,
    /// The credential breaks the policy.
    Credential(mx::Error),
    /// The store cannot be reached.
    Unavailable,
    /// The store failed otherwise (logged for the operator).
    Internal,
}

impl From<StoreError> for EnrollError {
    fn from(e: StoreError) -> Self {
        match Decision::store_failure(&e) {
            Decision::Unavailable => EnrollError::Unavailable,
            _ => EnrollError::Internal,
        }
    }
}

/// What a user holds: a memorised pattern or a grid card.
enum Secret {
    Pattern(mx::PatternCredential),
    Card(mx::GridCard),
}

impl Secret {
    fn open(keyring: &mx::Keyring, user: &str, sealed: &[u8]) -> Result<Self, mx::Error> {
        if mx::GridCard::is_sealed_card(sealed) {
            Ok(Secret::Card(mx::GridCard::open(keyring, user, sealed)?))
        } else {
            Ok(Secret::Pattern(mx::PatternCredential::open(keyring, user, sealed)?))
        }
    }
}

/// What the user gave for an answer.
#[derive(Clone, Copy)]
enum Given<'a> {
    /// A typed answer, to the challenge of `token` or to the pending one.
    Typed {
        /// The challenge's token, if the door has one.
        token: Option<&'a str>,
        /// The answer.
        answer: &'a str,
    },
    /// An MSCHAPv2 proof of an answer to the pending challenge.
    Nt(&'a mx::NtProof),
}

/// Whose state a call runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    /// An enrolled user: their own state.
    Enrolled,
    /// A suspended user: their real credential on a shadow state (the decoy
    /// row of their id), so nothing they do counts on their own state and
    /// the replies look like anyone else's.
    Suspended,
    /// An unknown id: a decoy credential of its kind on its decoy state.
    Unknown,
}

/// Whether a call shows a challenge or examines an answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Challenge,
    Answer,
}

/// Audit lines collected during one attempt of one request.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The login service.
pub struct Login {
    store: Arc<Store>,
    keyring: mx::Keyring,
    policy: mx::Policy,
    verifier: mx::TicketVerifier,
    clock: Clock,
    decoys: decoy::DecoyKeys,
    /// A random pattern credential sealed for [`DECOY_PATTERN_ID`] at start:
    /// the decoy credential of unknown ids and suspended users of the
    /// pattern kind. It is opened for each of their logins, as a user's is.
    decoy_pattern: Vec<u8>,
    site: site::SiteKey,
    tickets: TicketForm,
    /// The rounded card-holder share and when it was read.
    share: Mutex<Option<(u64, u8)>>,
    /// The highest state version this node has read of each user: a lower
    /// one later is an older genuine state put back (a rollback, which
    /// would undo counted failures and locks), refused and audited.
    versions: Mutex<std::collections::HashMap<(String, u64), u64>>,
    session_max: u64,
    /// This node's name in the audit chain.
    audit_node: String,
    /// The last sequence number of the node's chain this process committed.
    audit_head: tokio::sync::watch::Receiver<u64>,
    /// Registered terminals ([`terminal`]).
    terminals: terminal::Terminals,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").finish_non_exhaustive()
    }
}

impl Login {
    /// The service; fails if the policy is invalid, the session length is
    /// 0, or the store cannot take the service's access MAC (rows from
    /// before schema 7 get theirs here).
    pub fn new(settings: Settings) -> Result<Arc<Login>, String> {
        settings.policy.validate().map_err(|e| format!("policy: {e}"))?;
        if settings.session_max_seconds == 0 {
            return Err("session.max_seconds must be at least 1".to_owned());
        }
        let decoy_pattern = mx::PatternCredential::decoy(&settings.policy)
            .and_then(|c| c.seal(&settings.keyring, DECOY_PATTERN_ID))
            .map_err(|e| format!("the decoy credential: {e}"))?;
        let seal_key = site::SiteKey::new(&settings.site_key);
        let sealer: crate::store::Sealer =
            Arc::new(move |facts: &crate::store::AccessFacts<'_>| access::mac(&seal_key, facts).to_vec());
        let sealed = settings.store.set_sealer(sealer).map_err(|e| e.to_string())?;
        if sealed > 0 {
            crate::warn!("matrixauth: wrote the access MAC of {sealed} users (schema 7)");
        }
        if !valid_node_name(&settings.audit_node) {
            return Err(format!(
                "audit.node {:?}: 1 to 64 letters, digits, '.', '_' or '-'",
                settings.audit_node
            ));
        }
        let clock = Arc::clone(&settings.clock);
        let gap: crate::store::chain::GapLine = Arc::new(move |seen, found| {
            let what = "audit_chain";
            AuditEvent::Tampered { time: clock(), user: "", what, seen, found }.to_line()
        });
        let linker = chain::AuditKey::of_site(&site::SiteKey::new(&settings.site_key)).linker();
        let chain = crate::store::chain::Chain::new(settings.audit_node.clone(), linker, gap);
        let audit_head = chain.subscribe();
        let chained = settings.store.set_chain(chain).map_err(|e| e.to_string())?;
        if chained > 0 {
            crate::warn!("matrixauth: linked {chained} audit lines into the audit chain (schema 8)");
        }
        // Redemptions and refusals are the core's events, collected per call on the calling
        // thread and written by `redeem` once the store has had its say.
        let sink: mx::AuditSink = Arc::new(|e: &mx::Event| {
            TICKET_EVENTS.with(|events| events.borrow_mut().push(e.to_json()));
        });
        let verifier =
            mx::TicketVerifier::new(settings.keyring.clone(), mx::TicketVerifier::DEFAULT_CAPACITY)
                .with_audit_sink(sink);
        Ok(Arc::new(Login {
            store: Arc::new(settings.store),
            keyring: settings.keyring,
            policy: settings.policy,
            verifier,
            clock: settings.clock,
            decoys: decoy::DecoyKeys::new(&settings.site_key),
            decoy_pattern,
            site: site::SiteKey::new(&settings.site_key),
            tickets: settings.tickets,
            share: Mutex::new(None),
            versions: Mutex::new(std::collections::HashMap::new()),
            session_max: settings.session_max_seconds,
            audit_node: settings.audit_node,
            audit_head,
            terminals: terminal::Terminals::default(),
        }))
    }

    /// This node's name in the audit chain.
    pub fn audit_node(&self) -> &str {
        &self.audit_node
    }

    /// Follows the last sequence number of this node's audit chain this
    /// process committed ([`crate::store::chain::Chain::subscribe`]).
    pub fn audit_committed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.audit_head.clone()
    }

    /// The current time of the service's clock (Unix seconds).
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// The policy.
    pub fn policy(&self) -> &mx::Policy {
        &self.policy
    }

    /// The store, for the admin commands' reports and the server's
    /// background jobs. Doors never call it.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared (background jobs such as audit pruning).
    pub fn store_handle(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    /// Unknown users whose decoy state is stored.
    pub fn decoys_remembered(&self) -> usize {
        self.store.decoys().unwrap_or(0)
    }

    fn authenticator(&self) -> Result<(mx::Authenticator, Events), mx::Error> {
        let events = Events::default();
        let sink_events = events.clone();
        let sink: mx::AuditSink = Arc::new(move |e: &mx::Event| {
            sink_events.0.lock().unwrap_or_else(PoisonError::into_inner).push(e.to_json());
        });
        Ok((mx::Authenticator::new(self.keyring.clone(), self.policy.clone())?.with_audit_sink(sink), events))
    }

    /// Reads the site's share of card holders again (at start, by the
    /// background job, and by any call once the last read is
    /// [`decoy::SHARE_REFRESH_SECONDS`] old). Returns the rounded share.
    pub fn refresh_share(&self) -> Result<u8, StoreError> {
        let users = self.store.users()?;
        let cards = users.iter().filter(|u| u.card).count();
        let share = decoy::rounded_share(users.len() - cards, cards);
        *self.share.lock().unwrap_or_else(PoisonError::into_inner) = Some((self.now(), share));
        Ok(share)
    }

    fn share(&self) -> u8 {
        let cached = *self.share.lock().unwrap_or_else(PoisonError::into_inner);
        match cached {
            Some((at, share)) if self.now().saturating_sub(at) < decoy::SHARE_REFRESH_SECONDS => share,
            // A failed read keeps the last share (or the share of a site without users).
            _ => {
                self.refresh_share().unwrap_or_else(|_| cached.map_or(decoy::rounded_share(0, 0), |(_, s)| s))
            }
        }
    }

    /// The kind an unknown `user` looks like now.
    pub fn decoy_kind(&self, user: &str) -> decoy::Kind {
        self.decoys.kind(user, self.share())
    }

    /// The decoy credential of `kind` for `user`: the process's sealed
    /// decoy pattern, opened as a user's credential is (the same work as a
    /// user's login), or the id's own decoy card.
    fn decoy_secret(&self, user: &str, kind: decoy::Kind) -> Result<Secret, mx::Error> {
        match kind {
            decoy::Kind::Pattern => Secret::open(&self.keyring, DECOY_PATTERN_ID, &self.decoy_pattern),
            decoy::Kind::Card => Ok(Secret::Card(self.decoys.card(user)?)),
        }
    }

    /// The kind an unknown id's decoy state shows: once it has shown a card
    /// or a grid it keeps that kind, whatever the site's share becomes (a
    /// kind that flipped would give away the id as unknown); a fresh one
    /// takes the keyed kind.
    fn pinned_kind(&self, user: &str, state: &mx::UserState) -> decoy::Kind {
        if !state.tracked_cards().is_empty() {
            decoy::Kind::Card
        } else if state.next_seq() > 0 {
            decoy::Kind::Pattern
        } else {
            self.decoy_kind(user)
        }
    }

    fn session_end(&self, access: Access, now: u64) -> u64 {
        let cap = now.saturating_add(self.session_max);
        match access {
            Access::Until(end) => end.min(cap),
            Access::Always | Access::Outside => cap,
        }
    }

    /// Counts a finished request in the metrics (its door, outcome and
    /// latency, and whether it led to or met a lock): every public call that
    /// decides a login ends here, once.
    fn counted(via: Via<'_>, started: std::time::Instant, decision: Decision) -> Decision {
        let outcome = decision.outcome_label();
        let counted = crate::metrics::Counted {
            door: door_index(via),
            outcome: crate::metrics::OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(0),
            lock: matches!(decision, Decision::Locked(_) | Decision::Rejected { lock: Some(_), .. }),
        };
        crate::metrics::global().decided(counted, started.elapsed().as_secs_f64());
        decision
    }

    /// The audit lines a decision adds to the core's: the door's record
    /// (RADIUS), a refusal outside the window, a suspended user's attempt.
    #[allow(clippy::too_many_arguments)]
    fn decision_lines(
        user: &str,
        via: Via<'_>,
        holder: Holder,
        call: Call,
        decision: &Decision,
        now: u64,
        lines: &mut Vec<String>,
    ) {
        if matches!(decision, Decision::OutsideWindow) {
            lines.push(AuditEvent::OutsideWindow { time: now, user, via }.to_line());
        }
        if holder == Holder::Suspended && call == Call::Answer {
            lines.push(AuditEvent::SuspendedRefused { time: now, user, via }.to_line());
        }
        if let (Via::Radius(client), Some(reply)) = (via, decision.radius_reply()) {
            lines.push(AuditEvent::Radius { time: now, user, client, decision: reply }.to_line());
        }
    }

    /// Runs `f` on the state `user`'s login runs on: an enrolled user's own
    /// (compare-and-swap), a suspended user's shadow, an unknown id's decoy
    /// ([`Store::update_login`]); with the decision's audit lines in the
    /// same transaction.
    ///
    /// Every holder costs the same work, so that its time tells nothing
    /// (SPEC §13, issue 21): the store reads one statement and writes the
    /// same kind of transaction, and the CPU work matches too: an access MAC
    /// computed, and a sealed credential opened (a suspended user's or an
    /// unknown id's pattern is the process's sealed decoy credential,
    /// opened like a user's).
    fn run(
        &self,
        user: &str,
        via: Via<'_>,
        call: Call,
        now: u64,
        mut f: impl FnMut(&mx::Authenticator, Holder, &Secret, &mut mx::UserState, Access) -> Decision,
    ) -> Decision {
        // Read before any store access, for every kind of holder alike (its cost is timing-neutral).
        let _ = self.share();
        let (auth, events) = match self.authenticator() {
            Ok(a) => a,
            Err(e) => return Decision::core_error(e),
        };
        // The version the run leaves: the winning run's is what the store now holds.
        let mut left: Option<(u64, u64)> = None;
        let out = self.store.update_login(user, now, |login| match login {
            LoginState::User(record) => {
                left = None;
                let access = match self.access_of(user, record, now) {
                    Ok(a) => a,
                    Err(line) => return (Decision::Internal, vec![line]),
                };
                if let Err(line) = self.check_version(user, record.created_at, record.state.version(), now) {
                    crate::warn!("matrixauth serve: the state of {user:?} is older than one this node has seen (restored from a backup, or rolled back?): refused");
                    return (Decision::Internal, vec![line]);
                }
                let decision = match Secret::open(&self.keyring, user, &record.sealed_credential) {
                    Ok(secret) => f(&auth, Holder::Enrolled, &secret, &mut record.state, access),
                    Err(e) => Decision::internal(&e),
                };
                left = Some((record.created_at, record.state.version()));
                let mut lines = events.take();
                Self::decision_lines(user, via, Holder::Enrolled, call, &decision, now, &mut lines);
                (decision, lines)
            }
            // A suspended user's real credential is never examined: their attempts run on a
            // shadow state with a decoy credential of their kind, so a right answer and a wrong
            // one change the same things (the review found 4 wrong answers and a guess telling
            // them apart).
            LoginState::Decoy(state, shadow_of) => {
                left = None;
                let (holder, kind) = if let Some(record) = shadow_of {
                    if let Err(line) = self.access_of(user, record, now) {
                        return (Decision::Internal, vec![line]);
                    }
                    let card = mx::GridCard::is_sealed_card(&record.sealed_credential);
                    (Holder::Suspended, if card { decoy::Kind::Card } else { decoy::Kind::Pattern })
                } else {
                    // The work of a user's access check, on facts no user has.
                    let facts =
                        AccessFacts { user, created_at: 0, suspended_at: None, windows: &[], roles: &[] };
                    std::hint::black_box(access::mac(&self.site, &facts));
                    (Holder::Unknown, self.pinned_kind(user, state))
                };
                let decision = match self.decoy_secret(user, kind) {
                    Ok(secret) => f(&auth, holder, &secret, state, Access::Always),
                    Err(e) => Decision::core_error(e),
                };
                let mut lines = events.take();
                if holder == Holder::Suspended {
                    lines = lines.iter().map(|l| audit::shadow(l)).collect();
                }
                Self::decision_lines(user, via, holder, call, &decision, now, &mut lines);
                (decision, lines)
            }
        });
        match out {
            Ok(decision) => {
                // Remember the version written, not only the one read: else putting back the
                // state read before each guess would never look older (the review's finding).
                if let Some((created_at, version)) = left {
                    let _ = self.check_version(user, created_at, version, now);
                }
                decision
            }
            Err(e) => Decision::store_failure(&e),
        }
    }

    /// When `user` may log in, from their record, if its access MAC checks;
    /// else the `tampered` line to write (the login is refused).
    fn access_of(&self, user: &str, record: &crate::store::UserRecord, now: u64) -> Result<Access, String> {
        access::checked(&self.site, user, record, now).ok_or_else(|| {
            crate::warn!(
                "matrixauth serve: the suspension or access windows of {user:?} do not match their MAC \
                 (changed in the database without the keyring?): refused"
            );
            let what = "access";
            AuditEvent::Tampered { time: now, user, what, seen: 0, found: 0 }.to_line()
        })
    }

    /// Remembers `version` as read for `user`, or, if it is lower than one
    /// read before, the `tampered` line to write.
    fn check_version(&self, user: &str, created_at: u64, version: u64, now: u64) -> Result<(), String> {
        let mut versions = self.versions.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (user.to_owned(), created_at);
        match versions.get_mut(&key) {
            Some(seen) if version < *seen => {
                let (what, seen, found) = ("state_rollback", *seen, version);
                Err(AuditEvent::Tampered { time: now, user, what, seen, found }.to_line())
            }
            Some(seen) => {
                *seen = version;
                Ok(())
            }
            None => {
                versions.insert(key, version);
                Ok(())
            }
        }
    }

    /// A challenge for `user`: their grid or their card's cells (the pending
    /// one again while it lasts). An unknown id gets a decoy's, of the kind
    /// [`Login::decoy_kind`] says; a suspended user their own kind's (their
    /// answer will be refused).
    ///
    /// For a user who requires registered terminals this is
    /// [`Login::challenge_with_terminal`] without a proof: no grid on the
    /// portal, and over RADIUS one that only a registered address can answer.
    pub fn challenge(&self, user: &str, via: Via<'_>) -> Decision {
        self.challenge_with_terminal(user, via, Terminal::None)
    }

    /// [`Login::challenge`] without the terminal gate (for the gate itself).
    fn challenge_plain(&self, user: &str, via: Via<'_>) -> Decision {
        let now = self.now();
        self.run(user, via, Call::Challenge, now, |auth, _, secret, state, _| {
            let prompt = match secret {
                Secret::Card(card) => auth.issue_card_challenge(user, card, state, now).map(Prompt::card),
                Secret::Pattern(_) => auth.issue_challenge(user, state, now).map(Prompt::grid),
            };
            prompt.map_or_else(Decision::core_error, Decision::Prompt)
        })
    }

    /// Examines `answer`: to the challenge of `token`, or without one to the
    /// user's pending challenge (the portal showed the grid, the answer
    /// comes as a password). Accepted only for an enrolled, unsuspended user
    /// inside their access period; with `ticket_for`, the session carries a
    /// login ticket for that audience.
    pub fn answer(
        &self,
        user: &str,
        token: Option<&str>,
        answer: &str,
        via: Via<'_>,
        ticket_for: Option<&str>,
    ) -> Decision {
        let started = std::time::Instant::now();
        let decision = self.answer_uncounted(user, token, answer, via, ticket_for);
        Self::counted(via, started, decision)
    }

    fn answer_uncounted(
        &self,
        user: &str,
        token: Option<&str>,
        answer: &str,
        via: Via<'_>,
        ticket_for: Option<&str>,
    ) -> Decision {
        let now = self.now();
        // The terminal gate (SPEC §16): without its tag, the empty answer is examined.
        let (token, answer) = match self.gate_answer(user, token, answer, via) {
            Ok(g) => g,
            Err(decision) => return decision,
        };
        let decision = self.examine(user, token, answer, via, ticket_for, now);
        match (decision, ticket_for) {
            (Decision::Accepted(mut session), Some(audience)) if self.tickets == TicketForm::Handle => {
                match self.issue_handle(user, audience, now) {
                    Ok(handle) => {
                        session.ticket = Some(handle.to_string());
                        Decision::Accepted(session)
                    }
                    // The login stands, but its hand-off could not be stored: no accept without it.
                    Err(e) => Decision::store_failure(&e),
                }
            }
            (decision, _) => decision,
        }
    }

    /// Stores a ticket handle for `user` and `audience` (lifetime: the
    /// policy's `ticket_ttl`) with its `ticket_issued` line.
    fn issue_handle(&self, user: &str, audience: &str, now: u64) -> Result<Zeroizing<String>, StoreError> {
        let (handle, id) = handle::new_handle(&self.site).map_err(StoreError::Sql)?;
        let expires_at = now.saturating_add(self.policy.ticket_ttl);
        let mac = handle::row_mac(&self.site, &id, user, audience, expires_at);
        let row = crate::store::HandleRow {
            id,
            user: user.to_owned(),
            audience: audience.to_owned(),
            expires_at,
            used_at: None,
            mac,
        };
        let line = AuditEvent::HandleIssued { time: now, user, audience, expires_at }.to_line();
        self.store.insert_handle(&row, &[line])?;
        Ok(handle)
    }

    #[allow(clippy::too_many_arguments)]
    fn examine(
        &self,
        user: &str,
        token: Option<&str>,
        answer: &str,
        via: Via<'_>,
        ticket_for: Option<&str>,
        now: u64,
    ) -> Decision {
        self.examine_given(user, Given::Typed { token, answer }, via, ticket_for, now, &mut None)
    }

    /// EAP-MSCHAPv2 (SPEC §17): examines the NT-Response of `proof` against
    /// `user`'s pending challenge (the grid was shown on the portal), with
    /// the core's constant-time check, counting as [`Login::answer`] with no
    /// token does. On [`Decision::Accepted`], and only then, the
    /// `PasswordHashHash` of the answer comes back, from which the door
    /// derives the authenticator response and the MPPE keys. A suspended
    /// user, an unknown id (a decoy) or a right answer outside the access
    /// period never gets it.
    pub fn answer_mschapv2(
        &self,
        user: &str,
        proof: &mx::NtProof,
        via: Via<'_>,
    ) -> (Decision, Option<mx::PasswordHashHash>) {
        let started = std::time::Instant::now();
        match self.gate_radius(user) {
            Ok(true) => {}
            Ok(false) => return (Self::counted(via, started, self.gate_refused(user, via)), None),
            Err(decision) => return (Self::counted(via, started, decision), None),
        }
        let mut hash_hash = None;
        let decision = self.examine_given(user, Given::Nt(proof), via, None, self.now(), &mut hash_hash);
        let hash_hash = hash_hash.filter(|_| matches!(decision, Decision::Accepted(_)));
        (Self::counted(via, started, decision), hash_hash)
    }

    #[allow(clippy::too_many_arguments)]
    fn examine_given(
        &self,
        user: &str,
        given: Given<'_>,
        via: Via<'_>,
        ticket_for: Option<&str>,
        now: u64,
        hash_hash: &mut Option<mx::PasswordHashHash>,
    ) -> Decision {
        self.run(user, via, Call::Answer, now, |auth, holder, secret, state, access| {
            *hash_hash = None;
            let mut nt_hash_hash = None;
            let mut nt = |v: mx::Result<mx::NtVerdict>| {
                v.map(|v| {
                    nt_hash_hash = v.password_hash_hash;
                    v.verdict
                })
            };
            let verdict = match (secret, given) {
                (Secret::Pattern(c), Given::Typed { token: Some(token), answer }) => {
                    auth.verify(user, c, state, token, answer, now)
                }
                (Secret::Pattern(c), Given::Typed { token: None, answer }) => {
                    auth.verify_pending(user, c, state, answer, now)
                }
                (Secret::Card(card), Given::Typed { token: Some(token), answer }) => {
                    auth.verify_card(user, card, state, token, answer, now)
                }
                (Secret::Card(card), Given::Typed { token: None, answer }) => {
                    auth.verify_card_pending(user, card, state, answer, now)
                }
                (Secret::Pattern(c), Given::Nt(proof)) => {
                    nt(auth.verify_pending_nt(user, c, state, proof, now))
                }
                (Secret::Card(card), Given::Nt(proof)) => {
                    nt(auth.verify_card_pending_nt(user, card, state, proof, now))
                }
            };
            let verdict = match verdict {
                Ok(v) => v,
                Err(e) => return Decision::core_error(e),
            };
            let lock = Lock::of(state.lock_at(now));
            match (verdict.outcome, holder) {
                (mx::Outcome::Accepted, Holder::Enrolled) => {
                    if access == Access::Outside {
                        return Decision::OutsideWindow;
                    }
                    let signed = ticket_for.filter(|_| self.tickets == TicketForm::Signed);
                    let ticket = match signed.map(|audience| auth.issue_ticket(user, audience, now)) {
                        None => None,
                        Some(Ok(t)) => Some(t),
                        Some(Err(e)) => return Decision::core_error(e),
                    };
                    *hash_hash = nt_hash_hash.take();
                    Decision::Accepted(Session {
                        user: user.to_owned(),
                        ends_at: self.session_end(access, now),
                        ticket,
                    })
                }
                (mx::Outcome::Accepted, Holder::Suspended) => Decision::Suspended,
                // A decoy never logs in, even if a guess matched the random decoy.
                (mx::Outcome::Accepted, Holder::Unknown) => {
                    Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None }
                }
                (mx::Outcome::Locked, _) => Decision::Locked(lock.unwrap_or(Lock::Permanent)),
                (outcome, _) => Decision::Rejected { outcome, lock },
            }
        })
    }

    /// The first request of the challenge flow on a client that asks for a
    /// site password first ([`first_factor::FirstFactor::Password`]): the
    /// password is checked (one Argon2id verification for every id, known or
    /// not), and the grid is shown whatever the result, with the result
    /// sealed into the challenge's State for [`Login::answer_after_password`].
    pub fn challenge_after_password(&self, user: &str, password: &str, via: Via<'_>) -> Decision {
        let record = match self.store.site_password(user) {
            Ok(r) => r.flatten(),
            Err(e) => return Decision::store_failure(&e),
        };
        let ok = first_factor::check(&self.site, user, record.as_deref(), password);
        match self.challenge(user, via) {
            Decision::Prompt(mut prompt) => {
                let state = first_factor::tag_state(&self.site, user, prompt.token(), ok);
                match &mut prompt {
                    Prompt::Grid { token, .. } | Prompt::Card { token, .. } => *token = state,
                }
                Decision::Prompt(prompt)
            }
            other => other,
        }
    }

    /// The answer that follows [`Login::challenge_after_password`], with
    /// its State. After a wrong site password (or a State without the tag:
    /// a token taken from elsewhere) the answer examined is the empty one,
    /// which no credential accepts: the attempt is a wrong answer, counted,
    /// and its reply cannot tell which factor was wrong.
    pub fn answer_after_password(&self, user: &str, state: &str, answer: &str, via: Via<'_>) -> Decision {
        let (token, ok) = first_factor::untag_state(&self.site, user, state);
        self.answer(user, Some(token), if ok { answer } else { "" }, via, None)
    }

    /// Sets (or with `None` clears) `user`'s site password. `Ok(false)`: no such user.
    pub fn set_site_password(
        &self,
        user: &str,
        password: Option<&str>,
        operator: &str,
    ) -> Result<bool, String> {
        let record = password.map(|p| first_factor::record(&self.site, user, p)).transpose()?;
        let action =
            if record.is_some() { AdminAction::SitePassword } else { AdminAction::SitePasswordCleared };
        let line = AuditEvent::Admin { time: self.now(), user: Some(user), operator, action }.to_line();
        self.store.set_site_password(user, record.as_deref(), &[line]).map_err(|e| e.to_string())
    }

    /// A request the door cannot take: a RADIUS password that cannot be
    /// read (not UTF-8, absent where one is needed), or EAP on a client
    /// without EAP. Refused and audited like a wrong answer, with nothing
    /// counted and no state changed.
    pub fn refuse(&self, user: &str, via: Via<'_>) -> Decision {
        let started = std::time::Instant::now();
        let decision = self.refuse_uncounted(user, via);
        Self::counted(via, started, decision)
    }

    fn refuse_uncounted(&self, user: &str, via: Via<'_>) -> Decision {
        let decision = Decision::Rejected { outcome: mx::Outcome::Invalid, lock: None };
        let mut lines = Vec::new();
        Self::decision_lines(user, via, Holder::Enrolled, Call::Challenge, &decision, self.now(), &mut lines);
        match self.store.append_audit(&lines) {
            Ok(()) => decision,
            Err(e) => Decision::store_failure(&e),
        }
    }

    /// Redeems a login ticket for `audience`: the core's checks (MAC,
    /// audience, lifetime, this process's replay cache), then a replay row
    /// in the store, so a ticket is redeemed once across every node sharing
    /// it; then the user as they are now: a suspended user or one outside
    /// their access period is refused. With `user`, the ticket must be
    /// theirs. The audit log gets the core's `ticket_redeemed` or
    /// `ticket_refused` (or, for a ticket another node redeemed first,
    /// `ticket_refused` with `"scope":"store"`, never a `ticket_redeemed`
    /// for a ticket that was refused).
    pub fn redeem(&self, ticket: &str, audience: &str, user: Option<&str>, via: Via<'_>) -> Decision {
        let started = std::time::Instant::now();
        let decision = self.redeem_uncounted(ticket, audience, user, via);
        Self::counted(via, started, decision)
    }

    fn redeem_uncounted(&self, ticket: &str, audience: &str, user: Option<&str>, via: Via<'_>) -> Decision {
        let now = self.now();
        if handle::looks_like_handle(ticket) {
            return self.redeem_handle(ticket, audience, user, via, now);
        }
        // The name it comes with is checked before anything is consumed: a ticket shown under
        // another name stays good for its owner (a verifier of its own, with an empty replay
        // cache and no log, tells whose it is).
        if let Some(named) = user
            && let Ok(owner) = mx::TicketVerifier::new(self.keyring.clone(), 1).redeem(ticket, audience, now)
            && owner != named
        {
            let (reason, form) = ("wrong_user", "signed");
            let line =
                AuditEvent::TicketRefused { time: now, user: &owner, audience, reason, form }.to_line();
            let decision = Decision::Rejected { outcome: mx::Outcome::Invalid, lock: None };
            return self.finish(named, via, decision, vec![line], now);
        }
        TICKET_EVENTS.with(|events| events.borrow_mut().clear());
        let verdict = self.verifier.redeem(ticket, audience, now);
        let mut lines = TICKET_EVENTS.with(|events| std::mem::take(&mut *events.borrow_mut()));
        let (owner, decision) = match verdict {
            // RFC 2865 caps User-Password at 128 octets and radcli keeps 112: a signed ticket of
            // exactly that length that does not check was cut short on its way, not forged.
            Err(mx::Error::Ticket(mx::TicketError::Malformed | mx::TicketError::Forged))
                if TRUNCATED_LENGTHS.contains(&ticket.len()) =>
            {
                let reason = "truncated";
                let form = "signed";
                lines =
                    vec![AuditEvent::TicketRefused { time: now, user: "", audience, reason, form }.to_line()];
                (String::new(), Decision::Refused(mx::Error::Ticket(mx::TicketError::Malformed)))
            }
            Err(e) => (String::new(), Decision::Refused(e)),
            Ok(owner) => {
                let decision = match self.redeemed(&owner, ticket, audience, user, now, &mut lines) {
                    Ok(d) => d,
                    Err(e) => return Decision::store_failure(&e),
                };
                (owner, decision)
            }
        };
        if let Decision::Suspended = decision {
            lines.push(AuditEvent::SuspendedRefused { time: now, user: &owner, via }.to_line());
        }
        self.finish(user.unwrap_or(&owner), via, decision, lines, now)
    }

    /// A ticket handle: its row (keyed id, MAC), then the checks in an order
    /// that consumes a handle only when it logs someone in: audience,
    /// expiry, the name it is presented with, the user's suspension and
    /// access period; then it is marked used, once across the cluster.
    fn redeem_handle(
        &self,
        ticket: &str,
        audience: &str,
        user: Option<&str>,
        via: Via<'_>,
        now: u64,
    ) -> Decision {
        use subtle::ConstantTimeEq as _;
        let id = handle::row_id(&self.site, ticket);
        let row = match self.store.handle(&id) {
            Ok(r) => r,
            Err(e) => return Decision::store_failure(&e),
        };
        let refused = |reason: &'static str, owner: &str, error: Option<mx::TicketError>| {
            let line = AuditEvent::TicketRefused { time: now, user: owner, audience, reason, form: "handle" }
                .to_line();
            let decision = error
                .map_or(Decision::Rejected { outcome: mx::Outcome::Invalid, lock: None }, |e| {
                    Decision::Refused(mx::Error::Ticket(e))
                });
            (decision, line)
        };
        let (decision, line) = match &row {
            None => refused("unknown", "", Some(mx::TicketError::Forged)),
            Some(r)
                if !bool::from(
                    handle::row_mac(&self.site, &r.id, &r.user, &r.audience, r.expires_at).ct_eq(&r.mac),
                ) =>
            {
                crate::warn!(
                    "matrixauth serve: a ticket handle's row does not match its MAC (edited in the database?)"
                );
                refused("tampered", "", Some(mx::TicketError::Forged))
            }
            Some(r) if r.used_at.is_some() => refused("replayed", &r.user, Some(mx::TicketError::Replayed)),
            Some(r) if r.audience != audience => {
                refused("wrong_audience", &r.user, Some(mx::TicketError::WrongAudience))
            }
            Some(r) if now >= r.expires_at => refused("expired", &r.user, Some(mx::TicketError::Expired)),
            Some(r) if user.is_some_and(|u| u != r.user) => refused("wrong_user", &r.user, None),
            Some(r) => return self.redeem_valid_handle(r, audience, user, via, now),
        };
        let named = user.or(row.as_ref().map(|r| r.user.as_str())).unwrap_or("");
        self.finish(named, via, decision, vec![line], now)
    }

    /// A handle whose row checked: the user as they are now, then the
    /// handle is used, once across the cluster.
    fn redeem_valid_handle(
        &self,
        r: &crate::store::HandleRow,
        audience: &str,
        user: Option<&str>,
        via: Via<'_>,
        now: u64,
    ) -> Decision {
        let decision = match self.store.load(&r.user) {
            Ok(Some(record)) => match self.access_of(&r.user, &record, now) {
                Err(line) => return self.finish(&r.user, via, Decision::Internal, vec![line], now),
                Ok(_) if record.suspended => Decision::Suspended,
                Ok(Access::Outside) => Decision::OutsideWindow,
                Ok(access) => Decision::Accepted(Session {
                    user: r.user.clone(),
                    ends_at: self.session_end(access, now),
                    ticket: None,
                }),
            },
            // Removed since the handle was issued.
            Ok(None) => Decision::Rejected { outcome: mx::Outcome::Invalid, lock: None },
            Err(e) => return Decision::store_failure(&e),
        };
        let named = user.unwrap_or(&r.user);
        let mut lines = Vec::new();
        if let Decision::Accepted(_) = decision {
            let ticket = &audit::ticket_id(&r.id);
            lines.push(AuditEvent::HandleRedeemed { time: now, user: &r.user, audience, ticket }.to_line());
            Self::decision_lines(named, via, Holder::Enrolled, Call::Challenge, &decision, now, &mut lines);
            return match self.store.use_handle(&r.id, now, &lines) {
                Ok(true) => decision,
                // Another node redeemed it a moment ago.
                Ok(false) => {
                    let reason = "replayed";
                    let line = AuditEvent::TicketRefused {
                        time: now,
                        user: &r.user,
                        audience,
                        reason,
                        form: "handle",
                    };
                    let refused = Decision::Refused(mx::Error::Ticket(mx::TicketError::Replayed));
                    self.finish(named, via, refused, vec![line.to_line()], now)
                }
                Err(e) => Decision::store_failure(&e),
            };
        }
        if let Decision::Suspended = decision {
            lines.push(AuditEvent::SuspendedRefused { time: now, user: &r.user, via }.to_line());
        }
        self.finish(named, via, decision, lines, now)
    }

    /// Appends the decision's own lines (the RADIUS door's, a refusal
    /// outside the window) to `lines` and writes them.
    fn finish(
        &self,
        user: &str,
        via: Via<'_>,
        decision: Decision,
        mut lines: Vec<String>,
        now: u64,
    ) -> Decision {
        Self::decision_lines(user, via, Holder::Enrolled, Call::Challenge, &decision, now, &mut lines);
        match self.store.append_audit(&lines) {
            Ok(()) => decision,
            Err(e) => Decision::store_failure(&e),
        }
    }

    /// After the core accepted a ticket of `owner`: the store's replay row,
    /// the name, the suspension and the access period.
    fn redeemed(
        &self,
        owner: &str,
        ticket: &str,
        audience: &str,
        user: Option<&str>,
        now: u64,
        lines: &mut Vec<String>,
    ) -> Result<Decision, StoreError> {
        let id: [u8; 32] = sha2::Sha256::digest(ticket.as_bytes()).into();
        // Kept past any lifetime the verifier admits (its maximum plus clock skew).
        if !self.store.claim_ticket(&id, now.saturating_add(TICKET_ROW_SECONDS))? {
            *lines = vec![AuditEvent::TicketReplayed { time: now, user: owner, audience }.to_line()];
            return Ok(Decision::Refused(mx::Error::Ticket(mx::TicketError::Replayed)));
        }
        // The core's `ticket_redeemed` names the ticket, so `audit verify` finds one redeemed
        // twice (its claim deleted in the database, then shown to another node).
        let ticket_id = audit::ticket_id(&id);
        for line in lines.iter_mut() {
            if line.contains("\"event\":\"ticket_redeemed\"") {
                *line = audit::with_ticket(line, &ticket_id);
            }
        }
        // The core logged `ticket_redeemed`; a refusal from here on replaces it, so the log never
        // says redeemed for a ticket that let nobody in.
        let mut refuse = |reason: &'static str| {
            let form = "signed";
            *lines =
                vec![AuditEvent::TicketRefused { time: now, user: owner, audience, reason, form }.to_line()];
        };
        if user.is_some_and(|u| u != owner) {
            refuse("wrong_user");
            return Ok(Decision::Rejected { outcome: mx::Outcome::Invalid, lock: None });
        }
        let Some(record) = self.store.load(owner)? else {
            refuse("unknown");
            return Ok(Decision::Rejected { outcome: mx::Outcome::Invalid, lock: None });
        };
        let access = match self.access_of(owner, &record, now) {
            Ok(a) => a,
            Err(line) => {
                *lines = vec![line];
                return Ok(Decision::Internal);
            }
        };
        if record.suspended {
            refuse("suspended");
            return Ok(Decision::Suspended);
        }
        Ok(match access {
            Access::Outside => {
                refuse("outside_window");
                Decision::OutsideWindow
            }
            access => Decision::Accepted(Session {
                user: owner.to_owned(),
                ends_at: self.session_end(access, now),
                ticket: None,
            }),
        })
    }

    /// The unused, unexpired invitation of `token` (whom it enrols), if
    /// its row checks.
    pub fn invitation(&self, token: &str) -> Result<Invitation, EnrollError> {
        let hash = invite::hash(&self.site, token);
        let inv = self.store.invitation(&hash, self.now())?.ok_or(EnrollError::Invitation)?;
        if invite::row_checks(&self.site, &hash, &inv) { Ok(inv) } else { Err(EnrollError::Invitation) }
    }

    /// Enrols the holder of invitation `token` with `credential` (after the
    /// policy's checks) and uses the invitation up, in one transaction. The
    /// user id comes from the invitation, never from the request. A
    /// credential the policy refuses leaves the invitation unused.
    pub fn enroll(&self, token: &str, credential: &mx::PatternCredential) -> Result<Invitation, EnrollError> {
        let now = self.now();
        self.policy.check_credential(credential).map_err(EnrollError::Credential)?;
        let hash = invite::hash(&self.site, token);
        let enrolled = self.store.enroll(&hash, now, |inv| {
            // A row written or edited without the keyring enrols nobody.
            if !invite::row_checks(&self.site, &hash, inv) {
                return Err(EnrollError::Invitation);
            }
            let user = inv.user.as_str();
            let sealed = credential.seal(&self.keyring, user).map_err(EnrollError::Credential)?;
            Ok((sealed, vec![AuditEvent::Enrolled { time: now, user }.to_line()]))
        })?;
        let inv = enrolled.ok_or(EnrollError::Invitation)??;
        self.store.forget_decoys(Some(&inv.user))?;
        // The roles the invitation carries (issue 23); a failure leaves the user without them.
        if let Err(e) = self.apply_invitation_roles(token, &inv.user) {
            crate::warn!("matrixauth: the roles of {:?}'s invitation were not given: {e}", inv.user);
        }
        Ok(inv)
    }

    /// Stores an invitation for `user` (a new user, or a re-enrolment) and
    /// returns its token and expiry. Only the token's hash is stored; no
    /// audit line holds it.
    pub fn invite(
        &self,
        user: &str,
        hours: u64,
        operator: &str,
    ) -> Result<(Zeroizing<String>, u64, bool), String> {
        self.invite_giving(user, hours, &[], operator)
    }

    /// [`Login::invite`], with the console `roles` the invitation will give
    /// named in its audit line (the caller keeps them with the invitation).
    pub(crate) fn invite_giving(
        &self,
        user: &str,
        hours: u64,
        roles: &[String],
        operator: &str,
    ) -> Result<(Zeroizing<String>, u64, bool), String> {
        if !mx::is_valid_user_id(user) {
            return Err(format!("user id {user:?}: 1 to 255 bytes without control characters"));
        }
        if hours == 0 || hours > invite::MAX_HOURS {
            return Err(format!("--hours must be 1 to {}", invite::MAX_HOURS));
        }
        let now = self.now();
        let token = invite::new_token()?;
        let hash = invite::hash(&self.site, &token);
        let expires_at = now + hours * 3600;
        let mac = invite::row_mac(&self.site, &hash, user, expires_at);
        let reenrolment = self.store.enrolled_at(user).map_err(|e| e.to_string())?.is_some();
        let action = AdminAction::Invite { expires_at, reenrolment, roles: roles.to_vec() };
        let line = AuditEvent::Admin { time: now, user: Some(user), operator, action }.to_line();
        self.store
            .create_invitation(user, &hash, now, expires_at, &mac, &[line])
            .map_err(|e| e.to_string())?;
        Ok((token, expires_at, reenrolment))
    }

    /// Clears `user`'s locks and failure counters (the core's `unlock`),
    /// audited. `Ok(false)`: no such user.
    pub fn unlock(&self, user: &str, operator: &str) -> Result<bool, String> {
        let now = self.now();
        let (auth, events) = self.authenticator().map_err(|e| e.to_string())?;
        let out = self
            .store
            .update(user, |record| {
                let r = auth.unlock(user, &mut record.state, now);
                let mut lines = events.take();
                if r.is_ok() {
                    let action = AdminAction::Unlock;
                    lines.push(AuditEvent::Admin { time: now, user: Some(user), operator, action }.to_line());
                }
                (r, lines)
            })
            .map_err(|e| e.to_string())?;
        match out {
            None => Ok(false),
            Some(Err(e)) => Err(e.to_string()),
            Some(Ok(_)) => Ok(true),
        }
    }

    /// Suspends `user` at every door, at once on every node (the flag is in
    /// the store). `Ok(false)`: no such user, or suspended already.
    pub fn suspend(&self, user: &str, operator: &str) -> Result<bool, String> {
        self.set_suspended(Some(user), true, operator).map(|n| n > 0)
    }

    /// Gives `user` their access back. `Ok(false)`: no such user, or not suspended.
    pub fn resume(&self, user: &str, operator: &str) -> Result<bool, String> {
        self.set_suspended(Some(user), false, operator).map(|n| n > 0)
    }

    /// Suspends every vendor user ("everyone off"): holders of a role (the
    /// city's staff, who must be able to turn it back) are left as they
    /// are. Returns how many were suspended now.
    pub fn suspend_all(&self, operator: &str) -> Result<usize, String> {
        self.set_suspended(None, true, operator)
    }

    fn set_suspended(&self, user: Option<&str>, suspend: bool, operator: &str) -> Result<usize, String> {
        let now = self.now();
        // A shadow starts fresh at a suspension and is gone at the resumption.
        let changed = self.set_suspended_rows(user, suspend, operator, now)?;
        if changed > 0 {
            self.store.forget_decoys(user).map_err(|e| e.to_string())?;
        }
        Ok(changed)
    }

    fn set_suspended_rows(
        &self,
        user: Option<&str>,
        suspend: bool,
        operator: &str,
        now: u64,
    ) -> Result<usize, String> {
        self.store
            .set_suspended(user, suspend.then_some(now), |n| {
                let action = match (user, suspend) {
                    (None, _) => AdminAction::SuspendAll { users: n },
                    (Some(_), true) => AdminAction::Suspend,
                    (Some(_), false) => AdminAction::Resume,
                };
                if n == 0 && user.is_some() {
                    return Vec::new();
                }
                vec![AuditEvent::Admin { time: now, user, operator, action }.to_line()]
            })
            .map_err(|e| e.to_string())
    }

    /// Removes `user` with their windows and invitations. `Ok(false)`: no such user.
    pub fn remove(&self, user: &str, operator: &str) -> Result<bool, String> {
        let line =
            AuditEvent::Admin { time: self.now(), user: Some(user), operator, action: AdminAction::Remove }
                .to_line();
        let removed = self.store.remove_user(user, &[line]).map_err(|e| e.to_string())?;
        if removed {
            self.store.forget_decoys(Some(user)).map_err(|e| e.to_string())?;
        }
        Ok(removed)
    }

    /// Adds an access window `[from, to)` for an enrolled `user`; returns its number.
    pub fn add_window(&self, user: &str, from: u64, to: u64, operator: &str) -> Result<i64, String> {
        let now = self.now();
        if to <= from {
            return Err("--to must be after --from".to_owned());
        }
        if to <= now {
            return Err(format!("that window ended already ({})", crate::when::local(to)));
        }
        if self.store.enrolled_at(user).map_err(|e| e.to_string())?.is_none() {
            return Err(format!("no enrolled user {user:?}"));
        }
        self.store
            .add_window(user, from, to, now, |window| {
                let action = AdminAction::WindowAdd { window, from, to };
                AuditEvent::Admin { time: now, user: Some(user), operator, action }.to_line()
            })
            .map_err(|e| e.to_string())
    }

    /// Replaces `user`'s roles (each one of [`crate::store::ROLES`];
    /// duplicates dropped). `Ok(false)`: no such user.
    pub fn set_roles(&self, user: &str, roles: &[String], operator: &str) -> Result<bool, String> {
        let mut roles = roles.to_vec();
        roles.sort_unstable();
        roles.dedup();
        if let Some(bad) = roles.iter().find(|r| !crate::store::ROLES.contains(&r.as_str())) {
            return Err(format!("no role {bad:?}: admin, approver or auditor"));
        }
        let action = AdminAction::Roles { roles: roles.clone() };
        let line = AuditEvent::Admin { time: self.now(), user: Some(user), operator, action }.to_line();
        self.store.set_roles(user, &roles, &[line]).map_err(|e| e.to_string())
    }

    /// Removes window `id` of `user`. `Ok(false)`: none.
    pub fn remove_window(&self, user: &str, id: i64, operator: &str) -> Result<bool, String> {
        let action = AdminAction::WindowRemove { window: id };
        let line = AuditEvent::Admin { time: self.now(), user: Some(user), operator, action }.to_line();
        self.store.remove_window(user, id, &[line]).map_err(|e| e.to_string())
    }

    /// Issues a new grid card (`CardSpec::default()`) to a user who is not
    /// enrolled yet and stores it sealed; returns the card to print.
    pub fn issue_card(&self, user: &str, operator: &str) -> Result<mx::GridCard, String> {
        let now = self.now();
        let card = mx::GridCard::generate(&mx::CardSpec::default()).map_err(|e| e.to_string())?;
        let sealed = card.seal(&self.keyring, user).map_err(|e| e.to_string())?;
        let action = AdminAction::CardIssued { serial: card.serial().to_owned() };
        let line = AuditEvent::Admin { time: now, user: Some(user), operator, action }.to_line();
        if !self
            .store
            .create_user(user, &sealed, &mx::UserState::new(), now, &[line])
            .map_err(|e| e.to_string())?
        {
            return Err(format!("{user:?} is enrolled already"));
        }
        self.store.forget_decoys(Some(user)).map_err(|e| e.to_string())?;
        Ok(card)
    }

    /// Audits a RadSec connection refused for its client certificate
    /// (`radsec_refused`): `peer` is its address, `reason` one of
    /// `untrusted_certificate`, `no_certificate`, `unknown_certificate`.
    pub fn refuse_radsec_client(
        &self,
        peer: &str,
        reason: &'static str,
        detail: &str,
        fingerprint: Option<&str>,
    ) -> Result<(), String> {
        let line =
            AuditEvent::RadsecRefused { time: self.now(), peer, reason, detail, fingerprint }.to_line();
        self.store.append_audit(&[line]).map_err(|e| e.to_string())
    }

    /// Writes the audit line of an administrator's action that changed
    /// nothing in the store (a key rotation, an export, a migration).
    pub fn record_admin(
        &self,
        user: Option<&str>,
        operator: &str,
        action: AdminAction,
    ) -> Result<(), String> {
        let line = AuditEvent::Admin { time: self.now(), user, operator, action }.to_line();
        self.store.append_audit(&[line]).map_err(|e| e.to_string())
    }

    /// Deletes the audit lines older than `days` days, and audits that it
    /// did (`audit_pruned`). `quiet` (the hourly run): a run that removed
    /// nothing writes no line and returns `None`. Returns the line.
    pub fn prune_audit(&self, days: u64, quiet: bool) -> Result<Option<String>, String> {
        let now = self.now();
        let before = now.saturating_sub(days.saturating_mul(86_400));
        let key = self.audit_key();
        let mut line = None;
        self.store
            .prune_audit(before, |pruned| {
                if quiet && pruned.removed == 0 && pruned.refused.is_empty() {
                    return None;
                }
                // The anchors of the markers pruned now carry over (theirs checked first), so a
                // node's remaining chain always has its start in a marker that is kept.
                let mut anchors = chain::Anchors::new();
                for m in pruned.markers.iter().filter(|m| key.checks(m)) {
                    for (n, (s, mac)) in chain::marker_anchors(&m.line).unwrap_or_default() {
                        chain::merge_anchor(&mut anchors, &n, s, mac);
                    }
                }
                for (n, s, mac) in &pruned.anchors {
                    chain::merge_anchor(&mut anchors, n, *s, *mac);
                }
                if !pruned.refused.is_empty() {
                    crate::warn!(
                        "matrixauth: kept the old audit lines of nodes {:?}: the last one to prune does not \
                         match its MAC (edited in the database?); see matrixauth audit verify",
                        pruned.refused
                    );
                }
                let l = AuditEvent::AuditPruned {
                    time: now,
                    removed: pruned.removed,
                    before,
                    retention_days: days,
                    anchors: &anchors,
                    refused: &pruned.refused,
                }
                .to_line();
                line = Some(l.clone());
                Some(l)
            })
            .map_err(|e| e.to_string())?;
        Ok(line)
    }

    /// The audit key ([`chain::AuditKey`]).
    pub fn audit_key(&self) -> chain::AuditKey {
        chain::AuditKey::of_site(&self.site)
    }

    /// Verifies the audit log's chains (`matrixauth audit verify`), with
    /// findings about lines in `range` only if given.
    pub fn verify_audit(&self, range: Option<(u64, u64)>) -> Result<chain::Report, String> {
        let (rows, heads, users) = self.store.audit_snapshot().map_err(|e| e.to_string())?;
        Ok(chain::verify(&self.audit_key(), &rows, &heads, &users, range))
    }
}
