//! The exception classes of `matrixauth` (all deriving from `matrixauth.Error`, with a stable
//! `code`) and the one place core errors become them. Messages never carry secrets.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    matrixauth,
    Error,
    PyException,
    "Base class of every matrixauth error; `code` names the kind."
);
create_exception!(
    matrixauth,
    FormatError,
    Error,
    "Malformed input: cell names, strings, bytes, lengths, times."
);
create_exception!(matrixauth, PolicyError, Error, "A credential or a policy breaks the policy's rules.");
create_exception!(matrixauth, WeakPatternError, PolicyError, "The pattern is weak; `weakness` says how.");
create_exception!(
    matrixauth,
    LockedError,
    Error,
    "The user is locked; `locked_until` is Unix seconds or None (permanent)."
);
create_exception!(
    matrixauth,
    SealError,
    Error,
    "A sealed record cannot be opened: wrong key, wrong user or tampered."
);
create_exception!(matrixauth, TicketError, Error, "A login ticket was refused; `reason` says why.");
create_exception!(
    matrixauth,
    CardExhaustedError,
    Error,
    "The grid card has too few unused cells left: issue a new card."
);
create_exception!(matrixauth, CardExpiredError, Error, "The grid card has expired.");

/// A core error as the matching Python exception, with its public details
/// as attributes. Messages never carry secrets.
#[allow(clippy::needless_pass_by_value)] // by value so that `.map_err(err)` reads naturally
pub(crate) fn err(e: mx::Error) -> PyErr {
    let msg = e.to_string();
    let pe = match &e {
        mx::Error::Locked { .. } => LockedError::new_err(msg),
        mx::Error::WeakPattern(_) => WeakPatternError::new_err(msg),
        mx::Error::Policy(_) | mx::Error::InvalidPolicy(_) => PolicyError::new_err(msg),
        mx::Error::Seal => SealError::new_err(msg),
        mx::Error::Ticket(_) => TicketError::new_err(msg),
        mx::Error::CardExhausted => CardExhaustedError::new_err(msg),
        mx::Error::CardExpired => CardExpiredError::new_err(msg),
        mx::Error::DuplicateKeyId
        | mx::Error::UnknownKeyId
        | mx::Error::OtherChallengePending { .. }
        | mx::Error::TooManyCards
        | mx::Error::Random => Error::new_err(msg),
        _ => FormatError::new_err(msg),
    };
    Python::attach(|py| {
        let v = pe.value(py);
        let _ = v.setattr("code", e.code());
        match e {
            mx::Error::Locked { locked_until } => {
                let _ = v.setattr("locked_until", locked_until);
            }
            mx::Error::WeakPattern(w) => {
                let _ = v.setattr("weakness", w.as_str());
            }
            mx::Error::Ticket(t) => {
                let _ = v.setattr("reason", t.as_str());
            }
            mx::Error::OtherChallengePending { expires_at } => {
                let _ = v.setattr("expires_at", expires_at);
            }
            mx::Error::Policy(p) => {
                let _ = v.setattr("violation", p.as_str());
                let _ = v.setattr("limit", p.limit());
            }
            _ => {}
        }
    });
    pe
}

pub(crate) fn format_err(msg: &str) -> PyErr {
    let e = FormatError::new_err(msg.to_owned());
    Python::attach(|py| {
        let _ = e.value(py).setattr("code", "format");
    });
    e
}
