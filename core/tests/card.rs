#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs,
    clippy::needless_pass_by_value
)]
//! Grid-card mode (SPEC §4) through the public API.

mod common;

use std::collections::HashSet;

use common::*;
use matrixauth::*;

const T: u64 = 1_800_000_000;

fn card(spec: CardSpec) -> GridCard {
    GridCard::generate(&CardSpec { serial: Some("CARD-0001".into()), ..spec }).unwrap()
}

fn answer(auth: &Authenticator, c: &GridCard, st: &mut UserState, now: u64, right: bool) -> Outcome {
    let ch = auth.issue_card_challenge("alice", c, st, now).unwrap();
    let mut typed = c.respond(&ch).unwrap().as_str().to_owned();
    if !right {
        let first = typed.remove(0);
        typed.insert(0, if first == '0' { '1' } else { '0' });
    }
    auth.verify_card("alice", c, st, &ch.token, &typed, now).unwrap().outcome
}

#[test]
fn single_use_card_serves_floor_cells_over_k_challenges_then_is_exhausted() {
    for k in [1, 3, 4, 5] {
        let auth = auth_with(Policy { card_challenge_cells: k, ..Policy::default() });
        let c = card(CardSpec::default());
        let mut st = UserState::new();
        let mut seen = HashSet::new();
        let total = 64 / k;
        for i in 0..total {
            let ch = auth.issue_card_challenge("alice", &c, &mut st, T + i as u64).unwrap();
            assert_eq!(ch.cells.len(), k);
            assert_eq!(ch.remaining, Some((total - 1 - i) as u32), "k={k} step {i}");
            for cell in &ch.cells {
                assert!(seen.insert(*cell), "cell {cell} asked twice");
            }
            let typed = c.respond(&ch).unwrap();
            assert_eq!(
                auth.verify_card("alice", &c, &mut st, &ch.token, &typed, T + i as u64).unwrap().outcome,
                Outcome::Accepted
            );
            assert_eq!(st.card_cells_used("CARD-0001"), (i + 1) * k);
        }
        let before = st.clone();
        assert_eq!(
            auth.issue_card_challenge("alice", &c, &mut st, T + 999).unwrap_err(),
            Error::CardExhausted
        );
        assert_eq!(st, before, "exhaustion changes nothing");
    }
}

#[test]
fn refresh_shows_the_same_cells_and_answering_uses_them() {
    let auth = auth();
    let c = card(CardSpec::default());
    let mut st = UserState::new();
    let first = auth.issue_card_challenge("alice", &c, &mut st, T).unwrap();
    assert!(!first.is_reissue());
    assert_eq!(st.card_cells_used("CARD-0001"), 0, "shown cells are not used until answered");
    for dt in [1, 50, 179] {
        let again = auth.issue_card_challenge("alice", &c, &mut st, T + dt).unwrap();
        assert!(again.is_reissue());
        assert_eq!(
            (again.token.as_str(), &again.cells, again.remaining),
            (first.token.as_str(), &first.cells, first.remaining)
        );
    }
    let typed = c.respond(&first).unwrap();
    assert!(auth.verify_card("alice", &c, &mut st, &first.token, &typed, T + 2).unwrap().accepted());
    assert_eq!(st.card_cells_used("CARD-0001"), 3);
    let next = auth.issue_card_challenge("alice", &c, &mut st, T + 3).unwrap();
    assert!(!next.is_reissue());
    assert!(next.cells.iter().all(|cell| !first.cells.contains(cell)));
    // A challenge that expires unanswered gives its cells back.
    let later = auth.issue_card_challenge("alice", &c, &mut st, next.expires_at).unwrap();
    assert!(!later.is_reissue());
    assert_eq!(st.card_cells_used("CARD-0001"), 3);
    // An answer after expiry (`expired`) uses them: the values were typed.
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &later.token, "12 34 56", later.expires_at).unwrap().outcome,
        Outcome::Expired
    );
    assert_eq!(st.card_cells_used("CARD-0001"), 6);
    // A wrong answer uses them too.
    assert_eq!(answer(&auth, &c, &mut st, later.expires_at + 1, false), Outcome::Rejected);
    assert_eq!(st.card_cells_used("CARD-0001"), 9);
}

#[test]
fn asking_without_answering_never_exhausts_a_card() {
    // Review finding 3: 21 unanswered challenges used to exhaust a card.
    let auth = auth();
    let c = card(CardSpec::default());
    let mut st = UserState::new();
    let mut t = T;
    for _ in 0..100 {
        let ch = auth.issue_card_challenge("alice", &c, &mut st, t).unwrap();
        assert_eq!(ch.remaining, Some(20));
        t = ch.expires_at;
    }
    assert_eq!(st.card_cells_used("CARD-0001"), 0);
    assert_eq!(answer(&auth, &c, &mut st, t, true), Outcome::Accepted);
}

#[test]
fn a_refresh_across_two_cards_shows_no_new_cells() {
    // Review finding 4: issuing for card A, then B, then A within one
    // lifetime showed fresh cells each time.
    let auth = auth();
    let a = card(CardSpec::default());
    let b =
        GridCard::generate(&CardSpec { serial: Some("CARD-0002".into()), ..CardSpec::default() }).unwrap();
    let mut st = UserState::new();
    let first = auth.issue_card_challenge("alice", &a, &mut st, T).unwrap();
    let before = st.clone();
    assert_eq!(
        auth.issue_card_challenge("alice", &b, &mut st, T + 1).unwrap_err(),
        Error::OtherChallengePending { expires_at: first.expires_at }
    );
    assert_eq!(st, before, "refused, nothing changed");
    let again = auth.issue_card_challenge("alice", &a, &mut st, T + 2).unwrap();
    assert!(again.is_reissue());
    assert_eq!(again.cells, first.cells);
    // Once A's challenge expired, B can be asked.
    let ch_b = auth.issue_card_challenge("alice", &b, &mut st, first.expires_at).unwrap();
    assert_eq!(ch_b.serial, "CARD-0002");
    assert_eq!((st.card_cells_used("CARD-0001"), st.card_cells_used("CARD-0002")), (0, 0));
}

#[test]
fn wrong_card_answers_count_toward_lockout_like_pattern_mode() {
    let auth = auth();
    let c = card(CardSpec::default());
    let mut st = UserState::new();
    for k in 1..=4 {
        assert_eq!(answer(&auth, &c, &mut st, T + k, false), Outcome::Rejected);
        assert_eq!(st.consecutive_failures(), k as u32);
    }
    assert_eq!(answer(&auth, &c, &mut st, T + 5, false), Outcome::Rejected);
    assert_eq!(st.locked_until(), T + 5 + 900);
    assert_eq!(
        auth.issue_card_challenge("alice", &c, &mut st, T + 6).unwrap_err(),
        Error::Locked { locked_until: Some(T + 905) }
    );
    assert_eq!(answer(&auth, &c, &mut st, T + 905, true), Outcome::Accepted);
    assert_eq!((st.failures_since_success(), st.lock_level()), (0, 0));
}

#[test]
fn card_outcomes_duplicate_stale_expired_invalid() {
    let auth = auth();
    let c = card(CardSpec::default());
    let other =
        GridCard::generate(&CardSpec { serial: Some("CARD-0002".into()), ..CardSpec::default() }).unwrap();
    let mut st = UserState::new();
    let ch = auth.issue_card_challenge("alice", &c, &mut st, T).unwrap();
    let typed = c.respond(&ch).unwrap();
    let mut bob = st.clone();
    assert_eq!(
        auth.verify_card("bob", &c, &mut bob, &ch.token, &typed, T + 1).unwrap().outcome,
        Outcome::Invalid
    );
    // A token of another card is invalid and changes nothing (review finding 5).
    let before = st.clone();
    assert_eq!(
        auth.verify_card("alice", &other, &mut st, &ch.token, &typed, T + 1).unwrap().outcome,
        Outcome::Invalid
    );
    assert_eq!(st, before);
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, &typed, T + 1).unwrap().outcome,
        Outcome::Invalid
    );
    assert_eq!(st, before);
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &ch.token, &typed, T + 1).unwrap().outcome,
        Outcome::Accepted
    );
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &ch.token, &typed, T + 2).unwrap().outcome,
        Outcome::Duplicate
    );
    // Within the retry window another answer is a counted failure; after it, stale.
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &ch.token, "0000", T + 3).unwrap().outcome,
        Outcome::Rejected
    );
    assert_eq!(st.consecutive_failures(), 1);
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &ch.token, "0000", T + 31).unwrap().outcome,
        Outcome::Stale
    );
    let ch = auth.issue_card_challenge("alice", &c, &mut st, T + 40).unwrap();
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &ch.token, "x", ch.expires_at).unwrap().outcome,
        Outcome::Expired
    );
    assert_eq!(st.consecutive_failures(), 1);
}

#[test]
fn alnum_cards_have_no_look_alikes_and_answers_fold() {
    let auth = auth();
    let c = card(CardSpec { alphabet: Alphabet::Alnum, cell_len: 3, ..CardSpec::default() });
    let text: String = (0..64)
        .map(|i| c.value(Geometry::default().cell_at(i).unwrap()).unwrap().as_str().to_owned())
        .collect();
    assert_eq!(text.len(), 192);
    for bad in ['O', '0', 'I', '1', 'L', 'l', 'o', 'i'] {
        assert!(!text.contains(bad), "{bad}");
    }
    let mut st = UserState::new();
    for (k, transform) in [
        |s: &str| s.to_lowercase(),
        |s: &str| s.chars().map(|ch| char::from_u32(ch as u32 + 0xFEE0).unwrap()).collect(),
        |s: &str| s.chars().flat_map(|ch| [ch, ' ']).collect(),
    ]
    .into_iter()
    .enumerate()
    {
        let ch = auth.issue_card_challenge("alice", &c, &mut st, T + k as u64).unwrap();
        let typed = transform(c.respond(&ch).unwrap().as_str());
        assert!(
            auth.verify_card("alice", &c, &mut st, &ch.token, &typed, T + k as u64).unwrap().accepted(),
            "{typed}"
        );
    }
}

#[test]
fn non_single_use_policy_repeats_cells_and_never_exhausts() {
    let auth = auth_with(Policy { card_single_use: false, card_challenge_cells: 16, ..Policy::default() });
    let c = card(CardSpec { rows: 4, cols: 4, ..CardSpec::default() });
    let mut st = UserState::new();
    for i in 0..10 {
        let ch = auth.issue_card_challenge("alice", &c, &mut st, T + i).unwrap();
        assert_eq!(ch.remaining, None);
        assert_eq!(ch.cells.iter().collect::<HashSet<_>>().len(), 16, "distinct within a challenge");
        let typed = c.respond(&ch).unwrap();
        assert!(auth.verify_card("alice", &c, &mut st, &ch.token, &typed, T + i).unwrap().accepted());
    }
}

#[test]
fn expired_card_is_refused_with_its_own_error_after_the_token_and_lock_checks() {
    let auth = auth();
    let c = card(CardSpec { expires_at: Some(T + 100), ..CardSpec::default() });
    let mut st = UserState::new();
    let ch = auth.issue_card_challenge("alice", &c, &mut st, T + 99).unwrap();
    let typed = c.respond(&ch).unwrap();
    let before = st.clone();
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &ch.token, &typed, T + 100).unwrap_err(),
        Error::CardExpired
    );
    assert_eq!(st, before);
    // A forged token with an expired card: invalid (review finding 5).
    let mut forged = ch.token.clone().into_bytes();
    forged[12] = if forged[12] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(
        auth.verify_card("alice", &c, &mut st, &forged, &typed, T + 100).unwrap().outcome,
        Outcome::Invalid
    );
    // Without a token the pending record names the challenge, as a token would.
    assert_eq!(
        auth.verify_card_pending("alice", &c, &mut st, &typed, T + 100).unwrap_err(),
        Error::CardExpired
    );
    assert_eq!(st, before);
    assert_eq!(auth.issue_card_challenge("alice", &c, &mut st, T + 100).unwrap_err(), Error::CardExpired);
    assert!(c.render_text().contains("expires 2027-01-15"));

    // A locked user with an expired card: locked.
    let fresh = card(CardSpec { expires_at: Some(T + 500), ..CardSpec::default() });
    let mut st = UserState::new();
    let mut last = None;
    for k in 0..5 {
        let ch = auth.issue_card_challenge("alice", &fresh, &mut st, T + k).unwrap();
        assert_eq!(
            auth.verify_card("alice", &fresh, &mut st, &ch.token, "x", T + k).unwrap().outcome,
            Outcome::Rejected
        );
        last = Some(ch);
    }
    let ch = last.unwrap();
    assert!(st.lock_at(T + 500).is_some());
    assert_eq!(
        auth.verify_card("alice", &fresh, &mut st, &ch.token, "x", T + 500).unwrap().outcome,
        Outcome::Locked
    );
    assert_eq!(
        auth.issue_card_challenge("alice", &fresh, &mut st, T + 500).unwrap_err(),
        Error::Locked { locked_until: Some(st.locked_until()) }
    );
}

#[test]
fn modes_do_not_supersede_each_other() {
    let auth = auth();
    let c = card(CardSpec::default());
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    assert_eq!(
        auth.issue_card_challenge("alice", &c, &mut st, T + 1).unwrap_err(),
        Error::OtherChallengePending { expires_at: ch.expires_at }
    );
    let mut st = UserState::new();
    let cc = auth.issue_card_challenge("alice", &c, &mut st, T).unwrap();
    assert_eq!(
        auth.issue_challenge("alice", &mut st, T + 1).unwrap_err(),
        Error::OtherChallengePending { expires_at: cc.expires_at }
    );
    // Another card waits until the pending challenge of the first expires.
    let replacement =
        GridCard::generate(&CardSpec { serial: Some("CARD-0002".into()), ..CardSpec::default() }).unwrap();
    assert_eq!(
        auth.issue_card_challenge("alice", &replacement, &mut st, T + 2).unwrap_err(),
        Error::OtherChallengePending { expires_at: cc.expires_at }
    );
    let new = auth.issue_card_challenge("alice", &replacement, &mut st, cc.expires_at).unwrap();
    assert_eq!(new.serial, "CARD-0002");
    assert_eq!(st.tracked_cards(), ["CARD-0001", "CARD-0002"]);
}

#[test]
fn at_most_four_cards_are_tracked_until_one_is_forgotten() {
    let auth = auth();
    let mut st = UserState::new();
    for i in 0..4 {
        let c =
            GridCard::generate(&CardSpec { serial: Some(format!("C{i}")), ..CardSpec::default() }).unwrap();
        answer(&auth, &c, &mut st, T + i, true);
    }
    let fifth = GridCard::generate(&CardSpec { serial: Some("C4".into()), ..CardSpec::default() }).unwrap();
    assert_eq!(auth.issue_card_challenge("alice", &fifth, &mut st, T + 10).unwrap_err(), Error::TooManyCards);
    let v = st.version();
    assert!(st.forget_card("C0"));
    assert_eq!(st.version(), v + 1);
    assert!(!st.forget_card("C0"));
    assert_eq!(answer(&auth, &fifth, &mut st, T + 11, true), Outcome::Accepted);
    let ring = Keyring::new(&KEY, 1).unwrap();
    let bytes = st.to_bytes(&ring, "alice").unwrap();
    assert_eq!(UserState::from_bytes(&ring, "alice", &bytes).unwrap(), st);
}

#[test]
fn svg_parses_and_shows_every_value_and_the_serial() {
    for spec in [
        CardSpec { serial: Some("MX-<&\"'>-1".into()), expires_at: Some(T), ..CardSpec::default() },
        CardSpec { rows: 10, cols: 12, cell_len: 4, alphabet: Alphabet::Alnum, ..CardSpec::default() },
        CardSpec { rows: 16, cols: 16, cell_len: 1, ..CardSpec::default() },
    ] {
        let c = GridCard::generate(&spec).unwrap();
        let svg = c.render_svg();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("85.6mm"));
        let texts: Vec<&str> =
            doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
        assert!(texts.contains(&c.serial()), "{:?}", c.serial());
        let g = c.geometry();
        let mut values: Vec<String> =
            (0..g.cells()).map(|i| c.value(g.cell_at(i).unwrap()).unwrap().as_str().to_owned()).collect();
        for t in &texts {
            if let Some(p) = values.iter().position(|v| v == t) {
                values.swap_remove(p);
            }
        }
        assert!(values.is_empty(), "values missing from the SVG: {values:?}");
        if spec.expires_at.is_some() {
            assert!(texts.iter().any(|t| t.contains("2027-01-15")));
        }
    }
}

#[test]
fn text_rendering_has_letters_numbers_and_values() {
    let c = GridCard::from_values("S-1", 2, 3, 2, Alphabet::Digits, None, "12 34 56\n78 90 12").unwrap();
    assert_eq!(&*c.render_text(), "Grid card S-1\n     A  B  C\n 1  12 34 56\n 2  78 90 12\n");
    assert_eq!(c.value_of("C2").unwrap().as_str(), "12");
}

#[test]
fn card_construction_is_checked() {
    let bad = |r: Result<GridCard>| {
        assert!(matches!(r, Err(Error::InvalidCard(_) | Error::InvalidGeometry)), "{r:?}");
    };
    bad(GridCard::from_values("S", 2, 2, 2, Alphabet::Digits, None, "1234567"));
    bad(GridCard::from_values("S", 2, 2, 2, Alphabet::Digits, None, "123456AB"));
    bad(GridCard::from_values("S", 2, 2, 2, Alphabet::Alnum, None, "ABCDEFG0"));
    bad(GridCard::from_values("", 2, 2, 1, Alphabet::Digits, None, "1234"));
    bad(GridCard::from_values("S", 2, 2, 9, Alphabet::Digits, None, &"1".repeat(36)));
    bad(GridCard::from_values("S", 1, 2, 1, Alphabet::Digits, None, "12"));
    bad(GridCard::generate(&CardSpec { cell_len: 0, ..CardSpec::default() }));
    assert!(GridCard::from_values("S", 2, 2, 2, Alphabet::Alnum, None, "abcdefgh").is_ok());
    let random = GridCard::generate(&CardSpec::default()).unwrap();
    assert!(random.serial().starts_with("MX-") && random.serial().len() == 12, "{}", random.serial());
    assert_eq!(Alphabet::from_name("alnum").unwrap(), Alphabet::Alnum);
    assert!(Alphabet::from_name("hex").is_err());
}

#[test]
fn cards_seal_like_credentials_and_never_print_values() {
    let ring = Keyring::new(&KEY, 1).unwrap();
    let c = card(CardSpec { expires_at: Some(T), alphabet: Alphabet::Alnum, ..CardSpec::default() });
    let sealed = c.seal(&ring, "alice").unwrap();
    let back = GridCard::open(&ring, "alice", &sealed).unwrap();
    assert_eq!(back.to_bytes(), c.to_bytes());
    assert_eq!(GridCard::open(&ring, "bob", &sealed).unwrap_err(), Error::Seal);
    assert!(PatternCredential::open(&ring, "alice", &sealed).is_err(), "a card is not a credential");
    assert!(GridCard::open(&ring, "alice", &six().seal(&ring, "alice").unwrap()).is_err());
    let marked = GridCard::from_values("CARD-0001", 2, 2, 2, Alphabet::Alnum, None, "QXQXQXQX").unwrap();
    let debug = format!("{marked:?} {marked:#?} {c:?}");
    assert!(!debug.contains("QX"), "{debug}");
    assert!(debug.contains("CARD-0001"));
    for i in 0..c.to_bytes().len() {
        let mut b = c.to_bytes().to_vec();
        b.truncate(i);
        assert!(GridCard::from_bytes(&b).is_err());
    }
}

#[test]
fn card_verify_is_safe_against_hostile_answers() {
    let auth = auth();
    let c = card(CardSpec::default());
    let mut st = UserState::new();
    for typed in ["", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}", &"9".repeat(129), &"9".repeat(10_000), "ｚ"] {
        let ch = auth.issue_card_challenge("alice", &c, &mut st, T).unwrap();
        assert_eq!(
            auth.verify_card("alice", &c, &mut st, &ch.token, typed, T).unwrap().outcome,
            Outcome::Rejected
        );
        auth.unlock("alice", &mut st, T).unwrap();
    }
}
