//! Sealed records: arbitrary bytes never open (and never panic); tampering a real record fails.
//!
//! The only record ever sealed under this key is `cred`'s, made below on every run. libFuzzer's
//! comparison tracing sees those bytes and can replay them as input (its first "crash" here was
//! exactly that), so an input that opens must be that genuine record and nothing else.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::{GridCard, Keyring, PatternCredential};

fuzz_target!(|data: &[u8]| {
    let kr = Keyring::new(&[7; 32], 1).unwrap();
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8"], "x", 1).unwrap();
    if let Ok(opened) = PatternCredential::open(&kr, "alice", data) {
        assert_eq!(*opened.to_bytes(), *cred.to_bytes(), "bytes that were never sealed opened");
    }
    assert!(GridCard::open(&kr, "alice", data).is_err(), "a credential record opened as a card");
    let mut sealed = cred.seal(&kr, "alice").unwrap();
    let original = sealed.clone();
    for (i, b) in data.iter().enumerate() {
        let n = sealed.len();
        if let Some(x) = sealed.get_mut(i % n) {
            *x ^= b;
        }
    }
    if sealed != original {
        assert!(PatternCredential::open(&kr, "alice", &sealed).is_err(), "a tampered record opened");
    }
});
