//! Probe for the instruction-count test (`scripts/ct-count.sh`): runs the
//! constant-time answer check once for the input class named on the command
//! line. Classes differ only in secret values (the credential, or whether the
//! typed answer is right); the typed answer's length and the grid are the same
//! for all, so callgrind must count the same instructions for every class.
//! The `nt_` classes run the MSCHAPv2 check (SPEC §17) instead: the proof is
//! public, the credential (and so the answer's length) secret.

use matrixauth::ct::testing::{
    card_answer_matches, card_nt_answer_matches, challenge_response, md4_blocks, md4_utf16,
    nt_response_matches, response_matches,
};
use matrixauth::{Alphabet, Geometry, GridCard, Matrix, NtProof, PatternCredential};

/// Card classes: (name, card values seed, typed answer). Every card is 8×8
/// with 2 digits per cell; cells B3 F7 D1 are asked; every answer is 6 bytes.
const CARD_CLASSES: &[(&str, u32, &str)] = &[
    ("card_right", 1, "RIGHT"),
    ("card_wrong", 1, "000000"),
    ("card_other_values", 2, "000000"),
    ("card_other_values_right", 2, "RIGHT"),
    ("card_mismatch_last_byte", 1, "LAST"),
];

fn card_probe(name: &str) -> Option<String> {
    let &(_, seed, typed) = CARD_CLASSES.iter().find(|c| c.0 == name)?;
    let values: String =
        (0..128u32).map(|i| char::from(b'0' + ((i * 7 + seed * 13 + i / 3) % 10) as u8)).collect();
    let card = GridCard::from_values("PROBE", 8, 8, 2, Alphabet::Digits, None, &values).ok()?;
    let cells = [2 * 8 + 1, 6 * 8 + 5, 3];
    let right: String = cells.iter().map(|&i| values[2 * i..2 * i + 2].to_owned()).collect();
    let typed = match typed {
        "RIGHT" => right,
        "LAST" => {
            let mut t = right;
            let last = t.pop()?;
            t.push(if last == '9' { '8' } else { '9' });
            t
        }
        other => other.to_owned(),
    };
    let cells: Vec<u8> = cells.iter().map(|&c| c as u8).collect();
    let ok = card_answer_matches(&card, &cells, typed.as_bytes());
    Some(format!("{name}: {}", if ok { "match" } else { "no match" }))
}

/// (name, cells, fixed string, fixed position, typed answer). Every typed
/// answer is 12 bytes; every credential's right answer is 12 bytes too.
const CLASSES: &[(&str, &[&str], &str, usize, &str)] = &[
    ("right", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 2, "RIGHT"),
    ("wrong_same_length", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 2, "000000000000"),
    ("other_pattern", &["H8", "A1", "C3", "F6", "B7", "D2"], "secret", 2, "000000000000"),
    ("corner_cells", &["A1", "H1", "A8", "H8", "A2", "H7"], "secret", 2, "000000000000"),
    ("fixed_first", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 0, "000000000000"),
    ("fixed_last", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 6, "000000000000"),
    ("short_pattern_long_fixed", &["B2", "G3", "D5", "A8"], "longer", 4, "000000000000"),
    (
        "long_pattern_no_fixed",
        &["B2", "G3", "D5", "A8", "H1", "E6", "C4", "F5", "A3", "H2", "D8", "E1"],
        "",
        0,
        "000000000000",
    ),
    ("mismatch_first_byte", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 2, "FIRST"),
];

/// MSCHAPv2 classes: (name, cells, fixed string, fixed position, whether
/// the proof is of the right answer). The answers' lengths differ (4 to 48
/// characters, on both sides of MD4's one-block limit of 27): secret here.
const NT_CLASSES: &[(&str, &[&str], &str, usize, bool)] = &[
    ("nt_right", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 2, true),
    ("nt_wrong", &["B2", "G3", "D5", "A8", "H1", "E6"], "secret", 2, false),
    ("nt_other_pattern", &["H8", "A1", "C3", "F6", "B7", "D2"], "secret", 2, false),
    ("nt_len4", &["B2", "G3", "D5", "A8"], "", 0, false),
    (
        "nt_len27",
        &["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "A2", "B3", "C4", "D5", "E6", "F7", "G8", "H1"],
        "abcdefghijk",
        16,
        false,
    ),
    (
        "nt_len28",
        &["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "A2", "B3", "C4", "D5", "E6", "F7", "G8", "H1"],
        "abcdefghijkl",
        0,
        false,
    ),
    (
        "nt_len48",
        &["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "A2", "B3", "C4", "D5", "E6", "F7", "G8", "H1"],
        "abcdefghijklmnopqrstuvwxyz012345",
        7,
        false,
    ),
    (
        "nt_len27_right",
        &["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "A2", "B3", "C4", "D5", "E6", "F7", "G8", "H1"],
        "abcdefghijk",
        16,
        true,
    ),
];

/// The proof a peer sends for `typed` (ASCII), from the crate's own MD4 and
/// DES: the probe measures the check, not this.
fn proof_of(typed: &[u8]) -> NtProof {
    let mut buf = [0u8; 128];
    for (b, t) in buf.iter_mut().zip(typed) {
        *b = *t;
    }
    let hash = md4_utf16(&buf, typed.len() as u64, md4_blocks(typed.len()));
    let mut proof = NtProof {
        authenticator_challenge: [3; 16],
        peer_challenge: [5; 16],
        user_name: b"probe".to_vec(),
        nt_response: [0; 24],
    };
    let challenge = challenge_hash(&proof);
    proof.nt_response = challenge_response(&challenge, &hash);
    proof
}

fn challenge_hash(proof: &NtProof) -> [u8; 8] {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(proof.peer_challenge);
    h.update(proof.authenticator_challenge);
    h.update(&proof.user_name);
    let d = h.finalize();
    let mut out = [0u8; 8];
    for (o, v) in out.iter_mut().zip(d.iter()) {
        *o = *v;
    }
    out
}

fn nt_probe(name: &str, matrix: &Matrix) -> Option<String> {
    if let Some(&(_, cells, fixed, at, right)) = NT_CLASSES.iter().find(|c| c.0 == name) {
        let cred = PatternCredential::from_names(cells, fixed, at).ok()?;
        let typed = if right {
            cred.respond_matrix(matrix).ok()?.as_bytes().to_vec()
        } else {
            b"000000000000".to_vec()
        };
        let ok = nt_response_matches(&cred, matrix, &proof_of(&typed));
        return Some(format!("{name}: {}", if ok { "match" } else { "no match" }));
    }
    let (seed, right) = match name {
        "card_nt_right" => (1, true),
        "card_nt_wrong" => (1, false),
        "card_nt_other_values" => (2, false),
        _ => return None,
    };
    let values: String =
        (0..128u32).map(|i| char::from(b'0' + ((i * 7 + seed * 13 + i / 3) % 10) as u8)).collect();
    let card = GridCard::from_values("PROBE", 8, 8, 2, Alphabet::Digits, None, &values).ok()?;
    let cells = [2 * 8 + 1, 6 * 8 + 5, 3];
    let answer: String = cells.iter().map(|&i| values[2 * i..2 * i + 2].to_owned()).collect();
    let typed = if right { answer } else { "000000".to_owned() };
    let cells: Vec<u8> = cells.iter().map(|&c| c as u8).collect();
    let ok = card_nt_answer_matches(&card, &cells, &proof_of(typed.as_bytes()));
    Some(format!("{name}: {}", if ok { "match" } else { "no match" }))
}

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    if let Some(line) = card_probe(&name) {
        println!("{line}");
        return;
    }
    let digits: Vec<u8> = (0..64u32).map(|i| ((i * 7 + 3) % 10) as u8).collect();
    let Ok(matrix) = Matrix::from_digits(Geometry::default(), &digits) else { std::process::exit(3) };
    if let Some(line) = nt_probe(&name, &matrix) {
        println!("{line}");
        return;
    }
    let Some(&(_, cells, fixed, at, typed)) = CLASSES.iter().find(|c| c.0 == name) else {
        eprintln!("classes: {}", CLASSES.iter().map(|c| c.0).collect::<Vec<_>>().join(" "));
        std::process::exit(2);
    };
    let Ok(cred) = PatternCredential::from_names(cells, fixed, at) else { std::process::exit(3) };
    let Ok(right) = cred.respond_matrix(&matrix) else { std::process::exit(3) };
    let typed: Vec<u8> = match typed {
        "RIGHT" => right.as_bytes().to_vec(),
        // Differs from the right answer in its first byte only.
        "FIRST" => {
            let mut t = right.as_bytes().to_vec();
            if let Some(b) = t.first_mut() {
                *b = if *b == b'9' { b'8' } else { b'9' };
            }
            t
        }
        other => other.as_bytes().to_vec(),
    };
    assert_eq!(typed.len(), 12, "every class types 12 bytes");
    let ok = response_matches(&cred, &matrix, &typed);
    println!("{name}: {}", if ok { "match" } else { "no match" });
}
