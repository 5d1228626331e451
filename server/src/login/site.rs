//! The site key: the login service's own keyed functions (decoy kinds and
//! cards, ticket handles), derived from the keyring file's oldest key
//! ([`crate::keys::site_key`]), so every node has it and rotating keys
//! changes none of them.

use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The site key.
pub struct SiteKey {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteKey { .. }")
    }
}

impl SiteKey {
    /// The key.
    pub fn new(key: &[u8; 32]) -> Self {
        SiteKey { key: Zeroizing::new(*key) }
    }

    /// HMAC-SHA256 under the key of `label`, a zero byte, and each part
    /// prefixed by its length (so parts cannot run into each other).
    pub fn mac(&self, label: &str, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(self.key.as_ref()).unwrap_or_else(|_| unreachable!());
        mac.update(label.as_bytes());
        mac.update(&[0]);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}
