//! Pattern-mode credentials (SPEC §3): an ordered list of cells plus a fixed
//! string inserted at a chosen position.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, PolicyViolation, Result, Weakness};
use crate::fold;
use crate::grid::{Cell, Geometry, MAX_SIDE, Matrix};
use crate::policy::Policy;
use crate::rng;

/// Hard maximum of pattern cells.
pub const MAX_PATTERN_LEN: usize = 16;
/// Longest fixed string, in characters (all ASCII after folding).
pub const MAX_FIXED_LEN: usize = 32;
/// Longest right answer: every pattern digit plus the whole fixed string.
pub const MAX_RESPONSE_LEN: usize = MAX_PATTERN_LEN + MAX_FIXED_LEN;

const CREDENTIAL_FORMAT: u8 = 2;
/// Length of every serialised credential (format 2): format, length, 16 cell
/// slots, position, fixed length, 32 fixed-string bytes.
const CREDENTIAL_BYTES: usize = 4 + 2 * MAX_PATTERN_LEN + MAX_FIXED_LEN;

/// A user's memorised secret in pattern mode: `len` cells in order, and a
/// fixed string typed after the first `fixed_at` digits.
///
/// Every field is secret: the value is wiped on drop, `Debug` prints
/// `PatternCredential { .. }`, and verification reads it in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PatternCredential {
    cells: [Cell; MAX_PATTERN_LEN],
    len: u8,
    fixed: [u8; MAX_FIXED_LEN],
    fixed_len: u8,
    fixed_at: u8,
}

impl fmt::Debug for PatternCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PatternCredential { .. }")
    }
}

impl PatternCredential {
    /// A credential from cells, a fixed string (folded as typed input is:
    /// full-width to ASCII, white space removed; then 0..=32 characters in
    /// U+0021–U+007E) and its insert position `fixed_at` (0..=cells).
    ///
    /// This checks structure only; [`crate::Authenticator::check_credential`]
    /// applies the policy (lengths, repeats, weak patterns, grid size).
    pub fn new(cells: &[Cell], fixed: &str, fixed_at: usize) -> Result<Self> {
        if cells.is_empty() || cells.len() > MAX_PATTERN_LEN {
            return Err(Error::InvalidPatternLength);
        }
        if cells.iter().any(|c| c.row >= MAX_SIDE || c.col >= MAX_SIDE) {
            return Err(Error::CellOutOfRange);
        }
        if fixed_at > cells.len() {
            return Err(Error::InvalidFixedPosition);
        }
        if fixed.len() > 4 * MAX_FIXED_LEN * 3 {
            return Err(Error::InvalidFixedString);
        }
        let folded = fold::fold(fixed);
        let bytes = folded.as_bytes();
        if bytes.len() > MAX_FIXED_LEN || bytes.iter().any(|b| !(0x21..=0x7e).contains(b)) {
            return Err(Error::InvalidFixedString);
        }
        let mut cred = PatternCredential {
            cells: [Cell::default(); MAX_PATTERN_LEN],
            len: cells.len() as u8,
            fixed: [0; MAX_FIXED_LEN],
            fixed_len: bytes.len() as u8,
            fixed_at: fixed_at as u8,
        };
        for (slot, &cell) in cred.cells.iter_mut().zip(cells) {
            *slot = cell;
        }
        for (slot, &b) in cred.fixed.iter_mut().zip(bytes) {
            *slot = b;
        }
        Ok(cred)
    }

    /// A credential from cell names such as `["B2", "G3", "ｃ５"]`.
    pub fn from_names<S: AsRef<str>>(names: &[S], fixed: &str, fixed_at: usize) -> Result<Self> {
        if names.is_empty() || names.len() > MAX_PATTERN_LEN {
            return Err(Error::InvalidPatternLength);
        }
        let mut cells = Zeroizing::new([Cell::default(); MAX_PATTERN_LEN]);
        for (slot, name) in cells.iter_mut().zip(names) {
            *slot = name.as_ref().parse()?;
        }
        Self::new(prefix(&cells, names.len()), fixed, fixed_at)
    }

    /// A credential from row-major cell indices of a grid with `cols`
    /// columns (`index = row * cols + col`).
    pub fn from_indices(indices: &[usize], cols: usize, fixed: &str, fixed_at: usize) -> Result<Self> {
        if !(usize::from(crate::grid::MIN_SIDE)..=usize::from(MAX_SIDE)).contains(&cols) {
            return Err(Error::InvalidGeometry);
        }
        if indices.is_empty() || indices.len() > MAX_PATTERN_LEN {
            return Err(Error::InvalidPatternLength);
        }
        let mut cells = Zeroizing::new([Cell::default(); MAX_PATTERN_LEN]);
        for (slot, &index) in cells.iter_mut().zip(indices) {
            *slot = Cell::new(index / cols, index % cols)?;
        }
        Self::new(prefix(&cells, indices.len()), fixed, fixed_at)
    }

    /// A random credential of the policy's longest length, for the decoy
    /// path: verifying an unknown user against it costs exactly what a real
    /// verification costs (verification work does not depend on the
    /// credential), and it is never accepted in practice (chance 10^-16).
    pub fn decoy(policy: &Policy) -> Result<Self> {
        let geometry = policy.geometry()?;
        let mut cells = Zeroizing::new([Cell::default(); MAX_PATTERN_LEN]);
        let len = policy.max_pattern_len.clamp(1, MAX_PATTERN_LEN);
        for slot in cells.iter_mut().take(len) {
            let index = rng::below(geometry.cells() as u32)? as usize;
            *slot = geometry.cell_at(index)?;
        }
        let mut fixed = Zeroizing::new([0u8; 8]);
        rng::fill(fixed.as_mut())?;
        let fixed_str: Zeroizing<String> =
            Zeroizing::new(fixed.iter().map(|b| char::from(b'!' + b % 94)).collect());
        Self::new(prefix(&cells, len), &fixed_str, 0)
    }

    /// Number of pattern cells.
    pub fn pattern_len(&self) -> usize {
        usize::from(self.len)
    }

    /// Number of fixed-string characters.
    pub fn fixed_len(&self) -> usize {
        usize::from(self.fixed_len)
    }

    pub(crate) fn cells(&self) -> &[Cell] {
        self.cells.get(..self.pattern_len()).unwrap_or(&[])
    }

    pub(crate) fn cell_array(&self) -> &[Cell; MAX_PATTERN_LEN] {
        &self.cells
    }

    pub(crate) fn fixed_array(&self) -> &[u8; MAX_FIXED_LEN] {
        &self.fixed
    }

    pub(crate) fn fixed_at(&self) -> usize {
        usize::from(self.fixed_at)
    }

    /// The right answer to `matrix`: digits before the fixed string, the
    /// fixed string, the remaining digits. For test automation and demos;
    /// this is not the constant-time path that verification uses.
    pub fn respond_matrix(&self, matrix: &Matrix) -> Result<Zeroizing<String>> {
        let mut out = Zeroizing::new(String::with_capacity(MAX_RESPONSE_LEN));
        for (i, &cell) in self.cells().iter().enumerate() {
            if i == self.fixed_at() {
                self.push_fixed(&mut out);
            }
            let digit = matrix.get(cell).ok_or(Error::CellOutOfRange)?;
            out.push(char::from(b'0' + digit));
        }
        if self.fixed_at() == self.pattern_len() {
            self.push_fixed(&mut out);
        }
        Ok(out)
    }

    /// The right answer to a challenge; see [`PatternCredential::respond_matrix`].
    pub fn respond(&self, challenge: &crate::Challenge) -> Result<Zeroizing<String>> {
        self.respond_matrix(&challenge.matrix)
    }

    fn push_fixed(&self, out: &mut String) {
        for &b in self.fixed.iter().take(self.fixed_len()) {
            out.push(char::from(b));
        }
    }

    /// Applies `policy`: grid size, lengths, repeated cells and (if enabled)
    /// the weak-pattern rules.
    pub(crate) fn check(&self, policy: &Policy) -> Result<()> {
        let geometry = policy.geometry()?;
        let cells = self.cells();
        if cells.iter().any(|&c| !geometry.contains(c)) {
            return Err(Error::Policy(PolicyViolation::CellOutsideGrid));
        }
        if cells.len() < policy.min_pattern_len {
            return Err(Error::Policy(PolicyViolation::TooShort { min: policy.min_pattern_len }));
        }
        if cells.len() > policy.max_pattern_len {
            return Err(Error::Policy(PolicyViolation::TooLong { max: policy.max_pattern_len }));
        }
        if !policy.allow_repeated_cells && has_repeats(cells) {
            return Err(Error::Policy(PolicyViolation::RepeatedCell));
        }
        if let Some(w) = weakness(cells, geometry, policy) {
            return Err(Error::WeakPattern(w));
        }
        Ok(())
    }

    /// Serialises the credential (format in `docs/FORMATS.md`). The bytes
    /// are the secret in the clear: seal them before storing. Every
    /// credential gives the same number of bytes (unused cell slots and
    /// fixed-string bytes are zero), so neither the bytes nor a sealed record
    /// reveal the pattern's or the fixed string's length.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(CREDENTIAL_BYTES));
        out.push(CREDENTIAL_FORMAT);
        out.push(self.len);
        for (i, c) in self.cells.iter().enumerate() {
            let used = i < self.pattern_len();
            out.push(if used { c.row } else { 0 });
            out.push(if used { c.col } else { 0 });
        }
        out.push(self.fixed_at);
        out.push(self.fixed_len);
        for (i, &b) in self.fixed.iter().enumerate() {
            out.push(if i < self.fixed_len() { b } else { 0 });
        }
        out
    }

    /// Reads bytes written by [`PatternCredential::to_bytes`] (format 2, one
    /// length for every credential) or by earlier versions (format 1, as long
    /// as the credential).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const BAD: Error = Error::Format("not a pattern credential record");
        let mut r = crate::codec::Reader::new(bytes);
        let padded = match r.u8().ok_or(BAD)? {
            1 => false,
            CREDENTIAL_FORMAT => true,
            _ => return Err(Error::Format("unknown pattern credential format version")),
        };
        let len = usize::from(r.u8().ok_or(BAD)?);
        if len == 0 || len > MAX_PATTERN_LEN {
            return Err(BAD);
        }
        let slots = if padded { MAX_PATTERN_LEN } else { len };
        let mut cells = Zeroizing::new([Cell::default(); MAX_PATTERN_LEN]);
        for (i, slot) in cells.iter_mut().enumerate().take(slots) {
            let row = r.u8().ok_or(BAD)?;
            let col = r.u8().ok_or(BAD)?;
            if i < len {
                *slot = Cell::new(row.into(), col.into()).map_err(|_| BAD)?;
            } else if row != 0 || col != 0 {
                return Err(BAD);
            }
        }
        let fixed_at = usize::from(r.u8().ok_or(BAD)?);
        let fixed_len = usize::from(r.u8().ok_or(BAD)?);
        if fixed_len > MAX_FIXED_LEN {
            return Err(BAD);
        }
        let fixed = r.take(fixed_len).ok_or(BAD)?;
        if padded && r.take(MAX_FIXED_LEN - fixed_len).ok_or(BAD)?.iter().any(|&b| b != 0) {
            return Err(BAD);
        }
        if !r.is_empty() {
            return Err(BAD);
        }
        let fixed = Zeroizing::new(core::str::from_utf8(fixed).map_err(|_| BAD)?.to_owned());
        if fixed.len() != fixed_len {
            return Err(BAD);
        }
        Self::new(prefix(&cells, len), &fixed, fixed_at).map_err(|_| BAD)
    }

    /// Seals the credential for storage: XChaCha20-Poly1305 under the
    /// keyring's signing key, bound to `user` (SPEC §7).
    pub fn seal(&self, keyring: &crate::Keyring, user: &str) -> Result<Vec<u8>> {
        crate::seal::seal(keyring, user, crate::seal::RecordKind::PatternCredential, &self.to_bytes())
    }

    /// Opens a record made by [`PatternCredential::seal`] for the same `user`.
    pub fn open(keyring: &crate::Keyring, user: &str, sealed: &[u8]) -> Result<Self> {
        let plain = crate::seal::open(keyring, user, crate::seal::RecordKind::PatternCredential, sealed)?;
        Self::from_bytes(&plain)
    }
}

/// The first `n` cells; an empty slice (refused by `new`) if `n` is too big.
fn prefix(cells: &[Cell; MAX_PATTERN_LEN], n: usize) -> &[Cell] {
    cells.get(..n).unwrap_or(&[])
}

fn has_repeats(cells: &[Cell]) -> bool {
    cells.iter().enumerate().any(|(i, c)| cells.iter().skip(i + 1).any(|d| d == c))
}

/// The first weak-pattern rule `cells` breaks, if any (SPEC §3).
pub(crate) fn weakness(cells: &[Cell], geometry: Geometry, policy: &Policy) -> Option<Weakness> {
    if policy.require_every_block && !touches_every_block(cells, geometry, policy) {
        return Some(Weakness::MissesBlock);
    }
    if !policy.reject_weak_patterns || cells.len() < 2 {
        return None;
    }
    let first = cells.first()?;
    if cells.iter().all(|c| c == first) {
        return Some(Weakness::SingleCell);
    }
    let (last_row, last_col) = (geometry.rows() as u8 - 1, geometry.cols() as u8 - 1);
    if cells.iter().all(|c| (c.row == 0 || c.row == last_row) && (c.col == 0 || c.col == last_col)) {
        return Some(Weakness::Corners);
    }
    if is_straight_line(cells) {
        return Some(Weakness::StraightLine);
    }
    if is_raster_rectangle(cells) {
        return Some(Weakness::Rectangle);
    }
    None
}

fn is_straight_line(cells: &[Cell]) -> bool {
    let key = |c: &Cell| -> [i32; 4] {
        let (r, c) = (i32::from(c.row), i32::from(c.col));
        [r, c, r - c, r + c]
    };
    let Some(first) = cells.first().map(key) else { return false };
    // Every cell on one row, one column, one diagonal or one anti-diagonal.
    for axis in 0..4 {
        if cells.iter().all(|c| key(c).get(axis) == first.get(axis)) {
            return true;
        }
    }
    // Or walked at one constant step (a line of any slope: B1 D2 F3 H4).
    let step = |pair: &[Cell]| match pair {
        [a, b] => Some((i32::from(b.row) - i32::from(a.row), i32::from(b.col) - i32::from(a.col))),
        _ => None,
    };
    let mut steps = cells.windows(2).map(step);
    let Some(first_step) = steps.next() else { return false };
    first_step != Some((0, 0)) && steps.all(|s| s == first_step)
}

fn is_raster_rectangle(cells: &[Cell]) -> bool {
    let (Some(r0), Some(r1)) = (cells.iter().map(|c| c.row).min(), cells.iter().map(|c| c.row).max()) else {
        return false;
    };
    let (Some(c0), Some(c1)) = (cells.iter().map(|c| c.col).min(), cells.iter().map(|c| c.col).max()) else {
        return false;
    };
    let (h, w) = (usize::from(r1 - r0) + 1, usize::from(c1 - c0) + 1);
    if h < 2 || w < 2 || h * w != cells.len() {
        return false;
    }
    // The eight raster walks: rows or columns first, each axis either way.
    for by_rows in [true, false] {
        for rev_r in [false, true] {
            for rev_c in [false, true] {
                let walk = (0..h * w).map(|k| {
                    let (i, j) = if by_rows { (k / w, k % w) } else { (k % h, k / h) };
                    let i = if rev_r { h - 1 - i } else { i };
                    let j = if rev_c { w - 1 - j } else { j };
                    Cell { row: r0 + i as u8, col: c0 + j as u8 }
                });
                if walk.eq(cells.iter().copied()) {
                    return true;
                }
            }
        }
    }
    false
}

fn touches_every_block(cells: &[Cell], geometry: Geometry, policy: &Policy) -> bool {
    let br = policy.block_rows.max(1);
    let bc = policy.block_cols.max(1);
    let blocks_down = geometry.rows().div_ceil(br);
    let blocks_across = geometry.cols().div_ceil(bc);
    (0..blocks_down).all(|bi| {
        (0..blocks_across)
            .all(|bj| cells.iter().any(|c| usize::from(c.row) / br == bi && usize::from(c.col) / bc == bj))
    })
}
