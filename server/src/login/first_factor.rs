//! The first factor a RADIUS client may ask for before the grid (issue 27):
//! a site password per user, stored as an Argon2id hash (PHC string,
//! OWASP's parameters: 19 MiB, 2 passes, 1 lane) behind a MAC under the site
//! key bound to the user, so a database writer without the keyring cannot
//! set one; and the tag that carries the check's result from the first
//! request to the answer inside the RADIUS State.
//!
//! The result of the first factor is never said on its own: the first
//! request always gets the grid, and a wrong password makes the answer that
//! follows a wrong answer (counted by the core like any other), so a reply
//! never tells which of the two was wrong.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::site::SiteKey;

/// What the first request of the challenge flow carries, per client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstFactor {
    /// Not examined (the appliance sends whatever it has).
    #[default]
    Ignored,
    /// Must be empty: anything else is refused before the grid.
    MustBeEmpty,
    /// The user's site password (`matrixauth users password USER`).
    Password,
}

/// Longest site password accepted (bytes).
pub const MAX_PASSWORD: usize = 128;

fn hasher() -> argon2::Argon2<'static> {
    // Argon2id v19 with OWASP's minimum (m = 19456 KiB, t = 2, p = 1): the crate's defaults.
    argon2::Argon2::default()
}

/// A stored record for `password`: the MAC (32 bytes) and the PHC string.
pub fn record(key: &SiteKey, user: &str, password: &str) -> Result<Vec<u8>, String> {
    if password.is_empty() || password.len() > MAX_PASSWORD {
        return Err(format!("a site password has 1 to {MAX_PASSWORD} bytes"));
    }
    let mut salt = Zeroizing::new([0u8; 16]);
    getrandom::fill(&mut salt[..]).map_err(|e| format!("no randomness from the system: {e}"))?;
    let salt = SaltString::encode_b64(&salt[..]).map_err(|e| e.to_string())?;
    let phc = hasher().hash_password(password.as_bytes(), &salt).map_err(|e| e.to_string())?.to_string();
    let mut out = key.mac("matrixauth site password", &[user.as_bytes(), phc.as_bytes()]).to_vec();
    out.extend_from_slice(phc.as_bytes());
    Ok(out)
}

/// Argon2id checks run one at a time (see [`check`]).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The PHC string every check without a usable record is run against, so
/// an unknown id, a user without a site password and a user with one take
/// the same time. (Its password is not known to anyone: random bytes hashed
/// once per process.)
fn dummy() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        let _ = getrandom::fill(&mut secret);
        let salt = SaltString::encode_b64(&[7u8; 16]).map(|s| s.to_string()).unwrap_or_default();
        SaltString::from_b64(&salt)
            .ok()
            .and_then(|salt| hasher().hash_password(&secret, &salt).ok().map(|h| h.to_string()))
            .unwrap_or_default()
    })
}

/// Whether `password` is `user`'s site password, from the stored record
/// (`None`: no user, or none set). Always runs one Argon2id verification.
/// A record whose MAC does not check (written without the keyring) counts
/// as none.
pub fn check(key: &SiteKey, user: &str, record: Option<&[u8]>, password: &str) -> bool {
    let stored = record.and_then(|r| {
        let (mac, phc) = r.split_at_checked(32)?;
        let expected = key.mac("matrixauth site password", &[user.as_bytes(), phc]);
        if bool::from(expected.ct_eq(mac)) {
            std::str::from_utf8(phc).ok()
        } else {
            crate::warn!(
                "matrixauth serve: a site password record does not match its MAC (edited in the database?)"
            );
            None
        }
    });
    let real = stored.is_some();
    // One Argon2id check at a time (19 MiB each): a flood of first requests waits here instead of
    // taking memory by the gigabyte (the review counted 512 blocking threads).
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Ok(hash) = PasswordHash::new(stored.unwrap_or(dummy())) else { return false };
    let ok = password.len() <= MAX_PASSWORD && hasher().verify_password(password.as_bytes(), &hash).is_ok();
    ok && real
}

/// The RADIUS State of a challenge after a first factor: the challenge's
/// token, `.`, a fresh random nonce and `.` a tag under the site key over
/// user, token, nonce and whether the first factor was right (22 base64url
/// characters each). The nonce makes every State new, so two States for
/// one pending challenge never match whatever the passwords were (the
/// review found that a fixed tag told a right guess from a wrong one for
/// free). Tokens are base64url, so the dots are unambiguous; the State stays
/// printable ASCII.
pub fn tag_state(key: &SiteKey, user: &str, token: &str, ok: bool) -> String {
    let mut nonce = [0u8; 16];
    // Without randomness the State still carries a tag, for `false`: the attempt fails closed.
    let random = getrandom::fill(&mut nonce).is_ok();
    let ok = ok && random;
    let mut n = String::with_capacity(22);
    super::handle::base64url(&nonce, &mut n);
    format!("{token}.{n}.{}", tag(key, user, token, &n, ok))
}

fn tag(key: &SiteKey, user: &str, token: &str, nonce: &str, ok: bool) -> String {
    let mac = key.mac(
        "matrixauth first factor",
        &[user.as_bytes(), token.as_bytes(), nonce.as_bytes(), &[u8::from(ok)]],
    );
    let mut out = String::with_capacity(22);
    super::handle::base64url(mac.get(..16).unwrap_or_default(), &mut out);
    out
}

/// A State from [`tag_state`]: the token and whether the first factor was
/// right. A State without a nonce and tag, or with a tag that is neither,
/// is a wrong first factor (a token taken from elsewhere cannot skip it).
pub fn untag_state<'a>(key: &SiteKey, user: &str, state: &'a str) -> (&'a str, bool) {
    let Some((rest, t)) = state.rsplit_once('.') else { return (state, false) };
    let Some((token, nonce)) = rest.rsplit_once('.') else { return (rest, false) };
    let ok = bool::from(tag(key, user, token, nonce, true).as_bytes().ct_eq(t.as_bytes()));
    (token, ok)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_site_password_checks_only_for_its_user_and_its_record() {
        let key = SiteKey::new(&[5; 32]);
        let r = record(&key, "alice", "correct horse").unwrap();
        assert!(!String::from_utf8_lossy(&r).contains("correct horse"));
        assert!(check(&key, "alice", Some(&r), "correct horse"));
        assert!(!check(&key, "alice", Some(&r), "correct horsE"));
        assert!(!check(&key, "bob", Some(&r), "correct horse"), "bound to the user");
        assert!(!check(&SiteKey::new(&[6; 32]), "alice", Some(&r), "correct horse"), "bound to the key");
        let mut edited = r.clone();
        edited[0] ^= 1;
        assert!(!check(&key, "alice", Some(&edited), "correct horse"));
        assert!(!check(&key, "alice", None, "correct horse"));
        assert!(!check(&key, "alice", Some(&r[..10]), "correct horse"));
        assert!(record(&key, "alice", "").is_err());
        assert!(record(&key, "alice", &"x".repeat(129)).is_err());
    }

    #[test]
    fn a_tagged_state_says_the_result_only_to_the_key() {
        let key = SiteKey::new(&[5; 32]);
        let yes = tag_state(&key, "alice", "AAAA", true);
        let no = tag_state(&key, "alice", "AAAA", false);
        assert_ne!(yes, no);
        assert_ne!(no, tag_state(&key, "alice", "AAAA", false), "every State is new");
        assert_ne!(yes, tag_state(&key, "alice", "AAAA", true));
        assert_eq!(untag_state(&key, "alice", &yes), ("AAAA", true));
        assert_eq!(untag_state(&key, "alice", &no), ("AAAA", false));
        assert_eq!(untag_state(&key, "bob", &yes), ("AAAA", false));
        assert_eq!(untag_state(&key, "alice", "AAAA"), ("AAAA", false), "no tag: no first factor");
        assert!(yes.bytes().all(|b| b.is_ascii_graphic()));
    }
}
