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
//! Property tests (proptest) over random credentials, matrices and states.

mod common;

use common::*;
use matrixauth::*;
use proptest::prelude::*;

const T: u64 = 1_800_000_000;

fn policy() -> Policy {
    Policy {
        min_pattern_len: 4,
        reject_weak_patterns: false,
        allow_repeated_cells: true,
        ..Policy::default()
    }
}

prop_compose! {
    fn credential()(cells in prop::collection::vec(0usize..64, 1..=16),
                    fixed in "[!-~]{0,32}",
                    at in any::<prop::sample::Index>()) -> (Vec<usize>, String, usize) {
        let at = at.index(cells.len() + 1);
        (cells, fixed, at)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn respond_then_verify_accepts_and_any_one_char_change_rejects(
        (cells, fixed, at) in credential(), pos in any::<prop::sample::Index>(), repl in "[!-~]"
    ) {
        let cred = PatternCredential::from_indices(&cells, 8, &fixed, at).unwrap();
        let auth = auth_with(policy());
        let mut st = UserState::new();
        let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
        let right = cred.respond(&ch).unwrap();
        prop_assert_eq!(right.len(), cells.len() + fixed.len());
        let mut st2 = st.clone();
        prop_assert_eq!(auth.verify("alice", &cred, &mut st2, &ch.token, &right, T + 1).unwrap().outcome, Outcome::Accepted);

        let i = pos.index(right.len());
        let mut wrong: Vec<char> = right.chars().collect();
        prop_assume!(wrong[i] != repl.chars().next().unwrap());
        wrong[i] = repl.chars().next().unwrap();
        let wrong: String = wrong.into_iter().collect();
        prop_assert_eq!(auth.verify("alice", &cred, &mut st, &ch.token, &wrong, T + 1).unwrap().outcome, Outcome::Rejected);
    }

    #[test]
    fn dropping_or_adding_a_character_rejects((cells, fixed, at) in credential(), extra in "[0-9]") {
        let cred = PatternCredential::from_indices(&cells, 8, &fixed, at).unwrap();
        let auth = auth_with(policy());
        for variant in 0..4 {
            let mut st = UserState::new();
            let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
            let right = cred.respond(&ch).unwrap().as_str().to_owned();
            let typed = match variant {
                0 => right[..right.len() - 1].to_owned(),
                1 => format!("{right}{extra}"),
                2 => format!("{right}\u{0}"),
                _ => format!("{extra}{right}"),
            };
            prop_assert_eq!(auth.verify("alice", &cred, &mut st, &ch.token, &typed, T + 1).unwrap().outcome, Outcome::Rejected);
        }
    }

    #[test]
    fn state_bytes_round_trip(ops in prop::collection::vec((0u8..5, 0u64..2000), 0..60)) {
        let auth = auth();
        let mut st = UserState::new();
        let mut now = T;
        let mut last_token = String::new();
        for (op, dt) in ops {
            now += dt;
            match op {
                0 | 1 => if let Ok(ch) = auth.issue_challenge("alice", &mut st, now) { last_token = ch.token; },
                2 => { let _ = auth.verify("alice", &six(), &mut st, &last_token, "12pw3456", now).unwrap(); }
                3 => { let _ = auth.unlock("alice", &mut st, now).unwrap(); }
                _ => if let Ok(ch) = auth.issue_challenge("alice", &mut st, now) {
                    let right = six().respond(&ch).unwrap();
                    let _ = auth.verify("alice", &six(), &mut st, &ch.token, &right, now).unwrap();
                },
            }
            let ring = Keyring::new(&KEY, 1).unwrap();
            let bytes = st.to_bytes(&ring, "alice").unwrap();
            let back = UserState::from_bytes(&ring, "alice", &bytes).unwrap();
            prop_assert_eq!(&back, &st);
            prop_assert_eq!(back.to_bytes(&ring, "alice").unwrap(), bytes);
        }
    }

    #[test]
    fn any_single_byte_change_of_a_token_is_invalid(index in any::<prop::sample::Index>(), xor in 1u8..=255) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let auth = auth();
        let mut st = UserState::new();
        let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
        let right = six().respond(&ch).unwrap();
        let mut raw = b64.decode(&ch.token).unwrap();
        let i = index.index(raw.len());
        raw[i] ^= xor;
        let forged = b64.encode(&raw);
        let before = st.clone();
        prop_assert_eq!(auth.verify("alice", &six(), &mut st, &forged, &right, T + 1).unwrap().outcome, Outcome::Invalid);
        prop_assert_eq!(st, before);
    }

    #[test]
    fn arbitrary_state_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = UserState::from_bytes(&Keyring::new(&KEY, 1).unwrap(), "alice", &bytes);
        let _ = PatternCredential::from_bytes(&bytes);
    }

    #[test]
    fn arbitrary_tokens_and_answers_never_panic(token in ".{0,200}", answer in ".{0,300}") {
        let auth = auth();
        let mut st = UserState::new();
        let _ = auth.issue_challenge("alice", &mut st, T).unwrap();
        let before = st.clone();
        let v = auth.verify("alice", &six(), &mut st, &token, &answer, T + 1).unwrap();
        prop_assert_eq!(v.outcome, Outcome::Invalid);
        prop_assert_eq!(st, before);
    }

    #[test]
    fn cell_names_round_trip(row in 0usize..26, col in 0usize..26) {
        let cell = Cell::new(row, col).unwrap();
        prop_assert_eq!(cell.to_string().parse::<Cell>().unwrap(), cell);
        prop_assert_eq!(cell.to_string().to_lowercase().parse::<Cell>().unwrap(), cell);
    }
}
