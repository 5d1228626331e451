//! `UserState`: one user's login progress.

use crate::convert::now_or_clock;
use crate::error::err;
use crate::keyring::Keyring;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// One user's login progress. Methods of `Authenticator` update it in
/// place; persist `to_bytes()` after each call that bumps `version`.
#[pyclass(module = "matrixauth")]
#[derive(Default)]
pub struct UserState {
    pub(crate) inner: mx::UserState,
}

#[pymethods]
impl UserState {
    #[new]
    fn new() -> Self {
        UserState::default()
    }

    /// Reads `to_bytes(keyring, user)` output for the same user, under a key
    /// still in `keyring`. Truncated, altered, another user's, or written
    /// without the key: `FormatError`.
    #[staticmethod]
    fn from_bytes(keyring: &Keyring, user: &str, data: &[u8]) -> PyResult<Self> {
        Ok(UserState { inner: mx::UserState::from_bytes(&keyring.inner, user, data).map_err(err)? })
    }

    /// The state's bytes, authenticated for `user` under the keyring's signing key.
    fn to_bytes<'py>(&self, py: Python<'py>, keyring: &Keyring, user: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.to_bytes(&keyring.inner, user).map_err(err)?))
    }

    #[getter]
    fn version(&self) -> u64 {
        self.inner.version()
    }
    #[getter]
    fn consecutive_failures(&self) -> u32 {
        self.inner.consecutive_failures()
    }
    #[getter]
    fn failures_since_success(&self) -> u32 {
        self.inner.failures_since_success()
    }
    #[getter]
    fn lock_level(&self) -> u32 {
        self.inner.lock_level()
    }
    /// End of the latest temporary lock (Unix seconds), or None if never locked.
    #[getter]
    fn locked_until(&self) -> Option<u64> {
        Some(self.inner.locked_until()).filter(|&t| t > 0)
    }
    #[getter]
    fn permanently_locked(&self) -> bool {
        self.inner.permanently_locked()
    }
    #[getter]
    fn pending_expires_at(&self) -> Option<u64> {
        self.inner.pending_expires_at()
    }

    /// Whether the user is locked at `now`.
    #[pyo3(signature = (now = None))]
    fn is_locked(&self, now: Option<i64>) -> PyResult<bool> {
        Ok(self.inner.lock_at(now_or_clock(now)?).is_some())
    }

    fn card_cells_used(&self, serial: &str) -> usize {
        self.inner.card_cells_used(serial)
    }

    fn forget_card(&mut self, serial: &str) -> bool {
        self.inner.forget_card(serial)
    }

    fn __repr__(&self) -> String {
        format!(
            "UserState(version={}, consecutive_failures={}, failures_since_success={}, locked_until={}, permanently_locked={})",
            self.inner.version(),
            self.inner.consecutive_failures(),
            self.inner.failures_since_success(),
            self.inner.locked_until(),
            if self.inner.permanently_locked() { "True" } else { "False" }
        )
    }
}
