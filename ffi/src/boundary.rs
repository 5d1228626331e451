//! The C boundary: one panic-catching macro around every exported body, and
//! the checked conversions of C arguments (pointers, strings, buffers).

use core::ffi::{CStr, c_char};

use crate::result::matrixauth_result;

/// Runs the body; a panic becomes `MATRIXAUTH_ERR_PANIC` instead of
/// unwinding into C. The body returns `Result<(), matrixauth_result>`.
macro_rules! boundary {
    ($($body:tt)*) => {{
        let run = || -> ::core::result::Result<(), $crate::result::matrixauth_result> { $($body)* };
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(run)) {
            Ok(Ok(())) => $crate::result::matrixauth_result::MATRIXAUTH_OK,
            Ok(Err(code)) => code,
            Err(_) => $crate::result::matrixauth_result::MATRIXAUTH_ERR_PANIC,
        }
    }};
}

/// Like `boundary!` for getters that return a plain value: a panic gives `$default`.
macro_rules! boundary_value {
    ($default:expr, $($body:tt)*) => {{
        let run = || $($body)*;
        ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(run)).unwrap_or($default)
    }};
}

pub(crate) use {boundary, boundary_value};

pub(crate) type FfiResult<T> = Result<T, matrixauth_result>;

/// A shared reference from a handle pointer; NULL is an error.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` from this library.
pub(crate) unsafe fn handle<'a, T>(p: *const T) -> FfiResult<&'a T> {
    // SAFETY: the caller promises p is NULL or a live handle.
    unsafe { p.as_ref() }.ok_or(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT)
}

/// An exclusive reference from a handle pointer; NULL is an error.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` not used elsewhere during the call.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T) -> FfiResult<&'a mut T> {
    // SAFETY: the caller promises p is NULL or a live, unaliased handle.
    unsafe { p.as_mut() }.ok_or(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT)
}

/// A `&str` from a NUL-terminated C string; NULL and invalid UTF-8 are errors.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn string<'a>(p: *const c_char) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's promise.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|_| matrixauth_result::MATRIXAUTH_ERR_INVALID_UTF8)
}

/// A byte slice from a pointer and a length; NULL is allowed only with length 0.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT);
    }
    if len > isize::MAX as usize {
        return Err(matrixauth_result::MATRIXAUTH_ERR_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL, len readable bytes by the caller's promise, len <= isize::MAX.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// An output buffer, checked before any work is done so that a call never
/// changes state and then fails to report it.
pub(crate) struct OutBuf {
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
}

impl OutBuf {
    /// # Safety
    /// `buf` is NULL or writable for `cap` bytes; `out_len` is NULL or writable.
    pub(crate) unsafe fn new(buf: *mut u8, cap: usize, out_len: *mut usize) -> FfiResult<Self> {
        if out_len.is_null() || (buf.is_null() && cap > 0) {
            return Err(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT);
        }
        Ok(OutBuf { buf, cap, out_len })
    }

    /// Fails with `BUFFER_TOO_SMALL` (and `*out_len = need`) unless `need` bytes fit.
    pub(crate) fn reserve(&self, need: usize) -> FfiResult<()> {
        if need > self.cap {
            // SAFETY: out_len is non-NULL and writable (checked in new).
            unsafe { self.out_len.write(need) };
            return Err(matrixauth_result::MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
        }
        Ok(())
    }

    /// Writes `data` (and a NUL after it when `nul`); on `BUFFER_TOO_SMALL`
    /// sets `*out_len` to the capacity needed. On success `*out_len` is the
    /// length without the NUL.
    pub(crate) fn write(&self, data: &[u8], nul: bool) -> FfiResult<()> {
        let need = data.len() + usize::from(nul);
        self.reserve(need)?;
        // SAFETY: when need > 0, buf is non-NULL and writable for cap >= need bytes (checked in
        // new and reserve); data is a separate Rust allocation, so the ranges do not overlap.
        // When need == 0, buf may be NULL and nothing is copied (copy_nonoverlapping needs
        // non-NULL pointers even for zero bytes).
        unsafe {
            if need > 0 {
                core::ptr::copy_nonoverlapping(data.as_ptr(), self.buf, data.len());
                if nul {
                    self.buf.add(data.len()).write(0);
                }
            }
            self.out_len.write(data.len());
        }
        Ok(())
    }
}

/// Checks an out-pointer for a new handle before any work is done.
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn out_ptr<T>(out: *mut *mut T) -> FfiResult<OutPtr<T>> {
    if out.is_null() { Err(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT) } else { Ok(OutPtr(out)) }
}

/// A checked, non-NULL out-pointer for a handle.
pub(crate) struct OutPtr<T>(*mut *mut T);

impl<T> OutPtr<T> {
    /// Boxes `value` and hands it to C.
    pub(crate) fn set(self, value: T) {
        // SAFETY: non-NULL and writable (checked in out_ptr).
        unsafe { self.0.write(Box::into_raw(Box::new(value))) };
    }
}

/// Checks a plain out-pointer before any work is done.
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn out_value<T>(out: *mut T) -> FfiResult<OutValue<T>> {
    if out.is_null() { Err(matrixauth_result::MATRIXAUTH_ERR_NULL_ARGUMENT) } else { Ok(OutValue(out)) }
}

/// A checked, non-NULL out-pointer for a value.
pub(crate) struct OutValue<T>(*mut T);

impl<T> OutValue<T> {
    pub(crate) fn set(self, value: T) {
        // SAFETY: non-NULL and writable (checked in out_value).
        unsafe { self.0.write(value) };
    }
}

/// Frees a boxed handle; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or a handle from this library that is not used afterwards.
pub(crate) unsafe fn free<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: p came from Box::into_raw in OutPtr::set and is freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}
