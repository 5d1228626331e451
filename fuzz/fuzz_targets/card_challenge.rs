//! Cards: arbitrary card shapes, values and answers; only the right answer is accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::{Alphabet, Authenticator, GridCard, Keyring, Outcome, Policy, UserState, fold};

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(4));
    let b = |i: usize| head.get(i).copied().unwrap_or(0) as usize;
    let alphabet = if b(3) % 2 == 0 { Alphabet::Digits } else { Alphabet::Alnum };
    let text = String::from_utf8_lossy(rest);
    let (values, answer) = text.split_once('|').unwrap_or((&text, ""));
    let _ = GridCard::from_bytes(rest);
    let Ok(card) = GridCard::from_values("MX-FUZZ", 2 + b(0) % 8, 2 + b(1) % 8, 1 + b(2) % 3, alphabet, None, values)
    else {
        return;
    };
    let policy = Policy { card_challenge_cells: 1 + b(0) % 3, ..Policy::default() };
    let auth = Authenticator::new(Keyring::new(&[7; 32], 1).unwrap(), policy).unwrap();
    let mut state = UserState::new();
    let Ok(cc) = auth.issue_card_challenge("alice", &card, &mut state, 1_800_000_000) else { return };
    let right = card.respond(&cc).unwrap();
    let v = auth.verify_card("alice", &card, &mut state, &cc.token, answer, 1_800_000_001).unwrap();
    let folded = fold(answer).to_ascii_uppercase();
    assert_eq!(v.outcome == Outcome::Accepted, folded == right.to_ascii_uppercase());
});
