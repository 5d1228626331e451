//! The server's audit events: one type, turned into a line here and only
//! here. `docs/FORMATS.md` ("Audit log") documents every event and field.
//!
//! The core's events (challenges, verifications, unlocks, tickets) keep
//! their own format ([`mx::Event::to_json`]) and pass through
//! [`AuditEvent::Core`]. Every line is one JSON object with `time` (Unix
//! seconds), `user` (a user id, or `null`) and `event` first in meaning;
//! no line ever holds an answer, a pattern, a fixed string, card values,
//! a key, a token or a MAC.

use serde_json::{Value, json};

/// Which door a login came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via<'a> {
    /// The web portal (`/api/…`, `/vpn`).
    Http,
    /// A RADIUS client, by its configured name.
    Radius(&'a str),
}

impl Via<'_> {
    /// The `via` field: `http`, or `radius:NAME`.
    pub fn label(&self) -> String {
        match self {
            Via::Http => "http".to_owned(),
            Via::Radius(client) => format!("radius:{client}"),
        }
    }
}

/// An administrator's action (`event: admin`, field `action`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminAction {
    /// An enrollment invitation was issued.
    Invite {
        /// When it expires.
        expires_at: u64,
        /// Whether the user is enrolled already (the link replaces the credential).
        reenrolment: bool,
        /// The console roles the invitation gives at enrolment (none: a vendor user), so the
        /// audit says who granted a role, not only that an invitation did.
        roles: Vec<String>,
    },
    /// Locks and failure counters were cleared.
    Unlock,
    /// The user was removed.
    Remove,
    /// A site password was set (the first factor some RADIUS clients ask for).
    SitePassword,
    /// The site password was cleared.
    SitePasswordCleared,
    /// The user's access was stopped at every door.
    Suspend,
    /// The user's access was given back.
    Resume,
    /// Every user was suspended at once (`users suspend --all`).
    SuspendAll {
        /// How many users this suspended (those suspended already are not counted).
        users: usize,
    },
    /// An access window was added.
    WindowAdd {
        /// Its number.
        window: i64,
        /// Start (inclusive).
        from: u64,
        /// End (exclusive).
        to: u64,
    },
    /// An access window was removed.
    WindowRemove {
        /// Its number.
        window: i64,
    },
    /// A grid card was issued.
    CardIssued {
        /// The card's serial (printed on it; not a secret).
        serial: String,
    },
    /// A user's roles were set.
    Roles {
        /// The roles they hold now.
        roles: Vec<String>,
    },
    /// The audit key was handed out (`matrixauth audit key`).
    AuditKeyExported,
    /// The audit log of a period was exported.
    AuditExport {
        /// Start (inclusive).
        from: u64,
        /// End (exclusive).
        to: u64,
        /// `csv` or `jsonl`.
        format: &'static str,
        /// Lines exported.
        lines: usize,
    },
    /// Every suspended vendor user was given their access back at once.
    ResumeAll {
        /// How many.
        users: usize,
    },
    /// The requests and reports were exported.
    RequestsExport {
        /// How many requests.
        requests: usize,
    },
    /// A new signing key was added to the keyring.
    KeysRotate {
        /// Its id.
        key_id: u32,
    },
    /// The database schema was migrated.
    DbMigrate {
        /// The schema version now.
        schema: u32,
    },
    /// A group was given to a user (`users group add`).
    GroupAdd {
        /// The group.
        group: String,
    },
    /// A group was taken from a user (`users group remove`).
    GroupRemove {
        /// The group.
        group: String,
    },
}

impl AdminAction {
    fn name(&self) -> &'static str {
        match self {
            AdminAction::Invite { .. } => "invite",
            AdminAction::Unlock => "unlock",
            AdminAction::Remove => "remove",
            AdminAction::SitePassword => "site_password",
            AdminAction::SitePasswordCleared => "site_password_cleared",
            AdminAction::Suspend => "suspend",
            AdminAction::Resume => "resume",
            AdminAction::SuspendAll { .. } => "suspend_all",
            AdminAction::ResumeAll { .. } => "resume_all",
            AdminAction::RequestsExport { .. } => "requests_export",
            AdminAction::WindowAdd { .. } => "window_add",
            AdminAction::WindowRemove { .. } => "window_remove",
            AdminAction::CardIssued { .. } => "card_issued",
            AdminAction::AuditExport { .. } => "audit_export",
            AdminAction::AuditKeyExported => "audit_key_exported",
            AdminAction::Roles { .. } => "roles",
            AdminAction::KeysRotate { .. } => "keys_rotate",
            AdminAction::DbMigrate { .. } => "db_migrate",
            AdminAction::GroupAdd { .. } => "group_add",
            AdminAction::GroupRemove { .. } => "group_remove",
        }
    }

    fn fields(&self) -> Value {
        match self {
            AdminAction::Invite { expires_at, reenrolment, roles } if roles.is_empty() => {
                json!({"expiresAt": expires_at, "reenrolment": reenrolment})
            }
            AdminAction::Invite { expires_at, reenrolment, roles } => {
                json!({"expiresAt": expires_at, "reenrolment": reenrolment, "roles": roles})
            }
            AdminAction::SuspendAll { users } | AdminAction::ResumeAll { users } => json!({ "users": users }),
            AdminAction::RequestsExport { requests } => json!({ "requests": requests }),
            AdminAction::WindowAdd { window, from, to } => json!({"window": window, "from": from, "to": to}),
            AdminAction::WindowRemove { window } => json!({ "window": window }),
            AdminAction::CardIssued { serial } => json!({ "serial": serial }),
            AdminAction::AuditExport { from, to, format, lines } => {
                json!({"from": from, "to": to, "format": format, "lines": lines})
            }
            AdminAction::KeysRotate { key_id } => json!({ "keyId": key_id }),
            AdminAction::Roles { roles } => json!({ "roles": roles }),
            AdminAction::DbMigrate { schema } => json!({ "schema": schema }),
            AdminAction::GroupAdd { group } | AdminAction::GroupRemove { group } => json!({ "group": group }),
            AdminAction::Unlock
            | AdminAction::Remove
            | AdminAction::Suspend
            | AdminAction::Resume
            | AdminAction::SitePassword
            | AdminAction::SitePasswordCleared
            | AdminAction::AuditKeyExported => json!({}),
        }
    }
}

/// A step of a maintenance request ([`AuditEvent::Request`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestStep<'a> {
    /// Filed by the vendor for the period `[from, to)`.
    Filed {
        /// Start.
        from: u64,
        /// End (exclusive).
        to: u64,
    },
    /// Approved: access window `window` now exists.
    Approved {
        /// The window's number.
        window: i64,
        /// Start.
        from: u64,
        /// End (exclusive).
        to: u64,
    },
    /// Rejected.
    Rejected {
        /// The approver's reason.
        reason: &'a str,
    },
    /// The vendor's report was filed.
    Reported,
}

impl RequestStep<'_> {
    fn name(&self) -> &'static str {
        match self {
            RequestStep::Filed { .. } => "request_filed",
            RequestStep::Approved { .. } => "request_approved",
            RequestStep::Rejected { .. } => "request_rejected",
            RequestStep::Reported => "request_reported",
        }
    }

    fn fields(&self) -> Value {
        match self {
            RequestStep::Filed { from, to } => json!({"from": from, "to": to}),
            RequestStep::Approved { window, from, to } => json!({"window": window, "from": from, "to": to}),
            RequestStep::Rejected { reason } => json!({ "reason": reason }),
            RequestStep::Reported => json!({}),
        }
    }
}

/// What a RADIUS reply said (`event: radius`, field `decision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RadiusReply {
    /// Access-Accept.
    Accept,
    /// Access-Reject (a wrong answer, a refused ticket, a suspended user, a
    /// malformed password).
    Reject,
    /// Access-Reject for a locked user.
    RejectLocked,
    /// Access-Reject for a right answer outside the approved period.
    RejectOutsideWindow,
    /// Access-Challenge with a grid or card cells.
    Challenge,
}

impl RadiusReply {
    fn as_str(self) -> &'static str {
        match self {
            RadiusReply::Accept => "accept",
            RadiusReply::Reject => "reject",
            RadiusReply::RejectLocked => "reject_locked",
            RadiusReply::RejectOutsideWindow => "reject_outside_window",
            RadiusReply::Challenge => "challenge",
        }
    }
}

/// One audit event of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditEvent<'a> {
    /// An event of the core, in the core's format.
    Core(&'a mx::Event),
    /// A user enrolled (or re-enrolled) through an invitation.
    Enrolled {
        /// Unix seconds.
        time: u64,
        /// The user.
        user: &'a str,
    },
    /// A right answer refused outside the user's approved access windows.
    OutsideWindow {
        /// Unix seconds.
        time: u64,
        /// The user.
        user: &'a str,
        /// The door.
        via: Via<'a>,
    },
    /// A suspended user's login was refused (answer or ticket): the door
    /// replied as to a wrong answer, and no failure was counted.
    SuspendedRefused {
        /// Unix seconds.
        time: u64,
        /// The user.
        user: &'a str,
        /// The door.
        via: Via<'a>,
    },
    /// A ticket the core accepted was refused because another node (or
    /// this one, before a restart) redeemed it first.
    TicketReplayed {
        /// Unix seconds.
        time: u64,
        /// The ticket's user.
        user: &'a str,
        /// The audience it was presented for.
        audience: &'a str,
    },
    /// A ticket handle was issued for the hand-off to an appliance.
    HandleIssued {
        /// Unix seconds.
        time: u64,
        /// Whose login it hands on.
        user: &'a str,
        /// The appliance.
        audience: &'a str,
        /// When it expires.
        expires_at: u64,
    },
    /// A federation door handed a login on (issue 22): a signed SAML
    /// assertion to an SP, or an ID token to an OpenID Connect client.
    Federation {
        /// Unix seconds.
        time: u64,
        /// Whose login.
        user: &'a str,
        /// `saml` or `oidc`.
        protocol: &'static str,
        /// The SP's entity id or the client's id.
        audience: &'a str,
        /// `assertion` or `id_token`.
        what: &'static str,
        /// Whether it came from the IdP session without a new grid (single sign-on).
        sso: bool,
    },
    /// A ticket handle was redeemed.
    HandleRedeemed {
        /// Unix seconds.
        time: u64,
        /// Whose login it was.
        user: &'a str,
        /// The appliance that presented it.
        audience: &'a str,
        /// The handle's id as logged ([`ticket_id`]): `audit verify` finds
        /// a handle redeemed twice (its used mark cleared in the database).
        ticket: &'a str,
    },
    /// A ticket (a handle, or a signed ticket cut short) was refused for a
    /// reason the core's own event cannot give.
    TicketRefused {
        /// Unix seconds.
        time: u64,
        /// The ticket's user, if its row or text says (else empty).
        user: &'a str,
        /// The appliance that presented it.
        audience: &'a str,
        /// `unknown`, `tampered`, `replayed`, `wrong_audience`, `expired`,
        /// `wrong_user`, or (a signed ticket) `truncated`.
        reason: &'static str,
        /// `handle` or `signed`.
        form: &'static str,
    },
    /// A stored record failed a check that only tampering fails: the login
    /// was refused.
    Tampered {
        /// Unix seconds.
        time: u64,
        /// The user whose record it is.
        user: &'a str,
        /// What: `state_rollback` (a state older than one this node has
        /// seen), `access` (suspension or windows not matching their MAC), or
        /// `audit_chain` (the node's chain found shorter than it wrote: `seen`
        /// is the last line it wrote, `found` the database's).
        what: &'static str,
        /// The state version this node saw.
        seen: u64,
        /// The version found.
        found: u64,
    },
    /// What the RADIUS door replied to an Access-Request.
    Radius {
        /// Unix seconds.
        time: u64,
        /// The User-Name (as sent; may be no user at all).
        user: &'a str,
        /// The client's configured name.
        client: &'a str,
        /// The reply.
        decision: RadiusReply,
    },
    /// A RadSec (RADIUS over TLS) connection refused for its client
    /// certificate: untrusted (the TLS handshake failed), absent, or
    /// trusted but named by no `[[radius.radsec.client]]`.
    RadsecRefused {
        /// Unix seconds.
        time: u64,
        /// The peer's address and port.
        peer: &'a str,
        /// `untrusted_certificate`, `no_certificate` or `unknown_certificate`.
        reason: &'static str,
        /// What the TLS library said (empty for `unknown_certificate`).
        detail: &'a str,
        /// The SHA-256 fingerprint of the certificate presented, if it got
        /// that far (hex, lower case).
        fingerprint: Option<&'a str>,
    },
    /// An administrator's action.
    Admin {
        /// Unix seconds.
        time: u64,
        /// The user acted on, if any.
        user: Option<&'a str>,
        /// Who ran the command (the login behind `sudo`, else the user).
        operator: &'a str,
        /// What was done.
        action: AdminAction,
    },
    /// A step of a maintenance request (issue 23): filed, approved,
    /// rejected, reported (`event: request_filed`, …).
    Request {
        /// Unix seconds.
        time: u64,
        /// The vendor user whose request it is.
        user: &'a str,
        /// Who acted: a user id (the console) or the shell's operator (the CLI).
        actor: &'a str,
        /// `console` or `cli`.
        via: &'static str,
        /// The request's number.
        request: i64,
        /// What happened.
        step: RequestStep<'a>,
    },
    /// The console's own events: a session begun or ended, an action
    /// refused for want of a role (`event: console`).
    Console {
        /// Unix seconds.
        time: u64,
        /// The console user.
        user: &'a str,
        /// `login`, `logout` or `denied`.
        action: &'static str,
        /// For `denied`: the action asked for.
        detail: &'a str,
    },
    /// Audit lines past the retention were deleted.
    AuditPruned {
        /// Unix seconds.
        time: u64,
        /// How many lines.
        removed: usize,
        /// Lines before this time were deleted.
        before: u64,
        /// The retention in days.
        retention_days: u64,
        /// Where each pruned node's chain now starts (`audit verify`).
        anchors: &'a super::chain::Anchors,
        /// Nodes whose old lines were kept: the last one did not check.
        refused: &'a [String],
    },
}

impl AuditEvent<'_> {
    /// The `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            AuditEvent::Core(e) => e.kind.as_str(),
            AuditEvent::Enrolled { .. } => "enrolled",
            AuditEvent::OutsideWindow { .. } => "outside_window",
            AuditEvent::SuspendedRefused { .. } => "suspended_refused",
            AuditEvent::TicketReplayed { .. } | AuditEvent::TicketRefused { .. } => "ticket_refused",
            AuditEvent::HandleIssued { .. } => "ticket_issued",
            AuditEvent::HandleRedeemed { .. } => "ticket_redeemed",
            AuditEvent::Federation { .. } => "federation",
            AuditEvent::Tampered { .. } => "tampered",
            AuditEvent::Radius { .. } => "radius",
            AuditEvent::RadsecRefused { .. } => "radsec_refused",
            AuditEvent::Admin { .. } => "admin",
            AuditEvent::AuditPruned { .. } => "audit_pruned",
            AuditEvent::Request { step, .. } => step.name(),
            AuditEvent::Console { .. } => "console",
        }
    }

    /// The event as one line of JSON (no newline): what the store keeps.
    pub fn to_line(&self) -> String {
        let event = self.name();
        let v = match self {
            AuditEvent::Core(e) => return e.to_json(),
            AuditEvent::Enrolled { time, user } => {
                json!({"time": time, "user": user, "event": event, "via": "invitation"})
            }
            AuditEvent::OutsideWindow { time, user, via }
            | AuditEvent::SuspendedRefused { time, user, via } => {
                json!({"time": time, "user": user, "event": event, "via": via.label()})
            }
            AuditEvent::TicketReplayed { time, user, audience } => json!({
                "time": time, "user": user, "event": event, "reason": "replayed",
                "audience": audience, "scope": "store",
            }),
            AuditEvent::HandleIssued { time, user, audience, expires_at } => json!({
                "time": time, "user": user, "event": event, "audience": audience, "form": "handle",
                "expiresAt": expires_at,
            }),
            AuditEvent::Federation { time, user, protocol, audience, what, sso } => json!({
                "time": time, "user": user, "event": event, "protocol": protocol, "audience": audience,
                "what": what, "sso": sso,
            }),
            AuditEvent::HandleRedeemed { time, user, audience, ticket } => json!({
                "time": time, "user": user, "event": event, "audience": audience, "form": "handle",
                "ticket": ticket,
            }),
            AuditEvent::TicketRefused { time, user, audience, reason, form } => json!({
                "time": time, "user": user, "event": event, "reason": reason, "audience": audience, "form": form,
            }),
            AuditEvent::Tampered { time, user, what, seen, found } => json!({
                "time": time, "user": user, "event": event, "what": what, "seen": seen, "found": found,
            }),
            AuditEvent::Radius { time, user, client, decision } => json!({
                "time": time, "user": user, "event": event, "client": client, "decision": decision.as_str(),
            }),
            AuditEvent::RadsecRefused { time, peer, reason, detail, fingerprint } => json!({
                "time": time, "user": null, "event": event, "peer": peer, "reason": reason,
                "detail": detail, "fingerprint": fingerprint,
            }),
            AuditEvent::Admin { time, user, operator, action } => {
                let mut v = json!({
                    "time": time, "user": user, "event": event, "action": action.name(), "operator": operator,
                });
                if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), action.fields()) {
                    obj.extend(more);
                }
                v
            }
            AuditEvent::Request { time, user, actor, via, request, step } => {
                let mut v = json!({
                    "time": time, "user": user, "event": event, "actor": actor, "via": via, "request": request,
                });
                if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), step.fields()) {
                    obj.extend(more);
                }
                v
            }
            AuditEvent::Console { time, user, action, detail } => {
                let mut v = json!({"time": time, "user": user, "event": event, "action": action});
                if !detail.is_empty()
                    && let Some(o) = v.as_object_mut()
                {
                    o.insert("detail".into(), json!(detail));
                }
                v
            }
            AuditEvent::AuditPruned { time, removed, before, retention_days, anchors, refused } => {
                let mut v = json!({
                    "time": time, "user": null, "event": event, "removed": removed, "before": before,
                    "retention_days": retention_days, "anchors": super::chain::anchors_json(anchors),
                });
                if !refused.is_empty()
                    && let Some(o) = v.as_object_mut()
                {
                    o.insert("refused".into(), json!(refused));
                }
                v
            }
        };
        v.to_string()
    }
}

/// The syslog severity (RFC 5424 §6.2.1) of a stored line, by its event:
/// `tampered` is alert (1); a lock, a refusal of a locked user and an
/// administrator's action are warning (4) and notice (5); refusals (wrong
/// answers, suspended users, outside the window, refused tickets, RADIUS
/// rejects) notice (5); the rest (challenges, logins, tickets issued and
/// redeemed, enrollments, prunings) info (6). A line that does not parse
/// is warning (it should not exist).
pub fn severity(line: &str) -> u8 {
    let Ok(v) = serde_json::from_str::<Value>(line) else { return 4 };
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    let locked = v.get("locked_until").is_some_and(|l| !l.is_null())
        || v.get("permanently_locked").and_then(Value::as_bool) == Some(true);
    match field("event") {
        "tampered" => 1,
        "issue_refused_locked" => 4,
        "verify" if field("outcome") == "accepted" => 6,
        "verify" if locked => 4,
        "verify" | "outside_window" | "suspended_refused" | "ticket_refused" | "admin" => 5,
        "radius" if field("decision").starts_with("reject") => 5,
        _ => 6,
    }
}

/// A core event's line written on a suspended user's shadow state: the same
/// line with `"shadow":true` last, so an auditor never reads the shadow's
/// counters as the user's own.
pub fn shadow(line: &str) -> String {
    with_field(line, "\"shadow\":true")
}

/// The core's `ticket_redeemed` line of a signed ticket with the ticket's
/// logged id last (`"ticket":"…"`, [`ticket_id`]).
pub fn with_ticket(line: &str, ticket: &str) -> String {
    with_field(line, &format!("\"ticket\":{}", Value::from(ticket)))
}

/// How a redeemed ticket is named in the log: the first 16 bytes, in hex, of
/// its store id (a handle's keyed hash, or a signed ticket's SHA-256),
/// which tells nothing of the ticket and is the same on every node.
pub fn ticket_id(id: &[u8; 32]) -> String {
    super::chain::hex(id.get(..16).unwrap_or_default())
}

fn with_field(line: &str, field: &str) -> String {
    match line.strip_suffix('}') {
        Some(body) => format!("{body},{field}}}"),
        None => line.to_owned(),
    }
}

/// The event names the server writes, core and server events alike, for
/// the schema test and `docs/FORMATS.md`.
pub const EVENT_NAMES: &[&str] = &[
    "challenge_issued",
    "challenge_reissued",
    "card_challenge_issued",
    "card_challenge_reissued",
    "issue_refused_locked",
    "verify",
    "unlock",
    "ticket_issued",
    "ticket_redeemed",
    "ticket_refused",
    "enrolled",
    "outside_window",
    "suspended_refused",
    "tampered",
    "radius",
    "radsec_refused",
    "admin",
    "audit_pruned",
    "request_filed",
    "request_approved",
    "request_rejected",
    "request_reported",
    "console",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(line: &str) -> serde_json::Map<String, Value> {
        serde_json::from_str::<Value>(line).unwrap().as_object().unwrap().clone()
    }

    #[test]
    fn every_server_event_has_time_user_and_a_known_name() {
        let anchors = crate::login::chain::Anchors::new();
        let events = [
            AuditEvent::Enrolled { time: 1, user: "a" },
            AuditEvent::OutsideWindow { time: 1, user: "a", via: Via::Http },
            AuditEvent::SuspendedRefused { time: 1, user: "a", via: Via::Radius("vpn") },
            AuditEvent::TicketReplayed { time: 1, user: "a", audience: "vpn" },
            AuditEvent::HandleIssued { time: 1, user: "a", audience: "vpn", expires_at: 31 },
            AuditEvent::HandleRedeemed { time: 1, user: "a", audience: "vpn", ticket: "00" },
            AuditEvent::TicketRefused {
                time: 1,
                user: "",
                audience: "vpn",
                reason: "unknown",
                form: "handle",
            },
            AuditEvent::Radius { time: 1, user: "a", client: "vpn", decision: RadiusReply::RejectLocked },
            AuditEvent::RadsecRefused {
                time: 1,
                peer: "127.0.0.1:40000",
                reason: "unknown_certificate",
                detail: "",
                fingerprint: Some("00ff"),
            },
            AuditEvent::Admin {
                time: 1,
                user: None,
                operator: "root",
                action: AdminAction::KeysRotate { key_id: 2 },
            },
            AuditEvent::AuditPruned {
                time: 1,
                removed: 3,
                before: 0,
                retention_days: 400,
                anchors: &anchors,
                refused: &[],
            },
            AuditEvent::Request {
                time: 1,
                user: "acme",
                actor: "appr",
                via: "console",
                request: 7,
                step: RequestStep::Approved { window: 3, from: 10, to: 20 },
            },
            AuditEvent::Request {
                time: 1,
                user: "acme",
                actor: "acme",
                via: "console",
                request: 7,
                step: RequestStep::Filed { from: 10, to: 20 },
            },
            AuditEvent::Request {
                time: 1,
                user: "acme",
                actor: "root",
                via: "cli",
                request: 7,
                step: RequestStep::Rejected { reason: "no" },
            },
            AuditEvent::Request {
                time: 1,
                user: "acme",
                actor: "acme",
                via: "console",
                request: 7,
                step: RequestStep::Reported,
            },
            AuditEvent::Console { time: 1, user: "aud", action: "denied", detail: "decide_requests" },
        ];
        for e in &events {
            let v = parse(&e.to_line());
            assert_eq!(v["time"], 1);
            assert!(v.contains_key("user"));
            assert_eq!(v["event"], e.name());
            assert!(EVENT_NAMES.contains(&e.name()));
        }
        let v = parse(&events[2].to_line());
        assert_eq!(v["via"], "radius:vpn");
        let v = parse(&events[9].to_line());
        assert_eq!((v["action"].as_str(), v["keyId"].as_u64()), (Some("keys_rotate"), Some(2)));
        let v = parse(&events[11].to_line());
        assert_eq!(
            (v["event"].as_str(), v["window"].as_i64(), v["actor"].as_str()),
            (Some("request_approved"), Some(3), Some("appr"))
        );
        let v = parse(&events[15].to_line());
        assert_eq!((v["action"].as_str(), v["detail"].as_str()), (Some("denied"), Some("decide_requests")));
    }
}
