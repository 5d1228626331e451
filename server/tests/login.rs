//! The login service's decisions, without a socket (issue 20): pattern and
//! card dispatch, decoy kinds, suspension, access windows and the
//! session's end, tickets, and the audit lines each decision writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matrixauth_server::login::decoy::Kind;
use matrixauth_server::login::{Decision, Lock, Login, Prompt, Via};
use matrixauth_server::store::{Migrate, Store};
use serde_json::Value;

const T0: u64 = 1_800_000_000;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];
const HOUR: u64 = 3600;

struct H {
    login: Arc<Login>,
    clock: Arc<AtomicU64>,
    keyring: mx::Keyring,
    dir: tempfile::TempDir,
}

fn harness() -> H {
    harness_with(mx::Policy::default(), 8 * HOUR)
}

fn harness_with(policy: mx::Policy, session_max: u64) -> H {
    harness_tickets(policy, session_max, matrixauth_server::login::TicketForm::Handle)
}

fn harness_tickets(policy: mx::Policy, session_max: u64, tickets: matrixauth_server::login::TicketForm) -> H {
    let dir = tempfile::tempdir().unwrap();
    let keyring = mx::Keyring::new(&[9; 32], 1).unwrap();
    let store = Store::open(&dir.path().join("db"), keyring.clone(), Migrate::Yes).unwrap();
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let clock_fn = Arc::new(move || c.load(Ordering::SeqCst));
    let login = common::login_tickets(store, keyring.clone(), clock_fn, policy, session_max, tickets);
    H { login, clock, keyring, dir }
}

impl H {
    fn pattern_user(&self, user: &str) {
        let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
        let sealed = cred.seal(&self.keyring, user).unwrap();
        assert!(self.login.store().create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap());
    }

    fn card_user(&self, user: &str) -> mx::GridCard {
        self.login.issue_card(user, "test").unwrap()
    }

    fn set(&self, t: u64) {
        self.clock.store(t, Ordering::SeqCst);
    }

    fn prompt(&self, user: &str, via: Via<'_>) -> Prompt {
        match self.login.challenge(user, via) {
            Decision::Prompt(p) => p,
            other => panic!("no prompt for {user}: {other:?}"),
        }
    }

    /// The right answer to `user`'s prompt: from the pattern, or from `card`.
    fn right(prompt: &Prompt, card: Option<&mx::GridCard>) -> String {
        match (prompt, card) {
            (Prompt::Grid { matrix, .. }, _) => {
                let ch_digits: String = CELLS
                    .iter()
                    .map(|c| {
                        let cell = matrix.geometry().parse_cell(c).unwrap();
                        char::from(b'0' + matrix.get(cell).unwrap())
                    })
                    .collect();
                format!("{}pw{}", &ch_digits[..2], &ch_digits[2..])
            }
            (Prompt::Card { cells, .. }, Some(card)) => {
                cells.iter().map(|c| card.value_of(c).unwrap().to_string()).collect()
            }
            (Prompt::Card { .. }, None) => panic!("a card prompt needs the card"),
        }
    }

    fn login_once(&self, user: &str, card: Option<&mx::GridCard>, via: Via<'_>) -> Decision {
        let p = self.prompt(user, via);
        let answer = Self::right(&p, card);
        self.login.answer(user, Some(p.token()), &answer, via, Some("vpn.test"))
    }

    fn audit(&self) -> Vec<Value> {
        self.login.store().audit(None).unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn state(&self, user: &str) -> mx::UserState {
        self.login.store().load(user).unwrap().unwrap().state
    }
}

#[test]
fn a_pattern_user_is_shown_a_grid_and_accepted_with_a_session_end_and_a_ticket() {
    let h = harness();
    h.pattern_user("alice");
    let Decision::Accepted(session) = h.login_once("alice", None, Via::Http) else { panic!() };
    assert_eq!(session.user, "alice");
    assert_eq!(session.ends_at, T0 + 8 * HOUR, "no window: session.max_seconds");
    let ticket = session.ticket.unwrap();
    assert_eq!(ticket.len(), 56, "a handle: it fits any RADIUS password");
    let d = h.login.redeem(&ticket, "vpn.test", Some("alice"), Via::Radius("vpn.test"));
    assert!(matches!(&d, Decision::Accepted(s) if s.user == "alice" && s.ends_at == T0 + 8 * HOUR), "{d:?}");
    // Without an audience, no ticket.
    let p = h.prompt("alice", Via::Http);
    let answer = H::right(&p, None);
    let Decision::Accepted(s) = h.login.answer("alice", Some(p.token()), &answer, Via::Http, None) else {
        panic!()
    };
    assert!(s.ticket.is_none());
    // A wrong answer: rejected and counted.
    let p = h.prompt("alice", Via::Http);
    let d = h.login.answer("alice", Some(p.token()), "000000pw", Via::Http, None);
    assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None }), "{d:?}");
    assert_eq!(h.state("alice").consecutive_failures(), 1);
}

#[test]
fn a_card_holder_is_shown_their_cards_cells_at_every_door() {
    let h = harness();
    let card = h.card_user("erin");
    let p = h.prompt("erin", Via::Http);
    let Prompt::Card { serial, cells, remaining, .. } = &p else { panic!("{p:?}") };
    assert_eq!(serial, card.serial());
    assert_eq!(cells.len(), 3);
    assert_eq!(*remaining, Some(20));
    // The RADIUS door sees the same pending challenge.
    let again = h.prompt("erin", Via::Radius("vpn1"));
    assert_eq!(again.token(), p.token());
    let answer = H::right(&p, Some(&card));
    let d = h.login.answer("erin", None, &answer, Via::Radius("vpn1"), None);
    assert!(matches!(d, Decision::Accepted(_)), "{d:?}");
    assert_eq!(h.state("erin").card_cells_used(card.serial()), 3);
    assert!(matches!(h.login_once("erin", Some(&card), Via::Http), Decision::Accepted(_)));
}

#[test]
fn unknown_ids_get_decoys_whose_kind_is_stable_and_follows_the_sites_share() {
    let h = harness();
    // Only pattern users: still about 1 unknown id in 32 looks like a card holder, so the first
    // card issued changes no decoy and a card-kind reply never proves an account.
    h.pattern_user("alice");
    for i in 0..20 {
        h.pattern_user(&format!("p{i}"));
    }
    assert_eq!(h.login.refresh_share().unwrap(), 1);
    let ids: Vec<String> = (0..200).map(|i| format!("ghost{i}")).collect();
    let before: Vec<Kind> = ids.iter().map(|u| h.login.decoy_kind(u)).collect();
    let cards = before.iter().filter(|k| **k == Kind::Card).count();
    assert!((1..=20).contains(&cards), "{cards} of 200");
    for (u, kind) in ids.iter().zip(&before) {
        let is_card = matches!(h.prompt(u, Via::Http), Prompt::Card { .. });
        assert_eq!(is_card, *kind == Kind::Card);
    }
    h.card_user("zoe");
    assert_eq!(h.login.refresh_share().unwrap(), 1, "one card holder among 22 users: the same share");
    assert_eq!(ids.iter().map(|u| h.login.decoy_kind(u)).collect::<Vec<_>>(), before);
    // One card holder in two: about half the unknown ids look like card holders, each always
    // the same kind, with the same serial, at every door.
    for i in 0..20 {
        h.card_user(&format!("c{i}"));
    }
    assert_eq!(h.login.refresh_share().unwrap(), 16, "21 card holders, 21 pattern users");
    h.set(T0 + 1000); // past the decoys' pending challenges
    // Ids seen before keep their kind: a kind that changed would give them away as unknown.
    for (u, kind) in ids.iter().zip(&before) {
        assert_eq!(matches!(h.prompt(u, Via::Http), Prompt::Card { .. }), *kind == Kind::Card, "{u}");
    }
    let ids: Vec<String> = (0..200).map(|i| format!("phantom{i}")).collect();
    let kinds: Vec<Kind> = ids.iter().map(|u| h.login.decoy_kind(u)).collect();
    let cards = kinds.iter().filter(|k| **k == Kind::Card).count();
    assert!((60..=140).contains(&cards), "{cards} of 200 look like card holders");
    for (u, kind) in ids.iter().zip(&kinds) {
        let first = h.prompt(u, Via::Http);
        let second = h.prompt(u, Via::Radius("vpn1"));
        assert_eq!(first.token(), second.token(), "one pending challenge per id");
        match (kind, &first) {
            (Kind::Card, Prompt::Card { serial, cells, remaining, .. }) => {
                assert_eq!(serial.len(), 12);
                assert!(serial.starts_with("MX-"));
                assert_eq!(cells.len(), 3);
                assert_eq!(*remaining, Some(20), "a decoy card is as fresh as a new real one");
            }
            (Kind::Pattern, Prompt::Grid { .. }) => {}
            other => panic!("{u}: {other:?}"),
        }
    }
    // The serial is the id's own, across challenges and restarts of the service.
    let card_id = ids.iter().zip(&kinds).find(|(_, k)| **k == Kind::Card).unwrap().0;
    let Prompt::Card { serial: s1, token, .. } = h.prompt(card_id, Via::Http) else { panic!() };
    let d = h.login.answer(card_id, Some(&token), "000000", Via::Http, None);
    assert!(matches!(d, Decision::Rejected { .. }), "a decoy never logs in: {d:?}");
    let Prompt::Card { serial: s2, .. } = h.prompt(card_id, Via::Http) else { panic!() };
    assert_eq!(s1, s2);
}

#[test]
fn a_suspended_user_is_refused_like_a_wrong_answer_and_nothing_counts_on_their_state() {
    let h = harness();
    h.pattern_user("alice");
    let card = h.card_user("erin");
    assert!(h.login.suspend("alice", "tanaka").unwrap());
    assert!(!h.login.suspend("alice", "tanaka").unwrap(), "suspended already");
    let before = h.state("alice");
    // The right answer: never examined (a decoy credential answers for the suspended user), so
    // it is a wrong answer, audited as a suspended user's.
    let d = h.login_once("alice", None, Via::Http);
    assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None }), "{d:?}");
    // Wrong answers count on a shadow state: the user's own is untouched.
    for _ in 0..3 {
        let p = h.prompt("alice", Via::Radius("vpn1"));
        let d = h.login.answer("alice", Some(p.token()), "000000pw", Via::Radius("vpn1"), None);
        assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, .. }), "{d:?}");
    }
    assert_eq!(h.state("alice"), before, "no failure counted, no challenge stored on the user");
    let refused = h.audit().iter().filter(|e| e["event"] == "suspended_refused").count();
    assert_eq!(refused, 4);
    // Four answers so far on the shadow: the fifth locks it, right or wrong alike (the review
    // found that a right fifth answer, checked against the real pattern, did not).
    let d = h.login_once("alice", None, Via::Radius("vpn1"));
    assert!(matches!(d, Decision::Rejected { lock: Some(Lock::Until(_)), .. }), "{d:?}");
    assert!(h.audit().iter().filter(|e| e["event"] == "verify").all(|e| e["shadow"] == true));
    h.set(T0 + 2000); // past the lock of the shadow
    let last = h.audit().into_iter().rfind(|e| e["event"] == "suspended_refused").unwrap();
    assert_eq!(last["via"], "radius:vpn1");
    // A ticket issued before the suspension is refused too.
    assert!(h.login.resume("alice", "tanaka").unwrap());
    let Decision::Accepted(session) = h.login_once("alice", None, Via::Http) else { panic!() };
    assert!(h.login.suspend("alice", "tanaka").unwrap());
    let d = h.login.redeem(&session.ticket.unwrap(), "vpn.test", Some("alice"), Via::Radius("vpn.test"));
    assert!(matches!(d, Decision::Suspended), "{d:?}");
    // --all, then resume one: only that one gets in. A suspended card holder still gets card cells.
    assert_eq!(h.login.suspend_all("tanaka").unwrap(), 1, "erin; alice was suspended already");
    let p = h.prompt("erin", Via::Http);
    assert!(matches!(&p, Prompt::Card { serial, .. } if serial != card.serial()), "{p:?}");
    assert!(matches!(h.login_once("erin", Some(&card), Via::Http), Decision::Rejected { .. }));
    assert!(h.login.resume("erin", "tanaka").unwrap());
    assert!(matches!(h.login_once("erin", Some(&card), Via::Http), Decision::Accepted(_)));
    assert!(matches!(h.login_once("alice", None, Via::Http), Decision::Rejected { .. }));
    let actions: Vec<String> =
        h.audit().iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect();
    assert_eq!(actions, ["card_issued", "suspend", "resume", "suspend", "suspend_all", "resume"]);
}

#[test]
fn the_session_ends_with_the_access_window_or_after_session_max_seconds() {
    let h = harness_with(mx::Policy::default(), 2 * HOUR);
    h.pattern_user("alice");
    let Decision::Accepted(s) = h.login_once("alice", None, Via::Http) else { panic!() };
    assert_eq!(s.ends_at, T0 + 2 * HOUR, "no window: the site's longest session");
    // A window ending within the longest session ends the session.
    let id = h.login.add_window("alice", T0, T0 + HOUR + 17, "tanaka").unwrap();
    h.set(T0 + 60);
    let Decision::Accepted(s) = h.login_once("alice", None, Via::Radius("vpn1")) else { panic!() };
    assert_eq!(s.ends_at, T0 + HOUR + 17);
    // A longer one is cut at the longest session.
    h.login.add_window("alice", T0 + HOUR, T0 + 30 * HOUR, "tanaka").unwrap();
    h.set(T0 + 2 * HOUR);
    let Decision::Accepted(s) = h.login_once("alice", None, Via::Http) else { panic!() };
    assert_eq!(s.ends_at, T0 + 4 * HOUR);
    // Outside every window: a right answer is refused, counted as nothing, audited.
    assert!(h.login.remove_window("alice", id, "tanaka").unwrap());
    h.set(T0 + 31 * HOUR);
    let failures = h.state("alice").failures_since_success();
    assert!(matches!(h.login_once("alice", None, Via::Http), Decision::OutsideWindow));
    assert_eq!(h.state("alice").failures_since_success(), failures);
    assert_eq!(h.audit().last().unwrap()["event"], "outside_window");
}

#[test]
fn every_radius_decision_is_audited_once_in_the_same_transaction() {
    let h = harness();
    h.pattern_user("alice");
    let n = h.audit().len();
    let p = h.prompt("alice", Via::Radius("vpn1"));
    let d = h.login.answer("alice", Some(p.token()), &H::right(&p, None), Via::Radius("vpn1"), None);
    assert!(matches!(d, Decision::Accepted(_)));
    let lines = h.audit();
    let radius: Vec<&str> = lines[n..]
        .iter()
        .filter(|e| e["event"] == "radius")
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(radius, ["challenge", "accept"]);
    // The HTTP door writes no door line; a lock is `reject_locked` over RADIUS.
    let n = h.audit().len();
    h.login_once("alice", None, Via::Http);
    assert!(h.audit()[n..].iter().all(|e| e["event"] != "radius"));
    for _ in 0..5 {
        let p = h.prompt("alice", Via::Radius("vpn1"));
        h.login.answer("alice", Some(p.token()), "000000pw", Via::Radius("vpn1"), None);
    }
    let d = h.login.challenge("alice", Via::Radius("vpn1"));
    assert!(matches!(d, Decision::Locked(Lock::Until(_))), "{d:?}");
    assert_eq!(h.audit().last().unwrap()["decision"], "reject_locked");
}

/// The layout is the architecture (issue 20, item 1): a door never touches
/// the store, never writes an audit line and never uses another door.
#[test]
fn doors_neither_touch_the_store_nor_write_audit_lines_nor_use_each_other() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut doors = Vec::new();
    files(&root.join("doors"), &mut doors);
    assert!(doors.len() >= 5, "{doors:?}");
    for path in &doors {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.display();
        for banned in
            ["crate::store", ".store()", "AuditEvent", "\"event\"", "append_audit", "mx::Authenticator"]
        {
            assert!(!text.contains(banned), "{name} uses {banned}");
        }
        // Which door a file belongs to: the first name under doors/ (radius.rs and radius/ are one).
        let door = path.strip_prefix(root.join("doors")).unwrap().iter().next().unwrap().to_string_lossy();
        let other = if door.trim_end_matches(".rs") == "radius" { "http::" } else { "radius::" };
        let uses_other = text.lines().any(|l| l.trim_start().starts_with("use ") && l.contains(other));
        assert!(!uses_other, "{name} uses another door");
    }
    let service = std::fs::read_to_string(root.join("login/mod.rs")).unwrap();
    for banned in ["axum", "radius::", "hyper"] {
        assert!(!service.contains(banned), "the login service knows {banned}");
    }
}

/// The review's finding 9a: a signed ticket the core accepts but the service
/// then refuses (suspended, outside the period, another name) is logged as
/// refused with its reason, never as redeemed.
#[test]
fn a_signed_ticket_refused_by_the_service_is_never_logged_as_redeemed() {
    let h = harness_tickets(mx::Policy::default(), 8 * HOUR, matrixauth_server::login::TicketForm::Signed);
    h.pattern_user("alice");
    let ticket = |h: &H| match h.login_once("alice", None, Via::Http) {
        Decision::Accepted(s) => s.ticket.unwrap(),
        other => panic!("{other:?}"),
    };
    let t = ticket(&h);
    assert!(t.len() > 64, "the self-contained form");
    let d = h.login.redeem(&t, "vpn.test", Some("mallory"), Via::Radius("vpn.test"));
    assert!(matches!(d, Decision::Rejected { .. }), "{d:?}");
    let t = ticket(&h);
    h.login.suspend("alice", "tanaka").unwrap();
    assert!(matches!(h.login.redeem(&t, "vpn.test", None, Via::Http), Decision::Suspended));
    h.login.resume("alice", "tanaka").unwrap();
    let t = ticket(&h);
    assert!(matches!(h.login.redeem(&t, "vpn.test", None, Via::Http), Decision::Accepted(_)));
    let tickets: Vec<String> = h
        .audit()
        .iter()
        .filter(|e| e["event"].as_str().unwrap().starts_with("ticket_re"))
        .map(|e| format!("{}:{}", e["event"].as_str().unwrap(), e["reason"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(tickets, ["ticket_refused:wrong_user", "ticket_refused:suspended", "ticket_redeemed:-"]);
}

/// The review's finding 11: an id's decoy (or shadow) state never carries
/// over into its life as a user, or back.
#[test]
fn decoy_and_shadow_states_are_forgotten_at_enrolment_suspension_and_removal() {
    let h = harness();
    h.prompt("newbie", Via::Http);
    assert_eq!(h.login.decoys_remembered(), 1);
    let card = h.card_user("newbie");
    assert_eq!(h.login.decoys_remembered(), 0, "issuing the card forgot the decoy");
    h.login.suspend("newbie", "tanaka").unwrap();
    h.prompt("newbie", Via::Http);
    assert_eq!(h.login.decoys_remembered(), 1, "the shadow");
    h.login.resume("newbie", "tanaka").unwrap();
    assert_eq!(h.login.decoys_remembered(), 0, "resuming forgot the shadow");
    assert!(matches!(h.login_once("newbie", Some(&card), Via::Http), Decision::Accepted(_)));
    h.login.suspend("newbie", "tanaka").unwrap();
    h.prompt("newbie", Via::Http);
    assert!(h.login.remove("newbie", "tanaka").unwrap());
    assert_eq!(h.login.decoys_remembered(), 0, "removing forgot the shadow");
}

/// Issue 21, item 5: an older genuine state put back in the database (which
/// would undo counted failures and locks) is refused and audited by a node
/// that has seen a newer one; a user removed and enrolled again is not.
#[test]
fn a_rolled_back_state_is_refused_by_a_node_that_saw_a_newer_one() {
    let h = harness();
    h.pattern_user("alice");
    assert!(matches!(h.prompt("alice", Via::Http), Prompt::Grid { .. }));
    let db = rusqlite::Connection::open(h.dir.path().join("db")).unwrap();
    let saved: (Vec<u8>, i64) = db
        .query_row("SELECT state, version FROM users WHERE user = 'alice'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    for _ in 0..3 {
        let p = h.prompt("alice", Via::Http);
        h.login.answer("alice", Some(p.token()), "000000pw", Via::Http, None);
    }
    assert_eq!(h.state("alice").consecutive_failures(), 3);
    db.execute(
        "UPDATE users SET state = ?1, version = ?2 WHERE user = 'alice'",
        rusqlite::params![saved.0, saved.1],
    )
    .unwrap();
    assert!(matches!(h.login.challenge("alice", Via::Http), Decision::Internal));
    let last = h.audit().pop().unwrap();
    assert_eq!((last["event"].as_str(), last["what"].as_str()), (Some("tampered"), Some("state_rollback")));
    // Putting back the state read just before one guess is caught too (the node remembers the
    // version each guess wrote, not only the one it read).
    let bob = {
        h.pattern_user("bob");
        h.prompt("bob", Via::Http);
        db.query_row("SELECT state, version FROM users WHERE user = 'bob'", [], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap()
    };
    let p = h.prompt("bob", Via::Http);
    h.login.answer("bob", Some(p.token()), "000000pw", Via::Http, None);
    db.execute(
        "UPDATE users SET state = ?1, version = ?2 WHERE user = 'bob'",
        rusqlite::params![bob.0, bob.1],
    )
    .unwrap();
    assert!(matches!(h.login.challenge("bob", Via::Http), Decision::Internal));
    // Removed, then enrolled again: a new record, not a rollback.
    h.set(T0 + 1);
    assert!(h.login.remove("alice", "tanaka").unwrap());
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    let sealed = cred.seal(&h.keyring, "alice").unwrap();
    assert!(h.login.store().create_user("alice", &sealed, &mx::UserState::new(), T0 + 1, &[]).unwrap());
    assert!(matches!(h.login.challenge("alice", Via::Http), Decision::Prompt(_)));
}

/// Issue 21, item 3: someone who can write the database but lacks the
/// keyring deletes or widens a window, lifts a suspension or drops the
/// access MAC: every login of that user is then refused and audited as
/// tampering, never let in (at both the answer and the ticket).
#[test]
fn a_database_writer_cannot_open_access_by_editing_windows_or_suspensions() {
    let h = harness();
    let db = rusqlite::Connection::open(h.dir.path().join("db")).unwrap();
    let attacks: [(&str, &str); 5] = [
        ("bob", "DELETE FROM windows WHERE user = 'bob'"),
        ("carol", "UPDATE windows SET ends_at = ends_at + 86400 WHERE user = 'carol'"),
        ("dave", "UPDATE users SET suspended_at = NULL WHERE user = 'dave'"),
        ("erin", "UPDATE users SET access_mac = NULL WHERE user = 'erin'"),
        (
            "frank",
            "INSERT INTO windows (user, starts_at, ends_at, created_at) VALUES ('frank', 0, 9999999999, 0)",
        ),
    ];
    for (user, _) in &attacks {
        h.pattern_user(user);
    }
    h.login.add_window("bob", T0, T0 + HOUR, "tanaka").unwrap();
    h.login.add_window("carol", T0, T0 + HOUR, "tanaka").unwrap();
    h.login.add_window("frank", T0 + 10 * HOUR, T0 + 11 * HOUR, "tanaka").unwrap();
    assert!(h.login.suspend("dave", "tanaka").unwrap());
    h.set(T0 + 2 * HOUR); // outside bob's and carol's windows, before frank's
    for (user, _) in attacks.iter().filter(|(u, _)| *u != "erin") {
        assert!(!matches!(h.login_once(user, None, Via::Http), Decision::Accepted(_)), "{user} before");
    }
    for (user, sql) in &attacks {
        db.execute(sql, []).unwrap();
        let d = h.login.challenge(user, Via::Http);
        assert!(matches!(d, Decision::Internal), "{user}: {d:?}");
        let last = h.audit().pop().unwrap();
        assert_eq!(
            (last["event"].as_str(), last["what"].as_str(), last["user"].as_str()),
            (Some("tampered"), Some("access"), Some(*user))
        );
    }
    // An administrator's change does not re-sign a tampered row (the review: a window added
    // afterwards blessed the deleted one); suspending still works and keeps the row refused.
    let refused = h.login.add_window("bob", T0 + 3 * HOUR, T0 + 4 * HOUR, "tanaka").unwrap_err();
    assert!(refused.contains("do not match their MAC"), "{refused}");
    assert_eq!(h.login.suspend_all("tanaka").unwrap(), 5, "everyone not suspended yet, tampered rows too");
    h.login.resume("carol", "tanaka").unwrap();
    assert!(matches!(h.login.challenge("carol", Via::Http), Decision::Internal), "still refused");
    for (user, _) in &attacks {
        h.login.resume(user, "tanaka").unwrap();
    }
    // Legitimate changes through the service keep working, and a ticket's redemption checks too.
    h.pattern_user("gina");
    h.login.add_window("gina", T0, T0 + 30 * HOUR, "tanaka").unwrap();
    let Decision::Accepted(s) = h.login_once("gina", None, Via::Http) else { panic!() };
    db.execute("UPDATE windows SET starts_at = 0 WHERE user = 'gina'", []).unwrap();
    let d = h.login.redeem(&s.ticket.unwrap(), "vpn.test", Some("gina"), Via::Radius("vpn.test"));
    assert!(matches!(d, Decision::Internal), "{d:?}");
}

/// Rows from before schema 7 get their access MAC when the service first
/// opens the migrated store, and only then: a MAC removed later is tampering.
#[test]
fn the_migration_to_schema_7_seals_existing_users_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let keyring = mx::Keyring::new(&[9; 32], 1).unwrap();
    {
        // A store opened without the service writes no MAC (as before schema 7).
        let store = Store::open(&path, keyring.clone(), Migrate::Yes).unwrap();
        let sealed =
            mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().seal(&keyring, "old").unwrap();
        assert!(store.create_user("old", &sealed, &mx::UserState::new(), T0, &[]).unwrap());
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "DROP TABLE user_groups; DROP TABLE requests; ALTER TABLE invitations DROP COLUMN roles;
         ALTER TABLE invitations DROP COLUMN roles_mac;
         DROP INDEX audit_chain; DROP TABLE audit_heads; DROP TABLE roles;
             ALTER TABLE audit DROP COLUMN node; ALTER TABLE audit DROP COLUMN seq;
             ALTER TABLE audit DROP COLUMN prev; ALTER TABLE audit DROP COLUMN mac;
             ALTER TABLE audit DROP COLUMN subject; ALTER TABLE audit DROP COLUMN version;
             ALTER TABLE users DROP COLUMN access_mac; PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    let clock = || -> matrixauth_server::login::Clock { Arc::new(|| T0) };
    let login =
        common::login(Store::open(&path, keyring.clone(), Migrate::Yes).unwrap(), keyring.clone(), clock());
    assert!(matches!(login.challenge("old", Via::Http), Decision::Prompt(_)), "sealed at migration");
    drop(login);
    rusqlite::Connection::open(&path).unwrap().execute("UPDATE users SET access_mac = NULL", []).unwrap();
    let login = common::login(Store::open(&path, keyring.clone(), Migrate::Yes).unwrap(), keyring, clock());
    assert!(matches!(login.challenge("old", Via::Http), Decision::Internal), "not sealed again");
}

/// What a peer sends over EAP-MSCHAPv2 after typing `typed` (radius's reference MSCHAPv2).
fn nt_proof(typed: &str, user: &str) -> mx::NtProof {
    let (auth_challenge, peer_challenge) = ([7u8; 16], [8u8; 16]);
    let hash = radius::mschapv2::nt_password_hash(typed);
    mx::NtProof {
        authenticator_challenge: auth_challenge,
        peer_challenge,
        user_name: user.as_bytes().to_vec(),
        nt_response: radius::mschapv2::generate_nt_response(
            &auth_challenge,
            &peer_challenge,
            user.as_bytes(),
            &hash,
        ),
    }
}

#[test]
fn mschapv2_checks_the_pending_challenge_and_hands_out_keys_only_to_an_accepted_login() {
    let h = harness();
    h.pattern_user("alice");
    let card = h.card_user("erin");
    let via = Via::Radius("ikev2");
    // The grid shown on the portal, the answer proven over EAP-MSCHAPv2.
    let p = h.prompt("alice", Via::Http);
    let answer = H::right(&p, None);
    let (d, keys) = h.login.answer_mschapv2("alice", &nt_proof(&answer, "alice"), via);
    assert!(matches!(&d, Decision::Accepted(s) if s.user == "alice" && s.ticket.is_none()), "{d:?}");
    let want = radius::mschapv2::hash_nt_password_hash(&radius::mschapv2::nt_password_hash(&answer));
    assert_eq!(keys.unwrap().as_bytes(), &*want);
    // Replayed: nothing pending, refused, no keys.
    let (d, keys) = h.login.answer_mschapv2("alice", &nt_proof(&answer, "alice"), via);
    assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Stale, .. }), "{d:?}");
    assert!(keys.is_none());
    // A wrong answer: counted, no keys.
    h.prompt("alice", Via::Http);
    let (d, keys) = h.login.answer_mschapv2("alice", &nt_proof("000000pw", "alice"), via);
    assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None }), "{d:?}");
    assert!(keys.is_none());
    assert_eq!(h.state("alice").consecutive_failures(), 1);
    // A card holder types the values of the cells shown.
    let p = h.prompt("erin", Via::Http);
    let (d, keys) = h.login.answer_mschapv2("erin", &nt_proof(&H::right(&p, Some(&card)), "erin"), via);
    assert!(matches!(d, Decision::Accepted(_)) && keys.is_some(), "{d:?}");
    // An unknown id: a decoy, rejected like a wrong answer.
    h.prompt("mallory", Via::Http);
    let (d, keys) = h.login.answer_mschapv2("mallory", &nt_proof("123456pw", "mallory"), via);
    assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None }), "{d:?}");
    assert!(keys.is_none());
    // Suspended: the right answer is a wrong one, no keys, nothing on the user's state.
    assert!(h.login.suspend("alice", "tanaka").unwrap());
    let before = h.state("alice");
    let p = h.prompt("alice", Via::Http);
    let (d, keys) = h.login.answer_mschapv2("alice", &nt_proof(&H::right(&p, None), "alice"), via);
    assert!(matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None }), "{d:?}");
    assert!(keys.is_none());
    assert_eq!(h.state("alice"), before);
    // Outside the access period: refused, no keys.
    assert!(h.login.resume("alice", "tanaka").unwrap());
    h.login.add_window("alice", T0 + 10 * HOUR, T0 + 11 * HOUR, "tanaka").unwrap();
    let p = h.prompt("alice", Via::Http);
    let (d, keys) = h.login.answer_mschapv2("alice", &nt_proof(&H::right(&p, None), "alice"), via);
    assert!(matches!(d, Decision::OutsideWindow), "{d:?}");
    assert!(keys.is_none());
    let radius_lines = h.audit().iter().filter(|e| e["event"] == "radius").count();
    assert_eq!(radius_lines, 7, "each MSCHAPv2 decision is audited as a RADIUS one");
}
