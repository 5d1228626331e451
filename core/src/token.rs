//! Challenge tokens (SPEC §5): the record of one challenge, authenticated
//! with HMAC-SHA256 under the keyring and bound to the user id.
//!
//! The token's body is exactly what [`crate::UserState`] keeps as the
//! pending challenge, so "is this the pending challenge?" is a comparison of
//! bytes, and re-presenting a pending challenge re-creates the same token.
//! The matrix is not in the token: it is re-derived from the nonce under the
//! matrix subkey, so the server stores no matrix and a token alone reveals
//! nothing about past or future matrices. Layout in `docs/FORMATS.md`.
//!
//! Opening a token allocates nothing: the base64 is decoded into a buffer of
//! fixed capacity and the body is kept inline.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

use crate::card::MAX_CARD_CHALLENGE_CELLS;
use crate::codec::{InlineBytes, Name, Reader};
use crate::grid::{Geometry, Matrix};
use crate::keyring::{KeyMaterial, Keyring, update_str8};

/// Format version of the token body.
const TOKEN_FORMAT: u8 = 1;
/// Length of the MAC that ends a token.
const MAC_LEN: usize = 32;
/// Longest encoded body: the 48-byte header, then for a card challenge a
/// 255-byte serial with its length, `remaining`, `k` and 16 cells.
pub(crate) const MAX_BODY_LEN: usize = 48 + 1 + 255 + 4 + 1 + MAX_CARD_CHALLENGE_CELLS;
/// Longest token string accepted before decoding (the longest body and its
/// MAC are 357 bytes, 476 characters).
pub(crate) const MAX_TOKEN_CHARS: usize = 640;

/// An encoded challenge body, held inline.
pub(crate) type BodyBytes = InlineBytes<MAX_BODY_LEN>;

/// Which mode a challenge belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Pattern = 1,
    Card = 2,
}

/// The card part of a card challenge: which card, which cells, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CardCells {
    pub(crate) serial: Name,
    cells: [u8; MAX_CARD_CHALLENGE_CELLS],
    k: u8,
    /// Further challenges the card can serve after this one.
    pub(crate) remaining: u32,
}

impl CardCells {
    /// `None` if `cells` is empty or longer than a challenge may ask.
    pub(crate) fn new(serial: &str, cells: &[u8], remaining: u32) -> Option<Self> {
        if cells.is_empty() || cells.len() > MAX_CARD_CHALLENGE_CELLS {
            return None;
        }
        let mut all = [0u8; MAX_CARD_CHALLENGE_CELLS];
        all.get_mut(..cells.len())?.copy_from_slice(cells);
        Some(CardCells { serial: Name::new(serial)?, cells: all, k: cells.len() as u8, remaining })
    }

    /// The asked cells (row-major indices), in order.
    pub(crate) fn cells(&self) -> &[u8] {
        self.cells.get(..usize::from(self.k)).unwrap_or(&[])
    }
}

/// The authenticated content of a challenge token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Body {
    pub(crate) mode: Mode,
    pub(crate) key_id: u32,
    pub(crate) seq: u64,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: u64,
    pub(crate) geometry: Geometry,
    pub(crate) nonce: [u8; 16],
    pub(crate) card: Option<CardCells>,
}

impl Body {
    pub(crate) fn encode(&self) -> BodyBytes {
        let mut out = BodyBytes::new();
        // Every field fits MAX_BODY_LEN by construction, so no push fails.
        let _ = out.push(TOKEN_FORMAT);
        let _ = out.push(self.mode as u8);
        let _ = out.extend(&self.key_id.to_be_bytes());
        let _ = out.extend(&self.seq.to_be_bytes());
        let _ = out.extend(&self.issued_at.to_be_bytes());
        let _ = out.extend(&self.expires_at.to_be_bytes());
        let _ = out.push(self.geometry.rows() as u8);
        let _ = out.push(self.geometry.cols() as u8);
        let _ = out.extend(&self.nonce);
        if let Some(card) = &self.card {
            let _ = out.put_str8(card.serial.as_str());
            let _ = out.extend(&card.remaining.to_be_bytes());
            let _ = out.push(card.k);
            let _ = out.extend(card.cells());
        }
        out
    }

    /// Strict decoding: unknown versions, bad fields and trailing bytes fail.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != TOKEN_FORMAT {
            return None;
        }
        let mode = match r.u8()? {
            1 => Mode::Pattern,
            2 => Mode::Card,
            _ => return None,
        };
        let key_id = r.u32()?;
        let seq = r.u64()?;
        let issued_at = r.u64()?;
        let expires_at = r.u64()?;
        let geometry = Geometry::new(r.u8()?.into(), r.u8()?.into()).ok()?;
        let nonce = r.array()?;
        let card = match mode {
            Mode::Pattern => None,
            Mode::Card => {
                let serial = r.str8()?;
                let remaining = r.u32()?;
                let k = usize::from(r.u8()?);
                let cells = r.take(k)?;
                if cells.iter().any(|&c| usize::from(c) >= geometry.cells()) {
                    return None;
                }
                Some(CardCells::new(serial, cells, remaining)?)
            }
        };
        if !r.is_empty() || expires_at <= issued_at {
            return None;
        }
        Some(Body { mode, key_id, seq, issued_at, expires_at, geometry, nonce, card })
    }

    /// The matrix this (pattern) challenge shows: XChaCha20 keyed with the
    /// matrix subkey and the nonce (no MAC is spent on it).
    pub(crate) fn matrix(&self, key: &KeyMaterial) -> Matrix {
        Matrix::derive(self.geometry, &key.matrix, &self.nonce)
    }
}

fn mac(key: &KeyMaterial, user: &str, body: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = key.token_mac();
    mac.update(b"matrixauth/v1/token");
    update_str8(&mut mac, user);
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// What a challenge is known by after it stopped being pending: the first
/// 16 bytes of its token tag (the same key, user and body always give the
/// same tag, and nobody without the key can make a body with a chosen id).
pub(crate) type ChallengeId = [u8; 16];

fn id_of(tag: &[u8]) -> ChallengeId {
    let mut id = [0u8; 16];
    for (o, t) in id.iter_mut().zip(tag) {
        *o = *t;
    }
    id
}

/// The id of the challenge whose encoded body is `body`, for `user`.
pub(crate) fn challenge_id(key: &KeyMaterial, user: &str, body: &[u8]) -> ChallengeId {
    id_of(&mac(key, user, body))
}

/// An authentic token, opened.
pub(crate) struct Opened {
    pub(crate) body: Body,
    /// The encoded body, as the user state keeps the pending challenge.
    pub(crate) bytes: BodyBytes,
    pub(crate) id: ChallengeId,
}

/// The token string for `body`, signed with the key `body.key_id` names.
pub(crate) fn sign(key: &KeyMaterial, user: &str, body: &Body) -> String {
    let bytes = body.encode();
    let tag = mac(key, user, bytes.as_slice());
    let mut raw = InlineBytes::<{ MAX_BODY_LEN + MAC_LEN }>::new();
    let _ = raw.extend(bytes.as_slice());
    let _ = raw.extend(&tag);
    URL_SAFE_NO_PAD.encode(raw.as_slice())
}

/// The body of `token` if it is well formed, signed by a key in `keyring`
/// and bound to `user`; `None` otherwise (the `invalid` outcome).
pub(crate) fn open(keyring: &Keyring, user: &str, token: &str) -> Option<Opened> {
    if token.len() > MAX_TOKEN_CHARS {
        return None;
    }
    // 640 characters decode to at most 480 bytes.
    let mut raw = InlineBytes::<480>::new();
    let n = URL_SAFE_NO_PAD.decode_slice(token.as_bytes(), raw.buffer_mut()).ok()?;
    raw.set_len(n)?;
    let bytes = raw.as_slice();
    let split = bytes.len().checked_sub(MAC_LEN)?;
    let (body_bytes, tag) = bytes.split_at(split);
    // Key id sits at bytes 2..6 of the body; read it before trusting anything.
    let key_id = u32::from_be_bytes(body_bytes.get(2..6)?.try_into().ok()?);
    let key = keyring.find(key_id)?;
    let expected = mac(key, user, body_bytes);
    if !bool::from(crate::ct::eq_bytes(&expected, tag)) {
        return None;
    }
    let body = Body::decode(body_bytes)?;
    Some(Opened { body, bytes: BodyBytes::from_slice(body_bytes)?, id: id_of(tag) })
}
