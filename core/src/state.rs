//! The per-user login state a host persists (SPEC §5): counters, lock, the
//! pending challenge, the last answered challenge, card cell usage, and a
//! `version` counter for compare-and-swap storage.
//!
//! Encoding (`docs/FORMATS.md`): byte 0 is the format version, integers are
//! big-endian, and the last 8 bytes are a SHA-256 checksum of everything
//! before them, so a truncated record or a flipped bit is a format error,
//! never a silently different state.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::codec::{Reader, is_valid_name, put_str8};
use crate::error::{Error, Result};
use crate::token::Body;

const STATE_FORMAT: u8 = 1;
const CHECKSUM_LEN: usize = 8;
/// Most cards whose cell usage a state remembers.
pub const MAX_CARDS: usize = 4;
/// Longest encoded state: header, a card challenge body, the last answer and
/// four cards with 255-byte serials, with room to spare.
const MAX_STATE_BYTES: usize = 4096;

/// Which challenge was answered last and a keyed digest of that answer, so
/// a client's retry of the same answer is recognised as `duplicate`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct LastAnswer {
    /// SHA-256 (truncated) of the answered challenge's token body.
    pub(crate) body_digest: [u8; 16],
    /// HMAC-SHA256 (truncated) of the folded answer under the answer subkey.
    pub(crate) answer_mac: [u8; 16],
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
/// counted failure under concurrent logins).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct UserState {
    pub(crate) version: u64,
    pub(crate) consecutive_failures: u32,
    pub(crate) failures_since_success: u32,
    pub(crate) lock_level: u32,
    pub(crate) locked_until: u64,
    pub(crate) permanently_locked: bool,
    pub(crate) next_seq: u64,
    pub(crate) pending: Option<Vec<u8>>,
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

    /// How many cells of the card `serial` have been asked.
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
        self.pending.as_deref().and_then(Body::decode)
    }

    pub(crate) fn bump(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// Serialises the state (format in `docs/FORMATS.md`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.push(STATE_FORMAT);
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
                out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                out.extend_from_slice(body);
            }
            None => out.push(0),
        }
        match &self.last_answer {
            Some(last) => {
                out.push(1);
                out.extend_from_slice(&last.body_digest);
                out.extend_from_slice(&last.answer_mac);
            }
            None => out.push(0),
        }
        out.push(self.cards.len() as u8);
        for card in &self.cards {
            put_str8(&mut out, &card.serial);
            out.extend_from_slice(&card.used);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        out
    }

    /// Reads bytes written by [`UserState::to_bytes`]. Any truncation, extra
    /// byte, flipped bit, unknown version or out-of-range field is an
    /// [`Error::Format`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const BAD: Error = Error::Format("corrupt user state");
        if bytes.len() > MAX_STATE_BYTES {
            return Err(BAD);
        }
        let split = bytes.len().checked_sub(CHECKSUM_LEN).ok_or(BAD)?;
        let (content, sum) = bytes.split_at(split);
        if checksum(content) != sum {
            return Err(Error::Format("user state checksum mismatch (truncated or altered)"));
        }
        let mut r = Reader::new(content);
        if r.u8().ok_or(BAD)? != STATE_FORMAT {
            return Err(Error::Format("unknown user state format version"));
        }
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
                Some(body.to_vec())
            }
            _ => return Err(BAD),
        };
        state.last_answer = match r.u8().ok_or(BAD)? {
            0 => None,
            1 => Some(LastAnswer { body_digest: r.array().ok_or(BAD)?, answer_mac: r.array().ok_or(BAD)? }),
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

fn checksum(content: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = Sha256::new();
    h.update(b"matrixauth/v1/state");
    h.update(content);
    let digest = h.finalize();
    let mut out = [0u8; CHECKSUM_LEN];
    for (o, d) in out.iter_mut().zip(digest.iter()) {
        *o = *d;
    }
    out
}
