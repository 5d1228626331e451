//! Module-level functions: folding, strength and the watcher analysis.

use crate::credential::matrix_from;
use crate::error::err;
use crate::error::format_err;
use crate::policy::Policy;
use crate::policy::Strength;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Folds typed input as the verifier does (full-width to ASCII, spaces and hyphens dropped).
#[pyfunction]
pub(crate) fn fold(text: &str) -> String {
    mx::fold(text).to_string()
}

/// A watcher's expected candidate patterns after `observed` logins.
#[pyfunction]
#[pyo3(signature = (cells = 64, length = 6, observed = 1))]
pub(crate) fn expected_candidates(cells: usize, length: usize, observed: u32) -> f64 {
    mx::expected_candidates(cells, length, observed)
}

/// Observed logins after which fewer than half a wrong pattern remains.
#[pyfunction]
#[pyo3(signature = (cells = 64, length = 6))]
pub(crate) fn observations_to_unique(cells: usize, length: usize) -> u32 {
    mx::observations_to_unique(cells, length)
}

/// The strength report for a pattern of `length` cells under `policy`.
#[pyfunction]
pub(crate) fn strength_for_length(policy: &Policy, length: usize) -> Strength {
    Strength { inner: mx::Strength::for_length(&policy.inner, length) }
}

/// Reads a matrix printed by `Challenge.render_text()` into rows of digits.
#[pyfunction]
pub(crate) fn parse_matrix_text(text: &str) -> PyResult<Vec<Vec<u8>>> {
    Ok(mx::Matrix::parse_text(text).map_err(err)?.rows())
}

fn parse_observations(obs: &Bound<'_, PyAny>) -> PyResult<Vec<mx::analysis::Observation>> {
    let mut out = Vec::new();
    for item in obs.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err("each observation is a (matrix, digits) tuple")
        })?;
        if pair.len() != 2 {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "each observation is a (matrix, digits) tuple",
            ));
        }
        let matrix = matrix_from(&pair.get_item(0)?)?;
        let d = pair.get_item(1)?;
        let digits: Vec<u8> = if let Ok(s) = d.extract::<String>() {
            s.chars()
                .map(|c| c.to_digit(10).map(|v| v as u8))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| format_err("observed digits must be 0-9"))?
        } else {
            d.extract()?
        };
        out.push(mx::analysis::Observation { matrix, digits });
    }
    Ok(out)
}

/// The exact number of patterns of `length` cells consistent with observed
/// `(matrix, digits)` pairs (matrix: a Challenge, rows of digits or text;
/// digits: a string or list of the pattern digits typed, fixed string removed).
#[pyfunction]
#[pyo3(signature = (observations, length, allow_repeats = false))]
pub(crate) fn consistent_count(
    observations: &Bound<'_, PyAny>,
    length: usize,
    allow_repeats: bool,
) -> PyResult<u128> {
    mx::analysis::consistent_count(&parse_observations(observations)?, length, allow_repeats).map_err(err)
}

/// One consistent pattern drawn uniformly (cell names), or None.
#[pyfunction]
#[pyo3(signature = (observations, length, allow_repeats = false))]
pub(crate) fn sample_consistent(
    observations: &Bound<'_, PyAny>,
    length: usize,
    allow_repeats: bool,
) -> PyResult<Option<Vec<String>>> {
    let cells = mx::analysis::sample_consistent(&parse_observations(observations)?, length, allow_repeats)
        .map_err(err)?;
    Ok(cells.map(|c| c.iter().map(ToString::to_string).collect()))
}
