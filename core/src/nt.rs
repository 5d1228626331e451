//! The constant-time MSCHAPv2 check (RFC 2759) of a pending challenge
//! (SPEC §17): for an IKEv2 gateway that speaks EAP-MSCHAPv2 to RADIUS.
//!
//! The peer never sends the answer, only an NT-Response: three DES
//! encryptions of an 8-byte challenge hash under keys cut from the NT hash
//! (MD4 of the answer in UTF-16LE). So the check derives the one right
//! answer of the pending challenge, hashes it as the peer did, and compares
//! the 24 bytes. Everything on that path is a secret: the answer, its length
//! (the pattern's and the fixed string's), the NT hash, the DES keys.
//!
//! - **MD4** ([`md4_utf16`]) works on 32-bit words: additions, rotations by
//!   constants and Boolean functions. The answer's length is secret, so the
//!   message is always compressed over the same public number of blocks,
//!   with its padding placed by masks, and the state after the right block
//!   is kept with a mask.
//! - **DES** ([`des_encrypt`]) permutes bits by public positions. Its
//!   S-boxes, usually table lookups indexed by key-dependent bits, are here
//!   truth tables of 64 bits, one per output bit, narrowed to the bit the
//!   6-bit input names by a six-stage shifter driven by masks: no memory
//!   access and no shift amount depends on a secret.
//!
//! No branch depends on a secret either; the work depends on public values
//! only (the number of MD4 blocks, fixed per mode or by the card's public
//! cells). `tests/nt.rs` checks MD4 and DES against RustCrypto's `md4` and
//! `des` on random inputs, and the whole against RFC 2759 §9.2.

use core::fmt;
use core::hint::black_box;

use sha1::{Digest, Sha1};
use subtle::Choice;
use zeroize::{Zeroize, Zeroizing};

use crate::ct::{mask_eq, mask_lt};

/// What the peer's MSCHAPv2 Response proves (RFC 2759 §4): with the two
/// challenges and the name, an NT-Response computed from the answer it
/// typed. `Debug` never prints the NT-Response: with the challenges it lets
/// a short answer be searched offline.
#[derive(Clone, PartialEq, Eq)]
pub struct NtProof {
    /// The server's 16-byte challenge (the EAP-MSCHAPv2 Challenge sent).
    pub authenticator_challenge: [u8; 16],
    /// The peer's 16-byte challenge, from its Response.
    pub peer_challenge: [u8; 16],
    /// The user name as the peer hashed it (RFC 2759 `ChallengeHash`: the
    /// name without any domain).
    pub user_name: Vec<u8>,
    /// The 24-byte NT-Response.
    pub nt_response: [u8; 24],
}

impl fmt::Debug for NtProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NtProof")
            .field("user_name", &String::from_utf8_lossy(&self.user_name))
            .finish_non_exhaustive()
    }
}

impl NtProof {
    /// RFC 2759 §8.2 `ChallengeHash`: the first 8 bytes of
    /// SHA-1(peer challenge ‖ authenticator challenge ‖ user name). Public.
    pub(crate) fn challenge_hash(&self) -> [u8; 8] {
        let mut h = Sha1::new();
        h.update(self.peer_challenge);
        h.update(self.authenticator_challenge);
        h.update(&self.user_name);
        let digest = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        out
    }
}

/// The RFC 2759 `PasswordHashHash` (MD4 of the NT hash) of the accepted
/// answer: what the authenticator response (RFC 2759 §8.7) and the MPPE
/// keys (RFC 3079 §3.4) are derived from. Wiped on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHashHash(Zeroizing<[u8; 16]>);

impl PasswordHashHash {
    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for PasswordHashHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHashHash(…)")
    }
}

/// The longest answer hashed here, in ASCII characters: a card answer
/// (16 cells of 8 characters); a pattern answer is at most 48.
pub(crate) const MAX_NT_CHARS: usize = 128;

/// MD4 blocks an answer of up to `max_chars` ASCII characters takes once
/// widened to UTF-16LE and padded (public).
pub(crate) const fn md4_blocks(max_chars: usize) -> usize {
    (2 * max_chars + 8) / 64 + 1
}

const MAX_BLOCKS: usize = md4_blocks(MAX_NT_CHARS);

const MD4_R2: [usize; 16] = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const MD4_R3: [usize; 16] = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const MD4_S1: [u32; 4] = [3, 7, 11, 19];
const MD4_S2: [u32; 4] = [3, 5, 9, 13];
const MD4_S3: [u32; 4] = [3, 9, 11, 15];

/// The MD4 compression function (RFC 1320 §3.4) on one 16-word block.
fn md4_compress(state: &mut [u32; 4], block: &[u32; 16]) {
    let [mut wa, mut wb, mut wc, mut wd] = *state;
    for (&word, &shift) in block.iter().zip(MD4_S1.iter().cycle()) {
        let f = (wb & wc) | (!wb & wd);
        let t = wa.wrapping_add(f).wrapping_add(word).rotate_left(shift);
        (wa, wb, wc, wd) = (wd, t, wb, wc);
    }
    for (&k, &shift) in MD4_R2.iter().zip(MD4_S2.iter().cycle()) {
        let word = block.get(k).copied().unwrap_or(0);
        let g = (wb & wc) | (wb & wd) | (wc & wd);
        let t = wa.wrapping_add(g).wrapping_add(word).wrapping_add(0x5A82_7999).rotate_left(shift);
        (wa, wb, wc, wd) = (wd, t, wb, wc);
    }
    for (&k, &shift) in MD4_R3.iter().zip(MD4_S3.iter().cycle()) {
        let word = block.get(k).copied().unwrap_or(0);
        let h = wb ^ wc ^ wd;
        let t = wa.wrapping_add(h).wrapping_add(word).wrapping_add(0x6ED9_EBA1).rotate_left(shift);
        (wa, wb, wc, wd) = (wd, t, wb, wc);
    }
    for (s, v) in state.iter_mut().zip([wa, wb, wc, wd]) {
        *s = s.wrapping_add(v);
    }
}

const MD4_IV: [u32; 4] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476];

/// MD4 of `ascii[..len]` widened to UTF-16LE (the RFC 2759 §8.3 NT hash of
/// an ASCII password), in constant time for a secret `len`.
///
/// `ascii` must be zero from `len` on. `blocks` (public) is the number of
/// blocks compressed: at least [`md4_blocks`] of the longest `len` the
/// caller allows. Every block is compressed; the state after the block
/// that holds the padding's length is kept with a mask.
pub(crate) fn md4_utf16(ascii: &[u8; MAX_NT_CHARS], len: u64, blocks: usize) -> Zeroizing<[u8; 16]> {
    let len = black_box(len);
    let blocks = blocks.min(MAX_BLOCKS);
    // Message word k holds characters 2k and 2k+1: (c, 0, c', 0) little-endian.
    let mut words = Zeroizing::new([0u32; 16 * MAX_BLOCKS]);
    for (k, w) in words.iter_mut().enumerate().take(MAX_NT_CHARS / 2) {
        let lo = ascii.get(2 * k).copied().unwrap_or(0);
        let hi = ascii.get(2 * k + 1).copied().unwrap_or(0);
        *w = u32::from(lo) | (u32::from(hi) << 16);
    }
    // The 0x80 after the message: byte 2·len, in word len/2, at byte 0 or 2 of it.
    let odd = 0u32.wrapping_sub((len & 1) as u32);
    let marker = (0x80 & !odd) | (0x0080_0000 & odd);
    let at = len / 2;
    // The block that ends the message: 2·len + 1 + 8 bytes fit in it.
    let last = (2 * len + 8) / 64;
    let bits = (16 * len) as u32;
    for (k, w) in words.iter_mut().enumerate() {
        let k = k as u64;
        *w |= marker & (mask_eq(k, at) as u32);
        // The length in bits, in word 14 of the last block (word 15 stays 0: below 2^32 bits).
        *w |= bits & ((mask_eq(k % 16, 14) & mask_eq(k / 16, last)) as u32);
    }
    let mut state = MD4_IV;
    let mut out = [0u32; 4];
    let mut block = [0u32; 16];
    for b in 0..blocks {
        block.copy_from_slice(words.get(16 * b..16 * b + 16).unwrap_or(&[0; 16]));
        md4_compress(&mut state, &block);
        let keep = black_box(mask_eq(b as u64, last)) as u32;
        for (o, s) in out.iter_mut().zip(state.iter()) {
            *o |= s & keep;
        }
    }
    let mut digest = Zeroizing::new([0u8; 16]);
    for (chunk, w) in digest.chunks_exact_mut(4).zip(out.iter()) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    block.zeroize();
    state.zeroize();
    out.zeroize();
    digest
}

/// MD4 of 16 bytes (RFC 2759 §8.4 `HashNtPasswordHash`): one block, no
/// secret length.
pub(crate) fn md4_16(bytes: &[u8; 16]) -> Zeroizing<[u8; 16]> {
    let mut x = Zeroizing::new([0u32; 16]);
    for (w, chunk) in x.iter_mut().zip(bytes.chunks_exact(4)) {
        let mut b = [0u8; 4];
        b.copy_from_slice(chunk);
        *w = u32::from_le_bytes(b);
    }
    // The padding of a 16-byte message: the byte 0x80 after it (word 4), and its length,
    // 128 bits, in word 14: both 0x80.
    for (i, w) in x.iter_mut().enumerate() {
        if i == 4 || i == 14 {
            *w = 0x80;
        }
    }
    let mut state = MD4_IV;
    md4_compress(&mut state, &x);
    let mut digest = Zeroizing::new([0u8; 16]);
    for (chunk, w) in digest.chunks_exact_mut(4).zip(state.iter()) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    state.zeroize();
    digest
}

// DES (FIPS 46-3). Bit 1 is the most significant bit of a block.
const IP: [u8; 64] = [
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48,
    40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21,
    13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];
const FP: [u8; 64] = [
    40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45,
    13, 53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18,
    58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
];
const E: [u8; 48] = [
    32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20,
    21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
];
const P: [u8; 32] = [
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6,
    22, 11, 4, 25,
];
const PC1: [u8; 56] = [
    57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44,
    36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20,
    12, 4,
];
const PC2: [u8; 48] = [
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37,
    47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS: [u32; 16] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const SBOXES: [[u8; 64]; 8] = [
    [
        14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5,
        3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14,
        10, 0, 6, 13,
    ],
    [
        15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9,
        11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12,
        0, 5, 14, 9,
    ],
    [
        10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11,
        15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3,
        11, 5, 2, 12,
    ],
    [
        7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10,
        14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11,
        12, 7, 2, 14,
    ],
    [
        2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9,
        8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9,
        10, 4, 5, 3,
    ],
    [
        12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11,
        3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7,
        6, 0, 8, 13,
    ],
    [
        4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15,
        8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15,
        14, 2, 3, 12,
    ],
    [
        13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14,
        9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0,
        3, 5, 6, 11,
    ],
];

/// Each S-box as four 64-bit truth tables: bit `e` of `TRUTH[s][b]` is bit
/// `3 - b` of S-box `s`'s output for the 6-bit input `e` (row from bits 6
/// and 1 of `e`, column from bits 5–2, FIPS 46-3).
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of range fails the build
const TRUTH: [[u64; 4]; 8] = {
    let mut out = [[0u64; 4]; 8];
    let mut s = 0;
    while s < 8 {
        let mut e = 0;
        while e < 64 {
            let row = ((e >> 4) & 2) | (e & 1);
            let col = (e >> 1) & 0xf;
            let v = SBOXES[s][row * 16 + col];
            let mut b = 0;
            while b < 4 {
                if (v >> (3 - b)) & 1 == 1 {
                    out[s][b] |= 1u64 << e;
                }
                b += 1;
            }
            e += 1;
        }
        s += 1;
    }
    out
};

/// The bits of `input` (`width` bits, bit 1 its most significant) picked
/// by `table`, in order. Positions are public; the data may be secret.
#[inline]
fn permute(input: u64, table: &[u8], width: u32) -> u64 {
    let mut out = 0u64;
    for &t in table {
        out = (out << 1) | ((input >> (width - u32::from(t))) & 1);
    }
    out
}

/// S-box `s` of the 6-bit `six` (secret): the four truth tables moved down
/// by `six` bits with a six-stage shifter whose stages are chosen by masks,
/// then their lowest bits.
#[inline]
fn sbox(truth: &[u64; 4], six: u64) -> u64 {
    let six = black_box(six);
    let mut v = *truth;
    for k in 0..6u32 {
        let take = 0u64.wrapping_sub((six >> k) & 1);
        for t in &mut v {
            *t = (*t & !take) | ((*t >> (1u32 << k)) & take);
        }
    }
    ((v[0] & 1) << 3) | ((v[1] & 1) << 2) | ((v[2] & 1) << 1) | (v[3] & 1)
}

/// Rotates a 28-bit half key left by `n` (public).
#[inline]
fn rotl28(x: u64, n: u32) -> u64 {
    ((x << n) | (x >> (28 - n))) & 0x0fff_ffff
}

/// The 8-byte DES key of 7 key bytes (RFC 2759 §8.6 `DesEncrypt`): each
/// byte carries 7 key bits in its top bits; the parity bit, which DES
/// ignores, is left 0.
fn expand_key(seven: [u8; 7]) -> u64 {
    let mut k56 = 0u64;
    for b in seven {
        k56 = (k56 << 8) | u64::from(b);
    }
    let mut key = 0u64;
    for i in 0..8u32 {
        key = (key << 8) | (((k56 >> (49 - 7 * i)) & 0x7f) << 1);
    }
    key
}

/// DES encryption of `block` under the 7 key bytes of `seven`, in constant
/// time (see the module's documentation).
pub(crate) fn des_encrypt(seven: [u8; 7], block: [u8; 8]) -> [u8; 8] {
    let key = black_box(expand_key(seven));
    let cd = permute(key, &PC1, 64);
    let (mut key_c, mut key_d) = (cd >> 28, cd & 0x0fff_ffff);
    let data = permute(u64::from_be_bytes(block), &IP, 64);
    let (mut left, mut right) = (data >> 32, data & 0xffff_ffff);
    for shift in SHIFTS {
        key_c = rotl28(key_c, shift);
        key_d = rotl28(key_d, shift);
        let subkey = permute((key_c << 28) | key_d, &PC2, 56);
        let mixed = permute(right, &E, 32) ^ subkey;
        let mut s_out = 0u64;
        for (i, truth) in TRUTH.iter().enumerate() {
            s_out = (s_out << 4) | sbox(truth, (mixed >> (42 - 6 * i)) & 0x3f);
        }
        let f = permute(s_out, &P, 32);
        (left, right) = (right, left ^ f);
    }
    let out = permute((right << 32) | left, &FP, 64).to_be_bytes();
    key_c.zeroize();
    key_d.zeroize();
    out
}

/// RFC 2759 §8.5 `ChallengeResponse`: the 24-byte response of `nt_hash`
/// to `challenge`.
pub(crate) fn challenge_response(challenge: [u8; 8], nt_hash: &[u8; 16]) -> [u8; 24] {
    let mut keys = Zeroizing::new([[0u8; 7]; 3]);
    for (i, k) in keys.iter_mut().enumerate() {
        for (j, b) in k.iter_mut().enumerate() {
            *b = nt_hash.get(7 * i + j).copied().unwrap_or(0);
        }
    }
    let mut out = [0u8; 24];
    for (chunk, k) in out.chunks_exact_mut(8).zip(keys.iter()) {
        chunk.copy_from_slice(&des_encrypt(*k, challenge));
    }
    out
}

/// Whether `proof` is the NT-Response of the answer in `expected[..len]`
/// (ASCII, zero from `len` on; `len` secret, below `2^32`), hashed over
/// `blocks` MD4 blocks (public). The `PasswordHashHash` is computed in every
/// case (the same work) and returned with the result; the caller hands it
/// out only on success.
pub(crate) fn nt_matches(
    expected: &[u8; MAX_NT_CHARS],
    len: u64,
    blocks: usize,
    proof: &NtProof,
) -> (Choice, PasswordHashHash) {
    let nt_hash = md4_utf16(expected, len, blocks);
    let mut computed = challenge_response(proof.challenge_hash(), &nt_hash);
    let same = crate::ct::eq_bytes(&computed, &proof.nt_response);
    // The empty answer is never right (a decoy or a card with no cells).
    let nonempty = Choice::from((mask_lt(0, len) & 1) as u8);
    let hash_hash = PasswordHashHash(md4_16(&nt_hash));
    computed.zeroize();
    (same & nonempty, hash_hash)
}
