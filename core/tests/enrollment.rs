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
//! Enrollment: credential structure, policy checks, weak patterns, strength.

use matrixauth::*;

fn names(cells: &[&str]) -> PatternCredential {
    PatternCredential::from_names(cells, "", 0).unwrap()
}

fn check(policy: &Policy, cells: &[&str]) -> Result<()> {
    let auth = Authenticator::new(Keyring::new(&[1; 32], 1).unwrap(), policy.clone()).unwrap();
    auth.check_credential(&names(cells))
}

#[test]
fn structure_is_checked_at_construction() {
    assert_eq!(PatternCredential::from_names::<&str>(&[], "", 0).unwrap_err(), Error::InvalidPatternLength);
    assert_eq!(PatternCredential::from_names(&["A1"; 17], "", 0).unwrap_err(), Error::InvalidPatternLength);
    assert_eq!(PatternCredential::from_names(&["A1", "Q0"], "", 0).unwrap_err(), Error::InvalidCellName);
    assert_eq!(PatternCredential::from_names(&["A1", "B2"], "", 3).unwrap_err(), Error::InvalidFixedPosition);
    assert_eq!(
        PatternCredential::from_names(&["A1"], &"x".repeat(33), 0).unwrap_err(),
        Error::InvalidFixedString
    );
    for bad in ["a b\u{7f}", "é", "\u{0}", "tab\u{1}"] {
        assert_eq!(
            PatternCredential::from_names(&["A1"], bad, 0).unwrap_err(),
            Error::InvalidFixedString,
            "{bad:?}"
        );
    }
    // Full-width folds; white space disappears.
    let a = PatternCredential::from_names(&["A1"], "ｐｗ！ 1", 1).unwrap();
    let b = PatternCredential::from_names(&["A1"], "pw!1", 1).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.fixed_len(), 4);
    assert_eq!(
        PatternCredential::from_indices(&[0, 63], 8, "", 0).unwrap().to_bytes(),
        names(&["A1", "H8"]).to_bytes()
    );
    assert_eq!(PatternCredential::from_indices(&[0, 700], 26, "", 0).unwrap_err(), Error::CellOutOfRange);
    assert_eq!(PatternCredential::from_indices(&[0], 1, "", 0).unwrap_err(), Error::InvalidGeometry);
}

#[test]
fn policy_lengths_repeats_and_grid() {
    let p = Policy::default();
    assert_eq!(
        check(&p, &["B2", "G3", "D5", "A8", "H1"]),
        Err(Error::Policy(PolicyViolation::TooShort { min: 6 }))
    );
    assert_eq!(
        check(&p, &["B2", "G3", "D5", "A8", "H1", "B2"]),
        Err(Error::Policy(PolicyViolation::RepeatedCell))
    );
    assert_eq!(
        check(&p, &["B2", "G3", "D5", "A8", "H1", "I1"]),
        Err(Error::Policy(PolicyViolation::CellOutsideGrid))
    );
    assert_eq!(check(&p, &["B2", "G3", "D5", "A8", "H1", "E6"]), Ok(()));
    let short = Policy { max_pattern_len: 6, ..Policy::default() };
    assert_eq!(
        check(&short, &["B2", "G3", "D5", "A8", "H1", "E6", "C7"]),
        Err(Error::Policy(PolicyViolation::TooLong { max: 6 }))
    );
    let repeats = Policy { allow_repeated_cells: true, ..Policy::default() };
    assert_eq!(check(&repeats, &["B2", "G3", "D5", "A8", "H1", "B2"]), Ok(()));
}

#[test]
fn weak_patterns_are_refused() {
    let p = Policy { min_pattern_len: 4, allow_repeated_cells: true, ..Policy::default() };
    let weak =
        |cells: &[&str], w: Weakness| assert_eq!(check(&p, cells), Err(Error::WeakPattern(w)), "{cells:?}");
    // Rows, columns, diagonals, either way, any order on the line.
    weak(&["A1", "B1", "C1", "D1", "E1", "F1"], Weakness::StraightLine);
    weak(&["F3", "E3", "D3", "C3"], Weakness::StraightLine);
    weak(&["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"], Weakness::StraightLine);
    weak(&["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8"], Weakness::StraightLine);
    weak(&["H1", "G2", "F3", "E4"], Weakness::StraightLine);
    weak(&["A1", "C1", "E1", "G1"], Weakness::StraightLine);
    weak(&["B1", "D1", "A1", "H1"], Weakness::StraightLine);
    // Constant step at another slope (a knight's line).
    weak(&["A1", "B3", "C5", "D7"], Weakness::StraightLine);
    // Corners, in any order.
    weak(&["A1", "H1", "H8", "A8"], Weakness::Corners);
    weak(&["H8", "A1", "A8", "H1", "A1", "H8"], Weakness::Corners);
    // Solid rectangles walked in a raster order.
    weak(&["A1", "B1", "A2", "B2"], Weakness::Rectangle);
    weak(&["C3", "D3", "E3", "C4", "D4", "E4"], Weakness::Rectangle);
    weak(&["C3", "C4", "D3", "D4", "E3", "E4"], Weakness::Rectangle);
    weak(&["E4", "D4", "C4", "E3", "D3", "C3"], Weakness::Rectangle);
    weak(&["F5", "G5", "H5", "F6", "G6", "H6", "F7", "G7", "H7"], Weakness::Rectangle);
    // One cell repeated.
    weak(&["D4", "D4", "D4", "D4"], Weakness::SingleCell);
    // Not weak: a scattered pattern, and a rectangle in a non-raster order.
    assert_eq!(check(&p, &["B2", "G3", "D5", "A8"]), Ok(()));
    assert_eq!(check(&p, &["A1", "B2", "A2", "B1"]), Ok(()));
    // Switched off: accepted.
    let off = Policy { reject_weak_patterns: false, ..p.clone() };
    assert_eq!(check(&off, &["A1", "B1", "C1", "D1"]), Ok(()));
}

#[test]
fn touch_every_block_when_configured() {
    let p = Policy { require_every_block: true, min_pattern_len: 4, ..Policy::default() };
    // Four 4x4 blocks: A-D/1-4, E-H/1-4, A-D/5-8, E-H/5-8.
    assert_eq!(check(&p, &["B2", "G3", "D5", "H7"]), Ok(()));
    assert_eq!(check(&p, &["B2", "G3", "D5", "C7"]), Err(Error::WeakPattern(Weakness::MissesBlock)));
    let uneven = Policy {
        rows: 6,
        cols: 6,
        block_rows: 4,
        block_cols: 4,
        require_every_block: true,
        min_pattern_len: 4,
        ..Policy::default()
    };
    assert_eq!(check(&uneven, &["A1", "E2", "B5", "F6"]), Ok(()));
    assert_eq!(check(&uneven, &["A1", "E2", "B5", "D4"]), Err(Error::WeakPattern(Weakness::MissesBlock)));
}

#[test]
fn policy_validation() {
    assert!(Policy::default().validate().is_ok());
    assert!(Policy { retry_window: 0, ..Policy::default() }.validate().is_ok());
    assert!(Policy { retry_window: 180, ..Policy::default() }.validate().is_ok());
    let bad = [
        Policy { rows: 1, ..Policy::default() },
        Policy { rows: 27, ..Policy::default() },
        Policy { rows: 20, cols: 20, ..Policy::default() },
        Policy { min_pattern_len: 3, ..Policy::default() },
        Policy { max_pattern_len: 17, ..Policy::default() },
        Policy { min_pattern_len: 8, max_pattern_len: 7, ..Policy::default() },
        Policy { challenge_ttl: 0, retry_window: 0, ..Policy::default() },
        Policy { retry_window: 181, ..Policy::default() },
        Policy { challenge_ttl: 20, ..Policy::default() },
        Policy { max_consecutive_failures: 0, ..Policy::default() },
        Policy { lockout_seconds: 0, ..Policy::default() },
        Policy { lockout_seconds: 100, max_lockout_seconds: 99, ..Policy::default() },
        Policy { max_total_failures: 0, ..Policy::default() },
        Policy { block_rows: 0, ..Policy::default() },
        Policy { card_challenge_cells: 0, ..Policy::default() },
        Policy { ticket_ttl: 0, ..Policy::default() },
        Policy { rows: 2, cols: 2, min_pattern_len: 5, block_rows: 2, block_cols: 2, ..Policy::default() },
    ];
    for p in bad {
        assert!(matches!(p.validate(), Err(Error::InvalidPolicy(_))), "{p:?}");
        assert!(Authenticator::new(Keyring::new(&[1; 32], 1).unwrap(), p).is_err());
    }
}

#[test]
fn strength_numbers_match_the_spec_reference() {
    // SPEC §3: 8x8, L = 4: about 2,900 candidates after one observed login, about 7 after two.
    let c1 = expected_candidates(64, 4, 1);
    let c2 = expected_candidates(64, 4, 2);
    assert!((2800.0..3000.0).contains(&c1), "{c1}");
    assert!((6.5..7.5).contains(&c2), "{c2}");
    assert_eq!(observations_to_unique(64, 4), 3);
    let p = Policy { min_pattern_len: 4, ..Policy::default() };
    let s = Strength::for_length(&p, 4);
    assert_eq!(s.pattern_space, 64.0 * 63.0 * 62.0 * 61.0);
    assert!((s.guess_probability - 1e-4).abs() < 1e-12);
    assert!((s.online_success_before_permanent_lock - (1.0 - 0.9999f64.powi(100))).abs() < 1e-12);
    let auth = Authenticator::new(Keyring::new(&[1; 32], 1).unwrap(), Policy::default()).unwrap();
    let six = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2).unwrap();
    let s6 = auth.strength(&six);
    assert_eq!(s6.pattern_len, 6);
    assert!((s6.pattern_space_bits - (64.0f64 * 63.0 * 62.0 * 61.0 * 60.0 * 59.0).log2()).abs() < 1e-9);
    let repeats = Policy { allow_repeated_cells: true, ..Policy::default() };
    assert_eq!(Strength::for_length(&repeats, 6).pattern_space, 64f64.powi(6));
}

#[test]
fn strength_of_hostile_inputs_is_finite() {
    let huge = Policy { rows: usize::MAX, cols: usize::MAX, ..Policy::default() };
    for len in [0, 1, 17, usize::MAX] {
        let s = Strength::for_length(&huge, len);
        assert!((1..=16).contains(&s.pattern_len));
        assert!(s.guess_probability > 0.0 && s.guess_probability <= 0.1);
    }
    assert_eq!(Strength::for_length(&Policy::default(), usize::MAX).pattern_len, 16);
}

#[test]
fn expected_candidates_agree_with_simulation() {
    // Monte Carlo with a fixed seed: count 4-cell patterns (repeats allowed)
    // consistent with one random observation, against the formula.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let trials = 400;
    let mut total = 0.0;
    for _ in 0..trials {
        let m: Vec<u8> = (0..64).map(|_| (next() % 10) as u8).collect();
        let pattern: Vec<usize> = (0..4).map(|_| (next() % 64) as usize).collect();
        let product: f64 = pattern.iter().map(|&p| m.iter().filter(|&&d| d == m[p]).count() as f64).product();
        total += product;
    }
    let mean = total / f64::from(trials);
    let formula = expected_candidates(64, 4, 1);
    assert!((mean / formula - 1.0).abs() < 0.15, "simulated {mean}, formula {formula}");
}
