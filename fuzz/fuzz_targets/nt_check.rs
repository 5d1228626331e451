//! MSCHAPv2 (SPEC §17): the core's constant-time MD4 and DES equal the radius crate's reference
//! (RustCrypto's `md4` and table-based `des`) on any input, and `verify_pending_nt` accepts a
//! proof exactly when the answer it was made from is the right one, for any pattern, fixed
//! string and position the fuzzer builds; the `PasswordHashHash` comes back with `accepted`
//! only, and a replay is `stale`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::ct::testing;
use matrixauth::{Authenticator, Keyring, NtProof, Outcome, PatternCredential, Policy, UserState};
use matrixauth_radius::mschapv2 as reference;

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 {
        return;
    }
    let (head, rest) = data.split_at(24);
    // DES and ChallengeResponse against the reference.
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&head[..16]);
    let mut challenge = [0u8; 8];
    challenge.copy_from_slice(&head[16..24]);
    assert_eq!(testing::challenge_response(&challenge, &hash), reference::challenge_response(&challenge, &hash));

    // MD4 of any printable answer of up to 128 characters, over the fewest blocks and the most.
    let typed: String = rest.iter().take(128).map(|&b| char::from(0x21 + b % 94)).collect();
    let mut buf = [0u8; 128];
    for (d, s) in buf.iter_mut().zip(typed.bytes()) {
        *d = s;
    }
    let want = *reference::nt_password_hash(&typed);
    assert_eq!(testing::md4_utf16(&buf, typed.len() as u64, testing::md4_blocks(typed.len())), want);
    assert_eq!(testing::md4_utf16(&buf, typed.len() as u64, testing::md4_blocks(128)), want);

    // A credential from the input: up to 16 cells, a fixed string, its position.
    let cells: Vec<String> = rest
        .iter()
        .take(1 + usize::from(head[0] % 16))
        .map(|b| format!("{}{}", char::from(b'A' + (b >> 3) % 8), 1 + b % 8))
        .collect();
    let names: Vec<&str> = cells.iter().map(String::as_str).collect();
    let fixed: String = rest.iter().rev().take(usize::from(head[1] % 33)).map(|&b| char::from(0x21 + b % 94)).collect();
    let Ok(cred) = PatternCredential::from_names(&names, &fixed, usize::from(head[2]) % (names.len() + 1)) else {
        return;
    };
    let policy = Policy { min_pattern_len: 1, ..Policy::default() };
    let Ok(auth) = Authenticator::new(Keyring::new(&[7; 32], 1).unwrap(), policy) else { return };
    let mut state = UserState::new();
    let ch = auth.issue_challenge("alice", &mut state, 1_800_000_000).unwrap();
    let right = cred.respond(&ch).unwrap();
    // The right answer, or (by the input's choice) the typed string.
    let answer = if head[3] & 1 == 0 { right.to_string() } else { typed.chars().take(48).collect() };
    let nt_hash = reference::nt_password_hash(&answer);
    let proof = NtProof {
        authenticator_challenge: [head[4]; 16],
        peer_challenge: [head[5]; 16],
        user_name: b"alice".to_vec(),
        nt_response: reference::generate_nt_response(&[head[4]; 16], &[head[5]; 16], b"alice", &nt_hash),
    };
    let v = auth.verify_pending_nt("alice", &cred, &mut state, &proof, 1_800_000_001).unwrap();
    let should = answer == right.as_str();
    assert_eq!(v.verdict.outcome == Outcome::Accepted, should);
    assert_eq!(v.password_hash_hash.is_some(), should);
    if let Some(hh) = &v.password_hash_hash {
        assert_eq!(hh.as_bytes(), &*reference::hash_nt_password_hash(&nt_hash));
    }
    let again = auth.verify_pending_nt("alice", &cred, &mut state, &proof, 1_800_000_002).unwrap();
    assert_eq!(again.verdict.outcome, Outcome::Stale);
});
