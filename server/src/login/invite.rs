//! Enrollment invitations (SPEC §12): enrollment is never open. An
//! administrator issues a single-use link for one user id. The store keeps
//! only a keyed hash of its token (HMAC under the site key), so reading the
//! database gives no usable link, and a MAC binds the row to its hash, user
//! and expiry, so a writer without the keyring can neither add an
//! invitation nor point one at another user (issue 21).

use std::fmt::Write as _;

use subtle::ConstantTimeEq as _;

use super::site::SiteKey;
use crate::store::Invitation;

/// Hours an invitation lives by default.
pub const DEFAULT_HOURS: u64 = 72;

/// Longest life an administrator may give an invitation (30 days).
pub const MAX_HOURS: u64 = 720;

/// A fresh token (256 random bits, 64 hex digits).
pub fn new_token() -> Result<zeroize::Zeroizing<String>, String> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut bytes[..]).map_err(|e| format!("no randomness from the system: {e}"))?;
    let mut token = zeroize::Zeroizing::new(String::with_capacity(64));
    for b in bytes.iter() {
        let _ = write!(token, "{b:02x}");
    }
    Ok(token)
}

/// The keyed hash under which a token is stored. Anything (even a
/// malformed token) hashes; a wrong one simply finds nothing.
pub fn hash(key: &SiteKey, token: &str) -> [u8; 32] {
    key.mac("matrixauth invitation", &[token.trim().as_bytes()])
}

/// The MAC of an invitation row: its hash, user and expiry.
pub fn row_mac(key: &SiteKey, hash: &[u8; 32], user: &str, expires_at: u64) -> [u8; 32] {
    key.mac("matrixauth invitation row", &[hash, user.as_bytes(), &expires_at.to_be_bytes()])
}

/// Whether a stored invitation's MAC checks.
pub fn row_checks(key: &SiteKey, hash: &[u8; 32], inv: &Invitation) -> bool {
    let expected = row_mac(key, hash, &inv.user, inv.expires_at);
    inv.mac.len() == expected.len() && bool::from(expected.ct_eq(inv.mac.as_slice()))
}

/// The link an invitee opens: the token rides in the fragment, which
/// browsers never send to a server or put in a `Referer`.
pub fn link(origin: &str, token: &str) -> String {
    format!("{}/enroll#invite={token}", origin.trim_end_matches('/'))
}
