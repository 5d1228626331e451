//! `TicketVerifier`: the appliance side of the hand-off.

use crate::convert::js_err;
use crate::convert::now_or_clock;
use crate::keyring::Keyring;
use wasm_bindgen::prelude::*;

/// The appliance side of the hand-off: redeems each ticket once.
#[wasm_bindgen]
pub struct TicketVerifier {
    pub(crate) inner: mx::TicketVerifier,
}

#[wasm_bindgen]
impl TicketVerifier {
    /// A verifier over a copy of `keyring` with a replay cache of
    /// `capacity` tickets (default 10000).
    #[wasm_bindgen(constructor)]
    pub fn new(keyring: &Keyring, capacity: Option<u32>) -> TicketVerifier {
        let capacity = capacity.map_or(mx::TicketVerifier::DEFAULT_CAPACITY, |c| c as usize);
        TicketVerifier { inner: mx::TicketVerifier::new(keyring.inner.clone(), capacity) }
    }

    /// Returns the user id the first time; throws `code: "ticket"` with a
    /// `reason` (`"replayed"`, `"expired"`, `"wrong_audience"`, `"forged"`,
    /// `"malformed"`, `"bad_lifetime"`, `"cache_full"`) otherwise.
    pub fn redeem(&self, ticket: &str, audience: &str, now: Option<f64>) -> Result<String, JsValue> {
        let now = now_or_clock(now)?;
        self.inner.redeem(ticket, audience, now).map_err(js_err)
    }

    /// Tickets remembered in the replay cache.
    #[wasm_bindgen(getter)]
    pub fn cached(&self) -> u32 {
        self.inner.cached() as u32
    }
}
