//! `Authenticator` and what it returns: `Challenge`, `CardChallenge`, `Verdict`.

use crate::analysis::event_to_js;
use crate::analysis::matrix_to_js;
use crate::analysis::strength_to_js;
use crate::card::GridCard;
use crate::convert;
use crate::convert::js_err;
use crate::convert::now_or_clock;
use crate::convert::to_js_time;
use crate::credential::PatternCredential;
use crate::keyring::Keyring;
use crate::policy::Policy;
use crate::state::UserState;
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// A pattern-mode challenge: the matrix to show and the token to send back.
#[wasm_bindgen]
pub struct Challenge {
    pub(crate) inner: mx::Challenge,
}

#[wasm_bindgen]
impl Challenge {
    /// Opaque token to send back with the answer.
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> String {
        self.inner.token.clone()
    }

    /// The digits, one array per row.
    #[wasm_bindgen(getter)]
    pub fn matrix(&self) -> Array {
        matrix_to_js(&self.inner.matrix)
    }

    /// Grid rows.
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> u32 {
        self.inner.matrix.geometry().rows() as u32
    }

    /// Grid columns.
    #[wasm_bindgen(getter)]
    pub fn cols(&self) -> u32 {
        self.inner.matrix.geometry().cols() as u32
    }

    /// The user's challenge sequence number.
    #[wasm_bindgen(getter)]
    pub fn seq(&self) -> f64 {
        self.inner.seq as f64
    }

    /// Unix seconds the challenge was first issued.
    #[wasm_bindgen(getter, js_name = issuedAt)]
    pub fn issued_at(&self) -> f64 {
        to_js_time(self.inner.issued_at)
    }

    /// Unix seconds at which it expires.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> f64 {
        to_js_time(self.inner.expires_at)
    }

    /// Whether this is the pending challenge shown again (a refresh).
    #[wasm_bindgen(getter)]
    pub fn reissue(&self) -> bool {
        self.inner.is_reissue()
    }

    /// The audit event of this issue, as a plain object.
    #[wasm_bindgen(getter)]
    pub fn event(&self) -> Result<JsValue, JsValue> {
        event_to_js(&self.inner.event)
    }

    /// The matrix as text with column letters and row numbers.
    #[wasm_bindgen(js_name = renderText)]
    pub fn render_text(&self) -> String {
        self.inner.matrix.render_text()
    }
}

/// A card-mode challenge: which cells to type, in order.
#[wasm_bindgen]
pub struct CardChallenge {
    pub(crate) inner: mx::CardChallenge,
}

#[wasm_bindgen]
impl CardChallenge {
    /// Opaque token to send back with the answer.
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> String {
        self.inner.token.clone()
    }

    /// The card's serial.
    #[wasm_bindgen(getter)]
    pub fn serial(&self) -> String {
        self.inner.serial.clone()
    }

    /// The cells asked (`["B3", "F7", "D1"]`).
    #[wasm_bindgen(getter)]
    pub fn cells(&self) -> Vec<String> {
        self.inner.cell_names()
    }

    /// Challenges the card can still serve after this one (single use), or
    /// `undefined` when cells may repeat.
    #[wasm_bindgen(getter)]
    pub fn remaining(&self) -> Option<u32> {
        self.inner.remaining
    }

    /// The user's challenge sequence number.
    #[wasm_bindgen(getter)]
    pub fn seq(&self) -> f64 {
        self.inner.seq as f64
    }

    /// Unix seconds the challenge was first issued.
    #[wasm_bindgen(getter, js_name = issuedAt)]
    pub fn issued_at(&self) -> f64 {
        to_js_time(self.inner.issued_at)
    }

    /// Unix seconds at which it expires.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> f64 {
        to_js_time(self.inner.expires_at)
    }

    /// Whether this is the pending challenge shown again.
    #[wasm_bindgen(getter)]
    pub fn reissue(&self) -> bool {
        self.inner.is_reissue()
    }

    /// The audit event of this issue, as a plain object.
    #[wasm_bindgen(getter)]
    pub fn event(&self) -> Result<JsValue, JsValue> {
        event_to_js(&self.inner.event)
    }
}

/// The result of a verification.
#[wasm_bindgen]
pub struct Verdict {
    pub(crate) inner: mx::Verdict,
}

#[wasm_bindgen]
impl Verdict {
    /// `"accepted"`, `"rejected"`, `"locked"`, `"expired"`, `"duplicate"`,
    /// `"stale"` or `"invalid"`.
    #[wasm_bindgen(getter)]
    pub fn outcome(&self) -> String {
        self.inner.outcome.as_str().to_owned()
    }

    /// `outcome === "accepted"`.
    #[wasm_bindgen(getter)]
    pub fn accepted(&self) -> bool {
        self.inner.accepted()
    }

    /// The audit event, as a plain object (no secrets).
    #[wasm_bindgen(getter)]
    pub fn event(&self) -> Result<JsValue, JsValue> {
        event_to_js(&self.inner.event)
    }
}

/// The authentication server's engine: keys and policy, no per-user data.
#[wasm_bindgen]
pub struct Authenticator {
    pub(crate) inner: mx::Authenticator,
}

#[wasm_bindgen]
impl Authenticator {
    /// An authenticator over copies of `keyring` and `policy`: a `Policy`, a plain object of
    /// policy options, or nothing for the defaults. The `Policy` object stays usable (it is
    /// copied, not consumed).
    #[wasm_bindgen(constructor)]
    pub fn new(
        keyring: &Keyring,
        #[wasm_bindgen(unchecked_param_type = "Policy | Record<string, number | boolean> | undefined")]
        policy: &JsValue,
    ) -> Result<Authenticator, JsValue> {
        let policy = convert::policy_from_js(policy)?;
        Ok(Authenticator { inner: mx::Authenticator::new(keyring.inner.clone(), policy).map_err(js_err)? })
    }

    /// The policy in force (a copy).
    #[wasm_bindgen(getter)]
    pub fn policy(&self) -> Policy {
        Policy { inner: self.inner.policy().clone() }
    }

    /// Applies the enrollment rules; throws `code` `"policy"` or `"weak_pattern"`.
    #[wasm_bindgen(js_name = checkCredential)]
    pub fn check_credential(&self, credential: &PatternCredential) -> Result<(), JsValue> {
        self.inner.check_credential(&credential.inner).map_err(js_err)
    }

    /// The strength report for `credential` under this policy.
    pub fn strength(&self, credential: &PatternCredential) -> Result<JsValue, JsValue> {
        strength_to_js(&self.inner.strength(&credential.inner))
    }

    /// A random credential for unknown users (same work as a real verify).
    #[wasm_bindgen(js_name = decoyCredential)]
    pub fn decoy_credential(&self) -> Result<PatternCredential, JsValue> {
        Ok(PatternCredential { inner: self.inner.decoy_credential().map_err(js_err)? })
    }

    /// Issues (or, while one is pending, re-issues) a pattern challenge.
    /// Throws `code: "locked"` with `lockedUntil` while the user is locked.
    #[wasm_bindgen(js_name = issueChallenge)]
    pub fn issue_challenge(
        &self,
        user: &str,
        state: &mut UserState,
        now: Option<f64>,
    ) -> Result<Challenge, JsValue> {
        let now = now_or_clock(now)?;
        Ok(Challenge { inner: self.inner.issue_challenge(user, &mut state.inner, now).map_err(js_err)? })
    }

    /// Verifies a typed answer; updates `state` in place.
    pub fn verify(
        &self,
        user: &str,
        credential: &PatternCredential,
        state: &mut UserState,
        token: &str,
        answer: &str,
        now: Option<f64>,
    ) -> Result<Verdict, JsValue> {
        let now = now_or_clock(now)?;
        let inner = self
            .inner
            .verify(user, &credential.inner, &mut state.inner, token, answer, now)
            .map_err(js_err)?;
        Ok(Verdict { inner })
    }

    /// Verifies a typed answer to the user's pending pattern challenge,
    /// without a token (the grid was shown elsewhere; the answer came as a
    /// password). Nothing pending: `stale`.
    #[wasm_bindgen(js_name = verifyPending)]
    pub fn verify_pending(
        &self,
        user: &str,
        credential: &PatternCredential,
        state: &mut UserState,
        answer: &str,
        now: Option<f64>,
    ) -> Result<Verdict, JsValue> {
        let now = now_or_clock(now)?;
        let inner = self
            .inner
            .verify_pending(user, &credential.inner, &mut state.inner, answer, now)
            .map_err(js_err)?;
        Ok(Verdict { inner })
    }

    /// Issues (or re-issues) a grid-card challenge.
    #[wasm_bindgen(js_name = issueCardChallenge)]
    pub fn issue_card_challenge(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        now: Option<f64>,
    ) -> Result<CardChallenge, JsValue> {
        let now = now_or_clock(now)?;
        let inner =
            self.inner.issue_card_challenge(user, &card.inner, &mut state.inner, now).map_err(js_err)?;
        Ok(CardChallenge { inner })
    }

    /// Verifies the answer to a card challenge; updates `state` in place.
    #[wasm_bindgen(js_name = verifyCard)]
    pub fn verify_card(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        token: &str,
        answer: &str,
        now: Option<f64>,
    ) -> Result<Verdict, JsValue> {
        let now = now_or_clock(now)?;
        let inner = self
            .inner
            .verify_card(user, &card.inner, &mut state.inner, token, answer, now)
            .map_err(js_err)?;
        Ok(Verdict { inner })
    }

    /// Verifies the answer to the user's pending card challenge, without a token.
    #[wasm_bindgen(js_name = verifyCardPending)]
    pub fn verify_card_pending(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        answer: &str,
        now: Option<f64>,
    ) -> Result<Verdict, JsValue> {
        let now = now_or_clock(now)?;
        let inner = self
            .inner
            .verify_card_pending(user, &card.inner, &mut state.inner, answer, now)
            .map_err(js_err)?;
        Ok(Verdict { inner })
    }

    /// An administrator's unlock; returns the audit event.
    pub fn unlock(&self, user: &str, state: &mut UserState, now: Option<f64>) -> Result<JsValue, JsValue> {
        let now = now_or_clock(now)?;
        event_to_js(&self.inner.unlock(user, &mut state.inner, now).map_err(js_err)?)
    }

    /// A single-use login ticket for the SSL-VPN appliance (after `accepted`).
    #[wasm_bindgen(js_name = issueTicket)]
    pub fn issue_ticket(&self, user: &str, audience: &str, now: Option<f64>) -> Result<String, JsValue> {
        let now = now_or_clock(now)?;
        self.inner.issue_ticket(user, audience, now).map_err(js_err)
    }
}
