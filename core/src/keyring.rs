//! Server keys with key ids: the current key signs, older keys still verify.
//!
//! Each 32-byte master key is never used directly. Separate subkeys are
//! derived for each purpose (challenge tokens, matrices, answer digests,
//! tickets, sealing, user-state records) as `HMAC-SHA256(master, "matrixauth/v1/key/" || purpose)`,
//! so no two uses can be confused.

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};
use crate::rng;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Length of every key.
pub const KEY_LEN: usize = 32;

/// The per-purpose subkeys of one master key. The HMAC subkeys are kept as
/// keyed HMAC states (inner and outer pads already absorbed), computed once
/// when the key is added and cloned per call: a MAC then costs only the
/// compressions of its message. Every field is wiped on drop (the SHA-256
/// cores inside the HMAC states wipe themselves).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct KeyMaterial {
    #[zeroize(skip)]
    pub(crate) id: u32,
    /// ChaCha20 key of the challenge matrices.
    pub(crate) matrix: [u8; 32],
    /// XChaCha20-Poly1305 key of sealed records.
    pub(crate) seal: [u8; 32],
    #[zeroize(skip)]
    token: HmacSha256,
    #[zeroize(skip)]
    answer: HmacSha256,
    #[zeroize(skip)]
    ticket: HmacSha256,
    #[zeroize(skip)]
    state: HmacSha256,
}

impl KeyMaterial {
    fn derive(master: &[u8], id: u32) -> Result<Self> {
        if master.len() != KEY_LEN {
            return Err(Error::InvalidKeyLength);
        }
        let sub = |purpose: &[u8]| -> [u8; 32] {
            let mut out = [0u8; 32];
            let mut mac = hmac_init(master);
            mac.update(b"matrixauth/v1/key/");
            mac.update(purpose);
            out.copy_from_slice(&mac.finalize().into_bytes());
            out
        };
        let keyed = |purpose: &[u8]| hmac_init(&Zeroizing::new(sub(purpose))[..]);
        Ok(KeyMaterial {
            id,
            matrix: sub(b"matrix"),
            seal: sub(b"seal"),
            token: keyed(b"token"),
            answer: keyed(b"answer"),
            ticket: keyed(b"ticket"),
            state: keyed(b"state"),
        })
    }

    /// A fresh HMAC under the token subkey.
    pub(crate) fn token_mac(&self) -> HmacSha256 {
        self.token.clone()
    }

    /// A fresh HMAC under the answer subkey.
    pub(crate) fn answer_mac(&self) -> HmacSha256 {
        self.answer.clone()
    }

    /// A fresh HMAC under the ticket subkey.
    pub(crate) fn ticket_mac(&self) -> HmacSha256 {
        self.ticket.clone()
    }

    /// A fresh HMAC under the user-state subkey.
    pub(crate) fn state_mac(&self) -> HmacSha256 {
        self.state.clone()
    }
}

/// Feeds `user` as `str8` (one length byte, then the bytes) into `mac`,
/// without building the field in memory.
pub(crate) fn update_str8(mac: &mut HmacSha256, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len().min(255);
    mac.update(&[n as u8]);
    mac.update(bytes.get(..n).unwrap_or(&[]));
}

/// A keyed HMAC-SHA256; HMAC takes keys of any length, so this cannot fail.
pub(crate) fn hmac_init(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC accepts every key length; this arm is unreachable.
        Err(_) => <HmacSha256 as KeyInit>::new(&hmac::digest::Key::<HmacSha256>::default()),
    }
}

/// The server's keys. Clone it to give the same keys to an
/// [`crate::Authenticator`] and a [`crate::TicketVerifier`]. Key bytes are
/// wiped on drop and never printed.
#[derive(Clone)]
pub struct Keyring {
    current: u32,
    keys: Vec<KeyMaterial>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current_key_id", &self.current)
            .field("key_ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A keyring whose signing key is `key` (exactly 32 bytes) with id `key_id`.
    pub fn new(key: &[u8], key_id: u32) -> Result<Self> {
        Ok(Keyring { current: key_id, keys: vec![KeyMaterial::derive(key, key_id)?] })
    }

    /// A fresh random 32-byte key from the OS, for hosts creating their first key.
    pub fn generate_key() -> Result<Zeroizing<[u8; KEY_LEN]>> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(key.as_mut())?;
        Ok(key)
    }

    /// Adds an older key that still verifies tokens, tickets and sealed
    /// records made under it, but signs nothing new.
    pub fn add_verification_key(&mut self, key: &[u8], key_id: u32) -> Result<()> {
        if self.find(key_id).is_some() {
            return Err(Error::DuplicateKeyId);
        }
        self.keys.push(KeyMaterial::derive(key, key_id)?);
        Ok(())
    }

    /// Rotates: `key` becomes the signing key; the previous keys stay for
    /// verification until [`Keyring::remove_key`] drops them.
    pub fn rotate(&mut self, key: &[u8], key_id: u32) -> Result<()> {
        self.add_verification_key(key, key_id)?;
        self.current = key_id;
        Ok(())
    }

    /// Removes a verification key. The signing key cannot be removed.
    pub fn remove_key(&mut self, key_id: u32) -> Result<()> {
        if key_id == self.current {
            return Err(Error::InvalidPolicy("the signing key cannot be removed"));
        }
        let before = self.keys.len();
        self.keys.retain(|k| k.id != key_id);
        if self.keys.len() == before { Err(Error::UnknownKeyId) } else { Ok(()) }
    }

    /// The id of the signing key.
    pub fn current_key_id(&self) -> u32 {
        self.current
    }

    /// Ids of every key, signing key included.
    pub fn key_ids(&self) -> Vec<u32> {
        self.keys.iter().map(|k| k.id).collect()
    }

    pub(crate) fn find(&self, key_id: u32) -> Option<&KeyMaterial> {
        self.keys.iter().find(|k| k.id == key_id)
    }

    pub(crate) fn signing(&self) -> Result<&KeyMaterial> {
        self.find(self.current).ok_or(Error::UnknownKeyId)
    }
}
