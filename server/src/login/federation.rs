//! What the federation doors (SAML, OpenID Connect; issue 22) ask of the
//! login service besides a login: a user's groups, and whether a session
//! the identity provider holds may still be handed on without a new grid
//! (single sign-on to a second service provider).
//!
//! Logins themselves go through [`Login::challenge`] and [`Login::answer`]
//! from the portal's pages: the federation doors reuse those pages and
//! their API, so every rule (decoys, locks, suspension, access windows,
//! registered terminals) applies to them unchanged.

use super::{AdminAction, AuditEvent, Login, access};
use crate::store::Access;

/// The longest group name (bytes).
pub const MAX_GROUP: usize = 255;

/// Whether `group` can name a group: 1 to [`MAX_GROUP`] bytes, no control
/// characters, no leading or trailing space.
pub fn valid_group(group: &str) -> bool {
    (1..=MAX_GROUP).contains(&group.len()) && !group.chars().any(char::is_control) && group.trim() == group
}

impl Login {
    /// `user`'s groups, sorted (none for an unknown id).
    pub fn groups(&self, user: &str) -> Result<Vec<String>, String> {
        self.store.groups(user).map_err(|e| e.to_string())
    }

    /// Gives `group` to `user` (`add`) or takes it away, audited.
    /// `Ok(false)`: no such user.
    pub fn set_group(&self, user: &str, group: &str, add: bool, operator: &str) -> Result<bool, String> {
        if !valid_group(group) {
            return Err(format!(
                "group {group:?}: 1 to {MAX_GROUP} bytes, no control characters, no leading or trailing space"
            ));
        }
        let action = if add {
            AdminAction::GroupAdd { group: group.to_owned() }
        } else {
            AdminAction::GroupRemove { group: group.to_owned() }
        };
        let line = AuditEvent::Admin { time: self.now(), user: Some(user), operator, action }.to_line();
        self.store.set_group(user, group, add, &[line]).map_err(|e| e.to_string())
    }

    /// Whether an identity-provider session of `user`, made by an accepted
    /// login when the user's record was created at `enrolled_at`, may
    /// still be handed on at `now`, and until when at most: the user is
    /// still the same enrolment, not suspended, not locked, their access
    /// facts check, and an access window (if they have windows) is open.
    /// `None`: the session must end and the user log in again.
    pub fn session_still_allowed(&self, user: &str, enrolled_at: u64) -> Option<u64> {
        let now = self.now();
        let record = self.store.load(user).ok().flatten()?;
        if record.created_at != enrolled_at || record.suspended || record.state.lock_at(now).is_some() {
            return None;
        }
        match access::checked(&self.site, user, &record, now)? {
            Access::Always => Some(u64::MAX),
            Access::Until(end) => Some(end),
            Access::Outside => None,
        }
    }

    /// Claims a single-use value of a federation door (a SAML request's
    /// issuer and ID, an OpenID Connect code) until `expires_at`, in the
    /// store's redeemed-ticket rows (shared by every node, pruned hourly)
    /// under SHA-256 of a label for its `kind` and the value, so no kind's
    /// value can pass for another's, nor for a ticket. `Ok(true)`: the first
    /// use; `Ok(false)`: a replay; `Err`: the store is unavailable.
    pub fn claim_once(&self, kind: &str, value: &str, expires_at: u64) -> Result<bool, String> {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"matrixauth federation single use\0");
        h.update(kind.as_bytes());
        h.update(b"\0");
        h.update(value.as_bytes());
        let key: [u8; 32] = h.finalize().into();
        self.store.claim_ticket(&key, expires_at).map_err(|e| e.to_string())
    }

    /// Audits a login handed on by a federation door (`event: federation`):
    /// `protocol` `saml` or `oidc`, the SP's or client's id, `what` was
    /// handed (`assertion`, `id_token`), and whether from the IdP session
    /// alone. The door hands nothing on when this fails.
    pub fn record_federation(
        &self,
        user: &str,
        protocol: &'static str,
        audience: &str,
        what: &'static str,
        sso: bool,
    ) -> Result<(), String> {
        let line = AuditEvent::Federation { time: self.now(), user, protocol, audience, what, sso }.to_line();
        self.store.append_audit(&[line]).map_err(|e| e.to_string())
    }

    /// When `user`'s current enrolment was made (`None`: not enrolled).
    pub fn enrolled_at(&self, user: &str) -> Option<u64> {
        self.store.enrolled_at(user).ok().flatten()
    }
}
