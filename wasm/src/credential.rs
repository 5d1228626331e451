//! `PatternCredential`: the memorised pattern and fixed string.

use crate::authenticator::Challenge;
use crate::convert;
use crate::convert::js_err;
use crate::keyring::Keyring;
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// A memorised pattern plus fixed string. Secret: never printed, wiped
/// when freed (call `free()` when done with it).
#[wasm_bindgen]
pub struct PatternCredential {
    pub(crate) inner: mx::PatternCredential,
}

#[wasm_bindgen]
impl PatternCredential {
    /// From cell names (`["B2", "G3", …]`) or 0-based row-major indices
    /// (`[9, 22, …]`, read with `cols`, default 8), a fixed string
    /// (default `""`) and its position among the digits (default 0).
    #[wasm_bindgen(constructor)]
    pub fn new(
        cells: &Array,
        fixed: Option<String>,
        fixed_at: Option<u32>,
        cols: Option<u32>,
    ) -> Result<PatternCredential, JsValue> {
        let fixed = fixed.unwrap_or_default();
        let fixed_at = fixed_at.unwrap_or(0) as usize;
        let inner = if cells.length() > 0 && cells.get(0).as_f64().is_some() {
            let indices = convert::indices(cells)?;
            mx::PatternCredential::from_indices(&indices, cols.unwrap_or(8) as usize, &fixed, fixed_at)
        } else {
            let names = convert::strings(cells, "cells")?;
            mx::PatternCredential::from_names(&names, &fixed, fixed_at)
        }
        .map_err(js_err)?;
        Ok(PatternCredential { inner })
    }

    /// Cells in the pattern.
    #[wasm_bindgen(getter, js_name = patternLength)]
    pub fn pattern_length(&self) -> u32 {
        self.inner.pattern_len() as u32
    }

    /// The right answer to `challenge` (test automation, demos, practice).
    pub fn respond(&self, challenge: &Challenge) -> Result<String, JsValue> {
        Ok(self.inner.respond(&challenge.inner).map_err(js_err)?.to_string())
    }

    /// The right answer for a matrix given as text (`Challenge.renderText()`
    /// or a login page's text).
    #[wasm_bindgen(js_name = respondText)]
    pub fn respond_text(&self, text: &str) -> Result<String, JsValue> {
        let matrix = mx::Matrix::parse_text(text).map_err(js_err)?;
        Ok(self.inner.respond_matrix(&matrix).map_err(js_err)?.to_string())
    }

    /// Encrypts the credential for storage, bound to `user`.
    pub fn seal(&self, keyring: &Keyring, user: &str) -> Result<Vec<u8>, JsValue> {
        self.inner.seal(&keyring.inner, user).map_err(js_err)
    }

    /// Opens a sealed credential; throws `code: "seal"` for a wrong key,
    /// wrong user or tampered bytes.
    pub fn open(keyring: &Keyring, user: &str, sealed: &[u8]) -> Result<PatternCredential, JsValue> {
        Ok(PatternCredential {
            inner: mx::PatternCredential::open(&keyring.inner, user, sealed).map_err(js_err)?,
        })
    }
}
