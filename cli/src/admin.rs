//! Admin commands over a data folder. Each returns what it prints: text for
//! people (local times) or, with `json`, JSON for scripts (Unix seconds).
//! Every action that changes something writes an audit line
//! (`{"event":"admin","action":…,"operator":…}`) in the same transaction
//! as the change.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::server::audited_authenticator;
use crate::store::Store;
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

/// The audit line of an admin action.
pub fn admin_line(now: u64, action: &str, user: Option<&str>, extra: Value) -> String {
    let mut v =
        json!({"time": now, "user": user, "event": "admin", "action": action, "operator": operator()});
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v.to_string()
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

/// `matrixauth users list`.
pub fn users(store: &Store, now: u64, json_out: bool) -> Result<String, String> {
    let rows = store.users().map_err(|e| e.to_string())?;
    if json_out {
        let list: Vec<Value> = rows
            .iter()
            .map(|u| match &u.state {
                Ok(s) => json!({
                    "user": u.user, "enrolledAt": u.created_at,
                    "consecutiveFailures": s.consecutive_failures(),
                    "failuresSinceSuccess": s.failures_since_success(), "lock": lock_json(s.lock_at(now)),
                }),
                Err(e) => json!({"user": u.user, "enrolledAt": u.created_at, "corrupt": e.to_string()}),
            })
            .collect();
        return Ok(format!("{}\n", Value::Array(list)));
    }
    let mut out = String::from("USER\tENROLLED\tFAILURES\tSINCE SUCCESS\tLOCK\n");
    for u in &rows {
        match &u.state {
            Ok(s) => {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    u.user,
                    when::local(u.created_at),
                    s.consecutive_failures(),
                    s.failures_since_success(),
                    lock_text(s.lock_at(now))
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
pub fn show(store: &Store, user: &str, now: u64, json_out: bool) -> Result<Option<String>, String> {
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
    if json_out {
        let body = json!({
            "user": user, "kind": kind(&record.sealed_credential), "enrolledAt": enrolled_at,
            "consecutiveFailures": s.consecutive_failures(), "failuresSinceSuccess": s.failures_since_success(),
            "lockLevel": s.lock_level(), "lock": lock_json(s.lock_at(now)),
            "pendingChallengeExpiresAt": s.pending_expires_at(),
            "windows": windows.iter().map(|w| json!({"id": w.id, "from": w.starts_at, "to": w.ends_at})).collect::<Vec<_>>(),
            "mayLogInNow": allowed,
            "openInvitationExpiresAt": invitations.first().map(|i| i.2),
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
pub fn invite(
    store: &Store,
    user: &str,
    hours: u64,
    origin: &str,
    now: u64,
    json_out: bool,
) -> Result<String, String> {
    if !mx::is_valid_user_id(user) {
        return Err(format!("user id {user:?}: 1 to 255 bytes without control characters"));
    }
    if hours == 0 || hours > crate::invite::MAX_HOURS {
        return Err(format!("--hours must be 1 to {}", crate::invite::MAX_HOURS));
    }
    let (token, hash) = crate::invite::new_token()?;
    let expires_at = now + hours * 3600;
    let reenrol = store.enrolled_at(user).map_err(|e| e.to_string())?.is_some();
    let line =
        admin_line(now, "invite", Some(user), json!({"expiresAt": expires_at, "reenrolment": reenrol}));
    store.create_invitation(user, &hash, now, expires_at, &[line]).map_err(|e| e.to_string())?;
    let link = crate::invite::link(origin, &token);
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
/// compare-and-swap and audited. Returns the audit line.
pub fn unlock(
    store: &Store,
    keyring: &mx::Keyring,
    policy: &mx::Policy,
    user: &str,
    now: u64,
) -> Result<String, String> {
    let (auth, events) = audited_authenticator(keyring, policy).map_err(|e| e.to_string())?;
    let out = store
        .update(user, |record| {
            let r = auth.unlock(user, &mut record.state, now);
            let mut lines = events.take();
            if r.is_ok() {
                lines.push(admin_line(now, "unlock", Some(user), json!({})));
            }
            (r, lines)
        })
        .map_err(|e| e.to_string())?;
    match out {
        None => Err(format!("no enrolled user {user:?}")),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(_)) => Ok(format!("{user} unlocked\n")),
    }
}

/// `matrixauth users remove USER`.
pub fn remove(store: &Store, user: &str, now: u64) -> Result<String, String> {
    let line = admin_line(now, "remove", Some(user), json!({}));
    if store.remove_user(user, &[line]).map_err(|e| e.to_string())? {
        Ok(format!("{user} removed (with their access windows and invitations)\n"))
    } else {
        Err(format!("no enrolled user {user:?}"))
    }
}

/// `matrixauth users window add USER --from --to`.
pub fn window_add(store: &Store, user: &str, from: u64, to: u64, now: u64) -> Result<String, String> {
    if to <= from {
        return Err("--to must be after --from".to_owned());
    }
    if to <= now {
        return Err(format!("that window ended already ({})", when::local(to)));
    }
    if store.enrolled_at(user).map_err(|e| e.to_string())?.is_none() {
        return Err(format!("no enrolled user {user:?}"));
    }
    let id = store
        .add_window(user, from, to, now, |id| {
            admin_line(now, "window_add", Some(user), json!({"window": id, "from": from, "to": to}))
        })
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "window #{id} for {user}: {} → {}\n{user} can now log in only inside their windows\n",
        when::local(from),
        when::local(to)
    ))
}

/// `matrixauth users window list USER`.
pub fn window_list(store: &Store, user: &str, now: u64, json_out: bool) -> Result<String, String> {
    let windows = store.windows(user).map_err(|e| e.to_string())?;
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

/// `matrixauth users window remove USER ID`.
pub fn window_remove(store: &Store, user: &str, id: i64, now: u64) -> Result<String, String> {
    let line = admin_line(now, "window_remove", Some(user), json!({"window": id}));
    if store.remove_window(user, id, &[line]).map_err(|e| e.to_string())? {
        let left = store.windows(user).map_err(|e| e.to_string())?.len();
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

/// Seconds in a day.
const DAY: u64 = 86_400;

/// Audit pruning: deletes the lines older than `days` days before `now`,
/// and audits that it did (`{"event":"audit_pruned","removed":N,…}`).
/// Returns that line. `quiet` (the server's hourly run): a run that
/// removed nothing writes no line and returns `None`.
pub fn prune_audit(store: &Store, days: u64, now: u64, quiet: bool) -> Result<Option<String>, String> {
    let before = now.saturating_sub(days.saturating_mul(DAY));
    let mut line = None;
    store
        .prune_audit(before, |removed| {
            if quiet && removed == 0 {
                return None;
            }
            let json = json!({
                "time": now, "user": null, "event": "audit_pruned", "removed": removed,
                "before": before, "retention_days": days,
            })
            .to_string();
            line = Some(json.clone());
            Some(json)
        })
        .map_err(|e| e.to_string())?;
    Ok(line)
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
pub fn audit(store: &Store, tail: Option<usize>, json_out: bool) -> Result<String, String> {
    let mut out = String::new();
    for line in store.audit(tail).map_err(|e| e.to_string())? {
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
    // Quoted always; a leading = + - @ would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `matrixauth audit export --from --to --format`: the lines whose time is
/// in `[from, to)`, for handing over; the export itself is audited.
/// Returns the text and how many lines it holds.
pub fn export(
    store: &Store,
    from: u64,
    to: u64,
    format: ExportFormat,
    now: u64,
) -> Result<(String, usize), String> {
    if to <= from {
        return Err("--to must be after --from".to_owned());
    }
    let lines = store.audit_between(from, to).map_err(|e| e.to_string())?;
    let mut out = String::new();
    if format == ExportFormat::Csv {
        out.push_str("local_time,unix_time,event,user,details\r\n");
    }
    for line in &lines {
        let Ok(Value::Object(mut v)) = serde_json::from_str::<Value>(line) else { continue };
        let time = v.get("time").and_then(Value::as_u64).unwrap_or(0);
        match format {
            ExportFormat::Jsonl => {
                v.insert("local_time".into(), json!(when::local_iso(time)));
                out.push_str(&Value::Object(v).to_string());
                out.push('\n');
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
    let fmt = if format == ExportFormat::Csv { "csv" } else { "jsonl" };
    let line = admin_line(
        now,
        "audit_export",
        None,
        json!({"from": from, "to": to, "format": fmt, "lines": lines.len()}),
    );
    store.append_audit(&[line]).map_err(|e| e.to_string())?;
    Ok((out, lines.len()))
}

/// `matrixauth card USER`: issues a new grid card (8×8, two digits per cell)
/// to a user who is not enrolled yet, stores it sealed (bound to the user)
/// and returns the printable card for the administrator to hand over.
/// Card holders log in over RADIUS (SPEC §4, §11).
pub fn issue_card(store: &Store, keyring: &mx::Keyring, user: &str, now: u64) -> Result<String, String> {
    let card = mx::GridCard::generate(&mx::CardSpec::default()).map_err(|e| e.to_string())?;
    let sealed = card.seal(keyring, user).map_err(|e| e.to_string())?;
    let line = admin_line(now, "card_issued", Some(user), json!({"serial": card.serial()}));
    if !store.create_user(user, &sealed, &mx::UserState::new(), now, &[line]).map_err(|e| e.to_string())? {
        return Err(format!("{user:?} is enrolled already"));
    }
    Ok(card.render_text().to_string())
}
