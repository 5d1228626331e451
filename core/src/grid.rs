//! Grid geometry, cell names and the random digit matrix (SPEC §2, §3).

use core::fmt;
use core::fmt::Write as _;

use chacha20::XChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::fold;

/// Smallest number of rows or columns.
pub const MIN_SIDE: u8 = 2;
/// Largest number of rows or columns (one column letter each, A–Z).
pub const MAX_SIDE: u8 = 26;
/// Largest number of cells in a grid.
pub const MAX_CELLS: usize = 256;

/// The shape of a grid: `rows` × `cols`, each 2..=26, at most 256 cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Geometry {
    rows: u8,
    cols: u8,
}

impl Default for Geometry {
    /// The field's standard 8 × 8 grid.
    fn default() -> Self {
        Geometry { rows: 8, cols: 8 }
    }
}

impl Geometry {
    /// A grid of `rows` × `cols`; fails unless both are in 2..=26 and the
    /// grid has at most 256 cells.
    pub fn new(rows: usize, cols: usize) -> Result<Self> {
        let side = usize::from(MIN_SIDE)..=usize::from(MAX_SIDE);
        if !side.contains(&rows) || !side.contains(&cols) || rows * cols > MAX_CELLS {
            return Err(Error::InvalidGeometry);
        }
        Ok(Geometry { rows: rows as u8, cols: cols as u8 })
    }

    /// Number of rows.
    pub fn rows(self) -> usize {
        usize::from(self.rows)
    }

    /// Number of columns.
    pub fn cols(self) -> usize {
        usize::from(self.cols)
    }

    /// Number of cells, `rows * cols`.
    pub fn cells(self) -> usize {
        self.rows() * self.cols()
    }

    /// Whether `cell` lies inside this grid.
    pub fn contains(self, cell: Cell) -> bool {
        cell.row < self.rows && cell.col < self.cols
    }

    /// The row-major index of `cell`: `row * cols + col` (0-based).
    pub fn index_of(self, cell: Cell) -> Result<usize> {
        if self.contains(cell) {
            Ok(cell.row as usize * self.cols() + cell.col as usize)
        } else {
            Err(Error::CellOutOfRange)
        }
    }

    /// The cell at row-major `index`.
    pub fn cell_at(self, index: usize) -> Result<Cell> {
        if index < self.cells() {
            Ok(Cell { row: (index / self.cols()) as u8, col: (index % self.cols()) as u8 })
        } else {
            Err(Error::CellOutOfRange)
        }
    }

    /// Parses a cell name (`"B3"`, `"b3"`, `"Ｂ３"`) and checks it lies in this grid.
    pub fn parse_cell(self, name: &str) -> Result<Cell> {
        let cell: Cell = name.parse()?;
        if self.contains(cell) { Ok(cell) } else { Err(Error::CellOutOfRange) }
    }
}

/// One cell of a grid, 0-based. Its name is spreadsheet style: column letter
/// then 1-based row number, so `Cell { row: 2, col: 1 }` is `"B3"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Zeroize)]
pub struct Cell {
    /// 0-based row (row number minus one).
    pub row: u8,
    /// 0-based column (letter A is 0).
    pub col: u8,
}

impl Cell {
    /// The cell at 0-based `row` and `col`; both must be below 26.
    pub fn new(row: usize, col: usize) -> Result<Self> {
        if row < usize::from(MAX_SIDE) && col < usize::from(MAX_SIDE) {
            Ok(Cell { row: row as u8, col: col as u8 })
        } else {
            Err(Error::CellOutOfRange)
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", char::from(b'A' + self.col), u32::from(self.row) + 1)
    }
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cell({self})")
    }
}

impl core::str::FromStr for Cell {
    type Err = Error;

    /// Case-insensitive; full-width forms and white space are folded first
    /// (SPEC §2). Row numbers have no leading zero.
    fn from_str(name: &str) -> Result<Self> {
        if name.len() > 64 {
            return Err(Error::InvalidCellName);
        }
        let folded = fold::fold(name);
        let bytes = folded.as_bytes();
        let (&letter, digits) = bytes.split_first().ok_or(Error::InvalidCellName)?;
        let col = match letter {
            b'A'..=b'Z' => letter - b'A',
            b'a'..=b'z' => letter - b'a',
            _ => return Err(Error::InvalidCellName),
        };
        let row = match digits {
            [d @ b'1'..=b'9'] => d - b'0',
            [d1 @ b'1'..=b'9', d2 @ b'0'..=b'9'] => (d1 - b'0') * 10 + (d2 - b'0'),
            _ => return Err(Error::InvalidCellName),
        };
        if row == 0 || row > MAX_SIDE {
            return Err(Error::InvalidCellName);
        }
        Ok(Cell { row: row - 1, col })
    }
}

/// A grid of digits 0–9 shown to the user for one challenge. Public: the
/// matrix is what the login page displays. Held inline (no heap), so
/// verification allocates nothing.
#[derive(Clone)]
pub struct Matrix {
    geometry: Geometry,
    /// Row-major digits; entries past `geometry.cells()` are zero.
    digits: [u8; MAX_CELLS],
}

impl PartialEq for Matrix {
    fn eq(&self, other: &Self) -> bool {
        self.geometry == other.geometry && self.digits() == other.digits()
    }
}

impl Eq for Matrix {}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matrix").field("geometry", &self.geometry).field("digits", &self.digits()).finish()
    }
}

impl Matrix {
    /// Derives the matrix of a challenge from the XChaCha20 keystream under
    /// `key` (the keyring's matrix subkey) and the challenge's 16-byte nonce
    /// (padded with 8 zero bytes to XChaCha20's 24). The keystream is read as
    /// little-endian `u32` words; a word `w < 4_000_000_000` gives nine
    /// digits, `w mod 10^9` written least significant digit first, larger
    /// words are skipped. `4 × 10^9` is a multiple of `10^9`, so every digit
    /// is uniform and independent (no modulo bias), and an 8 × 8 matrix
    /// almost always needs one 64-byte block. Documented in `docs/FORMATS.md`.
    pub(crate) fn derive(geometry: Geometry, key: &[u8; 32], nonce: &[u8; 16]) -> Self {
        const LIMIT: u32 = 4_000_000_000;
        let mut iv = [0u8; 24];
        for (o, n) in iv.iter_mut().zip(nonce) {
            *o = *n;
        }
        // The matrix is public (the page shows it): the keystream needs no wiping.
        let mut stream = XChaCha20::new(key.into(), &iv.into());
        let mut digits = [0u8; MAX_CELLS];
        let cells = geometry.cells();
        let mut filled = 0;
        let mut block = [0u8; 64];
        while filled < cells {
            block.fill(0);
            stream.apply_keystream(&mut block);
            for chunk in block.chunks_exact(4) {
                let mut b = [0u8; 4];
                b.copy_from_slice(chunk);
                let w = u32::from_le_bytes(b);
                if w >= LIMIT {
                    continue;
                }
                let mut v = w % 1_000_000_000;
                let take = (cells - filled).min(9);
                for d in digits.iter_mut().skip(filled).take(take) {
                    *d = (v % 10) as u8;
                    v /= 10;
                }
                filled += take;
                if filled == cells {
                    break;
                }
            }
        }
        Matrix { geometry, digits }
    }

    /// Builds a matrix from its digits in row-major order (for tests and for
    /// hosts that display a matrix they received as data).
    pub fn from_digits(geometry: Geometry, digits: &[u8]) -> Result<Self> {
        if digits.len() != geometry.cells() || digits.iter().any(|&d| d > 9) {
            return Err(Error::Format("matrix digits do not fit the geometry"));
        }
        let mut all = [0u8; MAX_CELLS];
        for (o, d) in all.iter_mut().zip(digits) {
            *o = *d;
        }
        Ok(Matrix { geometry, digits: all })
    }

    /// The matrix's geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// All digits, row-major.
    pub fn digits(&self) -> &[u8] {
        self.digits.get(..self.geometry.cells()).unwrap_or(&[])
    }

    /// All digits with zero padding to [`MAX_CELLS`], for the constant-time
    /// lookups that read whole words.
    pub(crate) fn padded_digits(&self) -> &[u8; MAX_CELLS] {
        &self.digits
    }

    /// The digit in `cell`, or `None` outside the grid.
    pub fn get(&self, cell: Cell) -> Option<u8> {
        let index = self.geometry.index_of(cell).ok()?;
        self.digits().get(index).copied()
    }

    /// The rows as vectors of digits (row 1 first).
    pub fn rows(&self) -> Vec<Vec<u8>> {
        self.digits().chunks(self.geometry.cols()).map(<[u8]>::to_vec).collect()
    }

    /// Plain-text rendering: a header of column letters, then one line per
    /// row with its number. [`Matrix::parse_text`] reads it back.
    ///
    /// ```text
    ///    A B C D E F G H
    ///  1 3 0 9 1 4 4 7 2
    /// ```
    pub fn render_text(&self) -> String {
        let mut out = String::from("   ");
        for c in 0..self.geometry.cols {
            if c > 0 {
                out.push(' ');
            }
            out.push(char::from(b'A' + c));
        }
        out.push('\n');
        for (r, row) in self.digits().chunks(self.geometry.cols()).enumerate() {
            let _ = write!(out, "{:>2}", r + 1);
            for d in row {
                out.push(' ');
                out.push(char::from(b'0' + d));
            }
            out.push('\n');
        }
        out
    }

    /// Reads a matrix back from text such as [`Matrix::render_text`] prints
    /// or a login page shows: every line that starts with a row number
    /// followed by digits is a row; the column header is optional. All rows
    /// must have the same length.
    pub fn parse_text(text: &str) -> Result<Self> {
        const BAD: Error = Error::Format("text is not a digit matrix");
        if text.len() > 64 * 1024 {
            return Err(BAD);
        }
        let mut digits = Vec::new();
        let mut cols = 0usize;
        let mut rows = 0usize;
        for line in text.lines() {
            let folded = fold::fold(line);
            let line = folded.as_str();
            if line.is_empty() || line.bytes().all(|b| b.is_ascii_uppercase()) {
                continue;
            }
            let bytes = line.as_bytes();
            // Row number: one or two digits equal to the next row number.
            let label = (rows + 1).to_string();
            let rest = bytes.strip_prefix(label.as_bytes()).ok_or(BAD)?;
            if rest.is_empty() || rest.iter().any(|b| !b.is_ascii_digit()) {
                return Err(BAD);
            }
            if rows == 0 {
                cols = rest.len();
            } else if rest.len() != cols {
                return Err(BAD);
            }
            digits.extend(rest.iter().map(|b| b - b'0'));
            rows += 1;
        }
        let geometry = Geometry::new(rows, cols).map_err(|_| BAD)?;
        Matrix::from_digits(geometry, &digits)
    }
}
