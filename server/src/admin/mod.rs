//! Admin commands over a data folder, beside the doors: every change goes
//! through the login service ([`Login`]), which writes its audit line
//! (`{"event":"admin","action":…,"operator":…}`) in the same transaction
//! as the change. Each command returns what it prints: text for people
//! (local times) or, with `json`, JSON for scripts (Unix seconds).

pub mod requests;

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::login::{AdminAction, Login, chain};
use crate::store::chain::ChainRow;
use crate::when;

/// Who ran the command: the login behind `sudo`, else the user, else (no
/// such variable, as under some service managers) the numeric user id.
pub fn operator() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(|| {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let uid =
                status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().next()?.to_owned();
            Some(format!("uid {uid}"))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[allow(clippy::option_option)] // the core's lock_at: none, permanent, until
fn lock_text(lock: Option<Option<u64>>) -> String {
    match lock {
        None => "-".to_owned(),
        Some(None) => "permanent (an administrator can unlock)".to_owned(),
        Some(Some(t)) => format!("until {}", when::local(t)),
    }
}

#[allow(clippy::option_option)]
fn lock_json(lock: Option<Option<u64>>) -> Value {
    match lock {
        None => Value::Null,
        Some(None) => json!("permanent"),
        Some(Some(t)) => json!(t),
    }
}

fn kind(sealed: &[u8]) -> &'static str {
    if mx::GridCard::is_sealed_card(sealed) { "card" } else { "pattern" }
}

fn suspended_text(at: Option<u64>) -> String {
    at.map_or_else(|| "-".to_owned(), |t| format!("since {}", when::local(t)))
}

/// `matrixauth users list`.
pub fn users(login: &Login, json_out: bool) -> Result<String, String> {
    let now = login.now();
    let rows = login.store().users().map_err(|e| e.to_string())?;
    if json_out {
        let list: Vec<Value> = rows
            .iter()
            .map(|u| match &u.state {
                Ok(s) => json!({
                    "user": u.user, "kind": if u.card { "card" } else { "pattern" }, "enrolledAt": u.created_at,
                    "consecutiveFailures": s.consecutive_failures(),
                    "failuresSinceSuccess": s.failures_since_success(), "lock": lock_json(s.lock_at(now)),
                    "suspendedAt": u.suspended_at,
                }),
                Err(e) => json!({"user": u.user, "enrolledAt": u.created_at, "corrupt": e.to_string()}),
            })
            .collect();
        return Ok(format!("{}\n", Value::Array(list)));
    }
    let mut out = String::from("USER\tKIND\tENROLLED\tFAILURES\tSINCE SUCCESS\tLOCK\tSUSPENDED\n");
    for u in &rows {
        match &u.state {
            Ok(s) => {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    u.user,
                    if u.card { "card" } else { "pattern" },
                    when::local(u.created_at),
                    s.consecutive_failures(),
                    s.failures_since_success(),
                    lock_text(s.lock_at(now)),
                    suspended_text(u.suspended_at),
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{}\t{}\tcorrupt state: {e}", u.user, when::local(u.created_at));
            }
        }
    }
    if rows.is_empty() {
        out.push_str("(no users: `matrixauth users invite USER` makes an enrollment link)\n");
    }
    Ok(out)
}

/// `matrixauth users show USER`. `Ok(None)`: no such user.
pub fn show(login: &Login, user: &str, json_out: bool) -> Result<Option<String>, String> {
    let (store, now) = (login.store(), login.now());
    let Some(enrolled_at) = store.enrolled_at(user).map_err(|e| e.to_string())? else { return Ok(None) };
    let record = store.load(user).map_err(|e| e.to_string())?.ok_or("the user was removed meanwhile")?;
    let s = &record.state;
    let windows = store.windows(user).map_err(|e| e.to_string())?;
    let invitations: Vec<(String, u64, u64)> = store
        .open_invitations(now)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|(u, _, _)| u == user)
        .collect();
    let allowed = store.in_window(user, now).map_err(|e| e.to_string())?;
    let suspended = record.suspended;
    if json_out {
        let body = json!({
            "user": user, "kind": kind(&record.sealed_credential), "enrolledAt": enrolled_at,
            "consecutiveFailures": s.consecutive_failures(), "failuresSinceSuccess": s.failures_since_success(),
            "lockLevel": s.lock_level(), "lock": lock_json(s.lock_at(now)),
            "pendingChallengeExpiresAt": s.pending_expires_at(),
            "windows": windows.iter().map(|w| json!({"id": w.id, "from": w.starts_at, "to": w.ends_at})).collect::<Vec<_>>(),
            "mayLogInNow": allowed && !suspended, "suspended": suspended,
            "openInvitationExpiresAt": invitations.first().map(|i| i.2),
            "roles": record.roles,
        });
        return Ok(Some(format!("{body}\n")));
    }
    let mut out = String::new();
    let _ = writeln!(out, "user:              {user}");
    let _ = writeln!(out, "kind:              {}", kind(&record.sealed_credential));
    let _ = writeln!(out, "enrolled:          {}", when::local(enrolled_at));
    let _ = writeln!(
        out,
        "failures:          {} in a row, {} since the last login",
        s.consecutive_failures(),
        s.failures_since_success()
    );
    let _ = writeln!(out, "lock:              {}", lock_text(s.lock_at(now)));
    let roles = if record.roles.is_empty() { "none".to_owned() } else { record.roles.join(", ") };
    let _ = writeln!(out, "roles:             {roles}");
    if suspended {
        let _ =
            writeln!(out, "suspended:         yes: refused at every door (`matrixauth users resume {user}`)");
    }
    if let Some(t) = s.pending_expires_at().filter(|t| *t > now) {
        let _ = writeln!(out, "pending challenge: expires {}", when::local(t));
    }
    if windows.is_empty() {
        let _ = writeln!(out, "access windows:    none (may log in at any time)");
    } else {
        let _ = writeln!(
            out,
            "access windows:    {} (may log in now: {})",
            windows.len(),
            if allowed { "yes" } else { "no" }
        );
        for w in &windows {
            let _ = writeln!(out, "  #{}  {}  →  {}", w.id, when::local(w.starts_at), when::local(w.ends_at));
        }
    }
    if let Some((_, _, expires)) = invitations.first() {
        let _ = writeln!(out, "open invitation:   expires {} (re-enrolment)", when::local(*expires));
    }
    Ok(Some(out))
}

/// `matrixauth users invite USER`: stores a single-use invitation and
/// returns the link (with `json`: link, user and expiry). The token is in
/// the link only: neither the store nor the audit line holds it.
pub fn invite(login: &Login, user: &str, hours: u64, origin: &str, json_out: bool) -> Result<String, String> {
    let (token, expires_at, reenrol) = login.invite(user, hours, &operator())?;
    let link = crate::login::invite::link(origin, &token);
    if json_out {
        return Ok(format!("{}\n", json!({"user": user, "link": link, "expiresAt": expires_at})));
    }
    Ok(format!(
        "enrollment link for {user} (single use, valid until {}{}):\n{link}\n",
        when::local(expires_at),
        if reenrol { "; it replaces the current pattern" } else { "" }
    ))
}

/// `matrixauth users unlock USER`: the core's `unlock`, stored with
/// compare-and-swap and audited.
pub fn unlock(login: &Login, user: &str) -> Result<String, String> {
    if login.unlock(user, &operator())? {
        Ok(format!("{user} unlocked\n"))
    } else {
        Err(format!("no enrolled user {user:?}"))
    }
}

/// `matrixauth users suspend USER` (or `--all`, `user == None`): refused at
/// every door, on every node, from the next request on.
pub fn suspend(login: &Login, user: Option<&str>) -> Result<String, String> {
    let Some(user) = user else {
        let n = login.suspend_all(&operator())?;
        return Ok(format!(
            "{n} vendor user{} suspended (`matrixauth users resume --all` gives access back)\n",
            plural(n)
        ));
    };
    if login.suspend(user, &operator())? {
        Ok(format!("{user} suspended: refused at every door until `matrixauth users resume {user}`\n"))
    } else if login.store().enrolled_at(user).map_err(|e| e.to_string())?.is_some() {
        Ok(format!("{user} was suspended already\n"))
    } else {
        Err(format!("no enrolled user {user:?}"))
    }
}

/// `matrixauth users resume USER`.
pub fn resume(login: &Login, user: &str) -> Result<String, String> {
    if login.resume(user, &operator())? {
        Ok(format!("{user} may log in again\n"))
    } else if login.store().enrolled_at(user).map_err(|e| e.to_string())?.is_some() {
        Ok(format!("{user} was not suspended\n"))
    } else {
        Err(format!("no enrolled user {user:?}"))
    }
}

/// `matrixauth users password USER [--clear]`: the site password some
/// RADIUS clients ask for first (stored as an Argon2id hash behind a MAC).
pub fn site_password(login: &Login, user: &str, password: Option<&str>) -> Result<String, String> {
    if !login.set_site_password(user, password, &operator())? {
        return Err(format!("no enrolled user {user:?}"));
    }
    Ok(match password {
        Some(_) => format!("site password of {user} set\n"),
        None => format!("site password of {user} cleared\n"),
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `matrixauth users remove USER`.
pub fn remove(login: &Login, user: &str) -> Result<String, String> {
    if login.remove(user, &operator())? {
        Ok(format!("{user} removed (with their access windows and invitations)\n"))
    } else {
        Err(format!("no enrolled user {user:?}"))
    }
}

/// `matrixauth users window add USER --from --to`.
pub fn window_add(login: &Login, user: &str, from: u64, to: u64) -> Result<String, String> {
    let id = login.add_window(user, from, to, &operator())?;
    Ok(format!(
        "window #{id} for {user}: {} → {}\n{user} can now log in only inside their windows\n",
        when::local(from),
        when::local(to)
    ))
}

/// `matrixauth users window list USER`.
pub fn window_list(login: &Login, user: &str, json_out: bool) -> Result<String, String> {
    let now = login.now();
    let windows = login.store().windows(user).map_err(|e| e.to_string())?;
    if json_out {
        let list: Vec<Value> =
            windows.iter().map(|w| json!({"id": w.id, "from": w.starts_at, "to": w.ends_at})).collect();
        return Ok(format!("{}\n", Value::Array(list)));
    }
    if windows.is_empty() {
        return Ok(format!("{user} has no access windows: they may log in at any time\n"));
    }
    let mut out = String::from("ID\tFROM\tTO\tSTATUS\n");
    for w in &windows {
        let status = if now < w.starts_at {
            "upcoming"
        } else if now < w.ends_at {
            "open now"
        } else {
            "past"
        };
        let _ = writeln!(out, "{}\t{}\t{}\t{status}", w.id, when::local(w.starts_at), when::local(w.ends_at));
    }
    Ok(out)
}

/// `matrixauth users group add|remove USER GROUP`.
pub fn group(login: &Login, user: &str, group: &str, add: bool) -> Result<String, String> {
    if !login.set_group(user, group, add, &operator())? {
        return Err(format!("no user {user:?}"));
    }
    let groups = login.groups(user)?;
    Ok(if groups.is_empty() {
        format!("{user} is in no group now\n")
    } else {
        format!("{user} is in {} now\n", groups.join(", "))
    })
}

/// `matrixauth users role USER [ROLE…]`: replaces the user's roles.
pub fn set_roles(login: &Login, user: &str, roles: &[String]) -> Result<String, String> {
    if login.set_roles(user, roles, &operator())? {
        Ok(if roles.is_empty() {
            format!("{user} holds no role now\n")
        } else {
            format!("{user} holds {} now\n", roles.join(", "))
        })
    } else {
        Err(format!("no user {user:?}"))
    }
}

/// `matrixauth users window remove USER ID`.
pub fn window_remove(login: &Login, user: &str, id: i64) -> Result<String, String> {
    if login.remove_window(user, id, &operator())? {
        let left = login.store().windows(user).map_err(|e| e.to_string())?.len();
        Ok(format!(
            "window #{id} of {user} removed; {}\n",
            if left == 0 {
                "no windows left: they may log in at any time".to_owned()
            } else {
                format!("{left} left")
            }
        ))
    } else {
        Err(format!("{user} has no window #{id} (see `matrixauth users window list {user}`)"))
    }
}

/// Audit pruning: deletes the lines older than `days` days and audits
/// that it did (`audit_pruned`); see [`Login::prune_audit`].
pub fn prune_audit(login: &Login, days: u64, quiet: bool) -> Result<Option<String>, String> {
    login.prune_audit(days, quiet)
}

/// One audit line for people: local time, event, user, the other fields.
fn human_line(line: &str) -> String {
    let Ok(Value::Object(mut v)) = serde_json::from_str::<Value>(line) else { return line.to_owned() };
    let time = v.remove("time").and_then(|t| t.as_u64()).map_or_else(|| "?".to_owned(), when::local);
    let event = v.remove("event").and_then(|e| e.as_str().map(str::to_owned)).unwrap_or_default();
    let user = v.remove("user").and_then(|u| u.as_str().map(str::to_owned)).unwrap_or_else(|| "-".to_owned());
    let rest = if v.is_empty() { String::new() } else { Value::Object(v).to_string() };
    format!("{time}  {event:<14} {user:<16} {rest}").trim_end().to_owned()
}

/// `matrixauth audit tail [-n N]`: oldest first; JSON lines with `json`.
pub fn audit(login: &Login, tail: Option<usize>, json_out: bool) -> Result<String, String> {
    let mut out = String::new();
    for line in login.store().audit(tail).map_err(|e| e.to_string())? {
        if json_out {
            out.push_str(&line);
        } else {
            out.push_str(&human_line(&line));
        }
        out.push('\n');
    }
    Ok(out)
}

/// The formats of `matrixauth audit export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// `local_time,unix_time,event,user,details` with a header line.
    Csv,
    /// The stored JSON lines, each with `local_time` added.
    Jsonl,
}

fn csv_field(s: &str) -> String {
    // Quoted always; a leading = + - @ (or a tab or carriage return before one: OWASP's list)
    // would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `matrixauth audit export --from --to --format`: the lines whose time is
/// in `[from, to)`, for handing over; the export itself is audited.
/// Returns the text and how many lines it holds.
pub fn export(login: &Login, from: u64, to: u64, format: ExportFormat) -> Result<(String, usize), String> {
    if to <= from {
        return Err("--to must be after --from".to_owned());
    }
    let rows = login.store().chain_rows(Some((from, to))).map_err(|e| e.to_string())?;
    let mut out = String::new();
    if format == ExportFormat::Csv {
        out.push_str("local_time,unix_time,event,user,details\r\n");
    }
    for row in &rows {
        let line = &row.line;
        let Ok(Value::Object(mut v)) = serde_json::from_str::<Value>(line) else { continue };
        let time = v.get("time").and_then(Value::as_u64).unwrap_or(0);
        match format {
            ExportFormat::Jsonl => {
                // The stored line byte for byte, then `local_time` and the chain fields, so that
                // `audit verify --file` (or an auditor with the audit key) can check it.
                let Some(body) = line.strip_suffix('}') else { continue };
                let _ = writeln!(
                    out,
                    "{body}{EXPORT_SUFFIX}{}\",\"chain\":{}}}",
                    when::local_iso(time),
                    export_chain(row)
                );
            }
            ExportFormat::Csv => {
                v.remove("time");
                let event = v.remove("event").and_then(|e| e.as_str().map(str::to_owned)).unwrap_or_default();
                let user = v.remove("user").and_then(|u| u.as_str().map(str::to_owned)).unwrap_or_default();
                let details = if v.is_empty() { String::new() } else { Value::Object(v).to_string() };
                let _ = write!(
                    out,
                    "{},{time},{},{},{}\r\n",
                    csv_field(&when::local_iso(time)),
                    csv_field(&event),
                    csv_field(&user),
                    csv_field(&details)
                );
            }
        }
    }
    let format = if format == ExportFormat::Csv { "csv" } else { "jsonl" };
    login.record_admin(
        None,
        &operator(),
        AdminAction::AuditExport { from, to, format, lines: rows.len() },
    )?;
    Ok((out, rows.len()))
}

/// What comes after the stored line's last field in a JSON-lines export:
/// `local_time`, then `chain`.
const EXPORT_SUFFIX: &str = ",\"local_time\":\"";

fn export_chain(row: &ChainRow) -> Value {
    json!({
        "node": row.node, "seq": row.seq, "prev": chain::hex(&row.prev), "mac": chain::hex(&row.mac),
        "subject": row.subject, "version": row.version,
    })
}

/// Reads a JSON-lines export back into chain rows (the stored lines as they
/// were, with their chain fields), numbered by line. A line that is not
/// exactly what `audit export` writes (the stored line, `local_time`, then
/// the chain fields as exported, nothing else) comes back as an unchained
/// row, which `audit verify` reports.
pub fn read_export(text: &str) -> Vec<ChainRow> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let id = i64::try_from(i + 1).unwrap_or(i64::MAX);
            read_export_line(line, id).unwrap_or_else(|| ChainRow {
                id,
                node: None,
                seq: 0,
                prev: Vec::new(),
                mac: Vec::new(),
                subject: None,
                version: None,
                line: line.to_owned(),
                column_time: None,
            })
        })
        .collect()
}

fn read_export_line(line: &str, id: i64) -> Option<ChainRow> {
    let at = line.rfind(EXPORT_SUFFIX)?;
    let stored = format!("{}}}", line.get(..at)?);
    let rest = line.get(at + EXPORT_SUFFIX.len()..)?;
    let (local_time, chain_part) = rest.split_once('"')?;
    if local_time.contains('\\') {
        return None;
    }
    let c: Value = serde_json::from_str(chain_part.strip_prefix(",\"chain\":")?.strip_suffix('}')?).ok()?;
    let row = ChainRow {
        id,
        node: Some(c.get("node")?.as_str()?.to_owned()),
        seq: c.get("seq")?.as_u64()?,
        prev: chain::decode_hex(c.get("prev")?.as_str()?)?,
        mac: chain::decode_hex(c.get("mac")?.as_str()?)?,
        subject: c.get("subject").and_then(Value::as_str).map(str::to_owned),
        version: c.get("version").and_then(Value::as_u64),
        line: stored,
        column_time: None,
    };
    // Nothing but what the export writes: the chain fields exactly as exported.
    (chain_part == format!(",\"chain\":{}}}", export_chain(&row))).then_some(row)
}

/// `matrixauth audit verify`: the report, and whether the log checks.
/// With `file`, an export is checked instead of the database (each node's
/// chain from its first exported line), under `key` if given, else the
/// data folder's.
pub fn verify(
    login: &Login,
    range: Option<(u64, u64)>,
    file: Option<(&str, Option<&chain::AuditKey>)>,
    json_out: bool,
) -> Result<(String, bool), String> {
    let report = match file {
        None => login.verify_audit(range)?,
        Some((text, key)) => {
            let rows = read_export(text);
            let own = login.audit_key();
            chain::verify_export(key.unwrap_or(&own), &rows, range)
        }
    };
    Ok((render_report(&report, json_out), report.ok()))
}

/// `matrixauth audit verify --file F --key-file K` without a data folder.
pub fn verify_export_with_key(
    text: &str,
    key: &chain::AuditKey,
    range: Option<(u64, u64)>,
    json_out: bool,
) -> Result<(String, bool), String> {
    let rows = read_export(text);
    let report = chain::verify_export(key, &rows, range);
    Ok((render_report(&report, json_out), report.ok()))
}

fn render_report(report: &chain::Report, json_out: bool) -> String {
    if json_out {
        let nodes: serde_json::Map<String, Value> =
            report.nodes.iter().map(|(n, (a, b))| (n.clone(), json!({"first": a, "last": b}))).collect();
        let v = json!({
            "ok": report.ok(), "lines": report.lines, "nodes": nodes,
            "findings": report.findings.iter().map(chain::Finding::to_json).collect::<Vec<_>>(),
        });
        return format!("{v}\n");
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} lines, {} nodes", report.lines, report.nodes.len());
    for (node, (a, b)) in &report.nodes {
        let _ = writeln!(out, "  node {node:?}: lines {a} to {b}");
    }
    for f in &report.findings {
        let when = f.time.map_or_else(|| "-".to_owned(), when::local);
        let _ = writeln!(out, "{:<10} {when}  {}", f.kind.to_uppercase(), f.detail);
    }
    let problems = report.findings.iter().filter(|f| f.is_problem()).count();
    if problems == 0 {
        out.push_str("the audit log checks: every line is in its node's chain and matches its MAC\n");
    } else {
        let _ = writeln!(
            out,
            "the audit log does not check: {problems} finding{} (the first bad line is listed first)",
            if problems == 1 { "" } else { "s" }
        );
    }
    out
}

/// `matrixauth audit key`: the audit key as 64 hex digits, for an auditor
/// who checks exports away from the server (audited).
pub fn audit_key(login: &Login) -> Result<zeroize::Zeroizing<String>, String> {
    login.record_admin(None, &operator(), AdminAction::AuditKeyExported)?;
    Ok(login.audit_key().to_hex())
}

/// `matrixauth card USER`: issues a new grid card (8×8, two digits per cell)
/// to a user who is not enrolled yet, stores it sealed (bound to the user)
/// and returns the printable card for the administrator to hand over.
/// Card holders log in on the portal and over RADIUS (SPEC §4, §11, §13).
pub fn issue_card(login: &Login, user: &str) -> Result<String, String> {
    Ok(login.issue_card(user, &operator())?.render_text().to_string())
}
