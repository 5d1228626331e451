//! User state bytes. Arbitrary bytes never decode (they carry no valid tag) and never panic;
//! arbitrary content tagged as docs/FORMATS.md describes reaches the parser, and whatever
//! decodes re-encodes to the same bytes, under the same key, for the same user only.
#![no_main]
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use matrixauth::{Keyring, UserState};
use sha2::Sha256;

const KEY: [u8; 32] = [7; 32];

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// `content` (format byte and key id first) with the tag of docs/FORMATS.md for `user`.
fn tagged(content: &[u8], user: &str) -> Vec<u8> {
    let subkey = hmac(&KEY, &[b"matrixauth/v1/key/", b"state"]);
    let tag = hmac(&subkey, &[b"matrixauth/v2/state", &[user.len() as u8], user.as_bytes(), content]);
    [content, &tag].concat()
}

fuzz_target!(|data: &[u8]| {
    let ring = Keyring::new(&KEY, 1).unwrap();
    assert!(UserState::from_bytes(&ring, "alice", data).is_err(), "untagged bytes decoded: a forgery");
    let content = [&[2u8, 0, 0, 0, 1][..], data].concat();
    let bytes = tagged(&content, "alice");
    if let Ok(state) = UserState::from_bytes(&ring, "alice", &bytes) {
        let again = state.to_bytes(&ring, "alice").unwrap();
        assert_eq!(again, bytes, "the state encoding is not canonical");
        assert_eq!(UserState::from_bytes(&ring, "alice", &again).unwrap(), state);
        assert!(UserState::from_bytes(&ring, "bob", &again).is_err());
    }
});
