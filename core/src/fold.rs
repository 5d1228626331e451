//! Folding of typed input (SPEC §3): full-width ASCII forms become ASCII and
//! white space disappears, so `"ａｂ１ ２"` and `"ab12"` are the same answer.

use zeroize::{Zeroize, Zeroizing};

/// The longest typed response, in bytes before folding, that is examined;
/// longer responses are malformed and count as a wrong answer.
pub const MAX_TYPED_BYTES: usize = 256;

/// One character folded: `None` for white space, else the character
/// itself or its ASCII form.
fn fold_char(c: char) -> Option<char> {
    if c.is_whitespace() {
        return None;
    }
    let code = u32::from(c);
    if (0xFF01..=0xFF5E).contains(&code) {
        // In range by the check above: 0xFF01 - 0xFEE0 = 0x21.
        Some(char::from_u32(code - 0xFEE0).unwrap_or(c))
    } else {
        Some(c)
    }
}

/// A folded answer in a buffer of fixed capacity: the verification path
/// allocates nothing. Only the bytes written are wiped on drop (the rest
/// were never written).
pub(crate) struct Folded {
    buf: [u8; MAX_TYPED_BYTES],
    len: usize,
}

impl Folded {
    /// [`fold`] of `input`, or `None` when it is malformed (longer than
    /// [`MAX_TYPED_BYTES`]). Folding never lengthens the text (a full-width
    /// character is three bytes, its ASCII form one), so the result fits.
    pub(crate) fn new(input: &str) -> Option<Self> {
        if input.len() > MAX_TYPED_BYTES {
            return None;
        }
        let mut out = Folded { buf: [0u8; MAX_TYPED_BYTES], len: 0 };
        for c in input.chars().filter_map(fold_char) {
            if c.is_ascii() {
                *out.buf.get_mut(out.len)? = c as u8;
                out.len += 1;
            } else {
                let mut utf8 = [0u8; 4];
                let bytes = c.encode_utf8(&mut utf8).as_bytes();
                out.buf.get_mut(out.len..out.len + bytes.len())?.copy_from_slice(bytes);
                out.len += bytes.len();
            }
        }
        Some(out)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl Drop for Folded {
    fn drop(&mut self) {
        if let Some(used) = self.buf.get_mut(..self.len) {
            used.zeroize();
        }
    }
}

/// Folds `input`: U+FF01–U+FF5E become U+0021–U+007E, every white-space
/// character (ASCII space, tab, newlines, U+3000 and the rest of Unicode's
/// White_Space) is removed, everything else is kept as it is.
///
/// The result may hold an answer, so it is wiped when dropped.
pub fn fold(input: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(input.len()));
    out.extend(input.chars().filter_map(fold_char));
    out
}
