//! Challenge tokens (SPEC §5): the record of one challenge, authenticated
//! with HMAC-SHA256 under the keyring and bound to the user id.
//!
//! The token's body is exactly what [`crate::UserState`] keeps as the
//! pending challenge, so "is this the pending challenge?" is a comparison of
//! bytes, and re-presenting a pending challenge re-creates the same token.
//! The matrix is not in the token: it is re-derived from the nonce under the
//! matrix subkey, so the server stores no matrix and a token alone reveals
//! nothing about past or future matrices. Layout in `docs/FORMATS.md`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::codec::{Reader, put_str8};
use crate::grid::{Geometry, Matrix};
use crate::keyring::{KeyMaterial, Keyring, hmac_init};

/// Format version of the token body.
const TOKEN_FORMAT: u8 = 1;
/// Length of the MAC that ends a token.
const MAC_LEN: usize = 32;
/// Longest token string accepted before decoding (a card token with a
/// 255-byte serial and 16 cells is about 480 characters).
pub(crate) const MAX_TOKEN_CHARS: usize = 640;

/// Which mode a challenge belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Pattern = 1,
    Card = 2,
}

/// The card part of a card challenge: which card, which cells, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CardCells {
    pub(crate) serial: String,
    pub(crate) cells: Vec<u8>,
    /// Further challenges the card can serve after this one.
    pub(crate) remaining: u32,
}

/// The authenticated content of a challenge token.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(TOKEN_FORMAT);
        out.push(self.mode as u8);
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        out.push(self.geometry.rows() as u8);
        out.push(self.geometry.cols() as u8);
        out.extend_from_slice(&self.nonce);
        if let Some(card) = &self.card {
            put_str8(&mut out, &card.serial);
            out.extend_from_slice(&card.remaining.to_be_bytes());
            out.push(card.cells.len() as u8);
            out.extend_from_slice(&card.cells);
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
                let serial = r.str8()?.to_owned();
                let remaining = r.u32()?;
                let k = usize::from(r.u8()?);
                let cells = r.take(k)?.to_vec();
                if k == 0
                    || k > crate::card::MAX_CARD_CHALLENGE_CELLS
                    || cells.iter().any(|&c| usize::from(c) >= geometry.cells())
                {
                    return None;
                }
                Some(CardCells { serial, cells, remaining })
            }
        };
        if !r.is_empty() || expires_at <= issued_at {
            return None;
        }
        Some(Body { mode, key_id, seq, issued_at, expires_at, geometry, nonce, card })
    }

    /// The matrix this (pattern) challenge shows.
    pub(crate) fn matrix(&self, key: &KeyMaterial) -> Matrix {
        let mut mac = hmac_init(&key.matrix);
        mac.update(b"matrixauth/v1/matrix");
        mac.update(&self.nonce);
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&mac.finalize().into_bytes());
        Matrix::derive(self.geometry, &seed)
    }
}

fn mac(key: &KeyMaterial, user: &str, body: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = hmac_init(&key.token);
    mac.update(b"matrixauth/v1/token");
    let mut user_field = Vec::with_capacity(user.len() + 1);
    put_str8(&mut user_field, user);
    mac.update(&user_field);
    mac.update(body);
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// The token string for `body`, signed with the key `body.key_id` names.
pub(crate) fn sign(key: &KeyMaterial, user: &str, body: &Body) -> String {
    let mut bytes = body.encode();
    let tag = mac(key, user, &bytes);
    bytes.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(bytes)
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
    pub(crate) bytes: Vec<u8>,
    pub(crate) id: ChallengeId,
}

/// The body of `token` if it is well formed, signed by a key in `keyring`
/// and bound to `user`; `None` otherwise (the `invalid` outcome).
pub(crate) fn open(keyring: &Keyring, user: &str, token: &str) -> Option<Opened> {
    if token.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    let split = bytes.len().checked_sub(MAC_LEN)?;
    let (body_bytes, tag) = bytes.split_at(split);
    // Key id sits at bytes 2..6 of the body; read it before trusting anything.
    let key_id = u32::from_be_bytes(body_bytes.get(2..6)?.try_into().ok()?);
    let key = keyring.find(key_id)?;
    let expected = mac(key, user, body_bytes);
    if !bool::from(expected.ct_eq(tag)) {
        return None;
    }
    let body = Body::decode(body_bytes)?;
    Some(Opened { body, bytes: body_bytes.to_vec(), id: id_of(tag) })
}
