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
//! Challenges and tokens: re-issue, user binding, key rotation, tampering,
//! matrix distribution.

mod common;

use common::*;
use matrixauth::*;

const T: u64 = 1_800_000_000;

#[test]
fn reissue_returns_the_same_challenge_until_it_expires() {
    let auth = auth();
    let mut st = UserState::new();
    let first = auth.issue_challenge("alice", &mut st, T).unwrap();
    assert!(!first.is_reissue());
    for dt in [0, 1, 60, 179] {
        let again = auth.issue_challenge("alice", &mut st, T + dt).unwrap();
        assert!(again.is_reissue());
        assert_eq!(
            (again.token.as_str(), &again.matrix, again.seq),
            (first.token.as_str(), &first.matrix, first.seq)
        );
        assert_eq!(again.expires_at, T + 180);
    }
    let fresh = auth.issue_challenge("alice", &mut st, T + 180).unwrap();
    assert!(!fresh.is_reissue());
    assert_ne!(fresh.matrix, first.matrix);
    assert_eq!(fresh.seq, first.seq + 1);
}

#[test]
fn token_for_one_user_is_refused_for_another() {
    let auth = auth();
    let mut alice = UserState::new();
    let ch = auth.issue_challenge("alice", &mut alice, T).unwrap();
    let right = six().respond(&ch).unwrap();
    // Bob's state holds Alice's pending body (a host mixing up rows): still invalid.
    let mut bob = alice.clone();
    let v = auth.verify("bob", &six(), &mut bob, &ch.token, &right, T + 1).unwrap();
    assert_eq!(v.outcome, Outcome::Invalid);
    assert_eq!(bob, alice);
    assert_eq!(
        auth.verify("alice", &six(), &mut alice, &ch.token, &right, T + 1).unwrap().outcome,
        Outcome::Accepted
    );
}

#[test]
fn key_rotation_keeps_old_tokens_valid_until_their_expiry() {
    let old_ring = Keyring::new(&[1; 32], 1).unwrap();
    let mut new_ring = old_ring.clone();
    new_ring.rotate(&[2; 32], 2).unwrap();
    let old = Authenticator::new(old_ring, Policy::default()).unwrap();
    let new = Authenticator::new(new_ring.clone(), Policy::default()).unwrap();
    let mut st = UserState::new();
    let ch = old.issue_challenge("alice", &mut st, T).unwrap();
    // After rotation a refresh still shows the same challenge, signed by key 1.
    let again = new.issue_challenge("alice", &mut st, T + 1).unwrap();
    assert_eq!(again.token, ch.token);
    let right = six().respond(&ch).unwrap();
    assert_eq!(
        new.verify("alice", &six(), &mut st, &ch.token, &right, T + 2).unwrap().outcome,
        Outcome::Accepted
    );
    // New challenges are signed by key 2 and do not verify under key 1 alone.
    let ch2 = new.issue_challenge("alice", &mut st, T + 3).unwrap();
    let mut st_old = st.clone();
    let right2 = six().respond(&ch2).unwrap();
    assert_eq!(
        old.verify("alice", &six(), &mut st_old, &ch2.token, &right2, T + 4).unwrap().outcome,
        Outcome::Invalid
    );
    // Once key 1 is removed, its tokens are invalid.
    let mut st3 = UserState::new();
    let ch3 = old.issue_challenge("alice", &mut st3, T).unwrap();
    let mut pruned = new_ring;
    pruned.remove_key(1).unwrap();
    let pruned = Authenticator::new(pruned, Policy::default()).unwrap();
    let right3 = six().respond(&ch3).unwrap();
    assert_eq!(
        pruned.verify("alice", &six(), &mut st3, &ch3.token, &right3, T + 1).unwrap().outcome,
        Outcome::Invalid
    );
    // ... and issuing replaces the pending challenge with one it can sign.
    let replaced = pruned.issue_challenge("alice", &mut st3, T + 2).unwrap();
    assert!(!replaced.is_reissue());
}

#[test]
fn keyring_refuses_bad_keys() {
    assert_eq!(Keyring::new(&[0; 31], 1).unwrap_err(), Error::InvalidKeyLength);
    assert_eq!(Keyring::new(&[0; 33], 1).unwrap_err(), Error::InvalidKeyLength);
    let mut ring = Keyring::new(&[0; 32], 1).unwrap();
    assert_eq!(ring.add_verification_key(&[1; 32], 1), Err(Error::DuplicateKeyId));
    assert_eq!(ring.remove_key(1), Err(Error::InvalidPolicy("the signing key cannot be removed")));
    assert_eq!(ring.remove_key(9), Err(Error::UnknownKeyId));
    let a = Keyring::generate_key().unwrap();
    let b = Keyring::generate_key().unwrap();
    assert_ne!(*a, *b);
}

#[test]
fn every_single_character_change_of_a_token_is_invalid() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let right = six().respond(&ch).unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. ";
    let bytes = ch.token.as_bytes();
    for i in 0..bytes.len() {
        for &c in alphabet {
            if c == bytes[i] {
                continue;
            }
            let mut t = bytes.to_vec();
            t[i] = c;
            let t = String::from_utf8(t).unwrap();
            let mut s = st.clone();
            assert_eq!(
                auth.verify("alice", &six(), &mut s, &t, &right, T + 1).unwrap().outcome,
                Outcome::Invalid,
                "{i}"
            );
            assert_eq!(s, st);
        }
    }
    // Truncations and extensions too.
    for n in 0..bytes.len() {
        let mut s = st.clone();
        assert_eq!(
            auth.verify("alice", &six(), &mut s, &ch.token[..n], &right, T + 1).unwrap().outcome,
            Outcome::Invalid
        );
    }
    let mut s = st.clone();
    assert_eq!(
        auth.verify("alice", &six(), &mut s, &format!("{}A", ch.token), &right, T + 1).unwrap().outcome,
        Outcome::Invalid
    );
    let huge = "A".repeat(1 << 20);
    assert_eq!(auth.verify("alice", &six(), &mut s, &huge, &right, T + 1).unwrap().outcome, Outcome::Invalid);
}

#[test]
fn matrix_digits_are_uniform() {
    // Chi-square over 2,000 matrices (128,000 digits), 9 degrees of freedom:
    // the 99.99th percentile is 33.7; a biased sampler (e.g. byte % 10 without
    // rejection) gives about 50 at this sample size.
    let auth = auth_with(Policy { challenge_ttl: 1, retry_window: 0, ..Policy::default() });
    let mut st = UserState::new();
    let mut counts = [0u64; 10];
    for k in 0..2000 {
        let ch = auth.issue_challenge("alice", &mut st, T + 2 * k).unwrap();
        for &d in ch.matrix.digits() {
            counts[usize::from(d)] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / 10.0;
    let chi2: f64 = counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
    assert!(chi2 < 33.7, "chi-square {chi2} over {counts:?}");
}

#[test]
fn matrix_text_round_trips_and_rejects_junk() {
    let auth = auth_with(Policy { rows: 5, cols: 12, ..Policy::default() });
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let text = ch.matrix.render_text();
    assert_eq!(Matrix::parse_text(&text).unwrap(), ch.matrix);
    // A page's text with full-width digits and extra spacing.
    let wide: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
        .collect();
    assert_eq!(Matrix::parse_text(&wide).unwrap(), ch.matrix);
    for junk in ["", "hello", "1 2 3\n2 4 5 6", " 2 1 2\n 1 3 4", "1 a b"] {
        assert!(Matrix::parse_text(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn user_ids_are_checked() {
    let auth = auth();
    let mut st = UserState::new();
    for bad in ["", "a\nb", "tab\there", &"x".repeat(256)] {
        assert_eq!(auth.issue_challenge(bad, &mut st, T).unwrap_err(), Error::InvalidUserId);
        assert_eq!(auth.verify(bad, &six(), &mut st, "t", "r", T).unwrap_err(), Error::InvalidUserId);
        assert_eq!(auth.issue_ticket(bad, "vpn", T).unwrap_err(), Error::InvalidUserId);
    }
    assert_eq!(st, UserState::new());
    assert!(auth.issue_challenge(&"x".repeat(255), &mut st, T).is_ok());
    assert!(auth.issue_challenge("山田太郎", &mut UserState::new(), T).is_ok());
}

#[test]
fn extreme_clock_values_are_handled() {
    let auth = auth();
    for now in [0, 1, MAX_TIME - 1, MAX_TIME] {
        let mut st = UserState::new();
        let ch = auth.issue_challenge("alice", &mut st, now).unwrap();
        let right = six().respond(&ch).unwrap();
        assert_eq!(
            auth.verify("alice", &six(), &mut st, &ch.token, &right, now).unwrap().outcome,
            Outcome::Accepted
        );
        for _ in 0..5 {
            let ch = auth.issue_challenge("alice", &mut st, now).unwrap();
            let _ = auth.verify("alice", &six(), &mut st, &ch.token, "0", now).unwrap();
        }
        assert_eq!(st.locked_until(), now + 900);
    }
    for now in [MAX_TIME + 1, u64::MAX] {
        let mut st = UserState::new();
        assert_eq!(auth.issue_challenge("alice", &mut st, now).unwrap_err(), Error::InvalidTime);
        assert_eq!(auth.verify("alice", &six(), &mut st, "t", "r", now).unwrap_err(), Error::InvalidTime);
        assert_eq!(auth.unlock("alice", &mut st, now).unwrap_err(), Error::InvalidTime);
        assert_eq!(auth.issue_ticket("alice", "vpn", now).unwrap_err(), Error::InvalidTime);
        assert_eq!(st, UserState::new());
    }
    // A challenge issued with a clock far in the past is expired for a correct clock.
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, 0).unwrap();
    let right = six().respond(&ch).unwrap();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, &right, T).unwrap().outcome,
        Outcome::Expired
    );
}

#[test]
fn decoy_costs_the_same_path_and_never_accepts() {
    let auth = auth();
    let decoy = auth.decoy_credential().unwrap();
    assert_eq!(decoy.pattern_len(), 16);
    let mut st = UserState::new();
    let ch = auth.issue_challenge("nobody", &mut st, T).unwrap();
    let v = auth.verify("nobody", &decoy, &mut st, &ch.token, "123456", T + 1).unwrap();
    assert_eq!(v.outcome, Outcome::Rejected);
}

#[test]
fn shared_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Authenticator>();
    assert_send_sync::<TicketVerifier>();
    assert_send_sync::<Keyring>();
    assert_send_sync::<PatternCredential>();
    assert_send_sync::<GridCard>();
    assert_send_sync::<UserState>();
}
