//! Constant-time building blocks.
//!
//! Each helper replaces one plain operation (`==`, `<`, `if`, a slice index,
//! a shift by a secret amount) whose operands may be secret.
//! `tests/ct_helpers.rs` property-tests every helper against the plain
//! operation.
//!
//! The word helpers build masks (all ones or all zeros) arithmetically and
//! pass each secret-derived stage mask through `core::hint::black_box` once,
//! so the compiler cannot turn a select into a branch; they never index
//! memory by a secret.

use core::hint::black_box;

use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

/// A 64-byte buffer as eight little-endian words: byte `j` is byte `j % 8`
/// of word `j / 8`.
pub(crate) type Words = [u64; 8];

/// All ones if `a < b`, else zero (`a`, `b` below 2^63).
#[inline]
pub(crate) fn mask_lt(a: u64, b: u64) -> u64 {
    0u64.wrapping_sub(a.wrapping_sub(b) >> 63)
}

/// All ones if `a == b`, else zero (`a`, `b` below 2^63).
#[inline]
pub(crate) fn mask_eq(a: u64, b: u64) -> u64 {
    0u64.wrapping_sub((a ^ b).wrapping_sub(1) >> 63)
}

/// The words of a 64-byte buffer.
pub(crate) fn words_from(bytes: &[u8; 64]) -> Words {
    let mut out = [0u64; 8];
    for (w, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *w = u64::from_le_bytes(b);
    }
    out
}

/// `w` moved up by `N` bytes (a public constant), zero-filled from below;
/// bytes moved past the end are dropped. Straight-line code for each `N`.
#[inline]
fn shift_bytes<const N: usize>(w: &Words) -> Words {
    let (whole, bits) = (N / 8, (N % 8) * 8);
    let mut out = [0u64; 8];
    for (i, o) in out.iter_mut().enumerate() {
        let this = if i >= whole { w.get(i - whole).copied().unwrap_or(0) } else { 0 };
        *o = if bits == 0 {
            this
        } else {
            let below = if i > whole { w.get(i - whole - 1).copied().unwrap_or(0) } else { 0 };
            (this << bits) | (below >> (64 - bits))
        };
    }
    out
}

/// One stage of the barrel shifter: `cur` moved up by `N` bytes when bit
/// `N` of `amount` is set, else left; the mask passes one barrier.
#[inline]
fn stage<const N: usize>(cur: &mut Words, amount: u64) {
    let take = black_box(0u64.wrapping_sub((amount / N as u64) & 1));
    let mut moved = shift_bytes::<N>(cur);
    for (c, m) in cur.iter_mut().zip(moved.iter()) {
        *c = (*c & !take) | (m & take);
    }
    moved.zeroize();
}

/// `w` moved up by `amount` bytes, a secret below `2^stages` (`stages` is
/// 5 or 6, public): a log-step (barrel) shifter whose stage `s` moves the
/// whole buffer by `2^s` bytes or leaves it, chosen by a mask. The work is
/// the same for every amount.
pub(crate) fn shift_up(w: &Words, amount: u64, stages: u32) -> Words {
    let mut cur = *w;
    stage::<1>(&mut cur, amount);
    stage::<2>(&mut cur, amount);
    stage::<4>(&mut cur, amount);
    stage::<8>(&mut cur, amount);
    stage::<16>(&mut cur, amount);
    if stages > 5 {
        stage::<32>(&mut cur, amount);
    }
    cur
}

/// `table[index[i]]` for each of 16 secret indices, reading every 8-byte
/// word of `table[..len]` (rounded up to whole words) for every index: the
/// word an index falls in is kept with a mask, then narrowed to its byte by
/// a three-stage shifter on the index's low bits. `len` is public. An index
/// past the words read gives 0.
pub(crate) fn lookup_byte(table: &[u8; 256], len: usize, index: &[u64; 16]) -> [u8; 16] {
    let index = black_box(*index);
    let mut acc = [0u64; 16];
    for (j, chunk) in table.chunks_exact(8).take(len.div_ceil(8)).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let word = u64::from_le_bytes(b);
        for (a, &x) in acc.iter_mut().zip(index.iter()) {
            *a |= word & mask_eq(x >> 3, j as u64);
        }
    }
    let mut out = [0u8; 16];
    for ((o, &a), &x) in out.iter_mut().zip(acc.iter()).zip(index.iter()) {
        let mut v = a;
        for k in 0..3 {
            let take = 0u64.wrapping_sub((x >> k) & 1);
            v = (v & !take) | ((v >> (8 << k)) & take);
        }
        *o = v as u8;
    }
    out
}

/// Whether two byte strings of the same public length are equal, reading
/// every byte: the XOR of each pair is ORed into one word, compared once.
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> Choice {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    black_box(diff).ct_eq(&0) & (a.len() as u64).ct_eq(&(b.len() as u64))
}

/// Test-only access to the private helpers, for the property tests.
#[doc(hidden)]
pub mod testing {
    /// See the private helper of the same name.
    pub fn mask_lt(a: u64, b: u64) -> u64 {
        super::mask_lt(a, b)
    }
    /// See the private helper of the same name.
    pub fn mask_eq(a: u64, b: u64) -> u64 {
        super::mask_eq(a, b)
    }
    /// The private `shift_up` on a 64-byte buffer: the bytes moved up by `amount`.
    pub fn shift_up(bytes: &[u8; 64], amount: u64, stages: u32) -> [u8; 64] {
        let w = super::shift_up(&super::words_from(bytes), amount, stages);
        let mut out = [0u8; 64];
        for (chunk, word) in out.chunks_exact_mut(8).zip(w.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
    /// See the private helper of the same name.
    pub fn lookup_byte(table: &[u8; 256], len: usize, index: &[u64; 16]) -> [u8; 16] {
        super::lookup_byte(table, len, index)
    }
    /// See the private helper of the same name.
    pub fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
        bool::from(super::eq_bytes(a, b))
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
    /// The constant-time MD4 of `ascii[..len]` in UTF-16LE (the NT hash),
    /// compressed over `blocks` blocks.
    pub fn md4_utf16(ascii: &[u8; 128], len: u64, blocks: usize) -> [u8; 16] {
        *crate::nt::md4_utf16(ascii, len, blocks)
    }
    /// The MD4 blocks an answer of up to `max_chars` characters takes.
    pub fn md4_blocks(max_chars: usize) -> usize {
        crate::nt::md4_blocks(max_chars)
    }
    /// The constant-time DES encryption under seven key bytes.
    pub fn des_encrypt(seven: &[u8; 7], block: &[u8; 8]) -> [u8; 8] {
        crate::nt::des_encrypt(*seven, *block)
    }
    /// The constant-time RFC 2759 `ChallengeResponse`.
    pub fn challenge_response(challenge: &[u8; 8], nt_hash: &[u8; 16]) -> [u8; 24] {
        crate::nt::challenge_response(*challenge, nt_hash)
    }
    /// The constant-time MSCHAPv2 check of pattern mode, for the timing
    /// harnesses: whether `proof` answers `matrix`.
    pub fn nt_response_matches(
        credential: &crate::PatternCredential,
        matrix: &crate::Matrix,
        proof: &crate::NtProof,
    ) -> bool {
        bool::from(crate::verify::nt_response_matches(credential, matrix, proof).0)
    }
    /// The constant-time MSCHAPv2 check of card mode.
    pub fn card_nt_answer_matches(card: &crate::GridCard, cells: &[u8], proof: &crate::NtProof) -> bool {
        bool::from(card.nt_answer_matches(cells, proof).0)
    }
}
