//! `NtProof` and `NtVerdict`: the MSCHAPv2 (RFC 2759) checks of the pending
//! challenge (SPEC §17), `Authenticator.verify_pending_nt` and
//! `verify_card_pending_nt`. Only conversions: lengths are checked here,
//! everything else is the core's.

use crate::authenticator::Outcome;
use crate::convert::event_dict;
use crate::error::format_err;
use pyo3::prelude::*;

/// What the peer's MSCHAPv2 Response proves (RFC 2759 §4). `repr` never
/// shows the NT-Response: with the challenges it lets a short answer be
/// searched offline.
#[pyclass(module = "matrixauth", frozen)]
pub struct NtProof {
    pub(crate) inner: mx::NtProof,
}

/// `value` as exactly `N` bytes, or a `FormatError` naming the field.
fn fixed<const N: usize>(what: &str, value: &[u8]) -> PyResult<[u8; N]> {
    value.try_into().map_err(|_| format_err(&format!("{what} must be {N} bytes, not {}", value.len())))
}

#[pymethods]
impl NtProof {
    /// `authenticator_challenge` (16 bytes, the server's), `peer_challenge`
    /// (16), `nt_response` (24) and `user_name` (the name the peer hashed,
    /// without a domain). A length other than these is a `FormatError`.
    #[new]
    fn new(
        authenticator_challenge: &[u8],
        peer_challenge: &[u8],
        nt_response: &[u8],
        user_name: &[u8],
    ) -> PyResult<Self> {
        Ok(NtProof {
            inner: mx::NtProof {
                authenticator_challenge: fixed("authenticator_challenge", authenticator_challenge)?,
                peer_challenge: fixed("peer_challenge", peer_challenge)?,
                user_name: user_name.to_vec(),
                nt_response: fixed("nt_response", nt_response)?,
            },
        })
    }
    #[getter]
    fn authenticator_challenge(&self) -> Vec<u8> {
        self.inner.authenticator_challenge.to_vec()
    }
    #[getter]
    fn peer_challenge(&self) -> Vec<u8> {
        self.inner.peer_challenge.to_vec()
    }
    #[getter]
    fn nt_response(&self) -> Vec<u8> {
        self.inner.nt_response.to_vec()
    }
    #[getter]
    fn user_name(&self) -> Vec<u8> {
        self.inner.user_name.clone()
    }
    fn __repr__(&self) -> String {
        format!("NtProof(user_name={:?})", String::from_utf8_lossy(&self.inner.user_name))
    }
}

/// The result of an MSCHAPv2 verification: the verdict, and on `accepted`
/// only the 16-byte `password_hash_hash` (RFC 2759's PasswordHashHash, from
/// which the authenticator response and the MPPE keys are derived). Never
/// shown by `repr`.
#[pyclass(module = "matrixauth", frozen)]
pub struct NtVerdict {
    pub(crate) inner: mx::NtVerdict,
}

#[pymethods]
impl NtVerdict {
    #[getter]
    fn outcome(&self) -> Outcome {
        self.inner.verdict.outcome.into()
    }
    #[getter]
    fn accepted(&self) -> bool {
        self.inner.verdict.accepted()
    }
    #[getter]
    fn event<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        event_dict(py, &self.inner.verdict.event)
    }
    /// The PasswordHashHash on `accepted`, otherwise None.
    #[getter]
    fn password_hash_hash(&self) -> Option<Vec<u8>> {
        self.inner.password_hash_hash.as_ref().map(|h| h.as_bytes().to_vec())
    }
    fn __repr__(&self) -> String {
        format!("NtVerdict(outcome={})", self.inner.verdict.outcome.as_str())
    }
}
