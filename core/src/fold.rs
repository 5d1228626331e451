//! Folding of typed input (SPEC §3): full-width ASCII forms become ASCII and
//! white space disappears, so `"ａｂ１ ２"` and `"ab12"` are the same answer.

use zeroize::Zeroizing;

/// The longest typed response, in bytes before folding, that is examined;
/// longer responses are malformed and count as a wrong answer.
pub const MAX_TYPED_BYTES: usize = 256;

/// Folds `input`: U+FF01–U+FF5E become U+0021–U+007E, every white-space
/// character (ASCII space, tab, newlines, U+3000 and the rest of Unicode's
/// White_Space) is removed, everything else is kept as it is.
///
/// The result may hold an answer, so it is wiped when dropped.
pub fn fold(input: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(input.len()));
    for c in input.chars() {
        if c.is_whitespace() {
            continue;
        }
        let code = u32::from(c);
        if (0xFF01..=0xFF5E).contains(&code) {
            // In range by the check above: 0xFF01 - 0xFEE0 = 0x21.
            out.push(char::from_u32(code - 0xFEE0).unwrap_or(c));
        } else {
            out.push(c);
        }
    }
    out
}
