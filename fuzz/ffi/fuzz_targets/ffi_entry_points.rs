//! The C entry points with arbitrary buffers, lengths and strings: every call returns a result
//! code; none panics or reads out of bounds (the fuzzer runs with ASan).
#![no_main]
use std::ffi::{CString, c_char};
use std::ptr;

use libfuzzer_sys::fuzz_target;
use matrixauth_ffi::*;

fn cstr(bytes: &[u8]) -> CString {
    CString::new(bytes.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>()).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let split = data.first().copied().unwrap_or(0) as usize % (data.len().max(1));
    let (a, b) = data.split_at(split.min(data.len()));

    // Buffers with their true length.
    let mut kr: *mut matrixauth_keyring = ptr::null_mut();
    let _ = matrixauth_keyring_new(a.as_ptr(), a.len(), 1, &mut kr);
    matrixauth_keyring_free(kr);

    let key = [7u8; 32];
    let mut kr: *mut matrixauth_keyring = ptr::null_mut();
    assert_eq!(matrixauth_keyring_new(key.as_ptr(), key.len(), 1, &mut kr), matrixauth_result::MATRIXAUTH_OK);
    let user = cstr(b"alice");
    let mut state: *mut matrixauth_state = ptr::null_mut();
    let _ = matrixauth_state_from_bytes(kr, user.as_ptr(), a.as_ptr(), a.len(), &mut state);
    matrixauth_state_free(state);
    let mut cred: *mut matrixauth_credential = ptr::null_mut();
    let _ = matrixauth_credential_open(kr, user.as_ptr(), b.as_ptr(), b.len(), &mut cred);
    matrixauth_credential_free(cred);

    // Strings: names, tokens, answers, tickets.
    let names: Vec<CString> = b.split(|&c| c == b',').take(20).map(cstr).collect();
    let ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let fixed = cstr(a);
    let mut cred: *mut matrixauth_credential = ptr::null_mut();
    let _ = matrixauth_credential_from_names(ptrs.as_ptr(), ptrs.len(), fixed.as_ptr(), a.len() % 20, &mut cred);
    let good = [c"B2".as_ptr(), c"G3".as_ptr(), c"D5".as_ptr(), c"A8".as_ptr(), c"H1".as_ptr(), c"E6".as_ptr()];
    if cred.is_null() {
        let _ = matrixauth_credential_from_names(good.as_ptr(), good.len(), c"pw".as_ptr(), 2, &mut cred);
    }
    let mut policy: *mut matrixauth_policy = ptr::null_mut();
    assert_eq!(matrixauth_policy_new(&mut policy), matrixauth_result::MATRIXAUTH_OK);
    let mut auth: *mut matrixauth_authenticator = ptr::null_mut();
    assert_eq!(matrixauth_authenticator_new(kr, policy, &mut auth), matrixauth_result::MATRIXAUTH_OK);
    let mut st: *mut matrixauth_state = ptr::null_mut();
    let _ = matrixauth_state_new(&mut st);
    let token = cstr(a);
    let answer = cstr(b);
    let mut outcome = matrixauth_outcome::MATRIXAUTH_OUTCOME_INVALID;
    let _ = matrixauth_authenticator_verify(auth, answer.as_ptr(), cred, st, token.as_ptr(), answer.as_ptr(), 1_800_000_000, &mut outcome);
    let _ = matrixauth_authenticator_verify_pending(auth, user.as_ptr(), cred, st, answer.as_ptr(), 1_800_000_000, &mut outcome);
    // The MSCHAPv2 check against a pending challenge, with proof fields and a hash buffer of
    // arbitrary lengths (each pointer valid for its length; a wrong length must be refused).
    let mut ch: *mut matrixauth_challenge = ptr::null_mut();
    let _ = matrixauth_authenticator_issue_challenge(auth, user.as_ptr(), st, 1_800_000_000, &mut ch);
    matrixauth_challenge_free(ch);
    let pad: Vec<u8> = data.iter().copied().chain(std::iter::repeat(0)).take(64).collect();
    let len = |n: usize, want: usize| if n % 3 == 0 { n % (want + 2) } else { want };
    let proof = matrixauth_nt_proof {
        authenticator_challenge: pad.as_ptr(),
        authenticator_challenge_len: len(a.len(), 16),
        peer_challenge: pad[16..].as_ptr(),
        peer_challenge_len: len(b.len(), 16),
        user_name: b.as_ptr(),
        user_name_len: b.len(),
        nt_response: pad[32..].as_ptr(),
        nt_response_len: len(a.len() + b.len(), 24),
    };
    let mut hash = [0u8; 16];
    let hash_len = if b.len() % 5 == 0 { b.len() % 17 } else { 16 };
    let _ = matrixauth_authenticator_verify_pending_nt(auth, user.as_ptr(), cred, st, &proof, 1_800_000_001, &mut outcome, hash.as_mut_ptr(), hash_len);
    let mut verifier: *mut matrixauth_ticket_verifier = ptr::null_mut();
    let _ = matrixauth_ticket_verifier_new(kr, 8, &mut verifier);
    let mut buf = [0 as c_char; 8];
    let mut len = 0usize;
    let _ = matrixauth_ticket_verifier_redeem(verifier, token.as_ptr(), answer.as_ptr(), 1_800_000_000, buf.as_mut_ptr(), a.len() % 9, &mut len);
    let mut out = vec![0u8; b.len() % 64];
    let mut out_len = 0usize;
    let _ = matrixauth_state_to_bytes(st, kr, fixed.as_ptr(), out.as_mut_ptr(), out.len(), &mut out_len);
    matrixauth_ticket_verifier_free(verifier);
    matrixauth_state_free(st);
    matrixauth_authenticator_free(auth);
    matrixauth_credential_free(cred);
    matrixauth_keyring_free(kr);
    matrixauth_policy_free(policy);
});
