//! Grid-card mode (SPEC §4): a printed card of random values; the server
//! names cells, the user types their values.

use core::fmt;
use core::fmt::Write as _;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codec::{Reader, is_valid_name, put_str8};
use crate::ct::eq_bytes;
use crate::error::{Error, Result};
use crate::grid::{Cell, Geometry};
use crate::nt::{NtProof, PasswordHashHash, md4_blocks, nt_matches};
use crate::rng;

/// Most characters per card cell.
pub const MAX_CELL_LEN: usize = 8;
/// Most cells one card challenge asks.
pub const MAX_CARD_CHALLENGE_CELLS: usize = 16;
/// Longest right answer to a card challenge.
const MAX_CARD_ANSWER: usize = MAX_CELL_LEN * MAX_CARD_CHALLENGE_CELLS;
const _: () = assert!(MAX_CARD_ANSWER == crate::nt::MAX_NT_CHARS);
const CARD_FORMAT: u8 = 1;

const DIGITS: &[u8] = b"0123456789";
/// Upper-case letters and digits without the look-alikes O, 0, I, 1 and L.
const ALNUM: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The symbols a card's values are drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Alphabet {
    /// `0`–`9` (the bank 乱数表 style). Default.
    #[default]
    Digits,
    /// `A`–`Z` and `2`–`9` without O, 0, I, 1, L: 31 symbols that cannot be
    /// confused on paper. Answers are case-insensitive.
    Alnum,
}

impl Alphabet {
    /// The symbols, in order.
    pub fn symbols(self) -> &'static [u8] {
        match self {
            Alphabet::Digits => DIGITS,
            Alphabet::Alnum => ALNUM,
        }
    }

    /// The name used in every frontend: `"digits"` or `"alnum"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Alphabet::Digits => "digits",
            Alphabet::Alnum => "alnum",
        }
    }

    /// Parses [`Alphabet::as_str`].
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "digits" => Ok(Alphabet::Digits),
            "alnum" => Ok(Alphabet::Alnum),
            _ => Err(Error::InvalidCard("alphabet must be \"digits\" or \"alnum\"")),
        }
    }

    fn id(self) -> u8 {
        match self {
            Alphabet::Digits => 1,
            Alphabet::Alnum => 2,
        }
    }
}

/// What [`GridCard::generate`] makes. Start from `CardSpec::default()` (8 × 8,
/// two digits per cell, random serial, no expiry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardSpec {
    /// Serial printed on the card; `None` draws a random `MX-XXXX-XXXX`.
    pub serial: Option<String>,
    /// Rows (2..=26). Default 8.
    pub rows: usize,
    /// Columns (2..=26). Default 8.
    pub cols: usize,
    /// Characters per cell (1..=8). Default 2.
    pub cell_len: usize,
    /// Symbols. Default digits.
    pub alphabet: Alphabet,
    /// Unix seconds from which the card is refused; `None` for no expiry.
    pub expires_at: Option<u64>,
}

impl Default for CardSpec {
    fn default() -> Self {
        CardSpec { serial: None, rows: 8, cols: 8, cell_len: 2, alphabet: Alphabet::Digits, expires_at: None }
    }
}

/// A grid card: every cell holds `cell_len` random symbols.
///
/// The values are secret: wiped on drop, never in `Debug` (which shows the
/// serial and geometry only), compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct GridCard {
    #[zeroize(skip)]
    serial: String,
    #[zeroize(skip)]
    geometry: Geometry,
    #[zeroize(skip)]
    cell_len: u8,
    #[zeroize(skip)]
    alphabet: Alphabet,
    #[zeroize(skip)]
    expires_at: Option<u64>,
    values: Vec<u8>,
}

impl fmt::Debug for GridCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GridCard")
            .field("serial", &self.serial)
            .field("rows", &self.geometry.rows())
            .field("cols", &self.geometry.cols())
            .field("cell_len", &self.cell_len)
            .field("alphabet", &self.alphabet)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn random_symbols(alphabet: &[u8], n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(n));
    for _ in 0..n {
        let i = rng::below(alphabet.len() as u32)? as usize;
        out.push(alphabet.get(i).copied().unwrap_or(b'0'));
    }
    Ok(out)
}

impl GridCard {
    /// A new card with uniformly random values (rejection sampling from the
    /// OS generator: no modulo bias).
    pub fn generate(spec: &CardSpec) -> Result<Self> {
        let geometry = Geometry::new(spec.rows, spec.cols)?;
        let serial = if let Some(s) = &spec.serial {
            s.clone()
        } else {
            let r = random_symbols(ALNUM, 8)?;
            let r = core::str::from_utf8(&r).map_err(|_| Error::Random)?;
            format!("MX-{}-{}", r.get(..4).unwrap_or(""), r.get(4..).unwrap_or(""))
        };
        let n = geometry.cells() * spec.cell_len;
        Self::check_shape(&serial, spec.cell_len)?;
        let values = random_symbols(spec.alphabet.symbols(), n)?;
        Self::from_parts(serial, geometry, spec.cell_len, spec.alphabet, spec.expires_at, &values)
    }

    /// A card from known values (a card printed by another system, or a test
    /// vector): `values` is every cell's symbols in row-major order, folded
    /// and case-insensitive for letters.
    pub fn from_values(
        serial: &str,
        rows: usize,
        cols: usize,
        cell_len: usize,
        alphabet: Alphabet,
        expires_at: Option<u64>,
        values: &str,
    ) -> Result<Self> {
        let geometry = Geometry::new(rows, cols)?;
        Self::check_shape(serial, cell_len)?;
        if values.len() > 4 * MAX_CELL_LEN * crate::grid::MAX_CELLS {
            return Err(Error::InvalidCard("values do not fit the geometry"));
        }
        let folded = crate::fold::fold(values);
        let upper = Zeroizing::new(folded.to_ascii_uppercase());
        Self::from_parts(serial.to_owned(), geometry, cell_len, alphabet, expires_at, upper.as_bytes())
    }

    fn check_shape(serial: &str, cell_len: usize) -> Result<()> {
        if !is_valid_name(serial) {
            return Err(Error::InvalidCard("serial must be 1-255 bytes without control characters"));
        }
        if !(1..=MAX_CELL_LEN).contains(&cell_len) {
            return Err(Error::InvalidCard("cell_len must be 1..=8"));
        }
        Ok(())
    }

    fn from_parts(
        serial: String,
        geometry: Geometry,
        cell_len: usize,
        alphabet: Alphabet,
        expires_at: Option<u64>,
        values: &[u8],
    ) -> Result<Self> {
        if values.len() != geometry.cells() * cell_len {
            return Err(Error::InvalidCard("values do not fit the geometry"));
        }
        if values.iter().any(|b| !alphabet.symbols().contains(b)) {
            return Err(Error::InvalidCard("a value has a symbol outside the alphabet"));
        }
        Ok(GridCard {
            serial,
            geometry,
            cell_len: cell_len as u8,
            alphabet,
            expires_at,
            values: values.to_vec(),
        })
    }

    /// The serial printed on the card.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The card's geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Characters per cell.
    pub fn cell_len(&self) -> usize {
        usize::from(self.cell_len)
    }

    /// The alphabet.
    pub fn alphabet(&self) -> Alphabet {
        self.alphabet
    }

    /// Unix seconds from which the card is refused, if it expires.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// Whether the card is expired at `now` (`now >= expires_at`).
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }

    /// The value in `cell` (a secret: for printing and test automation).
    pub fn value(&self, cell: Cell) -> Result<Zeroizing<String>> {
        let index = self.geometry.index_of(cell)?;
        let len = self.cell_len();
        let bytes = self.values.get(index * len..(index + 1) * len).ok_or(Error::CellOutOfRange)?;
        Ok(Zeroizing::new(bytes.iter().map(|&b| char::from(b)).collect()))
    }

    /// The value in the cell named `name` (`"B3"`).
    pub fn value_of(&self, name: &str) -> Result<Zeroizing<String>> {
        self.value(self.geometry.parse_cell(name)?)
    }

    /// The right answer to `challenge`: the asked cells' values in order.
    /// For test automation; not the constant-time path.
    pub fn respond(&self, challenge: &CardChallenge) -> Result<Zeroizing<String>> {
        let mut out = Zeroizing::new(String::with_capacity(MAX_CARD_ANSWER));
        for &cell in &challenge.cells {
            out.push_str(&self.value(cell)?);
        }
        Ok(out)
    }

    /// Constant-time check of a folded answer (upper-cased here) against
    /// the values of `cells` (row-major indices). The cells are public: they
    /// are in the token and on the login page, so their values are read
    /// directly (the memory accessed depends on public indices only). The
    /// values are secret: the comparison reads every byte of a fixed
    /// capacity and compares the lengths, in constant time.
    #[inline(never)]
    pub(crate) fn answer_matches(&self, cells: &[u8], typed: &[u8]) -> Choice {
        let (expected, n) = self.expected_answer(cells);
        let mut given = Zeroizing::new([0u8; MAX_CARD_ANSWER]);
        let fits = typed.len() <= MAX_CARD_ANSWER;
        for (dst, src) in given.iter_mut().zip(typed) {
            *dst = src.to_ascii_uppercase();
        }
        let given_len = if fits { typed.len() as u64 } else { u64::MAX };
        eq_bytes(given.as_slice(), expected.as_slice()) & given_len.ct_eq(&(n as u64))
    }

    /// The values of `cells` (row-major indices, public) in order, zero
    /// after them, and their total length (public: the number of cells
    /// times the cell length).
    fn expected_answer(&self, cells: &[u8]) -> (Zeroizing<[u8; MAX_CARD_ANSWER]>, usize) {
        let len = self.cell_len();
        let mut expected = Zeroizing::new([0u8; MAX_CARD_ANSWER]);
        let mut n = 0usize;
        for &cell in cells.iter().take(MAX_CARD_CHALLENGE_CELLS) {
            let start = usize::from(cell) * len;
            if let (Some(dst), Some(src)) =
                (expected.get_mut(n..n + len), self.values.get(start..start + len))
            {
                dst.copy_from_slice(src);
            }
            n += len;
        }
        (expected, n)
    }

    /// Whether `proof` is the MSCHAPv2 NT-Response of the answer to
    /// `cells`: the values exactly as printed (the peer hashes what was
    /// typed, so no folding and no case-insensitivity), hashed and encrypted
    /// in constant time ([`crate::nt`]). The answer's length is public here.
    #[inline(never)]
    pub(crate) fn nt_answer_matches(&self, cells: &[u8], proof: &NtProof) -> (Choice, PasswordHashHash) {
        let (expected, n) = self.expected_answer(cells);
        nt_matches(&expected, n as u64, md4_blocks(n), proof)
    }

    /// The card as monospace text: a header with serial and expiry, column
    /// letters, row numbers.
    pub fn render_text(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        let _ = write!(out, "Grid card {}", self.serial);
        if let Some(e) = self.expires_at {
            let _ = write!(out, "   expires {}", utc_date(e));
        }
        out.push('\n');
        let width = self.cell_len().max(1);
        out.push_str("   ");
        for c in 0..self.geometry.cols() {
            let _ = write!(out, " {:>width$}", char::from(b'A' + c as u8));
        }
        out.push('\n');
        for r in 0..self.geometry.rows() {
            let _ = write!(out, "{:>2} ", r + 1);
            for c in 0..self.geometry.cols() {
                if let Ok(v) = self.value(Cell { row: r as u8, col: c as u8 }) {
                    let _ = write!(out, " {}", v.as_str());
                }
            }
            out.push('\n');
        }
        out
    }

    /// The card as a standalone SVG sized like a credit card (85.6 × 54 mm),
    /// which prints cleanly at 100 % on A4 as well: serial and expiry in the
    /// header, column letters, row numbers, monospace values.
    pub fn render_svg(&self) -> Zeroizing<String> {
        let (rows, cols) = (self.geometry.rows() as f64, self.geometry.cols() as f64);
        let (w, h) = (85.6f64, 54.0f64);
        let (left, top, header) = (6.0, 10.5, 6.0);
        let cell_w = (w - left - 3.0) / cols;
        let cell_h = (h - top - 3.0) / rows;
        let font = (cell_h * 0.62).min(cell_w / (self.cell_len() as f64 * 0.62 + 0.3)).min(4.0);
        let mut s = Zeroizing::new(String::with_capacity(8192));
        let _ = write!(
            s,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
             width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\">\n"
        );
        let _ = writeln!(s, "<title>Grid card {}</title>", xml_escape(&self.serial));
        let _ = writeln!(
            s,
            "<rect x=\"0.25\" y=\"0.25\" width=\"{:.2}\" height=\"{:.2}\" rx=\"3\" fill=\"#fff\" stroke=\"#333\" stroke-width=\"0.5\"/>",
            w - 0.5,
            h - 0.5
        );
        let _ = writeln!(
            s,
            "<text x=\"{left}\" y=\"{header}\" font-size=\"3.2\" font-weight=\"bold\">{}</text>",
            xml_escape(&self.serial)
        );
        if let Some(e) = self.expires_at {
            let _ = writeln!(
                s,
                "<text x=\"{:.2}\" y=\"{header}\" font-size=\"2.6\" text-anchor=\"end\">expires {}</text>",
                w - 3.0,
                utc_date(e)
            );
        }
        for c in 0..self.geometry.cols() {
            let x = left + (c as f64 + 0.5) * cell_w;
            let _ = writeln!(
                s,
                "<text x=\"{x:.2}\" y=\"{:.2}\" font-size=\"2.4\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
                top - 1.0,
                char::from(b'A' + c as u8)
            );
        }
        for r in 0..self.geometry.rows() {
            let y = top + (r as f64 + 0.5) * cell_h;
            if r % 2 == 1 {
                let _ = writeln!(
                    s,
                    "<rect x=\"{left}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{cell_h:.2}\" fill=\"#eee\"/>",
                    top + r as f64 * cell_h,
                    cols * cell_w
                );
            }
            let _ = writeln!(
                s,
                "<text x=\"{:.2}\" y=\"{:.2}\" font-size=\"2.4\" text-anchor=\"end\" fill=\"#555\">{}</text>",
                left - 1.0,
                y + font * 0.35,
                r + 1
            );
            for c in 0..self.geometry.cols() {
                if let Ok(v) = self.value(Cell { row: r as u8, col: c as u8 }) {
                    let _ = writeln!(
                        s,
                        "<text x=\"{:.2}\" y=\"{:.2}\" font-size=\"{font:.2}\" text-anchor=\"middle\">{}</text>",
                        left + (c as f64 + 0.5) * cell_w,
                        y + font * 0.35,
                        v.as_str()
                    );
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// Serialises the card (format in `docs/FORMATS.md`). The bytes hold the
    /// values in the clear: seal them before storing.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(16 + self.serial.len() + self.values.len()));
        out.push(CARD_FORMAT);
        put_str8(&mut out, &self.serial);
        out.push(self.geometry.rows() as u8);
        out.push(self.geometry.cols() as u8);
        out.push(self.cell_len);
        out.push(self.alphabet.id());
        match self.expires_at {
            Some(e) => {
                out.push(1);
                out.extend_from_slice(&e.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.values);
        out
    }

    /// Reads bytes written by [`GridCard::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const BAD: Error = Error::Format("not a grid card record");
        let mut r = Reader::new(bytes);
        if r.u8().ok_or(BAD)? != CARD_FORMAT {
            return Err(Error::Format("unknown grid card format version"));
        }
        let serial = r.str8().ok_or(BAD)?.to_owned();
        let geometry =
            Geometry::new(r.u8().ok_or(BAD)?.into(), r.u8().ok_or(BAD)?.into()).map_err(|_| BAD)?;
        let cell_len = usize::from(r.u8().ok_or(BAD)?);
        let alphabet = match r.u8().ok_or(BAD)? {
            1 => Alphabet::Digits,
            2 => Alphabet::Alnum,
            _ => return Err(BAD),
        };
        let expires_at = match r.u8().ok_or(BAD)? {
            0 => None,
            1 => Some(r.u64().ok_or(BAD)?),
            _ => return Err(BAD),
        };
        Self::check_shape(&serial, cell_len).map_err(|_| BAD)?;
        let values = r.take(geometry.cells() * cell_len).ok_or(BAD)?;
        if !r.is_empty() {
            return Err(BAD);
        }
        Self::from_parts(serial, geometry, cell_len, alphabet, expires_at, values).map_err(|_| BAD)
    }

    /// Seals the card for storage, bound to `user` (as for credentials).
    pub fn seal(&self, keyring: &crate::Keyring, user: &str) -> Result<Vec<u8>> {
        crate::seal::seal(keyring, user, crate::seal::RecordKind::GridCard, &self.to_bytes())
    }

    /// Opens a record made by [`GridCard::seal`] for the same `user`.
    pub fn open(keyring: &crate::Keyring, user: &str, sealed: &[u8]) -> Result<Self> {
        let plain = crate::seal::open(keyring, user, crate::seal::RecordKind::GridCard, sealed)?;
        Self::from_bytes(&plain)
    }

    /// Whether a sealed record says it holds a grid card (rather than a
    /// pattern credential), from its header: a host that stores both kinds
    /// picks the right `open` with it. Nothing is authenticated here; the
    /// `open` that follows does that.
    ///
    /// ```
    /// use matrixauth::{CardSpec, GridCard, Keyring, PatternCredential};
    /// let keyring = Keyring::new(&Keyring::generate_key()?[..], 1)?;
    /// let card = GridCard::generate(&CardSpec::default())?.seal(&keyring, "frank")?;
    /// let pattern = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2)?
    ///     .seal(&keyring, "alice")?;
    /// assert!(GridCard::is_sealed_card(&card));
    /// assert!(!GridCard::is_sealed_card(&pattern));
    /// assert!(!GridCard::is_sealed_card(&[9, 2]));
    /// # Ok::<(), matrixauth::Error>(())
    /// ```
    pub fn is_sealed_card(sealed: &[u8]) -> bool {
        crate::seal::kind_of(sealed) == Some(crate::seal::RecordKind::GridCard)
    }
}

/// A card challenge to show the user: which cells to type, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CardChallenge {
    /// Opaque token to send back with the answer.
    pub token: String,
    /// The card's serial (so the page can say which card to use).
    pub serial: String,
    /// The cells asked, in the order their values are to be typed.
    pub cells: Vec<Cell>,
    /// Further challenges the card can serve after this one under the
    /// single-use policy; `None` when cells may repeat.
    pub remaining: Option<u32>,
    /// The user's challenge sequence number.
    pub seq: u64,
    /// Unix seconds the challenge was first issued.
    pub issued_at: u64,
    /// Unix seconds at which it expires.
    pub expires_at: u64,
    /// The audit event of this issue.
    pub event: crate::Event,
}

impl CardChallenge {
    /// The asked cells' names (`["B3", "F7", "D1"]`).
    pub fn cell_names(&self) -> Vec<String> {
        self.cells.iter().map(ToString::to_string).collect()
    }

    /// Whether this is the pending challenge presented again.
    pub fn is_reissue(&self) -> bool {
        self.event.kind == crate::EventKind::CardChallengeReissued
    }
}

/// Picks `k` distinct cells uniformly from `pool` (a partial Fisher–Yates).
pub(crate) fn choose(pool: &mut [u8], k: usize) -> Result<Vec<u8>> {
    let mut chosen = Vec::with_capacity(k);
    for i in 0..k.min(pool.len()) {
        let j = i + rng::below((pool.len() - i) as u32)? as usize;
        pool.swap(i, j);
        chosen.push(pool.get(i).copied().unwrap_or(0));
    }
    Ok(chosen)
}

/// `YYYY-MM-DD` (UTC) of Unix seconds: the printed card's expiry, and
/// the date frontends show in lock messages (so every frontend prints the
/// same calendar).
pub fn utc_date(unix: u64) -> String {
    // At most u64::MAX / 86400 < 2^48 days: fits an i64.
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX / 2);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chi-square statistic of `counts` against a uniform distribution.
    fn chi2(counts: &[u64]) -> f64 {
        let total: u64 = counts.iter().sum();
        let expected = total as f64 / counts.len() as f64;
        counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
    }

    #[test]
    fn card_symbols_are_uniform() {
        // Fixed seed: deterministic, never flaky. Thresholds are the 99.99th
        // percentiles of chi-square with 9 and 30 degrees of freedom.
        crate::rng::set_test_seed(Some(2024));
        for (alphabet, limit) in [(Alphabet::Digits, 33.7), (Alphabet::Alnum, 59.7)] {
            let symbols = alphabet.symbols();
            let mut counts = vec![0u64; symbols.len()];
            for _ in 0..400 {
                let card = GridCard::generate(&CardSpec { alphabet, ..CardSpec::default() }).unwrap();
                for b in &card.values {
                    counts[symbols.iter().position(|s| s == b).unwrap()] += 1;
                }
            }
            let x = chi2(&counts);
            assert!(x < limit, "{alphabet:?}: chi-square {x} over {counts:?}");
        }
        crate::rng::set_test_seed(None);
    }

    #[test]
    fn a_modulo_biased_sampler_would_fail_the_same_check() {
        // The check above has teeth: bytes taken modulo 31 without rejection
        // over-represent the first 8 symbols by 1/8 and blow the threshold.
        let mut counts = vec![0u64; 31];
        for i in 0..(400 * 128u64) {
            let byte = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8;
            counts[usize::from(byte) % 31] += 1;
        }
        assert!(chi2(&counts) > 59.7, "{}", chi2(&counts));
    }

    #[test]
    fn challenge_cells_are_uniform() {
        crate::rng::set_test_seed(Some(77));
        let mut counts = vec![0u64; 64];
        for _ in 0..6400 {
            let mut pool: Vec<u8> = (0..64).collect();
            for c in choose(&mut pool, 3).unwrap() {
                counts[usize::from(c)] += 1;
            }
        }
        // 63 degrees of freedom: 99.99th percentile 117.
        assert!(chi2(&counts) < 117.0, "{}", chi2(&counts));
        crate::rng::set_test_seed(None);
    }

    #[test]
    fn dates() {
        assert_eq!(super::utc_date(0), "1970-01-01");
        assert_eq!(super::utc_date(951_782_400), "2000-02-29");
        assert_eq!(super::utc_date(1_800_000_000), "2027-01-15");
        assert_eq!(super::utc_date(crate::MAX_TIME), "9999-12-31");
    }
}
