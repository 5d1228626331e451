//! The rows of registered terminals (SPEC §16): each user's WebAuthn
//! credentials with their names, use and revocation, the user's terminal
//! policy, and the invitations that add a terminal. The login service
//! ([`crate::login::terminal`]) decides with them; the backends keep them.

/// A registered terminal of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalRow {
    /// Its number (0 for a row not yet stored).
    pub id: i64,
    /// Whose terminal.
    pub user: String,
    /// Its name ("保守端末1").
    pub name: String,
    /// The WebAuthn credential as registered (webauthn-rs `Passkey`,
    /// serialised as JSON: the credential id and public key, no secret);
    /// `None` for a terminal known only by its network addresses.
    pub credential: Option<String>,
    /// The credential id (empty for a network-only terminal).
    pub credential_id: Vec<u8>,
    /// When it was registered (Unix seconds).
    pub created_at: u64,
    /// When it last logged in.
    pub last_used_at: Option<u64>,
    /// The highest signature counter seen.
    pub counter: u32,
    /// When it was revoked.
    pub revoked_at: Option<u64>,
    /// The attestation format and data the authenticator gave, if any.
    pub attestation: Option<String>,
    /// Its network addresses as RADIUS `Calling-Station-Id` carries them.
    pub addresses: Vec<String>,
    /// The row's MAC under the site key (user, credential, revocation,
    /// addresses), written and checked by the login service.
    pub mac: Vec<u8>,
}

/// A user's terminal policy and terminals, read at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TerminalBook {
    /// Whether the user is enrolled (read in the same query as the policy).
    pub enrolled: bool,
    /// `Some(true)`: terminals required for this user; `Some(false)`: not;
    /// `None`: the site's policy.
    pub policy: Option<bool>,
    /// The user's terminals, revoked ones included, by number.
    pub terminals: Vec<TerminalRow>,
}

/// A change to the terminal rows, written with its audit lines in one
/// transaction.
#[derive(Clone, Copy, Debug)]
pub enum TerminalWrite<'a> {
    /// Adds the row (`id` 0) or replaces the row `id` of the same user.
    /// Returns its number; `None`: no such row.
    Put(&'a TerminalRow),
    /// Sets the user's policy; `None`: no such user.
    Policy {
        /// The user.
        user: &'a str,
        /// The policy (`None`: the site's).
        required: Option<bool>,
    },
    /// Stores an invitation to add one terminal, replacing the user's unused
    /// ones; `None`: no such user.
    Invite {
        /// The user.
        user: &'a str,
        /// The keyed hash of its token.
        token_hash: &'a [u8; 32],
        /// Now.
        now: u64,
        /// When it expires.
        expires_at: u64,
        /// Its MAC under the site key.
        mac: &'a [u8],
    },
    /// Uses the unused, unexpired invitation of `token_hash` for
    /// `row.user` and adds `row`; `None`: no such invitation.
    Redeem {
        /// The keyed hash of its token.
        token_hash: &'a [u8; 32],
        /// Now.
        now: u64,
        /// The terminal to add.
        row: &'a TerminalRow,
    },
}

/// Addresses as one column: one per line.
pub(crate) fn join_addresses(addresses: &[String]) -> String {
    addresses.join("\n")
}

/// The column back as addresses.
pub(crate) fn split_addresses(column: &str) -> Vec<String> {
    column.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}
