//! The terminal rows on SQLite ([`crate::store::terminal`]).

use rusqlite::{Connection, OptionalExtension, params};

use super::{Tx, access_in_exists, insert_audit};
use crate::store::terminal::{join_addresses, split_addresses};
use crate::store::{Invitation, StoreResult, TerminalBook, TerminalRow, TerminalWrite, from_i64, to_i64};

const COLUMNS: &str = "id, user, name, credential, credential_id, created_at, last_used_at, counter, \
                       revoked_at, attestation, addresses, mac";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TerminalRow> {
    Ok(TerminalRow {
        id: r.get(0)?,
        user: r.get(1)?,
        name: r.get(2)?,
        credential: r.get(3)?,
        credential_id: r.get(4)?,
        created_at: from_i64(r.get(5)?),
        last_used_at: r.get::<_, Option<i64>>(6)?.map(from_i64),
        counter: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
        revoked_at: r.get::<_, Option<i64>>(8)?.map(from_i64),
        attestation: r.get(9)?,
        addresses: split_addresses(&r.get::<_, String>(10)?),
        mac: r.get(11)?,
    })
}

pub(super) fn book(conn: &Connection, user: &str) -> StoreResult<TerminalBook> {
    let (policy, enrolled): (Option<i64>, bool) = conn.query_row(
        "SELECT (SELECT required FROM terminal_policy WHERE user = ?1), EXISTS (SELECT 1 FROM users WHERE user = ?1)",
        params![user],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM terminals WHERE user = ?1 ORDER BY id"))?;
    let terminals = stmt.query_map(params![user], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(TerminalBook { enrolled, policy: policy.map(|p| p != 0), terminals })
}

pub(super) fn invitation(
    conn: &Connection,
    token_hash: &[u8; 32],
    now: u64,
) -> StoreResult<Option<Invitation>> {
    let row: Option<(String, i64, Vec<u8>)> = conn
        .query_row(
            "SELECT user, expires_at, mac FROM terminal_invitations
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![&token_hash[..], to_i64(now)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.map(|(user, expires, mac)| Invitation { user, expires_at: from_i64(expires), mac }))
}

fn put(tx: &Tx<'_>, t: &TerminalRow) -> StoreResult<Option<i64>> {
    let values = params![
        t.user,
        t.name,
        t.credential,
        t.credential_id,
        to_i64(t.created_at),
        t.last_used_at.map(to_i64),
        i64::from(t.counter),
        t.revoked_at.map(to_i64),
        t.attestation,
        join_addresses(&t.addresses),
        t.mac,
    ];
    if t.id == 0 {
        tx.execute(
            "INSERT INTO terminals (user, name, credential, credential_id, created_at, last_used_at, counter,
             revoked_at, attestation, addresses, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            values,
        )?;
        return Ok(Some(tx.last_insert_rowid()));
    }
    let mut all = values.to_vec();
    all.push(&t.id);
    let n = tx.execute(
        "UPDATE terminals SET name = ?2, credential = ?3, credential_id = ?4, created_at = ?5, last_used_at = ?6,
         counter = ?7, revoked_at = ?8, attestation = ?9, addresses = ?10, mac = ?11 WHERE user = ?1 AND id = ?12",
        all.as_slice(),
    )?;
    Ok((n > 0).then_some(t.id))
}

pub(super) fn write(tx: &Tx<'_>, op: TerminalWrite<'_>) -> StoreResult<Option<i64>> {
    match op {
        TerminalWrite::Put(t) => put(tx, t),
        TerminalWrite::Policy { user, required } => {
            if !access_in_exists(tx, user)? {
                return Ok(None);
            }
            match required {
                Some(r) => tx.execute(
                    "INSERT INTO terminal_policy (user, required) VALUES (?1, ?2)
                     ON CONFLICT (user) DO UPDATE SET required = excluded.required",
                    params![user, i64::from(r)],
                )?,
                None => tx.execute("DELETE FROM terminal_policy WHERE user = ?1", params![user])?,
            };
            Ok(Some(0))
        }
        TerminalWrite::Invite { user, token_hash, now, expires_at, mac } => {
            if !access_in_exists(tx, user)? {
                return Ok(None);
            }
            tx.execute(
                "DELETE FROM terminal_invitations WHERE user = ?1 AND used_at IS NULL",
                params![user],
            )?;
            tx.execute(
                "INSERT INTO terminal_invitations (token_hash, user, created_at, expires_at, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![&token_hash[..], user, to_i64(now), to_i64(expires_at), mac],
            )?;
            Ok(Some(0))
        }
        TerminalWrite::Redeem { token_hash, now, row } => {
            let used = tx.execute(
                "UPDATE terminal_invitations SET used_at = ?1
                 WHERE token_hash = ?2 AND user = ?3 AND used_at IS NULL AND expires_at > ?1",
                params![to_i64(now), &token_hash[..], row.user],
            )?;
            if used == 0 {
                return Ok(None);
            }
            put(tx, row)
        }
    }
}

/// Runs [`write`] and appends `audit` when it wrote (commits only then).
pub(super) fn write_audited(
    tx: &Tx<'_>,
    chain: Option<&crate::store::chain::Chain>,
    op: TerminalWrite<'_>,
    audit: &[String],
) -> StoreResult<(bool, Option<i64>)> {
    let out = write(tx, op)?;
    if out.is_some() {
        insert_audit(tx, chain, None, audit)?;
    }
    Ok((out.is_some(), out))
}
