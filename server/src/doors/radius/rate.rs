//! Rate limits of the RADIUS door (issue 21, item 6): token buckets per
//! client entry and per User-Name, in fixed memory.
//!
//! Without them one appliance relaying a flood of guessed names made the
//! server store a decoy row and two audit lines per name, as fast as the
//! store could write (1,522 names a second, 433 bytes each, kept for
//! 30 days). The per-client bucket bounds what one client entry can make
//! the server do; the per-name bucket bounds how often one name can be
//! tried, whoever relays it.
//!
//! **Names in fixed memory.** Names are not kept: each name has two of
//! [`NAME_SLOTS`] buckets, chosen by a keyed hash of the name (SipHash
//! under a key drawn at start, `std`'s `RandomState`). A request takes a
//! token from both (from each that has one) and is dropped only when both
//! are empty. Slots only lose tokens to requests and regain them with
//! time, so the fuller of a name's two slots never holds more than the
//! name's own bucket would: nothing an attacker sends can give a name
//! tokens back. A table that forgot the oldest names would let anyone
//! reset the bucket of a name they are guessing by flooding it with new
//! names; this one never grows and never forgets. The price is sharing: a
//! name is dropped early only when both of its slots were emptied by other
//! names, which without the key nobody can aim at (about 1 in 2 billion for
//! two given names). A flood of random names spreads over all 65,536
//! slots: at the default per-client limit a slot gets a token taken about
//! every half hour and 10 back every minute, so the client's limit runs
//! out long before any slot does. The buckets depend on the name alone,
//! never on whether it is enrolled: known and unknown names are limited
//! alike.
//!
//! The clock is the login service's (Unix seconds), so tests that hold it
//! still get buckets that do not refill.

use std::hash::BuildHasher;

/// The name table's size: slots of 16 bytes, 1 MiB in all, whatever the
/// number of names seen.
pub const NAME_SLOTS: usize = 1 << 16;

/// At most one summary line of dropped requests per client this often
/// (seconds).
pub const REPORT_SECONDS: u64 = 60;

/// The limits of the RADIUS door (`[radius.rate]` of the configuration
/// file; `docs/CONFIG.md` tells why these defaults). A rate of 0 turns its
/// limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Access-Requests a second per client entry, on average.
    pub client_per_second: u32,
    /// Access-Requests a client entry may send at once.
    pub client_burst: u32,
    /// Access-Requests a minute per User-Name, on average, over all clients.
    pub name_per_minute: u32,
    /// Access-Requests one User-Name may get at once.
    pub name_burst: u32,
}

impl RateLimits {
    /// Access-Requests a second per client entry by default: 1,200 a
    /// minute, 600 complete challenge logins a minute.
    pub const CLIENT_PER_SECOND: u32 = 20;
    /// A client's burst is this many seconds of its rate, unless given
    /// (500 at the default rate).
    pub const CLIENT_BURST_SECONDS: u32 = 25;
    /// Access-Requests a minute per User-Name by default.
    pub const NAME_PER_MINUTE: u32 = 10;
    /// A name's burst is this many minutes of its rate, unless given (20
    /// at the default rate).
    pub const NAME_BURST_MINUTES: u32 = 2;
    /// The highest rate a key takes (a larger one is surely a typo; 0 turns
    /// a limit off).
    pub const MAX_RATE: u32 = 1_000_000;
    /// The highest burst a key takes.
    pub const MAX_BURST: u32 = 100_000_000;

    /// The limits from the keys given, each checked, the rest defaulted;
    /// the error names the key (`prefix` is put before each key's name,
    /// e.g. `radius.rate.`).
    pub fn from_keys(
        prefix: &str,
        client_per_second: Option<u32>,
        client_burst: Option<u32>,
        name_per_minute: Option<u32>,
        name_burst: Option<u32>,
    ) -> Result<RateLimits, String> {
        let (client_per_second, client_burst) = rate_and_burst(
            (&format!("{prefix}client_per_second"), client_per_second.unwrap_or(Self::CLIENT_PER_SECOND)),
            (&format!("{prefix}client_burst"), client_burst),
            Self::CLIENT_BURST_SECONDS,
            1,
        )?;
        let (name_per_minute, name_burst) = rate_and_burst(
            (&format!("{prefix}name_per_minute"), name_per_minute.unwrap_or(Self::NAME_PER_MINUTE)),
            (&format!("{prefix}name_burst"), name_burst),
            Self::NAME_BURST_MINUTES,
            60,
        )?;
        Ok(RateLimits { client_per_second, client_burst, name_per_minute, name_burst })
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            client_per_second: Self::CLIENT_PER_SECOND,
            client_burst: Self::CLIENT_PER_SECOND * Self::CLIENT_BURST_SECONDS,
            name_per_minute: Self::NAME_PER_MINUTE,
            name_burst: Self::NAME_PER_MINUTE * Self::NAME_BURST_MINUTES,
        }
    }
}

/// A rate (`per` seconds) and its burst, checked; an absent burst is
/// `periods` of the rate. A burst must hold what one second brings back
/// (the clock counts whole seconds: a smaller bucket would cap the rate).
pub(super) fn rate_and_burst(
    (rate_key, rate): (&str, u32),
    (burst_key, burst): (&str, Option<u32>),
    periods: u32,
    per: u32,
) -> Result<(u32, u32), String> {
    if rate > RateLimits::MAX_RATE {
        return Err(format!("{rate_key} = {rate}: must be 0 (no limit) to {}", RateLimits::MAX_RATE));
    }
    let burst = match burst {
        Some(b) if !(1..=RateLimits::MAX_BURST).contains(&b) => {
            return Err(format!("{burst_key} = {b}: must be 1 to {}", RateLimits::MAX_BURST));
        }
        Some(b) => b,
        None => rate.saturating_mul(periods).max(1),
    };
    let one_second = rate.div_ceil(per);
    if rate > 0 && burst < one_second {
        return Err(format!(
            "{burst_key} = {burst}: below the {one_second} requests that {rate_key} = {rate} brings back each \
             second (the clock counts whole seconds, so the burst would cap the rate)"
        ));
    }
    Ok((rate, burst))
}

/// Why a request was dropped over a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Its client's bucket of Access-Requests was empty.
    Client,
    /// Its client's bucket of Status-Server requests was empty.
    Status,
    /// Its User-Name's bucket was empty.
    Name,
}

impl Limit {
    /// The reason, for the caller's log.
    pub fn reason(self) -> &'static str {
        match self {
            Limit::Client => "over the client's rate limit",
            Limit::Status => "Status-Server over the client's rate limit",
            Limit::Name => "over the User-Name's rate limit",
        }
    }
}

/// Requests dropped over the limits, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drops {
    /// Access-Requests over their client's limit.
    pub client: u64,
    /// Status-Server requests over their client's limit.
    pub status: u64,
    /// Access-Requests over their User-Name's limit.
    pub name: u64,
}

impl Drops {
    fn count(&mut self, limit: Limit) {
        let n = match limit {
            Limit::Client => &mut self.client,
            Limit::Status => &mut self.status,
            Limit::Name => &mut self.name,
        };
        *n += 1;
    }

    /// All of them.
    pub fn total(&self) -> u64 {
        self.client + self.status + self.name
    }
}

/// A token bucket: `tokens` as of second `at`.
#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: u64,
}

impl Bucket {
    fn full(burst: u32) -> Bucket {
        Bucket { tokens: f64::from(burst), at: 0 }
    }

    /// Adds what the seconds since the last look brought back, up to the
    /// burst. A clock set back refills nothing, and the bucket then counts
    /// from the earlier time (so it is never stuck until the clock catches up).
    fn refill(&mut self, now: u64, per_second: f64, burst: u32) {
        let elapsed = now.saturating_sub(self.at) as f64;
        self.tokens = (self.tokens + elapsed * per_second).min(f64::from(burst));
        self.at = now;
    }

    fn has_token(&self) -> bool {
        self.tokens >= 1.0
    }
}

/// One client entry's buckets and its drops not yet reported.
struct ClientBuckets {
    /// Access-Requests a second (0: no limit) and burst.
    per_second: u32,
    burst: u32,
    access: Bucket,
    /// Status-Server has a bucket of its own, of the same size: health
    /// checks of a busy client still get through, and a flood of them
    /// takes nothing from logins.
    status: Bucket,
    unreported: Drops,
    reported_at: Option<u64>,
}

/// The buckets of every client entry and every name.
pub(super) struct Limiter {
    name_per_minute: u32,
    name_burst: u32,
    clients: Vec<ClientBuckets>,
    /// [`NAME_SLOTS`] buckets (empty when names are not limited).
    names: Box<[Bucket]>,
    slot_key: std::collections::hash_map::RandomState,
    dropped: Drops,
}

impl Limiter {
    /// The buckets for clients whose limits (per second and burst) are
    /// `clients`, in the order requests find them, and names under `limits`.
    pub(super) fn new(limits: &RateLimits, clients: impl IntoIterator<Item = (u32, u32)>) -> Limiter {
        let clients = clients
            .into_iter()
            .map(|(per_second, burst)| ClientBuckets {
                per_second,
                burst,
                access: Bucket::full(burst),
                status: Bucket::full(burst),
                unreported: Drops::default(),
                reported_at: None,
            })
            .collect();
        let names = if limits.name_per_minute == 0 {
            Box::default()
        } else {
            vec![Bucket::full(limits.name_burst); NAME_SLOTS].into_boxed_slice()
        };
        Limiter {
            name_per_minute: limits.name_per_minute,
            name_burst: limits.name_burst,
            clients,
            names,
            slot_key: std::collections::hash_map::RandomState::new(),
            dropped: Drops::default(),
        }
    }

    /// Takes a token for a request of client `client` at `now`: an
    /// Access-Request for `name`, or (with `None`) a Status-Server. An
    /// Access-Request takes one from its client's bucket and from its
    /// name's, or, if either is empty, none at all: a request dropped for
    /// its name costs its client nothing, and the other way round.
    pub(super) fn take(&mut self, client: usize, name: Option<&str>, now: u64) -> Result<(), Limit> {
        let pair = match name {
            Some(n) if !self.names.is_empty() => Some(self.slots(n)),
            _ => None,
        };
        let slots: &[usize] = match &pair {
            Some(pair) => pair,
            None => &[],
        };
        let (per_name, name_burst) = (f64::from(self.name_per_minute) / 60.0, self.name_burst);
        let mut name_ok = slots.is_empty();
        for &s in slots {
            if let Some(b) = self.names.get_mut(s) {
                b.refill(now, per_name, name_burst);
                name_ok |= b.has_token();
            }
        }
        let Some(c) = self.clients.get_mut(client) else { return Ok(()) };
        let limited = c.per_second > 0;
        let bucket = if name.is_some() { &mut c.access } else { &mut c.status };
        if limited {
            bucket.refill(now, f64::from(c.per_second), c.burst);
        }
        let refused = match (limited && !bucket.has_token(), name_ok) {
            (true, _) if name.is_some() => Some(Limit::Client),
            (true, _) => Some(Limit::Status),
            (false, false) => Some(Limit::Name),
            (false, true) => None,
        };
        if let Some(limit) = refused {
            self.dropped.count(limit);
            c.unreported.count(limit);
            return Err(limit);
        }
        if limited {
            bucket.tokens -= 1.0;
        }
        for &s in slots {
            if let Some(b) = self.names.get_mut(s) {
                // A slot below one token loses what it has: it never owes, so it never holds a
                // name's tokens back longer than the name's own bucket would.
                b.tokens = (b.tokens - 1.0).max(0.0);
            }
        }
        Ok(())
    }

    /// The two slots of `name` (never the same one).
    fn slots(&self, name: &str) -> [usize; 2] {
        let h = self.slot_key.hash_one(name);
        let first = (h as usize) & (NAME_SLOTS - 1);
        let second = ((h >> 32) as usize) & (NAME_SLOTS - 1);
        [first, if second == first { first ^ 1 } else { second }]
    }

    /// Requests dropped over the limits since start.
    pub(super) fn dropped(&self) -> Drops {
        self.dropped
    }

    /// The summary of client `client`'s drops not yet reported, if there
    /// are any and its last summary is [`REPORT_SECONDS`] old (or there was
    /// none): at most one line per client a minute, however many are dropped.
    pub(super) fn report(&mut self, client: usize, name: &str, now: u64) -> Option<String> {
        let c = self.clients.get_mut(client)?;
        let due = c.reported_at.is_none_or(|at| now.saturating_sub(at) >= REPORT_SECONDS);
        if c.unreported.total() == 0 || !due {
            return None;
        }
        let Drops { client: access, status, name: names } = std::mem::take(&mut c.unreported);
        let since = match c.reported_at.replace(now) {
            Some(at) => format!("in the last {} s", now.saturating_sub(at)),
            None => "(the first; at most one such line a minute follows)".to_owned(),
        };
        let total = access + status + names;
        let requests = if total == 1 { "request" } else { "requests" };
        Some(format!(
            "matrixauth radius: client {name}: {total} {requests} dropped over the rate limits {since}: \
             {access} over the client's, {names} over a User-Name's, {status} Status-Server"
        ))
    }

    /// How many client entries there are.
    pub(super) fn clients(&self) -> usize {
        self.clients.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const T: u64 = 1_800_000_000;

    fn limits(
        client_per_second: u32,
        client_burst: u32,
        name_per_minute: u32,
        name_burst: u32,
    ) -> RateLimits {
        RateLimits { client_per_second, client_burst, name_per_minute, name_burst }
    }

    #[test]
    fn a_client_gets_its_burst_then_its_rate_and_status_server_its_own() {
        let mut l = Limiter::new(&limits(2, 5, 0, 0), [(2, 5), (0, 1)]);
        for i in 0..5 {
            assert_eq!(l.take(0, Some(&format!("u{i}")), T), Ok(()), "{i}");
        }
        assert_eq!(l.take(0, Some("u9"), T), Err(Limit::Client));
        assert_eq!(l.take(0, None, T), Ok(()), "Status-Server has its own bucket");
        assert_eq!(l.take(1, Some("u9"), T), Ok(()), "another client has its own; 0 is no limit");
        assert_eq!(l.take(0, Some("u9"), T + 1), Ok(()), "two tokens back a second later");
        assert_eq!(l.take(0, Some("u9"), T + 1), Ok(()));
        assert_eq!(l.take(0, Some("u9"), T + 1), Err(Limit::Client));
        for _ in 0..5 {
            assert_eq!(l.take(0, Some("u9"), T + 100), Ok(()), "refilled to the burst");
        }
        assert_eq!(l.take(0, Some("u9"), T + 100), Err(Limit::Client), "never above it");
        for _ in 0..5 {
            assert_eq!(l.take(0, None, T + 100), Ok(()));
        }
        assert_eq!(l.take(0, None, T + 100), Err(Limit::Status));
        // A clock set back refills nothing and is not stuck either.
        assert_eq!(l.take(0, Some("u9"), T + 50), Err(Limit::Client));
        assert_eq!(l.take(0, Some("u9"), T + 51), Ok(()));
        assert_eq!(l.dropped(), Drops { client: 4, status: 1, name: 0 });
    }

    #[test]
    fn a_name_over_its_limit_costs_its_client_nothing_and_the_other_way_round() {
        let mut l = Limiter::new(&limits(1, 4, 1, 2), [(1, 4)]);
        assert_eq!(l.take(0, Some("target"), T), Ok(()));
        assert_eq!(l.take(0, Some("target"), T), Ok(()));
        for _ in 0..10 {
            assert_eq!(l.take(0, Some("target"), T), Err(Limit::Name));
        }
        // The client spent 2 of its 4 tokens: the name's drops took none.
        assert_eq!(l.take(0, Some("alice"), T), Ok(()));
        assert_eq!(l.take(0, Some("bob"), T), Ok(()));
        assert_eq!(l.take(0, Some("carol"), T), Err(Limit::Client));
        // Carol's drop took nothing from her name either: 60 s on, she has both of hers
        // (and the client one more token a second).
        assert_eq!(l.take(0, Some("carol"), T + 60), Ok(()));
        assert_eq!(l.take(0, Some("carol"), T + 60), Ok(()));
        assert_eq!(l.take(0, Some("target"), T + 60), Ok(()), "one token back a minute");
        assert_eq!(l.take(0, Some("target"), T + 60), Err(Limit::Name));
        assert_eq!(l.dropped(), Drops { client: 1, status: 0, name: 11 });
    }

    #[test]
    fn a_flood_of_new_names_neither_grows_the_table_nor_refills_a_name() {
        let mut l = Limiter::new(&limits(0, 1, 1, 3), [(0, 1)]);
        for _ in 0..3 {
            assert_eq!(l.take(0, Some("victim"), T), Ok(()));
        }
        assert_eq!(l.take(0, Some("victim"), T), Err(Limit::Name));
        let before = l.names.len();
        let mut passed = 0;
        for i in 0..20_000 {
            passed += usize::from(l.take(0, Some(&format!("guess-{i}")), T).is_ok());
        }
        assert_eq!(l.names.len(), before, "fixed memory");
        assert_eq!(before, NAME_SLOTS);
        // A guess is dropped only when both its slots were emptied by others: a handful.
        assert!(passed > 19_900, "{passed}");
        assert_eq!(l.take(0, Some("victim"), T), Err(Limit::Name), "the victim's bucket was not reset");
        assert_eq!(l.take(0, Some("victim"), T + 59), Err(Limit::Name));
        assert_eq!(l.take(0, Some("victim"), T + 60), Ok(()));
        // Names off: no table at all.
        assert_eq!(Limiter::new(&limits(1, 1, 0, 1), [(1, 1)]).names.len(), 0);
    }

    #[test]
    fn drops_are_reported_at_most_once_a_minute_per_client() {
        let mut l = Limiter::new(&limits(1, 1, 0, 1), [(1, 1), (1, 1)]);
        assert_eq!(l.take(0, Some("a"), T), Ok(()));
        assert_eq!(l.report(0, "vpn1", T), None, "nothing dropped");
        assert_eq!(l.take(0, Some("a"), T), Err(Limit::Client));
        let first = l.report(0, "vpn1", T).unwrap();
        assert!(first.contains("client vpn1: 1 request dropped") && first.contains("the first"), "{first}");
        for _ in 0..500 {
            let _ = l.take(0, Some("a"), T);
            let _ = l.take(0, None, T + 1);
            let _ = l.take(0, None, T + 1);
            assert_eq!(l.report(0, "vpn1", T + 1), None, "one line a minute");
        }
        assert_eq!(l.take(1, Some("a"), T), Ok(()));
        assert_eq!(l.take(1, Some("a"), T), Err(Limit::Client));
        assert!(l.report(1, "vpn2", T).is_some(), "each client has its own minute");
        let next = l.report(0, "vpn1", T + 60).unwrap();
        assert_eq!(
            next,
            "matrixauth radius: client vpn1: 1499 requests dropped over the rate limits in the last 60 s: \
             500 over the client's, 0 over a User-Name's, 999 Status-Server"
        );
        assert_eq!(l.report(0, "vpn1", T + 200), None, "all reported");
        assert_eq!(l.dropped(), Drops { client: 502, status: 999, name: 0 });
    }

    #[test]
    fn keys_are_checked_and_bursts_default_to_a_span_of_the_rate() {
        let p = "radius.rate.";
        assert_eq!(RateLimits::from_keys(p, None, None, None, None), Ok(RateLimits::default()));
        assert_eq!(RateLimits::default(), limits(20, 500, 10, 20));
        assert_eq!(RateLimits::from_keys(p, Some(100), None, Some(3), None), Ok(limits(100, 2500, 3, 6)));
        assert_eq!(RateLimits::from_keys(p, Some(0), None, Some(0), None), Ok(limits(0, 1, 0, 1)), "off");
        let err = |k: [Option<u32>; 4]| RateLimits::from_keys(p, k[0], k[1], k[2], k[3]).unwrap_err();
        assert_eq!(
            err([Some(20), Some(5), None, None]),
            "radius.rate.client_burst = 5: below the 20 requests that radius.rate.client_per_second = 20 \
             brings back each second (the clock counts whole seconds, so the burst would cap the rate)"
        );
        assert_eq!(err([None, Some(0), None, None]), "radius.rate.client_burst = 0: must be 1 to 100000000");
        assert_eq!(
            err([Some(2_000_000), None, None, None]),
            "radius.rate.client_per_second = 2000000: must be 0 (no limit) to 1000000"
        );
        assert!(err([None, None, None, Some(0)]).starts_with("radius.rate.name_burst = 0:"));
        assert!(
            err([None, None, Some(6000), Some(99)]).starts_with("radius.rate.name_burst = 99: below the 100")
        );
        assert_eq!(RateLimits::from_keys(p, None, None, Some(6000), Some(100)).unwrap().name_burst, 100);
    }
}
