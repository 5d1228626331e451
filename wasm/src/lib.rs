//! WebAssembly bindings of `matrixauth` (npm package `matrixauth`).
//!
//! Thin by design: every rule lives in the core crate; these files convert
//! JS values to core types and core errors to JS `Error`s (`convert`). One
//! file per core concept, as in the C library (`ffi/src/`): `keyring`,
//! `policy`, `credential`, `card`, `state`, `authenticator` (with
//! `Challenge`, `CardChallenge`, `Verdict`), `nt` (the MSCHAPv2 checks,
//! `NtVerdict`), `ticket`, `analysis`. Names follow
//! SPEC §10 in camelCase. Times are JS numbers of Unix seconds; every `now`
//! argument is optional and defaults to the clock (`Date.now()`).
//!
//! Errors thrown are `Error` objects with `name = "MatrixauthError"`, a
//! stable `code` (the core's `Error::code`, e.g. `"locked"`,
//! `"weak_pattern"`) and, where they apply, `lockedUntil` (a number, or
//! `null` for a permanent lock), `weakness`, `reason` (ticket refusals) or
//! `expiresAt`. Messages never contain secrets.

mod analysis;
mod authenticator;
mod card;
mod convert;
mod credential;
mod keyring;
mod nt;
mod policy;
mod state;
mod ticket;

pub use analysis::{
    cell_name, expected_candidates, fold, observations_to_unique, parse_matrix_text, strength_for_length,
    version,
};
pub use authenticator::{Authenticator, CardChallenge, Challenge, Verdict};
pub use card::GridCard;
pub use credential::PatternCredential;
pub use keyring::Keyring;
pub use nt::NtVerdict;
pub use policy::Policy;
pub use state::UserState;
pub use ticket::TicketVerifier;
