//! The MSCHAPv2 (RFC 2759) checks of the pending challenge (SPEC §17):
//! `Authenticator.verifyPendingNt` and `verifyCardPendingNt`, with the
//! proof as a plain object (`NtProof` in the TypeScript types) and the
//! result as an `NtVerdict`. Only conversions: lengths and types are checked
//! here, everything else is the core's.

use crate::analysis::event_to_js;
use crate::authenticator::Authenticator;
use crate::card::GridCard;
use crate::convert::{arg_err, js_err, now_or_clock};
use crate::credential::PatternCredential;
use crate::state::UserState;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const NT_PROOF_TS: &str = r#"
/** What the peer's MSCHAPv2 Response proves (RFC 2759 §4). */
export interface NtProof {
  /** The server's challenge (the EAP-MSCHAPv2 Challenge sent): 16 bytes. */
  authenticatorChallenge: Uint8Array;
  /** The peer's challenge, from its Response: 16 bytes. */
  peerChallenge: Uint8Array;
  /** The NT-Response: 24 bytes. */
  ntResponse: Uint8Array;
  /** The user name as the peer hashed it (without a domain): bytes, or a string taken as UTF-8. */
  userName: Uint8Array | string;
}
"#;

/// The result of an MSCHAPv2 verification: the verdict, and on `accepted`
/// only the 16-byte PasswordHashHash the authenticator response and the MPPE
/// keys are derived from.
#[wasm_bindgen]
pub struct NtVerdict {
    inner: mx::NtVerdict,
}

#[wasm_bindgen]
impl NtVerdict {
    /// `"accepted"`, `"rejected"`, `"locked"`, `"expired"`, `"stale"` or `"invalid"`.
    #[wasm_bindgen(getter)]
    pub fn outcome(&self) -> String {
        self.inner.verdict.outcome.as_str().to_owned()
    }

    /// `outcome === "accepted"`.
    #[wasm_bindgen(getter)]
    pub fn accepted(&self) -> bool {
        self.inner.verdict.accepted()
    }

    /// The audit event, as a plain object (no secrets).
    #[wasm_bindgen(getter)]
    pub fn event(&self) -> Result<JsValue, JsValue> {
        event_to_js(&self.inner.verdict.event)
    }

    /// The PasswordHashHash (16 bytes) on `accepted`, otherwise `undefined`.
    #[wasm_bindgen(getter, js_name = passwordHashHash)]
    pub fn password_hash_hash(&self) -> Option<Vec<u8>> {
        self.inner.password_hash_hash.as_ref().map(|h| h.as_bytes().to_vec())
    }
}

/// A `Uint8Array` field of the proof, of exactly `N` bytes.
fn field<const N: usize>(proof: &JsValue, name: &str) -> Result<[u8; N], JsValue> {
    let v = Reflect::get(proof, &JsValue::from_str(name))?;
    let bytes = v.dyn_into::<Uint8Array>().map_err(|_| arg_err(&format!("{name} must be a Uint8Array")))?;
    let len = bytes.length() as usize;
    if len != N {
        return Err(arg_err(&format!("{name} must be {N} bytes, not {len}")));
    }
    let mut out = [0u8; N];
    bytes.copy_to(&mut out);
    Ok(out)
}

/// The core's proof from the JS object.
fn proof_from_js(proof: &JsValue) -> Result<mx::NtProof, JsValue> {
    if !proof.is_object() {
        return Err(arg_err(
            "proof must be an object { authenticatorChallenge, peerChallenge, ntResponse, userName }",
        ));
    }
    let name = Reflect::get(proof, &JsValue::from_str("userName"))?;
    let user_name = match (name.as_string(), name.dyn_ref::<Uint8Array>()) {
        (Some(s), _) => s.into_bytes(),
        (None, Some(bytes)) => bytes.to_vec(),
        (None, None) => return Err(arg_err("userName must be a Uint8Array or a string")),
    };
    Ok(mx::NtProof {
        authenticator_challenge: field(proof, "authenticatorChallenge")?,
        peer_challenge: field(proof, "peerChallenge")?,
        user_name,
        nt_response: field(proof, "ntResponse")?,
    })
}

#[wasm_bindgen]
impl Authenticator {
    /// Verifies an MSCHAPv2 NT-Response against the user's pending pattern
    /// challenge (SPEC §17); updates `state` in place. The rules and outcomes
    /// of `verifyPending`; the peer hashes what was typed, so nothing is
    /// folded. A proof field of the wrong type or length throws `code:
    /// "argument"` before `state` changes.
    #[wasm_bindgen(js_name = verifyPendingNt)]
    pub fn verify_pending_nt(
        &self,
        user: &str,
        credential: &PatternCredential,
        state: &mut UserState,
        #[wasm_bindgen(unchecked_param_type = "NtProof")] proof: &JsValue,
        now: Option<f64>,
    ) -> Result<NtVerdict, JsValue> {
        let now = now_or_clock(now)?;
        let proof = proof_from_js(proof)?;
        let inner = self
            .inner
            .verify_pending_nt(user, &credential.inner, &mut state.inner, &proof, now)
            .map_err(js_err)?;
        Ok(NtVerdict { inner })
    }

    /// `verifyPendingNt` against the user's pending card challenge: the
    /// answer is the asked cells' values exactly as printed (letters upper-case).
    #[wasm_bindgen(js_name = verifyCardPendingNt)]
    pub fn verify_card_pending_nt(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        #[wasm_bindgen(unchecked_param_type = "NtProof")] proof: &JsValue,
        now: Option<f64>,
    ) -> Result<NtVerdict, JsValue> {
        let now = now_or_clock(now)?;
        let proof = proof_from_js(proof)?;
        let inner = self
            .inner
            .verify_card_pending_nt(user, &card.inner, &mut state.inner, &proof, now)
            .map_err(js_err)?;
        Ok(NtVerdict { inner })
    }
}
