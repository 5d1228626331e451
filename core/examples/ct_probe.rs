//! Probe for the instruction-count test (`scripts/ct-count.sh`): runs the
//! constant-time answer check once for the input class named on the command
//! line. Classes differ only in secret values (the credential, or whether the
//! typed answer is right); the typed answer's length and the grid are the same
//! for all, so callgrind must count the same instructions for every class.

use matrixauth::ct::testing::{card_answer_matches, response_matches};
use matrixauth::{Alphabet, Geometry, GridCard, Matrix, PatternCredential};

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

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    if let Some(line) = card_probe(&name) {
        println!("{line}");
        return;
    }
    let Some(&(_, cells, fixed, at, typed)) = CLASSES.iter().find(|c| c.0 == name) else {
        eprintln!("classes: {}", CLASSES.iter().map(|c| c.0).collect::<Vec<_>>().join(" "));
        std::process::exit(2);
    };
    let digits: Vec<u8> = (0..64u32).map(|i| ((i * 7 + 3) % 10) as u8).collect();
    let Ok(matrix) = Matrix::from_digits(Geometry::default(), &digits) else { std::process::exit(3) };
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
