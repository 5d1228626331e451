//! Tokens: any token other than the pending one is never accepted; nothing panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::{Authenticator, Keyring, Outcome, PatternCredential, Policy, UserState};

fuzz_target!(|data: &[u8]| {
    let auth = Authenticator::new(Keyring::new(&[7; 32], 1).unwrap(), Policy::default()).unwrap();
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2).unwrap();
    let mut state = UserState::new();
    let ch = auth.issue_challenge("alice", &mut state, 1_800_000_000).unwrap();
    let right = cred.respond(&ch).unwrap();
    // Either a token made of the input, or the real token with the input XORed into it.
    let token = if data.first() == Some(&0) {
        let mut t = ch.token.clone().into_bytes();
        for (i, b) in data.iter().skip(1).enumerate() {
            if let Some(x) = t.get_mut(i % ch.token.len().max(1)) {
                *x ^= b;
            }
        }
        String::from_utf8_lossy(&t).into_owned()
    } else {
        String::from_utf8_lossy(data).into_owned()
    };
    let before = state.clone();
    let v = auth.verify("alice", &cred, &mut state, &token, &right, 1_800_000_001).unwrap();
    if token != ch.token {
        assert_ne!(v.outcome, Outcome::Accepted, "a changed token was accepted");
        assert_eq!(state, before, "an invalid token changed the state");
    } else {
        assert_eq!(v.outcome, Outcome::Accepted);
    }
});
