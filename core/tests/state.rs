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
//! User-state bytes: any corruption is a format error, never another state.

mod common;

use common::*;
use matrixauth::*;
use sha2::Digest as _;

const T: u64 = 1_800_000_000;

fn busy_state() -> UserState {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..3 {
        let ch = auth.issue_challenge("alice", &mut st, T + k).unwrap();
        let _ = auth.verify("alice", &six(), &mut st, &ch.token, "0", T + k).unwrap();
    }
    let _ = auth.issue_challenge("alice", &mut st, T + 10).unwrap();
    st
}

#[test]
fn every_bit_flip_truncation_and_extension_is_a_format_error() {
    let bytes = busy_state().to_bytes();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            assert!(matches!(UserState::from_bytes(&b), Err(Error::Format(_))), "byte {i} bit {bit}");
        }
    }
    for n in 0..bytes.len() {
        assert!(matches!(UserState::from_bytes(&bytes[..n]), Err(Error::Format(_))), "truncated to {n}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(UserState::from_bytes(&longer).is_err());
    assert!(UserState::from_bytes(&vec![0; 1 << 16]).is_err());
}

#[test]
fn state_from_another_format_version_is_refused() {
    let st = busy_state();
    let bytes = st.to_bytes();
    assert_eq!(bytes[0], 1, "byte 0 is the format version");
    // Re-checksum a version-2 record: refused for its version, not its checksum.
    let mut v2 = bytes[..bytes.len() - 8].to_vec();
    v2[0] = 2;
    let mut h = sha2::Sha256::new();
    h.update(b"matrixauth/v1/state");
    h.update(&v2);
    v2.extend_from_slice(&h.finalize()[..8]);
    assert_eq!(UserState::from_bytes(&v2).unwrap_err(), Error::Format("unknown user state format version"));
}

#[test]
fn persisted_state_continues_the_same_login() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let mut restored = UserState::from_bytes(&st.to_bytes()).unwrap();
    let again = auth.issue_challenge("alice", &mut restored, T + 1).unwrap();
    assert_eq!(again.token, ch.token);
    let right = six().respond(&again).unwrap();
    assert!(auth.verify("alice", &six(), &mut restored, &ch.token, &right, T + 2).unwrap().accepted());
}
