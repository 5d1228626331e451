//! `TicketVerifier`: the appliance side of the hand-off.

use crate::convert::now_or_clock;
use crate::error::err;
use crate::keyring::Keyring;
use pyo3::prelude::*;

/// The appliance side of the hand-off: redeems each ticket once.
#[pyclass(module = "matrixauth", frozen)]
pub struct TicketVerifier {
    pub(crate) inner: mx::TicketVerifier,
}

#[pymethods]
impl TicketVerifier {
    #[new]
    #[pyo3(signature = (keyring, capacity = 10000))]
    fn new(keyring: &Keyring, capacity: usize) -> Self {
        TicketVerifier { inner: mx::TicketVerifier::new(keyring.inner.clone(), capacity) }
    }

    /// The user id, once; `TicketError` (with `reason`) otherwise.
    #[pyo3(signature = (ticket, audience, now = None))]
    fn redeem(&self, ticket: &str, audience: &str, now: Option<i64>) -> PyResult<String> {
        let now = now_or_clock(now)?;
        self.inner.redeem(ticket, audience, now).map_err(err)
    }

    /// Tickets remembered in the replay cache.
    #[getter]
    fn cached(&self) -> usize {
        self.inner.cached()
    }
}
