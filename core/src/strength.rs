//! Honest strength figures for a credential under a policy (SPEC §3).
//!
//! Three numbers side by side, because each answers a different attack:
//! the size of the pattern space (offline, nothing observed), the chance of
//! one online guess once the fixed string is known (one observed login
//! reveals it), and how few observed logins leave a watcher with a single
//! candidate pattern (shoulder surfing, screen recording, phishing proxies).

/// Expected number of patterns of `len` cells on a grid of `cells` cells that
/// agree with `observed` logins (matrices and typed digits) a watcher saw,
/// the true pattern included: `(1 + (cells - 1) / 10^observed)^len`.
///
/// Each cell other than the true one shows the same digit in all `observed`
/// matrices with probability `10^-observed`, independently per pattern
/// position. This treats positions as independent and allows repeated cells;
/// with repeats forbidden the true count is slightly lower. For an 8×8 grid
/// and 4 cells it gives about 2,840 after one login and 7.1 after two.
pub fn expected_candidates(cells: usize, len: usize, observed: u32) -> f64 {
    let per_position = 1.0 + (cells.saturating_sub(1)) as f64 / 10f64.powf(f64::from(observed));
    per_position.powf(len as f64)
}

/// The smallest number of observed logins after which the expected number of
/// wrong patterns still consistent with them, `expected_candidates - 1`,
/// falls below one half.
pub fn observations_to_unique(cells: usize, len: usize) -> u32 {
    (0..64).find(|&k| expected_candidates(cells, len, k) - 1.0 < 0.5).unwrap_or(64)
}

/// The strength report of one credential under one policy.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Strength {
    /// Cells in the grid.
    pub grid_cells: usize,
    /// Cells in the pattern (L).
    pub pattern_len: usize,
    /// Patterns of this length the policy allows: `cells^L` with repeated
    /// cells allowed, `cells!/(cells-L)!` without (weak patterns, a tiny
    /// share, are not subtracted).
    pub pattern_space: f64,
    /// `log2(pattern_space)`, in bits.
    pub pattern_space_bits: f64,
    /// Chance that one online guess is right when the attacker knows the
    /// fixed string and its position (one observed login reveals both):
    /// `10^-L`.
    pub guess_probability: f64,
    /// Chance that an attacker who knows the fixed string gets in before the
    /// permanent lock (`max_total_failures` guesses): `1 - (1 - 10^-L)^n`.
    pub online_success_before_permanent_lock: f64,
    /// `expected_candidates` after 1, 2 and 3 observed logins.
    pub candidates_after: [f64; 3],
    /// Observed logins after which fewer than half a wrong pattern is
    /// expected to remain ([`observations_to_unique`]).
    pub observations_to_unique: u32,
}

impl Strength {
    /// The report for a pattern of `len` cells under `policy` (before a
    /// credential exists, for enrollment pages). `len` is clamped to 1..=16
    /// and the grid's cell count saturates, so an unvalidated policy or a
    /// hostile length gives a finite report, never a panic or a long loop.
    pub fn for_length(policy: &crate::Policy, len: usize) -> Self {
        let len = len.clamp(1, crate::MAX_PATTERN_LEN);
        let cells = policy.rows.saturating_mul(policy.cols);
        let pattern_space = if policy.allow_repeated_cells {
            (cells as f64).powf(len as f64)
        } else {
            (0..len).map(|i| cells.saturating_sub(i) as f64).product()
        };
        let guess_probability = 10f64.powf(-(len as f64));
        let online = 1.0 - (1.0 - guess_probability).powf(f64::from(policy.max_total_failures));
        Strength {
            grid_cells: cells,
            pattern_len: len,
            pattern_space,
            pattern_space_bits: pattern_space.log2(),
            guess_probability,
            online_success_before_permanent_lock: online,
            candidates_after: [1, 2, 3].map(|k| expected_candidates(cells, len, k)),
            observations_to_unique: observations_to_unique(cells, len),
        }
    }
}
