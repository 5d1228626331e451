//! The crate's error type.
//!
//! Errors never carry secret material: no cell names of a credential, no fixed
//! string, no typed answer, no key bytes. Details are static strings or public
//! numbers (limits, times).

use core::fmt;

/// Why a login ticket was refused by [`crate::TicketVerifier::redeem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketError {
    /// Not a ticket: wrong encoding, wrong length or unknown format version.
    Malformed,
    /// The MAC does not verify, or the key id is unknown.
    Forged,
    /// The ticket was issued for another audience.
    WrongAudience,
    /// `now >= expires_at`.
    Expired,
    /// The ticket claims a lifetime longer than this verifier accepts, or was
    /// issued further in the future than the allowed clock skew.
    BadLifetime,
    /// The ticket was redeemed before.
    Replayed,
    /// The replay cache is full of unexpired tickets; the ticket is refused
    /// rather than accepted without replay protection.
    CacheFull,
}

impl TicketError {
    /// A short stable name (`"expired"`, `"replayed"`, …) for logs and frontends.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketError::Malformed => "malformed",
            TicketError::Forged => "forged",
            TicketError::WrongAudience => "wrong_audience",
            TicketError::Expired => "expired",
            TicketError::BadLifetime => "bad_lifetime",
            TicketError::Replayed => "replayed",
            TicketError::CacheFull => "cache_full",
        }
    }
}

/// Which enrollment rule a credential breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Fewer cells than `Policy::min_pattern_len`.
    TooShort {
        /// The policy's minimum.
        min: usize,
    },
    /// More cells than `Policy::max_pattern_len`.
    TooLong {
        /// The policy's maximum.
        max: usize,
    },
    /// A cell appears twice and the policy does not allow it.
    RepeatedCell,
    /// A cell lies outside the policy's grid.
    CellOutsideGrid,
}

impl PolicyViolation {
    /// A short stable name (`"too_short"`, …) for frontends.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyViolation::TooShort { .. } => "too_short",
            PolicyViolation::TooLong { .. } => "too_long",
            PolicyViolation::RepeatedCell => "repeated_cell",
            PolicyViolation::CellOutsideGrid => "cell_outside_grid",
        }
    }

    /// The policy's limit for `TooShort` (its minimum) and `TooLong` (its maximum).
    pub fn limit(self) -> Option<usize> {
        match self {
            PolicyViolation::TooShort { min } => Some(min),
            PolicyViolation::TooLong { max } => Some(max),
            PolicyViolation::RepeatedCell | PolicyViolation::CellOutsideGrid => None,
        }
    }
}

/// Why a pattern was judged weak (SPEC §3; the list is in `docs/DESIGN.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// All cells lie on one row, column or diagonal, or consecutive cells
    /// follow one constant step (a straight line of any slope).
    StraightLine,
    /// Every cell is a corner of the grid.
    Corners,
    /// The cells fill a solid rectangle walked row by row or column by column.
    Rectangle,
    /// Every cell is the same cell.
    SingleCell,
    /// The policy requires the pattern to touch every block and it does not.
    MissesBlock,
}

impl Weakness {
    /// A short stable name for frontends.
    pub fn as_str(self) -> &'static str {
        match self {
            Weakness::StraightLine => "straight_line",
            Weakness::Corners => "corners",
            Weakness::Rectangle => "rectangle",
            Weakness::SingleCell => "single_cell",
            Weakness::MissesBlock => "misses_block",
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A cell name is not a letter A–Z followed by a row number 1–26.
    InvalidCellName,
    /// A cell index or name lies outside the grid.
    CellOutOfRange,
    /// Rows or columns outside 2..=26, or more than 256 cells.
    InvalidGeometry,
    /// A pattern has no cells or more than 16.
    InvalidPatternLength,
    /// The fixed string is longer than 32 characters or has a character
    /// outside U+0021–U+007E after folding.
    InvalidFixedString,
    /// The fixed string's insert position is beyond the pattern's length.
    InvalidFixedPosition,
    /// The credential breaks the policy.
    Policy(PolicyViolation),
    /// The pattern is weak.
    WeakPattern(Weakness),
    /// The policy itself is inconsistent; the text names the field.
    InvalidPolicy(&'static str),
    /// A user id is empty, longer than 255 bytes, or has control characters.
    InvalidUserId,
    /// An audience is empty, longer than 255 bytes, or has control characters.
    InvalidAudience,
    /// A key is not 32 bytes.
    InvalidKeyLength,
    /// A key id is already in the keyring.
    DuplicateKeyId,
    /// No key with that id is in the keyring.
    UnknownKeyId,
    /// The user is locked. `locked_until` is `None` for a permanent lock that
    /// only an administrator's `unlock` clears.
    Locked {
        /// Unix seconds at which the temporary lock ends; `None` if permanent.
        locked_until: Option<u64>,
    },
    /// A challenge of the other mode (pattern or card) is pending and has not
    /// expired; it must be answered or expire first.
    OtherChallengePending {
        /// Unix seconds at which the pending challenge expires.
        expires_at: u64,
    },
    /// Bytes (user state, sealed record, serialised credential) are not in a
    /// known format: wrong version, truncated, bad checksum, bad field.
    Format(&'static str),
    /// A sealed record could not be opened: wrong key, wrong user, tampered.
    Seal,
    /// A login ticket was refused.
    Ticket(TicketError),
    /// The operating system's random number generator failed.
    Random,
    /// A grid card's description is invalid; the text names the field.
    InvalidCard(&'static str),
    /// The grid card is past its expiry date.
    CardExpired,
    /// Fewer unused cells remain on the card than a challenge asks: issue a
    /// new card (single-use policy).
    CardExhausted,
    /// The user state already tracks the most cards it can
    /// ([`crate::MAX_CARDS`]); retire one with [`crate::UserState::forget_card`].
    TooManyCards,
    /// `now` is after 9999-12-31T23:59:59Z ([`crate::MAX_TIME`]): a broken
    /// clock, refused before it can corrupt expiries and locks.
    InvalidTime,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidCellName => {
                f.write_str("invalid cell name (expected a column letter A-Z and a row number 1-26)")
            }
            Error::CellOutOfRange => f.write_str("cell outside the grid"),
            Error::InvalidGeometry => {
                f.write_str("invalid grid geometry (rows and columns must be 2-26, at most 256 cells)")
            }
            Error::InvalidPatternLength => f.write_str("a pattern has 1 to 16 cells"),
            Error::InvalidFixedString => {
                f.write_str("the fixed string must be at most 32 printable ASCII characters (U+0021-U+007E)")
            }
            Error::InvalidFixedPosition => {
                f.write_str("the fixed string's position must be between 0 and the pattern length")
            }
            Error::Policy(PolicyViolation::TooShort { min }) => {
                write!(f, "pattern too short: the policy requires at least {min} cells")
            }
            Error::Policy(PolicyViolation::TooLong { max }) => {
                write!(f, "pattern too long: the policy allows at most {max} cells")
            }
            Error::Policy(PolicyViolation::RepeatedCell) => {
                f.write_str("the pattern repeats a cell, which the policy does not allow")
            }
            Error::Policy(PolicyViolation::CellOutsideGrid) => {
                f.write_str("the pattern has a cell outside the policy's grid")
            }
            Error::WeakPattern(w) => write!(f, "weak pattern refused ({})", w.as_str()),
            Error::InvalidPolicy(field) => write!(f, "invalid policy: {field}"),
            Error::InvalidUserId => {
                f.write_str("invalid user id (1-255 bytes of UTF-8 without control characters)")
            }
            Error::InvalidAudience => {
                f.write_str("invalid audience (1-255 bytes of UTF-8 without control characters)")
            }
            Error::InvalidKeyLength => f.write_str("a key must be exactly 32 bytes"),
            Error::DuplicateKeyId => f.write_str("that key id is already in the keyring"),
            Error::UnknownKeyId => f.write_str("no key with that id in the keyring"),
            Error::Locked { locked_until: Some(t) } => write!(f, "user locked until {t}"),
            Error::Locked { locked_until: None } => {
                f.write_str("user locked permanently until an administrator unlocks it")
            }
            Error::OtherChallengePending { expires_at } => {
                write!(f, "a challenge of the other mode is pending until {expires_at}")
            }
            Error::Format(what) => write!(f, "format error: {what}"),
            Error::Seal => f.write_str("sealed record cannot be opened (wrong key, wrong user or tampered)"),
            Error::Ticket(t) => write!(f, "login ticket refused ({})", t.as_str()),
            Error::Random => f.write_str("the operating system's random generator failed"),
            Error::InvalidCard(what) => write!(f, "invalid grid card: {what}"),
            Error::CardExpired => f.write_str("the grid card has expired; issue a new card"),
            Error::CardExhausted => {
                f.write_str("the grid card has no unused cells left for a challenge; issue a new card")
            }
            Error::TooManyCards => f.write_str(
                "the user state tracks the most cards it can; retire an old card with forget_card",
            ),
            Error::InvalidTime => f.write_str("the time is after the year 9999 (broken clock?)"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A short stable name of the error's kind (`"locked"`, `"weak_pattern"`,
    /// …), the same in every frontend: JS errors carry it as `code`, Python
    /// maps it to an exception class. Never contains secret material.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidCellName => "invalid_cell_name",
            Error::CellOutOfRange => "cell_out_of_range",
            Error::InvalidGeometry => "invalid_geometry",
            Error::InvalidPatternLength => "invalid_pattern_length",
            Error::InvalidFixedString => "invalid_fixed_string",
            Error::InvalidFixedPosition => "invalid_fixed_position",
            Error::Policy(_) => "policy",
            Error::WeakPattern(_) => "weak_pattern",
            Error::InvalidPolicy(_) => "invalid_policy",
            Error::InvalidUserId => "invalid_user_id",
            Error::InvalidAudience => "invalid_audience",
            Error::InvalidKeyLength => "invalid_key_length",
            Error::DuplicateKeyId => "duplicate_key_id",
            Error::UnknownKeyId => "unknown_key_id",
            Error::Locked { .. } => "locked",
            Error::OtherChallengePending { .. } => "other_challenge_pending",
            Error::Format(_) => "format",
            Error::Seal => "seal",
            Error::Ticket(_) => "ticket",
            Error::Random => "random",
            Error::InvalidCard(_) => "invalid_card",
            Error::CardExpired => "card_expired",
            Error::CardExhausted => "card_exhausted",
            Error::TooManyCards => "too_many_cards",
            Error::InvalidTime => "invalid_time",
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
