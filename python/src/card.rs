//! `GridCard`: printed grid cards.

use crate::authenticator::CardChallenge;
use crate::error::err;
use crate::keyring::Keyring;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A printed grid card. The values are secret.
#[pyclass(module = "matrixauth", frozen)]
pub struct GridCard {
    pub(crate) inner: mx::GridCard,
}

#[pymethods]
impl GridCard {
    /// A new random card.
    #[staticmethod]
    #[pyo3(signature = (serial = None, rows = 8, cols = 8, cell_len = 2, alphabet = "digits", expires_at = None))]
    fn generate(
        serial: Option<String>,
        rows: usize,
        cols: usize,
        cell_len: usize,
        alphabet: &str,
        expires_at: Option<u64>,
    ) -> PyResult<Self> {
        let spec = mx::CardSpec {
            serial,
            rows,
            cols,
            cell_len,
            alphabet: mx::Alphabet::from_name(alphabet).map_err(err)?,
            expires_at,
        };
        Ok(GridCard { inner: mx::GridCard::generate(&spec).map_err(err)? })
    }

    /// A card from known values, every cell's symbols in row-major order.
    #[staticmethod]
    #[pyo3(signature = (serial, values, rows = 8, cols = 8, cell_len = 2, alphabet = "digits", expires_at = None))]
    fn from_values(
        serial: &str,
        values: &str,
        rows: usize,
        cols: usize,
        cell_len: usize,
        alphabet: &str,
        expires_at: Option<u64>,
    ) -> PyResult<Self> {
        let alphabet = mx::Alphabet::from_name(alphabet).map_err(err)?;
        let inner = mx::GridCard::from_values(serial, rows, cols, cell_len, alphabet, expires_at, values)
            .map_err(err)?;
        Ok(GridCard { inner })
    }

    #[getter]
    fn serial(&self) -> &str {
        self.inner.serial()
    }
    #[getter]
    fn rows(&self) -> usize {
        self.inner.geometry().rows()
    }
    #[getter]
    fn cols(&self) -> usize {
        self.inner.geometry().cols()
    }
    #[getter]
    fn cell_len(&self) -> usize {
        self.inner.cell_len()
    }
    #[getter]
    fn alphabet(&self) -> &'static str {
        self.inner.alphabet().as_str()
    }
    #[getter]
    fn expires_at(&self) -> Option<u64> {
        self.inner.expires_at()
    }

    /// The value printed in cell `name`.
    fn value(&self, name: &str) -> PyResult<String> {
        Ok(self.inner.value_of(name).map_err(err)?.to_string())
    }

    /// The right answer to a card challenge.
    fn respond(&self, challenge: &CardChallenge) -> PyResult<String> {
        Ok(self.inner.respond(&challenge.inner).map_err(err)?.to_string())
    }

    fn render_text(&self) -> String {
        self.inner.render_text().to_string()
    }

    fn render_svg(&self) -> String {
        self.inner.render_svg().to_string()
    }

    fn seal<'py>(&self, py: Python<'py>, keyring: &Keyring, user: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.seal(&keyring.inner, user).map_err(err)?))
    }

    #[staticmethod]
    fn open(keyring: &Keyring, user: &str, sealed: &[u8]) -> PyResult<Self> {
        Ok(GridCard { inner: mx::GridCard::open(&keyring.inner, user, sealed).map_err(err)? })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
