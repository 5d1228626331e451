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

/// `matrixauth audit [--tail N]`: JSON lines, oldest first.
pub fn audit(store: &Store, tail: Option<usize>) -> Result<String, String> {
    let mut out = String::new();
    for line in store.audit(tail).map_err(|e| e.to_string())? {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}
