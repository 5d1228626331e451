#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::many_single_char_names,
    missing_docs
)]
//! The store tamper suite (issue 21): someone who can write the database
//! but does not hold the keyring tries, on both backends, to let someone in
//! or to hide what happened. Each attempt is refused with an audit line, or
//! `audit verify` reports it. The PostgreSQL half needs
//! `MATRIXAUTH_TEST_DATABASE_URL` (`scripts/cluster-test.sh` sets it).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matrixauth_server::login::{Decision, Login, Prompt, Settings, TicketForm, Via};
use matrixauth_server::store::{Migrate, Store};

const T0: u64 = 1_800_000_000;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

/// A database, and the one keyring and clock its nodes share.
struct Db {
    kind: Kind,
    keyring: mx::Keyring,
    clock: Arc<AtomicU64>,
}

enum Kind {
    Sqlite(tempfile::TempDir),
    Postgres { url: String, admin: String, name: String },
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Kind::Postgres { admin, name, .. } = &self.kind
            && let Ok(mut c) = ::postgres::Client::connect(admin, ::postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn sqlite_db() -> Db {
    Db {
        kind: Kind::Sqlite(tempfile::tempdir().unwrap()),
        keyring: mx::Keyring::new(&[9; 32], 1).unwrap(),
        clock: Arc::new(AtomicU64::new(T0)),
    }
}

fn postgres_db() -> Option<Db> {
    let admin = std::env::var("MATRIXAUTH_TEST_DATABASE_URL").ok()?;
    let mut c = ::postgres::Client::connect(&admin, ::postgres::NoTls).unwrap();
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).unwrap();
    let name = format!("mx_{:016x}", u64::from_le_bytes(suffix));
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let query = admin.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    let url = format!("{base}/{name}{query}");
    Some(Db {
        kind: Kind::Postgres { url, admin, name },
        keyring: mx::Keyring::new(&[9; 32], 1).unwrap(),
        clock: Arc::new(AtomicU64::new(T0)),
    })
}

impl Db {
    fn store(&self) -> Store {
        match &self.kind {
            Kind::Sqlite(dir) => {
                Store::open(&dir.path().join("db"), self.keyring.clone(), Migrate::Yes).unwrap()
            }
            Kind::Postgres { url, .. } => Store::connect(url, self.keyring.clone(), Migrate::Yes).unwrap(),
        }
    }

    /// A node (a login service of its own, with a chain of its own) on the database.
    fn node(&self, name: &str, tickets: TicketForm) -> Arc<Login> {
        let c = Arc::clone(&self.clock);
        Login::new(Settings {
            store: self.store(),
            keyring: self.keyring.clone(),
            site_key: zeroize::Zeroizing::new(common::SITE_KEY),
            policy: mx::Policy::default(),
            clock: Arc::new(move || c.load(Ordering::SeqCst)),
            session_max_seconds: 8 * HOUR,
            tickets,
            audit_node: name.to_owned(),
        })
        .unwrap()
    }

    fn set(&self, t: u64) {
        self.clock.store(t, Ordering::SeqCst);
    }

    /// Runs SQL as the attacker, with `{user}` the user column's name.
    fn exec(&self, sql: &str) {
        match &self.kind {
            Kind::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
                c.execute_batch(&sql.replace("{user}", "user")).unwrap();
            }
            Kind::Postgres { url, .. } => {
                let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                c.batch_execute(&sql.replace("{user}", "user_id")).unwrap();
            }
        }
    }

    /// The integers a query returns (first column).
    fn ints(&self, sql: &str) -> Vec<i64> {
        match &self.kind {
            Kind::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
                let mut stmt = c.prepare(&sql.replace("{user}", "user")).unwrap();
                stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
            }
            Kind::Postgres { url, .. } => {
                let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                c.query(&sql.replace("{user}", "user_id"), &[]).unwrap().iter().map(|r| r.get(0)).collect()
            }
        }
    }
}

fn pattern_user(login: &Login, keyring: &mx::Keyring, user: &str) {
    let sealed = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().seal(keyring, user).unwrap();
    assert!(login.store().create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap());
}

fn prompt(login: &Login, user: &str) -> Prompt {
    match login.challenge(user, Via::Http) {
        Decision::Prompt(p) => p,
        other => panic!("no prompt for {user}: {other:?}"),
    }
}

fn right(p: &Prompt) -> String {
    let Prompt::Grid { matrix, .. } = p else { panic!("{p:?}") };
    let digits: String = CELLS
        .iter()
        .map(|c| char::from(b'0' + matrix.get(matrix.geometry().parse_cell(c).unwrap()).unwrap()))
        .collect();
    format!("{}pw{}", &digits[..2], &digits[2..])
}

fn login_once(login: &Login, user: &str) -> Decision {
    let p = prompt(login, user);
    login.answer(user, Some(p.token()), &right(&p), Via::Http, Some("vpn.test"))
}

fn wrong(login: &Login, user: &str) {
    let p = prompt(login, user);
    let d = login.answer(user, Some(p.token()), "000000pw", Via::Http, None);
    assert!(matches!(d, Decision::Rejected { .. }), "{d:?}");
}

fn last_line(login: &Login) -> serde_json::Value {
    serde_json::from_str(&login.store().audit(Some(1)).unwrap()[0]).unwrap()
}

fn assert_tampered(login: &Login, user: &str, what: &str) {
    let d = login.challenge(user, Via::Http);
    assert!(matches!(d, Decision::Internal), "{user}: {d:?}");
    let last = last_line(login);
    assert_eq!(
        (last["event"].as_str(), last["what"].as_str(), last["user"].as_str()),
        (Some("tampered"), Some(what), Some(user)),
        "{last}"
    );
}

/// The kinds of the problems `audit verify` reports.
fn problems(login: &Login) -> Vec<&'static str> {
    let report = login.verify_audit(None).unwrap();
    report.findings.iter().filter(|f| f.is_problem()).map(|f| f.kind).collect()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::sqlite_db()); } )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(db) = super::postgres_db() else {
                        eprintln!("skipped: MATRIXAUTH_TEST_DATABASE_URL is not set (scripts/cluster-test.sh sets it)");
                        return;
                    };
                    super::$name(&db);
                }
            )*
        }
    };
}

both!(
    an_invitation_written_or_edited_without_the_keyring_enrols_nobody,
    deleted_or_widened_windows_and_a_lifted_suspension_are_refused,
    a_deleted_role_is_refused_as_tampering,
    a_ticket_redeemed_again_after_its_claim_is_deleted_is_reported,
    audit_verify_reports_edited_removed_inserted_and_reordered_lines,
    a_cut_off_end_is_a_gap_the_running_node_logs,
    audit_verify_reports_a_restored_older_state,
    pruning_leaves_a_signed_marker_and_the_chain_still_checks,
    two_nodes_keep_chains_of_their_own,
    review_findings_hold,
);

fn an_invitation_written_or_edited_without_the_keyring_enrols_nobody(db: &Db) {
    let login = db.node("a", TicketForm::Handle);
    pattern_user(&login, &db.keyring, "carol");
    // Inserted: the SHA-256 of a token the attacker chose (the old, unkeyed form), any MAC.
    let token = "A".repeat(43);
    let hash: String = {
        use sha2::Digest as _;
        matrixauth_server::login::chain::hex(&sha2::Sha256::digest(token.as_bytes()))
    };
    let blob = |hex: &str| match &db.kind {
        Kind::Sqlite(_) => format!("x'{hex}'"),
        Kind::Postgres { .. } => format!("'\\x{hex}'::bytea"),
    };
    db.exec(&format!(
        "INSERT INTO invitations (token_hash, {{user}}, created_at, expires_at, mac) VALUES ({}, 'carol', {T0}, {}, {})",
        blob(&hash),
        T0 + DAY,
        blob(&"00".repeat(32))
    ));
    assert!(login.invitation(&token).is_err(), "an inserted invitation matches no token");
    // Edited: a genuine invitation for dave turned into carol's.
    let (dave_token, _, _) = login.invite("dave", 24, "tanaka").unwrap();
    assert!(login.invitation(&dave_token).is_ok());
    db.exec("UPDATE invitations SET {user} = 'carol' WHERE {user} = 'dave'");
    assert!(login.invitation(&dave_token).is_err(), "its MAC binds it to dave");
    let cred = mx::PatternCredential::from_names(&CELLS, "xx", 2).unwrap();
    assert!(login.enroll(&dave_token, &cred).is_err(), "and it enrols nobody");
    assert!(problems(&login).is_empty(), "{:?}", problems(&login));
}

fn deleted_or_widened_windows_and_a_lifted_suspension_are_refused(db: &Db) {
    let login = db.node("a", TicketForm::Handle);
    for user in ["bob", "carol", "dave", "frank"] {
        pattern_user(&login, &db.keyring, user);
    }
    login.add_window("bob", T0, T0 + HOUR, "tanaka").unwrap();
    login.add_window("carol", T0, T0 + HOUR, "tanaka").unwrap();
    assert!(login.suspend("dave", "tanaka").unwrap());
    db.set(T0 + 2 * HOUR);
    for user in ["bob", "carol", "dave"] {
        assert!(!matches!(login_once(&login, user), Decision::Accepted(_)), "{user} before");
    }
    db.exec("DELETE FROM windows WHERE {user} = 'bob'");
    assert_tampered(&login, "bob", "access");
    db.exec("UPDATE windows SET ends_at = ends_at + 86400 WHERE {user} = 'carol'");
    assert_tampered(&login, "carol", "access");
    db.exec("UPDATE users SET suspended_at = NULL WHERE {user} = 'dave'");
    assert_tampered(&login, "dave", "access");
    db.exec(&format!(
        "INSERT INTO windows ({{user}}, starts_at, ends_at, created_at) VALUES ('frank', 0, {}, 0)",
        T0 + DAY
    ));
    assert_tampered(&login, "frank", "access");
}

fn a_deleted_role_is_refused_as_tampering(db: &Db) {
    let login = db.node("a", TicketForm::Handle);
    for user in ["tanaka", "suzuki", "vendor"] {
        pattern_user(&login, &db.keyring, user);
    }
    let roles = |r: &[&str]| r.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(login.set_roles("tanaka", &roles(&["admin"]), "root").unwrap());
    assert!(login.set_roles("suzuki", &roles(&["approver", "auditor"]), "root").unwrap());
    assert!(login.set_roles("nobody", &roles(&["admin"]), "root").is_ok_and(|ok| !ok));
    assert!(login.set_roles("vendor", &roles(&["root"]), "root").is_err(), "no such role");
    assert_eq!(login.store().load("suzuki").unwrap().unwrap().roles, roles(&["approver", "auditor"]));
    assert!(matches!(login_once(&login, "tanaka"), Decision::Accepted(_)));
    // Deleted, or given to a vendor, in the database: refused as tampering.
    db.exec("DELETE FROM roles WHERE {user} = 'tanaka'");
    assert_tampered(&login, "tanaka", "access");
    db.exec("DELETE FROM roles WHERE {user} = 'suzuki' AND role = 'auditor'");
    assert_tampered(&login, "suzuki", "access");
    db.exec("INSERT INTO roles ({user}, role) VALUES ('vendor', 'admin')");
    assert_tampered(&login, "vendor", "access");
    // And a change through the service does not bless it.
    assert!(login.set_roles("vendor", &[], "root").unwrap_err().contains("do not match their MAC"));
}

fn a_ticket_redeemed_again_after_its_claim_is_deleted_is_reported(db: &Db) {
    for (tickets, clear) in [
        (TicketForm::Handle, "UPDATE ticket_handles SET used_at = NULL"),
        (TicketForm::Signed, "DELETE FROM tickets"),
    ] {
        let a = db.node("a", tickets);
        let b = db.node("b", tickets);
        let user = if tickets == TicketForm::Handle { "alice" } else { "bert" };
        pattern_user(&a, &db.keyring, user);
        let Decision::Accepted(s) = login_once(&a, user) else { panic!() };
        let ticket = s.ticket.unwrap();
        // Shown under another name first: refused, and not used up for its owner.
        let d = a.redeem(&ticket, "vpn.test", Some("mallory"), Via::Radius("vpn.test"));
        assert!(!matches!(d, Decision::Accepted(_)), "{d:?}");
        let d = a.redeem(&ticket, "vpn.test", Some(user), Via::Radius("vpn.test"));
        assert!(matches!(d, Decision::Accepted(_)), "{tickets:?}: the owner still redeems it: {d:?}");
        let d = b.redeem(&ticket, "vpn.test", Some(user), Via::Radius("vpn.test"));
        assert!(!matches!(d, Decision::Accepted(_)), "{tickets:?}: once across the nodes");
        assert!(problems(&a).is_empty(), "{:?}", a.verify_audit(None).unwrap().findings);
        // The claim cleared in the database, then shown to a node that has not seen it.
        db.exec(clear);
        let c = db.node("c", tickets);
        let _ = c.redeem(&ticket, "vpn.test", Some(user), Via::Radius("vpn.test"));
        assert!(
            problems(&a).contains(&"replayed"),
            "{tickets:?}: {:?}",
            a.verify_audit(None).unwrap().findings
        );
        db.exec("DELETE FROM audit; DELETE FROM audit_heads; DELETE FROM users");
    }
}

/// Lines written on one node by logins, then each tampering on a copy.
fn some_lines(db: &Db) -> Arc<Login> {
    let login = db.node("a", TicketForm::Handle);
    pattern_user(&login, &db.keyring, "alice");
    for _ in 0..3 {
        wrong(&login, "alice");
    }
    assert!(matches!(login_once(&login, "alice"), Decision::Accepted(_)));
    login
}

fn audit_verify_reports_edited_removed_inserted_and_reordered_lines(db: &Db) {
    let login = some_lines(db);
    let report = login.verify_audit(None).unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    assert!(report.lines >= 8, "{}", report.lines);
    assert_eq!(report.nodes.get("a"), Some(&(1, report.lines as u64)));
    let ids = db.ints("SELECT id FROM audit ORDER BY id");
    // Edited: the third line says a failure was a success.
    db.exec(&format!("UPDATE audit SET line = replace(line, 'rejected', 'accepted') WHERE id = {}", ids[3]));
    let report = login.verify_audit(None).unwrap();
    assert_eq!(report.findings[0].kind, "edited", "{:?}", report.findings);
    assert_eq!(report.findings[0].id, Some(ids[3]), "the first bad line is named");
    db.exec(&format!("UPDATE audit SET line = replace(line, 'accepted', 'rejected') WHERE id = {}", ids[3]));
    assert!(problems(&login).is_empty(), "put back as it was: {:?}", problems(&login));
    // Removed from the middle.
    db.exec(&format!("CREATE TABLE saved AS SELECT * FROM audit WHERE id = {}", ids[2]));
    db.exec(&format!("DELETE FROM audit WHERE id = {}", ids[2]));
    assert_eq!(problems(&login), ["gap"]);
    db.exec("INSERT INTO audit SELECT * FROM saved; DROP TABLE saved");
    assert!(problems(&login).is_empty(), "{:?}", problems(&login));
    // Inserted without a MAC (the line a writer would like to be there).
    db.exec(&format!(
        "INSERT INTO audit (line) VALUES ('{{\"time\":{T0},\"user\":\"alice\",\"event\":\"unlocked\"}}')"
    ));
    assert_eq!(problems(&login), ["unchained"]);
    db.exec("DELETE FROM audit WHERE node IS NULL");
    // Reordered: two lines swap their places in the table.
    let (x, y) = (ids[1], ids[4]);
    db.exec(&format!(
        "UPDATE audit SET id = -1 WHERE id = {x}; UPDATE audit SET id = {x} WHERE id = {y};
         UPDATE audit SET id = {y} WHERE id = -1"
    ));
    assert_eq!(problems(&login), ["reordered"]);
    // Renumbered (moved to the end of the chain): its MAC covers its number.
    db.exec(&format!("UPDATE audit SET seq = seq + 1000 WHERE id = {}", ids[5]));
    assert!(problems(&login).contains(&"edited"), "{:?}", problems(&login));
}

fn a_cut_off_end_is_a_gap_the_running_node_logs(db: &Db) {
    let login = some_lines(db);
    let n = i64::try_from(login.verify_audit(None).unwrap().lines).unwrap();
    // The last two lines deleted: the head still says more.
    db.exec(&format!("DELETE FROM audit WHERE seq > {}", n - 2));
    assert_eq!(problems(&login), ["truncated"]);
    // And the head put back too: the node that wrote them still knows. It goes on from where it
    // was, after a `tampered` line, so the cut stays a gap.
    let mac_of = |seq: i64| format!("(SELECT mac FROM audit WHERE node = 'a' AND seq = {seq})");
    db.exec(&format!("UPDATE audit_heads SET seq = {}, mac = {} WHERE node = 'a'", n - 2, mac_of(n - 2)));
    wrong(&login, "alice");
    let lines = login.store().audit(None).unwrap();
    let tampered = lines.iter().find(|l| l.contains("audit_chain")).expect("a tampered line");
    let v: serde_json::Value = serde_json::from_str(tampered).unwrap();
    assert_eq!((v["seen"].as_i64(), v["found"].as_i64()), (Some(n), Some(n - 2)), "{v}");
    assert_eq!(problems(&login), ["gap"]);
}

fn audit_verify_reports_a_restored_older_state(db: &Db) {
    let login = db.node("a", TicketForm::Handle);
    pattern_user(&login, &db.keyring, "alice");
    prompt(&login, "alice");
    db.exec("CREATE TABLE saved AS SELECT state, version FROM users WHERE {user} = 'alice'");
    for _ in 0..3 {
        wrong(&login, "alice");
    }
    assert!(problems(&login).is_empty(), "{:?}", problems(&login));
    // The copy put back, seen by a node that never read the newer state (restarted).
    db.exec(
        "UPDATE users SET state = (SELECT state FROM saved), version = (SELECT version FROM saved)
         WHERE {user} = 'alice'",
    );
    drop(login);
    let login = db.node("a", TicketForm::Handle);
    assert_eq!(login.store().load("alice").unwrap().unwrap().state.consecutive_failures(), 0, "undone");
    let report = login.verify_audit(None).unwrap();
    let rollback = report.findings.iter().find(|f| f.kind == "rollback").expect("a rollback");
    assert!(rollback.detail.contains("\"alice\""), "{}", rollback.detail);
}

fn pruning_leaves_a_signed_marker_and_the_chain_still_checks(db: &Db) {
    let a = some_lines(db);
    let b = db.node("b", TicketForm::Handle);
    wrong(&b, "alice");
    db.set(T0 + 2 * DAY);
    wrong(&a, "alice");
    let line = a.prune_audit(1, false).unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(v["removed"].as_u64().unwrap() >= 8, "{v}");
    assert!(
        v["anchors"]["a"]["seq"].as_u64().is_some() && v["anchors"]["b"]["seq"].as_u64().is_some(),
        "{v}"
    );
    assert!(problems(&a).is_empty(), "the pruned range is not a gap: {:?}", problems(&a));
    // A second pruning removes the first marker; its anchors carry over (node b wrote nothing since).
    db.set(T0 + 4 * DAY);
    wrong(&a, "alice");
    assert!(a.prune_audit(1, false).unwrap().is_some());
    let report = a.verify_audit(None).unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    // The marker edited (an anchor moved on to hide lines): it no longer checks.
    db.exec("UPDATE audit SET line = replace(line, '\"removed\":', '\"removed\":1') WHERE line LIKE '%audit_pruned%'");
    assert!(problems(&a).contains(&"edited"), "{:?}", problems(&a));
    db.exec("UPDATE audit SET line = replace(line, '\"removed\":1', '\"removed\":') WHERE line LIKE '%audit_pruned%'");
    assert!(problems(&a).is_empty(), "{:?}", problems(&a));
    // Recent lines made to look old, to be pruned without a trace: the pruning keeps them.
    db.set(T0 + 6 * DAY);
    wrong(&a, "alice");
    db.exec(&format!("UPDATE audit SET line = replace(line, '\"time\":{}', '\"time\":{T0}')", T0 + 6 * DAY));
    if matches!(db.kind, Kind::Postgres { .. }) {
        db.exec(&format!("UPDATE audit SET time = {T0} WHERE time = {}", T0 + 6 * DAY));
    }
    let line = a.prune_audit(1, false).unwrap().unwrap();
    assert!(line.contains("\"refused\":[\"a\"]"), "{line}");
    assert!(problems(&a).contains(&"edited"), "{:?}", problems(&a));
}

fn two_nodes_keep_chains_of_their_own(db: &Db) {
    let a = db.node("a", TicketForm::Handle);
    let b = db.node("b", TicketForm::Handle);
    pattern_user(&a, &db.keyring, "alice");
    for i in 0..4 {
        wrong(if i % 2 == 0 { &a } else { &b }, "alice");
    }
    let report = a.verify_audit(None).unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    assert_eq!(report.nodes.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert!(report.nodes["b"].1 >= 2, "{:?}", report.nodes);
    assert_eq!(db.ints("SELECT seq FROM audit_heads ORDER BY node").len(), 2);
}

/// The attacker's review of the chain (issue 21): each finding, checked.
fn review_findings_hold(db: &Db) {
    let login = some_lines(db);
    // A restored older state, then used until its version passes the newest recorded: a version
    // written twice is still a rollback.
    db.exec("CREATE TABLE saved AS SELECT state, version FROM users WHERE {user} = 'alice'");
    wrong(&login, "alice");
    wrong(&login, "alice");
    db.exec(
        "UPDATE users SET state = (SELECT state FROM saved), version = (SELECT version FROM saved)
         WHERE {user} = 'alice'; DROP TABLE saved",
    );
    drop(login);
    let login = db.node("a", TicketForm::Handle);
    for _ in 0..3 {
        wrong(&login, "alice");
    }
    assert!(problems(&login).contains(&"rollback"), "{:?}", problems(&login));
    // An edited line whose time was moved out of the period asked for is still reported.
    let id = db.ints("SELECT MIN(id) FROM audit")[0];
    db.exec(&format!("UPDATE audit SET line = replace(line, '\"time\":{T0}', '\"time\":0') WHERE id = {id}"));
    let report = login.verify_audit(Some((T0, T0 + DAY))).unwrap();
    assert!(report.findings.iter().any(|f| f.kind == "edited" && f.id == Some(id)), "{:?}", report.findings);
    // A head row set back: reported, and the node's next line does not reuse a number.
    db.exec("UPDATE audit_heads SET seq = 1");
    assert!(problems(&login).contains(&"head"), "{:?}", problems(&login));
    drop(login);
    let login = db.node("a", TicketForm::Handle);
    wrong(&login, "alice");
    // A role row that is not a role (a comma, an empty one) is refused.
    pattern_user(&login, &db.keyring, "tanaka");
    assert!(login.set_roles("tanaka", &["admin".to_owned()], "root").unwrap());
    db.exec("UPDATE roles SET role = 'admin,' WHERE {user} = 'tanaka'");
    assert_tampered(&login, "tanaka", "access");
    if matches!(db.kind, Kind::Postgres { .. }) {
        // The time column exports and pruning go by, changed beside a genuine line.
        db.exec(&format!(
            "UPDATE audit SET time = 4102444800 WHERE id = {}",
            db.ints("SELECT MAX(id) FROM audit")[0]
        ));
        let report = login.verify_audit(None).unwrap();
        assert!(report.findings.iter().any(|f| f.detail.contains("time column")), "{:?}", report.findings);
    }
}
