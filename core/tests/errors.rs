#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The stable error codes every frontend shares.

use std::collections::HashSet;

use matrixauth::{Error, PolicyViolation, TicketError, Weakness};

#[test]
fn error_codes_are_distinct_snake_case_and_stable() {
    let all = [
        Error::InvalidCellName,
        Error::CellOutOfRange,
        Error::InvalidGeometry,
        Error::InvalidPatternLength,
        Error::InvalidFixedString,
        Error::InvalidFixedPosition,
        Error::Policy(PolicyViolation::RepeatedCell),
        Error::WeakPattern(Weakness::Corners),
        Error::InvalidPolicy("x"),
        Error::InvalidUserId,
        Error::InvalidAudience,
        Error::InvalidKeyLength,
        Error::DuplicateKeyId,
        Error::UnknownKeyId,
        Error::Locked { locked_until: None },
        Error::OtherChallengePending { expires_at: 1 },
        Error::Format("x"),
        Error::Seal,
        Error::Ticket(TicketError::Replayed),
        Error::Random,
        Error::InvalidCard("x"),
        Error::CardExpired,
        Error::CardExhausted,
        Error::TooManyCards,
        Error::InvalidTime,
    ];
    let codes: Vec<&str> = all.iter().map(Error::code).collect();
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len(), "{codes:?}");
    assert!(codes.iter().all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    // The frontends document these names: they must not change.
    assert_eq!(Error::Locked { locked_until: Some(5) }.code(), "locked");
    assert_eq!(Error::WeakPattern(Weakness::StraightLine).code(), "weak_pattern");
    assert_eq!(PolicyViolation::TooShort { min: 6 }.as_str(), "too_short");
    assert_eq!(PolicyViolation::TooShort { min: 6 }.limit(), Some(6));
    assert_eq!(PolicyViolation::TooLong { max: 9 }.limit(), Some(9));
    assert_eq!(PolicyViolation::CellOutsideGrid.limit(), None);
}
