//! Grid cards. Safety: every pointer argument is NULL or valid for the call,
//! as `docs/C-API.md` states; the boundary helpers check NULL and lengths.

use core::ffi::c_char;
use std::ffi::CString;

use crate::boundary::{OutBuf, boundary, boundary_value, bytes, free, handle, out_ptr, string};
use crate::{R, matrixauth_card_challenge, matrixauth_keyring, matrixauth_result};

/// A grid card (its values are secret: wiped on free).
pub struct matrixauth_card {
    pub(crate) inner: mx::GridCard,
    serial: CString,
}

impl matrixauth_card {
    fn wrap(inner: mx::GridCard) -> Result<Self, R> {
        let serial = CString::new(inner.serial()).map_err(|_| R::MATRIXAUTH_ERR_INVALID_CARD)?;
        Ok(matrixauth_card { inner, serial })
    }
}

/// Card alphabets. Numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy)]
pub enum matrixauth_alphabet {
    /// Digits 0-9.
    MATRIXAUTH_ALPHABET_DIGITS = 1,
    /// Upper-case letters and digits without O, 0, I, 1, L.
    MATRIXAUTH_ALPHABET_ALNUM = 2,
}

fn alphabet(v: u32) -> Result<mx::Alphabet, R> {
    match v {
        1 => Ok(mx::Alphabet::Digits),
        2 => Ok(mx::Alphabet::Alnum),
        _ => Err(R::MATRIXAUTH_ERR_INVALID_ARGUMENT),
    }
}

/// Generates a card with random values. `serial` may be NULL (a random
/// `MX-XXXX-XXXX`); `alphabet` is a `matrixauth_alphabet`; `expires_at` 0 means never.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_generate(
    serial: *const c_char,
    rows: u32,
    cols: u32,
    cell_len: u32,
    alphabet_id: u32,
    expires_at: u64,
    out: *mut *mut matrixauth_card,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let serial = if serial.is_null() { None } else { Some(unsafe { string(serial) }?.to_owned()) };
        let spec = mx::CardSpec {
            serial,
            rows: rows as usize,
            cols: cols as usize,
            cell_len: cell_len as usize,
            alphabet: alphabet(alphabet_id)?,
            expires_at: (expires_at != 0).then_some(expires_at),
        };
        out.set(matrixauth_card::wrap(mx::GridCard::generate(&spec)?)?);
        Ok(())
    }
}

/// A card from known values: every cell's symbols in row-major order (white space ignored).
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_from_values(
    serial: *const c_char,
    rows: u32,
    cols: u32,
    cell_len: u32,
    alphabet_id: u32,
    expires_at: u64,
    values: *const c_char,
    out: *mut *mut matrixauth_card,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let serial = unsafe { string(serial) }?;
        let values = unsafe { string(values) }?;
        let card = mx::GridCard::from_values(
            serial,
            rows as usize,
            cols as usize,
            cell_len as usize,
            alphabet(alphabet_id)?,
            (expires_at != 0).then_some(expires_at),
            values,
        )?;
        out.set(matrixauth_card::wrap(card)?);
        Ok(())
    }
}

/// The card's serial (owned by the card; valid until it is freed). NULL for a NULL card.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_serial(card: *const matrixauth_card) -> *const c_char {
    boundary_value!(
        core::ptr::null(),
        unsafe { handle(card) }.map_or(core::ptr::null(), |c| c.serial.as_ptr())
    )
}

/// Writes the value of the cell named `cell` (NUL-terminated) into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_value(
    card: *const matrixauth_card,
    cell: *const c_char,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        let card = &unsafe { handle(card) }?.inner;
        let cell = unsafe { string(cell) }?;
        out.write(card.value_of(cell)?.as_bytes(), true)
    }
}

/// Writes the card as monospace text (NUL-terminated) into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_render_text(
    card: *const matrixauth_card,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        out.write(unsafe { handle(card) }?.inner.render_text().as_bytes(), true)
    }
}

/// Writes the card as a standalone printable SVG (NUL-terminated) into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_render_svg(
    card: *const matrixauth_card,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        out.write(unsafe { handle(card) }?.inner.render_svg().as_bytes(), true)
    }
}

/// Writes the right answer to a card challenge (NUL-terminated). For test automation.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_respond(
    card: *const matrixauth_card,
    challenge: *const matrixauth_card_challenge,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf.cast(), cap, out_len) }?;
        let card = &unsafe { handle(card) }?.inner;
        let ch = &unsafe { handle(challenge) }?.inner;
        out.write(card.respond(ch)?.as_bytes(), true)
    }
}

/// Seals the card for `user` into `buf[cap]`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_seal(
    card: *const matrixauth_card,
    keyring: *const matrixauth_keyring,
    user: *const c_char,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { OutBuf::new(buf, cap, out_len) }?;
        let card = &unsafe { handle(card) }?.inner;
        let kr = &unsafe { handle(keyring) }?.inner;
        let user = unsafe { string(user) }?;
        out.write(&card.seal(kr, user)?, false)
    }
}

/// Opens a sealed card of `user`.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_open(
    keyring: *const matrixauth_keyring,
    user: *const c_char,
    sealed: *const u8,
    sealed_len: usize,
    out: *mut *mut matrixauth_card,
) -> matrixauth_result {
    boundary! {
        let out = unsafe { out_ptr(out) }?;
        let kr = &unsafe { handle(keyring) }?.inner;
        let user = unsafe { string(user) }?;
        let sealed = unsafe { bytes(sealed, sealed_len) }?;
        out.set(matrixauth_card::wrap(mx::GridCard::open(kr, user, sealed)?)?);
        Ok(())
    }
}

/// Frees a card (wiped). NULL is fine.
#[unsafe(no_mangle)]
pub extern "C" fn matrixauth_card_free(card: *mut matrixauth_card) {
    boundary_value!((), unsafe { free(card) });
}
