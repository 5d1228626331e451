//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use matrixauth::{Keyring, PatternCredential};
use serde_json::Value;

pub fn vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn keyring(name: &str) -> Keyring {
    let all = vectors("credentials.json");
    let spec = &all["keyrings"][name];
    let current = spec["current"].as_u64().unwrap() as u32;
    let keys = spec["keys"].as_array().unwrap();
    let key_of = |id: u32| unhex(keys.iter().find(|k| k["id"] == id).unwrap()["key"].as_str().unwrap());
    let mut ring = Keyring::new(&key_of(current), current).unwrap();
    for k in keys {
        let id = k["id"].as_u64().unwrap() as u32;
        if id != current {
            ring.add_verification_key(&key_of(id), id).unwrap();
        }
    }
    ring
}

pub fn credential(name: &str) -> PatternCredential {
    let all = vectors("credentials.json");
    let c = &all["credentials"][name];
    let cells: Vec<&str> = c["cells"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    PatternCredential::from_names(
        &cells,
        c["fixed"].as_str().unwrap(),
        c["fixed_at"].as_u64().unwrap() as usize,
    )
    .unwrap()
}

pub const KEY: [u8; 32] = [0x42; 32];

pub fn auth_with(policy: matrixauth::Policy) -> matrixauth::Authenticator {
    matrixauth::Authenticator::new(Keyring::new(&KEY, 1).unwrap(), policy).unwrap()
}

pub fn auth() -> matrixauth::Authenticator {
    auth_with(matrixauth::Policy::default())
}

pub fn six() -> PatternCredential {
    PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2).unwrap()
}
