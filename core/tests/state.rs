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

fn ring() -> Keyring {
    Keyring::new(&KEY, 1).unwrap()
}

#[test]
fn every_bit_flip_truncation_and_extension_is_a_format_error() {
    let bytes = busy_state().to_bytes(&ring(), "alice").unwrap();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            assert!(
                matches!(UserState::from_bytes(&ring(), "alice", &b), Err(Error::Format(_))),
                "byte {i} bit {bit}"
            );
        }
    }
    for n in 0..bytes.len() {
        assert!(
            matches!(UserState::from_bytes(&ring(), "alice", &bytes[..n]), Err(Error::Format(_))),
            "truncated to {n}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(UserState::from_bytes(&ring(), "alice", &longer).is_err());
    assert!(UserState::from_bytes(&ring(), "alice", &vec![2; 1 << 16]).is_err());
}

#[test]
fn a_record_is_bound_to_its_user_and_its_keyring() {
    let st = busy_state();
    let bytes = st.to_bytes(&ring(), "alice").unwrap();
    assert_eq!(UserState::from_bytes(&ring(), "alice", &bytes).unwrap(), st);
    // Moved to another user's row.
    assert!(matches!(UserState::from_bytes(&ring(), "bob", &bytes), Err(Error::Format(_))));
    // Read under another keyring with the same key id.
    let other = Keyring::new(&[0x43; 32], 1).unwrap();
    assert!(matches!(UserState::from_bytes(&other, "alice", &bytes), Err(Error::Format(_))));
    // Under a key id the keyring does not hold.
    let two = Keyring::new(&KEY, 2).unwrap();
    assert!(matches!(UserState::from_bytes(&two, "alice", &bytes), Err(Error::Format(_))));
    assert_eq!(UserState::from_bytes(&ring(), "bad\nid", &bytes).unwrap_err(), Error::InvalidUserId);
    assert_eq!(st.to_bytes(&ring(), "").unwrap_err(), Error::InvalidUserId);
}

#[test]
fn a_database_writer_without_the_key_cannot_clear_a_lock() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..5 {
        let ch = auth.issue_challenge("alice", &mut st, T + k).unwrap();
        let _ = auth.verify("alice", &six(), &mut st, &ch.token, "0", T + k).unwrap();
    }
    assert!(st.lock_at(T + 10).is_some());
    let bytes = st.to_bytes(&ring(), "alice").unwrap();
    // Edit every counter and the lock in place (the layout is public, docs/FORMATS.md).
    for offset in 5..=(5 + 8 + 4 + 4 + 4 + 8) {
        let mut edited = bytes.clone();
        edited[offset] = 0;
        if edited != bytes {
            assert!(
                matches!(UserState::from_bytes(&ring(), "alice", &edited), Err(Error::Format(_))),
                "{offset}"
            );
        }
    }
    // Or write a fresh record with a key of its own: refused as well.
    let forged = UserState::new().to_bytes(&Keyring::new(&[0; 32], 1).unwrap(), "alice").unwrap();
    assert!(matches!(UserState::from_bytes(&ring(), "alice", &forged), Err(Error::Format(_))));
    // Another user's genuine unlocked record copied over alice's: refused.
    let bob = UserState::new().to_bytes(&ring(), "bob").unwrap();
    assert!(matches!(UserState::from_bytes(&ring(), "alice", &bob), Err(Error::Format(_))));
}

#[test]
fn an_older_key_still_reads_and_the_next_save_uses_the_current_key() {
    let st = busy_state();
    let old = st.to_bytes(&ring(), "alice").unwrap();
    assert_eq!(old[1..5], 1u32.to_be_bytes());
    let mut rotated = ring();
    rotated.rotate(&[0x44; 32], 2).unwrap();
    let back = UserState::from_bytes(&rotated, "alice", &old).unwrap();
    assert_eq!(back, st);
    let new = back.to_bytes(&rotated, "alice").unwrap();
    assert_eq!(new[1..5], 2u32.to_be_bytes());
    // Once the old key is removed, its records no longer load.
    rotated.remove_key(1).unwrap();
    assert!(matches!(UserState::from_bytes(&rotated, "alice", &old), Err(Error::Format(_))));
    assert_eq!(UserState::from_bytes(&rotated, "alice", &new).unwrap(), st);
}

#[test]
fn state_from_another_format_version_is_refused() {
    let st = busy_state();
    let bytes = st.to_bytes(&ring(), "alice").unwrap();
    assert_eq!(bytes[0], 2, "byte 0 is the format version");
    // A format-1 record (unkeyed checksum, anyone could write it) is refused for its version.
    let mut v1 = bytes.clone();
    v1[0] = 1;
    assert_eq!(
        UserState::from_bytes(&ring(), "alice", &v1).unwrap_err(),
        Error::Format("user state format 1 is unauthenticated and no longer read")
    );
    let mut v3 = bytes;
    v3[0] = 3;
    assert_eq!(
        UserState::from_bytes(&ring(), "alice", &v3).unwrap_err(),
        Error::Format("unknown user state format version")
    );
}

#[test]
fn persisted_state_continues_the_same_login() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let mut restored =
        UserState::from_bytes(&ring(), "alice", &st.to_bytes(&ring(), "alice").unwrap()).unwrap();
    let again = auth.issue_challenge("alice", &mut restored, T + 1).unwrap();
    assert_eq!(again.token, ch.token);
    let right = six().respond(&again).unwrap();
    assert!(auth.verify("alice", &six(), &mut restored, &ch.token, &right, T + 2).unwrap().accepted());
}
