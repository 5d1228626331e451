#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! One conformance suite for both stores (issue 14): every test below runs
//! against SQLite and against a real PostgreSQL. The PostgreSQL half needs
//! `MATRIXAUTH_TEST_DATABASE_URL` (a role that may create databases);
//! `scripts/cluster-test.sh` starts a throw-away cluster, sets it and runs
//! this file, so CI runs both halves. Each PostgreSQL test gets a database
//! of its own, dropped at the end.

mod common;

use std::sync::Arc;

use common::audited_authenticator;
use matrixauth_server::login::decoy::Kind;
use matrixauth_server::login::{Decision, Lock, Login, Via};
use matrixauth_server::store::{Invitation, LoginState, Migrate, Store, StoreError};

const T0: u64 = 1_800_000_000;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

/// A database both halves can open several handles on (several nodes).
enum Db {
    Sqlite(tempfile::TempDir, mx::Keyring),
    Postgres { url: String, admin: String, name: String, keyring: mx::Keyring },
}

impl Db {
    fn open(&self) -> Store {
        match self {
            Db::Sqlite(dir, k) => Store::open(&dir.path().join("db"), k.clone(), Migrate::Yes).unwrap(),
            Db::Postgres { url, keyring, .. } => Store::connect(url, keyring.clone(), Migrate::Yes).unwrap(),
        }
    }

    /// The login service over a new handle, its clock fixed at `now`.
    fn login(&self, policy: mx::Policy, now: u64) -> Arc<Login> {
        let clock = Arc::new(move || now);
        common::login_with(self.open(), self.keyring().clone(), clock, policy, 8 * 3600)
    }

    /// From now on, every row inserted, updated or deleted in `users`,
    /// `decoys` and `audit` is recorded (triggers), for [`Db::writes`].
    fn log_writes(&self) {
        match self {
            Db::Sqlite(dir, _) => {
                let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
                c.execute_batch("CREATE TABLE write_log (id INTEGER PRIMARY KEY, what TEXT NOT NULL);")
                    .unwrap();
                for table in ["users", "decoys", "audit"] {
                    for op in ["insert", "update", "delete"] {
                        c.execute_batch(&format!(
                            "CREATE TRIGGER log_{table}_{op} AFTER {op} ON {table}
                             BEGIN INSERT INTO write_log (what) VALUES ('{table} {op}'); END;"
                        ))
                        .unwrap();
                    }
                }
            }
            Db::Postgres { url, .. } => {
                let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                c.batch_execute(
                    "CREATE TABLE write_log (id BIGSERIAL PRIMARY KEY, what TEXT NOT NULL);
                     CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         INSERT INTO write_log (what) VALUES (TG_TABLE_NAME || ' ' || lower(TG_OP));
                         RETURN NULL;
                     END $$;
                     CREATE TRIGGER log_users AFTER INSERT OR UPDATE OR DELETE ON users
                         FOR EACH ROW EXECUTE FUNCTION log_write();
                     CREATE TRIGGER log_decoys AFTER INSERT OR UPDATE OR DELETE ON decoys
                         FOR EACH ROW EXECUTE FUNCTION log_write();
                     CREATE TRIGGER log_audit AFTER INSERT OR UPDATE OR DELETE ON audit
                         FOR EACH ROW EXECUTE FUNCTION log_write();",
                )
                .unwrap();
            }
        }
    }

    /// The rows written since the last call ("table op", in order).
    fn writes(&self) -> Vec<String> {
        match self {
            Db::Sqlite(dir, _) => {
                let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
                let out = c
                    .prepare("SELECT what FROM write_log ORDER BY id")
                    .unwrap()
                    .query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap();
                c.execute("DELETE FROM write_log", []).unwrap();
                out
            }
            Db::Postgres { url, .. } => {
                let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                let out = c
                    .query("SELECT what FROM write_log ORDER BY id", &[])
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect();
                c.execute("DELETE FROM write_log", &[]).unwrap();
                out
            }
        }
    }

    fn keyring(&self) -> &mx::Keyring {
        match self {
            Db::Sqlite(_, k) | Db::Postgres { keyring: k, .. } => k,
        }
    }

    /// Overwrites a user's state column with bytes that do not authenticate.
    fn corrupt(&self, user: &str) {
        match self {
            Db::Sqlite(dir, _) => {
                let c = rusqlite::Connection::open(dir.path().join("db")).unwrap();
                c.execute("UPDATE users SET state = x'00ff00ff' WHERE user = ?1", [user]).unwrap();
            }
            Db::Postgres { url, .. } => {
                let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                c.execute("UPDATE users SET state = '\\x00ff00ff'::bytea WHERE user_id = $1", &[&user])
                    .unwrap();
            }
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres { admin, name, .. } = self
            && let Ok(mut c) = ::postgres::Client::connect(admin, ::postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn keyring() -> mx::Keyring {
    mx::Keyring::new(&mx::Keyring::generate_key().unwrap()[..], 1).unwrap()
}

fn sqlite_db() -> Db {
    Db::Sqlite(tempfile::tempdir().unwrap(), keyring())
}

/// A fresh database on the server `MATRIXAUTH_TEST_DATABASE_URL` names.
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
    Some(Db::Postgres { url, admin, name, keyring: keyring() })
}

macro_rules! conformance {
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

conformance!(
    compare_and_swap_conflicts_rerun_and_a_losing_writer_logs_nothing,
    concurrent_wrong_answers_from_several_handles_count_exactly,
    decoys_are_stored_counted_exactly_and_pruned,
    tickets_are_redeemed_once_across_handles,
    corrupt_rows_are_reported_and_left_as_they_are,
    invitations_are_single_use_expire_and_are_replaced,
    windows_users_and_the_audit_log,
    suspensions_are_rows_every_handle_sees_and_audited_with_their_change,
    access_ends_at_the_latest_open_window,
    a_suspension_that_commits_during_a_login_makes_it_run_again,
    audit_rows_are_read_after_a_sequence_number_per_node,
    a_user_and_an_unknown_name_asked_again_write_the_same_rows,
    decoys_holding_a_lock_outlive_the_retention,
    requests_are_decided_once_across_handles_and_approval_adds_the_window,
    groups_are_added_removed_audited_and_go_with_the_user,
);

/// A chain for node `node` whose MAC is a stand-in (the store's tests need
/// only the sequence numbers), and its committed head.
fn chained(store: &Store, node: &str) -> tokio::sync::watch::Receiver<u64> {
    use matrixauth_server::store::chain::{Chain, GapLine, Link, Linker};
    let linker: Linker = Arc::new(|l: &Link<'_>| [u8::try_from(l.seq % 251).unwrap(); 32]);
    let gap: GapLine = Arc::new(|seen, found| {
        format!("{{\"time\":1,\"event\":\"tampered\",\"seen\":{seen},\"found\":{found}}}")
    });
    let chain = Chain::new(node.to_owned(), linker, gap);
    let head = chain.subscribe();
    store.set_chain(chain).unwrap();
    head
}

/// The syslog sender's reading (issue 24): a node's rows after a sequence
/// number, in order, a batch at a time, never another node's; and the head a
/// commit publishes.
fn audit_rows_are_read_after_a_sequence_number_per_node(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let (head_a, head_b) = (chained(&a, "node-a"), chained(&b, "node-b"));
    for i in 1..=5 {
        a.append_audit(&[format!("{{\"time\":{i},\"event\":\"a{i}\"}}")]).unwrap();
        b.append_audit(&[format!("{{\"time\":{i},\"event\":\"b{i}\"}}")]).unwrap();
    }
    // Two lines in one transaction: one commit, the head moves by two.
    a.append_audit(&["{\"time\":6,\"event\":\"a6\"}".into(), "{\"time\":6,\"event\":\"a7\"}".into()])
        .unwrap();
    assert_eq!((*head_a.borrow(), *head_b.borrow()), (7, 5));
    let all = a.audit_after("node-a", 0, 100).unwrap();
    let seqs: Vec<u64> = all.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7]);
    assert!(all.iter().all(|r| r.node.as_deref() == Some("node-a")));
    assert!(all[6].line.contains("\"a7\""), "{:?}", all[6]);
    let batch: Vec<u64> = b.audit_after("node-a", 2, 3).unwrap().iter().map(|r| r.seq).collect();
    assert_eq!(batch, [3, 4, 5], "another handle reads the same rows, a batch at a time");
    assert!(a.audit_after("node-a", 7, 100).unwrap().is_empty());
    let other: Vec<String> = a.audit_after("node-b", 4, 100).unwrap().into_iter().map(|r| r.line).collect();
    assert_eq!(other, ["{\"time\":5,\"event\":\"b5\"}"]);
    assert!(a.audit_after("node-c", 0, 100).unwrap().is_empty());
}

fn enrol(store: &Store, db: &Db, user: &str) {
    let sealed =
        mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().seal(db.keyring(), user).unwrap();
    assert!(
        store
            .create_user(user, &sealed, &mx::UserState::new(), T0, &["{\"time\":1,\"event\":\"x\"}".into()])
            .unwrap()
    );
    assert!(!store.create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap(), "taken");
}

fn audit_events(store: &Store) -> Vec<serde_json::Value> {
    store.audit(None).unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn compare_and_swap_conflicts_rerun_and_a_losing_writer_logs_nothing(db: &Db) {
    let (a, b) = (db.open(), db.open());
    enrol(&a, db, "alice");
    let policy = mx::Policy::default();
    let mut runs = 0;
    let out = b
        .update("alice", |r| {
            runs += 1;
            let (auth, events) = audited_authenticator(db.keyring(), &policy).unwrap();
            if runs == 1 {
                // Another node changes the state between this run's read and its write.
                a.update("alice", |r2| {
                    let (auth2, ev2) = audited_authenticator(db.keyring(), &policy).unwrap();
                    auth2.issue_challenge("alice", &mut r2.state, T0).unwrap();
                    ((), ev2.take())
                })
                .unwrap()
                .unwrap();
            }
            let ch = auth.issue_challenge("alice", &mut r.state, T0 + 1).unwrap();
            (ch.is_reissue(), events.take())
        })
        .unwrap()
        .unwrap();
    assert_eq!(runs, 2, "the lost run was re-run on the fresh state");
    assert!(out, "the re-run saw the other node's pending challenge");
    let kinds: Vec<String> = audit_events(&a)
        .iter()
        .filter(|e| e["event"].as_str().unwrap().starts_with("challenge"))
        .map(|e| format!("{}@{}", e["event"].as_str().unwrap(), e["time"]))
        .collect();
    // The lost run issued a new challenge at T0+1 on the stale state: that line was dropped with it.
    assert_eq!(kinds, [format!("challenge_issued@{T0}"), format!("challenge_reissued@{}", T0 + 1)]);
    assert!(b.update("nobody", |_| ((), Vec::new())).unwrap().is_none());
}

fn concurrent_wrong_answers_from_several_handles_count_exactly(db: &Db) {
    let first = db.open();
    enrol(&first, db, "alice");
    let handles: Vec<Arc<Store>> = (0..4).map(|_| Arc::new(db.open())).collect();
    let policy = mx::Policy::default();
    let threads: Vec<_> = handles
        .iter()
        .enumerate()
        .map(|(i, store)| {
            let store = Arc::clone(store);
            let keyring = db.keyring().clone();
            let policy = policy.clone();
            std::thread::spawn(move || {
                let mut rejected = 0;
                let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
                for n in 0..6 {
                    let now = T0 + n * 10 + i as u64;
                    let token = store
                        .update("alice", |r| {
                            let (auth, ev) = audited_authenticator(&keyring, &policy).unwrap();
                            (auth.issue_challenge("alice", &mut r.state, now).map(|c| c.token), ev.take())
                        })
                        .unwrap()
                        .unwrap();
                    let Ok(token) = token else { break }; // locked
                    let outcome = store
                        .update("alice", |r| {
                            let (auth, ev) = audited_authenticator(&keyring, &policy).unwrap();
                            let v = auth.verify(
                                "alice",
                                &cred,
                                &mut r.state,
                                &token,
                                &format!("0{i}pw{n}000"),
                                now,
                            );
                            (v.map(|v| v.outcome), ev.take())
                        })
                        .unwrap()
                        .unwrap();
                    if outcome == Ok(mx::Outcome::Rejected) {
                        rejected += 1;
                    }
                }
                rejected
            })
        })
        .collect();
    let rejected: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let state = first.load("alice").unwrap().unwrap().state;
    assert_eq!(state.failures_since_success(), rejected, "every rejected reply is a stored failure");
    assert!(rejected >= 5 && state.lock_at(T0 + 60).is_some(), "{rejected} failures, locked");
    let lines =
        audit_events(&first).iter().filter(|e| e["event"] == "verify" && e["outcome"] == "rejected").count();
    assert_eq!(lines, rejected as usize, "one audit line per counted failure, none from lost runs");
}

fn decoys_are_stored_counted_exactly_and_pruned(db: &Db) {
    let handles: Vec<Arc<Store>> = (0..4).map(|_| Arc::new(db.open())).collect();
    let policy = mx::Policy::default();
    let threads: Vec<_> = handles
        .iter()
        .map(|store| {
            let store = Arc::clone(store);
            let keyring = db.keyring().clone();
            let policy = policy.clone();
            std::thread::spawn(move || {
                let mut rejected = 0;
                for n in 0..4 {
                    let out = store
                        .update_login("mallory", T0 + n, |login| {
                            let LoginState::Decoy(state, None) = login else { panic!("not a decoy") };
                            let (auth, ev) = audited_authenticator(&keyring, &policy).unwrap();
                            let cred = auth.decoy_credential().unwrap();
                            let r = auth.issue_challenge("mallory", state, T0 + n).and_then(|c| {
                                auth.verify("mallory", &cred, state, &c.token, "00pw0000", T0 + n)
                            });
                            (r.map(|v| v.outcome), ev.take())
                        })
                        .unwrap();
                    if out == Ok(mx::Outcome::Rejected) {
                        rejected += 1;
                    }
                }
                rejected
            })
        })
        .collect();
    let rejected: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(rejected, 5, "a decoy locks after five counted failures, like a user");
    let store = db.open();
    assert_eq!(store.decoys().unwrap(), 1);
    let lines =
        audit_events(&store).iter().filter(|e| e["event"] == "verify" && e["outcome"] == "rejected").count();
    assert_eq!(lines, 5);
    // An id the core refuses runs on a default state and is not stored.
    let mut runs = 0;
    store
        .update_login("bad\u{0}", T0, |login| {
            assert!(matches!(login, LoginState::Decoy(s, None) if s.version() == 0));
            runs += 1;
            ((), Vec::new())
        })
        .unwrap();
    assert_eq!(runs, 1);
    assert_eq!(store.decoys().unwrap(), 1);
    assert_eq!(store.prune_decoys(T0).unwrap(), 0, "written at T0..T0+3");
    assert_eq!(store.prune_decoys(T0 + 100).unwrap(), 0, "locked for 15 minutes");
    assert_eq!(store.prune_decoys(T0 + 910).unwrap(), 1, "the lock is over");
    assert_eq!(store.decoys().unwrap(), 0);
}

fn tickets_are_redeemed_once_across_handles(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let id = [7u8; 32];
    assert!(a.claim_ticket(&id, T0 + 300).unwrap());
    assert!(!b.claim_ticket(&id, T0 + 300).unwrap(), "the other node sees the replay");
    assert!(!a.claim_ticket(&id, T0 + 300).unwrap());
    assert!(b.claim_ticket(&[8u8; 32], T0 + 300).unwrap());
    assert_eq!(a.prune_tickets(T0 + 300).unwrap(), 0, "kept until its expiry");
    assert_eq!(a.prune_tickets(T0 + 301).unwrap(), 2);
}

fn corrupt_rows_are_reported_and_left_as_they_are(db: &Db) {
    let store = db.open();
    enrol(&store, db, "alice");
    enrol(&store, db, "bob");
    db.corrupt("alice");
    assert!(matches!(store.load("alice"), Err(StoreError::Corrupt(_))));
    let r = store.update::<()>("alice", |_| panic!("never run on a corrupt record"));
    assert!(matches!(r, Err(StoreError::Corrupt(_))));
    let users = store.users().unwrap();
    assert!(users.iter().find(|u| u.user == "alice").unwrap().state.is_err());
    assert!(users.iter().find(|u| u.user == "bob").unwrap().state.is_ok(), "the others load");
    assert!(matches!(store.load("alice"), Err(StoreError::Corrupt(_))), "left as it is");
    // A state moved to another user does not load either (it is bound to its user).
    let bob = store.load("bob").unwrap().unwrap();
    let bytes = bob.state.to_bytes(db.keyring(), "bob").unwrap();
    assert!(mx::UserState::from_bytes(db.keyring(), "alice", &bytes).is_err());
}

fn invitations_are_single_use_expire_and_are_replaced(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let seal = |inv: &Invitation| -> Result<(Vec<u8>, Vec<String>), String> {
        let user = inv.user.as_str();
        let sealed =
            mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().seal(db.keyring(), user).unwrap();
        Ok((sealed, vec![format!("{{\"time\":{T0},\"user\":\"{user}\",\"event\":\"enrolled\"}}")]))
    };
    let (h1, h2, h3) = ([1u8; 32], [2u8; 32], [3u8; 32]);
    a.create_invitation("carol", &h1, T0, T0 + 100, &[], &[]).unwrap();
    assert_eq!(b.invitation(&h1, T0).unwrap().unwrap().user, "carol");
    assert_eq!(b.open_invitations(T0).unwrap().len(), 1);
    // A refused pattern leaves it unused.
    let r = b.enroll(&h1, T0, |_| Err::<(Vec<u8>, Vec<String>), _>("weak".to_owned())).unwrap();
    assert_eq!(r, Some(Err("weak".to_owned())));
    assert!(b.load("carol").unwrap().is_none());
    // Two nodes enrolling with one link at once: exactly one wins.
    let (sa, sb) = (Arc::new(db.open()), Arc::new(db.open()));
    let wins: Vec<bool> = [sa, sb]
        .into_iter()
        .map(|s| {
            let keyring = db.keyring().clone();
            std::thread::spawn(move || {
                s.enroll(&h1, T0 + 1, |inv| {
                    let c = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
                    Ok::<_, String>((c.seal(&keyring, &inv.user).unwrap(), Vec::new()))
                })
                .unwrap()
                .is_some()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
    assert!(a.load("carol").unwrap().is_some());
    assert_eq!(a.enroll(&h1, T0 + 2, seal).unwrap(), None, "used");
    // A newer invitation replaces an unused older one; expiry is exclusive.
    a.create_invitation("dave", &h2, T0, T0 + 100, &[], &[]).unwrap();
    a.create_invitation("dave", &h3, T0, T0 + 100, &[], &[]).unwrap();
    assert_eq!(b.invitation(&h2, T0).unwrap(), None);
    assert_eq!(b.enroll(&h3, T0 + 100, seal).unwrap(), None, "expired at T0+100");
    let ok = b.enroll(&h3, T0 + 99, seal).unwrap().unwrap().unwrap();
    assert_eq!(ok.user, "dave");
    assert!(audit_events(&a).iter().any(|e| e["event"] == "enrolled" && e["user"] == "dave"));
    // Re-enrolment keeps the state.
    let before = a.load("dave").unwrap().unwrap().state.to_bytes(db.keyring(), "dave").unwrap();
    let h4 = [4u8; 32];
    a.create_invitation("dave", &h4, T0, T0 + 100, &[], &[]).unwrap();
    b.enroll(&h4, T0 + 5, seal).unwrap().unwrap().unwrap();
    assert_eq!(a.load("dave").unwrap().unwrap().state.to_bytes(db.keyring(), "dave").unwrap(), before);
}

fn windows_users_and_the_audit_log(db: &Db) {
    let (a, b) = (db.open(), db.open());
    enrol(&a, db, "alice");
    assert!(b.in_window("alice", T0).unwrap(), "no windows: any time");
    let id = a
        .add_window("alice", T0 + 10, T0 + 20, T0, |id| format!("{{\"time\":{T0},\"window\":{id}}}"))
        .unwrap();
    assert!(!b.in_window("alice", T0).unwrap());
    assert!(b.in_window("alice", T0 + 10).unwrap());
    assert!(!b.in_window("alice", T0 + 20).unwrap(), "the end is exclusive");
    assert_eq!(b.windows("alice").unwrap().len(), 1);
    assert!(!b.remove_window("alice", id + 1, &[]).unwrap());
    assert!(b.remove_window("alice", id, &[]).unwrap());
    assert_eq!(a.enrolled_at("alice").unwrap(), Some(T0));
    assert!(b.remove_user("alice", &[format!("{{\"time\":{},\"event\":\"removed\"}}", T0 + 500)]).unwrap());
    assert!(!b.remove_user("alice", &[]).unwrap());
    assert!(a.load("alice").unwrap().is_none());
    // The audit log: ranges by `time`, tail, pruning with its own line in the same transaction.
    a.append_audit(&[format!("{{\"time\":{},\"event\":\"late\"}}", T0 + 1000)]).unwrap();
    let between = b.audit_between(T0, T0 + 1000).unwrap();
    assert_eq!(between.len(), 2, "the window's line and the removal; `to` is exclusive: {between:?}");
    assert_eq!(b.audit(Some(1)).unwrap().len(), 1);
    let removed = a
        .prune_audit(T0 + 600, |p| {
            Some(format!("{{\"time\":{},\"event\":\"pruned\",\"n\":{}}}", T0 + 600, p.removed))
        })
        .unwrap();
    assert_eq!(removed, 3, "enrol's line (time 1), the window's (T0) and the removal (T0+500)");
    let left: Vec<String> = b.audit(None).unwrap();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left[1].contains("pruned"));
    assert_eq!(b.schema_version().unwrap(), matrixauth_server::store::SCHEMA_VERSION);
}

fn suspensions_are_rows_every_handle_sees_and_audited_with_their_change(db: &Db) {
    let (a, b) = (db.open(), db.open());
    enrol(&a, db, "alice");
    enrol(&a, db, "bob");
    let line = |n: usize| vec![format!("{{\"time\":{T0},\"event\":\"suspension\",\"n\":{n}}}")];
    assert_eq!(a.set_suspended(Some("alice"), Some(T0), line).unwrap(), 1);
    assert!(b.load("alice").unwrap().unwrap().suspended, "the other handle (node) sees it at once");
    assert!(!b.load("bob").unwrap().unwrap().suspended);
    // Again: nothing changes, the first time stays.
    assert_eq!(b.set_suspended(Some("alice"), Some(T0 + 9), line).unwrap(), 0);
    assert_eq!(a.users().unwrap().iter().find(|u| u.user == "alice").unwrap().suspended_at, Some(T0));
    // Every user: only bob changes; then resume one.
    assert_eq!(b.set_suspended(None, Some(T0 + 10), line).unwrap(), 1);
    assert_eq!(a.set_suspended(Some("alice"), None, line).unwrap(), 1);
    let users = b.users().unwrap();
    assert_eq!(users.iter().map(|u| u.suspended_at.is_some()).collect::<Vec<_>>(), [false, true]);
    assert_eq!(a.set_suspended(Some("nobody"), Some(T0), line).unwrap(), 0);
    assert_eq!(a.set_suspended(Some("bad\u{0}id"), Some(T0), line).unwrap(), 0);
    let counts: Vec<u64> = audit_events(&a)
        .iter()
        .filter(|e| e["event"] == "suspension")
        .map(|e| e["n"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 0, 1, 1, 0], "each change's line in its transaction, with its count");
}

fn access_ends_at_the_latest_open_window(db: &Db) {
    use matrixauth_server::store::Access;
    let a = db.open();
    enrol(&a, db, "alice");
    assert_eq!(a.access("alice", T0).unwrap(), Access::Always);
    a.add_window("alice", T0, T0 + 100, T0, |_| String::from("{}")).unwrap();
    a.add_window("alice", T0 + 50, T0 + 300, T0, |_| String::from("{}")).unwrap();
    assert_eq!(a.access("alice", T0 + 10).unwrap(), Access::Until(T0 + 100));
    assert_eq!(
        a.access("alice", T0 + 60).unwrap(),
        Access::Until(T0 + 300),
        "the later end of two open windows"
    );
    assert_eq!(a.access("alice", T0 + 300).unwrap(), Access::Outside, "the end is exclusive");
    assert_eq!(a.access("nobody", T0).unwrap(), Access::Always);
}

/// The review's finding 7: a login that read the user as active does not
/// store its outcome once a suspension has committed meanwhile (on another
/// node); it runs again and sees the suspension.
fn a_suspension_that_commits_during_a_login_makes_it_run_again(db: &Db) {
    let (a, b) = (db.open(), db.open());
    enrol(&a, db, "alice");
    let policy = mx::Policy::default();
    let mut seen = Vec::new();
    let out = a
        .update("alice", |r| {
            seen.push(r.suspended);
            if seen.len() == 1 {
                b.set_suspended(Some("alice"), Some(T0), |_| Vec::new()).unwrap();
            }
            if r.suspended {
                return (false, Vec::new());
            }
            let (auth, ev) = audited_authenticator(db.keyring(), &policy).unwrap();
            auth.issue_challenge("alice", &mut r.state, T0).unwrap();
            (true, ev.take())
        })
        .unwrap()
        .unwrap();
    assert_eq!(seen, [false, true], "re-run on the suspended record");
    assert!(!out);
    assert_eq!(a.load("alice").unwrap().unwrap().state.pending_expires_at(), None, "nothing stored");
}

/// Issue 21, item 6: an unknown name asked again must cost the store what an
/// enrolled user asked again costs. The pending challenge is shown again and
/// nothing changes: one audit line, no state row written, for both. Before,
/// the decoy's row was rewritten on every request (40 to 55 µs more over
/// RADIUS, `docs/BENCHMARKS.md`), and an answer for a name nobody had asked
/// about stored a decoy row that held nothing.
fn a_user_and_an_unknown_name_asked_again_write_the_same_rows(db: &Db) {
    let login = db.login(mx::Policy::default(), T0);
    enrol(login.store(), db, "alice");
    enrol(login.store(), db, "bob");
    assert_eq!(login.decoy_kind("nobody"), Kind::Pattern, "compared with a pattern user");
    db.log_writes();
    let prompt = |user: &str| assert!(matches!(login.challenge(user, Via::Http), Decision::Prompt(_)));
    // A new challenge changes the state: the user's row is updated, the unknown name's row made.
    prompt("alice");
    assert_eq!(db.writes(), ["users update", "audit insert"]);
    prompt("nobody");
    assert_eq!(db.writes(), ["decoys insert", "audit insert"]);
    // Asked again within the challenge's life: the same challenge, only its audit line.
    for _ in 0..3 {
        prompt("alice");
        let user = db.writes();
        prompt("nobody");
        let unknown = db.writes();
        assert_eq!(user, ["audit insert"]);
        assert_eq!(unknown, user, "the unknown name's request writes what the user's writes");
    }
    // An answer with nothing pending changes nothing (`stale`): for a user, and for a name nobody
    // asked about, which gets no decoy row (it would hold nothing an attacker could see).
    let stale = |user: &str| {
        let d = login.answer(user, None, "00pw0000", Via::Http, None);
        assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Stale, .. }), "{user}: {d:?}");
    };
    stale("bob");
    let user = db.writes();
    stale("stranger");
    assert_eq!(user, ["audit insert"]);
    assert_eq!(db.writes(), user);
    assert_eq!(login.store().decoys().unwrap(), 1, "only the name that was shown a challenge");
}

/// Pruning (issue 21, item 3): a decoy is forgotten `DECOY_KEEP_SECONDS`
/// after its state last changed, never while it holds a lock, and a
/// permanently locked one never, like a user's lock. Its row is no longer
/// rewritten by requests that change nothing, so the lock is read from the
/// state, not from the row's `updated_at`.
fn decoys_holding_a_lock_outlive_the_retention(db: &Db) {
    use matrixauth_server::login::DECOY_KEEP_SECONDS;
    let policy = mx::Policy { max_total_failures: 2, ..mx::Policy::default() };
    let login = db.login(policy, T0);
    for _ in 0..2 {
        let Decision::Prompt(p) = login.challenge("mallory", Via::Http) else { panic!() };
        let d = login.answer("mallory", Some(p.token()), "00pw0000", Via::Http, None);
        assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, .. }), "{d:?}");
    }
    assert!(matches!(login.challenge("mallory", Via::Http), Decision::Locked(Lock::Permanent)));
    assert!(matches!(login.challenge("quiet", Via::Http), Decision::Prompt(_)));
    assert_eq!(login.store().decoys().unwrap(), 2);
    let later = T0 + DECOY_KEEP_SECONDS + 3600;
    assert_eq!(login.store().prune_decoys(T0).unwrap(), 0, "both written at T0");
    assert_eq!(login.store().prune_decoys(later).unwrap(), 1, "only the unlocked one");
    let login = db.login(mx::Policy { max_total_failures: 2, ..mx::Policy::default() }, later);
    let d = login.challenge("mallory", Via::Http);
    assert!(matches!(d, Decision::Locked(Lock::Permanent)), "locked for good, as a user is: {d:?}");
}

/// Maintenance requests (issue 23): filed on one handle (node), decided on
/// another, once; an approval adds the window in the same transaction; a
/// report only by its vendor and only once; invitation roles kept; a
/// suspension of every user leaves role holders alone.
fn requests_are_decided_once_across_handles_and_approval_adds_the_window(db: &Db) {
    use matrixauth_server::store::requests::{Decide, ReportFields, RequestFields, RequestState};
    let (a, b) = (db.open(), db.open());
    enrol(&a, db, "acme");
    enrol(&a, db, "staff");
    assert!(a.set_roles("staff", &["approver".to_owned()], &[]).unwrap());
    let fields = RequestFields {
        starts_at: T0 + 100,
        ends_at: T0 + 200,
        purpose: "p".into(),
        work: "w\nwith a line break".into(),
        targets: "t".into(),
        operator: "o".into(),
        manager_approval: "m".into(),
        notes: String::new(),
    };
    let line = |what: &str| vec![format!("{{\"time\":{T0},\"event\":\"{what}\"}}")];
    let id = a.file_request("acme", &fields, T0, |id| line(&format!("filed{id}"))).unwrap();
    let other = a.file_request("staff", &fields, T0, |_| line("filed")).unwrap();
    assert_ne!(id, other);
    let row = b.request(id).unwrap().unwrap();
    assert_eq!((row.vendor.as_str(), row.state, &row.fields), ("acme", Some(RequestState::Filed), &fields));
    assert_eq!(b.requests(Some("acme")).unwrap().len(), 1);
    assert_eq!(b.requests(None).unwrap().len(), 2);
    assert!(b.request(id + 100).unwrap().is_none());
    let approve = Decide::Approve { by: "staff", at: T0 + 1 };
    let window = b.decide_request(id, approve, |r, w| line(&format!("approved {} {w:?}", r.id))).unwrap();
    let window = window.unwrap().unwrap();
    let windows = a.windows("acme").unwrap();
    assert_eq!((windows[0].id, windows[0].starts_at, windows[0].ends_at), (window, T0 + 100, T0 + 200));
    // Decided once, whichever handle asks next.
    assert!(a.decide_request(id, approve, |_, _| line("again")).unwrap().is_none());
    let reject = Decide::Reject { by: "acme", at: T0 + 2, reason: "r" };
    assert!(a.decide_request(id, reject, |_, _| line("again")).unwrap().is_none());
    assert_eq!(a.windows("acme").unwrap().len(), 1);
    assert!(a.decide_request(other, reject, |_, _| line("rejected")).unwrap().unwrap().is_none());
    let row = a.request(other).unwrap().unwrap();
    assert_eq!(
        (row.state, row.reason.as_deref(), row.decided_by.as_deref()),
        (Some(RequestState::Rejected), Some("r"), Some("acme"))
    );
    let report = ReportFields {
        actual_from: T0 + 100,
        actual_to: T0 + 150,
        done: "d".into(),
        result: "r".into(),
        follow_up: String::new(),
    };
    assert!(!b.report_request(id, "staff", &report, T0 + 300, &line("nope")).unwrap(), "another vendor's");
    assert!(!b.report_request(other, "staff", &report, T0 + 300, &line("nope")).unwrap(), "not approved");
    assert!(b.report_request(id, "acme", &report, T0 + 300, &line("reported")).unwrap());
    assert!(!a.report_request(id, "acme", &report, T0 + 301, &line("nope")).unwrap(), "once");
    let row = a.request(id).unwrap().unwrap();
    assert_eq!(
        (row.state, row.report.as_ref(), row.reported_at),
        (Some(RequestState::Reported), Some(&report), Some(T0 + 300))
    );
    let events: Vec<String> =
        audit_events(&a).iter().filter_map(|e| e["event"].as_str().map(str::to_owned)).collect();
    assert_eq!(events.iter().filter(|e| *e == "nope" || *e == "again").count(), 0, "{events:?}");
    assert!(events.contains(&format!("approved {id} Some({window})")), "{events:?}");
    // Invitation roles: kept with the unused invitation, read back used or not.
    let hash = [7u8; 32];
    a.create_invitation("newbie", &hash, T0, T0 + 3600, &[1; 32], &[]).unwrap();
    assert!(b.invitation_roles(&hash).unwrap().is_none());
    assert!(b.set_invitation_roles(&hash, "auditor", &[2; 32]).unwrap());
    assert_eq!(a.invitation_roles(&hash).unwrap(), Some(("auditor".to_owned(), vec![2; 32])));
    assert!(!a.set_invitation_roles(&[8; 32], "admin", &[]).unwrap());
    // Everyone off: vendors only.
    assert_eq!(a.set_suspended(None, Some(T0), |_| Vec::new()).unwrap(), 1);
    assert!(b.load("acme").unwrap().unwrap().suspended);
    assert!(!b.load("staff").unwrap().unwrap().suspended);
    assert_eq!(b.set_suspended(None, None, |_| Vec::new()).unwrap(), 1);
    assert!(!a.load("acme").unwrap().unwrap().suspended);
}

/// Groups (issue 22): added, removed, audited, seen by every handle, removed with the user.
fn groups_are_added_removed_audited_and_go_with_the_user(db: &Db) {
    let login = db.login(mx::Policy::default(), T0);
    let other = db.open();
    enrol(login.store(), db, "alice");
    assert!(login.set_group("alice", "vpn-users", true, "op").unwrap());
    assert!(login.set_group("alice", "admins", true, "op").unwrap());
    assert!(login.set_group("alice", "admins", true, "op").unwrap(), "adding twice is no error");
    assert_eq!(other.groups("alice").unwrap(), ["admins", "vpn-users"], "sorted, seen by every handle");
    assert!(login.set_group("alice", "admins", false, "op").unwrap());
    assert_eq!(other.groups("alice").unwrap(), ["vpn-users"]);
    assert!(!login.set_group("nobody", "x", true, "op").unwrap(), "no such user");
    assert!(other.groups("nobody").unwrap().is_empty());
    assert!(login.set_group("alice", "bad\u{7}group", true, "op").is_err(), "control characters refused");
    assert!(login.set_group("alice", "", true, "op").is_err());
    let actions: Vec<String> = audit_events(login.store())
        .iter()
        .filter(|e| e["event"] == "admin")
        .map(|e| format!("{} {}", e["action"].as_str().unwrap(), e["group"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        ["group_add vpn-users", "group_add admins", "group_add admins", "group_remove admins"]
    );
    assert!(login.remove("alice", "op").unwrap());
    assert!(other.groups("alice").unwrap().is_empty(), "removed with the user");
}
