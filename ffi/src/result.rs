//! Result codes: numbers are part of the ABI and are never reused.

use mx::{Error, PolicyViolation, TicketError, Weakness};

/// What a call returned. `MATRIXAUTH_OK` is 0; every other value is an error
/// whose text `matrixauth_result_message` gives. Numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum matrixauth_result {
    /// Success.
    MATRIXAUTH_OK = 0,
    /// A required pointer argument was NULL.
    MATRIXAUTH_ERR_NULL_ARGUMENT = 1,
    /// A string argument is not valid UTF-8.
    MATRIXAUTH_ERR_INVALID_UTF8 = 2,
    /// The output buffer is too small; `*out_len` holds the size needed.
    MATRIXAUTH_ERR_BUFFER_TOO_SMALL = 3,
    /// A bug inside the library was caught at the C boundary; nothing was changed.
    MATRIXAUTH_ERR_PANIC = 4,
    /// An integer argument is out of range (an enum value, an index, a length).
    MATRIXAUTH_ERR_INVALID_ARGUMENT = 5,
    /// A cell name is not a letter A-Z and a row number 1-26.
    MATRIXAUTH_ERR_INVALID_CELL_NAME = 10,
    /// A cell lies outside the grid.
    MATRIXAUTH_ERR_CELL_OUT_OF_RANGE = 11,
    /// Rows or columns outside 2-26, or more than 256 cells.
    MATRIXAUTH_ERR_INVALID_GEOMETRY = 12,
    /// A pattern has no cells or more than 16.
    MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH = 13,
    /// The fixed string is too long or has a character outside U+0021-U+007E.
    MATRIXAUTH_ERR_INVALID_FIXED_STRING = 14,
    /// The fixed string's position is beyond the pattern length.
    MATRIXAUTH_ERR_INVALID_FIXED_POSITION = 15,
    /// The pattern is shorter than the policy's minimum.
    MATRIXAUTH_ERR_PATTERN_TOO_SHORT = 16,
    /// The pattern is longer than the policy's maximum.
    MATRIXAUTH_ERR_PATTERN_TOO_LONG = 17,
    /// The pattern repeats a cell and the policy forbids it.
    MATRIXAUTH_ERR_REPEATED_CELL = 18,
    /// The pattern has a cell outside the policy's grid.
    MATRIXAUTH_ERR_CELL_OUTSIDE_GRID = 19,
    /// Weak pattern: a straight line.
    MATRIXAUTH_ERR_WEAK_STRAIGHT_LINE = 20,
    /// Weak pattern: only corners.
    MATRIXAUTH_ERR_WEAK_CORNERS = 21,
    /// Weak pattern: a rectangle walked in reading order.
    MATRIXAUTH_ERR_WEAK_RECTANGLE = 22,
    /// Weak pattern: one cell repeated.
    MATRIXAUTH_ERR_WEAK_SINGLE_CELL = 23,
    /// Weak pattern: a block is not touched.
    MATRIXAUTH_ERR_WEAK_MISSES_BLOCK = 24,
    /// The policy is inconsistent.
    MATRIXAUTH_ERR_INVALID_POLICY = 25,
    /// A user id is empty, longer than 255 bytes, or has control characters.
    MATRIXAUTH_ERR_INVALID_USER_ID = 26,
    /// An audience is empty, longer than 255 bytes, or has control characters.
    MATRIXAUTH_ERR_INVALID_AUDIENCE = 27,
    /// A key is not 32 bytes.
    MATRIXAUTH_ERR_INVALID_KEY_LENGTH = 28,
    /// The key id is already in the keyring.
    MATRIXAUTH_ERR_DUPLICATE_KEY_ID = 29,
    /// No key with that id.
    MATRIXAUTH_ERR_UNKNOWN_KEY_ID = 30,
    /// The user is locked; read the end with `matrixauth_state_locked_until`.
    MATRIXAUTH_ERR_LOCKED = 31,
    /// A challenge of the other mode is pending.
    MATRIXAUTH_ERR_OTHER_CHALLENGE_PENDING = 32,
    /// Bytes are not in a known format (state, sealed record, card).
    MATRIXAUTH_ERR_FORMAT = 33,
    /// A sealed record does not open (wrong key, wrong user, tampered).
    MATRIXAUTH_ERR_SEAL = 34,
    /// Ticket refused: not a ticket.
    MATRIXAUTH_ERR_TICKET_MALFORMED = 35,
    /// Ticket refused: forged or unknown key.
    MATRIXAUTH_ERR_TICKET_FORGED = 36,
    /// Ticket refused: another audience.
    MATRIXAUTH_ERR_TICKET_WRONG_AUDIENCE = 37,
    /// Ticket refused: expired.
    MATRIXAUTH_ERR_TICKET_EXPIRED = 38,
    /// Ticket refused: lifetime too long or issued in the future.
    MATRIXAUTH_ERR_TICKET_BAD_LIFETIME = 39,
    /// Ticket refused: already redeemed.
    MATRIXAUTH_ERR_TICKET_REPLAYED = 40,
    /// Ticket refused: the replay cache is full.
    MATRIXAUTH_ERR_TICKET_CACHE_FULL = 41,
    /// The operating system's random generator failed.
    MATRIXAUTH_ERR_RANDOM = 42,
    /// `now` is after the year 9999.
    MATRIXAUTH_ERR_INVALID_TIME = 43,
    /// A grid card's description is invalid.
    MATRIXAUTH_ERR_INVALID_CARD = 44,
    /// The grid card has expired.
    MATRIXAUTH_ERR_CARD_EXPIRED = 45,
    /// The grid card has no unused cells left: issue a new card.
    MATRIXAUTH_ERR_CARD_EXHAUSTED = 46,
    /// The user state tracks the most cards it can: forget a retired one.
    MATRIXAUTH_ERR_TOO_MANY_CARDS = 47,
}

use matrixauth_result as R;

impl From<Error> for matrixauth_result {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidCellName => R::MATRIXAUTH_ERR_INVALID_CELL_NAME,
            Error::CellOutOfRange => R::MATRIXAUTH_ERR_CELL_OUT_OF_RANGE,
            Error::InvalidGeometry => R::MATRIXAUTH_ERR_INVALID_GEOMETRY,
            Error::InvalidPatternLength => R::MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH,
            Error::InvalidFixedString => R::MATRIXAUTH_ERR_INVALID_FIXED_STRING,
            Error::InvalidFixedPosition => R::MATRIXAUTH_ERR_INVALID_FIXED_POSITION,
            Error::Policy(PolicyViolation::TooShort { .. }) => R::MATRIXAUTH_ERR_PATTERN_TOO_SHORT,
            Error::Policy(PolicyViolation::TooLong { .. }) => R::MATRIXAUTH_ERR_PATTERN_TOO_LONG,
            Error::Policy(PolicyViolation::RepeatedCell) => R::MATRIXAUTH_ERR_REPEATED_CELL,
            Error::Policy(PolicyViolation::CellOutsideGrid) => R::MATRIXAUTH_ERR_CELL_OUTSIDE_GRID,
            Error::WeakPattern(Weakness::StraightLine) => R::MATRIXAUTH_ERR_WEAK_STRAIGHT_LINE,
            Error::WeakPattern(Weakness::Corners) => R::MATRIXAUTH_ERR_WEAK_CORNERS,
            Error::WeakPattern(Weakness::Rectangle) => R::MATRIXAUTH_ERR_WEAK_RECTANGLE,
            Error::WeakPattern(Weakness::SingleCell) => R::MATRIXAUTH_ERR_WEAK_SINGLE_CELL,
            Error::WeakPattern(Weakness::MissesBlock) => R::MATRIXAUTH_ERR_WEAK_MISSES_BLOCK,
            Error::InvalidPolicy(_) => R::MATRIXAUTH_ERR_INVALID_POLICY,
            Error::InvalidUserId => R::MATRIXAUTH_ERR_INVALID_USER_ID,
            Error::InvalidAudience => R::MATRIXAUTH_ERR_INVALID_AUDIENCE,
            Error::InvalidKeyLength => R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH,
            Error::DuplicateKeyId => R::MATRIXAUTH_ERR_DUPLICATE_KEY_ID,
            Error::UnknownKeyId => R::MATRIXAUTH_ERR_UNKNOWN_KEY_ID,
            Error::Locked { .. } => R::MATRIXAUTH_ERR_LOCKED,
            Error::OtherChallengePending { .. } => R::MATRIXAUTH_ERR_OTHER_CHALLENGE_PENDING,
            Error::Format(_) => R::MATRIXAUTH_ERR_FORMAT,
            Error::Seal => R::MATRIXAUTH_ERR_SEAL,
            Error::Ticket(TicketError::Malformed) => R::MATRIXAUTH_ERR_TICKET_MALFORMED,
            Error::Ticket(TicketError::Forged) => R::MATRIXAUTH_ERR_TICKET_FORGED,
            Error::Ticket(TicketError::WrongAudience) => R::MATRIXAUTH_ERR_TICKET_WRONG_AUDIENCE,
            Error::Ticket(TicketError::Expired) => R::MATRIXAUTH_ERR_TICKET_EXPIRED,
            Error::Ticket(TicketError::BadLifetime) => R::MATRIXAUTH_ERR_TICKET_BAD_LIFETIME,
            Error::Ticket(TicketError::Replayed) => R::MATRIXAUTH_ERR_TICKET_REPLAYED,
            Error::Ticket(TicketError::CacheFull) => R::MATRIXAUTH_ERR_TICKET_CACHE_FULL,
            Error::Random => R::MATRIXAUTH_ERR_RANDOM,
            Error::InvalidTime => R::MATRIXAUTH_ERR_INVALID_TIME,
            Error::InvalidCard(_) => R::MATRIXAUTH_ERR_INVALID_CARD,
            Error::CardExpired => R::MATRIXAUTH_ERR_CARD_EXPIRED,
            Error::CardExhausted => R::MATRIXAUTH_ERR_CARD_EXHAUSTED,
            Error::TooManyCards => R::MATRIXAUTH_ERR_TOO_MANY_CARDS,
            // Error is non_exhaustive: a future variant maps here until it gets its own code.
            _ => R::MATRIXAUTH_ERR_INVALID_ARGUMENT,
        }
    }
}

impl matrixauth_result {
    /// Every result code, for looking a number up without `unsafe`.
    pub(crate) const ALL: [matrixauth_result; 44] = [
        R::MATRIXAUTH_OK,
        R::MATRIXAUTH_ERR_NULL_ARGUMENT,
        R::MATRIXAUTH_ERR_INVALID_UTF8,
        R::MATRIXAUTH_ERR_BUFFER_TOO_SMALL,
        R::MATRIXAUTH_ERR_PANIC,
        R::MATRIXAUTH_ERR_INVALID_ARGUMENT,
        R::MATRIXAUTH_ERR_INVALID_CELL_NAME,
        R::MATRIXAUTH_ERR_CELL_OUT_OF_RANGE,
        R::MATRIXAUTH_ERR_INVALID_GEOMETRY,
        R::MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH,
        R::MATRIXAUTH_ERR_INVALID_FIXED_STRING,
        R::MATRIXAUTH_ERR_INVALID_FIXED_POSITION,
        R::MATRIXAUTH_ERR_PATTERN_TOO_SHORT,
        R::MATRIXAUTH_ERR_PATTERN_TOO_LONG,
        R::MATRIXAUTH_ERR_REPEATED_CELL,
        R::MATRIXAUTH_ERR_CELL_OUTSIDE_GRID,
        R::MATRIXAUTH_ERR_WEAK_STRAIGHT_LINE,
        R::MATRIXAUTH_ERR_WEAK_CORNERS,
        R::MATRIXAUTH_ERR_WEAK_RECTANGLE,
        R::MATRIXAUTH_ERR_WEAK_SINGLE_CELL,
        R::MATRIXAUTH_ERR_WEAK_MISSES_BLOCK,
        R::MATRIXAUTH_ERR_INVALID_POLICY,
        R::MATRIXAUTH_ERR_INVALID_USER_ID,
        R::MATRIXAUTH_ERR_INVALID_AUDIENCE,
        R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH,
        R::MATRIXAUTH_ERR_DUPLICATE_KEY_ID,
        R::MATRIXAUTH_ERR_UNKNOWN_KEY_ID,
        R::MATRIXAUTH_ERR_LOCKED,
        R::MATRIXAUTH_ERR_OTHER_CHALLENGE_PENDING,
        R::MATRIXAUTH_ERR_FORMAT,
        R::MATRIXAUTH_ERR_SEAL,
        R::MATRIXAUTH_ERR_TICKET_MALFORMED,
        R::MATRIXAUTH_ERR_TICKET_FORGED,
        R::MATRIXAUTH_ERR_TICKET_WRONG_AUDIENCE,
        R::MATRIXAUTH_ERR_TICKET_EXPIRED,
        R::MATRIXAUTH_ERR_TICKET_BAD_LIFETIME,
        R::MATRIXAUTH_ERR_TICKET_REPLAYED,
        R::MATRIXAUTH_ERR_TICKET_CACHE_FULL,
        R::MATRIXAUTH_ERR_RANDOM,
        R::MATRIXAUTH_ERR_INVALID_TIME,
        R::MATRIXAUTH_ERR_INVALID_CARD,
        R::MATRIXAUTH_ERR_CARD_EXPIRED,
        R::MATRIXAUTH_ERR_CARD_EXHAUSTED,
        R::MATRIXAUTH_ERR_TOO_MANY_CARDS,
    ];

    /// The static, NUL-terminated text of a result.
    pub(crate) fn message(self) -> &'static core::ffi::CStr {
        match self {
            R::MATRIXAUTH_OK => c"ok",
            R::MATRIXAUTH_ERR_NULL_ARGUMENT => c"a required pointer argument was NULL",
            R::MATRIXAUTH_ERR_INVALID_UTF8 => c"a string argument is not valid UTF-8",
            R::MATRIXAUTH_ERR_BUFFER_TOO_SMALL => {
                c"the output buffer is too small; *out_len holds the size needed"
            }
            R::MATRIXAUTH_ERR_PANIC => {
                c"internal error caught at the C boundary (a bug: please report it); nothing was changed"
            }
            R::MATRIXAUTH_ERR_INVALID_ARGUMENT => c"an integer argument is out of range",
            R::MATRIXAUTH_ERR_INVALID_CELL_NAME => {
                c"invalid cell name (a column letter A-Z and a row number 1-26)"
            }
            R::MATRIXAUTH_ERR_CELL_OUT_OF_RANGE => c"cell outside the grid",
            R::MATRIXAUTH_ERR_INVALID_GEOMETRY => {
                c"invalid grid geometry (rows and columns 2-26, at most 256 cells)"
            }
            R::MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH => c"a pattern has 1 to 16 cells",
            R::MATRIXAUTH_ERR_INVALID_FIXED_STRING => {
                c"the fixed string must be at most 32 printable ASCII characters"
            }
            R::MATRIXAUTH_ERR_INVALID_FIXED_POSITION => {
                c"the fixed string's position must be between 0 and the pattern length"
            }
            R::MATRIXAUTH_ERR_PATTERN_TOO_SHORT => c"pattern too short for the policy",
            R::MATRIXAUTH_ERR_PATTERN_TOO_LONG => c"pattern too long for the policy",
            R::MATRIXAUTH_ERR_REPEATED_CELL => c"the pattern repeats a cell, which the policy does not allow",
            R::MATRIXAUTH_ERR_CELL_OUTSIDE_GRID => c"the pattern has a cell outside the policy's grid",
            R::MATRIXAUTH_ERR_WEAK_STRAIGHT_LINE => c"weak pattern refused (straight line)",
            R::MATRIXAUTH_ERR_WEAK_CORNERS => c"weak pattern refused (corners)",
            R::MATRIXAUTH_ERR_WEAK_RECTANGLE => c"weak pattern refused (rectangle)",
            R::MATRIXAUTH_ERR_WEAK_SINGLE_CELL => c"weak pattern refused (single cell)",
            R::MATRIXAUTH_ERR_WEAK_MISSES_BLOCK => c"weak pattern refused (misses a block)",
            R::MATRIXAUTH_ERR_INVALID_POLICY => c"invalid policy",
            R::MATRIXAUTH_ERR_INVALID_USER_ID => {
                c"invalid user id (1-255 bytes of UTF-8 without control characters)"
            }
            R::MATRIXAUTH_ERR_INVALID_AUDIENCE => {
                c"invalid audience (1-255 bytes of UTF-8 without control characters)"
            }
            R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH => c"a key must be exactly 32 bytes",
            R::MATRIXAUTH_ERR_DUPLICATE_KEY_ID => c"that key id is already in the keyring",
            R::MATRIXAUTH_ERR_UNKNOWN_KEY_ID => c"no key with that id in the keyring",
            R::MATRIXAUTH_ERR_LOCKED => c"user locked (see matrixauth_state_locked_until)",
            R::MATRIXAUTH_ERR_OTHER_CHALLENGE_PENDING => c"a challenge of the other mode is pending",
            R::MATRIXAUTH_ERR_FORMAT => {
                c"bytes are not in a known format (truncated, altered or another version)"
            }
            R::MATRIXAUTH_ERR_SEAL => c"sealed record cannot be opened (wrong key, wrong user or tampered)",
            R::MATRIXAUTH_ERR_TICKET_MALFORMED => c"login ticket refused (malformed)",
            R::MATRIXAUTH_ERR_TICKET_FORGED => c"login ticket refused (forged)",
            R::MATRIXAUTH_ERR_TICKET_WRONG_AUDIENCE => c"login ticket refused (wrong audience)",
            R::MATRIXAUTH_ERR_TICKET_EXPIRED => c"login ticket refused (expired)",
            R::MATRIXAUTH_ERR_TICKET_BAD_LIFETIME => c"login ticket refused (bad lifetime)",
            R::MATRIXAUTH_ERR_TICKET_REPLAYED => c"login ticket refused (replayed)",
            R::MATRIXAUTH_ERR_TICKET_CACHE_FULL => c"login ticket refused (replay cache full)",
            R::MATRIXAUTH_ERR_RANDOM => c"the operating system's random generator failed",
            R::MATRIXAUTH_ERR_INVALID_TIME => c"the time is after the year 9999 (broken clock?)",
            R::MATRIXAUTH_ERR_INVALID_CARD => c"invalid grid card",
            R::MATRIXAUTH_ERR_CARD_EXPIRED => c"the grid card has expired; issue a new card",
            R::MATRIXAUTH_ERR_CARD_EXHAUSTED => c"the grid card has no unused cells left; issue a new card",
            R::MATRIXAUTH_ERR_TOO_MANY_CARDS => {
                c"the user state tracks the most cards it can; forget a retired card"
            }
        }
    }
}

/// How a verification ended (SPEC §5). Numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum matrixauth_outcome {
    /// Right answer to the pending, unexpired challenge.
    MATRIXAUTH_OUTCOME_ACCEPTED = 1,
    /// Wrong or malformed answer; counted as a failure.
    MATRIXAUTH_OUTCOME_REJECTED = 2,
    /// The user is locked; the answer was not examined.
    MATRIXAUTH_OUTCOME_LOCKED = 3,
    /// The pending challenge's time is over.
    MATRIXAUTH_OUTCOME_EXPIRED = 4,
    /// The same answer sent again for the challenge just answered.
    MATRIXAUTH_OUTCOME_DUPLICATE = 5,
    /// The token is not the pending challenge.
    MATRIXAUTH_OUTCOME_STALE = 6,
    /// The token is malformed, forged, or bound to another user or card.
    MATRIXAUTH_OUTCOME_INVALID = 7,
}

impl From<mx::Outcome> for matrixauth_outcome {
    fn from(o: mx::Outcome) -> Self {
        match o {
            mx::Outcome::Accepted => matrixauth_outcome::MATRIXAUTH_OUTCOME_ACCEPTED,
            mx::Outcome::Rejected => matrixauth_outcome::MATRIXAUTH_OUTCOME_REJECTED,
            mx::Outcome::Locked => matrixauth_outcome::MATRIXAUTH_OUTCOME_LOCKED,
            mx::Outcome::Expired => matrixauth_outcome::MATRIXAUTH_OUTCOME_EXPIRED,
            mx::Outcome::Duplicate => matrixauth_outcome::MATRIXAUTH_OUTCOME_DUPLICATE,
            mx::Outcome::Stale => matrixauth_outcome::MATRIXAUTH_OUTCOME_STALE,
            mx::Outcome::Invalid => matrixauth_outcome::MATRIXAUTH_OUTCOME_INVALID,
        }
    }
}
