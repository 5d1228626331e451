//! Maintenance requests (SPEC §15, issue 23): a vendor user files a request
//! for an access period; an approver approves it, which creates the access
//! window, or rejects it with a reason; after the period the vendor files
//! the report. The rules live here, once, for the console and the CLI:
//! - no one decides their own request;
//! - a vendor sees and reports only their own requests (another's reads as
//!   not found);
//! - an approved request whose period ended without a report is overdue;
//! - each step is an audit event, written in the same transaction as the step.

use std::fmt::Write as _;

use super::Login;
use super::acting::{ActError, Action, Who};
use super::audit::{AdminAction, AuditEvent, RequestStep};
use crate::store::requests::Decide;
pub use crate::store::requests::{ReportFields, RequestFields, RequestRow, RequestState};

/// The longest text a field may hold (characters).
pub const MAX_FIELD: usize = 4000;

/// A request as a reader sees it.
#[derive(Clone, Debug)]
pub struct RequestView {
    /// The stored request.
    pub row: RequestRow,
    /// Approved, its period over, and no report filed.
    pub overdue: bool,
}

fn text_ok(name: &str, value: &str, required: bool) -> Result<(), ActError> {
    if required && value.trim().is_empty() {
        return Err(ActError::Refused(format!("{name} is required")));
    }
    if value.chars().count() > MAX_FIELD {
        return Err(ActError::Refused(format!("{name}: at most {MAX_FIELD} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(ActError::Refused(format!("{name}: control characters are not allowed")));
    }
    Ok(())
}

impl Login {
    fn view(&self, row: RequestRow) -> RequestView {
        let overdue = row.state == Some(RequestState::Approved) && row.fields.ends_at <= self.now();
        RequestView { row, overdue }
    }

    /// Files a request of the console user `who` for themselves.
    pub fn file_request(&self, who: Who<'_>, fields: &RequestFields) -> Result<i64, ActError> {
        let Who::User(vendor) = who else {
            return Err(ActError::Refused(
                "a request is filed by the vendor user, in the console".to_owned(),
            ));
        };
        self.authorize(who, Action::FileRequest)?;
        let now = self.now();
        if fields.ends_at <= fields.starts_at {
            return Err(ActError::Refused("the period must end after it starts".to_owned()));
        }
        if fields.ends_at <= now {
            return Err(ActError::Refused("that period is over already".to_owned()));
        }
        text_ok("purpose", &fields.purpose, true)?;
        text_ok("work", &fields.work, true)?;
        text_ok("target servers", &fields.targets, true)?;
        text_ok("operator", &fields.operator, true)?;
        text_ok("vendor manager's approval", &fields.manager_approval, true)?;
        text_ok("notes", &fields.notes, false)?;
        let (from, to) = (fields.starts_at, fields.ends_at);
        Ok(self.store.file_request(vendor, fields, now, |id| {
            let step = RequestStep::Filed { from, to };
            vec![
                AuditEvent::Request {
                    time: now,
                    user: vendor,
                    actor: vendor,
                    via: who.via(),
                    request: id,
                    step,
                }
                .to_line(),
            ]
        })?)
    }

    /// The requests `who` may see: all of them for admin, approver and
    /// auditor; a vendor user's own otherwise.
    pub fn requests_view(&self, who: Who<'_>) -> Result<Vec<RequestView>, ActError> {
        let actor = self.actor(who)?;
        let rows = if actor.may(Action::ReadRequests) {
            self.store.requests(None)?
        } else {
            self.store.requests(Some(&actor.name))?
        };
        Ok(rows.into_iter().map(|r| self.view(r)).collect())
    }

    /// Request `id`, if `who` may see it ([`ActError::NotFound`] also for
    /// another vendor's: its existence is not told).
    pub fn request_view(&self, who: Who<'_>, id: i64) -> Result<RequestView, ActError> {
        let actor = self.actor(who)?;
        let row = self.store.request(id)?.ok_or(ActError::NotFound)?;
        if row.vendor != actor.name && !actor.may(Action::ReadRequests) {
            return Err(ActError::NotFound);
        }
        Ok(self.view(row))
    }

    /// Approves request `id`: its access window is created in the same
    /// transaction. Returns the window's number.
    pub fn approve_request(&self, who: Who<'_>, id: i64) -> Result<i64, ActError> {
        let actor = self.authorize(who, Action::DecideRequests)?;
        let row = self.store.request(id)?.ok_or(ActError::NotFound)?;
        if row.vendor == actor.name {
            return Err(ActError::Refused("no one approves their own request".to_owned()));
        }
        let now = self.now();
        if row.fields.ends_at <= now {
            return Err(ActError::Refused("the requested period is over: it cannot be approved".to_owned()));
        }
        let by = actor.name.as_str();
        let decided = self.store.decide_request(id, Decide::Approve { by, at: now }, |row, window| {
            let step = RequestStep::Approved {
                window: window.unwrap_or(0),
                from: row.fields.starts_at,
                to: row.fields.ends_at,
            };
            let line = AuditEvent::Request {
                time: now,
                user: &row.vendor,
                actor: by,
                via: who.via(),
                request: id,
                step,
            };
            vec![line.to_line()]
        })?;
        match decided {
            Some(Some(window)) => Ok(window),
            _ => Err(ActError::Refused(format!("request {id} is not waiting for a decision"))),
        }
    }

    /// Rejects request `id` with `reason`.
    pub fn reject_request(&self, who: Who<'_>, id: i64, reason: &str) -> Result<(), ActError> {
        let actor = self.authorize(who, Action::DecideRequests)?;
        text_ok("reason", reason, true)?;
        let row = self.store.request(id)?.ok_or(ActError::NotFound)?;
        if row.vendor == actor.name {
            return Err(ActError::Refused("no one decides their own request".to_owned()));
        }
        let now = self.now();
        let by = actor.name.as_str();
        let decided = self.store.decide_request(id, Decide::Reject { by, at: now, reason }, |row, _| {
            let step = RequestStep::Rejected { reason };
            let line = AuditEvent::Request {
                time: now,
                user: &row.vendor,
                actor: by,
                via: who.via(),
                request: id,
                step,
            };
            vec![line.to_line()]
        })?;
        match decided {
            Some(_) => Ok(()),
            None => Err(ActError::Refused(format!("request {id} is not waiting for a decision"))),
        }
    }

    /// Files the report of the console user's own approved request `id`.
    pub fn report_request(&self, who: Who<'_>, id: i64, report: &ReportFields) -> Result<(), ActError> {
        let actor = self.authorize(who, Action::FileRequest)?;
        let row = self.store.request(id)?.ok_or(ActError::NotFound)?;
        if row.vendor != actor.name || actor.shell {
            return Err(ActError::NotFound);
        }
        if row.state != Some(RequestState::Approved) {
            return Err(ActError::Refused(format!("request {id} is not approved, or reported already")));
        }
        let now = self.now();
        if now < row.fields.starts_at {
            return Err(ActError::Refused("the approved period has not begun".to_owned()));
        }
        if report.actual_to < report.actual_from {
            return Err(ActError::Refused("the work must end after it starts".to_owned()));
        }
        text_ok("work done", &report.done, true)?;
        text_ok("result", &report.result, true)?;
        text_ok("follow-up", &report.follow_up, false)?;
        let step = RequestStep::Reported;
        let line = AuditEvent::Request {
            time: now,
            user: &row.vendor,
            actor: &actor.name,
            via: who.via(),
            request: id,
            step,
        }
        .to_line();
        if self.store.report_request(id, &row.vendor, report, now, &[line])? {
            Ok(())
        } else {
            Err(ActError::Refused(format!("request {id} is not approved, or reported already")))
        }
    }

    /// Every request and report as CSV, for submission (admin, approver,
    /// auditor); the export is audited.
    pub fn export_requests_csv(&self, who: Who<'_>) -> Result<String, ActError> {
        self.authorize(who, Action::ReadRequests)?;
        let rows = self.store.requests(None)?;
        let now = self.now();
        let mut out = String::from(
            "id,vendor,state,overdue,from,to,purpose,work,targets,operator,manager_approval,notes,filed_at,\
             decided_by,decided_at,reason,window,actual_from,actual_to,done,result,follow_up,reported_at\r\n",
        );
        let t = |v: Option<u64>| v.map(crate::when::local_iso).unwrap_or_default();
        for r in &rows {
            let f = &r.fields;
            let rep = r.report.clone().unwrap_or_default();
            let overdue = r.state == Some(RequestState::Approved) && f.ends_at <= now;
            let has_report = r.report.is_some();
            let cells: Vec<String> = vec![
                r.id.to_string(),
                r.vendor.clone(),
                r.state.map_or("unknown", RequestState::as_str).to_owned(),
                if overdue { "yes" } else { "" }.to_owned(),
                t(Some(f.starts_at)),
                t(Some(f.ends_at)),
                f.purpose.clone(),
                f.work.clone(),
                f.targets.clone(),
                f.operator.clone(),
                f.manager_approval.clone(),
                f.notes.clone(),
                t(Some(r.filed_at)),
                r.decided_by.clone().unwrap_or_default(),
                t(r.decided_at),
                r.reason.clone().unwrap_or_default(),
                r.window.map(|w| w.to_string()).unwrap_or_default(),
                t(has_report.then_some(rep.actual_from)),
                t(has_report.then_some(rep.actual_to)),
                rep.done,
                rep.result,
                rep.follow_up,
                t(r.reported_at),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            let _ = write!(out, "{}\r\n", line.join(","));
        }
        self.record_admin(None, &who.operator(), AdminAction::RequestsExport { requests: rows.len() })
            .map_err(ActError::Failed)?;
        Ok(out)
    }
}

/// A CSV field, always quoted; a leading `= + - @` (or tab, carriage
/// return) is defused for spreadsheets (OWASP's list).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}
