#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]
//! The checks of `fuzz/fuzz_targets/eap_decode.rs`, run by `cargo test` over valid packets, all
//! their truncations and one-byte changes, and pseudo-random bytes: the fuzz target's body is
//! compiled and exercised on every test run, not only when fuzzing.

use matrixauth_radius::eap::EapCode;

include!("../../fuzz/fuzz_targets/eap_checks.rs");

/// The fuzz target's body.
fn fuzz_one(data: &[u8]) {
    check_eap(data);
}

fn seeds() -> Vec<Vec<u8>> {
    let challenge = MsChapV2::Challenge { id: 1, challenge: [0x5b; 16], name: b"matrixauth".to_vec() };
    let response = MsChapV2::Response {
        id: 1,
        peer_challenge: [0x21; 16],
        nt_response: [0x82; 24],
        flags: 0,
        name: b"User".to_vec(),
    };
    let mut seeds = vec![
        challenge.encode().unwrap(),
        response.encode().unwrap(),
        challenge.to_eap(EapCode::Request, 9).unwrap().encode().unwrap(),
        response.to_eap(EapCode::Response, 9).unwrap().encode().unwrap(),
        MsChapV2::FailureRequest { id: 2, message: mschapv2::failure_message(&[1; 16], "no") }
            .encode()
            .unwrap(),
        EapPacket::response(3, EapType::Nak, &[6, 26]).encode().unwrap(),
        EapPacket::success(4).encode().unwrap(),
        mschapv2::encrypt_mppe_key(b"fuzzing secret 16+", &[3; 16], 0x8001, &[7; 16]).unwrap(),
        vec![0, 5, 1, 0, 0, 5, 1, 0, 5, 1, 2, 3, 4, 5, 1, 0],
    ];
    // xorshift: reproducible pseudo-random inputs of every length up to 600.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for len in (0..600).step_by(7) {
        seeds.push(
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect(),
        );
    }
    seeds
}

#[test]
fn fuzz_target_checks_hold_on_seeds_truncations_and_flips() {
    for seed in seeds() {
        fuzz_one(&seed);
        for n in 0..seed.len() {
            fuzz_one(&seed[..n]);
        }
        for i in 0..seed.len().min(64) {
            for bit in [0x01u8, 0x80] {
                let mut s = seed.clone();
                s[i] ^= bit;
                fuzz_one(&s);
            }
        }
    }
}
