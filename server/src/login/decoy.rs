//! Decoys for unknown ids (SPEC §13): what kind of user an unknown id looks
//! like, and the grid card a card-kind decoy holds.
//!
//! The kind is a keyed function of the id, so the same id always looks like
//! the same kind of user, drawn in the site's proportion of card holders to
//! pattern users. The proportion is rounded to 1/32 and read from the store
//! at most every [`SHARE_REFRESH_SECONDS`]: an observer who asks about many
//! unknown ids can estimate it to about 3 %, never count users. It is kept
//! within 1/32 and 31/32 whatever the users: a site without card holders
//! still has card-kind decoys, so issuing the first card (or enrolling the
//! first pattern user) changes no decoy, and no reply can show that a site
//! has no users of a kind, which would make every id of that kind a real one.
//!
//! The key is the site key ([`crate::keys::site_key`]): derived from the
//! keyring's oldest key, so rotating keys changes no decoy.

use zeroize::Zeroizing;

use super::site::SiteKey;

/// Steps of the rounded card-holder share.
pub const SHARE_STEPS: u8 = 32;

/// How long a read of the site's proportion is used.
pub const SHARE_REFRESH_SECONDS: u64 = 600;

/// What an unknown id looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A pattern user: gets grids.
    Pattern,
    /// A card holder: gets card cells.
    Card,
}

/// The share of card holders among `cards + patterns` users, in
/// 1/[`SHARE_STEPS`] steps, kept within 1 and `SHARE_STEPS - 1` (a site
/// with no users: 1).
pub fn rounded_share(patterns: usize, cards: usize) -> u8 {
    let total = patterns + cards;
    let steps = usize::from(SHARE_STEPS);
    let share = (cards * steps + total / 2).checked_div(total).unwrap_or(1);
    share.clamp(1, steps - 1) as u8
}

/// Decoys from the site key, each use under its own label.
#[derive(Debug)]
pub struct DecoyKeys {
    key: SiteKey,
}

impl DecoyKeys {
    /// Decoys from the site key.
    pub fn new(site_key: &[u8; 32]) -> Self {
        DecoyKeys { key: SiteKey::new(site_key) }
    }

    fn prf(&self, label: &str, user: &str, counter: u32) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.mac(label, &[user.as_bytes(), &counter.to_be_bytes()]))
    }

    /// The kind of an unknown `user` at a card-holder share of `share`
    /// (from [`rounded_share`]).
    pub fn kind(&self, user: &str, share: u8) -> Kind {
        let h = self.prf("matrixauth decoy kind", user, 0);
        // The top 5 bits: uniform in 0..32.
        let draw = h.first().copied().unwrap_or(0) >> 3;
        if draw < share { Kind::Card } else { Kind::Pattern }
    }

    /// The grid card an unknown `user` of the card kind holds: the shape of
    /// `matrixauth card`'s cards (`CardSpec::default()`), a serial of the
    /// same form, and values fixed per id, all from the site key.
    pub fn card(&self, user: &str) -> Result<mx::GridCard, mx::Error> {
        let spec = mx::CardSpec::default();
        let serial_symbols = self.symbols("matrixauth decoy serial", user, SERIAL_ALPHABET, 8);
        let serial = format!(
            "MX-{}-{}",
            serial_symbols.get(..4).unwrap_or_default(),
            serial_symbols.get(4..).unwrap_or_default()
        );
        let n = spec.rows * spec.cols * spec.cell_len;
        let values = self.symbols("matrixauth decoy card", user, spec.alphabet.symbols(), n);
        mx::GridCard::from_values(
            &serial,
            spec.rows,
            spec.cols,
            spec.cell_len,
            spec.alphabet,
            spec.expires_at,
            &values,
        )
    }

    /// `n` symbols drawn uniformly from `alphabet` (rejection sampling of
    /// the PRF's bytes: no modulo bias).
    fn symbols(&self, label: &str, user: &str, alphabet: &[u8], n: usize) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(n));
        let len = alphabet.len().max(1);
        let limit = 256 - 256 % len;
        let mut counter = 0u32;
        while out.len() < n {
            for &b in self.prf(label, user, counter).iter() {
                if usize::from(b) < limit && out.len() < n {
                    out.push(char::from(alphabet.get(usize::from(b) % len).copied().unwrap_or(b'0')));
                }
            }
            counter += 1;
        }
        out
    }
}

/// The symbols of generated card serials (the core's `Alnum` alphabet).
const SERIAL_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn shares_round_and_never_hide_a_kind() {
        assert_eq!(rounded_share(0, 0), 1);
        assert_eq!(rounded_share(10, 0), 1, "card decoys even without card holders");
        assert_eq!(rounded_share(0, 10), 31, "pattern decoys even without pattern users");
        assert_eq!(rounded_share(1000, 1), 1, "one card holder still gets card decoys");
        assert_eq!(rounded_share(1, 1000), 31, "one pattern user still gets pattern decoys");
        assert_eq!(rounded_share(50, 50), 16);
        assert_eq!(rounded_share(75, 25), 8);
    }

    #[test]
    fn kinds_are_stable_per_id_and_follow_the_share() {
        let keys = DecoyKeys::new(&[7; 32]);
        let ids: Vec<String> = (0..4000).map(|i| format!("user{i}")).collect();
        for share in [0u8, 8, 16, 31, 32] {
            let cards = ids.iter().filter(|u| keys.kind(u, share) == Kind::Card).count();
            let expected = 4000.0 * f64::from(share) / 32.0;
            assert!((cards as f64 - expected).abs() < 4000.0 * 0.03 + 1.0, "share {share}: {cards}");
        }
        assert!(ids.iter().all(|u| keys.kind(u, 16) == keys.kind(u, 16)));
        // Another site key gives other kinds.
        let other = DecoyKeys::new(&[8; 32]);
        assert!(ids.iter().any(|u| keys.kind(u, 16) != other.kind(u, 16)));
    }

    #[test]
    fn decoy_cards_look_like_issued_cards_and_are_fixed_per_id() {
        let keys = DecoyKeys::new(&[7; 32]);
        let a = keys.card("mallory").unwrap();
        let b = keys.card("mallory").unwrap();
        assert_eq!(a.serial(), b.serial());
        assert_eq!(a.to_bytes().as_slice(), b.to_bytes().as_slice());
        assert_ne!(a.serial(), keys.card("trent").unwrap().serial());
        let real = mx::GridCard::generate(&mx::CardSpec::default()).unwrap();
        assert_eq!(a.serial().len(), real.serial().len());
        assert_eq!(&a.serial()[..3], "MX-");
        assert_eq!(a.geometry(), real.geometry());
        assert_eq!(a.cell_len(), real.cell_len());
        assert_eq!(a.expires_at(), real.expires_at());
    }
}
