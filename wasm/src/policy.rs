//! `Policy`.

use crate::convert;
use crate::convert::js_err;
use crate::credential::PatternCredential;
use js_sys::Object;
use wasm_bindgen::prelude::*;

/// Enrollment and lockout policy. `new Policy({ minPatternLen: 8 })`;
/// unknown or mistyped options throw.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Policy {
    pub(crate) inner: mx::Policy,
}

#[wasm_bindgen]
impl Policy {
    /// The defaults of SPEC §5, overridden by `options` (camelCase fields:
    /// `rows`, `cols`, `blockRows`, `blockCols`, `requireEveryBlock`,
    /// `minPatternLen`, `maxPatternLen`, `allowRepeatedCells`,
    /// `rejectWeakPatterns`, `challengeTtl`, `retryWindow`, `maxConsecutiveFailures`,
    /// `lockoutSeconds`, `maxLockoutSeconds`, `maxTotalFailures`,
    /// `cardChallengeCells`, `cardSingleUse`, `ticketTtl`). The result is
    /// validated.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<Object>) -> Result<Policy, JsValue> {
        let mut p = mx::Policy::default();
        if let Some(options) = options {
            convert::apply_policy_options(&mut p, &options)?;
        }
        p.validate().map_err(js_err)?;
        Ok(Policy { inner: p })
    }

    /// The policy as a plain object with the constructor's field names.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        convert::policy_to_js(&self.inner)
    }

    /// Grid rows.
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> u32 {
        self.inner.rows as u32
    }

    /// Grid columns.
    #[wasm_bindgen(getter)]
    pub fn cols(&self) -> u32 {
        self.inner.cols as u32
    }

    /// Fewest pattern cells.
    #[wasm_bindgen(getter, js_name = minPatternLen)]
    pub fn min_pattern_len(&self) -> u32 {
        self.inner.min_pattern_len as u32
    }

    /// Most pattern cells.
    #[wasm_bindgen(getter, js_name = maxPatternLen)]
    pub fn max_pattern_len(&self) -> u32 {
        self.inner.max_pattern_len as u32
    }

    /// Seconds after an answer during which the same answer is `duplicate`
    /// and another one a counted `rejected` (then `stale`).
    #[wasm_bindgen(getter, js_name = retryWindow)]
    pub fn retry_window(&self) -> f64 {
        self.inner.retry_window as f64
    }

    /// Applies the enrollment rules to a credential without any key: the
    /// same check `Authenticator.checkCredential` and the server run.
    /// Throws with `code` `"policy"` or `"weak_pattern"` (and `weakness`).
    #[wasm_bindgen(js_name = checkCredential)]
    pub fn check_credential(&self, credential: &PatternCredential) -> Result<(), JsValue> {
        self.inner.check_credential(&credential.inner).map_err(js_err)
    }
}
