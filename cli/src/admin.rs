//! Admin commands over a data folder: `users`, `unlock USER`, `audit`.

use std::fmt::Write as _;

use crate::server::audited_authenticator;
use crate::store::Store;

/// `matrixauth users`: one line per user with counters and lock.
pub fn users(store: &Store, now: u64) -> Result<String, String> {
    let mut out = String::from("user\tenrolled\tfailures\tsince_success\tlock\n");
    for u in store.users().map_err(|e| e.to_string())? {
        match u.state {
            Ok(s) => {
                let lock = match s.lock_at(now) {
                    None => "-".to_owned(),
                    Some(None) => "permanent".to_owned(),
                    Some(Some(t)) => format!("until {t}"),
                };
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    u.user,
                    u.created_at,
                    s.consecutive_failures(),
                    s.failures_since_success(),
                    lock
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{}\t{}\tcorrupt state: {e}", u.user, u.created_at);
            }
        }
    }
    Ok(out)
}

/// `matrixauth unlock USER`: the core's `unlock`, stored with
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
            (r, events.take())
        })
        .map_err(|e| e.to_string())?;
    match out {
        None => Err(format!("no enrolled user {user:?}")),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(event)) => Ok(event.to_json()),
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
            let json = serde_json::json!({
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

/// `matrixauth audit [--tail N]`: JSON lines, oldest first.
pub fn audit(store: &Store, tail: Option<usize>) -> Result<String, String> {
    let mut out = String::new();
    for line in store.audit(tail).map_err(|e| e.to_string())? {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// `matrixauth card USER`: issues a new grid card (8×8, two digits per cell)
/// to a user who is not enrolled yet, stores it sealed (bound to the user)
/// and returns the printable card for the administrator to hand over.
/// Card holders log in over RADIUS (SPEC §4, §11).
pub fn issue_card(store: &Store, keyring: &mx::Keyring, user: &str, now: u64) -> Result<String, String> {
    let card = mx::GridCard::generate(&mx::CardSpec::default()).map_err(|e| e.to_string())?;
    let sealed = card.seal(keyring, user).map_err(|e| e.to_string())?;
    let line =
        serde_json::json!({"time": now, "user": user, "event": "card_issued", "serial": card.serial()});
    if !store
        .create_user(user, &sealed, &mx::UserState::new(), now, &[line.to_string()])
        .map_err(|e| e.to_string())?
    {
        return Err(format!("{user:?} is enrolled already"));
    }
    Ok(card.render_text().to_string())
}
