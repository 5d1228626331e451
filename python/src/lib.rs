//! Python bindings of `matrixauth` (`matrixauth._native`).
//!
//! Thin by design: every rule lives in the core crate; these files convert
//! Python values to core types and core errors to the exception classes of
//! `matrixauth` (all deriving from `matrixauth.Error`, with a stable `code`).
//! One file per core concept, as in the C library (`ffi/src/`): `keyring`,
//! `policy` (with `Strength`), `credential`, `card`, `state`,
//! `authenticator` (with `Challenge`, `CardChallenge`, `Verdict`,
//! `Outcome`), `nt` (`NtProof`, `NtVerdict`: MSCHAPv2), `ticket`, `analysis`; `error` maps errors, `convert` times
//! and events.
//! Every `now` is optional Unix seconds and defaults to the clock.
//! `matrixauth/_native.pyi` holds the type stubs.

// pyo3's method shapes: `&self` receivers on Copy enums and explicit `'py` lifetimes are what
// its macros expect.
#![allow(clippy::elidable_lifetime_names, clippy::trivially_copy_pass_by_ref, clippy::unused_self)]

use pyo3::prelude::*;

mod analysis;
mod authenticator;
mod card;
mod convert;
mod credential;
mod error;
mod keyring;
mod nt;
mod policy;
mod state;
mod ticket;

use analysis::{
    consistent_count, expected_candidates, fold, observations_to_unique, parse_matrix_text,
    sample_consistent, strength_for_length,
};
use authenticator::{Authenticator, CardChallenge, Challenge, Outcome, Verdict};
use card::GridCard;
use credential::PatternCredential;
use error::{
    CardExhaustedError, CardExpiredError, Error, FormatError, LockedError, PolicyError, SealError,
    TicketError, WeakPatternError,
};
use keyring::Keyring;
use nt::{NtProof, NtVerdict};
use policy::{Policy, Strength};
use state::UserState;
use ticket::TicketVerifier;

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("FormatError", py.get_type::<FormatError>())?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("WeakPatternError", py.get_type::<WeakPatternError>())?;
    m.add("LockedError", py.get_type::<LockedError>())?;
    m.add("SealError", py.get_type::<SealError>())?;
    m.add("TicketError", py.get_type::<TicketError>())?;
    m.add("CardExhaustedError", py.get_type::<CardExhaustedError>())?;
    m.add("CardExpiredError", py.get_type::<CardExpiredError>())?;
    m.add_class::<Keyring>()?;
    m.add_class::<Policy>()?;
    m.add_class::<PatternCredential>()?;
    m.add_class::<UserState>()?;
    m.add_class::<Outcome>()?;
    m.add_class::<Challenge>()?;
    m.add_class::<CardChallenge>()?;
    m.add_class::<Verdict>()?;
    m.add_class::<NtProof>()?;
    m.add_class::<NtVerdict>()?;
    m.add_class::<Strength>()?;
    m.add_class::<GridCard>()?;
    m.add_class::<Authenticator>()?;
    m.add_class::<TicketVerifier>()?;
    m.add_function(wrap_pyfunction!(fold, m)?)?;
    m.add_function(wrap_pyfunction!(expected_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(observations_to_unique, m)?)?;
    m.add_function(wrap_pyfunction!(strength_for_length, m)?)?;
    m.add_function(wrap_pyfunction!(parse_matrix_text, m)?)?;
    m.add_function(wrap_pyfunction!(consistent_count, m)?)?;
    m.add_function(wrap_pyfunction!(sample_consistent, m)?)?;
    Ok(())
}
