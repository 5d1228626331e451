//! JS ↔ core conversions: numbers, option objects and errors.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The largest integer a JS number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// A core error as a JS `Error` with `name`, `code` and the public details.
#[allow(clippy::needless_pass_by_value)] // by value so that `.map_err(js_err)` reads naturally
pub(crate) fn js_err(e: mx::Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("MatrixauthError");
    let obj: &JsValue = err.as_ref();
    let set = |k: &str, v: JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(obj, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(e.code()));
    match e {
        mx::Error::Locked { locked_until } => {
            set("lockedUntil", locked_until.map_or(JsValue::NULL, |t| JsValue::from(to_js_time(t))));
        }
        mx::Error::WeakPattern(w) => set("weakness", JsValue::from_str(w.as_str())),
        mx::Error::Ticket(t) => set("reason", JsValue::from_str(t.as_str())),
        mx::Error::OtherChallengePending { expires_at } => {
            set("expiresAt", JsValue::from(to_js_time(expires_at)));
        }
        mx::Error::Policy(v) => {
            set("violation", JsValue::from_str(v.as_str()));
            if let Some(limit) = v.limit() {
                set("limit", JsValue::from(limit as f64));
            }
        }
        _ => {}
    }
    err.into()
}

/// A bad argument (wrong JS type or range): `code: "argument"`.
pub(crate) fn arg_err(message: &str) -> JsValue {
    let err = js_sys::TypeError::new(message);
    let obj: &JsValue = err.as_ref();
    let _ = Reflect::set(obj, &JsValue::from_str("code"), &JsValue::from_str("argument"));
    err.into()
}

/// Unix seconds as a JS number (every valid time is below 2^53).
pub(crate) fn to_js_time(t: u64) -> f64 {
    t as f64
}

/// `now` from JS: a whole number of seconds, or the clock when omitted.
pub(crate) fn now_or_clock(now: Option<f64>) -> Result<u64, JsValue> {
    match now {
        None => Ok((js_sys::Date::now() / 1000.0).floor() as u64),
        Some(t) => time("now", t),
    }
}

pub(crate) fn time(what: &str, t: f64) -> Result<u64, JsValue> {
    if !t.is_finite() || t < 0.0 || t.fract() != 0.0 {
        return Err(arg_err(&format!("{what} must be a whole, non-negative number of Unix seconds")));
    }
    if t > mx::MAX_TIME as f64 {
        return Err(js_err(mx::Error::InvalidTime));
    }
    Ok(t as u64)
}

fn whole(what: &str, v: &JsValue, max: f64) -> Result<f64, JsValue> {
    let Some(n) = v.as_f64() else {
        return Err(arg_err(&format!("{what} must be a number")));
    };
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > max {
        return Err(arg_err(&format!("{what} must be a whole number from 0 to {max}")));
    }
    Ok(n)
}

fn boolean(what: &str, v: &JsValue) -> Result<bool, JsValue> {
    v.as_bool().ok_or_else(|| arg_err(&format!("{what} must be true or false")))
}

fn usize_of(what: &str, v: &JsValue) -> Result<usize, JsValue> {
    Ok(whole(what, v, f64::from(u32::MAX))? as usize)
}

fn u32_of(what: &str, v: &JsValue) -> Result<u32, JsValue> {
    Ok(whole(what, v, f64::from(u32::MAX))? as u32)
}

fn u64_of(what: &str, v: &JsValue) -> Result<u64, JsValue> {
    Ok(whole(what, v, MAX_SAFE)? as u64)
}

/// Each own enumerable property of `options` that is not `undefined`.
fn entries(options: &Object) -> Result<Vec<(String, JsValue)>, JsValue> {
    let mut out = Vec::new();
    for key in Object::keys(options).iter() {
        let Some(name) = key.as_string() else { continue };
        let value = Reflect::get(options, &key)?;
        if !value.is_undefined() {
            out.push((name, value));
        }
    }
    Ok(out)
}

/// Applies camelCase policy options; unknown names throw.
pub(crate) fn apply_policy_options(p: &mut mx::Policy, options: &Object) -> Result<(), JsValue> {
    for (name, v) in entries(options)? {
        let n = name.as_str();
        match n {
            "rows" => p.rows = usize_of(n, &v)?,
            "cols" => p.cols = usize_of(n, &v)?,
            "blockRows" => p.block_rows = usize_of(n, &v)?,
            "blockCols" => p.block_cols = usize_of(n, &v)?,
            "requireEveryBlock" => p.require_every_block = boolean(n, &v)?,
            "minPatternLen" => p.min_pattern_len = usize_of(n, &v)?,
            "maxPatternLen" => p.max_pattern_len = usize_of(n, &v)?,
            "allowRepeatedCells" => p.allow_repeated_cells = boolean(n, &v)?,
            "rejectWeakPatterns" => p.reject_weak_patterns = boolean(n, &v)?,
            "challengeTtl" => p.challenge_ttl = u64_of(n, &v)?,
            "retryWindow" => p.retry_window = u64_of(n, &v)?,
            "maxConsecutiveFailures" => p.max_consecutive_failures = u32_of(n, &v)?,
            "lockoutSeconds" => p.lockout_seconds = u64_of(n, &v)?,
            "maxLockoutSeconds" => p.max_lockout_seconds = u64_of(n, &v)?,
            "maxTotalFailures" => p.max_total_failures = u32_of(n, &v)?,
            "cardChallengeCells" => p.card_challenge_cells = usize_of(n, &v)?,
            "cardSingleUse" => p.card_single_use = boolean(n, &v)?,
            "ticketTtl" => p.ticket_ttl = u64_of(n, &v)?,
            _ => return Err(arg_err(&format!("unknown policy option: {}", printable(n)))),
        }
    }
    Ok(())
}

/// A policy from JS: `undefined`/`null` (the defaults), a `Policy` (read through its
/// `toJSON`, so the object is copied rather than consumed), or a plain options object.
pub(crate) fn policy_from_js(value: &JsValue) -> Result<mx::Policy, JsValue> {
    let mut p = mx::Policy::default();
    if value.is_undefined() || value.is_null() {
        return Ok(p);
    }
    if !value.is_object() {
        return Err(arg_err("policy must be a Policy or an options object"));
    }
    let to_json = Reflect::get(value, &JsValue::from_str("toJSON"))?;
    let options = match to_json.dyn_ref::<js_sys::Function>() {
        Some(f) => f.call0(value)?,
        None => value.clone(),
    };
    let options =
        options.dyn_into::<Object>().map_err(|_| arg_err("policy must be a Policy or an options object"))?;
    apply_policy_options(&mut p, &options)?;
    p.validate().map_err(js_err)?;
    Ok(p)
}

/// The policy as a plain object with the option names.
pub(crate) fn policy_to_js(p: &mx::Policy) -> Result<JsValue, JsValue> {
    Obj::new()
        .num("rows", p.rows as f64)?
        .num("cols", p.cols as f64)?
        .num("blockRows", p.block_rows as f64)?
        .num("blockCols", p.block_cols as f64)?
        .set("requireEveryBlock", &JsValue::from(p.require_every_block))?
        .num("minPatternLen", p.min_pattern_len as f64)?
        .num("maxPatternLen", p.max_pattern_len as f64)?
        .set("allowRepeatedCells", &JsValue::from(p.allow_repeated_cells))?
        .set("rejectWeakPatterns", &JsValue::from(p.reject_weak_patterns))?
        .num("challengeTtl", p.challenge_ttl as f64)?
        .num("retryWindow", p.retry_window as f64)?
        .num("maxConsecutiveFailures", f64::from(p.max_consecutive_failures))?
        .num("lockoutSeconds", p.lockout_seconds as f64)?
        .num("maxLockoutSeconds", p.max_lockout_seconds as f64)?
        .num("maxTotalFailures", f64::from(p.max_total_failures))?
        .num("cardChallengeCells", p.card_challenge_cells as f64)?
        .set("cardSingleUse", &JsValue::from(p.card_single_use))?
        .num("ticketTtl", p.ticket_ttl as f64)?
        .done()
}

/// Applies `GridCard.generate` options; unknown names throw.
pub(crate) fn apply_card_options(spec: &mut mx::CardSpec, options: &Object) -> Result<(), JsValue> {
    for (name, v) in entries(options)? {
        let n = name.as_str();
        match n {
            "serial" => {
                spec.serial = if v.is_null() {
                    None
                } else {
                    Some(v.as_string().ok_or_else(|| arg_err("serial must be a string"))?)
                };
            }
            "rows" => spec.rows = usize_of(n, &v)?,
            "cols" => spec.cols = usize_of(n, &v)?,
            "cellLen" => spec.cell_len = usize_of(n, &v)?,
            "alphabet" => {
                let a = v.as_string().ok_or_else(|| arg_err("alphabet must be \"digits\" or \"alnum\""))?;
                spec.alphabet = mx::Alphabet::from_name(&a).map_err(js_err)?;
            }
            "expiresAt" => {
                spec.expires_at = if v.is_null() {
                    None
                } else {
                    Some(time("expiresAt", v.as_f64().ok_or_else(|| arg_err("expiresAt must be a number"))?)?)
                };
            }
            _ => return Err(arg_err(&format!("unknown card option: {}", printable(n)))),
        }
    }
    Ok(())
}

/// An option name for an error message: at most 40 printable ASCII characters.
fn printable(name: &str) -> String {
    name.chars().filter(char::is_ascii_graphic).take(40).collect()
}

/// Cell indices: whole numbers.
pub(crate) fn indices(cells: &Array) -> Result<Vec<usize>, JsValue> {
    if cells.length() > 256 {
        return Err(js_err(mx::Error::InvalidPatternLength));
    }
    cells.iter().map(|v| usize_of("a cell index", &v)).collect()
}

/// An array of strings.
pub(crate) fn strings(values: &Array, what: &str) -> Result<Vec<String>, JsValue> {
    if values.length() > 256 {
        return Err(js_err(mx::Error::InvalidPatternLength));
    }
    values.iter().map(|v| v.as_string().ok_or_else(|| arg_err(&format!("{what} must be strings")))).collect()
}

/// A small builder for plain JS objects.
pub(crate) struct Obj(Object);

impl Obj {
    pub(crate) fn new() -> Self {
        Obj(Object::new())
    }

    pub(crate) fn set(self, key: &str, value: &JsValue) -> Result<Self, JsValue> {
        Reflect::set(&self.0, &JsValue::from_str(key), value)?;
        Ok(self)
    }

    pub(crate) fn num(self, key: &str, value: f64) -> Result<Self, JsValue> {
        self.set(key, &JsValue::from(value))
    }

    #[allow(clippy::unnecessary_wraps)] // ends `?` chains of `set`
    pub(crate) fn done(self) -> Result<JsValue, JsValue> {
        Ok(self.0.into())
    }
}
