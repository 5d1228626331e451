//! Audit events (SPEC §9): one per issue, verify, unlock, ticket issue and
//! ticket redeem. An event holds only public facts — time, user, kind,
//! outcome, challenge sequence number, counters, lock — never an answer, a
//! pattern, a fixed string, card values, keys or MACs. Each serialises to
//! one line of JSON.

use core::fmt::Write as _;
use std::sync::Arc;

use crate::Outcome;
use crate::codec::Name;

/// A callback that receives every event an [`crate::Authenticator`] or
/// [`crate::TicketVerifier`] produces, including refusals that return an
/// error (a locked user's issue, a refused ticket).
pub type AuditSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A new pattern challenge was issued.
    ChallengeIssued,
    /// The pending challenge was presented again (refresh).
    ChallengeReissued,
    /// A new card challenge was issued.
    CardChallengeIssued,
    /// The pending card challenge was presented again (refresh).
    CardChallengeReissued,
    /// Issuing was refused because the user is locked.
    IssueRefusedLocked,
    /// An answer was verified, with this outcome.
    Verify(Outcome),
    /// An administrator cleared the user's locks and counters.
    Unlock,
    /// A login ticket was issued.
    TicketIssued,
    /// A login ticket was redeemed.
    TicketRedeemed,
    /// A login ticket was refused.
    TicketRefused(crate::TicketError),
}

impl EventKind {
    /// The `event` field of the JSON line.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ChallengeIssued => "challenge_issued",
            EventKind::ChallengeReissued => "challenge_reissued",
            EventKind::CardChallengeIssued => "card_challenge_issued",
            EventKind::CardChallengeReissued => "card_challenge_reissued",
            EventKind::IssueRefusedLocked => "issue_refused_locked",
            EventKind::Verify(_) => "verify",
            EventKind::Unlock => "unlock",
            EventKind::TicketIssued => "ticket_issued",
            EventKind::TicketRedeemed => "ticket_redeemed",
            EventKind::TicketRefused(_) => "ticket_refused",
        }
    }
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Unix seconds (the `now` of the call).
    pub time: u64,
    /// The user id. For a refused ticket whose content could not be trusted,
    /// empty. Held inline, so producing an event allocates nothing.
    pub user: Name,
    /// What happened.
    pub kind: EventKind,
    /// The challenge's sequence number, where a challenge is involved.
    pub seq: Option<u64>,
    /// Consecutive failures after the event (0 for ticket events).
    pub consecutive_failures: u32,
    /// Failures since the last success after the event (0 for ticket events).
    pub failures_since_success: u32,
    /// End of the temporary lock in force after the event, if any.
    pub locked_until: Option<u64>,
    /// Whether the user is permanently locked after the event.
    pub permanently_locked: bool,
    /// The ticket's audience, for ticket events.
    pub audience: Option<Name>,
}

impl Event {
    pub(crate) fn new(time: u64, user: &str, kind: EventKind) -> Self {
        Event {
            time,
            user: Name::lossy(user),
            kind,
            seq: None,
            consecutive_failures: 0,
            failures_since_success: 0,
            locked_until: None,
            permanently_locked: false,
            audience: None,
        }
    }

    pub(crate) fn with_state(mut self, state: &crate::UserState, now: u64) -> Self {
        self.consecutive_failures = state.consecutive_failures();
        self.failures_since_success = state.failures_since_success();
        self.permanently_locked = state.permanently_locked();
        self.locked_until = (state.locked_until() > now).then_some(state.locked_until());
        self
    }

    /// The event as one line of JSON (no trailing newline), keys in a fixed
    /// order:
    /// `{"time":…,"user":…,"event":…,"outcome":…,"seq":…,"consecutive_failures":…,"failures_since_success":…,"locked_until":…,"permanently_locked":…,"audience":…,"reason":…}`.
    /// `outcome` appears for `verify`, `reason` for `ticket_refused`,
    /// `audience` for ticket events; absent numbers are `null`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"time\":");
        let _ = write!(out, "{}", self.time);
        out.push_str(",\"user\":");
        push_json_str(&mut out, &self.user);
        out.push_str(",\"event\":\"");
        out.push_str(self.kind.as_str());
        out.push('"');
        if let EventKind::Verify(outcome) = self.kind {
            out.push_str(",\"outcome\":\"");
            out.push_str(outcome.as_str());
            out.push('"');
        }
        out.push_str(",\"seq\":");
        push_opt(&mut out, self.seq);
        let _ = write!(
            out,
            ",\"consecutive_failures\":{},\"failures_since_success\":{}",
            self.consecutive_failures, self.failures_since_success
        );
        out.push_str(",\"locked_until\":");
        push_opt(&mut out, self.locked_until);
        let _ = write!(out, ",\"permanently_locked\":{}", self.permanently_locked);
        if let Some(audience) = &self.audience {
            out.push_str(",\"audience\":");
            push_json_str(&mut out, audience);
        }
        if let EventKind::TicketRefused(reason) = self.kind {
            out.push_str(",\"reason\":\"");
            out.push_str(reason.as_str());
            out.push('"');
        }
        out.push('}');
        out
    }
}

fn push_opt(out: &mut String, v: Option<u64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
