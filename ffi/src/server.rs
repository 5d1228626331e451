//! Authenticator, challenges and the ticket verifier. Safety: every pointer
//! argument is NULL or valid for the call, as `docs/C-API.md` states.

use core::ffi::{c_char, c_void};
use std::ffi::CString;

use crate::boundary::{
    OutBuf, boundary, boundary_value, free, handle, handle_mut, out_ptr, out_value, string,
};
use crate::card::matrixauth_card;
use crate::state::matrixauth_state;
use crate::{
    R, matrixauth_audit_callback, matrixauth_credential, matrixauth_keyring, matrixauth_outcome,
    matrixauth_policy, matrixauth_result, sink,
};

/// The server side. After `matrixauth_authenticator_set_audit_callback`, it
/// is immutable and may be shared between threads (each call takes its own
/// user state).
pub struct matrixauth_authenticator {
    pub(crate) inner: mx::Authenticator,
}

/// A pattern challenge: token, matrix, times. Owned by the caller; free it.
pub struct matrixauth_challenge {
    pub(crate) inner: mx::Challenge,
    token: CString,
}

/// A card challenge: token, cells to ask, remaining count. Owned by the caller; free it.
pub struct matrixauth_card_challenge {
    pub(crate) inner: mx::CardChallenge,
    token: CString,
}

/// The strength report of a credential (SPEC §3).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct matrixauth_strength {
    /// Cells in the grid.
    pub grid_cells: u32,
    /// Cells in the pattern.
    pub pattern_len: u32,
    /// Patterns of this length the policy allows.
    pub pattern_space: f64,
    /// log2 of `pattern_space`.
    pub pattern_space_bits: f64,
    /// Chance of one online guess when the fixed string is known: 10^-L.
    pub guess_probability: f64,
    /// Chance an attacker gets in before the permanent lock.
    pub online_success_before_permanent_lock: f64,
    /// Expected candidate patterns after 1, 2 and 3 observed logins.
    pub candidates_after: [f64; 3],
    /// Observed logins after which fewer than half a wrong pattern remains.
    pub observations_to_unique: u32,
}

/// Creates an authenticator from a keyring and a policy (both copied; free
/// yours when you like). `MATRIXAUTH_ERR_INVALID_POLICY` if the policy is inconsistent.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_new(
    keyring: *const matrixauth_keyring,
    policy: *const matrixauth_policy,
    out: *mut *mut matrixauth_authenticator,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let kr = unsafe { handle(keyring) }?.inner.clone();
        let policy = unsafe { handle(policy) }?.inner.clone();
        out.set(matrixauth_authenticator { inner: mx::Authenticator::new(kr, policy)? });
        Ok(())
    }
}

/// Sends every audit event (one JSON line each) to `callback` with
/// `userdata`; NULL `callback` removes it. Call before sharing the handle.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_set_audit_callback(
    auth: *mut matrixauth_authenticator,
    callback: matrixauth_audit_callback,
    userdata: *mut c_void,
) -> matrixauth_result {
    boundary! {
        unsafe { handle_mut(auth) }?.inner.set_audit_sink(sink(callback, userdata));
        Ok(())
    }
}

/// Applies the policy to a credential at enrollment. OK, or the rule it breaks
/// (`MATRIXAUTH_ERR_PATTERN_TOO_SHORT`, `MATRIXAUTH_ERR_WEAK_STRAIGHT_LINE`, ...).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_check_credential(
    auth: *const matrixauth_authenticator,
    credential: *const matrixauth_credential,
) -> matrixauth_result {
    boundary! {
        let auth = &unsafe { handle(auth) }?.inner;
        auth.check_credential(&unsafe { handle(credential) }?.inner)?;
        Ok(())
    }
}

/// Writes the strength report of a credential into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_strength(
    auth: *const matrixauth_authenticator,
    credential: *const matrixauth_credential,
    out: *mut matrixauth_strength,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_value(out) }?;
        let auth = &unsafe { handle(auth) }?.inner;
        let s = auth.strength(&unsafe { handle(credential) }?.inner);
        out.set(matrixauth_strength {
            grid_cells: s.grid_cells as u32,
            pattern_len: s.pattern_len as u32,
            pattern_space: s.pattern_space,
            pattern_space_bits: s.pattern_space_bits,
            guess_probability: s.guess_probability,
            online_success_before_permanent_lock: s.online_success_before_permanent_lock,
            candidates_after: s.candidates_after,
            observations_to_unique: s.observations_to_unique,
        });
        Ok(())
    }
}

/// A random credential for unknown users: verifying against it costs the
/// same as a real verification, so timing does not reveal whether an account exists.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_decoy_credential(
    auth: *const matrixauth_authenticator,
    out: *mut *mut matrixauth_credential,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        out.set(matrixauth_credential { inner: unsafe { handle(auth) }?.inner.decoy_credential()? });
        Ok(())
    }
}

/// Issues a pattern challenge for `user` at `now` (Unix seconds), updating
/// `state`. While one is pending the same challenge comes back.
/// `MATRIXAUTH_ERR_LOCKED` for a locked user (read `matrixauth_state_locked_until`).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_issue_challenge(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    state: *mut matrixauth_state,
    now: u64,
    out: *mut *mut matrixauth_challenge,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let auth = &unsafe { handle(auth) }?.inner;
        let user = unsafe { string(user) }?;
        let st = &mut unsafe { handle_mut(state) }?.inner;
        let ch = auth.issue_challenge(user, st, now)?;
        let token = CString::new(ch.token.clone()).map_err(|_| R::MATRIXAUTH_ERR_PANIC)?;
        out.set(matrixauth_challenge { inner: ch, token });
        Ok(())
    }
}

/// Verifies a typed `response` to `token` and updates `state`; the outcome
/// goes to `*outcome`. Errors only for bad arguments.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_verify(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    credential: *const matrixauth_credential,
    state: *mut matrixauth_state,
    token: *const c_char,
    response: *const c_char,
    now: u64,
    outcome: *mut matrixauth_outcome,
) -> matrixauth_result {
    verify_into(auth, user, state, response, outcome, |a, user, st, response| {
        let cred = &unsafe { handle(credential) }?.inner;
        let token = unsafe { string(token) }?;
        Ok(a.verify(user, cred, st, token, response, now)?)
    })
}

/// Verifies a typed `response` against the user's pending pattern challenge,
/// without a token (the grid was shown on another channel; the answer came as
/// a password). Nothing pending: `MATRIXAUTH_OUTCOME_STALE`. Otherwise as
/// `matrixauth_authenticator_verify`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_verify_pending(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    credential: *const matrixauth_credential,
    state: *mut matrixauth_state,
    response: *const c_char,
    now: u64,
    outcome: *mut matrixauth_outcome,
) -> matrixauth_result {
    verify_into(auth, user, state, response, outcome, |a, user, st, response| {
        let cred = &unsafe { handle(credential) }?.inner;
        Ok(a.verify_pending(user, cred, st, response, now)?)
    })
}

/// Issues a card challenge for `user` holding `card`. `MATRIXAUTH_ERR_CARD_EXHAUSTED`
/// when the card has no unused cells left, `MATRIXAUTH_ERR_CARD_EXPIRED` past its expiry.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_issue_card_challenge(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    card: *const matrixauth_card,
    state: *mut matrixauth_state,
    now: u64,
    out: *mut *mut matrixauth_card_challenge,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let auth = &unsafe { handle(auth) }?.inner;
        let user = unsafe { string(user) }?;
        let card = &unsafe { handle(card) }?.inner;
        let st = &mut unsafe { handle_mut(state) }?.inner;
        let ch = auth.issue_card_challenge(user, card, st, now)?;
        let token = CString::new(ch.token.clone()).map_err(|_| R::MATRIXAUTH_ERR_PANIC)?;
        out.set(matrixauth_card_challenge { inner: ch, token });
        Ok(())
    }
}

/// Verifies the answer to a card challenge; as `matrixauth_authenticator_verify`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_verify_card(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    card: *const matrixauth_card,
    state: *mut matrixauth_state,
    token: *const c_char,
    response: *const c_char,
    now: u64,
    outcome: *mut matrixauth_outcome,
) -> matrixauth_result {
    verify_into(auth, user, state, response, outcome, |a, user, st, response| {
        let card = &unsafe { handle(card) }?.inner;
        let token = unsafe { string(token) }?;
        Ok(a.verify_card(user, card, st, token, response, now)?)
    })
}

/// Verifies the answer to the user's pending card challenge without a token;
/// as `matrixauth_authenticator_verify_pending`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_verify_card_pending(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    card: *const matrixauth_card,
    state: *mut matrixauth_state,
    response: *const c_char,
    now: u64,
    outcome: *mut matrixauth_outcome,
) -> matrixauth_result {
    verify_into(auth, user, state, response, outcome, |a, user, st, response| {
        let card = &unsafe { handle(card) }?.inner;
        Ok(a.verify_card_pending(user, card, st, response, now)?)
    })
}

/// The shared shape of the four verify calls: checks the arguments they all
/// take, runs `check` (which reads its own credential or card and token) on
/// the user's state, and writes the outcome only on success.
fn verify_into(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    state: *mut matrixauth_state,
    response: *const c_char,
    outcome: *mut matrixauth_outcome,
    check: impl FnOnce(&mx::Authenticator, &str, &mut mx::UserState, &str) -> Result<mx::Verdict, R>,
) -> matrixauth_result {
    boundary! {
        let outcome = unsafe { out_value(outcome) }?;
        let auth = &unsafe { handle(auth) }?.inner;
        let user = unsafe { string(user) }?;
        let response = unsafe { string(response) }?;
        let st = &mut unsafe { handle_mut(state) }?.inner;
        let verdict = check(auth, user, st, response)?;
        outcome.set(verdict.outcome.into());
        Ok(())
    }
}

/// An administrator's unlock: clears locks and failure counters in `state`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_unlock(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    state: *mut matrixauth_state,
    now: u64,
) -> matrixauth_result {
    boundary! {
        let auth = &unsafe { handle(auth) }?.inner;
        let user = unsafe { string(user) }?;
        let st = &mut unsafe { handle_mut(state) }?.inner;
        auth.unlock(user, st, now)?;
        Ok(())
    }
}

/// Writes a login ticket for `user` and `audience` (NUL-terminated) into
/// `buf[cap]`. The size needed is checked before a ticket is made. Call only
/// after an accepted verification.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_issue_ticket(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    audience: *const c_char,
    now: u64,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        let auth = &unsafe { handle(auth) }?.inner;
        let user = unsafe { string(user) }?;
        let audience = unsafe { string(audience) }?;
        out.reserve(mx::ticket_len(user, audience) + 1)?;
        let ticket = auth.issue_ticket(user, audience, now)?;
        out.write(ticket.as_bytes(), true)
    }
}

/// Frees an authenticator. NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_free(auth: *mut matrixauth_authenticator) {
    boundary_value!((), unsafe { free(auth) });
}

// ---------------------------------------------------------------- challenge accessors

/// The challenge's token (owned by the challenge). NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_token(challenge: *const matrixauth_challenge) -> *const c_char {
    boundary_value!(
        core::ptr::null(),
        unsafe { handle(challenge) }.map_or(core::ptr::null(), |c| c.token.as_ptr())
    )
}

/// Rows of the challenge's matrix. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_rows(challenge: *const matrixauth_challenge) -> u32 {
    boundary_value!(0, unsafe { handle(challenge) }.map_or(0, |c| c.inner.matrix.geometry().rows() as u32))
}

/// Columns of the challenge's matrix. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_cols(challenge: *const matrixauth_challenge) -> u32 {
    boundary_value!(0, unsafe { handle(challenge) }.map_or(0, |c| c.inner.matrix.geometry().cols() as u32))
}

/// Unix seconds at which the challenge expires. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_expires_at(challenge: *const matrixauth_challenge) -> u64 {
    boundary_value!(0, unsafe { handle(challenge) }.map_or(0, |c| c.inner.expires_at))
}

/// The user's challenge sequence number. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_seq(challenge: *const matrixauth_challenge) -> u64 {
    boundary_value!(0, unsafe { handle(challenge) }.map_or(0, |c| c.inner.seq))
}

/// Whether this is the pending challenge presented again. false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_is_reissue(challenge: *const matrixauth_challenge) -> bool {
    boundary_value!(false, unsafe { handle(challenge) }.is_ok_and(|c| c.inner.is_reissue()))
}

/// Writes the matrix digits (values 0-9, row-major, rows*cols bytes) into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_digits(
    challenge: *const matrixauth_challenge,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf, cap, out_len) }?;
        out.write(unsafe { handle(challenge) }?.inner.matrix.digits(), false)
    }
}

/// Writes the matrix as text (column letters, row numbers; NUL-terminated) into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_render_text(
    challenge: *const matrixauth_challenge,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        out.write(unsafe { handle(challenge) }?.inner.matrix.render_text().as_bytes(), true)
    }
}

/// Frees a challenge. NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_challenge_free(challenge: *mut matrixauth_challenge) {
    boundary_value!((), unsafe { free(challenge) });
}

/// The card challenge's token (owned by the challenge). NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_token(
    challenge: *const matrixauth_card_challenge,
) -> *const c_char {
    boundary_value!(
        core::ptr::null(),
        unsafe { handle(challenge) }.map_or(core::ptr::null(), |c| c.token.as_ptr())
    )
}

/// Number of cells asked. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_cell_count(challenge: *const matrixauth_card_challenge) -> usize {
    boundary_value!(0, unsafe { handle(challenge) }.map_or(0, |c| c.inner.cells.len()))
}

/// Writes the name of asked cell `index` (`"B3"`, NUL-terminated) into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_cell_name(
    challenge: *const matrixauth_card_challenge,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        let ch = &unsafe { handle(challenge) }?.inner;
        let cell = ch.cells.get(index).ok_or(R::MATRIXAUTH_ERR_INVALID_ARGUMENT)?;
        out.write(cell.to_string().as_bytes(), true)
    }
}

/// Further challenges the card can serve after this one; -1 when cells may repeat or for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_remaining(challenge: *const matrixauth_card_challenge) -> i64 {
    boundary_value!(
        -1,
        unsafe { handle(challenge) }.ok().and_then(|c| c.inner.remaining).map_or(-1, i64::from)
    )
}

/// Unix seconds at which the card challenge expires. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_expires_at(challenge: *const matrixauth_card_challenge) -> u64 {
    boundary_value!(0, unsafe { handle(challenge) }.map_or(0, |c| c.inner.expires_at))
}

/// Whether this is the pending card challenge presented again. false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_is_reissue(challenge: *const matrixauth_card_challenge) -> bool {
    boundary_value!(false, unsafe { handle(challenge) }.is_ok_and(|c| c.inner.is_reissue()))
}

/// Frees a card challenge. NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_challenge_free(challenge: *mut matrixauth_card_challenge) {
    boundary_value!((), unsafe { free(challenge) });
}

// ---------------------------------------------------------------- ticket verifier

/// The appliance side: redeems login tickets once each. Thread-safe after
/// `matrixauth_ticket_verifier_set_audit_callback`.
pub struct matrixauth_ticket_verifier {
    inner: mx::TicketVerifier,
}

/// Creates a verifier for tickets signed by `keyring` (copied), remembering
/// up to `capacity` redeemed tickets until they expire.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_ticket_verifier_new(
    keyring: *const matrixauth_keyring,
    capacity: usize,
    out: *mut *mut matrixauth_ticket_verifier,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let kr = unsafe { handle(keyring) }?.inner.clone();
        out.set(matrixauth_ticket_verifier { inner: mx::TicketVerifier::new(kr, capacity) });
        Ok(())
    }
}

/// Sets the longest ticket lifetime accepted (default 300 s).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_ticket_verifier_set_max_lifetime(
    verifier: *mut matrixauth_ticket_verifier,
    seconds: u64,
) -> matrixauth_result {
    boundary! {
        unsafe { handle_mut(verifier) }?.inner.set_max_lifetime(seconds);
        Ok(())
    }
}

/// Sends every redeem and refusal to `callback` as a JSON line; NULL removes it.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_ticket_verifier_set_audit_callback(
    verifier: *mut matrixauth_ticket_verifier,
    callback: matrixauth_audit_callback,
    userdata: *mut c_void,
) -> matrixauth_result {
    boundary! {
        unsafe { handle_mut(verifier) }?.inner.set_audit_sink(sink(callback, userdata));
        Ok(())
    }
}

/// Redeems `ticket` for `audience` at `now`; writes the user id
/// (NUL-terminated) into `user_buf[cap]`. `cap` must be at least 256 (checked
/// before the ticket is consumed). Refusals: `MATRIXAUTH_ERR_TICKET_*`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_ticket_verifier_redeem(
    verifier: *const matrixauth_ticket_verifier,
    ticket: *const c_char,
    audience: *const c_char,
    now: u64,
    user_buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(user_buf.cast(), cap, out_len) }?;
        out.reserve(256)?;
        let v = &unsafe { handle(verifier) }?.inner;
        let ticket = unsafe { string(ticket) }?;
        let audience = unsafe { string(audience) }?;
        let user = v.redeem(ticket, audience, now)?;
        out.write(user.as_bytes(), true)
    }
}

/// Frees a ticket verifier. NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_ticket_verifier_free(verifier: *mut matrixauth_ticket_verifier) {
    boundary_value!((), unsafe { free(verifier) });
}
