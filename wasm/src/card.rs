//! `GridCard`: printed grid cards.

use crate::authenticator::CardChallenge;
use crate::convert;
use crate::convert::js_err;
use crate::convert::to_js_time;
use crate::keyring::Keyring;
use js_sys::Object;
use wasm_bindgen::prelude::*;

/// A printed grid card. The values are secret.
#[wasm_bindgen]
pub struct GridCard {
    pub(crate) inner: mx::GridCard,
}

#[wasm_bindgen]
impl GridCard {
    /// A new random card. Options: `serial` (default random
    /// `MX-XXXX-XXXX`), `rows`, `cols` (8), `cellLen` (2), `alphabet`
    /// (`"digits"` or `"alnum"`), `expiresAt` (none).
    pub fn generate(options: Option<Object>) -> Result<GridCard, JsValue> {
        let mut spec = mx::CardSpec::default();
        if let Some(options) = options {
            convert::apply_card_options(&mut spec, &options)?;
        }
        Ok(GridCard { inner: mx::GridCard::generate(&spec).map_err(js_err)? })
    }

    /// A card from known values (printed by another system, or a test
    /// vector): every cell's symbols in row-major order.
    #[wasm_bindgen(js_name = fromValues)]
    pub fn from_values(
        serial: &str,
        rows: u32,
        cols: u32,
        cell_len: u32,
        alphabet: &str,
        values: &str,
        expires_at: Option<f64>,
    ) -> Result<GridCard, JsValue> {
        let alphabet = mx::Alphabet::from_name(alphabet).map_err(js_err)?;
        let expires_at = expires_at.map(|t| convert::time("expiresAt", t)).transpose()?;
        let inner = mx::GridCard::from_values(
            serial,
            rows as usize,
            cols as usize,
            cell_len as usize,
            alphabet,
            expires_at,
            values,
        )
        .map_err(js_err)?;
        Ok(GridCard { inner })
    }

    /// The serial printed on the card.
    #[wasm_bindgen(getter)]
    pub fn serial(&self) -> String {
        self.inner.serial().to_owned()
    }

    /// Rows.
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> u32 {
        self.inner.geometry().rows() as u32
    }

    /// Columns.
    #[wasm_bindgen(getter)]
    pub fn cols(&self) -> u32 {
        self.inner.geometry().cols() as u32
    }

    /// Symbols per cell.
    #[wasm_bindgen(getter, js_name = cellLen)]
    pub fn cell_len(&self) -> u32 {
        self.inner.cell_len() as u32
    }

    /// `"digits"` or `"alnum"`.
    #[wasm_bindgen(getter)]
    pub fn alphabet(&self) -> String {
        self.inner.alphabet().as_str().to_owned()
    }

    /// Unix seconds from which the card is refused, or `undefined`.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<f64> {
        self.inner.expires_at().map(to_js_time)
    }

    /// The value printed in cell `name` (`"B3"`).
    pub fn value(&self, name: &str) -> Result<String, JsValue> {
        Ok(self.inner.value_of(name).map_err(js_err)?.to_string())
    }

    /// The right answer to a card challenge.
    pub fn respond(&self, challenge: &CardChallenge) -> Result<String, JsValue> {
        Ok(self.inner.respond(&challenge.inner).map_err(js_err)?.to_string())
    }

    /// The card as text, for printing.
    #[wasm_bindgen(js_name = renderText)]
    pub fn render_text(&self) -> String {
        self.inner.render_text().to_string()
    }

    /// The card as an SVG document (85.6 × 54 mm).
    #[wasm_bindgen(js_name = renderSvg)]
    pub fn render_svg(&self) -> String {
        self.inner.render_svg().to_string()
    }

    /// Encrypts the card for storage, bound to `user`.
    pub fn seal(&self, keyring: &Keyring, user: &str) -> Result<Vec<u8>, JsValue> {
        self.inner.seal(&keyring.inner, user).map_err(js_err)
    }

    /// Opens a sealed card; throws `code: "seal"` on any mismatch.
    pub fn open(keyring: &Keyring, user: &str, sealed: &[u8]) -> Result<GridCard, JsValue> {
        Ok(GridCard { inner: mx::GridCard::open(&keyring.inner, user, sealed).map_err(js_err)? })
    }
}
