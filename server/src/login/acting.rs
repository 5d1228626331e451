//! Who may do what (SPEC §15, issue 23): roles checked by the service on
//! every call, whichever door or command asks.
//!
//! A console user acts as themselves ([`Who::User`]): their roles are read
//! from the store at each call (so a role taken away, a suspension or a
//! removal counts from the next click on), and a refusal is audited. The
//! shell's operator ([`Who::Shell`], the admin commands) holds every role:
//! whoever runs them can read the keyring already. Either way the acting
//! name goes into the audit line of the change.

use serde_json::Value;

use super::Login;
use super::audit::{AdminAction, AuditEvent};
pub use crate::store::{ROLES, Window};

/// Who is acting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who<'a> {
    /// A user logged in to the console, by id.
    User(&'a str),
    /// The operator of an admin command on the server's shell.
    Shell(&'a str),
}

impl Who<'_> {
    /// The acting name: a user id, or the shell's login.
    pub fn name(&self) -> &str {
        match self {
            Who::User(u) | Who::Shell(u) => u,
        }
    }

    /// `console` or `cli` (the `via` of request events).
    pub fn via(&self) -> &'static str {
        match self {
            Who::User(_) => "console",
            Who::Shell(_) => "cli",
        }
    }

    /// The `operator` of an admin event: `console:USER` for a console
    /// user (never mistaken for a shell login), else the shell's login.
    pub fn operator(&self) -> String {
        match self {
            Who::User(u) => format!("console:{u}"),
            Who::Shell(op) => (*op).to_owned(),
        }
    }
}

/// What a call asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Invite, unlock, remove, issue cards, set roles, rename, revoke and invite terminals (admin).
    ManageUsers,
    /// See the users list and a user's registered terminals (admin, approver).
    ListUsers,
    /// Suspend and resume users, everyone off (admin, approver).
    SuspendResume,
    /// Approve and reject requests (admin, approver).
    DecideRequests,
    /// Read every request and report, export them (admin, approver, auditor).
    ReadRequests,
    /// Read and export the audit log (admin, auditor).
    ReadAudit,
    /// File one's own requests and reports (any enrolled user).
    FileRequest,
}

impl Action {
    /// The action's name in a `denied` audit line.
    pub fn name(self) -> &'static str {
        match self {
            Action::ManageUsers => "manage_users",
            Action::ListUsers => "list_users",
            Action::SuspendResume => "suspend_resume",
            Action::DecideRequests => "decide_requests",
            Action::ReadRequests => "read_requests",
            Action::ReadAudit => "read_audit",
            Action::FileRequest => "file_request",
        }
    }

    /// The roles that may (beside `admin`, who may do everything).
    fn roles(self) -> &'static [&'static str] {
        match self {
            Action::ManageUsers => &[],
            Action::ListUsers | Action::SuspendResume | Action::DecideRequests => &["approver"],
            Action::ReadRequests => &["approver", "auditor"],
            Action::ReadAudit => &["auditor"],
            Action::FileRequest => &["*"],
        }
    }

    /// Whether holders of `roles` may.
    pub fn allows(self, roles: &[String]) -> bool {
        let allowed = self.roles();
        allowed.contains(&"*") || roles.iter().any(|r| r == "admin" || allowed.contains(&r.as_str()))
    }
}

/// Why an act was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActError {
    /// The actor's roles do not allow it (or the actor is no active user).
    Forbidden,
    /// No such thing, or not the actor's to see (one answer for both).
    NotFound,
    /// A rule refused it (the message says which).
    Refused(String),
    /// The store failed.
    Failed(String),
}

impl std::fmt::Display for ActError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActError::Forbidden => f.write_str("not allowed for your role"),
            ActError::NotFound => f.write_str("no such item"),
            ActError::Refused(m) => f.write_str(m),
            ActError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for ActError {}

impl From<crate::store::StoreError> for ActError {
    fn from(e: crate::store::StoreError) -> Self {
        ActError::Failed(e.to_string())
    }
}

/// The actor of a call, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The acting name.
    pub name: String,
    /// Their roles (every role for the shell).
    pub roles: Vec<String>,
    /// Whether this is the shell's operator.
    pub shell: bool,
    /// Which enrolment of the user acts: a keyed digest of the record's
    /// enrolment time and sealed credential (`None` for the shell). A
    /// console session is bound to it, so a removal and a new enrolment
    /// under the same id, or a credential replaced through an invitation,
    /// ends the sessions of the old one.
    pub enrolment: Option<[u8; 32]>,
}

impl Actor {
    /// Whether the actor may do `action`.
    pub fn may(&self, action: Action) -> bool {
        action.allows(&self.roles)
    }
}

/// A row of the console's users list.
#[derive(Clone, Debug)]
pub struct UserView {
    /// The user id.
    pub user: String,
    /// `pattern` or `card`.
    pub kind: &'static str,
    /// When enrolled.
    pub enrolled_at: u64,
    /// Failures in a row.
    pub failures: u32,
    /// The lock in force: `None`, `Some(None)` permanent, `Some(Some(t))` until `t`.
    pub lock: Option<Option<u64>>,
    /// Since when suspended.
    pub suspended_at: Option<u64>,
    /// Access windows `[from, to)` with their numbers.
    pub windows: Vec<Window>,
    /// Roles.
    pub roles: Vec<String>,
}

/// What the console's audit page asks for.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Lines about this user (exact).
    pub user: Option<String>,
    /// Lines of this event (exact).
    pub event: Option<String>,
    /// Lines of this door: `http`, `radius` (any client), `radius:NAME`,
    /// `console`, `cli`.
    pub door: Option<String>,
    /// From (inclusive, Unix seconds).
    pub from: Option<u64>,
    /// To (exclusive).
    pub to: Option<u64>,
}

impl AuditFilter {
    /// Whether a stored line passes.
    pub fn matches(&self, line: &str) -> bool {
        let Ok(v) = serde_json::from_str::<Value>(line) else { return false };
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let time = v.get("time").and_then(Value::as_u64).unwrap_or(0);
        if self.from.is_some_and(|f| time < f) || self.to.is_some_and(|t| time >= t) {
            return false;
        }
        if self.user.as_deref().is_some_and(|u| field("user") != u) {
            return false;
        }
        if self.event.as_deref().is_some_and(|e| field("kind") != e && field("event") != e) {
            return false;
        }
        if let Some(door) = self.door.as_deref() {
            let via = field("via");
            let radius = field("client");
            let event = field("event");
            let op = field("operator");
            let here = match door {
                "radius" => via.starts_with("radius") || event == "radius" || event == "radsec_refused",
                d if d.starts_with("radius:") => via == d || format!("radius:{radius}") == d,
                "console" => via == "console" || op.starts_with("console:") || event == "console",
                "cli" => via == "cli" || (event == "admin" && !op.starts_with("console:")),
                d => via == d,
            };
            if !here {
                return false;
            }
        }
        true
    }
}

impl Login {
    /// The actor `who`, checked: a console user must be enrolled and not
    /// suspended (else [`ActError::Forbidden`]).
    pub fn actor(&self, who: Who<'_>) -> Result<Actor, ActError> {
        match who {
            Who::Shell(op) => Ok(Actor {
                name: op.to_owned(),
                roles: crate::store::ROLES.iter().map(|r| (*r).to_owned()).collect(),
                shell: true,
                enrolment: None,
            }),
            Who::User(user) => {
                let Some(record) = self.store.load(user)? else { return Err(ActError::Forbidden) };
                // The roles count only while the access MAC checks (a role written into the
                // database without the keyring grants nothing).
                if self.access_of(user, &record, self.now()).is_err() || record.suspended {
                    return Err(ActError::Forbidden);
                }
                let enrolment = self.site.mac(
                    "matrixauth console enrolment",
                    &[user.as_bytes(), &record.created_at.to_be_bytes(), &record.sealed_credential],
                );
                Ok(Actor {
                    name: user.to_owned(),
                    roles: record.roles,
                    shell: false,
                    enrolment: Some(enrolment),
                })
            }
        }
    }

    /// Checks that `who` may do `action` (SPEC §15: on every call, in the
    /// service). A console user's refusal is audited (`console`, `denied`).
    pub fn authorize(&self, who: Who<'_>, action: Action) -> Result<Actor, ActError> {
        let actor = self.actor(who)?;
        if actor.may(action) {
            return Ok(actor);
        }
        if let Who::User(user) = who {
            let line =
                AuditEvent::Console { time: self.now(), user, action: "denied", detail: action.name() }
                    .to_line();
            self.store.append_audit(&[line])?;
        }
        Err(ActError::Forbidden)
    }

    /// Audits a console session's start or end.
    pub fn console_event(&self, user: &str, action: &'static str) -> Result<(), ActError> {
        let line = AuditEvent::Console { time: self.now(), user, action, detail: "" }.to_line();
        Ok(self.store.append_audit(&[line])?)
    }

    /// The users list (admin, approver).
    pub fn users_view(&self, who: Who<'_>) -> Result<Vec<UserView>, ActError> {
        self.authorize(who, Action::ListUsers)?;
        let now = self.now();
        let mut out = Vec::new();
        for u in self.store.users()? {
            let Ok(state) = &u.state else { continue };
            let record = self.store.load(&u.user)?;
            out.push(UserView {
                kind: if u.card { "card" } else { "pattern" },
                enrolled_at: u.created_at,
                failures: state.consecutive_failures(),
                lock: state.lock_at(now),
                suspended_at: u.suspended_at,
                windows: self.store.windows(&u.user)?,
                roles: record.map(|r| r.roles).unwrap_or_default(),
                user: u.user,
            });
        }
        Ok(out)
    }

    /// Invites `user` (admin), who gets `roles` at enrolment (the roles are
    /// kept with the invitation under a MAC: a database writer cannot add
    /// one). Returns the token and the expiry.
    pub fn invite_as(
        &self,
        who: Who<'_>,
        user: &str,
        hours: u64,
        roles: &[String],
    ) -> Result<(zeroize::Zeroizing<String>, u64), ActError> {
        self.authorize(who, Action::ManageUsers)?;
        let roles = checked_roles(roles)?;
        let (token, expires_at, _) =
            self.invite_giving(user, hours, &roles, &who.operator()).map_err(ActError::Refused)?;
        if !roles.is_empty() {
            let hash = super::invite::hash(&self.site, &token);
            let text = roles.join(",");
            let mac = invitation_roles_mac(&self.site, &hash, user, &text);
            if !self.store.set_invitation_roles(&hash, &text, &mac)? {
                return Err(ActError::Failed("the invitation vanished".to_owned()));
            }
            // An enrolled user (a re-enrolment) gets the roles now.
            if self.store.enrolled_at(user)?.is_some() {
                self.set_roles(user, &roles, &who.operator()).map_err(ActError::Failed)?;
            }
        }
        Ok((token, expires_at))
    }

    /// After an enrolment: the roles its invitation carried, if their MAC
    /// checks (audited as a `roles` action by the inviter's invitation).
    pub(crate) fn apply_invitation_roles(&self, token: &str, user: &str) -> Result<(), String> {
        use subtle::ConstantTimeEq as _;
        let hash = super::invite::hash(&self.site, token);
        let Some((text, mac)) = self.store.invitation_roles(&hash).map_err(|e| e.to_string())? else {
            return Ok(());
        };
        let expected = invitation_roles_mac(&self.site, &hash, user, &text);
        if mac.len() != expected.len() || !bool::from(expected.ct_eq(mac.as_slice())) {
            crate::warn!("matrixauth: the roles of {user:?}'s invitation do not match their MAC: not given");
            return Ok(());
        }
        let roles: Vec<String> = text.split(',').filter(|r| !r.is_empty()).map(str::to_owned).collect();
        if roles.is_empty() {
            return Ok(());
        }
        self.set_roles(user, &roles, "invitation").map(|_| ())
    }

    /// Clears a user's locks (admin).
    pub fn unlock_as(&self, who: Who<'_>, user: &str) -> Result<bool, ActError> {
        self.authorize(who, Action::ManageUsers)?;
        self.unlock(user, &who.operator()).map_err(ActError::Failed)
    }

    /// Suspends a user (admin; an approver only users without a role).
    pub fn suspend_as(&self, who: Who<'_>, user: &str) -> Result<bool, ActError> {
        self.authorize_stopping(who, user)?;
        self.suspend(user, &who.operator()).map_err(ActError::Failed)
    }

    /// Resumes a user (admin; an approver only users without a role).
    pub fn resume_as(&self, who: Who<'_>, user: &str) -> Result<bool, ActError> {
        self.authorize_stopping(who, user)?;
        self.resume(user, &who.operator()).map_err(ActError::Failed)
    }

    /// May `who` suspend or resume `user`? Approvers stop and restart vendor
    /// users; a role holder (another approver, an auditor, an administrator)
    /// only an administrator, so an approver can neither lock the
    /// administrators out nor bring back one they suspended.
    fn authorize_stopping(&self, who: Who<'_>, user: &str) -> Result<(), ActError> {
        let actor = self.authorize(who, Action::SuspendResume)?;
        let holds_role = self.store.load(user)?.is_some_and(|r| !r.roles.is_empty());
        if holds_role && !actor.may(Action::ManageUsers) {
            self.authorize(who, Action::ManageUsers)?;
        }
        Ok(())
    }

    /// Everyone off: suspends every vendor user (admin, approver).
    pub fn suspend_vendors_as(&self, who: Who<'_>) -> Result<usize, ActError> {
        self.authorize(who, Action::SuspendResume)?;
        self.suspend_all(&who.operator()).map_err(ActError::Failed)
    }

    /// Everyone back: resumes every suspended vendor user (admin, approver).
    pub fn resume_vendors_as(&self, who: Who<'_>) -> Result<usize, ActError> {
        self.authorize(who, Action::SuspendResume)?;
        self.resume_all(&who.operator()).map_err(ActError::Failed)
    }

    /// Removes a user (admin).
    pub fn remove_as(&self, who: Who<'_>, user: &str) -> Result<bool, ActError> {
        self.authorize(who, Action::ManageUsers)?;
        self.remove(user, &who.operator()).map_err(ActError::Failed)
    }

    /// Sets a user's roles (admin). An administrator cannot take their own
    /// `admin` role away (the console would have none left to give it back).
    pub fn set_roles_as(&self, who: Who<'_>, user: &str, roles: &[String]) -> Result<bool, ActError> {
        self.authorize(who, Action::ManageUsers)?;
        let roles = checked_roles(roles)?;
        if matches!(who, Who::User(me) if me == user) && !roles.iter().any(|r| r == "admin") {
            return Err(ActError::Refused("you cannot take your own admin role away".to_owned()));
        }
        self.set_roles(user, &roles, &who.operator()).map_err(ActError::Refused)
    }

    /// Issues a grid card to a new user (admin).
    pub fn issue_card_as(&self, who: Who<'_>, user: &str) -> Result<mx::GridCard, ActError> {
        self.authorize(who, Action::ManageUsers)?;
        self.issue_card(user, &who.operator()).map_err(ActError::Refused)
    }

    /// The audit lines that pass `filter`, oldest first, at most `limit`
    /// of the newest (admin, auditor).
    pub fn audit_view(
        &self,
        who: Who<'_>,
        filter: &AuditFilter,
        limit: usize,
    ) -> Result<Vec<String>, ActError> {
        self.authorize(who, Action::ReadAudit)?;
        let range = (filter.from.unwrap_or(0), filter.to.unwrap_or(u64::MAX));
        let rows = self.store.audit_between(range.0, range.1)?;
        let mut lines: Vec<String> = rows.into_iter().filter(|l| filter.matches(l)).collect();
        let skip = lines.len().saturating_sub(limit);
        lines.drain(..skip);
        Ok(lines)
    }

    /// The audit lines that pass `filter` as CSV (`local_time,unix_time,
    /// event,user,details`, as `audit export`) or as the stored JSON lines;
    /// the export is audited (admin, auditor).
    pub fn audit_export_as(&self, who: Who<'_>, filter: &AuditFilter, csv: bool) -> Result<String, ActError> {
        self.authorize(who, Action::ReadAudit)?;
        let (from, to) = (filter.from.unwrap_or(0), filter.to.unwrap_or(u64::MAX));
        let lines: Vec<String> =
            self.store.audit_between(from, to)?.into_iter().filter(|l| filter.matches(l)).collect();
        let mut out = String::new();
        if csv {
            out.push_str("local_time,unix_time,event,user,details\r\n");
        }
        for line in &lines {
            if !csv {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            let Ok(Value::Object(mut v)) = serde_json::from_str::<Value>(line) else { continue };
            let time = v.remove("time").and_then(|t| t.as_u64()).unwrap_or(0);
            let event = v.remove("event").or_else(|| v.remove("kind"));
            let event = event.and_then(|e| e.as_str().map(str::to_owned)).unwrap_or_default();
            let user = v.remove("user").and_then(|u| u.as_str().map(str::to_owned)).unwrap_or_default();
            let details = if v.is_empty() { String::new() } else { Value::Object(v).to_string() };
            let cells = [crate::when::local_iso(time), time.to_string(), event, user, details];
            let row: Vec<String> = cells.iter().map(|c| super::requests::csv_field(c)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        let format = if csv { "csv" } else { "jsonl" };
        self.record_admin(
            None,
            &who.operator(),
            AdminAction::AuditExport { from, to, format, lines: lines.len() },
        )
        .map_err(ActError::Failed)?;
        Ok(out)
    }

    /// Audits an export of the audit log made by `who` (admin, auditor).
    pub fn audit_exported_as(
        &self,
        who: Who<'_>,
        from: u64,
        to: u64,
        format: &'static str,
        lines: usize,
    ) -> Result<(), ActError> {
        self.authorize(who, Action::ReadAudit)?;
        self.record_admin(None, &who.operator(), AdminAction::AuditExport { from, to, format, lines })
            .map_err(ActError::Failed)
    }

    /// Resumes every suspended vendor user (users without a role).
    pub fn resume_all(&self, operator: &str) -> Result<usize, String> {
        let now = self.now();
        let changed = self
            .store
            .set_suspended(None, None, |n| {
                vec![
                    AuditEvent::Admin {
                        time: now,
                        user: None,
                        operator,
                        action: AdminAction::ResumeAll { users: n },
                    }
                    .to_line(),
                ]
            })
            .map_err(|e| e.to_string())?;
        if changed > 0 {
            self.store.forget_decoys(None).map_err(|e| e.to_string())?;
        }
        Ok(changed)
    }
}

/// Registered terminals in the console (SPEC §16, issue 26): an approver
/// may see a user's terminals (as she sees the users list, to check a
/// vendor's machine before approving); only an administrator renames,
/// revokes or invites a terminal. Each change is audited with the acting
/// user as `operator`, as the CLI's are.
impl Login {
    /// `user`'s terminal policy and terminals (admin, approver).
    /// [`ActError::NotFound`] for a user not enrolled.
    pub fn terminals_view_as(
        &self,
        who: Who<'_>,
        user: &str,
    ) -> Result<crate::store::TerminalBook, ActError> {
        self.authorize(who, Action::ListUsers)?;
        let book = self.terminals_of(user).map_err(ActError::Failed)?;
        if !book.enrolled {
            return Err(ActError::NotFound);
        }
        Ok(book)
    }

    /// Renames terminal `id` of `user` (admin). `Ok(false)`: no such terminal.
    pub fn rename_terminal_as(
        &self,
        who: Who<'_>,
        user: &str,
        id: i64,
        name: &str,
    ) -> Result<bool, ActError> {
        self.authorize(who, Action::ManageUsers)?;
        let name = name.trim();
        if !super::terminal::valid_name(name) {
            return Err(ActError::Refused(
                "a terminal name is 1 to 64 characters without control characters".to_owned(),
            ));
        }
        let new = name.to_owned();
        self.change_terminal(user, id, "terminal_rename", &who.operator(), |t, _| {
            t.name = new;
            Ok(())
        })
        .map_err(ActError::Refused)
    }

    /// Revokes terminal `id` of `user` (admin): it logs in no more, at any
    /// door. `Ok(false)`: no such terminal.
    pub fn revoke_terminal_as(&self, who: Who<'_>, user: &str, id: i64) -> Result<bool, ActError> {
        self.authorize(who, Action::ManageUsers)?;
        self.change_terminal(user, id, "terminal_revoke", &who.operator(), |t, now| {
            t.revoked_at.get_or_insert(now);
            Ok(())
        })
        .map_err(ActError::Failed)
    }

    /// An invitation of kind "terminal" for `user` (admin): its token and
    /// expiry.
    pub fn invite_terminal_as(
        &self,
        who: Who<'_>,
        user: &str,
        hours: u64,
    ) -> Result<(zeroize::Zeroizing<String>, u64), ActError> {
        self.authorize(who, Action::ManageUsers)?;
        self.invite_terminal(user, hours, &who.operator()).map_err(ActError::Refused)
    }
}

/// Roles sorted, without duplicates, each one of [`crate::store::ROLES`].
fn checked_roles(roles: &[String]) -> Result<Vec<String>, ActError> {
    let mut roles: Vec<String> =
        roles.iter().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect();
    roles.sort_unstable();
    roles.dedup();
    if let Some(bad) = roles.iter().find(|r| !crate::store::ROLES.contains(&r.as_str())) {
        return Err(ActError::Refused(format!("no role {bad:?}: admin, approver or auditor")));
    }
    Ok(roles)
}

/// The MAC binding an invitation's roles to it and its user.
fn invitation_roles_mac(site: &super::site::SiteKey, hash: &[u8; 32], user: &str, roles: &str) -> [u8; 32] {
    site.mac("matrixauth invitation roles", &[hash, user.as_bytes(), roles.as_bytes()])
}
