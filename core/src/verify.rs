//! The constant-time answer check of pattern mode (SPEC §8).
//!
//! The pattern's cells, its length, the fixed string, its length and its
//! position are all secret. The check works on machine words, with one
//! optimisation barrier per secret value rather than one per byte:
//!
//! 1. The digit under each of the 16 possible pattern cells is read by
//!    scanning every 8-cell word of the matrix and keeping the one the cell
//!    lies in with a mask, then narrowing that word to its byte with a
//!    three-stage shifter driven by masks ([`crate::ct::lookup_byte`]). The
//!    loop over words is the same for every cell and the compiler
//!    vectorises it over the 16 slots.
//! 2. The expected response `digits[..p] ++ fixed ++ digits[p..L]` is built
//!    in a 64-byte buffer of eight words: the digits before `p` stay where
//!    they are; the fixed string is moved up by `p` bytes and the remaining
//!    digits by `F` bytes, each with a log-step (barrel) shifter whose stages
//!    move the whole buffer by 1, 2, 4, … bytes or not, chosen by a mask
//!    ([`crate::ct::shift_up`]).
//! 3. The typed answer, zero-padded to 64 bytes, is XORed with the expected
//!    one word by word; the lengths are compared with `subtle`, and the
//!    result becomes a `bool` once, at the very end (in the caller).
//!
//! No branch and no memory index depends on a secret. The work depends only
//! on public values: the grid's size and the typed response's length. Every
//! buffer that held a secret is wiped before returning; they are words, so
//! the wiping costs one store per eight bytes.

use core::hint::black_box;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

use crate::ct::{Words, lookup_byte, mask_lt, shift_up};
use crate::grid::Matrix;
use crate::nt::{MAX_NT_CHARS, NtProof, PasswordHashHash, md4_blocks, nt_matches};
use crate::pattern::{MAX_FIXED_LEN, MAX_PATTERN_LEN, MAX_RESPONSE_LEN, PatternCredential};

// The 64-byte buffers hold the longest response, with room to shift into.
const _: () = assert!(MAX_PATTERN_LEN + MAX_FIXED_LEN <= 64);

/// Eight bytes as a little-endian word (`bytes` shorter than 8: zero-padded).
fn word(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (o, i) in b.iter_mut().zip(bytes) {
        *o = *i;
    }
    u64::from_le_bytes(b)
}

/// The right response of `cred` to `matrix`, in eight words (zero past its
/// end), with its length and a mask that is all ones when every pattern
/// cell lies in the grid: steps 1 and 2 of the module's documentation. All
/// three are secrets; the work depends on the grid's size only.
#[inline]
fn expected(cred: &PatternCredential, matrix: &Matrix) -> (Words, u64, u64) {
    let geometry = matrix.geometry();
    let (rows, cols) = (geometry.rows() as u64, geometry.cols() as u64);
    // The barriers: the compiler learns nothing about the secrets it could
    // branch or index on.
    let len = black_box(cred.pattern_len() as u64);
    let fixed_len = black_box(cred.fixed_len() as u64);
    let fixed_at = black_box(cred.fixed_at() as u64);
    let mut cells = black_box(*cred.cell_array());

    // 1. Cell indices, whether every used slot's cell lies in this grid, and
    //    the digits under them.
    let mut index = [0u64; MAX_PATTERN_LEN];
    let mut outside = 0u64;
    for (i, (slot, cell)) in index.iter_mut().zip(cells.iter()).enumerate() {
        let (row, col) = (u64::from(cell.row), u64::from(cell.col));
        outside |= mask_lt(i as u64, len) & !(mask_lt(row, rows) & mask_lt(col, cols));
        *slot = row * cols + col;
    }
    let mut digits = lookup_byte(matrix.padded_digits(), geometry.cells(), &index);

    // 2. The expected response in eight words (byte j of the response is
    //    byte j % 8 of word j / 8): ASCII digits split at `p`, the fixed
    //    string, each moved into place.
    let (mut lo, mut hi, mut fixed): (Words, Words, Words) = ([0; 8], [0; 8], [0; 8]);
    for half in 0..2 {
        let mut before = 0u64;
        let mut used = 0u64;
        for b in 0..8u64 {
            let j = half * 8 + b;
            before |= (mask_lt(j, fixed_at) & 0xff) << (8 * b);
            used |= (mask_lt(j, len) & 0xff) << (8 * b);
        }
        let ascii = word(digits.get(half as usize * 8..).unwrap_or(&[])) | 0x3030_3030_3030_3030;
        if let (Some(l), Some(h)) = (lo.get_mut(half as usize), hi.get_mut(half as usize)) {
            *l = ascii & before;
            *h = ascii & used & !before;
        }
    }
    for (k, (f, chunk)) in fixed.iter_mut().zip(cred.fixed_array().chunks(8)).enumerate() {
        let mut keep = 0u64;
        for b in 0..8u64 {
            keep |= (mask_lt(k as u64 * 8 + b, fixed_len) & 0xff) << (8 * b);
        }
        *f = word(chunk) & keep;
    }
    // p ≤ 16 needs five stages (1, 2, 4, 8, 16 bytes); F ≤ 32 needs six.
    let mut moved_fixed = shift_up(&fixed, fixed_at, 5);
    let mut moved_hi = shift_up(&hi, fixed_len, 6);
    let mut out: Words = [0; 8];
    for (((o, l), f), h) in out.iter_mut().zip(&lo).zip(&moved_fixed).zip(&moved_hi) {
        *o = l | f | h;
    }

    for w in [&mut lo, &mut hi, &mut fixed, &mut moved_fixed, &mut moved_hi] {
        w.zeroize();
    }
    index.zeroize();
    digits.zeroize();
    cells.zeroize();
    (out, len + fixed_len, !outside)
}

/// Whether `typed` (already folded) is the right response to `matrix`.
///
/// Never inlined, so the instruction-count test (`scripts/ct-count.sh`) can
/// measure exactly this function under callgrind.
#[inline(never)]
pub(crate) fn response_matches(cred: &PatternCredential, matrix: &Matrix, typed: &[u8]) -> Choice {
    let (mut want, want_len, inside) = expected(cred, matrix);

    // 3. Compare the whole buffer and the lengths.
    let mut given: Words = [0; 8];
    for (g, chunk) in given.iter_mut().zip(typed.chunks(8)) {
        *g = word(chunk);
    }
    let mut diff = 0u64;
    for (w, g) in want.iter().zip(&given) {
        diff |= w ^ g;
    }
    let given_len = if typed.len() <= MAX_RESPONSE_LEN { typed.len() as u64 } else { u64::MAX };
    let same_len = given_len.ct_eq(&want_len);

    want.zeroize();
    given.zeroize();
    black_box(diff).ct_eq(&0) & same_len & (!inside).ct_eq(&0)
}

/// Whether `proof` is the MSCHAPv2 NT-Response of the right response to
/// `matrix` (SPEC §17): the expected response built as for
/// [`response_matches`], then hashed and encrypted as the peer did, in
/// constant time ([`crate::nt`]). The `PasswordHashHash` comes back in every
/// case; the caller hands it out only on success.
///
/// Never inlined, for the instruction-count test.
#[inline(never)]
pub(crate) fn nt_response_matches(
    cred: &PatternCredential,
    matrix: &Matrix,
    proof: &NtProof,
) -> (Choice, PasswordHashHash) {
    let (mut want, want_len, inside) = expected(cred, matrix);
    let mut ascii = Zeroizing::new([0u8; MAX_NT_CHARS]);
    for (chunk, w) in ascii.chunks_exact_mut(8).zip(want.iter()) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    want.zeroize();
    let (same, hash_hash) = nt_matches(&ascii, want_len, md4_blocks(MAX_RESPONSE_LEN), proof);
    (same & (!inside).ct_eq(&0), hash_hash)
}
