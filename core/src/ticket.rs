//! Login tickets (SPEC §6): the short-lived, single-use hand-off from the
//! authentication server to the SSL-VPN appliance.
//!
//! A ticket is `base64url(body || HMAC-SHA256(ticket subkey, body))` with the
//! user id and audience in the body (authenticated, not encrypted: do not
//! put secrets in either). Layout in `docs/FORMATS.md`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

use crate::audit::{AuditSink, Event, EventKind};
use crate::codec::{InlineBytes, Name, Reader, is_valid_name, put_str8};
use crate::error::{Error, Result, TicketError};
use crate::keyring::{KeyMaterial, Keyring};
use crate::rng;

const TICKET_FORMAT: u8 = 1;
const MAC_LEN: usize = 32;
const MAX_TICKET_CHARS: usize = 1024;

fn mac(key: &KeyMaterial, body: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = key.ticket_mac();
    mac.update(b"matrixauth/v1/ticket");
    mac.update(body);
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// Length in characters of a ticket for `user` and `audience` (both at most
/// 255 bytes): 71 fixed bytes of body and MAC plus the two names, in
/// base64url without padding. Frontends size their buffers with it.
pub fn ticket_len(user: &str, audience: &str) -> usize {
    let raw = 1 + 4 + 16 + 8 + 8 + 1 + user.len().min(255) + 1 + audience.len().min(255) + MAC_LEN;
    (raw * 4).div_ceil(3)
}

/// Makes a ticket for `user` and `audience`, valid from `now` for `ttl`
/// seconds, signed with the keyring's signing key.
pub(crate) fn issue(keyring: &Keyring, user: &str, audience: &str, now: u64, ttl: u64) -> Result<String> {
    if !is_valid_name(user) {
        return Err(Error::InvalidUserId);
    }
    if !is_valid_name(audience) {
        return Err(Error::InvalidAudience);
    }
    let key = keyring.signing()?;
    let mut id = [0u8; 16];
    rng::fill(&mut id)?;
    let mut bytes = Vec::with_capacity(64 + user.len() + audience.len());
    bytes.push(TICKET_FORMAT);
    bytes.extend_from_slice(&key.id.to_be_bytes());
    bytes.extend_from_slice(&id);
    bytes.extend_from_slice(&now.to_be_bytes());
    bytes.extend_from_slice(&now.saturating_add(ttl).to_be_bytes());
    put_str8(&mut bytes, user);
    put_str8(&mut bytes, audience);
    let tag = mac(key, &bytes);
    bytes.extend_from_slice(&tag);
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

struct Parsed {
    id: [u8; 16],
    issued_at: u64,
    expires_at: u64,
    user: Name,
    audience: Name,
}

fn parse(keyring: &Keyring, ticket: &str) -> core::result::Result<Parsed, TicketError> {
    if ticket.len() > MAX_TICKET_CHARS {
        return Err(TicketError::Malformed);
    }
    // 1024 characters decode to at most 768 bytes.
    let mut raw = InlineBytes::<768>::new();
    let n = URL_SAFE_NO_PAD
        .decode_slice(ticket.as_bytes(), raw.buffer_mut())
        .map_err(|_| TicketError::Malformed)?;
    raw.set_len(n).ok_or(TicketError::Malformed)?;
    let bytes = raw.as_slice();
    let split = bytes.len().checked_sub(MAC_LEN).ok_or(TicketError::Malformed)?;
    let (body, tag) = bytes.split_at(split);
    let mut r = Reader::new(body);
    if r.u8() != Some(TICKET_FORMAT) {
        return Err(TicketError::Malformed);
    }
    let key_id = r.u32().ok_or(TicketError::Malformed)?;
    let key = keyring.find(key_id).ok_or(TicketError::Forged)?;
    if !bool::from(crate::ct::eq_bytes(&mac(key, body), tag)) {
        return Err(TicketError::Forged);
    }
    let parsed = (|| {
        let id = r.array()?;
        let issued_at = r.u64()?;
        let expires_at = r.u64()?;
        let user = Name::new(r.str8()?)?;
        let audience = Name::new(r.str8()?)?;
        r.is_empty().then_some(Parsed { id, issued_at, expires_at, user, audience })
    })();
    parsed.ok_or(TicketError::Malformed)
}

/// Hashes a ticket id by its first eight bytes. Ids are 16 random bytes
/// from the issuer's OS generator, authenticated by the ticket's MAC before
/// they reach the cache, so nobody without the key can choose colliding ids:
/// a keyed hash (SipHash, the default) would buy nothing here.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

struct Cache {
    /// Ticket id → its expiry, for every redeemed, unexpired ticket.
    seen: HashMap<[u8; 16], u64, BuildHasherDefault<IdHasher>>,
    /// Tickets expiring at or before this time were dropped from `seen`;
    /// such tickets are refused whatever `now` a later call passes, so a
    /// clock set back cannot make a purged ticket redeemable again.
    purged_through: u64,
}

/// The appliance side: redeems login tickets once each.
///
/// Thread-safe (`&self` methods; the replay cache is behind a mutex), so one
/// verifier can serve every connection of an appliance.
pub struct TicketVerifier {
    keyring: Keyring,
    capacity: usize,
    max_lifetime: u64,
    max_clock_skew: u64,
    cache: Mutex<Cache>,
    sink: Option<AuditSink>,
}

impl core::fmt::Debug for TicketVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TicketVerifier")
            .field("keyring", &self.keyring)
            .field("capacity", &self.capacity)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl TicketVerifier {
    /// Default number of unexpired redeemed tickets remembered.
    pub const DEFAULT_CAPACITY: usize = 10_000;
    /// Default longest ticket lifetime accepted, in seconds.
    pub const DEFAULT_MAX_LIFETIME: u64 = 300;
    /// Default tolerance for an issuer whose clock runs ahead, in seconds.
    pub const DEFAULT_MAX_CLOCK_SKEW: u64 = 30;

    /// A verifier for tickets signed by any key in `keyring`, remembering up
    /// to `capacity` (at least 1) redeemed tickets until they expire.
    pub fn new(keyring: Keyring, capacity: usize) -> Self {
        TicketVerifier {
            keyring,
            capacity: capacity.max(1),
            max_lifetime: Self::DEFAULT_MAX_LIFETIME,
            max_clock_skew: Self::DEFAULT_MAX_CLOCK_SKEW,
            cache: Mutex::new(Cache { seen: HashMap::default(), purged_through: 0 }),
            sink: None,
        }
    }

    /// Refuse tickets whose lifetime (`expires_at - issued_at`) exceeds
    /// `seconds`, which would otherwise pin replay-cache entries for long.
    #[must_use]
    pub fn with_max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = seconds;
        self
    }

    /// Accept tickets issued up to `seconds` ahead of this verifier's clock.
    #[must_use]
    pub fn with_max_clock_skew(mut self, seconds: u64) -> Self {
        self.max_clock_skew = seconds;
        self
    }

    /// Sends every redeem and refusal to `sink`.
    #[must_use]
    pub fn with_audit_sink(mut self, sink: AuditSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Sets the longest accepted ticket lifetime (see [`TicketVerifier::with_max_lifetime`]).
    pub fn set_max_lifetime(&mut self, seconds: u64) {
        self.max_lifetime = seconds;
    }

    /// Replaces (or with `None` removes) the audit sink.
    pub fn set_audit_sink(&mut self, sink: Option<AuditSink>) {
        self.sink = sink;
    }

    /// Number of redeemed tickets currently remembered.
    pub fn cached(&self) -> usize {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).seen.len()
    }

    /// Redeems `ticket` for `audience` at `now`: returns the user id the
    /// first time; refuses a second redeem, another audience, an expired or
    /// forged ticket, and refuses (never silently accepts) when the replay
    /// cache is full of unexpired tickets.
    pub fn redeem(&self, ticket: &str, audience: &str, now: u64) -> Result<String> {
        crate::codec::check_time(now)?;
        let (parsed, verdict) = match parse(&self.keyring, ticket) {
            Ok(p) => {
                let v = self.admit(&p, audience, now);
                (Some(p), v)
            }
            Err(e) => (None, Err(e)),
        };
        if let Some(sink) = &self.sink {
            let user = parsed.as_ref().map_or("", |p| p.user.as_str());
            let kind = match verdict {
                Ok(()) => EventKind::TicketRedeemed,
                Err(reason) => EventKind::TicketRefused(reason),
            };
            let mut e = Event::new(now, user, kind);
            e.audience = parsed.as_ref().map(|p| p.audience);
            sink(&e);
        }
        match (verdict, parsed) {
            (Ok(()), Some(p)) => Ok(p.user.as_str().to_owned()),
            (Err(reason), _) => Err(Error::Ticket(reason)),
            (Ok(()), None) => Err(Error::Ticket(TicketError::Malformed)),
        }
    }

    /// The checks after authentication: audience, lifetime, expiry, replay,
    /// and the replay cache's record of `p` when all pass.
    fn admit(&self, p: &Parsed, audience: &str, now: u64) -> core::result::Result<(), TicketError> {
        if p.audience.as_str() != audience {
            return Err(TicketError::WrongAudience);
        }
        if p.expires_at <= p.issued_at
            || p.expires_at - p.issued_at > self.max_lifetime
            || p.issued_at > now.saturating_add(self.max_clock_skew)
        {
            return Err(TicketError::BadLifetime);
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if now >= p.expires_at || p.expires_at <= cache.purged_through {
            return Err(TicketError::Expired);
        }
        if cache.seen.contains_key(&p.id) {
            return Err(TicketError::Replayed);
        }
        if cache.seen.len() >= self.capacity {
            cache.seen.retain(|_, &mut expires_at| expires_at > now);
            cache.purged_through = cache.purged_through.max(now);
            if cache.seen.len() >= self.capacity {
                return Err(TicketError::CacheFull);
            }
        }
        cache.seen.insert(p.id, p.expires_at);
        Ok(())
    }
}
