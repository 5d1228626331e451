//! `Keyring`: server keys.

use crate::error::err;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Server keys: the signing key and older keys that still verify.
#[pyclass(module = "matrixauth")]
#[derive(Clone)]
pub struct Keyring {
    pub(crate) inner: mx::Keyring,
}

#[pymethods]
impl Keyring {
    #[new]
    #[pyo3(signature = (key, key_id = 1))]
    fn new(key: &[u8], key_id: u32) -> PyResult<Self> {
        Ok(Keyring { inner: mx::Keyring::new(key, key_id).map_err(err)? })
    }

    /// 32 fresh random bytes from the OS.
    #[staticmethod]
    fn generate_key<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let key = mx::Keyring::generate_key().map_err(err)?;
        Ok(PyBytes::new(py, key.as_ref()))
    }

    /// Adds an old key that still verifies but no longer signs.
    fn add_verification_key(&mut self, key: &[u8], key_id: u32) -> PyResult<()> {
        self.inner.add_verification_key(key, key_id).map_err(err)
    }

    /// Makes `key` the signing key; the previous one keeps verifying.
    fn rotate(&mut self, key: &[u8], key_id: u32) -> PyResult<()> {
        self.inner.rotate(key, key_id).map_err(err)
    }

    /// Removes verification key `key_id` (not the current one).
    fn remove_key(&mut self, key_id: u32) -> PyResult<()> {
        self.inner.remove_key(key_id).map_err(err)
    }

    #[getter]
    fn current_key_id(&self) -> u32 {
        self.inner.current_key_id()
    }

    #[getter]
    fn key_ids(&self) -> Vec<u32> {
        self.inner.key_ids()
    }

    fn __repr__(&self) -> String {
        format!("Keyring(key_ids={:?}, current={})", self.inner.key_ids(), self.inner.current_key_id())
    }
}
