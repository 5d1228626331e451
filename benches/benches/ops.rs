//! Criterion benchmarks: every operation, the cryptographic floor it cannot avoid, and a peer
//! (totp-rs). `scripts/bench.sh` runs them and prints the table with ratios.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use matrixauth_benches::Fixture;
use sha2::{Digest, Sha256};

/// What a peer sends for `typed`: the radius crate's reference MSCHAPv2.
fn nt_proof(typed: &str) -> mx::NtProof {
    let hash = radius::mschapv2::nt_password_hash(typed);
    mx::NtProof {
        authenticator_challenge: [3; 16],
        peer_challenge: [5; 16],
        user_name: b"alice".to_vec(),
        nt_response: radius::mschapv2::generate_nt_response(&[3; 16], &[5; 16], b"alice", &hash),
    }
}

fn operations(c: &mut Criterion) {
    let f = Fixture::new();
    let mut g = c.benchmark_group("op");
    g.bench_function("issue_challenge", |b| {
        b.iter_batched(
            mx::UserState::new,
            |mut s| f.auth.issue_challenge("alice", &mut s, f.now).unwrap(),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("verify_right", |b| {
        b.iter_batched(
            || f.pending.clone(),
            |mut s| f.auth.verify("alice", &f.cred, &mut s, &f.challenge.token, &f.right, f.now + 1).unwrap(),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("verify_wrong", |b| {
        b.iter_batched(
            || f.pending.clone(),
            |mut s| f.auth.verify("alice", &f.cred, &mut s, &f.challenge.token, &f.wrong, f.now + 1).unwrap(),
            BatchSize::SmallInput,
        );
    });
    // The constant-time answer check alone (the part of verify that touches the secret).
    g.bench_function("answer_check", |b| {
        b.iter(|| {
            mx::ct::testing::response_matches(&f.cred, &f.challenge.matrix, black_box(f.right.as_bytes()))
        });
    });
    // MSCHAPv2 (SPEC §17): the NT-Response of the right answer against the pending challenge,
    // the whole call and the constant-time check alone (MD4 over a secret length, three DES
    // keyed by the NT hash, the hash of the NT hash).
    let nt = nt_proof(&f.right);
    g.bench_function("nt_verify_right", |b| {
        b.iter_batched(
            || f.pending.clone(),
            |mut s| f.auth.verify_pending_nt("alice", &f.cred, &mut s, &nt, f.now + 1).unwrap(),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("nt_check", |b| {
        b.iter(|| mx::ct::testing::nt_response_matches(&f.cred, &f.challenge.matrix, black_box(&nt)));
    });
    g.bench_function("card_issue", |b| {
        b.iter_batched(
            mx::UserState::new,
            |mut s| f.auth.issue_card_challenge("alice", &f.card, &mut s, f.now).unwrap(),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("card_verify", |b| {
        b.iter_batched(
            || f.card_pending.clone(),
            |mut s| {
                f.auth
                    .verify_card("alice", &f.card, &mut s, &f.card_challenge.token, &f.card_right, f.now + 1)
                    .unwrap()
            },
            BatchSize::SmallInput,
        );
    });
    let bytes = f.pending.to_bytes(f.auth.keyring(), "alice").unwrap();
    g.bench_function("state_to_bytes", |b| {
        b.iter(|| black_box(&f.pending).to_bytes(f.auth.keyring(), "alice").unwrap());
    });
    g.bench_function("state_from_bytes", |b| {
        b.iter(|| mx::UserState::from_bytes(f.auth.keyring(), "alice", black_box(&bytes)).unwrap());
    });
    g.bench_function("seal", |b| b.iter(|| f.cred.seal(f.auth.keyring(), "alice").unwrap()));
    g.bench_function("open", |b| {
        b.iter(|| mx::PatternCredential::open(f.auth.keyring(), "alice", black_box(&f.sealed)).unwrap());
    });
    g.bench_function("ticket_issue", |b| {
        b.iter(|| f.auth.issue_ticket("alice", "vpn.example", f.now).unwrap());
    });
    // Steady state, as on an appliance: the clock advances one second per 100 logins, tickets
    // live 30 s, and the default 10,000-entry replay cache purges expired ids when it fills (a
    // cache that only grows would measure a hash map of millions of entries instead).
    let verifier = mx::TicketVerifier::new(f.auth.keyring().clone(), mx::TicketVerifier::DEFAULT_CAPACITY);
    let issued = std::cell::Cell::new(0u64);
    g.bench_function("ticket_redeem", |b| {
        b.iter_batched(
            || {
                let t = f.now + issued.get() / 100;
                issued.set(issued.get() + 1);
                (f.auth.issue_ticket("alice", "vpn.example", t).unwrap(), t)
            },
            |(ticket, t)| verifier.redeem(&ticket, "vpn.example", t + 1).unwrap(),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

/// The cryptographic work each operation cannot avoid, measured one primitive at a time.
/// HMAC with its key already set up (ipad/opad precomputed), as an implementation that caches
/// keyed state would pay.
fn floors(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor");
    let keyed = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&[7; 32]).unwrap();
    let msg = [0x5a_u8; 64];
    g.bench_function("hmac_sha256_64B", |b| {
        b.iter(|| {
            let mut m = keyed.clone();
            m.update(black_box(&msg));
            m.finalize().into_bytes()
        });
    });
    // Keyed HMACs of the exact message sizes the operations MAC (SHA-256 compressions in
    // brackets, the outer one included): a pattern token for "alice", 105 bytes [3]; the answer
    // digest of an 8-character answer, 51 bytes [2]; a user-state record with a challenge
    // pending, 128 bytes and more [4].
    for n in [51usize, 105, 128] {
        let msg = vec![0x5a_u8; n];
        g.bench_function(format!("hmac_sha256_{n}B"), |b| {
            b.iter(|| {
                let mut m = keyed.clone();
                m.update(black_box(&msg));
                m.finalize().into_bytes()
            });
        });
    }
    // The MSCHAPv2 work on an 8-character answer with RustCrypto's md4, sha1 and table-based
    // des (the radius crate's reference): the NT hash, the challenge hash and three DES, and the
    // hash of the NT hash. The constant-time check cannot do less.
    g.bench_function("mschapv2_rustcrypto", |b| {
        b.iter(|| {
            let hash = radius::mschapv2::nt_password_hash(black_box("63pw9387"));
            let response = radius::mschapv2::generate_nt_response(&[3; 16], &[5; 16], b"alice", &hash);
            (response, radius::mschapv2::hash_nt_password_hash(&hash))
        });
    });
    g.bench_function("sha256_64B", |b| b.iter(|| Sha256::digest(black_box(&msg))));
    g.bench_function("sha256_100B", |b| b.iter(|| Sha256::digest(black_box(&[1u8; 100]))));
    g.bench_function("chacha20_block", |b| {
        b.iter(|| {
            let mut c = chacha20::ChaCha20::new(&[1u8; 32].into(), &[0u8; 12].into());
            let mut block = [0u8; 64];
            c.apply_keystream(&mut block);
            block
        });
    });
    // The matrix of an 8×8 challenge: XChaCha20 (HChaCha20, then one 64-byte block, which
    // gives the 64 digits as nine digits per accepted 32-bit word).
    g.bench_function("xchacha20_64B", |b| {
        b.iter(|| {
            let mut c = chacha20::XChaCha20::new(&[1u8; 32].into(), &black_box([2u8; 24]).into());
            let mut block = [0u8; 64];
            c.apply_keystream(&mut block);
            block
        });
    });
    let aead = chacha20poly1305::XChaCha20Poly1305::new(&[3u8; 32].into());
    let nonce = [4u8; 24];
    let plain = [5u8; 32];
    let sealed = aead.encrypt(&nonce.into(), Payload { msg: &plain, aad: b"alice" }).unwrap();
    g.bench_function("aead_seal_32B", |b| {
        b.iter(|| aead.encrypt(&nonce.into(), Payload { msg: black_box(&plain), aad: b"alice" }).unwrap());
    });
    g.bench_function("aead_open_32B", |b| {
        b.iter(|| aead.decrypt(&nonce.into(), Payload { msg: black_box(&sealed), aad: b"alice" }).unwrap());
    });
    g.bench_function("os_random_24B", |b| {
        b.iter(|| {
            let mut buf = [0u8; 24];
            getrandom::fill(&mut buf).unwrap();
            buf
        });
    });
    g.bench_function("os_random_4B", |b| {
        b.iter(|| {
            let mut buf = [0u8; 4];
            getrandom::fill(&mut buf).unwrap();
            buf
        });
    });
    g.finish();
}

/// What an appliance or portal would otherwise use for one OTP check: RFC 6238 TOTP.
fn peers(c: &mut Criterion) {
    let mut g = c.benchmark_group("peer");
    // RFC 6238 defaults: SHA-1, 6 digits, 30 s steps, one step of skew either side.
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(vec![0x42; 20])
        .build()
        .unwrap();
    let t = 1_800_000_000;
    let code = totp.generate(t).to_string();
    g.bench_function("totp_rs_verify", |b| b.iter(|| assert!(totp.check(black_box(&code), t).is_some())));
    g.finish();
}

criterion_group!(benches, operations, floors, peers);
criterion_main!(benches);
