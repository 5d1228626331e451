//! Enrollment invitations (SPEC §12): enrollment is never open. An
//! administrator issues a single-use link for one user id; the store keeps
//! only the SHA-256 of its token, so reading the database does not give a
//! usable link.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// Hours an invitation lives by default.
pub const DEFAULT_HOURS: u64 = 72;

/// Longest life an administrator may give an invitation (30 days).
pub const MAX_HOURS: u64 = 720;

/// A fresh token (256 random bits, 64 hex digits) and its hash.
pub fn new_token() -> Result<(zeroize::Zeroizing<String>, [u8; 32]), String> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut bytes[..]).map_err(|e| format!("no randomness from the system: {e}"))?;
    let mut token = zeroize::Zeroizing::new(String::with_capacity(64));
    for b in bytes.iter() {
        let _ = write!(token, "{b:02x}");
    }
    let hash = hash(&token);
    Ok((token, hash))
}

/// The hash under which a token is stored. Anything (even a malformed
/// token) hashes; a wrong one simply finds nothing.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

/// The link an invitee opens: the token rides in the fragment, which
/// browsers never send to a server or put in a `Referer`.
pub fn link(origin: &str, token: &str) -> String {
    format!("{}/enroll#invite={token}", origin.trim_end_matches('/'))
}
