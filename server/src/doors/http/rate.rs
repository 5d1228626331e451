//! A per-address rate limit for the API's POSTs (challenge, verify,
//! enroll): one token bucket per client address, in bounded memory.
//!
//! The core's lockout limits guesses per user. This limits what one
//! address can make the server do across all users: how fast it can
//! enumerate challenges, spray single guesses over many users or fill the
//! audit log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Addresses tracked at most. Beyond this, addresses whose bucket has
/// refilled are forgotten (a forgotten bucket is a full one, so nothing
/// changes for them); if every address is active, the table is cleared and
/// the event logged.
pub const MAX_ADDRESSES: usize = 65_536;

/// Per-address token buckets.
pub struct RateLimiter {
    per_minute: u32,
    burst: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` requests a minute on average, `burst` at once; 0 for
    /// either turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter { per_minute, burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `ip`'s bucket at `now`. `Err(seconds)`: over
    /// the limit; retry after that many seconds.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 || self.burst == 0 {
            return Ok(());
        }
        let rate = f64::from(self.per_minute) / 60.0;
        let burst = f64::from(self.burst);
        let mut map = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&ip) {
            map.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < burst
            });
            if map.len() >= MAX_ADDRESSES {
                crate::warn!(
                    "matrixauth serve: {MAX_ADDRESSES} addresses at their rate limit; the table is cleared"
                );
                map.clear();
            }
        }
        let (tokens, at) = map.entry(ip).or_insert((burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            // Whole seconds until one token is back, at least 1 (below 60 / per_minute + 1).
            let wait = Duration::from_secs_f64((1.0 - refilled) / rate);
            Err(wait.as_secs() + u64::from(wait.subsec_millis() > 0).max(u64::from(wait.as_secs() == 0)))
        }
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_burst_then_the_rate_per_address() {
        let r = RateLimiter::new(60, 5); // one a second, five at once
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t = Instant::now();
        for _ in 0..5 {
            assert_eq!(r.check(a, t), Ok(()));
        }
        assert_eq!(r.check(a, t), Err(1), "the sixth at once waits a second");
        assert_eq!(r.check(b, t), Ok(()), "another address has its own bucket");
        assert_eq!(r.check(a, t + Duration::from_millis(999)), Err(1));
        assert_eq!(r.check(a, t + Duration::from_secs(1)), Ok(()), "a token back after 1 s");
        assert_eq!(r.check(a, t + Duration::from_secs(1)), Err(1));
        for i in 0..5 {
            assert_eq!(r.check(a, t + Duration::from_secs(60)), Ok(()), "refilled to the burst ({i})");
        }
        assert!(r.check(a, t + Duration::from_secs(60)).is_err(), "never above the burst");
        assert_eq!(RateLimiter::new(0, 5).check(a, t), Ok(()), "0 turns it off");
    }

    #[test]
    fn memory_is_bounded_and_refilled_addresses_go_first() {
        let r = RateLimiter::new(60, 2); // a token a second, two at once
        let t = Instant::now();
        let at = |ms: u64| t + Duration::from_millis(ms);
        let other = |i: u32| IpAddr::from(0x0a00_0000u32.wrapping_add(i).to_be_bytes());
        let busy: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(r.check(busy, at(0)), Ok(()));
        assert_eq!(r.check(busy, at(0)), Ok(()));
        for i in 0..MAX_ADDRESSES as u32 - 1 {
            assert_eq!(r.check(other(i), at(0)), Ok(()));
        }
        assert_eq!(r.tracked(), MAX_ADDRESSES);
        // 1.5 s later the others have refilled (1 token used) and are forgotten for a newcomer;
        // busy (2 used, 1.5 back) is kept: a forgotten bucket would allow it two more.
        assert_eq!(r.check("198.51.100.1".parse().unwrap(), at(1_500)), Ok(()));
        assert_eq!(r.tracked(), 2);
        assert_eq!(r.check(busy, at(1_500)), Ok(()));
        assert_eq!(r.check(busy, at(1_500)), Err(1), "busy's bucket survived");
        // Every address active and the table full: it is cleared rather than grow.
        for i in 0..MAX_ADDRESSES as u32 - 2 {
            assert_eq!(r.check(other(i), at(1_500)), Ok(()));
        }
        assert_eq!(r.tracked(), MAX_ADDRESSES);
        assert_eq!(r.check("198.51.100.2".parse().unwrap(), at(1_600)), Ok(()));
        assert_eq!(r.tracked(), 1);
    }
}
