//! `Policy` and the `Strength` report.

use crate::credential::PatternCredential;
use crate::error::err;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Enrollment and lockout policy (SPEC §5 defaults).
#[pyclass(module = "matrixauth", frozen)]
#[derive(Clone)]
pub struct Policy {
    pub(crate) inner: mx::Policy,
}

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (*, rows = 8, cols = 8, block_rows = 4, block_cols = 4, require_every_block = false,
        min_pattern_len = 6, max_pattern_len = 16, allow_repeated_cells = false, reject_weak_patterns = true,
        challenge_ttl = 180, max_consecutive_failures = 5, lockout_seconds = 900, max_lockout_seconds = 86400,
        max_total_failures = 100, card_challenge_cells = 3, card_single_use = true, ticket_ttl = 30,
        retry_window = 30))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn new(
        rows: usize,
        cols: usize,
        block_rows: usize,
        block_cols: usize,
        require_every_block: bool,
        min_pattern_len: usize,
        max_pattern_len: usize,
        allow_repeated_cells: bool,
        reject_weak_patterns: bool,
        challenge_ttl: u64,
        max_consecutive_failures: u32,
        lockout_seconds: u64,
        max_lockout_seconds: u64,
        max_total_failures: u32,
        card_challenge_cells: usize,
        card_single_use: bool,
        ticket_ttl: u64,
        retry_window: u64,
    ) -> PyResult<Self> {
        let inner = mx::Policy {
            rows,
            cols,
            block_rows,
            block_cols,
            require_every_block,
            min_pattern_len,
            max_pattern_len,
            allow_repeated_cells,
            reject_weak_patterns,
            challenge_ttl,
            retry_window,
            max_consecutive_failures,
            lockout_seconds,
            max_lockout_seconds,
            max_total_failures,
            card_challenge_cells,
            card_single_use,
            ticket_ttl,
        };
        inner.validate().map_err(err)?;
        Ok(Policy { inner })
    }

    /// The enrollment rules applied to `credential`, without any key.
    fn check_credential(&self, credential: &PatternCredential) -> PyResult<()> {
        self.inner.check_credential(&credential.inner).map_err(err)
    }

    /// The policy as a dict of its fields.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.inner;
        let d = PyDict::new(py);
        d.set_item("rows", p.rows)?;
        d.set_item("cols", p.cols)?;
        d.set_item("block_rows", p.block_rows)?;
        d.set_item("block_cols", p.block_cols)?;
        d.set_item("require_every_block", p.require_every_block)?;
        d.set_item("min_pattern_len", p.min_pattern_len)?;
        d.set_item("max_pattern_len", p.max_pattern_len)?;
        d.set_item("allow_repeated_cells", p.allow_repeated_cells)?;
        d.set_item("reject_weak_patterns", p.reject_weak_patterns)?;
        d.set_item("challenge_ttl", p.challenge_ttl)?;
        d.set_item("retry_window", p.retry_window)?;
        d.set_item("max_consecutive_failures", p.max_consecutive_failures)?;
        d.set_item("lockout_seconds", p.lockout_seconds)?;
        d.set_item("max_lockout_seconds", p.max_lockout_seconds)?;
        d.set_item("max_total_failures", p.max_total_failures)?;
        d.set_item("card_challenge_cells", p.card_challenge_cells)?;
        d.set_item("card_single_use", p.card_single_use)?;
        d.set_item("ticket_ttl", p.ticket_ttl)?;
        Ok(d)
    }

    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows
    }
    #[getter]
    fn cols(&self) -> usize {
        self.inner.cols
    }
    #[getter]
    fn min_pattern_len(&self) -> usize {
        self.inner.min_pattern_len
    }
    #[getter]
    fn max_pattern_len(&self) -> usize {
        self.inner.max_pattern_len
    }
    #[getter]
    fn allow_repeated_cells(&self) -> bool {
        self.inner.allow_repeated_cells
    }
    #[getter]
    fn challenge_ttl(&self) -> u64 {
        self.inner.challenge_ttl
    }
    /// Seconds after an answer during which the same answer is `duplicate`
    /// and another one a counted `rejected` (then `stale`).
    #[getter]
    fn retry_window(&self) -> u64 {
        self.inner.retry_window
    }
    #[getter]
    fn max_consecutive_failures(&self) -> u32 {
        self.inner.max_consecutive_failures
    }
    #[getter]
    fn lockout_seconds(&self) -> u64 {
        self.inner.lockout_seconds
    }
    #[getter]
    fn max_total_failures(&self) -> u32 {
        self.inner.max_total_failures
    }
    #[getter]
    fn ticket_ttl(&self) -> u64 {
        self.inner.ticket_ttl
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// The honest strength report of a pattern length under a policy.
#[pyclass(module = "matrixauth", frozen)]
pub struct Strength {
    pub(crate) inner: mx::Strength,
}

#[pymethods]
impl Strength {
    #[getter]
    fn grid_cells(&self) -> usize {
        self.inner.grid_cells
    }
    #[getter]
    fn pattern_length(&self) -> usize {
        self.inner.pattern_len
    }
    #[getter]
    fn pattern_space(&self) -> f64 {
        self.inner.pattern_space
    }
    #[getter]
    fn pattern_space_bits(&self) -> f64 {
        self.inner.pattern_space_bits
    }
    #[getter]
    fn guess_probability(&self) -> f64 {
        self.inner.guess_probability
    }
    #[getter]
    fn online_success_before_permanent_lock(&self) -> f64 {
        self.inner.online_success_before_permanent_lock
    }
    #[getter]
    fn candidates_after(&self) -> (f64, f64, f64) {
        let [a, b, c] = self.inner.candidates_after;
        (a, b, c)
    }
    #[getter]
    fn observations_to_unique(&self) -> u32 {
        self.inner.observations_to_unique
    }
    fn __repr__(&self) -> String {
        format!(
            "Strength(pattern_length={}, pattern_space={:.4e}, guess_probability={:e}, observations_to_unique={})",
            self.inner.pattern_len,
            self.inner.pattern_space,
            self.inner.guess_probability,
            self.inner.observations_to_unique
        )
    }
}
