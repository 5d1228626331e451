#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs
)]
//! The constant-time MSCHAPv2 check (SPEC §17): MD4 and DES against
//! RustCrypto's on random inputs, the whole against RFC 2759 §9.2 and the
//! radius crate's reference, and the verification's rules through the
//! public API (counting, locks, replay, decoys, cards).

mod common;

use des::Des;
use des::cipher::{BlockCipherEncrypt, KeyInit};
use matrixauth::ct::testing;
use matrixauth::*;
use matrixauth_radius::mschapv2 as reference;
use md4::{Digest, Md4};
use proptest::prelude::*;

const T: u64 = 1_800_000_000;

fn ascii_buffer(s: &[u8]) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[..s.len()].copy_from_slice(s);
    b
}

fn reference_md4_utf16(s: &[u8]) -> [u8; 16] {
    let wide: Vec<u8> = s.iter().flat_map(|&c| [c, 0]).collect();
    Md4::digest(&wide).into()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn md4_of_every_length_matches_rustcrypto(s in proptest::collection::vec(0x21u8..0x7f, 0..=128)) {
        let want = reference_md4_utf16(&s);
        let blocks = testing::md4_blocks(128);
        prop_assert_eq!(testing::md4_utf16(&ascii_buffer(&s), s.len() as u64, blocks), want);
        // The fewest blocks that hold this length give the same digest.
        prop_assert_eq!(testing::md4_utf16(&ascii_buffer(&s), s.len() as u64, testing::md4_blocks(s.len())), want);
    }

    #[test]
    fn des_matches_rustcrypto(key in any::<[u8; 7]>(), block in any::<[u8; 8]>()) {
        let bits = key.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let key8: [u8; 8] = core::array::from_fn(|i| (((bits >> (49 - 7 * i)) & 0x7f) as u8) << 1);
        let mut want = block.into();
        Des::new(&key8.into()).encrypt_block(&mut want);
        let want: [u8; 8] = want.into();
        prop_assert_eq!(testing::des_encrypt(&key, &block), want);
    }

    #[test]
    fn challenge_response_matches_the_reference(hash in any::<[u8; 16]>(), challenge in any::<[u8; 8]>()) {
        prop_assert_eq!(testing::challenge_response(&challenge, &hash), reference::challenge_response(&challenge, &hash));
    }
}

#[test]
fn md4_known_answers_rfc1320_and_the_fips_des_vector() {
    // RFC 1320 §A.5 works on bytes; an NT hash on UTF-16LE, so check the NT hash of RFC 2759 §9.2.
    assert_eq!(
        common::hex(&testing::md4_utf16(&ascii_buffer(b"clientPass"), 10, 2)),
        "44ebba8d5312b8d611474411f56989ae"
    );
    assert_eq!(
        common::hex(&testing::md4_utf16(&ascii_buffer(b""), 0, 1)),
        common::hex(&reference_md4_utf16(b""))
    );
    // FIPS 81 / the classic test: key 0x133457799BBCDFF1 (parity included) on 0x0123456789ABCDEF.
    let key8 = 0x1334_5779_9BBC_DFF1u64;
    let seven: [u8; 7] = core::array::from_fn(|i| {
        let bits = (0..8).fold(0u64, |acc, b| acc << 7 | ((key8 >> (57 - 8 * b)) & 0x7f));
        (bits >> (48 - 8 * i)) as u8
    });
    assert_eq!(
        u64::from_be_bytes(testing::des_encrypt(&seven, &0x0123_4567_89AB_CDEFu64.to_be_bytes())),
        0x85E8_1354_0F0A_B405
    );
}

/// RFC 2759 §9.2's values as a proof.
fn rfc_proof() -> NtProof {
    NtProof {
        authenticator_challenge: common::unhex("5B5D7C7D7B3F2F3E3C2C602132262628").try_into().unwrap(),
        peer_challenge: common::unhex("21402324255E262A28295F2B3A337C7E").try_into().unwrap(),
        user_name: b"User".to_vec(),
        nt_response: common::unhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF").try_into().unwrap(),
    }
}

#[test]
fn rfc2759_worked_example_through_the_reference_and_ours() {
    let p = rfc_proof();
    let hash = reference::nt_password_hash("clientPass");
    let ours = testing::md4_utf16(&ascii_buffer(b"clientPass"), 10, 2);
    assert_eq!(&ours, &*hash);
    assert_eq!(
        reference::generate_nt_response(&p.authenticator_challenge, &p.peer_challenge, &p.user_name, &hash),
        p.nt_response
    );
}

/// What a peer that typed `typed` sends for this challenge.
fn proof_of(typed: &str, auth_challenge: [u8; 16], user: &str) -> NtProof {
    let peer_challenge = [0x5a; 16];
    let hash = reference::nt_password_hash(typed);
    NtProof {
        authenticator_challenge: auth_challenge,
        peer_challenge,
        user_name: user.as_bytes().to_vec(),
        nt_response: reference::generate_nt_response(
            &auth_challenge,
            &peer_challenge,
            user.as_bytes(),
            &hash,
        ),
    }
}

fn setup() -> (Authenticator, PatternCredential) {
    let auth = Authenticator::new(Keyring::new(&[9u8; 32], 1).unwrap(), Policy::default()).unwrap();
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2).unwrap();
    (auth, cred)
}

#[test]
fn the_right_answer_is_accepted_with_the_references_keys_and_a_wrong_one_counts() {
    let (auth, cred) = setup();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let answer = cred.respond(&ch).unwrap();
    let proof = proof_of(&answer, [3; 16], "alice");
    let v = auth.verify_pending_nt("alice", &cred, &mut st, &proof, T + 5).unwrap();
    assert_eq!(v.verdict.outcome, Outcome::Accepted);
    let want = reference::hash_nt_password_hash(&reference::nt_password_hash(&answer));
    assert_eq!(v.password_hash_hash.as_ref().unwrap().as_bytes(), &*want);
    assert!(!format!("{v:?}").contains(&common::hex(&*want)));
    // Replayed: nothing pending any more.
    let again = auth.verify_pending_nt("alice", &cred, &mut st, &proof, T + 6).unwrap();
    assert_eq!(again.verdict.outcome, Outcome::Stale);
    assert!(again.password_hash_hash.is_none());

    // A wrong answer (one digit off), a wrong length, the fixed string elsewhere, the
    // right answer under another name or for another server challenge: all rejected and counted.
    let mut flipped = answer.to_string();
    let first = flipped.remove(0);
    flipped.insert(0, if first == '0' { '1' } else { '0' });
    let mut failures = 0;
    for (typed, challenge, name) in [
        (flipped.as_str(), [3u8; 16], "alice"),
        (&answer[..answer.len() - 1], [3; 16], "alice"),
        (&format!("{}0", answer.as_str()), [3; 16], "alice"),
        (&answer[..], [4; 16], "alice"),
        (&answer[..], [3; 16], "bob"),
    ] {
        let ch = auth.issue_challenge("alice", &mut st, T + 100 + failures).unwrap();
        let mut proof = proof_of(typed, challenge, name);
        proof.authenticator_challenge = [3; 16];
        proof.user_name = b"alice".to_vec();
        let _ = ch;
        let v = auth.verify_pending_nt("alice", &cred, &mut st, &proof, T + 101 + failures).unwrap();
        assert_eq!(v.verdict.outcome, Outcome::Rejected, "{typed:?} {challenge:?} {name}");
        assert!(v.password_hash_hash.is_none());
        failures += 1;
        assert_eq!(u64::from(st.failures_since_success()), failures);
    }
}

#[test]
fn full_width_digits_are_not_folded_for_mschapv2() {
    let (auth, cred) = setup();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let answer = cred.respond(&ch).unwrap();
    let wide: String = answer
        .chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap() } else { c })
        .collect();
    let v =
        auth.verify_pending_nt("alice", &cred, &mut st, &proof_of(&wide, [1; 16], "alice"), T + 1).unwrap();
    assert_eq!(v.verdict.outcome, Outcome::Rejected);
}

#[test]
fn locks_expiry_and_nothing_pending_follow_verify_pending() {
    let policy = Policy { max_consecutive_failures: 2, ..Policy::default() };
    let auth = Authenticator::new(Keyring::new(&[9u8; 32], 1).unwrap(), policy).unwrap();
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8"], "pw", 0).unwrap();
    let mut st = UserState::new();
    let nothing =
        auth.verify_pending_nt("alice", &cred, &mut st, &proof_of("x", [1; 16], "alice"), T).unwrap();
    assert_eq!(nothing.verdict.outcome, Outcome::Stale);
    for i in 0..2 {
        auth.issue_challenge("alice", &mut st, T + i * 10).unwrap();
        let v = auth
            .verify_pending_nt("alice", &cred, &mut st, &proof_of("0000", [1; 16], "alice"), T + i * 10 + 1)
            .unwrap();
        assert_eq!(v.verdict.outcome, Outcome::Rejected);
    }
    assert!(st.lock_at(T + 30).is_some());
    let locked =
        auth.verify_pending_nt("alice", &cred, &mut st, &proof_of("0000", [1; 16], "alice"), T + 30).unwrap();
    assert_eq!(locked.verdict.outcome, Outcome::Locked);

    // An answer after the challenge expired: `expired`, the challenge consumed.
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let answer = cred.respond(&ch).unwrap();
    let late = auth
        .verify_pending_nt("alice", &cred, &mut st, &proof_of(&answer, [1; 16], "alice"), ch.expires_at)
        .unwrap();
    assert_eq!(late.verdict.outcome, Outcome::Expired);
    assert!(late.password_hash_hash.is_none());
}

#[test]
fn a_card_answer_is_checked_exactly_as_printed() {
    let auth = Authenticator::new(Keyring::new(&[9u8; 32], 1).unwrap(), Policy::default()).unwrap();
    let spec =
        CardSpec { serial: Some("CARD-0001".into()), alphabet: Alphabet::Alnum, ..CardSpec::default() };
    let card = GridCard::generate(&spec).unwrap();
    let mut st = UserState::new();
    let ch = auth.issue_card_challenge("alice", &card, &mut st, T).unwrap();
    let answer = card.respond(&ch).unwrap();
    let v = auth
        .verify_card_pending_nt("alice", &card, &mut st, &proof_of(&answer, [2; 16], "alice"), T + 1)
        .unwrap();
    assert_eq!(v.verdict.outcome, Outcome::Accepted);
    assert!(v.password_hash_hash.is_some());
    // A pattern credential's check of a card challenge is `invalid`; a pattern challenge under a card too.
    let (_, cred) = setup();
    let ch = auth.issue_card_challenge("alice", &card, &mut st, T + 10).unwrap();
    let answer = card.respond(&ch).unwrap();
    let v = auth
        .verify_pending_nt("alice", &cred, &mut st, &proof_of(&answer, [2; 16], "alice"), T + 11)
        .unwrap();
    assert_eq!(v.verdict.outcome, Outcome::Invalid);
    // Lower case, when the card has letters, is a wrong answer here (the typed flow folds it).
    let lower = answer.to_ascii_lowercase();
    let v = auth
        .verify_card_pending_nt("alice", &card, &mut st, &proof_of(&lower, [2; 16], "alice"), T + 12)
        .unwrap();
    if lower == *answer {
        assert_eq!(v.verdict.outcome, Outcome::Accepted);
    } else {
        assert_eq!(v.verdict.outcome, Outcome::Rejected);
    }
}

#[test]
fn a_decoy_credential_costs_the_same_call_and_accepts_nothing_typed_by_a_guess() {
    let (auth, _) = setup();
    let decoy = auth.decoy_credential().unwrap();
    let mut st = UserState::new();
    auth.issue_challenge("nobody", &mut st, T).unwrap();
    let v = auth
        .verify_pending_nt("nobody", &decoy, &mut st, &proof_of("123456pw", [1; 16], "nobody"), T + 1)
        .unwrap();
    assert_eq!(v.verdict.outcome, Outcome::Rejected);
}
