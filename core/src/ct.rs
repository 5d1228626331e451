//! Constant-time building blocks over `subtle`.
//!
//! Each helper replaces one plain operation (`==`, `<`, `if`, a slice index)
//! whose operands may be secret. `tests/ct_helpers.rs` property-tests every
//! helper against the plain operation.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess};

/// `a == b` for `u16`, as a `Choice`.
#[inline]
pub(crate) fn eq16(a: u16, b: u16) -> Choice {
    a.ct_eq(&b)
}

/// `a < b` for `u16`, as a `Choice`.
#[inline]
pub(crate) fn lt16(a: u16, b: u16) -> Choice {
    a.ct_lt(&b)
}

/// `a >= b` for `u16`, as a `Choice`.
#[inline]
pub(crate) fn ge16(a: u16, b: u16) -> Choice {
    !a.ct_lt(&b)
}

/// `a > b` for `u16`, as a `Choice`.
#[inline]
pub(crate) fn gt16(a: u16, b: u16) -> Choice {
    a.ct_gt(&b)
}

/// `if choice { b } else { a }` for bytes.
#[inline]
pub(crate) fn select8(a: u8, b: u8, choice: Choice) -> u8 {
    u8::conditional_select(&a, &b, choice)
}

/// `table[index]` (0 when out of range) by reading every entry, so the
/// memory access pattern does not depend on `index`.
pub(crate) fn lookup(table: &[u8], index: u16) -> u8 {
    let mut out = 0u8;
    for (i, &v) in table.iter().enumerate() {
        out = select8(out, v, eq16(i as u16, index));
    }
    out
}

/// Test-only access to the private helpers, for the property tests.
#[doc(hidden)]
pub mod testing {
    /// See the private helper of the same name.
    pub fn eq16(a: u16, b: u16) -> bool {
        bool::from(super::eq16(a, b))
    }
    /// See the private helper of the same name.
    pub fn lt16(a: u16, b: u16) -> bool {
        bool::from(super::lt16(a, b))
    }
    /// See the private helper of the same name.
    pub fn ge16(a: u16, b: u16) -> bool {
        bool::from(super::ge16(a, b))
    }
    /// See the private helper of the same name.
    pub fn gt16(a: u16, b: u16) -> bool {
        bool::from(super::gt16(a, b))
    }
    /// See the private helper of the same name.
    pub fn select8(a: u8, b: u8, choice: bool) -> u8 {
        super::select8(a, b, subtle::Choice::from(u8::from(choice)))
    }
    /// See the private helper of the same name.
    pub fn lookup(table: &[u8], index: u16) -> u8 {
        super::lookup(table, index)
    }
    /// The constant-time card answer check, for the timing harnesses.
    pub fn card_answer_matches(card: &crate::GridCard, cells: &[u8], typed: &[u8]) -> bool {
        bool::from(card.answer_matches(cells, typed))
    }
    /// The constant-time answer check, for the timing harnesses.
    pub fn response_matches(
        credential: &crate::PatternCredential,
        matrix: &crate::Matrix,
        typed: &[u8],
    ) -> bool {
        bool::from(crate::verify::response_matches(credential, matrix, typed))
    }
}
