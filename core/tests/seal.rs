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
