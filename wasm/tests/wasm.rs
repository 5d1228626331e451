//! Runs inside a JS engine (`wasm-bindgen-test-runner`: Node by default,
//! headless Chromium with `WASM_BINDGEN_USE_BROWSER=1`): the bindings' error
//! objects and a login round trip, as JS sees them.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use js_sys::Reflect;
use matrixauth_wasm::{Authenticator, Keyring, PatternCredential, Policy, TicketVerifier, UserState};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn cred() -> PatternCredential {
    let cells: js_sys::Array =
        ["B2", "G3", "D5", "A8", "H1", "E6"].iter().map(|s| JsValue::from_str(s)).collect();
    PatternCredential::new(&cells, Some("pw".into()), Some(2), None).unwrap()
}

fn code(err: &JsValue) -> String {
    Reflect::get(err, &"code".into()).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
fn login_round_trip_with_the_clock() {
    let key = Keyring::generate_key().unwrap();
    let auth = Authenticator::new(&Keyring::new(&key, None).unwrap(), &JsValue::UNDEFINED).unwrap();
    let mut state = UserState::new();
    let cred = cred();
    let ch = auth.issue_challenge("alice", &mut state, None).unwrap();
    let answer = cred.respond(&ch).unwrap();
    let verdict = auth.verify("alice", &cred, &mut state, &ch.token(), &answer, None).unwrap();
    assert_eq!(verdict.outcome(), "accepted");
    let ticket = auth.issue_ticket("alice", "vpn", None).unwrap();
    let verifier = TicketVerifier::new(&Keyring::new(&key, None).unwrap(), None);
    assert_eq!(verifier.redeem(&ticket, "vpn", None).unwrap(), "alice");
    let err = verifier.redeem(&ticket, "vpn", None).unwrap_err();
    assert_eq!(code(&err), "ticket");
    assert_eq!(Reflect::get(&err, &"reason".into()).unwrap().as_string().unwrap(), "replayed");
}

#[wasm_bindgen_test]
fn locked_error_carries_locked_until() {
    let auth = Authenticator::new(&Keyring::new(&[7; 32], Some(1)).unwrap(), &JsValue::UNDEFINED).unwrap();
    let mut state = UserState::new();
    let cred = cred();
    let t0 = 1_800_000_000.0;
    for i in 0..5 {
        let ch = auth.issue_challenge("alice", &mut state, Some(t0 + f64::from(i))).unwrap();
        let v = auth.verify("alice", &cred, &mut state, &ch.token(), "000", Some(t0 + f64::from(i))).unwrap();
        assert_eq!(v.outcome(), "rejected");
    }
    let err = auth.issue_challenge("alice", &mut state, Some(t0 + 10.0)).err().unwrap();
    assert_eq!(code(&err), "locked");
    assert_eq!(Reflect::get(&err, &"lockedUntil".into()).unwrap().as_f64(), Some(t0 + 4.0 + 900.0));
    assert!(err.is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
fn bad_arguments_throw_type_errors() {
    let auth = Authenticator::new(&Keyring::new(&[7; 32], Some(1)).unwrap(), &JsValue::UNDEFINED).unwrap();
    let mut state = UserState::new();
    for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY] {
        let err = auth.issue_challenge("alice", &mut state, Some(bad)).err().unwrap();
        assert_eq!(code(&err), "argument");
        assert!(err.is_instance_of::<js_sys::TypeError>());
    }
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"noSuchOption".into(), &JsValue::TRUE).unwrap();
    assert_eq!(code(&Policy::new(Some(opts)).err().unwrap()), "argument");
}

#[wasm_bindgen_test]
fn a_policy_is_copied_not_consumed() {
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"minPatternLen".into(), &JsValue::from(8)).unwrap();
    let policy = Policy::new(Some(opts.clone())).unwrap();
    let policy_js = JsValue::from(policy.clone());
    let kr = Keyring::new(&[7; 32], Some(1)).unwrap();
    for _ in 0..2 {
        assert_eq!(Authenticator::new(&kr, &policy_js).unwrap().policy().min_pattern_len(), 8);
    }
    // A plain options object works too.
    assert_eq!(Authenticator::new(&kr, &opts.into()).unwrap().policy().min_pattern_len(), 8);
}

#[wasm_bindgen_test]
fn mschapv2_proofs_are_checked_in_the_engine() {
    let auth = Authenticator::new(&Keyring::new(&[7; 32], Some(1)).unwrap(), &JsValue::UNDEFINED).unwrap();
    let mut state = UserState::new();
    let cred = cred();
    let t0 = 1_800_000_000.0;
    let proof = |ac_len: u32, nt: &JsValue| {
        let p = js_sys::Object::new();
        Reflect::set(&p, &"authenticatorChallenge".into(), &js_sys::Uint8Array::new_with_length(ac_len))
            .unwrap();
        Reflect::set(&p, &"peerChallenge".into(), &js_sys::Uint8Array::new_with_length(16)).unwrap();
        Reflect::set(&p, &"ntResponse".into(), nt).unwrap();
        Reflect::set(&p, &"userName".into(), &"alice".into()).unwrap();
        JsValue::from(p)
    };
    let nt24: JsValue = js_sys::Uint8Array::new_with_length(24).into();
    let v = auth.verify_pending_nt("alice", &cred, &mut state, &proof(16, &nt24), Some(t0)).unwrap();
    assert_eq!(v.outcome(), "stale");
    auth.issue_challenge("alice", &mut state, Some(t0)).unwrap();
    for bad in
        [proof(15, &nt24), proof(16, &js_sys::Uint8Array::new_with_length(23).into()), proof(16, &"x".into())]
    {
        let err = auth.verify_pending_nt("alice", &cred, &mut state, &bad, Some(t0 + 1.0)).err().unwrap();
        assert_eq!(code(&err), "argument");
        assert!(err.is_instance_of::<js_sys::TypeError>());
    }
    assert_eq!(state.failures_since_success(), 0);
    let v = auth.verify_pending_nt("alice", &cred, &mut state, &proof(16, &nt24), Some(t0 + 1.0)).unwrap();
    assert_eq!(v.outcome(), "rejected");
    assert!(v.password_hash_hash().is_none());
    assert_eq!(state.failures_since_success(), 1);
}
