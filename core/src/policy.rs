//! Enrollment and lockout policy (SPEC §3, §4, §5, §6 defaults).

use crate::error::{Error, Result};
use crate::grid::Geometry;
use crate::pattern::MAX_PATTERN_LEN;

/// What an [`crate::Authenticator`] enforces. Fields are public; construct
/// with struct-update syntax over [`Policy::default`] and let
/// [`crate::Authenticator::new`] validate the result.
///
/// ```
/// let policy = matrixauth::Policy { min_pattern_len: 4, ..Default::default() };
/// assert!(policy.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent switches, named as in SPEC §10
pub struct Policy {
    /// Grid rows (2..=26). Default 8.
    pub rows: usize,
    /// Grid columns (2..=26). Default 8.
    pub cols: usize,
    /// Rows per presentation block (default 4): blocks are drawn apart and
    /// used by `require_every_block`.
    pub block_rows: usize,
    /// Columns per presentation block (default 4).
    pub block_cols: usize,
    /// Refuse patterns that leave a block untouched. Default off.
    pub require_every_block: bool,
    /// Fewest pattern cells (4..=16). Default 6.
    pub min_pattern_len: usize,
    /// Most pattern cells (min..=16). Default 16.
    pub max_pattern_len: usize,
    /// Allow a cell to appear more than once in a pattern. Default off.
    pub allow_repeated_cells: bool,
    /// Refuse weak patterns at enrollment (list in `docs/DESIGN.md`). Default on.
    pub reject_weak_patterns: bool,
    /// Challenge lifetime in seconds (1..=86400). Default 180.
    pub challenge_ttl: u64,
    /// Retry window in seconds (0..=`challenge_ttl`). Default 30. Within it
    /// (and never past the challenge's expiry) an answer to the challenge
    /// just answered is compared with the last answer: the same answer is
    /// `duplicate`, a different one `rejected` and counted. After it the
    /// answer is not examined: `stale`. 0 turns duplicate recognition off
    /// (always `stale`). SPEC §5 "No answer oracle".
    pub retry_window: u64,
    /// Consecutive failures that lock the user (>= 1). Default 5.
    pub max_consecutive_failures: u32,
    /// First lock's length in seconds (>= 1); each further lock doubles it.
    /// Default 900 (15 minutes).
    pub lockout_seconds: u64,
    /// Cap on a lock's length (>= `lockout_seconds`). Default 86400 (24 hours).
    pub max_lockout_seconds: u64,
    /// Failures without a success that lock the user permanently (>= 1).
    /// Default 100 (NIST SP 800-63B).
    pub max_total_failures: u32,
    /// Cells asked per grid-card challenge (1..=16). Default 3.
    pub card_challenge_cells: usize,
    /// Ask every card cell at most once (NIST single use). Default on.
    pub card_single_use: bool,
    /// Login ticket lifetime in seconds (1..=3600). Default 30.
    pub ticket_ttl: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            rows: 8,
            cols: 8,
            block_rows: 4,
            block_cols: 4,
            require_every_block: false,
            min_pattern_len: 6,
            max_pattern_len: MAX_PATTERN_LEN,
            allow_repeated_cells: false,
            reject_weak_patterns: true,
            challenge_ttl: 180,
            retry_window: 30,
            max_consecutive_failures: 5,
            lockout_seconds: 900,
            max_lockout_seconds: 86_400,
            max_total_failures: 100,
            card_challenge_cells: 3,
            card_single_use: true,
            ticket_ttl: 30,
        }
    }
}

impl Policy {
    /// Checks every field's range; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        let geometry = self.geometry()?;
        if self.block_rows == 0
            || self.block_cols == 0
            || self.block_rows > geometry.rows()
            || self.block_cols > geometry.cols()
        {
            return Err(Error::InvalidPolicy("block_rows/block_cols must be 1..=rows/cols"));
        }
        if !(4..=MAX_PATTERN_LEN).contains(&self.min_pattern_len) {
            return Err(Error::InvalidPolicy("min_pattern_len must be 4..=16"));
        }
        if !(self.min_pattern_len..=MAX_PATTERN_LEN).contains(&self.max_pattern_len) {
            return Err(Error::InvalidPolicy("max_pattern_len must be min_pattern_len..=16"));
        }
        if !self.allow_repeated_cells && self.min_pattern_len > geometry.cells() {
            return Err(Error::InvalidPolicy("min_pattern_len exceeds the grid's cells"));
        }
        if !(1..=86_400).contains(&self.challenge_ttl) {
            return Err(Error::InvalidPolicy("challenge_ttl must be 1..=86400 seconds"));
        }
        if self.retry_window > self.challenge_ttl {
            return Err(Error::InvalidPolicy("retry_window must be 0..=challenge_ttl seconds"));
        }
        if self.max_consecutive_failures == 0 {
            return Err(Error::InvalidPolicy("max_consecutive_failures must be at least 1"));
        }
        if self.lockout_seconds == 0 || self.max_lockout_seconds < self.lockout_seconds {
            return Err(Error::InvalidPolicy("lockout_seconds must be >= 1 and <= max_lockout_seconds"));
        }
        if self.max_total_failures == 0 {
            return Err(Error::InvalidPolicy("max_total_failures must be at least 1"));
        }
        if !(1..=16).contains(&self.card_challenge_cells) {
            return Err(Error::InvalidPolicy("card_challenge_cells must be 1..=16"));
        }
        if !(1..=3600).contains(&self.ticket_ttl) {
            return Err(Error::InvalidPolicy("ticket_ttl must be 1..=3600 seconds"));
        }
        Ok(())
    }

    /// Applies the enrollment rules to `credential` (grid, lengths, repeated
    /// cells, weak patterns) without any key: what
    /// [`crate::Authenticator::check_credential`] does, for enrollment pages
    /// that check as the user clicks.
    pub fn check_credential(&self, credential: &crate::PatternCredential) -> Result<()> {
        credential.check(self)
    }

    /// The grid geometry named by `rows` and `cols`.
    pub fn geometry(&self) -> Result<Geometry> {
        Geometry::new(self.rows, self.cols)
            .map_err(|_| Error::InvalidPolicy("rows/cols must be 2..=26 with at most 256 cells"))
    }

    /// Length of the `level`-th lock (1-based): `lockout_seconds` doubled
    /// `level - 1` times, capped at `max_lockout_seconds`.
    pub fn lock_duration(&self, level: u32) -> u64 {
        let doublings = level.saturating_sub(1).min(63);
        self.lockout_seconds.saturating_mul(1u64 << doublings).min(self.max_lockout_seconds)
    }
}
