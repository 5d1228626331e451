//! What a watcher learns: the patterns consistent with observed logins.
//!
//! A shoulder-surfer who saw `k` logins knows, for each, the matrix and the
//! digits typed (the fixed string is plain to see and drops out). A pattern
//! of `L` cells is *consistent* when, in every observation, the digit under
//! its `i`-th cell is the `i`-th typed digit. [`consistent_count`] counts
//! them exactly and [`sample_consistent`] draws one uniformly: the watcher's
//! best guess. [`crate::expected_candidates`] is the analytic expectation
//! over random matrices.
//!
//! Counting works on classes of cells: two cells are interchangeable when
//! they are eligible for the same positions. With repeated cells allowed the
//! count is the product of the eligible-set sizes; without, it is the number
//! of injective assignments, computed by a memoised recursion over
//! positions whose state is how many cells of each class are used.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::grid::{Cell, Matrix};
use crate::rng;

/// One observed login: the matrix shown and the pattern digits typed (the
/// fixed string removed), one digit 0–9 per pattern cell.
#[derive(Clone, Debug)]
pub struct Observation {
    /// The matrix the watcher saw.
    pub matrix: Matrix,
    /// The digits typed for the pattern, in order.
    pub digits: Vec<u8>,
}

/// Memo tables above this many entries abort the count (a guard against
/// pathological inputs; real observations stay far below it).
const MAX_MEMO: usize = 2_000_000;

struct Classes {
    /// Per class: eligibility mask over positions and member cells.
    masks: Vec<u32>,
    members: Vec<Vec<Cell>>,
    len: usize,
}

fn classes(observations: &[Observation], len: usize) -> Result<Classes> {
    if len == 0 || len > crate::MAX_PATTERN_LEN {
        return Err(Error::InvalidPatternLength);
    }
    let first = observations.first().ok_or(Error::Format("no observations"))?;
    let geometry = first.matrix.geometry();
    for o in observations {
        if o.matrix.geometry() != geometry {
            return Err(Error::Format("observations of different grid sizes"));
        }
        if o.digits.len() != len || o.digits.iter().any(|&d| d > 9) {
            return Err(Error::Format("an observation's digits do not match the pattern length"));
        }
    }
    let mut by_mask: HashMap<u32, Vec<Cell>> = HashMap::new();
    for index in 0..geometry.cells() {
        let cell = geometry.cell_at(index)?;
        let mut mask = 0u32;
        for i in 0..len {
            if observations.iter().all(|o| o.matrix.get(cell) == o.digits.get(i).copied()) {
                mask |= 1 << i;
            }
        }
        if mask != 0 {
            by_mask.entry(mask).or_default().push(cell);
        }
    }
    let mut pairs: Vec<(u32, Vec<Cell>)> = by_mask.into_iter().collect();
    pairs.sort_by_key(|(m, _)| *m);
    let (masks, members) = pairs.into_iter().unzip();
    Ok(Classes { masks, members, len })
}

struct Counter<'a> {
    c: &'a Classes,
    memo: HashMap<(usize, Vec<u8>), u128>,
}

impl Counter<'_> {
    /// Injective completions from position `i` with `used` cells per class taken.
    fn count(&mut self, i: usize, used: &mut Vec<u8>) -> Result<u128> {
        if i == self.c.len {
            return Ok(1);
        }
        if let Some(&n) = self.memo.get(&(i, used.clone())) {
            return Ok(n);
        }
        if self.memo.len() >= MAX_MEMO {
            return Err(Error::Format("observations too ambiguous to count exactly"));
        }
        let mut total: u128 = 0;
        for k in 0..self.c.masks.len() {
            let mask = self.c.masks.get(k).copied().unwrap_or(0);
            let size = self.c.members.get(k).map_or(0, Vec::len) as u128;
            let taken = u128::from(used.get(k).copied().unwrap_or(0));
            if mask & (1 << i) == 0 || taken >= size {
                continue;
            }
            if let Some(u) = used.get_mut(k) {
                *u += 1;
            }
            let rest = self.count(i + 1, used)?;
            if let Some(u) = used.get_mut(k) {
                *u -= 1;
            }
            total = total.saturating_add((size - taken).saturating_mul(rest));
        }
        self.memo.insert((i, used.clone()), total);
        Ok(total)
    }
}

/// The exact number of patterns of `len` cells consistent with every
/// observation (saturating at `u128::MAX`). `allow_repeats` follows the
/// policy's `allow_repeated_cells`.
pub fn consistent_count(observations: &[Observation], len: usize, allow_repeats: bool) -> Result<u128> {
    let c = classes(observations, len)?;
    if allow_repeats {
        let mut total: u128 = 1;
        for i in 0..len {
            let n: usize = c
                .masks
                .iter()
                .zip(&c.members)
                .filter(|(m, _)| *m & (1 << i) != 0)
                .map(|(_, cells)| cells.len())
                .sum();
            total = total.saturating_mul(n as u128);
        }
        return Ok(total);
    }
    let mut counter = Counter { c: &c, memo: HashMap::new() };
    counter.count(0, &mut vec![0; c.masks.len()])
}

/// One pattern drawn uniformly from those consistent with every
/// observation (the watcher's guess), or `None` if there is none.
pub fn sample_consistent(
    observations: &[Observation],
    len: usize,
    allow_repeats: bool,
) -> Result<Option<Vec<Cell>>> {
    let c = classes(observations, len)?;
    let mut counter = Counter { c: &c, memo: HashMap::new() };
    let mut used = vec![0u8; c.masks.len()];
    let mut chosen_cells: Vec<Cell> = Vec::with_capacity(len);
    for i in 0..len {
        // Weight of each class: its free cells times the completions after taking one.
        let mut weights: Vec<u128> = Vec::with_capacity(c.masks.len());
        for k in 0..c.masks.len() {
            let mask = c.masks.get(k).copied().unwrap_or(0);
            let size = c.members.get(k).map_or(0, Vec::len) as u128;
            let taken = if allow_repeats { 0 } else { u128::from(used.get(k).copied().unwrap_or(0)) };
            let w = if mask & (1 << i) == 0 || taken >= size {
                0
            } else if allow_repeats {
                size
            } else {
                if let Some(u) = used.get_mut(k) {
                    *u += 1;
                }
                let rest = counter.count(i + 1, &mut used)?;
                if let Some(u) = used.get_mut(k) {
                    *u -= 1;
                }
                (size - taken).saturating_mul(rest)
            };
            weights.push(w);
        }
        let total: u128 = weights.iter().fold(0u128, |a, &w| a.saturating_add(w));
        if total == 0 {
            return Ok(None);
        }
        let mut r = rng::below_u128(total)?;
        let mut k = 0;
        for (j, &w) in weights.iter().enumerate() {
            if r < w {
                k = j;
                break;
            }
            r -= w;
        }
        let members = c.members.get(k).ok_or(Error::Random)?;
        let free: Vec<Cell> = if allow_repeats {
            members.clone()
        } else {
            members.iter().copied().filter(|m| !chosen_cells.contains(m)).collect()
        };
        let pick = rng::below(free.len() as u32)? as usize;
        chosen_cells.push(*free.get(pick).ok_or(Error::Random)?);
        if !allow_repeats && let Some(u) = used.get_mut(k) {
            *u += 1;
        }
    }
    Ok(Some(chosen_cells))
}
