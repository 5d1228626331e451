//! The per-user login state a host persists (SPEC §5): counters, lock, the
//! pending challenge, the last answered challenge, card cell usage, and a
//! `version` counter for compare-and-swap storage.
//!
//! Encoding (`docs/FORMATS.md`): byte 0 is the format version, bytes 1..5
//! the id of the key that authenticated it, integers are big-endian, and the
//! last 32 bytes are an HMAC-SHA256 tag under the keyring's state subkey over
//! the user id and everything before the tag. A truncated record, a flipped
//! bit, a record moved to another user or one written without the key (a
//! database writer clearing a lock) is a format error, never a silently
//! different state (SPEC §5).

use core::fmt;

use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::codec::{Reader, is_valid_name, put_str8};
use crate::error::{Error, Result};
use crate::keyring::{KeyMaterial, Keyring, update_str8};
use crate::token::{Body, BodyBytes};

const STATE_FORMAT: u8 = 2;
const TAG_LEN: usize = 32;
/// Most cards whose cell usage a state remembers.
pub const MAX_CARDS: usize = 4;
/// Longest encoded state: header, a card challenge body, the last answer,
/// four cards with 255-byte serials and the tag, with room to spare.
const MAX_STATE_BYTES: usize = 4096;

/// Which challenge was answered last, a keyed digest of that answer and
/// when it was given, so that within the retry window a client's retry of
/// the same answer is `duplicate` and any other answer a counted failure.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct LastAnswer {
    /// The first 16 bytes of the answered challenge's token tag: it names
    /// the challenge (same key, user and body give the same tag).
    pub(crate) challenge_id: [u8; 16],
    /// HMAC-SHA256 (truncated) of the folded answer under the answer subkey.
    pub(crate) answer_mac: [u8; 16],
    /// Unix seconds of the answer; the retry window starts here.
    pub(crate) answered_at: u64,
}

/// Which cells of one grid card have been asked (bit per cell, row-major).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct CardUsage {
    pub(crate) serial: String,
    pub(crate) used: [u8; 32],
}

/// One user's login state. Create it with [`UserState::new`], pass it to
/// every [`crate::Authenticator`] call for that user, and persist
/// [`UserState::to_bytes`] after every call whose [`UserState::version`]
/// changed (store with compare-and-swap on the version to never lose a
/// counted failure under concurrent logins). The bytes are authenticated
/// under the keyring and bound to the user id.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct UserState {
    pub(crate) version: u64,
    pub(crate) consecutive_failures: u32,
    pub(crate) failures_since_success: u32,
    pub(crate) lock_level: u32,
    pub(crate) locked_until: u64,
    pub(crate) permanently_locked: bool,
    pub(crate) next_seq: u64,
    /// The pending challenge's body, inline (verification allocates nothing).
    pub(crate) pending: Option<BodyBytes>,
    pub(crate) last_answer: Option<LastAnswer>,
    pub(crate) cards: Vec<CardUsage>,
}

impl fmt::Debug for UserState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserState")
            .field("version", &self.version)
            .field("consecutive_failures", &self.consecutive_failures)
            .field("failures_since_success", &self.failures_since_success)
            .field("lock_level", &self.lock_level)
            .field("locked_until", &self.locked_until)
            .field("permanently_locked", &self.permanently_locked)
            .field("next_seq", &self.next_seq)
            .field("pending", &self.pending.is_some())
            .field("cards", &self.cards.len())
            .finish_non_exhaustive()
    }
}

impl UserState {
    /// A new user's state: no failures, no lock, nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bumped by one on every change; unchanged by calls that change nothing.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Failures since the last success or the last lock.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// Failures since the last success (or admin unlock).
    pub fn failures_since_success(&self) -> u32 {
        self.failures_since_success
    }

    /// How many temporary locks since the last success; the next lock lasts
    /// `lockout_seconds * 2^lock_level`, capped.
    pub fn lock_level(&self) -> u32 {
        self.lock_level
    }

    /// End of the current or last temporary lock (Unix seconds); 0 if none.
    pub fn locked_until(&self) -> u64 {
        self.locked_until
    }

    /// Whether the user is locked until an administrator unlocks it.
    pub fn permanently_locked(&self) -> bool {
        self.permanently_locked
    }

    /// Whether the user is locked at `now`, and until when (`None` inside
    /// means permanent).
    pub fn lock_at(&self, now: u64) -> Option<Option<u64>> {
        if self.permanently_locked {
            Some(None)
        } else if now < self.locked_until {
            Some(Some(self.locked_until))
        } else {
            None
        }
    }

    /// Sequence number the next new challenge gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Expiry of the pending challenge, if one is pending (expired or not).
    pub fn pending_expires_at(&self) -> Option<u64> {
        self.pending_body().map(|b| b.expires_at)
    }

    /// How many cells of the card `serial` are used: an answer to them was
    /// submitted (cells of a pending challenge are not counted until then).
    pub fn card_cells_used(&self, serial: &str) -> usize {
        self.cards
            .iter()
            .find(|c| c.serial == serial)
            .map_or(0, |c| c.used.iter().map(|b| b.count_ones() as usize).sum())
    }

    /// Serials of the cards whose cell usage this state tracks.
    pub fn tracked_cards(&self) -> Vec<String> {
        self.cards.iter().map(|c| c.serial.clone()).collect()
    }

    /// Forgets the usage record of a retired card (an administrator's action
    /// after issuing a replacement). Returns whether a record was removed.
    /// Never forget a card that is still in use: its cells would be asked
    /// again.
    pub fn forget_card(&mut self, serial: &str) -> bool {
        let before = self.cards.len();
        self.cards.retain(|c| c.serial != serial);
        let removed = self.cards.len() != before;
        if removed {
            self.bump();
        }
        removed
    }

    pub(crate) fn pending_body(&self) -> Option<Body> {
        self.pending.as_ref().and_then(|p| Body::decode(p.as_slice()))
    }

    pub(crate) fn bump(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// The used-cell bitmap of card `serial` (all clear for an untracked card).
    pub(crate) fn card_usage(&self, serial: &str) -> [u8; 32] {
        self.cards.iter().find(|c| c.serial == serial).map_or([0u8; 32], |c| c.used)
    }

    /// Marks `cells` of card `serial` used: their values were typed (SPEC §4).
    /// A card not yet tracked is added; with [`MAX_CARDS`] tracked already,
    /// the usage is kept on none (issue refuses a fifth card first, so this
    /// happens only if a host forgot a card while its challenge was pending).
    pub(crate) fn mark_cells_used(&mut self, serial: &str, cells: &[u8]) {
        if !self.cards.iter().any(|c| c.serial == serial) {
            if self.cards.len() >= MAX_CARDS {
                return;
            }
            self.cards.push(CardUsage { serial: serial.to_owned(), used: [0u8; 32] });
        }
        if let Some(entry) = self.cards.iter_mut().find(|c| c.serial == serial) {
            for &c in cells {
                if let Some(b) = entry.used.get_mut(usize::from(c) / 8) {
                    *b |= 1 << (c % 8);
                }
            }
        }
    }

    /// Serialises the state, authenticated for `user` under the keyring's
    /// signing key (format in `docs/FORMATS.md`). Store the bytes as they are;
    /// [`UserState::from_bytes`] with the same keyring and user reads them.
    pub fn to_bytes(&self, keyring: &Keyring, user: &str) -> Result<Vec<u8>> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        let key = keyring.signing()?;
        let mut out = Vec::with_capacity(160);
        out.push(STATE_FORMAT);
        out.extend_from_slice(&key.id.to_be_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.consecutive_failures.to_be_bytes());
        out.extend_from_slice(&self.failures_since_success.to_be_bytes());
        out.extend_from_slice(&self.lock_level.to_be_bytes());
        out.extend_from_slice(&self.locked_until.to_be_bytes());
        out.push(u8::from(self.permanently_locked));
        out.extend_from_slice(&self.next_seq.to_be_bytes());
        match &self.pending {
            Some(body) => {
                out.push(1);
                out.extend_from_slice(&(body.as_slice().len() as u16).to_be_bytes());
                out.extend_from_slice(body.as_slice());
            }
            None => out.push(0),
        }
        match &self.last_answer {
            Some(last) => {
                out.push(1);
                out.extend_from_slice(&last.challenge_id);
                out.extend_from_slice(&last.answer_mac);
                out.extend_from_slice(&last.answered_at.to_be_bytes());
            }
            None => out.push(0),
        }
        out.push(self.cards.len() as u8);
        for card in &self.cards {
            put_str8(&mut out, &card.serial);
            out.extend_from_slice(&card.used);
        }
        let tag = tag(key, user, &out);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Reads bytes written by [`UserState::to_bytes`] for the same `user`,
    /// under a key still in `keyring`. A record of another user, under an
    /// unknown key, truncated, extended, with any bit flipped, edited by
    /// someone without the key, or in an older unauthenticated format is an
    /// [`Error::Format`], never a silently different state.
    pub fn from_bytes(keyring: &Keyring, user: &str, bytes: &[u8]) -> Result<Self> {
        const BAD: Error = Error::Format("corrupt user state");
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        if bytes.len() > MAX_STATE_BYTES {
            return Err(BAD);
        }
        match bytes.first() {
            Some(&STATE_FORMAT) => {}
            Some(1) => {
                return Err(Error::Format("user state format 1 is unauthenticated and no longer read"));
            }
            Some(_) => return Err(Error::Format("unknown user state format version")),
            None => return Err(BAD),
        }
        let split = bytes.len().checked_sub(TAG_LEN).ok_or(BAD)?;
        let (content, stored_tag) = bytes.split_at(split);
        let key_id = u32::from_be_bytes(content.get(1..5).ok_or(BAD)?.try_into().map_err(|_| BAD)?);
        let key =
            keyring.find(key_id).ok_or(Error::Format("user state signed by a key not in the keyring"))?;
        if !bool::from(tag(key, user, content).ct_eq(stored_tag)) {
            return Err(Error::Format(
                "user state does not authenticate (altered, truncated or another user's)",
            ));
        }
        let mut r = Reader::new(content.get(5..).ok_or(BAD)?);
        let mut state = UserState {
            version: r.u64().ok_or(BAD)?,
            consecutive_failures: r.u32().ok_or(BAD)?,
            failures_since_success: r.u32().ok_or(BAD)?,
            lock_level: r.u32().ok_or(BAD)?,
            locked_until: r.u64().ok_or(BAD)?,
            permanently_locked: match r.u8().ok_or(BAD)? {
                0 => false,
                1 => true,
                _ => return Err(BAD),
            },
            next_seq: r.u64().ok_or(BAD)?,
            ..UserState::default()
        };
        state.pending = match r.u8().ok_or(BAD)? {
            0 => None,
            1 => {
                let len = usize::from(r.u16().ok_or(BAD)?);
                let body = r.take(len).ok_or(BAD)?;
                Body::decode(body).ok_or(BAD)?;
                Some(BodyBytes::from_slice(body).ok_or(BAD)?)
            }
            _ => return Err(BAD),
        };
        state.last_answer = match r.u8().ok_or(BAD)? {
            0 => None,
            1 => Some(LastAnswer {
                challenge_id: r.array().ok_or(BAD)?,
                answer_mac: r.array().ok_or(BAD)?,
                answered_at: r.u64().ok_or(BAD)?,
            }),
            _ => return Err(BAD),
        };
        let cards = usize::from(r.u8().ok_or(BAD)?);
        if cards > MAX_CARDS {
            return Err(BAD);
        }
        for _ in 0..cards {
            let serial = r.str8().ok_or(BAD)?;
            if !is_valid_name(serial) {
                return Err(BAD);
            }
            state.cards.push(CardUsage { serial: serial.to_owned(), used: r.array().ok_or(BAD)? });
        }
        if !r.is_empty() {
            return Err(BAD);
        }
        Ok(state)
    }
}

/// The record's tag: HMAC-SHA256 under the state subkey over the user id
/// and every byte before the tag (format byte and key id included).
fn tag(key: &KeyMaterial, user: &str, content: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = key.state_mac();
    mac.update(b"matrixauth/v2/state");
    update_str8(&mut mac, user);
    mac.update(content);
    mac.finalize().into_bytes().into()
}
