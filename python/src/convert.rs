//! Conversions shared by the classes: times and audit events.

use crate::error::format_err;
use pyo3::prelude::*;

/// `now` or the clock; negative times are refused.
pub(crate) fn now_or_clock(now: Option<i64>) -> PyResult<u64> {
    match now {
        None => {
            Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
        }
        Some(t) => u64::try_from(t).map_err(|_| format_err("now must be non-negative Unix seconds")),
    }
}

pub(crate) fn event_dict<'py>(py: Python<'py>, event: &mx::Event) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (event.to_json(),))
}
