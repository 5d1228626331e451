//! The constant-time answer check of pattern mode (SPEC §8).
//!
//! The pattern's cells, its length, the fixed string, its length and its
//! position are all secret. The check therefore
//! 1. reads the digit under each of the 16 possible pattern cells by scanning
//!    the whole matrix with constant-time selects ([`crate::ct::lookup`]);
//! 2. builds the expected response in a buffer of fixed capacity (48 bytes)
//!    by choosing, for every output position, among all 16 digits and all 32
//!    fixed-string bytes with selects;
//! 3. compares the whole capacity and the lengths with `subtle`, and turns
//!    the result into a `bool` once, at the very end (in the caller).
//!
//! The work done depends only on public values: the grid's size and whether
//! the typed response fits the capacity.

use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::ct::{eq16, ge16, lookup, lt16, select8};
use crate::grid::Matrix;
use crate::pattern::{MAX_FIXED_LEN, MAX_PATTERN_LEN, MAX_RESPONSE_LEN, PatternCredential};

/// Whether `typed` (already folded) is the right response to `matrix`.
///
/// Never inlined, so the instruction-count test (`scripts/ct-count.sh`) can
/// measure exactly this function under callgrind.
#[inline(never)]
pub(crate) fn response_matches(cred: &PatternCredential, matrix: &Matrix, typed: &[u8]) -> Choice {
    let geometry = matrix.geometry();
    let rows = geometry.rows() as u16;
    let cols = geometry.cols() as u16;
    let len = cred.pattern_len() as u16;
    let fixed_len = cred.fixed_len() as u16;
    let fixed_at = cred.fixed_at() as u16;

    // 1. The digits under every pattern slot, and whether the used slots'
    //    cells lie in this grid.
    let mut digits = Zeroizing::new([0u8; MAX_PATTERN_LEN]);
    let mut in_grid = Choice::from(1);
    for (i, (cell, digit)) in cred.cell_array().iter().zip(digits.iter_mut()).enumerate() {
        let (row, col) = (u16::from(cell.row), u16::from(cell.col));
        let used = lt16(i as u16, len);
        in_grid &= !used | (lt16(row, rows) & lt16(col, cols));
        *digit = b'0' + lookup(matrix.digits(), row * cols + col);
    }

    // 2. The expected response: digits[..p] ++ fixed ++ digits[p..len].
    let mut expected = Zeroizing::new([0u8; MAX_RESPONSE_LEN]);
    for (j, out) in expected.iter_mut().enumerate() {
        let j = j as u16;
        let mut acc = 0u8;
        for (i, &d) in digits.iter().enumerate() {
            let i = i as u16;
            let before = eq16(i, j) & lt16(j, fixed_at);
            let after = eq16(i + fixed_len, j) & ge16(j, fixed_at + fixed_len) & lt16(j, len + fixed_len);
            acc = select8(acc, d, before | after);
        }
        for (k, &f) in cred.fixed_array().iter().enumerate().take(MAX_FIXED_LEN) {
            let k = k as u16;
            acc = select8(acc, f, eq16(k + fixed_at, j) & lt16(k, fixed_len));
        }
        *out = acc;
    }

    // 3. Compare the full capacity and the lengths.
    let mut given = Zeroizing::new([0u8; MAX_RESPONSE_LEN]);
    let fits = typed.len() <= MAX_RESPONSE_LEN;
    let n = typed.len().min(MAX_RESPONSE_LEN);
    if let (Some(dst), Some(src)) = (given.get_mut(..n), typed.get(..n)) {
        dst.copy_from_slice(src);
    }
    let given_len = if fits { typed.len() as u16 } else { u16::MAX };
    given.as_slice().ct_eq(expected.as_slice()) & eq16(given_len, len + fixed_len) & in_grid
}
