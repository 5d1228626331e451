//! `libmatrixauth`: the C library of matrixauth. The header `matrixauth.h` is
//! generated from this crate by cbindgen; `docs/C-API.md` states the
//! conventions every function follows:
//! - opaque handles, freed by `*_free` (NULL is fine);
//! - a `matrixauth_result` from every fallible call;
//! - out-parameters written only on success, except `*out_len` on
//!   `MATRIXAUTH_ERR_BUFFER_TOO_SMALL`, which then holds the size needed;
//! - every buffer followed by its capacity;
//! - strings are NUL-terminated UTF-8;
//! - no panic ever unwinds into C.
//!
//! Logic lives in the `matrixauth` crate; this crate only translates.

#![allow(unsafe_code)] // the C boundary; every unsafe block says why it is sound
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // stated once per module and in docs/C-API.md
#![allow(clippy::not_unsafe_ptr_arg_deref)] // pointers are checked by the boundary helpers

mod boundary;
mod result;

use core::ffi::{c_char, c_void};
use std::ffi::CString;
use std::sync::Arc;

use boundary::{
    OutBuf, boundary, boundary_value, bytes, free, handle, handle_mut, out_ptr, out_value, string,
};
pub use result::{matrixauth_outcome, matrixauth_result};

type R = matrixauth_result;

/// Library version: major.
pub const MATRIXAUTH_VERSION_MAJOR: u32 = 0;
/// Library version: minor.
pub const MATRIXAUTH_VERSION_MINOR: u32 = 1;
/// Library version: patch.
pub const MATRIXAUTH_VERSION_PATCH: u32 = 0;
/// Packed version, `major * 1000000 + minor * 1000 + patch`, for `#if` checks.
pub const MATRIXAUTH_VERSION_NUMBER: u32 =
    MATRIXAUTH_VERSION_MAJOR * 1_000_000 + MATRIXAUTH_VERSION_MINOR * 1000 + MATRIXAUTH_VERSION_PATCH;

/// The library version as "major.minor.patch" (static; do not free).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The text of a result code (static; do not free). Unknown codes give "unknown result code".
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_result_message(result: u32) -> *const c_char {
    R::ALL.iter().find(|r| **r as u32 == result).map_or(c"unknown result code", |r| r.message()).as_ptr()
}

/// Proves the panic boundary: panics inside the library and returns
/// `MATRIXAUTH_ERR_PANIC`. Changes nothing.
#[unsafe(no_mangle)]
#[allow(clippy::panic)]
pub extern "C" fn matrixauth_selftest_panic() -> matrixauth_result {
    boundary! {
        panic!("matrixauth_selftest_panic: deliberate panic to test the C boundary");
    }
}

// ---------------------------------------------------------------- audit

/// Receives every audit event as one JSON line (`json[len]` is NUL). The
/// pointer is valid only during the call. The callback may run on any thread
/// that calls into the handle it is set on.
pub type matrixauth_audit_callback =
    Option<unsafe extern "C" fn(json: *const c_char, len: usize, userdata: *mut c_void)>;

struct Callback {
    f: unsafe extern "C" fn(*const c_char, usize, *mut c_void),
    userdata: *mut c_void,
}

// SAFETY: the host promises (docs/C-API.md) that its callback and userdata may be used from every
// thread that uses the handle; the library only passes the pointer back.
unsafe impl Send for Callback {}
// SAFETY: as above.
unsafe impl Sync for Callback {}

impl Callback {
    fn call(&self, event: &mx::Event) {
        // JSON escapes control characters, so the line has no interior NUL.
        if let Ok(line) = CString::new(event.to_json()) {
            // SAFETY: the callback is the host's; the string outlives the call.
            unsafe { (self.f)(line.as_ptr(), line.as_bytes().len(), self.userdata) };
        }
    }
}

fn sink(callback: matrixauth_audit_callback, userdata: *mut c_void) -> Option<mx::AuditSink> {
    let cb = Callback { f: callback?, userdata };
    Some(Arc::new(move |event: &mx::Event| cb.call(event)))
}

// ---------------------------------------------------------------- keyring

/// Server keys. Immutable once shared: may be used from several threads at once.
pub struct matrixauth_keyring {
    inner: mx::Keyring,
}

/// Creates a keyring whose signing key is `key[key_len]` (exactly 32 bytes) with id `key_id`.
/// The key is copied; wipe your copy.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_keyring_new(
    key: *const u8,
    key_len: usize,
    key_id: u32,
    out: *mut *mut matrixauth_keyring,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let key = unsafe { bytes(key, key_len) }?;
        if key.is_empty() { return Err(R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH); }
        out.set(matrixauth_keyring { inner: mx::Keyring::new(key, key_id)? });
        Ok(())
    }
}

/// Adds an older key that verifies but does not sign.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_keyring_add_verification_key(
    keyring: *mut matrixauth_keyring,
    key: *const u8,
    key_len: usize,
    key_id: u32,
) -> matrixauth_result {
    boundary! {
        let kr = unsafe { handle_mut(keyring) }?;
        let key = unsafe { bytes(key, key_len) }?;
        if key.is_empty() { return Err(R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH); }
        kr.inner.add_verification_key(key, key_id)?;
        Ok(())
    }
}

/// Makes `key` (32 bytes, new id) the signing key; older keys keep verifying.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_keyring_rotate(
    keyring: *mut matrixauth_keyring,
    key: *const u8,
    key_len: usize,
    key_id: u32,
) -> matrixauth_result {
    boundary! {
        let kr = unsafe { handle_mut(keyring) }?;
        let key = unsafe { bytes(key, key_len) }?;
        if key.is_empty() { return Err(R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH); }
        kr.inner.rotate(key, key_id)?;
        Ok(())
    }
}

/// Removes a verification key (not the signing key).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_keyring_remove_key(
    keyring: *mut matrixauth_keyring,
    key_id: u32,
) -> matrixauth_result {
    boundary! {
        unsafe { handle_mut(keyring) }?.inner.remove_key(key_id)?;
        Ok(())
    }
}

/// Fills `key_out[32]` with a fresh random key from the OS.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_generate_key(key_out: *mut u8, key_out_len: usize) -> matrixauth_result {
    boundary! {
        if key_out.is_null() { return Err(R::MATRIXAUTH_ERR_NULL_ARGUMENT); }
        if key_out_len != mx::KEY_LEN { return Err(R::MATRIXAUTH_ERR_INVALID_KEY_LENGTH); }
        let key = mx::Keyring::generate_key()?;
        // SAFETY: key_out is writable for 32 bytes (checked non-NULL; length checked).
        unsafe { core::ptr::copy_nonoverlapping(key.as_ptr(), key_out, mx::KEY_LEN) };
        Ok(())
    }
}

/// Frees a keyring (its keys are wiped). NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_keyring_free(keyring: *mut matrixauth_keyring) {
    boundary_value!((), unsafe { free(keyring) });
}

// ---------------------------------------------------------------- policy

/// A policy: start from the defaults, change fields with `matrixauth_policy_set`.
pub struct matrixauth_policy {
    inner: mx::Policy,
}

/// Fields of a policy, for `matrixauth_policy_set` / `_get`. Numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy)]
pub enum matrixauth_policy_field {
    /// Grid rows (default 8).
    MATRIXAUTH_POLICY_ROWS = 1,
    /// Grid columns (default 8).
    MATRIXAUTH_POLICY_COLS = 2,
    /// Rows per block (default 4).
    MATRIXAUTH_POLICY_BLOCK_ROWS = 3,
    /// Columns per block (default 4).
    MATRIXAUTH_POLICY_BLOCK_COLS = 4,
    /// 1: patterns must touch every block (default 0).
    MATRIXAUTH_POLICY_REQUIRE_EVERY_BLOCK = 5,
    /// Fewest pattern cells, 4-16 (default 6).
    MATRIXAUTH_POLICY_MIN_PATTERN_LEN = 6,
    /// Most pattern cells (default 16).
    MATRIXAUTH_POLICY_MAX_PATTERN_LEN = 7,
    /// 1: a cell may repeat in a pattern (default 0).
    MATRIXAUTH_POLICY_ALLOW_REPEATED_CELLS = 8,
    /// 1: refuse weak patterns (default 1).
    MATRIXAUTH_POLICY_REJECT_WEAK_PATTERNS = 9,
    /// Challenge lifetime in seconds (default 180).
    MATRIXAUTH_POLICY_CHALLENGE_TTL = 10,
    /// Consecutive failures that lock (default 5).
    MATRIXAUTH_POLICY_MAX_CONSECUTIVE_FAILURES = 11,
    /// First lock in seconds (default 900).
    MATRIXAUTH_POLICY_LOCKOUT_SECONDS = 12,
    /// Longest lock in seconds (default 86400).
    MATRIXAUTH_POLICY_MAX_LOCKOUT_SECONDS = 13,
    /// Failures without success that lock permanently (default 100).
    MATRIXAUTH_POLICY_MAX_TOTAL_FAILURES = 14,
    /// Cells per card challenge (default 3).
    MATRIXAUTH_POLICY_CARD_CHALLENGE_CELLS = 15,
    /// 1: every card cell asked at most once (default 1).
    MATRIXAUTH_POLICY_CARD_SINGLE_USE = 16,
    /// Login ticket lifetime in seconds (default 30).
    MATRIXAUTH_POLICY_TICKET_TTL = 17,
    /// Retry window in seconds, 0..=challenge TTL (default 30; 0: no
    /// duplicate recognition). SPEC §5 "No answer oracle".
    MATRIXAUTH_POLICY_RETRY_WINDOW = 18,
}

/// Creates a policy with the SPEC defaults.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_policy_new(out: *mut *mut matrixauth_policy) -> matrixauth_result {
    boundary! {
        unsafe { out_ptr(out) }?.set(matrixauth_policy { inner: mx::Policy::default() });
        Ok(())
    }
}

fn as_bool(v: u64) -> Result<bool, R> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(R::MATRIXAUTH_ERR_INVALID_ARGUMENT),
    }
}

/// Sets one field (`field` is a `matrixauth_policy_field`). Values are checked
/// for their type's range here and for consistency by `matrixauth_policy_validate`
/// and `matrixauth_authenticator_new`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_policy_set(
    policy: *mut matrixauth_policy,
    field: u32,
    value: u64,
) -> matrixauth_result {
    boundary! {
        let p = &mut unsafe { handle_mut(policy) }?.inner;
        let size = || usize::try_from(value).map_err(|_| R::MATRIXAUTH_ERR_INVALID_ARGUMENT);
        let count = || u32::try_from(value).map_err(|_| R::MATRIXAUTH_ERR_INVALID_ARGUMENT);
        match field {
            1 => p.rows = size()?,
            2 => p.cols = size()?,
            3 => p.block_rows = size()?,
            4 => p.block_cols = size()?,
            5 => p.require_every_block = as_bool(value)?,
            6 => p.min_pattern_len = size()?,
            7 => p.max_pattern_len = size()?,
            8 => p.allow_repeated_cells = as_bool(value)?,
            9 => p.reject_weak_patterns = as_bool(value)?,
            10 => p.challenge_ttl = value,
            11 => p.max_consecutive_failures = count()?,
            12 => p.lockout_seconds = value,
            13 => p.max_lockout_seconds = value,
            14 => p.max_total_failures = count()?,
            15 => p.card_challenge_cells = size()?,
            16 => p.card_single_use = as_bool(value)?,
            17 => p.ticket_ttl = value,
            18 => p.retry_window = value,
            _ => return Err(R::MATRIXAUTH_ERR_INVALID_ARGUMENT),
        }
        Ok(())
    }
}

/// Reads one field into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_policy_get(
    policy: *const matrixauth_policy,
    field: u32,
    out: *mut u64,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_value(out) }?;
        let p = &unsafe { handle(policy) }?.inner;
        let v = match field {
            1 => p.rows as u64,
            2 => p.cols as u64,
            3 => p.block_rows as u64,
            4 => p.block_cols as u64,
            5 => u64::from(p.require_every_block),
            6 => p.min_pattern_len as u64,
            7 => p.max_pattern_len as u64,
            8 => u64::from(p.allow_repeated_cells),
            9 => u64::from(p.reject_weak_patterns),
            10 => p.challenge_ttl,
            11 => u64::from(p.max_consecutive_failures),
            12 => p.lockout_seconds,
            13 => p.max_lockout_seconds,
            14 => u64::from(p.max_total_failures),
            15 => p.card_challenge_cells as u64,
            16 => u64::from(p.card_single_use),
            17 => p.ticket_ttl,
            18 => p.retry_window,
            _ => return Err(R::MATRIXAUTH_ERR_INVALID_ARGUMENT),
        };
        out.set(v);
        Ok(())
    }
}

/// Checks the policy's consistency: `MATRIXAUTH_ERR_INVALID_POLICY` if a field is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_policy_validate(policy: *const matrixauth_policy) -> matrixauth_result {
    boundary! {
        unsafe { handle(policy) }?.inner.validate()?;
        Ok(())
    }
}

/// Frees a policy. NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_policy_free(policy: *mut matrixauth_policy) {
    boundary_value!((), unsafe { free(policy) });
}

// ---------------------------------------------------------------- credential

/// A pattern credential (secret: wiped on free).
pub struct matrixauth_credential {
    pub(crate) inner: mx::PatternCredential,
}

/// Creates a credential from `count` cell names (`"B2"`), the fixed string
/// (NUL-terminated; "" for none) and its position `fixed_at` (0..=count).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_credential_from_names(
    names: *const *const c_char,
    count: usize,
    fixed: *const c_char,
    fixed_at: usize,
    out: *mut *mut matrixauth_credential,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        if names.is_null() { return Err(R::MATRIXAUTH_ERR_NULL_ARGUMENT); }
        if count == 0 || count > mx::MAX_PATTERN_LEN { return Err(R::MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH); }
        // SAFETY: names points to `count` pointers (caller's promise); count <= 16.
        let ptrs = unsafe { core::slice::from_raw_parts(names, count) };
        let mut list = Vec::with_capacity(count);
        for &p in ptrs {
            list.push(unsafe { string(p) }?);
        }
        let fixed = unsafe { string(fixed) }?;
        out.set(matrixauth_credential { inner: mx::PatternCredential::from_names(&list, fixed, fixed_at)? });
        Ok(())
    }
}

/// Creates a credential from `count` row-major cell indices of a grid with `cols` columns.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_credential_from_indices(
    indices: *const u32,
    count: usize,
    cols: u32,
    fixed: *const c_char,
    fixed_at: usize,
    out: *mut *mut matrixauth_credential,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        if indices.is_null() { return Err(R::MATRIXAUTH_ERR_NULL_ARGUMENT); }
        if count == 0 || count > mx::MAX_PATTERN_LEN { return Err(R::MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH); }
        // SAFETY: indices points to `count` u32 values (caller's promise); count <= 16.
        let raw = unsafe { core::slice::from_raw_parts(indices, count) };
        let list: Vec<usize> = raw.iter().map(|&i| i as usize).collect();
        let fixed = unsafe { string(fixed) }?;
        out.set(matrixauth_credential {
            inner: mx::PatternCredential::from_indices(&list, cols as usize, fixed, fixed_at)?,
        });
        Ok(())
    }
}

/// Writes the right answer to `challenge` (NUL-terminated) into `buf[cap]`. For test automation.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_credential_respond(
    credential: *const matrixauth_credential,
    challenge: *const matrixauth_challenge,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        let cred = &unsafe { handle(credential) }?.inner;
        let ch = &unsafe { handle(challenge) }?.inner;
        out.write(cred.respond(ch)?.as_bytes(), true)
    }
}

/// Seals the credential for `user` under the keyring's signing key into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_credential_seal(
    credential: *const matrixauth_credential,
    keyring: *const matrixauth_keyring,
    user: *const c_char,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf, cap, out_len) }?;
        let cred = &unsafe { handle(credential) }?.inner;
        let kr = &unsafe { handle(keyring) }?.inner;
        let user = unsafe { string(user) }?;
        out.write(&cred.seal(kr, user)?, false)
    }
}

/// Opens a sealed credential of `user`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_credential_open(
    keyring: *const matrixauth_keyring,
    user: *const c_char,
    sealed: *const u8,
    sealed_len: usize,
    out: *mut *mut matrixauth_credential,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let kr = &unsafe { handle(keyring) }?.inner;
        let user = unsafe { string(user) }?;
        let sealed = unsafe { bytes(sealed, sealed_len) }?;
        out.set(matrixauth_credential { inner: mx::PatternCredential::open(kr, user, sealed)? });
        Ok(())
    }
}

/// Frees a credential (wiped). NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_credential_free(credential: *mut matrixauth_credential) {
    boundary_value!((), unsafe { free(credential) });
}

mod card;
mod server;
mod state;
// After `server`, so that the header lists the MSCHAPv2 checks after the other verify calls.
mod nt;

pub use card::*;
pub use nt::*;
pub use server::*;
pub use state::*;
