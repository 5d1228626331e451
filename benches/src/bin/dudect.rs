//! dudect (Welch t-test on timings) for the secret-dependent checks, run by `scripts/ct.sh`.
//!
//! Each bench times the constant-time answer check on two input classes that differ only in
//! secrets; everything public (grid, typed length) is the same in both. Classes interleave
//! pseudo-randomly. `MATRIXAUTH_DUDECT_N` sets the measurements per bench (default 1,000,000).
//! The tool always exits 0: `scripts/ct.sh` reads every `max t` and fails at |t| >= 4.5.
//!
//! The checks take 50–150 ns, close to the clock's own cost, so one measurement times `REPS`
//! calls on the same input. Every input (credential, matrix, typed answer) is copied into one
//! fixed place before each measurement, outside the timed region, so that the two classes do
//! not differ in where their data lies in memory: with a fixed seed, the pool's matrices at
//! different cache-line offsets fall unevenly into the two classes, which showed up as |t| of
//! 5 to 7 with a consistent sign in one class pair, although the instruction counts are
//! identical.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]

use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};
use mx::ct::testing::{card_answer_matches, nt_response_matches, response_matches};
use mx::{Alphabet, Geometry, GridCard, Matrix, NtProof, PatternCredential};

/// Calls of the check per measurement.
const REPS: usize = 256;

fn n() -> usize {
    std::env::var("MATRIXAUTH_DUDECT_N").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
}

/// A small deterministic generator (xorshift64*), independent of the tool's RNG.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn digit(&mut self) -> u8 {
        (self.next() % 10) as u8
    }
    fn class(&mut self) -> Class {
        if self.next() & 1 == 0 { Class::Left } else { Class::Right }
    }
}

fn matrices(g: &mut Gen, count: usize) -> Vec<Matrix> {
    let geometry = Geometry::new(8, 8).unwrap();
    (0..count)
        .map(|_| Matrix::from_digits(geometry, &(0..64).map(|_| g.digit()).collect::<Vec<u8>>()).unwrap())
        .collect()
}

fn cred(cells: &[&str], fixed: &str, at: usize) -> PatternCredential {
    PatternCredential::from_names(cells, fixed, at).unwrap()
}

const A: &[&str] = &["B2", "G3", "D5", "A8", "H1", "E6"];
const B: &[&str] = &["H8", "A1", "C3", "F6", "B7", "D2"];

/// Times `response_matches(cred(class), matrix, typed(class, matrix))` over a pool of matrices.
fn pattern_bench(
    runner: &mut CtRunner,
    seed: u64,
    left: &PatternCredential,
    right: &PatternCredential,
    typed: impl Fn(Class, &Matrix, &mut Gen) -> Vec<u8>,
) {
    let mut g = Gen(seed);
    let pool = matrices(&mut g, 1024);
    let inputs: Vec<(Class, usize, Vec<u8>)> = (0..1024)
        .map(|i| {
            let class = g.class();
            (class, i, typed(class, &pool[i], &mut g))
        })
        .collect();
    let mut slot = left.clone();
    let mut typed_slot = [0u8; 64];
    let mut matrix_slot = pool[0].clone();
    for k in 0..n() {
        let (class, m, ref t) = inputs[(g.next() as usize + k) % inputs.len()];
        slot.clone_from(if matches!(class, Class::Left) { left } else { right });
        typed_slot[..t.len()].copy_from_slice(t);
        matrix_slot.clone_from(&pool[m]);
        let typed = &typed_slot[..t.len()];
        let matrix = &matrix_slot;
        runner.run_one(class, || {
            for _ in 0..REPS {
                std::hint::black_box(response_matches(std::hint::black_box(&slot), matrix, typed));
            }
        });
    }
}

fn random_answer(g: &mut Gen, len: usize) -> Vec<u8> {
    (0..len).map(|_| b'0' + g.digit()).collect()
}

/// Right answer versus a wrong answer of the same length, same credential.
fn pattern_right_vs_wrong(runner: &mut CtRunner, _rng: &mut BenchRng) {
    let c = cred(A, "secret", 2);
    let c2 = cred(A, "secret", 2);
    pattern_bench(runner, 1, &c, &c2, |class, m, g| match class {
        Class::Left => c.respond_matrix(m).unwrap().as_bytes().to_vec(),
        Class::Right => {
            let mut t = c.respond_matrix(m).unwrap().as_bytes().to_vec();
            t[0] = if t[0] == b'9' { b'0' } else { b'9' };
            let _ = g;
            t
        }
    });
}

/// Two different patterns of the same length, the same (wrong) typed answers.
fn pattern_two_patterns(runner: &mut CtRunner, _rng: &mut BenchRng) {
    pattern_bench(runner, 2, &cred(A, "secret", 2), &cred(B, "secret", 2), |_, _, g| random_answer(g, 12));
}

/// The fixed string first versus last.
fn fixed_position(runner: &mut CtRunner, _rng: &mut BenchRng) {
    pattern_bench(runner, 3, &cred(A, "secret", 0), &cred(A, "secret", 6), |_, _, g| random_answer(g, 12));
}

/// A 2-character versus a 16-character fixed string, the same typed length.
fn fixed_length(runner: &mut CtRunner, _rng: &mut BenchRng) {
    pattern_bench(runner, 4, &cred(A, "ab", 2), &cred(A, "abcdefghijklmnop", 2), |_, _, g| {
        random_answer(g, 16)
    });
}

/// A 4-cell versus a 16-cell pattern (fixed strings padding both right answers to 16 bytes),
/// the same typed length: the pattern length is secret too.
fn pattern_length(runner: &mut CtRunner, _rng: &mut BenchRng) {
    const SIXTEEN: &[&str] =
        &["A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"];
    pattern_bench(runner, 6, &cred(&A[..4], "twelve-chars", 2), &cred(SIXTEEN, "", 0), |_, _, g| {
        random_answer(g, 16)
    });
}

/// The right answer of the longest credential (16 cells, 32 characters) versus a right
/// answer of the shortest (4 cells, no fixed string): what the typed length reveals is
/// public, but the check's own work must not grow with the secret lengths. Wrong answers of
/// 48 bytes for both, so the typed length is the same.
fn longest_vs_shortest(runner: &mut CtRunner, _rng: &mut BenchRng) {
    const SIXTEEN: &[&str] =
        &["A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"];
    pattern_bench(
        runner,
        7,
        &cred(SIXTEEN, "Fixed-String_32chars+!#$%&()*,.;", 16),
        &cred(&A[..4], "", 0),
        |_, _, g| random_answer(g, 48),
    );
}

/// Card: right versus wrong answer (same card, same cells, same length).
fn card_right_vs_wrong(runner: &mut CtRunner, _rng: &mut BenchRng) {
    let mut g = Gen(5);
    let values: String = (0..128).map(|_| char::from(b'0' + g.digit())).collect();
    let card = GridCard::from_values("DUDECT", 8, 8, 2, Alphabet::Digits, None, &values).unwrap();
    let inputs: Vec<(Class, Vec<u8>, Vec<u8>)> = (0..1024)
        .map(|_| {
            let cells: Vec<u8> = (0..3).map(|_| (g.next() % 64) as u8).collect();
            let right: Vec<u8> = cells
                .iter()
                .flat_map(|&c| values.as_bytes()[2 * c as usize..2 * c as usize + 2].to_vec())
                .collect();
            let class = g.class();
            let typed = match class {
                Class::Left => right,
                Class::Right => {
                    let mut t = right;
                    t[5] = if t[5] == b'9' { b'0' } else { b'9' };
                    t
                }
            };
            (class, cells, typed)
        })
        .collect();
    let mut typed_slot = [0u8; 6];
    let mut cells_slot = [0u8; 3];
    for k in 0..n() {
        let (class, ref cells, ref typed) = inputs[(g.next() as usize + k) % inputs.len()];
        typed_slot.copy_from_slice(typed);
        cells_slot.copy_from_slice(cells);
        runner.run_one(class, || {
            for _ in 0..REPS {
                std::hint::black_box(card_answer_matches(
                    &card,
                    &cells_slot,
                    std::hint::black_box(&typed_slot),
                ));
            }
        });
    }
}

/// What a peer sends for `typed`: the radius crate's reference MSCHAPv2.
fn nt_proof(typed: &[u8]) -> NtProof {
    let typed = std::str::from_utf8(typed).unwrap();
    let (auth, peer) = ([3u8; 16], [5u8; 16]);
    let hash = radius::mschapv2::nt_password_hash(typed);
    NtProof {
        authenticator_challenge: auth,
        peer_challenge: peer,
        user_name: b"dudect".to_vec(),
        nt_response: radius::mschapv2::generate_nt_response(&auth, &peer, b"dudect", &hash),
    }
}

/// Times the MSCHAPv2 check of `cred(class)` against a pool of matrices, with the proof of
/// `typed(class, matrix)`; one check per measurement (it takes microseconds).
fn nt_bench(
    runner: &mut CtRunner,
    seed: u64,
    left: &PatternCredential,
    right: &PatternCredential,
    typed: impl Fn(Class, &Matrix, &mut Gen) -> Vec<u8>,
) {
    let mut g = Gen(seed);
    let pool = matrices(&mut g, 256);
    let inputs: Vec<(Class, usize, NtProof)> = (0..256)
        .map(|i| {
            let class = g.class();
            (class, i, nt_proof(&typed(class, &pool[i], &mut g)))
        })
        .collect();
    let mut slot = left.clone();
    let mut proof_slot = inputs[0].2.clone();
    let mut matrix_slot = pool[0].clone();
    for k in 0..n() {
        let (class, m, ref proof) = inputs[(g.next() as usize + k) % inputs.len()];
        slot.clone_from(if matches!(class, Class::Left) { left } else { right });
        proof_slot.clone_from(proof);
        matrix_slot.clone_from(&pool[m]);
        let (matrix, proof) = (&matrix_slot, &proof_slot);
        runner.run_one(class, || {
            std::hint::black_box(nt_response_matches(std::hint::black_box(&slot), matrix, proof));
        });
    }
}

/// MSCHAPv2: the proof of the right answer versus one of a wrong answer, same credential.
fn nt_right_vs_wrong(runner: &mut CtRunner, _rng: &mut BenchRng) {
    let c = cred(A, "secret", 2);
    nt_bench(runner, 7, &c, &c.clone(), |class, m, _| {
        let mut t = c.respond_matrix(m).unwrap().as_bytes().to_vec();
        if matches!(class, Class::Right) {
            t[0] = if t[0] == b'9' { b'0' } else { b'9' };
        }
        t
    });
}

/// MSCHAPv2: an answer of 4 characters (one MD4 block) versus one of 48 (two), the same
/// wrong proofs: the answer's length is secret.
fn nt_answer_length(runner: &mut CtRunner, _rng: &mut BenchRng) {
    const SIXTEEN: &[&str] =
        &["A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"];
    nt_bench(
        runner,
        8,
        &cred(&A[..4], "", 0),
        &cred(SIXTEEN, "Fixed-String_32chars+!#$%&()*,.;", 16),
        |_, _, g| random_answer(g, 12),
    );
}

ctbench_main!(
    pattern_right_vs_wrong,
    pattern_two_patterns,
    fixed_position,
    fixed_length,
    pattern_length,
    longest_vs_shortest,
    card_right_vs_wrong,
    nt_right_vs_wrong,
    nt_answer_length
);
