//! The console's sessions: random tokens in an HttpOnly, SameSite=Strict
//! cookie (Secure over HTTPS), kept in this node's memory by their SHA-256,
//! with an idle timeout and an absolute lifetime, each with its own CSRF
//! token. A session only says who logged in; what they may do is asked of
//! the login service at every call.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

/// The session cookie's name.
pub const COOKIE: &str = "mx_console";
/// The cookie of the login form's CSRF token (before any session).
pub const LOGIN_COOKIE: &str = "mx_console_login";

/// One session.
#[derive(Clone)]
pub struct Session {
    /// The logged-in user.
    pub user: String,
    /// When it began (Unix seconds).
    pub created: u64,
    /// When it was last used.
    pub seen: u64,
    /// The token every form of the session carries.
    pub csrf: String,
    /// The enrolment that logged in ([`crate::login::acting::Actor::enrolment`]).
    pub enrolment: [u8; 32],
}

// The CSRF token is a credential of the session: never in `Debug`.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("created", &self.created)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

/// Why a session cookie let nobody in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expired {
    /// No cookie, or an unknown token.
    None,
    /// Unused longer than the idle timeout.
    Idle,
    /// Older than the absolute lifetime.
    Absolute,
}

/// This node's sessions.
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    idle: u64,
    lifetime: u64,
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> Option<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).ok()?;
    let mut out = String::with_capacity(64);
    for x in b {
        let _ = write!(out, "{x:02x}");
    }
    Some(out)
}

fn key(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// Whether two tokens are equal (constant time).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// Sessions that end after `idle` seconds unused or `lifetime` seconds.
    pub fn new(idle: u64, lifetime: u64) -> Self {
        Sessions { map: Mutex::new(HashMap::new()), idle, lifetime }
    }

    /// Starts a session for `user` of `enrolment`; returns its cookie token.
    pub fn start(&self, user: &str, enrolment: [u8; 32], now: u64) -> Option<String> {
        let token = random_token()?;
        let csrf = random_token()?;
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        // Expired sessions go at each start: the map holds live ones only.
        map.retain(|_, s| !self.expired(s, now));
        map.insert(key(&token), Session { user: user.to_owned(), created: now, seen: now, csrf, enrolment });
        Some(token)
    }

    fn expired(&self, s: &Session, now: u64) -> bool {
        now.saturating_sub(s.seen) >= self.idle || now.saturating_sub(s.created) >= self.lifetime
    }

    /// The live session of `token`, marked used now; an expired one is
    /// ended and said why.
    pub fn touch(&self, token: Option<&str>, now: u64) -> Result<Session, Expired> {
        let Some(token) = token else { return Err(Expired::None) };
        let k = key(token);
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(s) = map.get_mut(&k) else { return Err(Expired::None) };
        if now.saturating_sub(s.created) >= self.lifetime {
            map.remove(&k);
            return Err(Expired::Absolute);
        }
        if now.saturating_sub(s.seen) >= self.idle {
            map.remove(&k);
            return Err(Expired::Idle);
        }
        s.seen = now;
        Ok(s.clone())
    }

    /// The users with a session.
    pub fn users(&self) -> Vec<String> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let mut users: Vec<String> = map.values().map(|s| s.user.clone()).collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Ends every session of `user`.
    pub fn end_user(&self, user: &str) {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, s| s.user != user);
    }

    /// Ends the session of `token`.
    pub fn end(&self, token: &str) {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).remove(&key(token));
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/console`,
/// Secure over HTTPS; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, https: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if https {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        let _ = write!(c, "; Max-Age={age}");
    }
    c
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_shows_no_token() {
        let s = super::Session {
            user: "alice".into(),
            created: 1,
            seen: 2,
            csrf: "csrf-token-value".into(),
            enrolment: [7; 32],
        };
        let text = format!("{s:?}");
        assert!(
            text.contains("alice") && !text.contains("csrf-token-value") && !text.contains("7, 7"),
            "{text}"
        );
    }
}
