//! The access MAC (issue 21): each user's suspension, access windows and roles are
//! covered by a MAC under the site key, bound to the user and their
//! enrolment, kept in the user's row and rewritten in the same transaction
//! as every change the service makes. Someone who can write the database but
//! lacks the keyring cannot delete, add or widen a window, or lift (or
//! impose) a suspension, without every login of that user being refused as
//! tampering and audited.

use subtle::ConstantTimeEq as _;

use super::site::SiteKey;
use crate::store::{Access, AccessFacts, UserRecord};

/// The MAC of a user's access facts.
pub fn mac(key: &SiteKey, facts: &AccessFacts<'_>) -> [u8; 32] {
    let mut windows = Vec::with_capacity(facts.windows.len() * 16);
    for (start, end) in facts.windows {
        windows.extend_from_slice(&start.to_be_bytes());
        windows.extend_from_slice(&end.to_be_bytes());
    }
    let suspended = match facts.suspended_at {
        Some(t) => [&[1u8][..], &t.to_be_bytes()].concat(),
        None => vec![0u8],
    };
    let base: [&[u8]; 4] = [facts.user.as_bytes(), &facts.created_at.to_be_bytes(), &suspended, &windows];
    if facts.roles.is_empty() {
        // A user without roles has the MAC of schema 7: nothing to reseal at schema 8.
        return key.mac("matrixauth access", &base);
    }
    // Each role a part of its own (length-prefixed): no list reads as another.
    let parts: Vec<&[u8]> = base.iter().copied().chain(facts.roles.iter().map(String::as_bytes)).collect();
    key.mac("matrixauth access", &parts)
}

/// When `user` may log in at `now`, if their record's access MAC checks
/// (`None`: it does not, or there is none).
pub fn checked(key: &SiteKey, user: &str, record: &UserRecord, now: u64) -> Option<Access> {
    // A role no release gives is tampering whatever the MAC says.
    if record.roles.iter().any(|r| !crate::store::ROLES.contains(&r.as_str())) {
        return None;
    }
    let expected = mac(key, &record.access_facts(user));
    let stored = record.access_mac.as_deref()?;
    if stored.len() != expected.len() || !bool::from(expected.ct_eq(stored)) {
        return None;
    }
    if record.windows.is_empty() {
        return Some(Access::Always);
    }
    Some(
        record
            .windows
            .iter()
            .filter(|(start, end)| *start <= now && now < *end)
            .map(|(_, end)| *end)
            .max()
            .map_or(Access::Outside, Access::Until),
    )
}
