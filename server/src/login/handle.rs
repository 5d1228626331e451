//! Ticket handles (issue 27): short login tickets that fit every RADIUS
//! client. A handle is `mxt-` and 52 base64url characters (39 random bytes,
//! 312 bits): 56 characters, under the 64 a RADIUS password may safely hold
//! (RFC 2865 allows 128 octets, radcli keeps 112) and over the 48 an answer
//! can have after folding, so the two are never confused.
//!
//! The store keeps a row per handle, bound to user, audience and expiry:
//! its key is a keyed hash of the handle, and a MAC under the site key
//! covers the row, so reading the database gives no usable handle and a
//! writer without the keyring cannot make one (`docs/FORMATS.md`). A
//! handle is used once across every node sharing the store.

use zeroize::Zeroizing;

use super::site::SiteKey;

/// The prefix of every handle.
pub const PREFIX: &str = "mxt-";

/// A handle's length in characters.
pub const LEN: usize = 56;

/// Random bytes in a handle.
const RANDOM: usize = 39;

/// Whether `password` has the form of a handle (it may still be unknown).
pub fn looks_like_handle(password: &str) -> bool {
    password.len() == LEN
        && password.starts_with(PREFIX)
        && password.bytes().skip(PREFIX.len()).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh handle and its row id.
pub fn new_handle(key: &SiteKey) -> Result<(Zeroizing<String>, [u8; 32]), String> {
    let mut bytes = Zeroizing::new([0u8; RANDOM]);
    getrandom::fill(&mut bytes[..]).map_err(|e| format!("no randomness from the system: {e}"))?;
    let mut handle = Zeroizing::new(String::with_capacity(LEN));
    handle.push_str(PREFIX);
    base64url(&bytes[..], &mut handle);
    let id = row_id(key, &handle);
    Ok((handle, id))
}

/// The row id of a handle: a keyed hash, so the database holds no handle.
pub fn row_id(key: &SiteKey, handle: &str) -> [u8; 32] {
    key.mac("matrixauth ticket handle", &[handle.as_bytes()])
}

/// The MAC that binds a row to its handle, user, audience and expiry.
pub fn row_mac(key: &SiteKey, id: &[u8; 32], user: &str, audience: &str, expires_at: u64) -> [u8; 32] {
    key.mac("matrixauth ticket row", &[id, user.as_bytes(), audience.as_bytes(), &expires_at.to_be_bytes()])
}

pub(crate) fn base64url(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET.get(index as usize).copied().unwrap_or(b'A')));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn handles_have_one_form_and_fit_radius() {
        let key = SiteKey::new(&[3; 32]);
        let (h, id) = new_handle(&key).unwrap();
        assert_eq!(h.len(), LEN);
        const { assert!(LEN <= 64 && LEN > 48) };
        assert!(looks_like_handle(&h));
        assert_eq!(row_id(&key, &h), id);
        assert_ne!(row_id(&SiteKey::new(&[4; 32]), &h), id, "keyed");
        assert!(!looks_like_handle(&h[..LEN - 1]));
        assert!(!looks_like_handle(&format!("{}=", &h[..LEN - 1])));
        assert!(!looks_like_handle("12pw3456"));
        let (h2, _) = new_handle(&key).unwrap();
        assert_ne!(h, h2);
        // Known answer for the encoder: RFC 4648 §10 vectors, url alphabet.
        let mut s = String::new();
        base64url(b"foobar", &mut s);
        assert_eq!(s, "Zm9vYmFy");
        let mut s = String::new();
        base64url(&[0xfb, 0xff, 0xbf], &mut s);
        assert_eq!(s, "-_-_");
    }

    #[test]
    fn a_row_mac_covers_every_field() {
        let key = SiteKey::new(&[3; 32]);
        let id = [1u8; 32];
        let m = row_mac(&key, &id, "alice", "vpn", 10);
        assert_ne!(m, row_mac(&key, &[2u8; 32], "alice", "vpn", 10));
        assert_ne!(m, row_mac(&key, &id, "alicf", "vpn", 10));
        assert_ne!(m, row_mac(&key, &id, "alice", "vpm", 10));
        assert_ne!(m, row_mac(&key, &id, "alice", "vpn", 11));
        assert_ne!(m, row_mac(&key, &id, "alicev", "pn", 10), "fields are length-prefixed");
    }
}
