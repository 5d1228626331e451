#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The RADIUS server's decisions, datagram in, datagram out (the real
//! radclient and pam_radius_auth peers are in scripts/radius-test.sh).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matrixauth_server::doors::http::{App, Config};
use matrixauth_server::doors::radius::rate::Drops;
use matrixauth_server::doors::radius::{Action, Client, Flow, Radius, RateLimits};
use radius::{Attribute, Code, Packet, attr};

const T0: u64 = 1_800_000_000;
const SECRET: &str = "a shared secret of 30 chars!!!";
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

struct H {
    radius: Radius,
    app: Arc<App>,
    clock: Arc<AtomicU64>,
    keyring: mx::Keyring,
    dir: tempfile::TempDir,
    next_id: std::cell::Cell<u8>,
}

fn harness(flow: Flow, legacy: bool) -> H {
    harness_named(flow, legacy, "vpn1", "alice")
}

/// A server whose one client (the tickets' audience) is called `client`,
/// with the pattern user `user` enrolled.
fn harness_named(flow: Flow, legacy: bool, client: &str, user: &str) -> H {
    let dir = tempfile::tempdir().unwrap();
    let (login, keyring, clock) = common::login_in(dir.path(), T0);
    let app = App::new(Config {
        login,
        audience: client.into(),
        assets: Some(dir.path().join("none")),
        appliance_url: None,
        origins: vec!["http://127.0.0.1:8080".into()],
        api_rate: matrixauth_server::doors::http::ApiRate::default(),
        trusted_proxies: Vec::new(),
        metrics_allow: Vec::new(),
    })
    .unwrap();
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    let sealed = cred.seal(&keyring, user).unwrap();
    assert!(app.login().store().create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap());
    let client = Client::new(client, "127.0.0.0/8", SECRET, flow, legacy, true).unwrap();
    H {
        radius: Radius::new(Arc::clone(app.login()), vec![client]),
        app,
        clock,
        keyring,
        dir,
        next_id: std::cell::Cell::new(0),
    }
}

const FROM: &str = "127.0.0.1:40000";

/// Requests made so far (see [`H::request`]).
static SENT: AtomicU64 = AtomicU64::new(0);

impl H {
    fn request(
        &self,
        user: &str,
        password: &str,
        state: Option<&[u8]>,
        extra: Vec<Attribute>,
    ) -> (Packet, Vec<u8>) {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let mut auth = [0u8; 16];
        auth[0] = id;
        auth[1..9].copy_from_slice(&self.clock.load(Ordering::SeqCst).to_be_bytes());
        // Past 256 requests in one second the Identifier repeats: a count keeps each request new.
        auth[9..16].copy_from_slice(&SENT.fetch_add(1, Ordering::SeqCst).to_be_bytes()[1..]);
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
        attributes.extend(extra);
        let p = Packet { code: Code::AccessRequest, identifier: id, authenticator: auth, attributes };
        let wire = p.encode_request(SECRET.as_bytes()).unwrap();
        (p, wire)
    }

    fn send(&self, wire: &[u8]) -> Option<Packet> {
        match self.radius.handle(wire, FROM.parse::<SocketAddr>().unwrap()) {
            Action::Reply(bytes) => {
                let p = Packet::decode(&bytes).unwrap();
                Some(p)
            }
            Action::Drop(_) => None,
        }
    }

    fn login(&self, user: &str, password: &str, state: Option<&[u8]>) -> Packet {
        let (req, wire) = self.request(user, password, state, Vec::new());
        let bytes = match self.radius.handle(&wire, FROM.parse().unwrap()) {
            Action::Reply(b) => b,
            Action::Drop(r) => panic!("dropped: {r}"),
        };
        assert!(radius::response_is_authentic(SECRET.as_bytes(), &req.authenticator, &bytes));
        let p = Packet::decode(&bytes).unwrap();
        assert_eq!(p.attributes[0].kind, attr::MESSAGE_AUTHENTICATOR, "Message-Authenticator first");
        p
    }

    fn failures(&self, user: &str) -> u32 {
        self.app.login().store().load(user).unwrap().unwrap().state.failures_since_success()
    }
}

fn text(p: &Packet) -> String {
    p.all(attr::REPLY_MESSAGE).map(|a| String::from_utf8(a.value().to_vec()).unwrap()).collect()
}

fn answer_from(text: &str) -> String {
    let matrix = mx::Matrix::parse_text(text.split_once('\n').unwrap().1).unwrap();
    mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().respond_matrix(&matrix).unwrap().to_string()
}

#[test]
fn challenge_flow_logs_in_and_audits_the_client() {
    let h = harness(Flow::Challenge, false);
    let c = h.login("alice", "", None);
    assert_eq!(c.code, Code::AccessChallenge);
    let state = c.get(attr::STATE).unwrap().to_vec();
    assert_eq!(c.get(attr::SESSION_TIMEOUT), Some(&180u32.to_be_bytes()[..]));
    let answer = answer_from(&text(&c));
    let accept = h.login("alice", &answer, Some(&state));
    assert_eq!(accept.code, Code::AccessAccept, "{}", text(&accept));
    // The same answer again with a new request (not a retransmission): the challenge was used.
    let again = h.login("alice", &answer, Some(&state));
    assert_eq!(again.code, Code::AccessReject);
    let audit = h.app.login().store().audit(None).unwrap().join("\n");
    assert!(audit.contains("\"client\":\"vpn1\"") && audit.contains("\"decision\":\"accept\""), "{audit}");
    assert!(!audit.contains(&answer), "no answer in the audit log");
}

#[test]
fn retransmissions_get_the_cached_reply_and_are_verified_once() {
    let h = harness(Flow::Challenge, false);
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    let (_, wire) = h.request("alice", "00pw0000", Some(&state), Vec::new());
    let first = h.send(&wire).unwrap();
    assert_eq!(first.code, Code::AccessReject);
    for _ in 0..5 {
        assert_eq!(h.send(&wire).unwrap(), first, "a retransmission gets the same reply");
    }
    assert_eq!(h.failures("alice"), 1, "verified once, counted once");
    // After 30 s the same datagram is a new request (and, its challenge used, a rejection).
    h.clock.fetch_add(31, Ordering::SeqCst);
    let _ = h.send(&wire);
}

#[test]
fn otp_flow_answers_the_pending_challenge_and_tickets_log_in_once() {
    let h = harness(Flow::Otp, false);
    // The portal showed the grid: issue through the same app.
    let (auth, _) = common::audited_authenticator(&h.keyring, &mx::Policy::default()).unwrap();
    let mut record = h.app.login().store().load("alice").unwrap().unwrap();
    let ch = auth.issue_challenge("alice", &mut record.state, T0).unwrap();
    h.app
        .login()
        .store()
        .update("alice", |r| {
            r.state = record.state.clone();
            ((), Vec::new())
        })
        .unwrap();
    let answer = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap().respond(&ch).unwrap();
    assert_eq!(h.login("alice", &answer, None).code, Code::AccessAccept);
    assert_eq!(h.login("alice", &answer, None).code, Code::AccessReject, "nothing pending any more");
    let ticket = auth.issue_ticket("alice", "vpn1", T0).unwrap();
    assert_eq!(h.login("alice", &ticket, None).code, Code::AccessAccept);
    assert_eq!(h.login("alice", &ticket, None).code, Code::AccessReject, "a ticket logs in once");
    let other = auth.issue_ticket("alice", "another-appliance", T0).unwrap();
    assert_eq!(h.login("alice", &other, None).code, Code::AccessReject, "another audience");
    let bobs = auth.issue_ticket("bob", "vpn1", T0).unwrap();
    assert_eq!(h.login("alice", &bobs, None).code, Code::AccessReject, "another user's ticket");
}

#[test]
fn blastradius_rules_and_proxy_state() {
    let h = harness(Flow::Challenge, false);
    // No Message-Authenticator, client not legacy: dropped.
    let (req, _) = h.request("alice", "", None, Vec::new());
    let bare = Packet { attributes: req.attributes.clone(), ..req.clone() }.encode().unwrap();
    assert!(h.send(&bare).is_none());
    // Wrong secret: dropped.
    let wrong = req.encode_request(b"not the shared secret at all").unwrap();
    assert!(h.send(&wrong).is_none());
    // Unknown address: dropped.
    let good = req.encode_request(SECRET.as_bytes()).unwrap();
    assert_eq!(
        h.radius.handle(&good, "192.0.2.1:1812".parse().unwrap()),
        Action::Drop("unknown client address")
    );
    // Proxy-State copied back unchanged and in order.
    let (_, wire) = h.request(
        "alice",
        "",
        None,
        vec![
            Attribute::new(attr::PROXY_STATE, b"one").unwrap(),
            Attribute::new(attr::PROXY_STATE, b"two").unwrap(),
        ],
    );
    let reply = h.send(&wire).unwrap();
    let proxy: Vec<&[u8]> = reply.all(attr::PROXY_STATE).map(Attribute::value).collect();
    assert_eq!(proxy, [&b"one"[..], &b"two"[..]]);
    // Status-Server is answered (with a Message-Authenticator only).
    let status =
        Packet { code: Code::StatusServer, identifier: 1, authenticator: [9; 16], attributes: Vec::new() };
    let reply = h.send(&status.encode_request(SECRET.as_bytes()).unwrap()).unwrap();
    assert_eq!(reply.code, Code::AccessAccept);
    let bare_status = status.encode().unwrap();
    assert!(h.send(&bare_status).is_none());
    // A legacy client may omit it.
    let legacy = harness(Flow::Challenge, true);
    assert_eq!(legacy.send(&bare).unwrap().code, Code::AccessChallenge);
}

#[test]
fn locked_and_unknown_users_get_the_same_kinds_of_reply() {
    let h = harness(Flow::Challenge, false);
    for _ in 0..5 {
        let c = h.login("alice", "", None);
        let state = c.get(attr::STATE).unwrap().to_vec();
        assert_eq!(h.login("alice", "00pw0000", Some(&state)).code, Code::AccessReject);
    }
    let locked = h.login("alice", "", None);
    assert_eq!(locked.code, Code::AccessReject);
    assert!(text(&locked).contains("Locked until 2027-01-15 08:15 UTC"), "{}", text(&locked));
    // An unknown user: a decoy challenge of the same shape, and after five failures the same lock.
    let decoy = h.login("nobody", "", None);
    assert_eq!(decoy.code, Code::AccessChallenge);
    assert_eq!(decoy.attributes.len(), h.login("carol", "", None).attributes.len());
    for _ in 0..5 {
        let c = h.login("nobody", "", None);
        let state = c.get(attr::STATE).unwrap().to_vec();
        let answer = answer_from(&text(&c)); // even the enrolled pattern's answer never logs a decoy in
        assert_eq!(h.login("nobody", &answer, Some(&state)).code, Code::AccessReject);
    }
    assert!(text(&h.login("nobody", "", None)).contains("Locked until"));
    // Failure replies say nothing about why.
    let c = h.login("carol", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    assert_eq!(text(&h.login("carol", "1", Some(&state))), "Login failed / ログインできません");
}

#[test]
fn hostile_datagrams_are_dropped_and_change_nothing() {
    let h = harness(Flow::Challenge, false);
    let before = h.app.login().store().load("alice").unwrap().unwrap().state;
    let (_, good) = h.request("alice", "", None, Vec::new());
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let from: SocketAddr = FROM.parse().unwrap();
    for i in 0..10_000 {
        let datagram: Vec<u8> = match i % 4 {
            0 => (0..(next() % 5000) as usize).map(|_| next() as u8).collect(),
            1 => good[..(next() as usize % good.len())].to_vec(),
            2 => {
                let mut d = good.clone();
                let at = 20 + (next() as usize % (d.len() - 20));
                d[at] ^= 1 + (next() % 255) as u8; // always a change
                d
            }
            _ => {
                let mut d = good.clone();
                let len = (next() % 65_536) as u16;
                let len = if usize::from(len) == good.len() { len + 1 } else { len };
                d[2..4].copy_from_slice(&len.to_be_bytes());
                d
            }
        };
        assert!(matches!(h.radius.handle(&datagram, from), Action::Drop(_) | Action::Reply(_)));
    }
    assert!(h.radius.dropped() > 9_000);
    assert_eq!(h.app.login().store().load("alice").unwrap().unwrap().state, before, "no state changed");
    // And it still serves.
    assert_eq!(h.login("alice", "", None).code, Code::AccessChallenge);
}

/// The value of `cell` ("B3") on a printed card (`matrixauth card`'s output).
fn card_value(card_text: &str, cell: &str) -> String {
    let col = usize::from(cell.as_bytes()[0] - b'A');
    let row: usize = cell[1..].parse().unwrap();
    let line = card_text.lines().find(|l| l.split_whitespace().next() == Some(&row.to_string())).unwrap();
    line.split_whitespace().nth(1 + col).unwrap().to_owned()
}

/// Posts JSON to the portal of `h` (the same login service as its RADIUS door).
fn portal(h: &H, uri: &str, body: &serde_json::Value) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let router = matrixauth_server::doors::http::router(Arc::clone(&h.app));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let req = axum::http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("content-type", "application/json")
            .header("origin", "http://127.0.0.1:8080")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    })
}

/// Issue 20, item 3: a card holder logs in at both doors, from one pending
/// challenge: cells asked over RADIUS are the cells the portal shows.
#[test]
fn card_holders_log_in_over_radius_and_on_the_portal() {
    let h = harness(Flow::Challenge, false);
    let text_card = matrixauth_server::admin::issue_card(h.app.login(), "erin").unwrap();
    assert!(matrixauth_server::admin::issue_card(h.app.login(), "erin").is_err(), "once");
    let serial = &text_card[10..22];
    let c = h.login("erin", "", None);
    assert_eq!(c.code, Code::AccessChallenge);
    let prompt = text(&c);
    let cells: Vec<&str> = prompt.rsplit_once("cells ").unwrap().1.split_whitespace().collect();
    assert_eq!(cells.len(), 3, "{prompt}");
    assert!(prompt.contains(serial), "{prompt}");
    // The portal shows the same pending challenge: the card's serial and the same cells.
    let (status, ch) = portal(&h, "/api/challenge", &serde_json::json!({"user": "erin"}));
    assert_eq!(status, axum::http::StatusCode::OK);
    assert_eq!(
        (ch["kind"].as_str(), ch["serial"].as_str(), ch["reissue"].as_bool()),
        (Some("card"), Some(serial), Some(true))
    );
    let shown: Vec<&str> = ch["cells"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(shown, cells);
    let answer: String = cells.iter().map(|cell| card_value(&text_card, cell)).collect();
    let state = c.get(attr::STATE).unwrap().to_vec();
    let accept = h.login("erin", &answer, Some(&state));
    assert_eq!(accept.code, Code::AccessAccept);
    let record = h.app.login().store().load("erin").unwrap().unwrap();
    assert_eq!(record.state.card_cells_used(serial), 3, "the answered cells are used");
    // Then on the portal alone: new cells, the answer from the card, a ticket for the appliance.
    let (_, ch) = portal(&h, "/api/challenge", &serde_json::json!({"user": "erin"}));
    assert_eq!(ch["reissue"], false);
    let cells: Vec<String> =
        ch["cells"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let answer: String = cells.iter().map(|cell| card_value(&text_card, cell)).collect();
    let (status, v) = portal(
        &h,
        "/api/verify",
        &serde_json::json!({"user": "erin", "token": ch["token"], "answer": answer}),
    );
    assert_eq!(status, axum::http::StatusCode::OK);
    assert_eq!(v["outcome"], "accepted", "{v}");
    assert!(v["redirect"].as_str().unwrap().starts_with("/vpn?ticket="));
    assert_eq!(h.app.login().store().load("erin").unwrap().unwrap().state.card_cells_used(serial), 6);
}

/// Issue 15, item 6, over RADIUS: outside the user's access windows a wrong
/// answer is an ordinary counted reject; a right one is a reject saying
/// why, with no failure counted; inside, an accept.
#[test]
fn access_windows_apply_over_radius_too() {
    let h = harness(Flow::Challenge, false);
    matrixauth_server::admin::window_add(h.app.login(), "alice", T0 + 3600, T0 + 7200).unwrap();
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    let wrong = h.login("alice", "00pw0000", Some(&state));
    assert_eq!(wrong.code, Code::AccessReject);
    assert!(!text(&wrong).contains("approved"), "a wrong answer learns nothing: {}", text(&wrong));
    assert_eq!(h.failures("alice"), 1);
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    let right = h.login("alice", &answer_from(&text(&c)), Some(&state));
    assert_eq!(right.code, Code::AccessReject);
    assert_eq!(text(&right), "Outside your approved access period / 承認された利用期間外です");
    assert_eq!(h.failures("alice"), 0, "no failure counted");
    let audit = h.app.login().store().audit(None).unwrap().join("\n");
    assert!(
        audit.contains(r#""event":"outside_window""#) && audit.contains(r#""via":"radius:vpn1""#),
        "{audit}"
    );
    h.clock.store(T0 + 3600, Ordering::SeqCst);
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    assert_eq!(h.login("alice", &answer_from(&text(&c)), Some(&state)).code, Code::AccessAccept);
}

/// A client that accepts tickets still gets the grid for a first request
/// without any User-Password (radclient leaves an empty one out). Found by
/// the cluster test: it got Access-Reject.
#[test]
fn a_first_request_without_a_password_gets_the_grid_on_a_ticket_client() {
    let h = harness(Flow::Challenge, false);
    let (_, wire) = h.request("alice", "", None, Vec::new());
    let mut p = Packet::decode(&wire).unwrap();
    p.attributes.retain(|a| a.kind != attr::USER_PASSWORD && a.kind != attr::MESSAGE_AUTHENTICATOR);
    let wire = p.encode_request(SECRET.as_bytes()).unwrap();
    let reply = h.send(&wire).unwrap();
    assert_eq!(reply.code, Code::AccessChallenge, "{}", text(&reply));
}

/// Issue 20, item 4: an Access-Accept carries `Session-Timeout`: the seconds
/// left in the access window, else `session.max_seconds` (8 h here).
#[test]
fn an_accept_carries_session_timeout_to_the_window_end_or_the_longest_session() {
    let h = harness(Flow::Challenge, false);
    let accept = |h: &H| {
        let c = h.login("alice", "", None);
        let state = c.get(attr::STATE).unwrap().to_vec();
        let reply = h.login("alice", &answer_from(&text(&c)), Some(&state));
        assert_eq!(reply.code, Code::AccessAccept);
        u32::from_be_bytes(reply.get(attr::SESSION_TIMEOUT).unwrap().try_into().unwrap())
    };
    assert_eq!(accept(&h), 8 * 3600);
    matrixauth_server::admin::window_add(h.app.login(), "alice", T0, T0 + 5400).unwrap();
    h.clock.store(T0 + 600, Ordering::SeqCst);
    assert_eq!(accept(&h), 4800, "the window ends at T0 + 5400");
}

/// Issue 20, item 5: a suspended user's Reject is a wrong answer's, byte for
/// byte but the authenticators, and counts no failure.
#[test]
fn a_suspended_user_gets_a_wrong_answers_reject_over_radius() {
    let h = harness(Flow::Challenge, false);
    let reject = |h: &H, right: bool| {
        let c = h.login("alice", "", None);
        assert_eq!(c.code, Code::AccessChallenge);
        let state = c.get(attr::STATE).unwrap().to_vec();
        let answer = if right { answer_from(&text(&c)) } else { "00pw0000".to_owned() };
        let r = h.login("alice", &answer, Some(&state));
        assert_eq!(r.code, Code::AccessReject);
        r.attributes.iter().filter(|a| a.kind != attr::MESSAGE_AUTHENTICATOR).cloned().collect::<Vec<_>>()
    };
    let wrong = reject(&h, false);
    assert_eq!(h.failures("alice"), 1);
    matrixauth_server::admin::suspend(h.app.login(), Some("alice")).unwrap();
    assert_eq!(reject(&h, true), wrong, "the right answer of a suspended user");
    assert_eq!(reject(&h, false), wrong);
    assert_eq!(h.failures("alice"), 1, "nothing counted while suspended");
    let audit = h.app.login().store().audit(None).unwrap().join("\n");
    assert_eq!(audit.matches(r#""event":"suspended_refused""#).count(), 2);
    matrixauth_server::admin::resume(h.app.login(), "alice").unwrap();
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    assert_eq!(h.login("alice", &answer_from(&text(&c)), Some(&state)).code, Code::AccessAccept);
}

/// Issue 27, item 1: a 30-byte user id on a 30-byte client name redeems
/// its ticket as a RADIUS password: a 56-character handle, once, only for
/// its own User-Name (a wrong name does not use it up).
#[test]
fn a_ticket_for_a_long_user_on_a_long_client_name_fits_radius() {
    let (client, user) = ("fortigate-branch-office-01-xyz", "vendor.engineer.example-co.jp1");
    assert_eq!((client.len(), user.len()), (30, 30));
    let h = harness_named(Flow::Challenge, false, client, user);
    let (_, ch) = portal(&h, "/api/challenge", &serde_json::json!({"user": user}));
    let answer = answer_from(&format!("title\n{}", grid_text(&ch["matrix"])));
    let (_, v) =
        portal(&h, "/api/verify", &serde_json::json!({"user": user, "token": ch["token"], "answer": answer}));
    let ticket = v["redirect"].as_str().unwrap().split_once("ticket=").unwrap().1.to_owned();
    assert!(ticket.len() <= 64, "{} characters", ticket.len());
    assert_eq!(h.login("someone-else", &ticket, None).code, Code::AccessReject);
    let accept = h.login(user, &ticket, None);
    assert_eq!(accept.code, Code::AccessAccept, "{}", text(&accept));
    assert_eq!(accept.get(attr::SESSION_TIMEOUT), Some(&(8u32 * 3600).to_be_bytes()[..]));
    assert_eq!(h.login(user, &ticket, None).code, Code::AccessReject, "once");
    let audit: Vec<serde_json::Value> =
        h.app.login().store().audit(None).unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let reasons: Vec<&str> = audit
        .iter()
        .filter(|e| e["event"] == "ticket_refused")
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["wrong_user", "replayed"]);
    assert!(audit.iter().any(|e| e["event"] == "ticket_redeemed" && e["form"] == "handle"));
    assert!(!audit.iter().any(|e| e.to_string().contains(&ticket)), "no handle in the audit log");
}

/// Issue 27, item 1: a signed ticket cut to RADIUS's 128 octets (or
/// radcli's 112) is refused and audited as truncated, not as forged.
#[test]
fn a_signed_ticket_cut_short_is_audited_as_truncated() {
    let (client, user) = ("fortigate-branch-office-01-xyz", "vendor.engineer.example-co.jp1");
    let h = harness_named(Flow::Challenge, false, client, user);
    let (auth, _) = common::audited_authenticator(&h.keyring, &mx::Policy::default()).unwrap();
    let signed = auth.issue_ticket(user, client, T0).unwrap();
    assert!(signed.len() > 128, "{}", signed.len());
    for cut in [128, 112] {
        assert_eq!(h.login(user, &signed[..cut], None).code, Code::AccessReject);
    }
    let audit = h.app.login().store().audit(None).unwrap().join("\n");
    assert_eq!(audit.matches(r#""reason":"truncated""#).count(), 2, "{audit}");
    assert!(!audit.contains(r#""reason":"forged""#));
}

/// Issue 27, item 2: an Access-Request with EAP-Message on a client without
/// EAP gets Access-Reject with EAP-Failure, on both flows, and changes no state.
#[test]
fn eap_on_a_client_without_eap_is_rejected_and_changes_nothing() {
    for flow in [Flow::Challenge, Flow::Otp] {
        let h = harness(flow, false);
        let before = h.app.login().store().load("alice").unwrap().unwrap().state;
        // EAP-Response/Identity, identifier 7 (RFC 3748 §5.1).
        let identity = [2u8, 7, 0, 10, 1, b'a', b'l', b'i', b'c', b'e'];
        let (_, wire) =
            h.request("alice", "", None, vec![Attribute::new(attr::EAP_MESSAGE, &identity).unwrap()]);
        let reply = h.send(&wire).unwrap();
        assert_eq!(reply.code, Code::AccessReject, "{flow:?}");
        assert_eq!(reply.get(attr::EAP_MESSAGE), Some(&[4u8, 7, 0, 4][..]), "EAP-Failure, same identifier");
        assert_eq!(
            h.app.login().store().load("alice").unwrap().unwrap().state,
            before,
            "{flow:?}: no state changed"
        );
        let audit = h.app.login().store().audit(None).unwrap();
        assert!(!audit.iter().any(|l| l.contains("challenge_issued")), "{flow:?}: no challenge");
        assert!(audit.last().unwrap().contains(r#""decision":"reject""#));
    }
}

/// Issue 27, item 1: a database writer without the keyring cannot turn a
/// handle into someone else's login: the row's MAC covers its user.
#[test]
fn an_edited_ticket_handle_row_is_refused_as_tampered() {
    let h = harness(Flow::Challenge, false);
    let (_, ch) = portal(&h, "/api/challenge", &serde_json::json!({"user": "alice"}));
    let answer = answer_from(&format!("title\n{}", grid_text(&ch["matrix"])));
    let (_, v) = portal(
        &h,
        "/api/verify",
        &serde_json::json!({"user": "alice", "token": ch["token"], "answer": answer}),
    );
    let ticket = v["redirect"].as_str().unwrap().split_once("ticket=").unwrap().1.to_owned();
    let db = rusqlite::Connection::open(h.dir.path().join("matrixauth.db")).unwrap();
    assert_eq!(db.execute("UPDATE ticket_handles SET user = 'mallory'", []).unwrap(), 1);
    assert_eq!(h.login("mallory", &ticket, None).code, Code::AccessReject);
    let audit = h.app.login().store().audit(None).unwrap().join("\n");
    assert!(audit.contains(r#""reason":"tampered""#), "{audit}");
}

/// The grid of a JSON challenge as the RADIUS text shows it.
fn grid_text(matrix: &serde_json::Value) -> String {
    let digits: Vec<u8> = matrix
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as u8))
        .collect();
    mx::Matrix::from_digits(mx::Geometry::new(8, 8).unwrap(), &digits).unwrap().render_text()
}

/// A full-width answer is long in bytes but is no ticket: it is examined
/// (the review found answers over 21 full-width characters taken for tickets).
#[test]
fn a_long_full_width_answer_is_an_answer_not_a_ticket() {
    let h = harness(Flow::Challenge, false);
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    let wide: String = answer_from(&text(&c))
        .chars()
        .map(|ch| char::from_u32(u32::from(ch) - 0x21 + 0xFF01).unwrap())
        .collect::<String>()
        + &"\u{3000}".repeat(16);
    assert!(wide.len() > 64, "{} bytes", wide.len());
    assert_eq!(h.login("alice", &wide, Some(&state)).code, Code::AccessAccept);
}

/// `h` with its one client replaced by `vpn1` with this first factor.
fn with_first_factor(mut h: H, first_factor: matrixauth_server::login::first_factor::FirstFactor) -> H {
    let client = Client::new("vpn1", "127.0.0.0/8", SECRET, Flow::Challenge, false, false)
        .unwrap()
        .with_first_factor(first_factor)
        .unwrap();
    h.radius = Radius::new(Arc::clone(h.app.login()), vec![client]);
    h
}

/// Issue 27, item 3: a client may ask for the user's site password first.
/// The grid comes whatever the password; a wrong password makes the whole
/// attempt a wrong answer (counted, the same reply), so no reply tells which
/// factor was wrong, and a State without the first factor's tag is refused.
#[test]
fn a_site_password_first_factor_is_checked_without_telling_which_factor_failed() {
    use matrixauth_server::login::first_factor::FirstFactor;
    let h = with_first_factor(harness(Flow::Challenge, false), FirstFactor::Password);
    assert!(h.app.login().set_site_password("alice", Some("s3cret pass"), "test").unwrap());
    let attempt = |h: &H, user: &str, password: &str, right_answer: bool| {
        let c = h.login(user, password, None);
        assert_eq!(c.code, Code::AccessChallenge, "the grid whatever the password");
        let state = c.get(attr::STATE).unwrap().to_vec();
        assert!(state.iter().all(u8::is_ascii_graphic), "printable ASCII for ocserv");
        let answer = if right_answer { answer_from(&text(&c)) } else { "00pw0000".to_owned() };
        h.login(user, &answer, Some(&state))
    };
    assert_eq!(attempt(&h, "alice", "s3cret pass", true).code, Code::AccessAccept);
    // The State says nothing of the password: every first request gets a new one, right or
    // wrong (the review found a fixed tag telling a right guess from a wrong one for free).
    let state = |h: &H, password: &str| h.login("alice", password, None).get(attr::STATE).unwrap().to_vec();
    let (w1, w2, r1) = (state(&h, "wrong 1"), state(&h, "wrong 2"), state(&h, "s3cret pass"));
    assert!(w1 != w2 && w1 != r1 && w2 != r1);
    assert_eq!((w1.len(), w2.len()), (r1.len(), r1.len()));
    assert!(
        Client::new("vpn1", "127.0.0.1", SECRET, Flow::Challenge, false, true)
            .unwrap()
            .with_first_factor(FirstFactor::Password)
            .is_err(),
        "a ticket would skip the password"
    );
    let wrong_password = attempt(&h, "alice", "wrong", true);
    let wrong_answer = attempt(&h, "alice", "s3cret pass", false);
    assert_eq!((wrong_password.code, wrong_answer.code), (Code::AccessReject, Code::AccessReject));
    assert_eq!(text(&wrong_password), text(&wrong_answer));
    assert_eq!(h.failures("alice"), 2, "both counted");
    assert_eq!(attempt(&h, "nobody", "s3cret pass", true).code, Code::AccessReject, "unknown ids too");
    // A State without the tag (the pending token, from the portal) does not skip the password.
    let (_, ch) = portal(&h, "/api/challenge", &serde_json::json!({"user": "alice"}));
    let answer = answer_from(&format!("title\n{}", grid_text(&ch["matrix"])));
    let token = ch["token"].as_str().unwrap().as_bytes().to_vec();
    assert_eq!(h.login("alice", &answer, Some(&token)).code, Code::AccessReject);
    assert_eq!(h.failures("alice"), 3);
    let audit = h.app.login().store().audit(None).unwrap().join("\n");
    assert!(!audit.contains("s3cret"), "no password in the audit log");
    assert!(audit.contains(r#""action":"site_password""#));
    let db = std::fs::read(h.dir.path().join("matrixauth.db")).unwrap();
    assert!(!db.windows(11).any(|w| w == b"s3cret pass"), "not in the database either");
}

/// Issue 27, item 3: `must_be_empty` refuses a first request with a
/// password before any grid; an empty one gets the grid.
#[test]
fn a_first_factor_that_must_be_empty_refuses_a_password() {
    use matrixauth_server::login::first_factor::FirstFactor;
    let h = with_first_factor(harness(Flow::Challenge, false), FirstFactor::MustBeEmpty);
    let r = h.login("alice", "anything", None);
    assert_eq!(r.code, Code::AccessReject);
    assert_eq!(h.app.login().store().load("alice").unwrap().unwrap().state.pending_expires_at(), None);
    assert_eq!(h.login("alice", "", None).code, Code::AccessChallenge);
    assert!(
        Client::new("vpn1", "127.0.0.1", SECRET, Flow::Otp, false, false)
            .unwrap()
            .with_first_factor(FirstFactor::Password)
            .is_err(),
        "the otp flow has no first request"
    );
}

/// Issue 21's finding: with the retransmission cache full of replies, a new
/// request was neither cached nor marked in flight, so a retransmitted right
/// answer was verified twice (Accept, then Reject). Now the oldest replies
/// make room and the retransmission gets the same Accept.
#[test]
fn a_full_retransmission_cache_still_never_verifies_an_answer_twice() {
    let mut h = harness(Flow::Challenge, false);
    let client = Client::new("vpn1", "127.0.0.0/8", SECRET, Flow::Challenge, false, true).unwrap();
    h.radius = Radius::with_cache(Arc::clone(h.app.login()), vec![client], 4);
    for _ in 0..4 {
        let (_, wire) = h.request("nobody", "", None, Vec::new());
        assert_eq!(h.send(&wire).unwrap().code, Code::AccessChallenge);
    }
    let c = h.login("alice", "", None);
    let state = c.get(attr::STATE).unwrap().to_vec();
    let (_, wire) = h.request("alice", &answer_from(&text(&c)), Some(&state), Vec::new());
    let first = h.radius.handle(&wire, FROM.parse().unwrap());
    let again = h.radius.handle(&wire, FROM.parse().unwrap());
    let Action::Reply(bytes) = &first else { panic!("{first:?}") };
    assert_eq!(Packet::decode(bytes).unwrap().code, Code::AccessAccept);
    assert_eq!(first, again, "the cached Accept, byte for byte");
}

/// `h` with its one client (`vpn1`, tickets) under these rate limits, and a
/// second client, `vpn2`, for 127.0.0.2 alone (listed first, so it wins
/// that address).
fn limited(mut h: H, limits: RateLimits) -> H {
    let vpn1 = Client::new("vpn1", "127.0.0.0/8", SECRET, Flow::Challenge, false, true).unwrap();
    let vpn2 = Client::new("vpn2", "127.0.0.2", SECRET, Flow::Challenge, false, false).unwrap();
    h.radius = Radius::new(Arc::clone(h.app.login()), vec![vpn2, vpn1]).with_rate_limits(&limits);
    h
}

fn limits(client_per_second: u32, client_burst: u32, name_per_minute: u32, name_burst: u32) -> RateLimits {
    RateLimits { client_per_second, client_burst, name_per_minute, name_burst }
}

impl H {
    /// A new Access-Request for `user` (no password, no State): its reply,
    /// or the reason it was dropped.
    fn first(&self, user: &str) -> Result<Code, &'static str> {
        self.first_from(user, FROM)
    }

    fn first_from(&self, user: &str, from: &str) -> Result<Code, &'static str> {
        let (_, wire) = self.request(user, "", None, Vec::new());
        match self.radius.handle(&wire, from.parse().unwrap()) {
            Action::Reply(bytes) => Ok(Packet::decode(&bytes).unwrap().code),
            Action::Drop(reason) => Err(reason),
        }
    }

    fn audit_lines(&self) -> usize {
        self.app.login().store().audit(None).unwrap().len()
    }
}

const OVER_CLIENT: Result<Code, &str> = Err("over the client's rate limit");
const OVER_NAME: Result<Code, &str> = Err("over the User-Name's rate limit");

/// Issue 21, item 6: a client entry gets its burst, then its rate; beyond
/// it requests are dropped unanswered before the login service (no decoy
/// row, no audit line), counted, and Status-Server and other client entries
/// still get answers.
#[test]
fn requests_over_a_clients_limit_are_dropped_before_the_login_service() {
    let h = limited(harness(Flow::Challenge, false), limits(1, 5, 0, 1));
    for i in 0..5 {
        assert_eq!(h.first(&format!("guess-{i}")), Ok(Code::AccessChallenge), "{i}");
    }
    let (decoys, lines) = (h.app.login().store().decoys().unwrap(), h.audit_lines());
    assert_eq!(decoys, 5);
    for i in 5..105 {
        assert_eq!(h.first(&format!("guess-{i}")), OVER_CLIENT, "{i}");
    }
    assert_eq!(h.first("alice"), OVER_CLIENT, "the client's limit holds for every name");
    assert_eq!(h.app.login().store().decoys().unwrap(), decoys, "no decoy row for a dropped request");
    assert_eq!(h.audit_lines(), lines, "no audit line either");
    assert_eq!(h.radius.rate_dropped(), Drops { client: 101, status: 0, name: 0 });
    assert_eq!(h.radius.dropped(), 0, "counted apart from malformed and unauthentic datagrams");
    // Status-Server has a bucket of its own; another client entry too.
    let status =
        Packet { code: Code::StatusServer, identifier: 1, authenticator: [9; 16], attributes: Vec::new() };
    assert_eq!(h.send(&status.encode_request(SECRET.as_bytes()).unwrap()).unwrap().code, Code::AccessAccept);
    assert_eq!(h.first_from("guess-0", "127.0.0.2:40000"), Ok(Code::AccessChallenge));
    // A second later, one more token.
    h.clock.fetch_add(1, Ordering::SeqCst);
    assert_eq!(h.first("alice"), Ok(Code::AccessChallenge));
    assert_eq!(h.first("alice"), OVER_CLIENT);
}

/// Issue 21, item 6: a name tried too often is dropped, and costs its
/// client nothing: another name from the same client is still answered.
#[test]
fn a_name_over_its_limit_is_dropped_while_other_names_are_answered() {
    let h = limited(harness(Flow::Challenge, false), limits(1, 10, 1, 3));
    for _ in 0..3 {
        assert_eq!(h.first("admin"), Ok(Code::AccessChallenge));
    }
    let lines = h.audit_lines();
    for _ in 0..1000 {
        assert_eq!(h.first("admin"), OVER_NAME);
    }
    assert_eq!(h.audit_lines(), lines, "no audit line for a dropped request");
    assert_eq!(h.first("alice"), Ok(Code::AccessChallenge), "another name from the same client");
    assert_eq!(h.first_from("admin", "127.0.0.2:40000"), OVER_NAME, "the name's limit holds at every client");
    assert_eq!(h.radius.rate_dropped(), Drops { client: 0, status: 0, name: 1001 });
    h.clock.fetch_add(60, Ordering::SeqCst);
    assert_eq!(h.first("admin"), Ok(Code::AccessChallenge), "one token back a minute");
    assert_eq!(h.first("admin"), OVER_NAME);
    // The client spent 5 of its 10 tokens (3 + alice + 1): the 1,002 drops took none.
    for i in 0..5 {
        assert_eq!(h.first(&format!("other-{i}")), Ok(Code::AccessChallenge), "{i}");
    }
}

/// Issue 21, item 6: an enrolled and an unknown name meet the same limit
/// at the same request, with the same drop: the limit tells nobody which
/// names exist.
#[test]
fn known_and_unknown_names_are_limited_identically() {
    let h = limited(harness(Flow::Challenge, false), limits(1000, 1000, 1, 4));
    let mut seen = [Vec::new(), Vec::new()];
    for step in 0..12 {
        if step == 8 {
            h.clock.fetch_add(120, Ordering::SeqCst);
        }
        for (i, user) in ["alice", "nobody"].into_iter().enumerate() {
            seen[i].push(h.first(user));
        }
    }
    let ok = Ok(Code::AccessChallenge);
    let expected = [ok, ok, ok, ok, OVER_NAME, OVER_NAME, OVER_NAME, OVER_NAME, ok, ok, OVER_NAME, OVER_NAME];
    assert_eq!(seen[0], expected, "alice (enrolled)");
    assert_eq!(seen[1], expected, "nobody (unknown)");
}

/// Issue 21, item 6: a retransmission answered from the cache takes no
/// token; a dropped request is forgotten, so the client's retry is examined
/// anew and answered once a token is back, and then cached as any reply.
#[test]
fn retransmissions_take_no_token_and_a_dropped_request_is_retried() {
    let h = limited(harness(Flow::Challenge, false), limits(1000, 1000, 1, 2));
    let (_, a) = h.request("alice", "", None, Vec::new());
    let first = h.send(&a).unwrap();
    assert_eq!(first.code, Code::AccessChallenge);
    for _ in 0..10 {
        assert_eq!(h.send(&a).unwrap(), first, "the cached reply, no token taken");
    }
    assert_eq!(h.first("alice"), Ok(Code::AccessChallenge), "the second token is still there");
    let (_, c) = h.request("alice", "", None, Vec::new());
    for _ in 0..3 {
        assert_eq!(
            h.radius.handle(&c, FROM.parse().unwrap()),
            Action::Drop("over the User-Name's rate limit")
        );
    }
    assert_eq!(h.send(&a).unwrap(), first, "while the name's bucket is empty, the cache still answers");
    h.clock.fetch_add(20, Ordering::SeqCst);
    assert_eq!(h.send(&a).unwrap(), first, "the cache still answers 20 s on");
    h.clock.fetch_add(40, Ordering::SeqCst);
    let retried = h.send(&c).expect("a token is back a minute on: the retry is answered");
    assert_eq!(retried.code, Code::AccessChallenge);
    for _ in 0..5 {
        assert_eq!(h.send(&c).unwrap(), retried, "and then cached");
    }
    assert_eq!(h.first("alice"), OVER_NAME, "the retry took the one token back, its copies none");
    assert_eq!(h.radius.rate_dropped().name, 4);
}

/// Issue 21, item 6: the limits apply after the packet authenticates, so
/// someone without the shared secret cannot spend a client's or a name's
/// tokens.
#[test]
fn unauthentic_datagrams_take_no_token() {
    let h = limited(harness(Flow::Challenge, false), limits(1, 2, 1, 2));
    let (req, good) = h.request("alice", "", None, Vec::new());
    let bare = Packet { attributes: req.attributes.clone(), ..req.clone() }.encode().unwrap();
    let wrong = req.encode_request(b"not the shared secret at all").unwrap();
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    for _ in 0..500 {
        for d in [&bare, &wrong, &flipped] {
            assert!(h.send(d).is_none());
        }
    }
    assert_eq!(h.radius.dropped(), 1500);
    assert_eq!(h.radius.rate_dropped(), Drops::default());
    assert_eq!(h.first("alice"), Ok(Code::AccessChallenge));
    assert_eq!(h.first("alice"), Ok(Code::AccessChallenge));
    assert_eq!(h.first("alice"), OVER_CLIENT);
}

/// Issue 21, item 6: a client entry can have its own limit
/// (`rate_per_second`, `rate_burst`), and its keys are checked.
#[test]
fn a_client_entry_can_have_its_own_limit_and_its_keys_are_checked() {
    use std::os::unix::fs::PermissionsExt;
    let load = |extra: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clients.toml");
        std::fs::write(
            &path,
            format!(
                "[[client]]\nname = \"vpn1\"\naddress = \"127.0.0.0/8\"\nsecret = \"{SECRET}\"\nflow = \"challenge\"\n{extra}"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        matrixauth_server::doors::radius::load_clients(&path)
    };
    let mut h = harness(Flow::Challenge, false);
    let clients = load("rate_per_second = 1\nrate_burst = 2\n").unwrap();
    h.radius = Radius::new(Arc::clone(h.app.login()), clients).with_rate_limits(&RateLimits::default());
    assert_eq!(h.first("a"), Ok(Code::AccessChallenge));
    assert_eq!(h.first("b"), Ok(Code::AccessChallenge));
    assert_eq!(h.first("c"), OVER_CLIENT, "its own burst of 2, not the default 500");
    for (extra, error) in [
        ("rate_burst = 5\n", "client vpn1: rate_burst needs rate_per_second"),
        ("rate_per_second = 10\nrate_burst = 0\n", "client vpn1: rate_burst = 0: must be 1 to 100000000"),
        ("rate_per_second = 10\nrate_burst = 9\n", "client vpn1: rate_burst = 9: below the 10 requests"),
        ("rate_per_second = 2000000\n", "client vpn1: rate_per_second = 2000000: must be 0 (no limit)"),
        ("rate_per_second = -1\n", "invalid value: integer `-1`"),
        ("per_client = 5\n", "unknown field `per_client`"),
    ] {
        let e = load(extra).unwrap_err();
        assert!(e.contains(error), "{extra}: {e}");
    }
}
