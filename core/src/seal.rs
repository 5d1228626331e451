//! Sealed records (SPEC §7): secrets at rest, encrypted and authenticated
//! with XChaCha20-Poly1305 under the keyring's seal subkey, bound to the
//! user id and the record kind through the associated data, so a sealed
//! record moved to another user's row, or a card swapped for a credential,
//! does not open. The key id inside lets old records open after rotation.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use zeroize::Zeroizing;

use crate::codec::{Reader, is_valid_name, put_str8};
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::rng;

const SEAL_FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + 1 + 4 + NONCE_LEN;
const TAG_LEN: usize = 16;
/// Largest sealed record accepted (a 256-cell card with 8 characters per
/// cell and its header fits well below this).
const MAX_SEALED: usize = 16 * 1024;

/// What a sealed record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordKind {
    PatternCredential = 1,
    GridCard = 2,
}

/// The kind a sealed record's header names (`None`: not a sealed record of
/// this format). Not authenticated: `open` checks the kind again under the MAC.
pub(crate) fn kind_of(sealed: &[u8]) -> Option<RecordKind> {
    if sealed.first() != Some(&SEAL_FORMAT) {
        return None;
    }
    match sealed.get(1) {
        Some(1) => Some(RecordKind::PatternCredential),
        Some(2) => Some(RecordKind::GridCard),
        _ => None,
    }
}

fn aad(kind: RecordKind, key_id: u32, user: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + user.len());
    aad.extend_from_slice(b"matrixauth/v1/seal");
    aad.push(SEAL_FORMAT);
    aad.push(kind as u8);
    aad.extend_from_slice(&key_id.to_be_bytes());
    put_str8(&mut aad, user);
    aad
}

pub(crate) fn seal(keyring: &Keyring, user: &str, kind: RecordKind, plain: &[u8]) -> Result<Vec<u8>> {
    if !is_valid_name(user) {
        return Err(Error::InvalidUserId);
    }
    let key = keyring.signing()?;
    let mut nonce = [0u8; NONCE_LEN];
    rng::fill(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new(&key.seal.into());
    let sealed = cipher
        .encrypt(&nonce.into(), Payload { msg: plain, aad: &aad(kind, key.id, user) })
        .map_err(|_| Error::Seal)?;
    let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
    out.push(SEAL_FORMAT);
    out.push(kind as u8);
    out.extend_from_slice(&key.id.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

pub(crate) fn open(
    keyring: &Keyring,
    user: &str,
    kind: RecordKind,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if !is_valid_name(user) {
        return Err(Error::InvalidUserId);
    }
    if sealed.len() < HEADER_LEN + TAG_LEN || sealed.len() > MAX_SEALED {
        return Err(Error::Format("not a sealed record (wrong length)"));
    }
    let mut r = Reader::new(sealed);
    if r.u8() != Some(SEAL_FORMAT) {
        return Err(Error::Format("unknown sealed record format version"));
    }
    if r.u8() != Some(kind as u8) {
        return Err(Error::Format("sealed record holds another kind of secret"));
    }
    let key_id = r.u32().ok_or(Error::Seal)?;
    let nonce: [u8; NONCE_LEN] = r.array().ok_or(Error::Seal)?;
    let body = sealed.get(HEADER_LEN..).ok_or(Error::Seal)?;
    let key = keyring.find(key_id).ok_or(Error::Seal)?;
    let cipher = XChaCha20Poly1305::new(&key.seal.into());
    cipher
        .decrypt(&nonce.into(), Payload { msg: body, aad: &aad(kind, key_id, user) })
        .map(Zeroizing::new)
        .map_err(|_| Error::Seal)
}
