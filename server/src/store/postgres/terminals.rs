//! The terminal rows on PostgreSQL ([`crate::store::terminal`]).

use postgres::{GenericClient, Row, Transaction};

use super::{Stmts, col, execute_c, insert_audit, query_c, query_one_c, query_opt_c};
use crate::store::terminal::{join_addresses, split_addresses};
use crate::store::{Invitation, StoreResult, TerminalBook, TerminalRow, TerminalWrite, from_i64, to_i64};

fn row(r: &Row) -> StoreResult<TerminalRow> {
    Ok(TerminalRow {
        id: col(r, 0)?,
        user: col(r, 1)?,
        name: col(r, 2)?,
        credential: col(r, 3)?,
        credential_id: col(r, 4)?,
        created_at: from_i64(col(r, 5)?),
        last_used_at: col::<Option<i64>>(r, 6)?.map(from_i64),
        counter: u32::try_from(col::<i64>(r, 7)?).unwrap_or(u32::MAX),
        revoked_at: col::<Option<i64>>(r, 8)?.map(from_i64),
        attestation: col(r, 9)?,
        addresses: split_addresses(&col::<String>(r, 10)?),
        mac: col(r, 11)?,
    })
}

pub(super) fn book(c: &mut impl GenericClient, q: &mut Stmts, user: &str) -> StoreResult<TerminalBook> {
    let head = query_one_c(
        c,
        q,
        "SELECT (SELECT required FROM terminal_policy WHERE user_id = $1), EXISTS (SELECT 1 FROM users WHERE user_id = $1)",
        &[&user],
    )?;
    let (policy, enrolled) = (col::<Option<bool>>(&head, 0)?, col::<bool>(&head, 1)?);
    let rows = query_c(
        c,
        q,
        "SELECT id, user_id, name, credential, credential_id, created_at, last_used_at, counter, revoked_at,
         attestation, addresses, mac FROM terminals WHERE user_id = $1 ORDER BY id",
        &[&user],
    )?;
    let terminals = rows.iter().map(row).collect::<StoreResult<Vec<_>>>()?;
    Ok(TerminalBook { enrolled, policy, terminals })
}

pub(super) fn invitation(
    c: &mut impl GenericClient,
    q: &mut Stmts,
    token_hash: &[u8; 32],
    now: u64,
) -> StoreResult<Option<Invitation>> {
    let row = query_opt_c(
        c,
        q,
        "SELECT user_id, expires_at, mac FROM terminal_invitations
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        &[&&token_hash[..], &to_i64(now)],
    )?;
    row.map(|r| Ok(Invitation { user: col(&r, 0)?, expires_at: from_i64(col(&r, 1)?), mac: col(&r, 2)? }))
        .transpose()
}

fn user_exists(tx: &mut Transaction<'_>, q: &mut Stmts, user: &str) -> StoreResult<bool> {
    Ok(query_opt_c(tx, q, "SELECT 1 FROM users WHERE user_id = $1", &[&user])?.is_some())
}

fn put(tx: &mut Transaction<'_>, q: &mut Stmts, t: &TerminalRow) -> StoreResult<Option<i64>> {
    let addresses = join_addresses(&t.addresses);
    let created = to_i64(t.created_at);
    let last = t.last_used_at.map(to_i64);
    let counter = i64::from(t.counter);
    let revoked = t.revoked_at.map(to_i64);
    if t.id == 0 {
        let r = query_opt_c(
            tx,
            q,
            "INSERT INTO terminals (user_id, name, credential, credential_id, created_at, last_used_at, counter,
             revoked_at, attestation, addresses, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             RETURNING id",
            &[
                &t.user,
                &t.name,
                &t.credential,
                &t.credential_id,
                &created,
                &last,
                &counter,
                &revoked,
                &t.attestation,
                &addresses,
                &t.mac,
            ],
        )?;
        return r.map(|r| col::<i64>(&r, 0)).transpose();
    }
    let n = execute_c(
        tx,
        q,
        "UPDATE terminals SET name = $2, credential = $3, credential_id = $4, created_at = $5, last_used_at = $6,
         counter = $7, revoked_at = $8, attestation = $9, addresses = $10, mac = $11
         WHERE user_id = $1 AND id = $12",
        &[
            &t.user,
            &t.name,
            &t.credential,
            &t.credential_id,
            &created,
            &last,
            &counter,
            &revoked,
            &t.attestation,
            &addresses,
            &t.mac,
            &t.id,
        ],
    )?;
    Ok((n > 0).then_some(t.id))
}

fn write(tx: &mut Transaction<'_>, q: &mut Stmts, op: TerminalWrite<'_>) -> StoreResult<Option<i64>> {
    match op {
        TerminalWrite::Put(t) => put(tx, q, t),
        TerminalWrite::Policy { user, required } => {
            if !user_exists(tx, q, user)? {
                return Ok(None);
            }
            match required {
                Some(r) => execute_c(
                    tx,
                    q,
                    "INSERT INTO terminal_policy (user_id, required) VALUES ($1, $2)
                     ON CONFLICT (user_id) DO UPDATE SET required = excluded.required",
                    &[&user, &r],
                )?,
                None => execute_c(tx, q, "DELETE FROM terminal_policy WHERE user_id = $1", &[&user])?,
            };
            Ok(Some(0))
        }
        TerminalWrite::Invite { user, token_hash, now, expires_at, mac } => {
            if !user_exists(tx, q, user)? {
                return Ok(None);
            }
            execute_c(
                tx,
                q,
                "DELETE FROM terminal_invitations WHERE user_id = $1 AND used_at IS NULL",
                &[&user],
            )?;
            execute_c(
                tx,
                q,
                "INSERT INTO terminal_invitations (token_hash, user_id, created_at, expires_at, mac)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&&token_hash[..], &user, &to_i64(now), &to_i64(expires_at), &mac],
            )?;
            Ok(Some(0))
        }
        TerminalWrite::Redeem { token_hash, now, row } => {
            let used = execute_c(
                tx,
                q,
                "UPDATE terminal_invitations SET used_at = $1
                 WHERE token_hash = $2 AND user_id = $3 AND used_at IS NULL AND expires_at > $1",
                &[&to_i64(now), &&token_hash[..], &row.user],
            )?;
            if used == 0 {
                return Ok(None);
            }
            put(tx, q, row)
        }
    }
}

/// Runs [`write`] and appends `audit` when it wrote (commits only then).
pub(super) fn write_audited(
    tx: &mut Transaction<'_>,
    q: &mut Stmts,
    chain: Option<&crate::store::chain::Chain>,
    op: TerminalWrite<'_>,
    audit: &[String],
) -> StoreResult<(bool, Option<i64>)> {
    let out = write(tx, q, op)?;
    if out.is_some() {
        insert_audit(tx, q, chain, None, audit)?;
    }
    Ok((out.is_some(), out))
}
