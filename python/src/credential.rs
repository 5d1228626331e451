//! `PatternCredential`: the memorised pattern and fixed string.

use crate::authenticator::Challenge;
use crate::error::err;
use crate::error::format_err;
use crate::keyring::Keyring;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A memorised pattern plus fixed string. Secret: never in `repr`, wiped
/// when collected.
#[pyclass(module = "matrixauth", frozen)]
pub struct PatternCredential {
    pub(crate) inner: mx::PatternCredential,
}

/// A matrix from a `Challenge`, its rows of digits, or its text.
pub(crate) fn matrix_from(obj: &Bound<'_, PyAny>) -> PyResult<mx::Matrix> {
    if let Ok(ch) = obj.extract::<PyRef<'_, Challenge>>() {
        return Ok(ch.inner.matrix.clone());
    }
    if let Ok(text) = obj.extract::<String>() {
        return mx::Matrix::parse_text(&text).map_err(err);
    }
    let rows: Vec<Vec<u8>> = obj.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(
            "expected a Challenge, a list of rows of digits, or the matrix text",
        )
    })?;
    let cols = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != cols) {
        return Err(format_err("matrix rows differ in length"));
    }
    let geometry = mx::Geometry::new(rows.len(), cols).map_err(err)?;
    let digits: Vec<u8> = rows.concat();
    mx::Matrix::from_digits(geometry, &digits).map_err(err)
}

#[pymethods]
impl PatternCredential {
    #[new]
    #[pyo3(signature = (cells, fixed = "", fixed_at = 0, cols = 8))]
    fn new(cells: &Bound<'_, PyAny>, fixed: &str, fixed_at: usize, cols: usize) -> PyResult<Self> {
        if cells.is_instance_of::<pyo3::types::PyString>() {
            return Err(pyo3::exceptions::PyTypeError::new_err("cells must be a list of names or indices"));
        }
        let inner = if let Ok(indices) = cells.extract::<Vec<usize>>() {
            mx::PatternCredential::from_indices(&indices, cols, fixed, fixed_at)
        } else {
            let names: Vec<String> = cells.extract().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err("cells must be a list of cell names or of indices")
            })?;
            mx::PatternCredential::from_names(&names, fixed, fixed_at)
        }
        .map_err(err)?;
        Ok(PatternCredential { inner })
    }

    /// Cells in the pattern.
    #[getter]
    fn pattern_length(&self) -> usize {
        self.inner.pattern_len()
    }

    /// The right answer to a challenge, its `matrix`, or its `render_text()`.
    fn respond(&self, challenge: &Bound<'_, PyAny>) -> PyResult<String> {
        let matrix = matrix_from(challenge)?;
        Ok(self.inner.respond_matrix(&matrix).map_err(err)?.to_string())
    }

    /// Encrypts the credential for storage, bound to `user`.
    fn seal<'py>(&self, py: Python<'py>, keyring: &Keyring, user: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.seal(&keyring.inner, user).map_err(err)?))
    }

    /// Opens a sealed credential (`SealError` on any mismatch).
    #[staticmethod]
    fn open(keyring: &Keyring, user: &str, sealed: &[u8]) -> PyResult<Self> {
        Ok(PatternCredential {
            inner: mx::PatternCredential::open(&keyring.inner, user, sealed).map_err(err)?,
        })
    }

    /// The same text for every credential: no length, no cell, no character.
    fn __repr__(&self) -> String {
        "PatternCredential(<redacted>)".to_owned()
    }
}
