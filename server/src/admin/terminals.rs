//! `matrixauth terminals ...` and `matrixauth users terminals ...`:
//! registered terminals (SPEC §16) from the command line.

use std::fmt::Write as _;

use serde_json::json;

use super::operator;
use crate::login::Login;
use crate::when;

/// `matrixauth terminals`.
#[derive(clap::Subcommand)]
pub enum TerminalsCmd {
    /// A user's policy and terminals (name, registered, last used, counter, revoked, addresses)
    List {
        /// The user
        user: String,
        /// JSON output
        #[arg(long)]
        json: bool,
    },
    /// Rename terminal ID of USER ("保守端末1")
    Rename {
        /// The user
        user: String,
        /// The terminal's number (`terminals list`)
        id: i64,
        /// Its new name (1 to 64 characters)
        name: String,
    },
    /// Revoke terminal ID of USER: it logs in no more, at any door
    Revoke {
        /// The user
        user: String,
        /// The terminal's number (`terminals list`)
        id: i64,
    },
    /// Set the RADIUS Calling-Station-Id addresses of terminal ID (none clears them)
    Address {
        /// The user
        user: String,
        /// The terminal's number (`terminals list`)
        id: i64,
        /// Addresses as the NAS sends Calling-Station-Id (a MAC address in any spelling, an IP)
        addresses: Vec<String>,
    },
    /// Add a terminal known only by its RADIUS Calling-Station-Id addresses (an appliance
    /// that cannot carry WebAuthn)
    Network {
        /// The user
        user: String,
        /// The terminal's name
        name: String,
        /// Addresses as the NAS sends Calling-Station-Id
        #[arg(required = true)]
        addresses: Vec<String>,
    },
}

/// Runs a `terminals` command.
pub fn run(login: &Login, cmd: TerminalsCmd) -> Result<String, String> {
    let op = operator();
    let missing = |user: &str, id: i64| format!("no terminal {id} of {user:?}");
    match cmd {
        TerminalsCmd::List { user, json } => list(login, &user, json),
        TerminalsCmd::Rename { user, id, name } => {
            if !crate::login::terminal::valid_name(&name) {
                return Err("a terminal name is 1 to 64 characters without control characters".to_owned());
            }
            let new = name.clone();
            if login.change_terminal(&user, id, "terminal_rename", &op, |t, _| {
                t.name = new;
                Ok(())
            })? {
                Ok(format!("terminal {id} of {user} renamed {name}\n"))
            } else {
                Err(missing(&user, id))
            }
        }
        TerminalsCmd::Revoke { user, id } => {
            if login.change_terminal(&user, id, "terminal_revoke", &op, |t, now| {
                t.revoked_at.get_or_insert(now);
                Ok(())
            })? {
                Ok(format!("terminal {id} of {user} revoked\n"))
            } else {
                Err(missing(&user, id))
            }
        }
        TerminalsCmd::Address { user, id, addresses } => {
            if addresses.iter().any(|a| a.trim().is_empty() || a.contains('\n') || a.len() > 253) {
                return Err("each address is 1 to 253 bytes on one line".to_owned());
            }
            let list: Vec<String> = addresses.iter().map(|a| a.trim().to_owned()).collect();
            if login.change_terminal(&user, id, "terminal_address", &op, |t, _| {
                t.addresses = list;
                Ok(())
            })? {
                Ok(format!("terminal {id} of {user}: {} address(es)\n", addresses.len()))
            } else {
                Err(missing(&user, id))
            }
        }
        TerminalsCmd::Network { user, name, addresses } => {
            let id = login.add_network_terminal(&user, &name, &addresses, &op)?;
            Ok(format!("terminal {id} of {user} ({name}) added: RADIUS from {}\n", addresses.join(", ")))
        }
    }
}

fn list(login: &Login, user: &str, json_out: bool) -> Result<String, String> {
    let book = login.terminals_of(user)?;
    let site = login.terminal_config().required;
    let policy = match book.policy {
        Some(true) => "required",
        Some(false) => "optional",
        None if site => "required (site)",
        None => "optional (site)",
    };
    if json_out {
        let terminals: Vec<_> = book
            .terminals
            .iter()
            .map(|t| {
                json!({
                    "id": t.id, "name": t.name, "webauthn": t.credential.is_some(), "createdAt": t.created_at,
                    "lastUsedAt": t.last_used_at, "counter": t.counter, "revokedAt": t.revoked_at,
                    "attestation": t.attestation, "addresses": t.addresses,
                })
            })
            .collect();
        return Ok(format!("{}\n", json!({"user": user, "policy": policy, "terminals": terminals})));
    }
    let mut out = format!("{user}: terminals {policy}\n");
    if book.terminals.is_empty() {
        out.push_str("  no terminals\n");
    }
    for t in &book.terminals {
        let _ = writeln!(
            out,
            "  {:>3}  {}  {}  registered {}  last used {}  counter {}{}{}",
            t.id,
            t.name,
            if t.credential.is_some() { "webauthn" } else { "network" },
            when::local(t.created_at),
            t.last_used_at.map_or_else(|| "never".to_owned(), when::local),
            t.counter,
            t.revoked_at.map_or_else(String::new, |r| format!("  REVOKED {}", when::local(r))),
            if t.addresses.is_empty() {
                String::new()
            } else {
                format!("  radius {}", t.addresses.join(","))
            },
        );
    }
    Ok(out)
}

/// `matrixauth users terminals require|optional|site USER`.
pub fn policy(login: &Login, user: &str, which: &str) -> Result<String, String> {
    let required = match which {
        "require" | "required" => Some(true),
        "optional" => Some(false),
        "site" => None,
        other => return Err(format!("{other:?}: require, optional or site")),
    };
    if login.set_terminal_policy(user, required, &operator())? {
        Ok(format!("{user}: terminals {which}\n"))
    } else {
        Err(format!("no enrolled user {user:?}"))
    }
}

/// `matrixauth users invite --terminal USER`: a single-use link that adds
/// one terminal (the browser that opens it) to an enrolled user.
pub fn invite(login: &Login, user: &str, hours: u64, origin: &str, json_out: bool) -> Result<String, String> {
    let (token, expires_at) = login.invite_terminal(user, hours, &operator())?;
    let link = format!("{}/enroll#terminal={}", origin.trim_end_matches('/'), token.as_str());
    if json_out {
        return Ok(format!(
            "{}\n",
            json!({"user": user, "link": link, "expiresAt": expires_at, "kind": "terminal"})
        ));
    }
    Ok(format!(
        "terminal registration link for {user} (single use, valid until {}):\n{link}\n",
        when::local(expires_at)
    ))
}
