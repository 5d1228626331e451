//! The CLI's side of the console (issue 23, "CLI parity"): requests,
//! reports and the invitation of role holders, through the same service
//! functions the console calls, acting as the shell's operator.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::operator;
use crate::login::Login;
use crate::login::acting::Who;
use crate::login::requests::RequestView;
use crate::when;

fn state(v: &RequestView) -> &'static str {
    if v.overdue {
        return "approved (report overdue)";
    }
    v.row.state.map_or("unknown", crate::store::requests::RequestState::as_str)
}

/// `matrixauth requests list`: every request, with overdue reports flagged.
pub fn list(login: &Login, json_out: bool) -> Result<String, String> {
    let op = operator();
    let rows = login.requests_view(Who::Shell(&op)).map_err(|e| e.to_string())?;
    if json_out {
        let list: Vec<Value> = rows
            .iter()
            .map(|v| {
                let r = &v.row;
                json!({
                    "id": r.id, "vendor": r.vendor,
                    "state": r.state.map(crate::store::requests::RequestState::as_str),
                    "overdue": v.overdue, "from": r.fields.starts_at, "to": r.fields.ends_at,
                    "purpose": r.fields.purpose, "work": r.fields.work, "targets": r.fields.targets,
                    "operator": r.fields.operator, "managerApproval": r.fields.manager_approval,
                    "notes": r.fields.notes, "filedAt": r.filed_at, "decidedBy": r.decided_by,
                    "decidedAt": r.decided_at, "reason": r.reason, "window": r.window,
                    "reportedAt": r.reported_at,
                })
            })
            .collect();
        return Ok(format!("{}\n", Value::Array(list)));
    }
    let mut out = String::from("ID\tVENDOR\tSTATE\tFROM\tTO\tPURPOSE\n");
    for v in &rows {
        let r = &v.row;
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            r.vendor,
            state(v),
            when::local(r.fields.starts_at),
            when::local(r.fields.ends_at),
            r.fields.purpose.replace(['\n', '\r', '\t'], " ")
        );
    }
    if rows.is_empty() {
        out.push_str("(no requests: vendor users file them in the console, /console)\n");
    }
    Ok(out)
}

/// `matrixauth requests approve ID`: creates the access window.
pub fn approve(login: &Login, id: i64) -> Result<String, String> {
    let op = operator();
    let window = login.approve_request(Who::Shell(&op), id).map_err(|e| e.to_string())?;
    Ok(format!("request {id} approved: access window #{window}\n"))
}

/// `matrixauth requests reject ID --reason TEXT`.
pub fn reject(login: &Login, id: i64, reason: &str) -> Result<String, String> {
    let op = operator();
    login.reject_request(Who::Shell(&op), id, reason).map_err(|e| e.to_string())?;
    Ok(format!("request {id} rejected\n"))
}

/// `matrixauth reports export`: requests and reports as CSV (audited).
pub fn export(login: &Login) -> Result<String, String> {
    let op = operator();
    login.export_requests_csv(Who::Shell(&op)).map_err(|e| e.to_string())
}

/// `matrixauth users invite USER --role ROLE…`: an invitation whose holder
/// gets the roles at enrolment.
pub fn invite(
    login: &Login,
    user: &str,
    hours: u64,
    roles: &[String],
    origin: &str,
    json_out: bool,
) -> Result<String, String> {
    let op = operator();
    let (token, expires_at) =
        login.invite_as(Who::Shell(&op), user, hours, roles).map_err(|e| e.to_string())?;
    let link = crate::login::invite::link(origin, &token);
    if json_out {
        return Ok(format!(
            "{}\n",
            json!({"user": user, "link": link, "expiresAt": expires_at, "roles": roles})
        ));
    }
    Ok(format!(
        "enrollment link for {user} ({}; single use, valid until {}):\n{link}\n",
        if roles.is_empty() { "no role".to_owned() } else { roles.join(", ") },
        when::local(expires_at),
    ))
}

/// `matrixauth users resume --all`: every suspended vendor user.
pub fn resume_all(login: &Login) -> Result<String, String> {
    let n = login.resume_all(&operator())?;
    Ok(format!("{n} vendor user{} may log in again\n", if n == 1 { "" } else { "s" }))
}
