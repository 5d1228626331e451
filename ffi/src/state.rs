//! User state. Safety: every pointer argument is NULL or valid for the call.

use core::ffi::c_char;

use crate::boundary::{
    OutBuf, boundary, boundary_value, bytes, free, handle, handle_mut, out_ptr, out_value, string,
};
use crate::{matrixauth_keyring, matrixauth_result};

/// One user's login state. Persist `matrixauth_state_to_bytes` after every
/// call whose `matrixauth_state_version` changed. Not thread-safe: one call
/// at a time per state.
pub struct matrixauth_state {
    pub(crate) inner: mx::UserState,
}

/// Creates the state of a new user.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_new(out: *mut *mut matrixauth_state) -> matrixauth_result {
    boundary! {
        unsafe { out_ptr(out) }?.set(matrixauth_state { inner: mx::UserState::new() });
        Ok(())
    }
}

/// Reads the state of `user` from bytes written by `matrixauth_state_to_bytes`
/// for the same user, under a key still in `keyring`. Truncated, altered,
/// another user's, or written without the key: `MATRIXAUTH_ERR_FORMAT`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_from_bytes(
    keyring: *const matrixauth_keyring,
    user: *const c_char,
    data: *const u8,
    len: usize,
    out: *mut *mut matrixauth_state,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let keyring = &unsafe { handle(keyring) }?.inner;
        let user = unsafe { string(user) }?;
        let data = unsafe { bytes(data, len) }?;
        out.set(matrixauth_state { inner: mx::UserState::from_bytes(keyring, user, data)? });
        Ok(())
    }
}

/// Writes the state's bytes, authenticated for `user` under the keyring's
/// signing key, into `buf[cap]` (at most 4096 bytes are ever needed).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_to_bytes(
    state: *const matrixauth_state,
    keyring: *const matrixauth_keyring,
    user: *const c_char,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf, cap, out_len) }?;
        let keyring = &unsafe { handle(keyring) }?.inner;
        let user = unsafe { string(user) }?;
        out.write(&unsafe { handle(state) }?.inner.to_bytes(keyring, user)?, false)
    }
}

/// Reads a field of a state handle; the default for NULL or a caught panic.
fn get<T: Default>(state: *const matrixauth_state, f: impl Fn(&mx::UserState) -> T) -> T {
    boundary_value!(T::default(), unsafe { handle(state) }.map_or_else(|_| T::default(), |s| f(&s.inner)))
}

/// Change counter (compare-and-swap key). 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_version(state: *const matrixauth_state) -> u64 {
    get(state, mx::UserState::version)
}

/// Failures since the last success or lock. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_consecutive_failures(state: *const matrixauth_state) -> u32 {
    get(state, mx::UserState::consecutive_failures)
}

/// Failures since the last success. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_failures_since_success(state: *const matrixauth_state) -> u32 {
    get(state, mx::UserState::failures_since_success)
}

/// Temporary locks since the last success. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_lock_level(state: *const matrixauth_state) -> u32 {
    get(state, mx::UserState::lock_level)
}

/// End of the current or last temporary lock (Unix seconds), 0 if none. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_locked_until(state: *const matrixauth_state) -> u64 {
    get(state, mx::UserState::locked_until)
}

/// Whether the user is locked until an administrator unlocks it. false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_permanently_locked(state: *const matrixauth_state) -> bool {
    get(state, mx::UserState::permanently_locked)
}

/// Sequence number of the next new challenge. 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_next_seq(state: *const matrixauth_state) -> u64 {
    get(state, mx::UserState::next_seq)
}

/// Whether the user is locked at `now` (temporarily or permanently). false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_is_locked(state: *const matrixauth_state, now: u64) -> bool {
    boundary_value!(false, unsafe { handle(state) }.is_ok_and(|s| s.inner.lock_at(now).is_some()))
}

/// Number of cells of card `serial` already used (an answer to them was submitted), into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_card_cells_used(
    state: *const matrixauth_state,
    serial: *const c_char,
    out: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_value(out) }?;
        let st = &unsafe { handle(state) }?.inner;
        out.set(st.card_cells_used(unsafe { string(serial) }?));
        Ok(())
    }
}

/// Forgets the usage record of a retired card; `*removed` tells whether one existed.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_forget_card(
    state: *mut matrixauth_state,
    serial: *const c_char,
    removed: *mut bool,
) -> matrixauth_result {
    boundary! {
        let removed = unsafe { out_value(removed) }?;
        let serial = unsafe { string(serial) }?;
        let st = &mut unsafe { handle_mut(state) }?.inner;
        removed.set(st.forget_card(serial));
        Ok(())
    }
}

/// Frees a state. NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_state_free(state: *mut matrixauth_state) {
    boundary_value!((), unsafe { free(state) });
}
