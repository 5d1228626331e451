//! Module-level functions: version, folding, cell names, strength, the watcher model, and
//! the conversions of matrices, strength reports and events to JS values.

use crate::convert::Obj;
use crate::convert::js_err;
use crate::policy::Policy;
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// The library's version (`"0.1.0"`).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Folds typed input as the verifier does: full-width forms to ASCII,
/// spaces and hyphens dropped (SPEC §3). For showing users what counts.
#[wasm_bindgen]
pub fn fold(input: &str) -> String {
    mx::fold(input).to_string()
}

/// The name of the cell at `row`, `col` (0-based): `cellName(2, 1)` is `"B3"`.
#[wasm_bindgen(js_name = cellName)]
pub fn cell_name(row: u32, col: u32) -> Result<String, JsValue> {
    let cell = mx::Cell::new(row as usize, col as usize).map_err(js_err)?;
    Ok(cell.to_string())
}

/// A watcher's expected number of candidate patterns after `observed`
/// logins, for a grid of `cells` cells and a pattern of `length` cells.
#[wasm_bindgen(js_name = expectedCandidates)]
pub fn expected_candidates(cells: u32, length: u32, observed: u32) -> f64 {
    mx::expected_candidates(cells as usize, length as usize, observed)
}

/// Observed logins after which fewer than half a wrong pattern remains.
#[wasm_bindgen(js_name = observationsToUnique)]
pub fn observations_to_unique(cells: u32, length: u32) -> u32 {
    mx::observations_to_unique(cells as usize, length as usize)
}

/// The strength report for a pattern of `length` cells under `policy`,
/// before a credential exists (enrollment pages). A plain object; fields in
/// `index.d.ts`.
#[wasm_bindgen(js_name = strengthForLength)]
pub fn strength_for_length(policy: &Policy, length: u32) -> Result<JsValue, JsValue> {
    strength_to_js(&mx::Strength::for_length(&policy.inner, length as usize))
}

/// Reads a matrix printed by `Challenge.renderText()` (or a login page's
/// text) back into rows of digits.
#[wasm_bindgen(js_name = parseMatrixText)]
pub fn parse_matrix_text(text: &str) -> Result<Array, JsValue> {
    let matrix = mx::Matrix::parse_text(text).map_err(js_err)?;
    Ok(matrix_to_js(&matrix))
}

pub(crate) fn matrix_to_js(matrix: &mx::Matrix) -> Array {
    matrix.rows().iter().map(|row| row.iter().map(|&d| JsValue::from(d)).collect::<Array>()).collect()
}

pub(crate) fn strength_to_js(s: &mx::Strength) -> Result<JsValue, JsValue> {
    let after: Array = s.candidates_after.iter().map(|&c| JsValue::from(c)).collect();
    Obj::new()
        .num("gridCells", s.grid_cells as f64)?
        .num("patternLength", s.pattern_len as f64)?
        .num("patternSpace", s.pattern_space)?
        .num("patternSpaceBits", s.pattern_space_bits)?
        .num("guessProbability", s.guess_probability)?
        .num("onlineSuccessBeforePermanentLock", s.online_success_before_permanent_lock)?
        .set("candidatesAfter", &after)?
        .num("observationsToUnique", f64::from(s.observations_to_unique))?
        .done()
}

pub(crate) fn event_to_js(event: &mx::Event) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&event.to_json())
}
