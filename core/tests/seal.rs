#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs,
    clippy::float_cmp,
    clippy::naive_bytecount,
    clippy::manual_strip
)]
//! Sealed credentials: user binding, key rotation, tampering.

mod common;

use common::*;
use matrixauth::*;

#[test]
fn sealed_credential_opens_only_for_its_user_and_keys() {
    let ring = Keyring::new(&KEY, 1).unwrap();
    let sealed = six().seal(&ring, "alice").unwrap();
    assert_eq!(PatternCredential::open(&ring, "alice", &sealed).unwrap().to_bytes(), six().to_bytes());
    assert_eq!(PatternCredential::open(&ring, "bob", &sealed).unwrap_err(), Error::Seal);
    let other = Keyring::new(&[3; 32], 1).unwrap();
    assert_eq!(PatternCredential::open(&other, "alice", &sealed).unwrap_err(), Error::Seal);
    // Two seals of the same credential differ (random nonce) and hide it.
    let again = six().seal(&ring, "alice").unwrap();
    assert_ne!(sealed, again);
    let plain = six().to_bytes();
    assert!(!sealed.windows(plain.len()).any(|w| w == plain.as_slice()));
    assert!(!sealed.windows(2).any(|w| w == b"pw"));
}

#[test]
fn rotation_opens_old_records_and_seals_with_the_new_key() {
    let mut ring = Keyring::new(&KEY, 1).unwrap();
    let old = six().seal(&ring, "alice").unwrap();
    ring.rotate(&[5; 32], 2).unwrap();
    assert!(PatternCredential::open(&ring, "alice", &old).is_ok());
    let new = six().seal(&ring, "alice").unwrap();
    assert_eq!(&new[2..6], &2u32.to_be_bytes());
    ring.remove_key(1).unwrap();
    assert_eq!(PatternCredential::open(&ring, "alice", &old).unwrap_err(), Error::Seal);
}

#[test]
fn every_bit_flip_and_truncation_fails() {
    let ring = Keyring::new(&KEY, 1).unwrap();
    let sealed = six().seal(&ring, "alice").unwrap();
    for i in 0..sealed.len() {
        for bit in 0..8 {
            let mut s = sealed.clone();
            s[i] ^= 1 << bit;
            assert!(PatternCredential::open(&ring, "alice", &s).is_err(), "byte {i} bit {bit}");
        }
    }
    for n in 0..sealed.len() {
        assert!(PatternCredential::open(&ring, "alice", &sealed[..n]).is_err());
    }
    assert!(PatternCredential::open(&ring, "alice", &vec![1u8; 1 << 20]).is_err());
    assert_eq!(six().seal(&ring, "").unwrap_err(), Error::InvalidUserId);
    assert_eq!(PatternCredential::open(&ring, "a\u{0}", &sealed).unwrap_err(), Error::InvalidUserId);
}

#[test]
fn sealed_credentials_have_one_length_whatever_the_secret() {
    // Review finding 7: records were 62 bytes for a short credential and 114
    // for a long one, revealing the pattern's and fixed string's lengths.
    let ring = Keyring::new(&KEY, 1).unwrap();
    let shapes: [(&[&str], &str, usize); 4] = [
        (&["C3", "F2", "A6", "H7"], "", 0),
        (&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2),
        (
            &["A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"],
            "Fixed-String_32chars+!#$%&()*,.;",
            16,
        ),
        (&["H8", "A2", "C7", "E1"], "x", 4),
    ];
    let mut lengths = std::collections::HashSet::new();
    for (cells, fixed, at) in shapes {
        let cred = PatternCredential::from_names(cells, fixed, at).unwrap();
        assert_eq!(cred.to_bytes().len(), 68);
        let sealed = cred.seal(&ring, "alice").unwrap();
        lengths.insert(sealed.len());
        let back = PatternCredential::open(&ring, "alice", &sealed).unwrap();
        assert_eq!((back.pattern_len(), back.fixed_len()), (cred.pattern_len(), cred.fixed_len()));
        assert_eq!(back.to_bytes(), cred.to_bytes());
        // Padding is part of the format: a non-zero pad byte is refused.
        let mut padded = cred.to_bytes().to_vec();
        *padded.last_mut().unwrap() ^= u8::from(cred.fixed_len() != 32);
        if padded != *cred.to_bytes() {
            assert!(PatternCredential::from_bytes(&padded).is_err());
        }
    }
    assert_eq!(lengths.len(), 1, "{lengths:?}");
}

#[test]
fn format_1_credential_bytes_still_read() {
    // Records sealed before format 2 open and re-serialise padded.
    let v1 = [1u8, 4, 2, 2, 1, 5, 5, 0, 6, 7, 2, 2, b'p', b'w'];
    let cred = PatternCredential::from_bytes(&v1).unwrap();
    assert_eq!((cred.pattern_len(), cred.fixed_len()), (4, 2));
    assert_eq!(cred.to_bytes()[0], 2);
    assert_eq!(PatternCredential::from_bytes(&cred.to_bytes()).unwrap().to_bytes(), cred.to_bytes());
}
