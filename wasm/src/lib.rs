//! WebAssembly bindings of `matrixauth` (npm package `matrixauth`).
//!
//! Thin by design: every rule lives in the core crate; this file converts
//! JS values to core types and core errors to JS `Error`s. Names follow
//! SPEC §10 in camelCase. Times are JS numbers of Unix seconds; every `now`
//! argument is optional and defaults to the clock (`Date.now()`).
//!
//! Errors thrown are `Error` objects with `name = "MatrixauthError"`, a
//! stable `code` (the core's `Error::code`, e.g. `"locked"`,
//! `"weak_pattern"`) and, where they apply, `lockedUntil` (a number, or
//! `null` for a permanent lock), `weakness`, `reason` (ticket refusals) or
//! `expiresAt`. Messages never contain secrets.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

mod convert;
use convert::{Obj, js_err, now_or_clock, to_js_time};

/// The library's version (`"0.1.0"`).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Folds typed input as the verifier does: full-width forms to ASCII,
/// spaces and hyphens dropped (SPEC §3). For showing users what counts.
#[wasm_bindgen]
pub fn fold(input: &str) -> String {
    mx::fold(input).to_string()
}

/// The name of the cell at `row`, `col` (0-based): `cellName(2, 1)` is `"B3"`.
#[wasm_bindgen(js_name = cellName)]
pub fn cell_name(row: u32, col: u32) -> Result<String, JsValue> {
    let cell = mx::Cell::new(row as usize, col as usize).map_err(js_err)?;
    Ok(cell.to_string())
}

/// A watcher's expected number of candidate patterns after `observed`
/// logins, for a grid of `cells` cells and a pattern of `length` cells.
#[wasm_bindgen(js_name = expectedCandidates)]
pub fn expected_candidates(cells: u32, length: u32, observed: u32) -> f64 {
    mx::expected_candidates(cells as usize, length as usize, observed)
}

/// Observed logins after which fewer than half a wrong pattern remains.
#[wasm_bindgen(js_name = observationsToUnique)]
pub fn observations_to_unique(cells: u32, length: u32) -> u32 {
    mx::observations_to_unique(cells as usize, length as usize)
}

/// The strength report for a pattern of `length` cells under `policy`,
/// before a credential exists (enrollment pages). A plain object; fields in
/// `index.d.ts`.
#[wasm_bindgen(js_name = strengthForLength)]
pub fn strength_for_length(policy: &Policy, length: u32) -> Result<JsValue, JsValue> {
    strength_to_js(&mx::Strength::for_length(&policy.inner, length as usize))
}

/// Reads a matrix printed by `Challenge.renderText()` (or a login page's
/// text) back into rows of digits.
#[wasm_bindgen(js_name = parseMatrixText)]
pub fn parse_matrix_text(text: &str) -> Result<Array, JsValue> {
    let matrix = mx::Matrix::parse_text(text).map_err(js_err)?;
    Ok(matrix_to_js(&matrix))
}

fn matrix_to_js(matrix: &mx::Matrix) -> Array {
    matrix.rows().iter().map(|row| row.iter().map(|&d| JsValue::from(d)).collect::<Array>()).collect()
}

fn strength_to_js(s: &mx::Strength) -> Result<JsValue, JsValue> {
    let after: Array = s.candidates_after.iter().map(|&c| JsValue::from(c)).collect();
    Obj::new()
        .num("gridCells", s.grid_cells as f64)?
        .num("patternLength", s.pattern_len as f64)?
        .num("patternSpace", s.pattern_space)?
        .num("patternSpaceBits", s.pattern_space_bits)?
        .num("guessProbability", s.guess_probability)?
        .num("onlineSuccessBeforePermanentLock", s.online_success_before_permanent_lock)?
        .set("candidatesAfter", &after)?
        .num("observationsToUnique", f64::from(s.observations_to_unique))?
        .done()
}

fn event_to_js(event: &mx::Event) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&event.to_json())
}

/// Server keys: the current signing key and older keys that still verify.
#[wasm_bindgen]
pub struct Keyring {
    inner: mx::Keyring,
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

/// Enrollment and lockout policy. `new Policy({ minPatternLen: 8 })`;
/// unknown or mistyped options throw.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Policy {
    inner: mx::Policy,
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

/// A memorised pattern plus fixed string. Secret: never printed, wiped
/// when freed (call `free()` when done with it).
#[wasm_bindgen]
pub struct PatternCredential {
    inner: mx::PatternCredential,
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

/// One user's login progress: counters, lock, pending challenge. Persist
/// `toBytes(keyring, user)` after every call that changes it (`version` grows).
#[wasm_bindgen]
#[derive(Default)]
pub struct UserState {
    inner: mx::UserState,
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

/// A pattern-mode challenge: the matrix to show and the token to send back.
#[wasm_bindgen]
pub struct Challenge {
    inner: mx::Challenge,
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
    inner: mx::CardChallenge,
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
    inner: mx::Verdict,
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

/// A printed grid card. The values are secret.
#[wasm_bindgen]
pub struct GridCard {
    inner: mx::GridCard,
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

/// The authentication server's engine: keys and policy, no per-user data.
#[wasm_bindgen]
pub struct Authenticator {
    inner: mx::Authenticator,
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

/// The appliance side of the hand-off: redeems each ticket once.
#[wasm_bindgen]
pub struct TicketVerifier {
    inner: mx::TicketVerifier,
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
