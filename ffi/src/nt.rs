//! The MSCHAPv2 (RFC 2759) checks of the pending challenge (SPEC §17): for
//! a RADIUS server whose IKEv2 gateway speaks EAP-MSCHAPv2. The core derives
//! the one right answer, hashes it as the peer did and compares the
//! NT-Responses in constant time; this file only checks and converts the C
//! arguments. Safety: every pointer argument is NULL or valid for the call,
//! as `docs/C-API.md` states.

use core::ffi::c_char;

use crate::boundary::{FfiResult, boundary, bytes, handle, handle_mut, out_value, string};
use crate::card::matrixauth_card;
use crate::server::matrixauth_authenticator;
use crate::state::matrixauth_state;
use crate::{R, matrixauth_credential, matrixauth_outcome, matrixauth_result};

/// Bytes of the authenticator (server) challenge and of the peer challenge.
pub const MATRIXAUTH_NT_CHALLENGE_LEN: usize = 16;
/// Bytes of an MSCHAPv2 NT-Response.
pub const MATRIXAUTH_NT_RESPONSE_LEN: usize = 24;
/// Bytes of the PasswordHashHash written on `MATRIXAUTH_OUTCOME_ACCEPTED`.
pub const MATRIXAUTH_NT_PASSWORD_HASH_HASH_LEN: usize = 16;

/// What the peer's MSCHAPv2 Response proves (RFC 2759 §4): the two
/// challenges, the user name it hashed, and its NT-Response. Every field is
/// a pointer and a length; the lengths must be 16, 16 and 24 (the name any
/// length, NULL only with length 0). The library reads it during the call only.
#[repr(C)]
pub struct matrixauth_nt_proof {
    /// The server's challenge (the EAP-MSCHAPv2 Challenge sent): 16 bytes.
    pub authenticator_challenge: *const u8,
    /// Must be 16.
    pub authenticator_challenge_len: usize,
    /// The peer's challenge, from its Response: 16 bytes.
    pub peer_challenge: *const u8,
    /// Must be 16.
    pub peer_challenge_len: usize,
    /// The user name as the peer hashed it (RFC 2759 `ChallengeHash`: without a domain).
    pub user_name: *const u8,
    /// Bytes of `user_name`.
    pub user_name_len: usize,
    /// The NT-Response: 24 bytes.
    pub nt_response: *const u8,
    /// Must be 24.
    pub nt_response_len: usize,
}

/// The core's proof from the C one: NULL and length checks, nothing else.
///
/// # Safety
/// `proof` is NULL or valid, and each of its pointers is NULL or readable for its length.
unsafe fn proof_of(proof: *const matrixauth_nt_proof) -> FfiResult<mx::NtProof> {
    let p = unsafe { handle(proof) }?;
    let fixed = |ptr: *const u8, len: usize, want: usize| -> FfiResult<&[u8]> {
        if len != want {
            return Err(R::MATRIXAUTH_ERR_INVALID_ARGUMENT);
        }
        // SAFETY: the caller promises ptr is NULL or readable for len bytes.
        unsafe { bytes(ptr, len) }
    };
    let array = |s: &[u8]| s.try_into().map_err(|_| R::MATRIXAUTH_ERR_INVALID_ARGUMENT);
    Ok(mx::NtProof {
        authenticator_challenge: array(fixed(
            p.authenticator_challenge,
            p.authenticator_challenge_len,
            MATRIXAUTH_NT_CHALLENGE_LEN,
        )?)?,
        peer_challenge: array(fixed(p.peer_challenge, p.peer_challenge_len, MATRIXAUTH_NT_CHALLENGE_LEN)?)?,
        user_name: unsafe { bytes(p.user_name, p.user_name_len) }?.to_vec(),
        nt_response: fixed(p.nt_response, p.nt_response_len, MATRIXAUTH_NT_RESPONSE_LEN)?
            .try_into()
            .map_err(|_| R::MATRIXAUTH_ERR_INVALID_ARGUMENT)?,
    })
}

/// Verifies an MSCHAPv2 NT-Response against the user's pending pattern
/// challenge and updates `state`; the outcome goes to `*outcome`. The rules,
/// outcomes and counting are those of `matrixauth_authenticator_verify_pending`
/// (nothing pending: `MATRIXAUTH_OUTCOME_STALE`). The peer hashes what was
/// typed, so nothing is folded: full-width digits make a wrong answer.
///
/// On `MATRIXAUTH_OUTCOME_ACCEPTED` only, the answer's PasswordHashHash (16
/// bytes, from which the authenticator response and the MPPE keys are
/// derived) is written to `password_hash_hash`; otherwise that buffer is not
/// touched. `password_hash_hash_len` must be 16. A proof field of the wrong
/// length is `MATRIXAUTH_ERR_INVALID_ARGUMENT`; every argument is checked
/// before `state` changes.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_verify_pending_nt(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    credential: *const matrixauth_credential,
    state: *mut matrixauth_state,
    proof: *const matrixauth_nt_proof,
    now: u64,
    outcome: *mut matrixauth_outcome,
    password_hash_hash: *mut u8,
    password_hash_hash_len: usize,
) -> matrixauth_result {
    nt_into(
        auth,
        user,
        state,
        proof,
        outcome,
        password_hash_hash,
        password_hash_hash_len,
        |a, user, st, p| {
            let cred = &unsafe { handle(credential) }?.inner;
            Ok(a.verify_pending_nt(user, cred, st, p, now)?)
        },
    )
}

/// Verifies an MSCHAPv2 NT-Response against the user's pending card
/// challenge; as `matrixauth_authenticator_verify_pending_nt`. The answer is
/// the asked cells' values exactly as printed (letters upper-case).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_authenticator_verify_card_pending_nt(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    card: *const matrixauth_card,
    state: *mut matrixauth_state,
    proof: *const matrixauth_nt_proof,
    now: u64,
    outcome: *mut matrixauth_outcome,
    password_hash_hash: *mut u8,
    password_hash_hash_len: usize,
) -> matrixauth_result {
    nt_into(
        auth,
        user,
        state,
        proof,
        outcome,
        password_hash_hash,
        password_hash_hash_len,
        |a, user, st, p| {
            let card = &unsafe { handle(card) }?.inner;
            Ok(a.verify_card_pending_nt(user, card, st, p, now)?)
        },
    )
}

/// The shared shape of the two calls: checks every argument, runs `check`
/// on the user's state, writes the outcome, and the PasswordHashHash on
/// `accepted` only.
#[allow(clippy::too_many_arguments)]
fn nt_into(
    auth: *const matrixauth_authenticator,
    user: *const c_char,
    state: *mut matrixauth_state,
    proof: *const matrixauth_nt_proof,
    outcome: *mut matrixauth_outcome,
    password_hash_hash: *mut u8,
    password_hash_hash_len: usize,
    check: impl FnOnce(&mx::Authenticator, &str, &mut mx::UserState, &mx::NtProof) -> FfiResult<mx::NtVerdict>,
) -> matrixauth_result {
    boundary! {
        let outcome = unsafe { out_value(outcome) }?;
        if password_hash_hash.is_null() {
            return Err(R::MATRIXAUTH_ERR_NULL_ARGUMENT);
        }
        if password_hash_hash_len != MATRIXAUTH_NT_PASSWORD_HASH_HASH_LEN {
            return Err(R::MATRIXAUTH_ERR_INVALID_ARGUMENT);
        }
        let auth = &unsafe { handle(auth) }?.inner;
        let user = unsafe { string(user) }?;
        let proof = unsafe { proof_of(proof) }?;
        let st = &mut unsafe { handle_mut(state) }?.inner;
        let verdict = check(auth, user, st, &proof)?;
        if let Some(h) = &verdict.password_hash_hash {
            // SAFETY: password_hash_hash is non-NULL and writable for 16 bytes (checked above);
            // the source is a separate Rust allocation.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    h.as_bytes().as_ptr(),
                    password_hash_hash,
                    MATRIXAUTH_NT_PASSWORD_HASH_HASH_LEN,
                );
            }
        }
        outcome.set(verdict.verdict.outcome.into());
        Ok(())
    }
}
