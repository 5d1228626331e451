//! Answers: folding never panics; verify accepts exactly when the folded answer is right; within
//! the retry window the same answer is `duplicate` (nothing changes) and another is a counted
//! `rejected`; with nothing pending `verify_pending` is `stale`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::{Authenticator, Keyring, Outcome, PatternCredential, Policy, UserState, fold};

fuzz_target!(|data: &[u8]| {
    let answer = String::from_utf8_lossy(data);
    let folded = fold(&answer);
    assert!(folded.len() <= answer.len() * 3 + 4);
    let auth = Authenticator::new(Keyring::new(&[7; 32], 1).unwrap(), Policy::default()).unwrap();
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2).unwrap();
    let mut state = UserState::new();
    let ch = auth.issue_challenge("alice", &mut state, 1_800_000_000).unwrap();
    let right = cred.respond(&ch).unwrap();
    let v = auth.verify("alice", &cred, &mut state, &ch.token, &answer, 1_800_000_001).unwrap();
    let should = folded.as_str() == right.as_str();
    assert_eq!(v.outcome == Outcome::Accepted, should);
    assert!(matches!(v.outcome, Outcome::Accepted | Outcome::Rejected));
    let before = state.clone();
    let again = auth.verify("alice", &cred, &mut state, &ch.token, &answer, 1_800_000_002).unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    assert_eq!(state, before, "a duplicate changed the state");
    let pending = auth.verify_pending("alice", &cred, &mut state, &answer, 1_800_000_002).unwrap();
    assert_eq!(pending.outcome, Outcome::Stale);
    if answer.len() < 200 {
        let other = format!("{answer}x");
        let v = auth.verify("alice", &cred, &mut state, &ch.token, &other, 1_800_000_003).unwrap();
        assert_eq!(v.outcome, Outcome::Rejected, "another answer inside the window must be counted");
        assert_eq!(state.failures_since_success(), before.failures_since_success() + 1);
    }
});
