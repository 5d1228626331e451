//! Registered terminals (SPEC §16, issue 26): WebAuthn passkeys checked by
//! the login service before any grid, with a software authenticator built
//! here (P-256, CBOR and COSE by hand), and the RADIUS Calling-Station-Id
//! rule through the RADIUS door. Every refusal the issue lists has a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matrixauth_server::doors::radius::{Action, Client, Flow, Radius};
use matrixauth_server::login::terminal::{Grant, RadiusPolicy, TerminalConfig};
use matrixauth_server::login::{Decision, Login, Prompt, Terminal, TerminalOptions, Via};
use matrixauth_server::store::{Migrate, Store};
use radius::{Attribute, Code, Packet, attr};
use serde_json::{Value, json};

use common::webauthn::{Authenticator, BE, b64, unb64};

const T0: u64 = 1_800_000_000;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];
const ORIGIN: &str = "https://vpn.example.lg.jp";
const RP: &str = "vpn.example.lg.jp";
const SECRET: &str = "a shared secret of 30 chars!!!";

struct H {
    login: Arc<Login>,
    clock: Arc<AtomicU64>,
    keyring: mx::Keyring,
    _dir: tempfile::TempDir,
}

fn harness(required: bool, radius: RadiusPolicy) -> H {
    let dir = tempfile::tempdir().unwrap();
    let keyring = mx::Keyring::new(&[9; 32], 1).unwrap();
    let store = Store::open(&dir.path().join("db"), keyring.clone(), Migrate::Yes).unwrap();
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let login = common::login(store, keyring.clone(), Arc::new(move || c.load(Ordering::SeqCst)));
    login
        .configure_terminals(TerminalConfig {
            required,
            rp_id: RP.into(),
            rp_name: "test".into(),
            origins: vec![ORIGIN.into()],
            device_bound: true,
            radius,
        })
        .unwrap();
    let h = H { login, clock, keyring, _dir: dir };
    h.user("alice");
    h.user("bob");
    h
}

impl H {
    fn user(&self, user: &str) {
        let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
        let sealed = cred.seal(&self.keyring, user).unwrap();
        assert!(self.login.store().create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap());
    }

    /// Registers `a` for `user` through a terminal invitation.
    fn register(&self, user: &str, a: &Authenticator) -> i64 {
        let (token, _) = self.login.invite_terminal(user, 1, "test").unwrap();
        let (state, options) = self.login.terminal_registration_start(Grant::Invitation(&token)).unwrap();
        let options = json!({"publicKey": options["publicKey"]});
        let (owner, id) =
            self.login.terminal_registration_finish(&state, &a.register(&options, ORIGIN), None).unwrap();
        assert_eq!(owner, user);
        id
    }

    fn options(&self, user: &str) -> (String, Value) {
        match self.login.terminal_options(user).unwrap() {
            TerminalOptions::Assertion { state, options } => (state, options),
            TerminalOptions::NotRequired => panic!("no terminal asked of {user}"),
        }
    }

    fn gate(&self, user: &str, state: &str, credential: &str) -> Decision {
        self.login.challenge_with_terminal(user, Via::Http, Terminal::Assertion { state, credential })
    }

    /// Options, an assertion of `a`, and the gate's decision.
    fn login_with(&self, user: &str, a: &mut Authenticator) -> Decision {
        let (state, options) = self.options(user);
        let credential = a.assert(&options, ORIGIN, RP);
        self.gate(user, &state, &credential)
    }

    fn failures(&self, user: &str) -> u32 {
        self.login.store().load(user).unwrap().unwrap().state.failures_since_success()
    }

    fn audit(&self) -> String {
        self.login.store().audit(None).unwrap().join("\n")
    }
}

fn right(prompt: &Prompt) -> String {
    let Prompt::Grid { matrix, .. } = prompt else { panic!("not a grid") };
    mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().respond_matrix(matrix).unwrap().to_string()
}

fn prompt(d: Decision) -> Prompt {
    match d {
        Decision::Prompt(p) => p,
        other => panic!("no grid: {other:?}"),
    }
}

fn refused(d: &Decision) -> bool {
    matches!(d, Decision::Rejected { outcome: mx::Outcome::Rejected, .. } | Decision::Locked(_))
}

#[test]
fn a_registered_terminal_opens_the_grid_and_nothing_else_does() {
    let h = harness(true, RadiusPolicy::CallingStation);
    // No assertion: no grid, nothing counted.
    assert!(refused(&h.login.challenge("alice", Via::Http)), "the plain challenge is gated");
    assert_eq!(h.failures("alice"), 0);
    let mut a = Authenticator::new(1);
    h.register("alice", &a);
    let p = prompt(h.login_with("alice", &mut a));
    let answer = right(&p);
    // The grid's token carries the gate's tag: without it the right answer is a wrong one.
    let (inner, _) = p.token().rsplit_once('.').unwrap().0.rsplit_once('.').unwrap();
    let d = h.login.answer("alice", Some(inner), &answer, Via::Http, None);
    assert!(!matches!(d, Decision::Accepted(_)), "an untagged token: {d:?}");
    let p = prompt(h.login_with("alice", &mut a));
    let d = h.login.answer("alice", Some(p.token()), &right(&p), Via::Http, None);
    assert!(matches!(d, Decision::Accepted(_)), "{d:?}");
    let book = h.login.terminals_of("alice").unwrap();
    assert_eq!(book.terminals[0].counter, a.counter);
    assert_eq!(book.terminals[0].last_used_at, Some(T0));
    assert_eq!(book.terminals[0].name, "保守端末1");
    assert!(h.audit().contains("\"event\":\"terminal_used\""));
}

#[test]
fn users_who_do_not_require_terminals_are_not_asked() {
    let h = harness(false, RadiusPolicy::CallingStation);
    assert!(matches!(h.login.terminal_options("alice").unwrap(), TerminalOptions::NotRequired));
    prompt(h.login.challenge("alice", Via::Http));
    assert!(h.login.set_terminal_policy("alice", Some(true), "test").unwrap());
    assert!(matches!(h.login.terminal_options("alice").unwrap(), TerminalOptions::Assertion { .. }));
    assert!(refused(&h.login.challenge("alice", Via::Http)));
    assert!(!h.login.set_terminal_policy("nobody", Some(true), "test").unwrap());
}

#[test]
fn a_counter_that_does_not_grow_is_refused_and_counted() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    h.register("alice", &a);
    a.counter = 4;
    prompt(h.login_with("alice", &mut a)); // counter 5
    a.counter = 4; // the next assertion says 5 again: a clone?
    let d = h.login_with("alice", &mut a);
    assert!(refused(&d), "{d:?}");
    assert_eq!(h.failures("alice"), 1);
    a.counter = 2;
    assert!(refused(&h.login_with("alice", &mut a)), "a lower counter");
    assert!(h.audit().contains("\"reason\":\"counter\""));
    a.counter = 5;
    prompt(h.login_with("alice", &mut a)); // 6: on again
}

#[test]
fn a_credential_of_another_user_is_refused() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    let mut b = Authenticator::new(2);
    h.register("alice", &a);
    h.register("bob", &b);
    let d = h.login_with("alice", &mut b);
    assert!(refused(&d), "bob's terminal for alice: {d:?}");
    assert_eq!(h.failures("alice"), 1);
    // Bob's options answered by alice's terminal, too.
    let (state, options) = h.options("bob");
    assert!(refused(&h.gate("bob", &state, &a.assert(&options, ORIGIN, RP))));
    // Alice's ceremony presented for bob.
    let (state, options) = h.options("alice");
    assert!(refused(&h.gate("bob", &state, &a.assert(&options, ORIGIN, RP))));
    // The same credential cannot be registered to a second user.
    let (token, _) = h.login.invite_terminal("bob", 1, "test").unwrap();
    let (state, options) = h.login.terminal_registration_start(Grant::Invitation(&token)).unwrap();
    let again = h.login.terminal_registration_finish(&state, &a.register(&options, ORIGIN), None);
    assert!(again.is_err(), "alice's credential registered for bob");
}

#[test]
fn forged_and_replayed_assertions_are_refused() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    h.register("alice", &a);
    // Signed by another key under alice's credential id.
    let mut forger = Authenticator::new(9);
    forger.id.clone_from(&a.id);
    assert!(refused(&h.login_with("alice", &mut forger)), "forged signature");
    // An edited authenticator data after signing.
    let (state, options) = h.options("alice");
    let mut cred: Value = serde_json::from_str(&a.assert(&options, ORIGIN, RP)).unwrap();
    let mut data = unb64(cred["response"]["authenticatorData"].as_str().unwrap());
    data[36] = data[36].wrapping_add(100);
    cred["response"]["authenticatorData"] = json!(b64(&data));
    assert!(refused(&h.gate("alice", &state, &cred.to_string())), "edited counter");
    // Replays: the same response twice to its ceremony, and to a new ceremony.
    let (state, options) = h.options("alice");
    let good = a.assert(&options, ORIGIN, RP);
    prompt(h.gate("alice", &state, &good));
    assert!(refused(&h.gate("alice", &state, &good)), "replayed to its own ceremony");
    let (state2, _) = h.options("alice");
    assert!(refused(&h.gate("alice", &state2, &good)), "replayed to a new challenge");
    // Garbage.
    let (state, _) = h.options("alice");
    assert!(refused(&h.gate("alice", &state, "{\"id\":1}")));
    assert!(refused(&h.gate("alice", "no-such-state", &good)));
    // Five failures (the forged one, the edited one, two replays, the garbage): the fifth
    // locked, and the sixth met the lock and counted nothing.
    assert_eq!(h.failures("alice"), 5);
    assert!(matches!(h.gate("alice", "no-such-state", &good), Decision::Locked(_)));
}

#[test]
fn an_assertion_for_another_origin_or_rp_id_is_refused() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    h.register("alice", &a);
    let (state, options) = h.options("alice");
    let d = h.gate("alice", &state, &a.assert(&options, "https://evil.example", RP));
    assert!(refused(&d), "another origin: {d:?}");
    let (state, options) = h.options("alice");
    let d = h.gate("alice", &state, &a.assert(&options, ORIGIN, "evil.example"));
    assert!(refused(&d), "another RP id: {d:?}");
    // Registration from another origin, too.
    let (token, _) = h.login.invite_terminal("alice", 1, "test").unwrap();
    let (state, options) = h.login.terminal_registration_start(Grant::Invitation(&token)).unwrap();
    let b = Authenticator::new(3);
    assert!(
        h.login
            .terminal_registration_finish(&state, &b.register(&options, "https://evil.example"), None)
            .is_err()
    );
    prompt(h.login_with("alice", &mut a));
}

/// The shape of a JSON value: object keys and value kinds, string lengths
/// of ids (the challenge differs each time, its length does not).
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(s) => json!(format!("string of {}", s.len())),
        other => other.clone(),
    }
}

#[test]
fn unknown_ids_and_users_without_terminals_get_stable_decoys_of_the_same_shape() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    h.register("alice", &a);
    let (_, real) = h.options("alice");
    let (_, decoy) = h.options("mallory");
    let (_, decoy2) = h.options("mallory");
    let (_, bob) = h.options("bob"); // enrolled, no terminal yet
    assert_eq!(shape(&real), shape(&decoy), "real {real}\ndecoy {decoy}");
    assert_eq!(shape(&real), shape(&bob));
    let ids = |v: &Value| v["publicKey"]["allowCredentials"].clone();
    assert_eq!(ids(&decoy), ids(&decoy2), "stable per id");
    assert_ne!(ids(&decoy), ids(&bob));
    assert_ne!(decoy["publicKey"]["challenge"], decoy2["publicKey"]["challenge"]);
    assert_eq!(ids(&real)[0]["id"], json!(b64(&a.id)));
    // Answering a decoy fails like a wrong answer, on the decoy's state.
    let (state, options) = h.options("mallory");
    let d = h.gate("mallory", &state, &a.assert(&options, ORIGIN, RP));
    assert!(refused(&d), "{d:?}");
    let (state, options) = h.options("bob");
    assert!(refused(&h.gate("bob", &state, &a.assert(&options, ORIGIN, RP))));
    assert_eq!(h.failures("bob"), 1);
    // The portal's first step for an unknown id is a refusal like a user's.
    assert!(refused(&h.login.challenge("mallory", Via::Http)));
}

#[test]
fn failed_assertions_lock_the_user_as_wrong_answers_do() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    h.register("alice", &a);
    let mut b = Authenticator::new(2);
    let mut last = None;
    for _ in 0..5 {
        last = Some(h.login_with("alice", &mut b));
    }
    assert!(
        matches!(last, Some(Decision::Rejected { lock: Some(_), .. } | Decision::Locked(_))),
        "five failures lock: {last:?}"
    );
    let d = h.login_with("alice", &mut a);
    assert!(matches!(d, Decision::Locked(_)), "the right terminal while locked: {d:?}");
    // After the lock, the terminal works again.
    h.clock.fetch_add(3600, Ordering::SeqCst);
    prompt(h.login_with("alice", &mut a));
}

#[test]
fn a_revoked_terminal_is_refused() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    let id = h.register("alice", &a);
    prompt(h.login_with("alice", &mut a));
    assert!(
        h.login
            .change_terminal("alice", id, "terminal_revoke", "test", |t, now| {
                t.revoked_at = Some(now);
                Ok(())
            })
            .unwrap()
    );
    let d = h.login_with("alice", &mut a);
    assert!(refused(&d), "revoked: {d:?}");
    // A new invitation registers it again as a new terminal... no: the same credential id is taken.
    let mut c = Authenticator::new(4);
    h.register("alice", &c);
    prompt(h.login_with("alice", &mut c));
}

#[test]
fn a_synced_passkey_is_refused_when_terminals_must_be_device_bound() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    a.flags |= BE;
    let (token, _) = h.login.invite_terminal("alice", 1, "test").unwrap();
    let (state, options) = h.login.terminal_registration_start(Grant::Invitation(&token)).unwrap();
    let synced = h.login.terminal_registration_finish(&state, &a.register(&options, ORIGIN), None);
    assert!(synced.is_err(), "a backup-eligible credential registered");
    assert!(h.login.terminals_of("alice").unwrap().terminals.is_empty());
    // Registered device-bound, then asserting as backup-eligible (synced since): refused.
    let mut later = Authenticator::new(2);
    h.register("alice", &later);
    prompt(h.login_with("alice", &mut later));
    later.flags |= BE;
    let d = h.login_with("alice", &mut later);
    assert!(refused(&d), "backup-eligible at login: {d:?}");
    assert!(h.audit().contains("\"reason\":\"backup_eligible\""), "{}", h.audit());
}

#[test]
fn registration_needs_an_invitation_or_the_enrolment_grant_once() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let a = Authenticator::new(1);
    let grant = h.login.enrolment_grant("alice").unwrap();
    let (state, options) = h.login.terminal_registration_start(Grant::Enrolment(&grant)).unwrap();
    h.login.terminal_registration_finish(&state, &a.register(&options, ORIGIN), Some("保守端末A")).unwrap();
    assert_eq!(h.login.terminals_of("alice").unwrap().terminals[0].name, "保守端末A");
    // A second terminal on the same grant: refused (a vendor cannot add one alone).
    assert!(h.login.terminal_registration_start(Grant::Enrolment(&grant)).is_err());
    assert!(h.login.enrolment_grant("alice").is_none());
    // A forged grant, and a used invitation.
    let forged = format!("{}.AAAAAAAAAAAAAAAAAAAAAA.alice", T0 + 100);
    assert!(h.login.terminal_registration_start(Grant::Enrolment(&forged)).is_err());
    let (token, _) = h.login.invite_terminal("alice", 1, "test").unwrap();
    let b = Authenticator::new(2);
    let (state, options) = h.login.terminal_registration_start(Grant::Invitation(&token)).unwrap();
    h.login.terminal_registration_finish(&state, &b.register(&options, ORIGIN), None).unwrap();
    assert!(h.login.terminal_registration_start(Grant::Invitation(&token)).is_err(), "used");
    assert!(h.login.terminal_registration_start(Grant::Invitation("nonsense")).is_err());
    assert!(h.login.invite_terminal("nobody", 1, "test").is_err());
}

#[test]
fn a_terminal_row_edited_without_the_keyring_logs_in_no_more() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let mut a = Authenticator::new(1);
    let id = h.register("alice", &a);
    prompt(h.login_with("alice", &mut a));
    assert!(
        h.login
            .change_terminal("alice", id, "terminal_revoke", "test", |t, now| {
                t.revoked_at = Some(now);
                Ok(())
            })
            .unwrap()
    );
    // A database writer without the keyring un-revokes it (the MAC left as it was).
    let mut row = h.login.terminals_of("alice").unwrap().terminals.remove(0);
    row.revoked_at = None;
    h.login.store().write_terminal(matrixauth_server::store::TerminalWrite::Put(&row), &[]).unwrap();
    let d = h.login_with("alice", &mut a);
    assert!(refused(&d), "un-revoked without the keyring: {d:?}");
    // Or adds a RADIUS address to it.
    row.addresses = vec!["10.9.9.9".into()];
    h.login.store().write_terminal(matrixauth_server::store::TerminalWrite::Put(&row), &[]).unwrap();
    assert_eq!(Nas::new(&h.login).login("alice", Some("10.9.9.9")), Code::AccessReject);
}

// RADIUS: Calling-Station-Id against the user's registered terminal addresses.

fn radius_request(
    user: &str,
    password: &str,
    state: Option<&[u8]>,
    station: Option<&str>,
    n: u8,
) -> (Packet, Vec<u8>) {
    let mut auth = [n; 16];
    auth[1] = 0x42;
    let mut attributes = vec![
        Attribute::new(attr::USER_NAME, user.as_bytes()).unwrap(),
        Attribute::new(
            attr::USER_PASSWORD,
            &radius::hide_password(SECRET.as_bytes(), &auth, password.as_bytes()).unwrap(),
        )
        .unwrap(),
    ];
    if let Some(s) = state {
        attributes.push(Attribute::new(attr::STATE, s).unwrap());
    }
    if let Some(s) = station {
        attributes.push(Attribute::new(attr::CALLING_STATION_ID, s.as_bytes()).unwrap());
    }
    let p = Packet { code: Code::AccessRequest, identifier: n, authenticator: auth, attributes };
    let wire = p.encode_request(SECRET.as_bytes()).unwrap();
    (p, wire)
}

struct Nas {
    radius: Radius,
    n: std::cell::Cell<u8>,
}

impl Nas {
    fn new(login: &Arc<Login>) -> Self {
        let client = Client::new("vpn1", "127.0.0.0/8", SECRET, Flow::Challenge, false, false).unwrap();
        Nas { radius: Radius::new(Arc::clone(login), vec![client]), n: std::cell::Cell::new(0) }
    }

    fn send(&self, user: &str, password: &str, state: Option<&[u8]>, station: Option<&str>) -> Packet {
        self.n.set(self.n.get().wrapping_add(1));
        let (_, wire) = radius_request(user, password, state, station, self.n.get());
        match self.radius.handle(&wire, "127.0.0.1:40000".parse::<SocketAddr>().unwrap()) {
            Action::Reply(b) => Packet::decode(&b).unwrap(),
            Action::Drop(r) => panic!("dropped: {r}"),
        }
    }

    /// The challenge, then the right answer from `station`; the final code.
    fn login(&self, user: &str, station: Option<&str>) -> Code {
        let c = self.send(user, "", None, station);
        assert_eq!(c.code, Code::AccessChallenge, "every id gets a grid");
        let text: String =
            c.all(attr::REPLY_MESSAGE).map(|a| String::from_utf8(a.value().to_vec()).unwrap()).collect();
        let matrix = mx::Matrix::parse_text(text.split_once('\n').unwrap().1).unwrap();
        let answer = mx::PatternCredential::from_names(&CELLS, "pw", 2)
            .unwrap()
            .respond_matrix(&matrix)
            .unwrap()
            .to_string();
        self.send(user, &answer, c.get(attr::STATE), station).code
    }
}

#[test]
fn radius_requires_a_registered_calling_station_id() {
    let h = harness(true, RadiusPolicy::CallingStation);
    let nas = Nas::new(&h.login);
    let id = h.register("alice", &Authenticator::new(1));
    assert_eq!(nas.login("alice", Some("00-11-22-33-44-55")), Code::AccessReject, "no address registered");
    let addresses = vec!["00:11:22:33:44:55".to_owned(), "192.0.2.7".to_owned()];
    assert!(
        h.login
            .change_terminal("alice", id, "terminal_address", "test", |t, _| {
                t.addresses = addresses;
                Ok(())
            })
            .unwrap()
    );
    assert_eq!(nas.login("alice", Some("00-11-22-33-44-55")), Code::AccessAccept, "a registered MAC address");
    assert_eq!(nas.login("alice", Some("192.0.2.7")), Code::AccessAccept);
    assert_eq!(nas.login("alice", Some("00-11-22-33-44-56")), Code::AccessReject, "another address");
    assert_eq!(nas.login("alice", None), Code::AccessReject, "no Calling-Station-Id");
    // A network-only terminal of bob's.
    h.login.add_network_terminal("bob", "保守端末2", &["10.0.0.9".to_owned()], "test").unwrap();
    assert_eq!(nas.login("bob", Some("10.0.0.9")), Code::AccessAccept);
    assert_eq!(nas.login("bob", Some("192.0.2.7")), Code::AccessReject, "alice's address is not bob's");
    // Revoked: refused.
    assert!(
        h.login
            .change_terminal("alice", id, "terminal_revoke", "test", |t, now| {
                t.revoked_at = Some(now);
                Ok(())
            })
            .unwrap()
    );
    assert_eq!(nas.login("alice", Some("192.0.2.7")), Code::AccessReject, "revoked");
    // Users who do not require terminals are not asked.
    assert!(h.login.set_terminal_policy("alice", Some(false), "test").unwrap());
    assert_eq!(nas.login("alice", None), Code::AccessAccept);
}

#[test]
fn a_site_can_refuse_radius_to_users_who_require_terminals() {
    let h = harness(true, RadiusPolicy::Refuse);
    let nas = Nas::new(&h.login);
    h.login.add_network_terminal("alice", "保守端末1", &["10.0.0.9".to_owned()], "test").unwrap();
    assert_eq!(nas.login("alice", Some("10.0.0.9")), Code::AccessReject);
    assert!(h.login.set_terminal_policy("bob", Some(false), "test").unwrap());
    assert_eq!(nas.login("bob", None), Code::AccessAccept);
}

/// The options of a user with a terminal and of an unknown id cost about the same (the decoy
/// does a user's work: two reads, a MAC, a credential parsed). Paired rounds in a random order;
/// the medians must be within a factor of 1.5 of each other (a loose bound for a shared machine:
/// the figures are printed).
#[test]
fn decoy_options_cost_what_a_users_cost() {
    let h = harness(true, RadiusPolicy::CallingStation);
    h.register("alice", &Authenticator::new(1));
    let time = |user: &str| {
        let t = std::time::Instant::now();
        let _ = std::hint::black_box(h.login.terminal_options(user).unwrap());
        t.elapsed().as_nanos()
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..400u32 {
        let (k, u) = if i % 2 == 0 {
            let k = time("alice");
            (k, time("mallory"))
        } else {
            let u = time("mallory");
            (time("alice"), u)
        };
        if i >= 50 {
            known.push(k);
            unknown.push(u);
        }
    }
    known.sort_unstable();
    unknown.sort_unstable();
    let (mk, mu) = (known[known.len() / 2] as f64, unknown[unknown.len() / 2] as f64);
    println!(
        "terminal options: median {:.1} µs (user with a terminal), {:.1} µs (unknown id)",
        mk / 1e3,
        mu / 1e3
    );
    assert!(mu / mk < 1.5 && mk / mu < 1.5, "medians {mk} and {mu} ns");
}
