//! `Keyring`: server keys.

use crate::convert::js_err;
use wasm_bindgen::prelude::*;

/// Server keys: the current signing key and older keys that still verify.
#[wasm_bindgen]
pub struct Keyring {
    pub(crate) inner: mx::Keyring,
}

#[wasm_bindgen]
impl Keyring {
    /// A keyring with one 32-byte key, `keyId` defaulting to 1.
    #[wasm_bindgen(constructor)]
    pub fn new(key: &[u8], key_id: Option<u32>) -> Result<Keyring, JsValue> {
        Ok(Keyring { inner: mx::Keyring::new(key, key_id.unwrap_or(1)).map_err(js_err)? })
    }

    /// 32 fresh random bytes for a new key (`crypto.getRandomValues`).
    #[wasm_bindgen(js_name = generateKey)]
    pub fn generate_key() -> Result<Vec<u8>, JsValue> {
        Ok(mx::Keyring::generate_key().map_err(js_err)?.to_vec())
    }

    /// Adds an old key that still verifies tokens, tickets and sealed
    /// records but no longer signs.
    #[wasm_bindgen(js_name = addVerificationKey)]
    pub fn add_verification_key(&mut self, key: &[u8], key_id: u32) -> Result<(), JsValue> {
        self.inner.add_verification_key(key, key_id).map_err(js_err)
    }

    /// Makes `key` the signing key; the previous one keeps verifying.
    pub fn rotate(&mut self, key: &[u8], key_id: u32) -> Result<(), JsValue> {
        self.inner.rotate(key, key_id).map_err(js_err)
    }

    /// Removes a verification key (not the current one).
    #[wasm_bindgen(js_name = removeKey)]
    pub fn remove_key(&mut self, key_id: u32) -> Result<(), JsValue> {
        self.inner.remove_key(key_id).map_err(js_err)
    }

    /// The id of the signing key.
    #[wasm_bindgen(getter, js_name = currentKeyId)]
    pub fn current_key_id(&self) -> u32 {
        self.inner.current_key_id()
    }

    /// Every key id, current first.
    #[wasm_bindgen(getter, js_name = keyIds)]
    pub fn key_ids(&self) -> Vec<u32> {
        self.inner.key_ids()
    }
}
