//! Probe for the instruction-count test (`scripts/ct-count.sh`): runs the
//! constant-time answer check once for the input class named on the command
//! line. Classes differ only in secret values (the credential, or whether the
//! typed answer is right); the typed answer's length and the grid are the same
//! for all, so callgrind must count the same instructions for every class.

use matrixauth::ct::testing::response_matches;
use matrixauth::{Geometry, Matrix, PatternCredential};

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
