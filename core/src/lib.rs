//! # matrixauth
//!
//! Matrix authentication (マトリクス認証): the token-less one-time password
//! typed in front of SSL-VPN appliances. At each login the server shows a
//! grid of random digits; the user types a memorised fixed string plus the
//! digits under a memorised pattern of cells.
//!
//! ```
//! use matrixauth::{Authenticator, Keyring, Outcome, PatternCredential, Policy, UserState};
//!
//! # fn main() -> matrixauth::Result<()> {
//! let keyring = Keyring::new(&[7u8; 32], 1)?; // use Keyring::generate_key() in production
//! let auth = Authenticator::new(keyring, Policy::default())?;
//!
//! // Enrollment: six cells, fixed string "pw" typed after the first two digits.
//! let credential = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2)?;
//! auth.check_credential(&credential)?;
//!
//! // Login: issue a challenge, the user answers, verify.
//! let now = 1_800_000_000;
//! let mut state = UserState::new();
//! let challenge = auth.issue_challenge("alice", &mut state, now)?;
//! let answer = credential.respond(&challenge)?; // what the user would type
//! let verdict = auth.verify("alice", &credential, &mut state, &challenge.token, &answer, now + 20)?;
//! assert_eq!(verdict.outcome, Outcome::Accepted);
//! let bytes = state.to_bytes(auth.keyring(), "alice")?; // persist this
//! let state = UserState::from_bytes(auth.keyring(), "alice", &bytes)?; // and read it back
//! assert_eq!(state.failures_since_success(), 0);
//! # Ok(())
//! # }
//! ```
//!
//! The module map and the data flow of a login are in `docs/DESIGN.md`;
//! byte formats in `docs/FORMATS.md`.

#![forbid(unsafe_code)]
#![deny(unused_must_use)]

pub mod analysis;
mod audit;
mod authenticator;
mod card;
mod codec;
#[doc(hidden)]
pub mod ct;
mod error;
mod fold;
mod grid;
mod keyring;
mod nt;
mod pattern;
mod policy;
mod rng;
mod seal;
mod state;
mod strength;
mod ticket;
mod token;
mod verify;

#[cfg(test)]
mod vectors;

// Compiles and runs the README's Rust examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use audit::{AuditSink, Event, EventKind};
pub use authenticator::{Authenticator, Challenge, NtVerdict, Outcome, Verdict};
pub use card::{
    Alphabet, CardChallenge, CardSpec, GridCard, MAX_CARD_CHALLENGE_CELLS, MAX_CELL_LEN, utc_date,
};
pub use codec::{MAX_TIME, Name, is_valid_user_id};
pub use error::{Error, PolicyViolation, Result, TicketError, Weakness};
pub use fold::{MAX_TYPED_BYTES, fold};
pub use grid::{Cell, Geometry, MAX_CELLS, MAX_SIDE, MIN_SIDE, Matrix};
pub use keyring::{KEY_LEN, Keyring};
pub use nt::{NtProof, PasswordHashHash};
pub use pattern::{MAX_FIXED_LEN, MAX_PATTERN_LEN, MAX_RESPONSE_LEN, PatternCredential};
pub use policy::Policy;
pub use state::{MAX_CARDS, UserState};
pub use strength::{Strength, expected_candidates, observations_to_unique};
pub use ticket::{TicketVerifier, ticket_len};
