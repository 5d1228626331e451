//! `UserState`: one user's login progress.

use crate::convert::js_err;
use crate::convert::now_or_clock;
use crate::convert::to_js_time;
use crate::keyring::Keyring;
use wasm_bindgen::prelude::*;

/// One user's login progress: counters, lock, pending challenge. Persist
/// `toBytes(keyring, user)` after every call that changes it (`version` grows).
#[wasm_bindgen]
#[derive(Default)]
pub struct UserState {
    pub(crate) inner: mx::UserState,
}

#[wasm_bindgen]
impl UserState {
    /// A fresh state.
    #[wasm_bindgen(constructor)]
    pub fn new() -> UserState {
        UserState::default()
    }

    /// Reads bytes from `toBytes(keyring, user)` for the same user, under a
    /// key still in `keyring`. Truncated, altered, another user's or written
    /// without the key: throws `code: "format"`.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(keyring: &Keyring, user: &str, bytes: &[u8]) -> Result<UserState, JsValue> {
        Ok(UserState { inner: mx::UserState::from_bytes(&keyring.inner, user, bytes).map_err(js_err)? })
    }

    /// The versioned encoding, authenticated for `user` under the keyring's signing key.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self, keyring: &Keyring, user: &str) -> Result<Vec<u8>, JsValue> {
        self.inner.to_bytes(&keyring.inner, user).map_err(js_err)
    }

    /// Bumped on every change (for compare-and-swap storage).
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> f64 {
        self.inner.version() as f64
    }

    /// Failures since the last success or lock.
    #[wasm_bindgen(getter, js_name = consecutiveFailures)]
    pub fn consecutive_failures(&self) -> u32 {
        self.inner.consecutive_failures()
    }

    /// Failures since the last success (the permanent-lock count).
    #[wasm_bindgen(getter, js_name = failuresSinceSuccess)]
    pub fn failures_since_success(&self) -> u32 {
        self.inner.failures_since_success()
    }

    /// Locks so far (each doubles the next).
    #[wasm_bindgen(getter, js_name = lockLevel)]
    pub fn lock_level(&self) -> u32 {
        self.inner.lock_level()
    }

    /// End of the latest temporary lock (Unix seconds; 0 if never locked).
    #[wasm_bindgen(getter, js_name = lockedUntil)]
    pub fn locked_until(&self) -> f64 {
        to_js_time(self.inner.locked_until())
    }

    /// Whether only an administrator's `unlock` can let the user in.
    #[wasm_bindgen(getter, js_name = permanentlyLocked)]
    pub fn permanently_locked(&self) -> bool {
        self.inner.permanently_locked()
    }

    /// Whether the user is locked at `now` (default: the clock).
    #[wasm_bindgen(js_name = isLocked)]
    pub fn is_locked(&self, now: Option<f64>) -> Result<bool, JsValue> {
        Ok(self.inner.lock_at(now_or_clock(now)?).is_some())
    }

    /// When the pending challenge expires, or `undefined` if none.
    #[wasm_bindgen(getter, js_name = pendingExpiresAt)]
    pub fn pending_expires_at(&self) -> Option<f64> {
        self.inner.pending_expires_at().map(to_js_time)
    }

    /// Cells of card `serial` already asked.
    #[wasm_bindgen(js_name = cardCellsUsed)]
    pub fn card_cells_used(&self, serial: &str) -> u32 {
        self.inner.card_cells_used(serial) as u32
    }

    /// Stops tracking card `serial` (after it was replaced); returns whether it was tracked.
    #[wasm_bindgen(js_name = forgetCard)]
    pub fn forget_card(&mut self, serial: &str) -> bool {
        self.inner.forget_card(serial)
    }
}
