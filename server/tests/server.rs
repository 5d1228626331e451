#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The demo server's API through its router: concurrency, replay, hostile
//! requests, decoys, the audit log and the admin commands.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use matrixauth_server::doors::http::{App, Config, router};
use matrixauth_server::store::Store;
use matrixauth_server::{admin, keys};
use serde_json::{Value, json};
use tower::ServiceExt;

const T0: u64 = 1_800_000_000;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

struct Harness {
    router: Router,
    app: Arc<App>,
    clock: Arc<AtomicU64>,
    keyring: mx::Keyring,
    dir: tempfile::TempDir,
}

fn harness() -> Harness {
    harness_in(tempfile::tempdir().unwrap(), T0)
}

/// A server over the data folder `dir` (a restart reopens the same folder).
fn harness_in(dir: tempfile::TempDir, now: u64) -> Harness {
    harness_with(dir, now, None)
}

fn harness_with(dir: tempfile::TempDir, now: u64, appliance_url: Option<&str>) -> Harness {
    let (login, keyring, clock) = common::login_in(dir.path(), now);
    let app = App::new(Config {
        login,
        audience: "vpn.test".into(),
        assets: None,
        appliance_url: appliance_url.map(str::to_owned),
        origins: vec![ORIGIN.into()],
        api_rate: matrixauth_server::doors::http::ApiRate::default(),
        trusted_proxies: Vec::new(),
        metrics_allow: Vec::new(),
    })
    .unwrap();
    Harness { router: router(Arc::clone(&app)), app, clock, keyring, dir }
}

/// The portal's origin in these tests (what a browser on its pages sends).
const ORIGIN: &str = "http://127.0.0.1:8080";

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    body: impl Into<Body>,
) -> (StatusCode, Value, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(body.into())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

async fn post(router: &Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    let (s, v, _) = call(router, "POST", uri, body.to_string()).await;
    (s, v)
}

/// An administrator's invitation for `user`: the token of the link.
fn invite(h: &Harness, user: &str) -> String {
    let out = admin::invite(h.app.login(), user, 72, ORIGIN, true).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    let link = v["link"].as_str().unwrap();
    assert!(link.starts_with("http://127.0.0.1:8080/enroll#invite="), "{link}");
    link.rsplit_once("#invite=").unwrap().1.to_owned()
}

async fn enroll(h: &Harness, user: &str) {
    let invite = invite(h, user);
    let (s, v) = post(
        &h.router,
        "/api/enroll",
        &json!({"invite": invite, "cells": CELLS, "fixed": "pw", "fixedAt": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["user"], user);
}

fn answer(matrix: &Value) -> String {
    let digits: Vec<u8> = matrix
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as u8))
        .collect();
    let m = mx::Matrix::from_digits(mx::Geometry::new(8, 8).unwrap(), &digits).unwrap();
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    cred.respond_matrix(&m).unwrap().to_string()
}

fn state_of(h: &Harness, user: &str) -> mx::UserState {
    h.app.login().store().load(user).unwrap().unwrap().state
}

fn audit(h: &Harness) -> Vec<Value> {
    h.app.login().store().audit(None).unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_hand_off_and_replayed_ticket() {
    let h = harness();
    enroll(&h, "alice").await;
    let (s, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ch["reissue"], false);
    let (_, again) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(again["token"], ch["token"], "a refresh shows the same challenge");
    assert_eq!(again["matrix"], ch["matrix"]);
    assert_eq!(again["reissue"], true);
    let (s, v) = post(
        &h.router,
        "/api/verify",
        &json!({"user": "alice", "token": ch["token"], "answer": answer(&ch["matrix"])}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["outcome"], "accepted");
    let redirect = v["redirect"].as_str().unwrap().to_owned();
    assert!(redirect.starts_with("/vpn?ticket="));
    let (s, _, page) = call(&h.router, "GET", &redirect, Body::empty()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("data-user=\"alice\""), "{page}");
    let (s, _, page) = call(&h.router, "GET", &redirect, Body::empty()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a replayed ticket is refused");
    assert!(page.contains("data-reason=\"replayed\""));
    // After the ticket's lifetime it is refused as expired, not accepted.
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let (_, v) = post(
        &h.router,
        "/api/verify",
        &json!({"user": "alice", "token": ch["token"], "answer": answer(&ch["matrix"])}),
    )
    .await;
    h.clock.fetch_add(31, Ordering::SeqCst);
    let (s, _, page) = call(&h.router, "GET", v["redirect"].as_str().unwrap(), Body::empty()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(page.contains("data-reason=\"expired\""));
    let (s, _, page) = call(&h.router, "GET", "/vpn?ticket=forged%3Cscript%3E", Body::empty()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!page.contains("<script>"));
    // One audit line per event, in order.
    let kinds: Vec<String> = audit(&h).iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        kinds,
        [
            "admin",
            "enrolled",
            "challenge_issued",
            "challenge_reissued",
            "verify",
            "ticket_issued",
            "ticket_redeemed",
            "ticket_refused",
            "challenge_issued",
            "verify",
            "ticket_issued",
            "ticket_refused",
            "ticket_refused"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn privacyidea_inc_failcount_fifty_concurrent_wrong_answers_count_exactly_and_lock() {
    let h = harness();
    enroll(&h, "alice").await;
    let before_audit = audit(&h).len();
    // 50 concurrent clients, each answering wrongly (a new challenge each time) until it sees
    // the lock: most attempts collide on the same pending challenge, so which ones count is a
    // race; the total that count must still be exactly the threshold, all of them recorded.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let router = h.router.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..40 {
                let (s, ch) = post(&router, "/api/challenge", &json!({"user": "alice"})).await;
                if s == StatusCode::LOCKED {
                    seen.push("issue_locked".to_owned());
                    break;
                }
                assert_eq!(s, StatusCode::OK, "{ch}");
                let (s, v) = post(
                    &router,
                    "/api/verify",
                    &json!({"user": "alice", "token": ch["token"], "answer": "00pw0000"}),
                )
                .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                let outcome = v["outcome"].as_str().unwrap().to_owned();
                let locked = outcome == "locked" || !v["lockedUntil"].is_null();
                seen.push(outcome);
                if locked {
                    break;
                }
            }
            seen
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.extend(t.await.unwrap());
    }
    let rejected = outcomes.iter().filter(|o| *o == "rejected").count();
    let state = state_of(&h, "alice");
    assert_eq!(rejected, 5, "exactly the threshold is counted before the lock: {outcomes:?}");
    assert_eq!(state.failures_since_success() as usize, rejected, "no counted failure was lost");
    assert_eq!(state.lock_level(), 1);
    assert_eq!(state.lock_at(h.clock.load(Ordering::SeqCst)), Some(Some(state.locked_until())));
    assert!(
        outcomes
            .iter()
            .all(|o| ["rejected", "duplicate", "stale", "locked", "issue_locked"].contains(&o.as_str()))
    );
    // The audit log has exactly one verify line per verify call and one issue line per issue call.
    let lines = &audit(&h)[before_audit..];
    let verifies = lines.iter().filter(|e| e["event"] == "verify").count();
    let verify_calls = outcomes.iter().filter(|o| *o != "issue_locked").count();
    assert_eq!(verifies, verify_calls);
    assert!(outcomes.iter().any(|o| o == "issue_locked"), "every client ran until it saw the lock");
    let rejected_lines =
        lines.iter().filter(|e| e["event"] == "verify" && e["outcome"] == "rejected").count();
    assert_eq!(rejected_lines, 5);
    let issues = lines
        .iter()
        .filter(|e| {
            e["event"].as_str().unwrap().starts_with("challenge_") || e["event"] == "issue_refused_locked"
        })
        .count();
    assert_eq!(issues, outcomes.len(), "one issue line per challenge call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one table of cases
async fn hostile_requests_get_4xx_and_change_nothing() {
    let h = harness();
    enroll(&h, "alice").await;
    let bob = invite(&h, "bob");
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let state = state_of(&h, "alice").to_bytes(&h.keyring, "alice").unwrap();
    let lines = audit(&h).len();
    let big = format!("{{\"user\":\"alice\",\"token\":\"t\",\"answer\":\"{}\"}}", "9".repeat(10_000));
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "/api/verify",
            "{\"user\": \"alice\", \"token\": ".into(),
            StatusCode::BAD_REQUEST,
            "malformed JSON",
        ),
        ("/api/verify", "not json".into(), StatusCode::BAD_REQUEST, "malformed JSON"),
        ("/api/verify", String::new(), StatusCode::BAD_REQUEST, "malformed JSON"),
        ("/api/verify", big, StatusCode::PAYLOAD_TOO_LARGE, "over 4096 bytes"),
        (
            "/api/verify",
            json!({"user": "alice", "token": ch["token"], "answer": "1", "admin": true}).to_string(),
            StatusCode::BAD_REQUEST,
            "unknown field `admin`",
        ),
        (
            "/api/verify",
            json!({"user": "alice", "token": ch["token"]}).to_string(),
            StatusCode::BAD_REQUEST,
            "missing field `answer`",
        ),
        (
            "/api/verify",
            json!({"user": "alice", "token": ch["token"], "answer": 12_345_678}).to_string(),
            StatusCode::BAD_REQUEST,
            "wrong type",
        ),
        ("/api/challenge", json!({"user": 7}).to_string(), StatusCode::BAD_REQUEST, "wrong type"),
        ("/api/challenge", json!({"user": ""}).to_string(), StatusCode::BAD_REQUEST, "invalid user id"),
        (
            "/api/challenge",
            json!({"user": "a\u{0}b"}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid user id",
        ),
        (
            "/api/challenge",
            json!({"user": "x".repeat(300)}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid user id",
        ),
        (
            "/api/enroll",
            json!({"invite": "0".repeat(64), "cells": CELLS, "fixed": "pw", "fixedAt": 2}).to_string(),
            StatusCode::FORBIDDEN,
            "not valid",
        ),
        (
            "/api/enroll",
            json!({"user": "bob", "cells": CELLS, "fixed": "pw", "fixedAt": 2}).to_string(),
            StatusCode::BAD_REQUEST,
            "unknown field `user`",
        ),
        (
            "/api/enroll",
            json!({"invite": bob, "cells": ["A1", "B1", "C1", "D1", "E1", "F1"]}).to_string(),
            StatusCode::BAD_REQUEST,
            "weak pattern",
        ),
        (
            "/api/enroll",
            json!({"invite": bob, "cells": ["A1", "Z99"]}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid cell name",
        ),
        (
            "/api/enroll",
            json!({"invite": bob, "cells": CELLS, "fixed": "ｐｗ\u{7}"}).to_string(),
            StatusCode::BAD_REQUEST,
            "fixed string",
        ),
        (
            "/api/enroll",
            json!({"invite": bob, "cells": CELLS, "fixedAt": 99}).to_string(),
            StatusCode::BAD_REQUEST,
            "position",
        ),
        (
            "/api/enroll",
            json!({"invite": bob, "cells": CELLS, "fixedAt": -1}).to_string(),
            StatusCode::BAD_REQUEST,
            "wrong type",
        ),
    ];
    for (uri, body, status, needle) in cases {
        let (s, v, text) = call(&h.router, "POST", uri, body.clone()).await;
        assert_eq!(s, status, "{uri} {body:.80}: {text}");
        let msg = v["message"].as_str().unwrap_or_else(|| panic!("JSON error body: {text}"));
        assert!(msg.contains(needle), "{uri}: {msg:?} lacks {needle:?}");
        assert!(!msg.contains("12345678") && !msg.contains("pw"), "no submitted secrets echoed: {msg}");
    }
    let (s, _, _) = call(&h.router, "GET", "/api/nothing", Body::empty()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = call(&h.router, "GET", "/api/verify", Body::empty()).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(state_of(&h, "alice").to_bytes(&h.keyring, "alice").unwrap(), state, "no state change");
    assert_eq!(audit(&h).len(), lines, "nothing audited: no event happened");
    assert!(h.app.login().store().load("bob").unwrap().is_none(), "no user created");
    assert_eq!(h.app.login().decoys_remembered(), 0, "refused user ids are not remembered as decoys");
    // A refused pattern leaves the invitation unused.
    let (s, v) =
        post(&h.router, "/api/enroll", &json!({"invite": bob, "cells": CELLS, "fixed": "pw", "fixedAt": 2}))
            .await;
    assert_eq!((s, v["user"].as_str()), (StatusCode::CREATED, Some("bob")), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_get_decoys_that_behave_like_real_users() {
    let h = harness();
    enroll(&h, "alice").await;
    let (s1, real) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let (s2, decoy) = post(&h.router, "/api/challenge", &json!({"user": "mallory"})).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&real), keys(&decoy), "same response shape: no account enumeration");
    let (_, again) = post(&h.router, "/api/challenge", &json!({"user": "mallory"})).await;
    assert_eq!(again["matrix"], decoy["matrix"], "a refresh shows the same decoy grid");
    // Even the enrolled user's right answer pattern never logs the decoy in, and five failures lock it.
    for i in 0..5 {
        let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "mallory"})).await;
        let (_, v) = post(
            &h.router,
            "/api/verify",
            &json!({"user": "mallory", "token": ch["token"], "answer": answer(&ch["matrix"])}),
        )
        .await;
        assert_eq!(v["outcome"], "rejected", "attempt {i}");
        assert!(v.get("redirect").is_none());
    }
    let (s, v) = post(&h.router, "/api/challenge", &json!({"user": "mallory"})).await;
    assert_eq!(s, StatusCode::LOCKED);
    assert_eq!(v["error"], "locked");
    assert_eq!(v["lockedUntil"].as_u64().unwrap(), T0 + 900);
    assert!(h.app.login().store().load("mallory").unwrap().is_none(), "decoys are never stored as users");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_ends_on_time_and_admin_unlock_is_audited() {
    let h = harness();
    enroll(&h, "alice").await;
    for _ in 0..5 {
        let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
        post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": "1"})).await;
    }
    let (s, v) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(s, StatusCode::LOCKED);
    assert_eq!(v["lockedUntil"].as_u64().unwrap(), T0 + 900);
    h.clock.store(T0 + 900, Ordering::SeqCst);
    let (s, _) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(s, StatusCode::OK, "the lock ends at locked_until");
    let table = admin::users(h.app.login(), false).unwrap();
    assert!(table.contains("alice\t"), "{table}");
    let text = admin::unlock(h.app.login(), "alice").unwrap();
    assert_eq!(text, "alice unlocked\n");
    assert_eq!(state_of(&h, "alice").failures_since_success(), 0);
    assert!(admin::unlock(h.app.login(), "nobody").is_err());
    // The core's unlock event, then the admin line with who ran it, in one transaction.
    let tail = admin::audit(h.app.login(), Some(2), true).unwrap();
    let lines: Vec<Value> = tail.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["event"], "unlock");
    assert_eq!((lines[1]["event"].as_str(), lines[1]["action"].as_str()), (Some("admin"), Some("unlock")));
    assert!(lines[1]["operator"].is_string());
}

#[test]
fn keyring_file_is_owner_only_and_checked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring");
    let k1 = keys::load_or_create(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let k2 = keys::load_or_create(&path).unwrap();
    assert_eq!(k1.key_ids(), k2.key_ids());
    // Both load the same key: a ticket from one verifies with the other.
    let a = mx::Authenticator::new(k1, mx::Policy::default()).unwrap();
    let t = a.issue_ticket("u", "aud", T0).unwrap();
    assert_eq!(mx::TicketVerifier::new(k2, 4).redeem(&t, "aud", T0).unwrap(), "u");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = keys::load_or_create(&path).err().unwrap();
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::write(dir.path().join("bad"), "1 zz\n").unwrap();
    std::fs::set_permissions(dir.path().join("bad"), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(keys::load_or_create(&dir.path().join("bad")).is_err());
}

/// Review finding 1 over HTTP: anyone can obtain alice's pending token from
/// /api/challenge. After she answers, guesses with that token must cost
/// counted failures (inside the retry window) or reveal nothing (after it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_oracle_over_http_costs_failures_or_reveals_nothing() {
    let h = harness();
    enroll(&h, "alice").await;
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await; // the attacker's copy
    let real = answer(&ch["matrix"]);
    let (_, v) =
        post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": real})).await;
    assert_eq!(v["outcome"], "accepted");
    let guesses: Vec<String> = (0..1500u64)
        .map(|i| format!("{:02}pw{:04}", i % 100, (i * 7919) % 10_000))
        .filter(|g| *g != real)
        .chain(std::iter::once(real.clone()))
        .collect();
    // Late: after the 30 s window every guess, the real answer last, is stale and nothing is stored.
    h.clock.store(T0 + 31, Ordering::SeqCst);
    let lines = audit(&h).len();
    for g in &guesses {
        let (_, v) =
            post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": g}))
                .await;
        assert_eq!(v["outcome"], "stale", "{g}");
    }
    assert_eq!(state_of(&h, "alice").failures_since_success(), 0);
    assert_eq!(audit(&h).len(), lines + guesses.len(), "each refusal audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_oracle_inside_the_retry_window_counts_every_guess() {
    let h = harness();
    enroll(&h, "alice").await;
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let real = answer(&ch["matrix"]);
    post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": real})).await;
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    for i in 0..300u64 {
        let g = if i == 150 { real.clone() } else { format!("{:02}pw{:04}", i % 100, i) };
        let (_, v) =
            post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": g}))
                .await;
        *outcomes.entry(v["outcome"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    // Five counted guesses, then the lock: the real answer (guess 150) is `locked` like the rest.
    assert_eq!(outcomes, [("locked".to_owned(), 295), ("rejected".to_owned(), 5)].into());
    assert_eq!(state_of(&h, "alice").failures_since_success(), 5);
}

/// keycloak #52126: a lock must survive a server restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keycloak_52126_a_lock_survives_a_restart() {
    let h = harness();
    enroll(&h, "alice").await;
    for _ in 0..5 {
        let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
        post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": "1"})).await;
    }
    let Harness { dir, app, router, .. } = h;
    drop((app, router));
    let h = harness_in(dir, T0 + 10);
    let (s, v) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(s, StatusCode::LOCKED, "{v}");
    assert_eq!(v["lockedUntil"].as_u64().unwrap(), T0 + 900);
}

/// Review finding 6: whoever can write the database cannot clear a lock or
/// move a record: an edited or foreign state row fails closed (500, no
/// challenge, no login), and the row is left as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_writer_cannot_clear_a_lock() {
    let h = harness();
    enroll(&h, "alice").await;
    enroll(&h, "bob").await;
    for _ in 0..5 {
        let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
        post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": "1"})).await;
    }
    let db = rusqlite::Connection::open(h.dir.path().join("matrixauth.db")).unwrap();
    // bob's genuine, unlocked state copied over alice's row.
    db.execute(
        "UPDATE users SET state = (SELECT state FROM users WHERE user = 'bob') WHERE user = 'alice'",
        [],
    )
    .unwrap();
    let (s, v) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    // A fresh state written under a key of the writer's own.
    let forged = mx::UserState::new().to_bytes(&mx::Keyring::new(&[1; 32], 1).unwrap(), "alice").unwrap();
    db.execute("UPDATE users SET state = ?1 WHERE user = 'alice'", [forged.as_slice()]).unwrap();
    let (s, _) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    let stored: Vec<u8> =
        db.query_row("SELECT state FROM users WHERE user = 'alice'", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, forged, "the corrupt row is left as it is");
    let table = admin::users(h.app.login(), false).unwrap();
    assert!(table.contains("alice\t") && table.contains("corrupt state"), "{table}");
}

/// Issue 13: after `accepted` the portal hands off to the appliance by POST:
/// the ticket is in the JSON for the page's self-submitting form, never in a
/// URL, and the Content-Security-Policy lets the form go to that origin only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_hands_off_to_the_appliance_by_post() {
    let url = "https://vpn.example.lg.jp:8443/remote/login?lang=ja";
    let h = harness_with(tempfile::tempdir().unwrap(), T0, Some(url));
    enroll(&h, "alice").await;
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let req = Request::builder()
        .method("POST")
        .uri("/api/verify")
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(Body::from(
            json!({"user": "alice", "token": ch["token"], "answer": answer(&ch["matrix"])}).to_string(),
        ))
        .unwrap();
    let res = h.router.clone().oneshot(req).await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.ends_with("form-action 'self' https://vpn.example.lg.jp:8443"), "{csp}");
    let v: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["outcome"], "accepted");
    assert!(v.get("redirect").is_none(), "no ticket in a URL");
    assert_eq!(v["handoff"]["url"], url);
    assert_eq!(v["handoff"]["user"], "alice");
    let ticket = v["handoff"]["ticket"].as_str().unwrap();
    assert!(v["handoff"]["sessionEnd"].as_u64().unwrap() > T0);
    // The appliance checks it over RADIUS (the login service here; radclient in
    // scripts/radius-test.sh), once.
    assert_eq!(ticket.len(), 56);
    let via = matrixauth_server::login::Via::Radius("vpn.test");
    let d = h.app.login().redeem(ticket, "vpn.test", Some("alice"), via);
    assert!(matches!(d, matrixauth_server::login::Decision::Accepted(_)), "{d:?}");
    let d = h.app.login().redeem(ticket, "vpn.test", Some("alice"), via);
    assert!(matches!(d, matrixauth_server::login::Decision::Refused(_)), "once: {d:?}");
    // A URL that could break the header or the page is refused at start.
    for bad in ["javascript:alert(1)", "https://x.example/\"onload", "https://a b", "ftp://x", "https://"] {
        let dir = tempfile::tempdir().unwrap();
        let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
        let store =
            Store::open(&dir.path().join("db"), keyring.clone(), matrixauth_server::store::Migrate::Yes)
                .unwrap();
        let config = Config {
            login: common::login(store, keyring, Arc::new(|| T0)),
            audience: "a".into(),
            assets: Some(dir.path().to_owned()),
            appliance_url: Some(bad.to_owned()),
            origins: vec![ORIGIN.into()],
            api_rate: matrixauth_server::doors::http::ApiRate::default(),
            trusted_proxies: Vec::new(),
            metrics_allow: Vec::new(),
        };
        assert!(App::new(config).is_err(), "{bad}");
    }
}

/// Request headers, the status they must get, and what the case shows.
type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str);

/// Sends `body` to `uri` as POST with exactly these headers.
async fn raw_post(h: &Harness, uri: &str, headers: &[(&str, &str)], body: String) -> (StatusCode, Value) {
    let mut req = Request::builder().method("POST").uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = h.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Another site cannot drive lock-outs through its visitors' browsers: a
/// cross-site form or `text/plain` fetch (no CORS preflight), a foreign or
/// missing `Origin`, and a DNS-rebinding `Host` are refused before anything
/// is counted, stored or audited. Before the guard each wrong answer below
/// counted, and five locked alice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_posts_and_rebinding_hosts_are_refused_and_count_nothing() {
    let h = harness();
    enroll(&h, "alice").await;
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let wrong = json!({"user": "alice", "token": ch["token"], "answer": "00pw0000"}).to_string();
    let lines = audit(&h).len();
    let json_ct = ("content-type", "application/json");
    let cases: [Case<'_>; 7] = [
        (
            &[("content-type", "text/plain"), ("origin", ORIGIN)],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "text/plain",
        ),
        (
            &[("content-type", "application/x-www-form-urlencoded"), ("origin", "https://evil.example")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "form post",
        ),
        (&[("origin", ORIGIN)], StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type"),
        (&[json_ct, ("origin", "https://evil.example")], StatusCode::FORBIDDEN, "foreign origin"),
        (&[json_ct, ("origin", "null")], StatusCode::FORBIDDEN, "sandboxed origin"),
        (&[json_ct], StatusCode::FORBIDDEN, "no origin"),
        (
            &[json_ct, ("origin", "http://rebind.evil.example:8080"), ("host", "rebind.evil.example:8080")],
            StatusCode::MISDIRECTED_REQUEST,
            "DNS rebinding",
        ),
    ];
    for _ in 0..3 {
        for (headers, status, what) in &cases {
            for uri in ["/api/verify", "/api/challenge", "/api/enroll"] {
                let (s, v) = raw_post(&h, uri, headers, wrong.clone()).await;
                assert_eq!(s, *status, "{what} {uri}: {v}");
                assert!(v["error"].is_string(), "{what}: a JSON error, {v}");
            }
        }
    }
    let state = state_of(&h, "alice");
    assert_eq!(state.failures_since_success(), 0, "nothing counted");
    assert_eq!(state.locked_until(), 0, "not locked");
    assert_eq!(audit(&h).len(), lines, "nothing audited");
    // A rebinding page cannot read pages either; the portal's own names still work.
    let get = |host: &'static str| {
        let router = h.router.clone();
        async move {
            let req = Request::builder().uri("/api/policy").header("host", host).body(Body::empty()).unwrap();
            router.oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(get("rebind.evil.example:8080").await, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(get("127.0.0.1:8080").await, StatusCode::OK);
    // Parameters and case in the media type, and the portal's own origin: accepted and counted.
    let (s, v) = raw_post(
        &h,
        "/api/verify",
        &[
            ("content-type", "Application/JSON; charset=utf-8"),
            ("origin", ORIGIN),
            ("host", "127.0.0.1:8080"),
        ],
        wrong,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "rejected");
    assert_eq!(state_of(&h, "alice").failures_since_success(), 1);
}

#[test]
fn origins_are_normalised_as_browsers_send_them() {
    use matrixauth_server::doors::http::parse_origin;
    let ok = |o: &str| parse_origin(o).unwrap();
    assert_eq!(
        ok("https://VPN.example.lg.jp:443/"),
        ("https://vpn.example.lg.jp".into(), "vpn.example.lg.jp".into())
    );
    assert_eq!(ok("http://127.0.0.1:80"), ("http://127.0.0.1".into(), "127.0.0.1".into()));
    assert_eq!(ok("https://[::1]:8443"), ("https://[::1]:8443".into(), "[::1]:8443".into()));
    for bad in
        ["vpn.example", "ftp://x", "https://", "https://a/b", "https://u@a", "https://a?x", "https://a b"]
    {
        assert!(parse_origin(bad).is_err(), "{bad}");
    }
}

/// Audit lines older than the retention go; newer ones, lines of other
/// shapes and the pruning's own audited line stay. Before, nothing was ever
/// deleted: every stale, invalid and decoy request added a row for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_pruning_keeps_the_retention_and_audits_itself() {
    let h = harness();
    let day = 86_400;
    let old: Vec<String> = (0..50)
        .map(|i| json!({"time": T0 - 401 * day + i, "user": "x", "event": "stale"}).to_string())
        .collect();
    h.app.login().store().append_audit(&old).unwrap();
    enroll(&h, "alice").await; // lines at T0
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "nobody"})).await;
    assert!(ch["token"].is_string());
    let kept = audit(&h).len() - old.len();
    assert!(kept > 0);
    h.clock.store(T0, Ordering::SeqCst);
    let line = admin::prune_audit(h.app.login(), 400, true).unwrap().unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["event"], "audit_pruned");
    assert_eq!(v["removed"], 50);
    assert_eq!(v["before"], T0 - 400 * day);
    let after = audit(&h);
    assert_eq!(after.len(), kept + 1, "the 50 old lines went, the pruning's own line came");
    assert!(after.iter().all(|l| l["time"].as_u64().unwrap() >= T0 - 400 * day));
    assert_eq!(after.last().unwrap()["event"], "audit_pruned");
    // Pruning again removes nothing: the server's quiet run writes nothing, an admin's says so.
    assert_eq!(admin::prune_audit(h.app.login(), 400, true).unwrap(), None);
    assert_eq!(audit(&h).len(), kept + 1);
    let again: Value =
        serde_json::from_str(&admin::prune_audit(h.app.login(), 400, false).unwrap().unwrap()).unwrap();
    assert_eq!(again["removed"], 0);
    assert_eq!(audit(&h).len(), kept + 2);
}

/// The browser build is compiled in: `/pkg` serves it without a source
/// tree, byte for byte the committed `wasm/pkg/web`. `--assets DIR` reads a
/// folder instead (503 if it has no build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasm_package_is_served_from_the_binary() {
    let h = harness();
    let req = Request::builder().uri("/pkg/matrixauth_bg.wasm").body(Body::empty()).unwrap();
    let res = h.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/wasm");
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm/pkg/web/matrixauth_bg.wasm")).unwrap();
    assert_eq!(bytes.as_ref(), committed.as_slice());
    assert_eq!(&bytes[..4], b"\0asm");
    let (s, _, _) = call(&h.router, "GET", "/pkg/matrixauth.js", Body::empty()).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&h.router, "GET", "/pkg/other.js", Body::empty()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let dir = tempfile::tempdir().unwrap();
    let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
    let store =
        Store::open(&dir.path().join("db"), keyring.clone(), matrixauth_server::store::Migrate::Yes).unwrap();
    let app = App::new(Config {
        login: common::login(store, keyring, Arc::new(|| T0)),
        audience: "a".into(),
        assets: Some(dir.path().join("empty")),
        appliance_url: None,
        origins: vec![ORIGIN.into()],
        api_rate: matrixauth_server::doors::http::ApiRate::default(),
        trusted_proxies: Vec::new(),
        metrics_allow: Vec::new(),
    })
    .unwrap();
    let (s, _, _) = call(&router(app), "GET", "/pkg/matrixauth_bg.wasm", Body::empty()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
}

/// A flood of other unknown names cannot evict an unknown user's decoy
/// (which would tell it from a real user, whose state is stored): after
/// 10,001 other names and a restart, its pending challenge and its failures
/// are still there, and five failures lock it. Before, decoys lived in memory
/// (10,000 at most) and the flood gave "ghost" a fresh state.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_other_names_does_not_evict_a_decoy() {
    let h = harness();
    let (_, first) = post(&h.router, "/api/challenge", &json!({"user": "ghost"})).await;
    for i in 0..2 {
        let (_, v) = post(
            &h.router,
            "/api/verify",
            &json!({"user": "ghost", "token": first["token"], "answer": format!("{i}0pw0000")}),
        )
        .await;
        assert_eq!(v["outcome"], "rejected");
    }
    for i in 0..10_001 {
        let (st, _) = post(&h.router, "/api/challenge", &json!({"user": format!("flood{i}")})).await;
        assert_eq!(st, StatusCode::OK);
    }
    assert_eq!(h.app.login().decoys_remembered(), 10_002);
    // After the flood and a restart on the same folder, ghost's answered challenge and its two
    // failures are still there: three more failures lock (five in all), as for a real user.
    let h = harness_in(h.dir, T0);
    for i in 2..5 {
        let (_, v) = post(
            &h.router,
            "/api/verify",
            &json!({"user": "ghost", "token": first["token"], "answer": format!("{i}0pw0000")}),
        )
        .await;
        assert_eq!(v["outcome"], "rejected", "failure {i}: the decoy still knows its challenge");
    }
    let (s, _) = post(&h.router, "/api/challenge", &json!({"user": "ghost"})).await;
    assert_eq!(s, StatusCode::LOCKED);
    // Untouched decoys are forgotten after DECOY_KEEP_SECONDS.
    let gone = h.app.login().store().prune_decoys(T0 + matrixauth_server::login::DECOY_KEEP_SECONDS).unwrap();
    assert_eq!(gone, 10_002);
}

/// Issue 15, item 1: enrollment needs an administrator's invitation. Before,
/// `/api/enroll` took any user id, answered 409 for an enrolled one and 201
/// (claiming it) for a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_needs_a_single_use_invitation_and_reveals_no_ids() {
    let h = harness();
    let body =
        |invite: &str, cells: &[&str]| json!({"invite": invite, "cells": cells, "fixed": "pw", "fixedAt": 2});
    // No invitation, a forged one: the same 403, whatever the token.
    let (s, v) = post(&h.router, "/api/enroll", &json!({"cells": CELLS})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s1, forged) = post(&h.router, "/api/enroll", &body(&"a".repeat(64), &CELLS)).await;
    let (s2, junk) = post(&h.router, "/api/enroll", &body("alice", &CELLS)).await;
    assert_eq!((s1, s2), (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN));
    assert_eq!(forged, junk);
    assert_eq!(forged["error"], "invitation_invalid");
    // The page learns whom the link enrols; the link works once.
    let token = invite(&h, "alice");
    let (s, v) = post(&h.router, "/api/invitation", &json!({"invite": token})).await;
    assert_eq!((s, v["user"].as_str()), (StatusCode::OK, Some("alice")), "{v}");
    assert_eq!(v["expiresAt"].as_u64(), Some(T0 + 72 * 3600));
    let (s, v) = post(&h.router, "/api/enroll", &body(&token, &CELLS)).await;
    assert_eq!((s, v["user"].as_str()), (StatusCode::CREATED, Some("alice")), "{v}");
    let (s, used) = post(&h.router, "/api/enroll", &body(&token, &CELLS)).await;
    assert_eq!((s, &used), (StatusCode::FORBIDDEN, &forged), "a used link answers like a forged one");
    let (s, _) = post(&h.router, "/api/invitation", &json!({"invite": token})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Neither the database nor the audit log holds a usable token.
    let db = std::fs::read(h.dir.path().join("matrixauth.db")).unwrap();
    assert!(!db.windows(64).any(|w| w == token.as_bytes()), "the token is stored hashed");
    assert!(audit(&h).iter().all(|l| !l.to_string().contains(&token)));
    // Expiry, and a newer invitation replaces an unused older one.
    let old = invite(&h, "bob");
    let newer = invite(&h, "bob");
    let (s, v) = post(&h.router, "/api/enroll", &body(&old, &CELLS)).await;
    assert_eq!((s, &v), (StatusCode::FORBIDDEN, &forged));
    h.clock.store(T0 + 72 * 3600, Ordering::SeqCst);
    let (s, v) = post(&h.router, "/api/enroll", &body(&newer, &CELLS)).await;
    assert_eq!((s, &v), (StatusCode::FORBIDDEN, &forged), "expired at 72 h");
    assert!(h.app.login().store().load("bob").unwrap().is_none());
    // Re-enrolment: a new pattern; the lock and counters stay.
    for _ in 0..5 {
        let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
        post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": "1"})).await;
    }
    let locked = state_of(&h, "alice");
    assert!(locked.lock_at(h.app.login().now()).is_some());
    let token = invite(&h, "alice");
    let other = ["C3", "F2", "A6", "H7", "E4", "B8"];
    let (s, v) = post(&h.router, "/api/enroll", &body(&token, &other)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let after = state_of(&h, "alice");
    assert_eq!(after.to_bytes(&h.keyring, "alice").unwrap(), locked.to_bytes(&h.keyring, "alice").unwrap());
    let kinds: Vec<String> = audit(&h)
        .iter()
        .filter(|e| e["event"] == "enrolled" || e["action"] == "invite")
        .map(|e| format!("{}:{}", e["event"].as_str().unwrap(), e["user"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        ["admin:alice", "enrolled:alice", "admin:bob", "admin:bob", "admin:alice", "enrolled:alice"]
    );
}

/// Issue 15, item 6: a user with access windows logs in only inside one;
/// outside, only a right answer learns it, gets no ticket, counts no failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_windows_refuse_only_a_right_answer_and_count_nothing() {
    let h = harness();
    enroll(&h, "alice").await;
    let login = |answer_right: bool| {
        let h = &h;
        async move {
            let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
            let answer = if answer_right { answer(&ch["matrix"]) } else { "00000000".into() };
            post(&h.router, "/api/verify", &json!({"user": "alice", "token": ch["token"], "answer": answer}))
                .await
                .1
        }
    };
    let id = admin::window_add(h.app.login(), "alice", T0 + 3600, T0 + 7200).unwrap();
    assert!(id.starts_with("window #1 for alice"), "{id}");
    // Before the window: a wrong answer is an ordinary, counted failure.
    let v = login(false).await;
    assert_eq!(v["outcome"], "rejected");
    assert_eq!(state_of(&h, "alice").consecutive_failures(), 1);
    // A right answer is refused without a ticket and without a failure.
    let v = login(true).await;
    assert_eq!(v["outcome"], "outside_window", "{v}");
    assert!(v.get("redirect").is_none() && v.get("handoff").is_none(), "no ticket: {v}");
    assert_eq!(state_of(&h, "alice").consecutive_failures(), 0);
    assert_eq!(state_of(&h, "alice").failures_since_success(), 0);
    let last = audit(&h).pop().unwrap();
    assert_eq!((last["event"].as_str(), last["via"].as_str()), (Some("outside_window"), Some("http")));
    // Inside: a normal login. At the end (exclusive): refused again.
    h.clock.store(T0 + 3600, Ordering::SeqCst);
    assert_eq!(login(true).await["outcome"], "accepted");
    h.clock.store(T0 + 7200, Ordering::SeqCst);
    assert_eq!(login(true).await["outcome"], "outside_window");
    // Without windows: any time again.
    admin::window_remove(h.app.login(), "alice", 1).unwrap();
    assert!(admin::window_remove(h.app.login(), "alice", 1).is_err());
    assert_eq!(login(true).await["outcome"], "accepted");
    assert!(admin::window_add(h.app.login(), "alice", T0, T0 - 1).is_err(), "to before from");
    assert!(admin::window_add(h.app.login(), "nobody", T0, T0 + 1).is_err(), "unknown user");
    let actions: Vec<String> =
        audit(&h).iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect();
    assert_eq!(actions, ["invite", "window_add", "window_remove"]);
}

/// Issue 15, item 6: the audit log of a period, for submission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_export_gives_a_period_as_csv_or_json_lines_and_is_audited() {
    let h = harness();
    enroll(&h, "alice").await; // T0
    h.clock.store(T0 + 100, Ordering::SeqCst);
    post(&h.router, "/api/challenge", &json!({"user": "=cmd|' /C calc'!A0"})).await; // a hostile name
    h.clock.store(T0 + 200, Ordering::SeqCst);
    post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    h.clock.store(T0 + 300, Ordering::SeqCst);
    let (csv, n) = admin::export(h.app.login(), T0 + 100, T0 + 200, admin::ExportFormat::Csv).unwrap();
    assert_eq!(n, 1, "[from, to): the line at `to` is outside");
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(rows[0], "local_time,unix_time,event,user,details");
    assert!(rows[1].contains(&format!(",{},\"challenge_issued\",\"'=cmd", T0 + 100)), "{}", rows[1]);
    let (jsonl, n) = admin::export(h.app.login(), T0, T0 + 201, admin::ExportFormat::Jsonl).unwrap();
    assert_eq!(n, 4);
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(v["local_time"].as_str().unwrap().starts_with("20"), "{v}");
    }
    let last = audit(&h).pop().unwrap();
    assert_eq!((last["action"].as_str(), last["lines"].as_u64()), (Some("audit_export"), Some(4)));
    assert!(admin::export(h.app.login(), T0, T0, admin::ExportFormat::Csv).is_err());
}

/// A database of the release before versioning is refused by the admin
/// commands until migrated, and keeps its users through the migration.
#[test]
fn an_old_schema_is_refused_until_migrated_and_keeps_its_rows() {
    use matrixauth_server::store::{Migrate, SCHEMA_VERSION};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (user TEXT PRIMARY KEY NOT NULL, credential BLOB NOT NULL, state BLOB NOT NULL,
               version INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;
             CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL) STRICT;
             INSERT INTO audit (line) VALUES ('{\"time\":1,\"event\":\"old\"}');",
        )
        .unwrap();
    }
    let err = Store::open(&path, keyring.clone(), Migrate::No).err().unwrap().to_string();
    assert!(err.contains("matrixauth db migrate"), "{err}");
    let store = Store::open(&path, keyring.clone(), Migrate::Yes).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.audit(None).unwrap(), ["{\"time\":1,\"event\":\"old\"}"]);
    drop(store);
    Store::open(&path, keyring.clone(), Migrate::No).unwrap();
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let err = Store::open(&path, keyring, Migrate::Yes).err().unwrap().to_string();
    assert!(err.contains("newer than this build"), "{err}");
}

/// Issue 14: two nodes on one database (here two apps on one SQLite file):
/// a ticket redeemed on one is refused on the other, which has never seen
/// it, and the log holds one `ticket_redeemed`, never one for the refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_is_redeemed_once_across_nodes_and_the_log_says_so() {
    let h = harness();
    enroll(&h, "alice").await;
    let store = Store::open(
        &h.dir.path().join("matrixauth.db"),
        h.keyring.clone(),
        matrixauth_server::store::Migrate::Yes,
    )
    .unwrap();
    let c = Arc::clone(&h.clock);
    let node_b = App::new(Config {
        login: common::login(store, h.keyring.clone(), Arc::new(move || c.load(Ordering::SeqCst))),
        audience: "vpn.test".into(),
        assets: None,
        appliance_url: None,
        origins: vec![ORIGIN.into()],
        api_rate: matrixauth_server::doors::http::ApiRate::default(),
        trusted_proxies: Vec::new(),
        metrics_allow: Vec::new(),
    })
    .unwrap();
    let router_b = router(node_b);
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let (_, v) = post(
        &h.router,
        "/api/verify",
        &json!({"user": "alice", "token": ch["token"], "answer": answer(&ch["matrix"])}),
    )
    .await;
    let redirect = v["redirect"].as_str().unwrap();
    let (s, _, page) = call(&router_b, "GET", redirect, Body::empty()).await;
    assert_eq!(s, StatusCode::OK, "redeemed on node B: {page}");
    let (s, _, page) = call(&h.router, "GET", redirect, Body::empty()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "node A never saw it, the store did");
    assert!(page.contains("data-reason=\"replayed\""));
    let tickets: Vec<Value> =
        audit(&h).into_iter().filter(|e| e["event"].as_str().unwrap().starts_with("ticket_re")).collect();
    assert_eq!(tickets.len(), 2, "{tickets:?}");
    assert_eq!(tickets[0]["event"], "ticket_redeemed");
    assert_eq!(
        (tickets[1]["event"].as_str(), tickets[1]["reason"].as_str(), tickets[1]["form"].as_str()),
        (Some("ticket_refused"), Some("replayed"), Some("handle"))
    );
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

/// Issue 20, item 5, at the portal: a suspended user's reply is a wrong
/// answer's, to the byte, and no failure is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_users_reply_is_a_wrong_answers_reply() {
    let h = harness();
    enroll(&h, "alice").await;
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let (_, _, wrong) = call(
        &h.router,
        "POST",
        "/api/verify",
        json!({"user": "alice", "token": ch["token"], "answer": "00pw0000"}).to_string(),
    )
    .await;
    assert_eq!(state_of(&h, "alice").consecutive_failures(), 1);
    admin::suspend(h.app.login(), Some("alice")).unwrap();
    for right in [true, false] {
        let (s, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
        assert_eq!(s, StatusCode::OK, "a suspended user still sees a grid, as anyone");
        let a = if right { answer(&ch["matrix"]) } else { "00pw0000".to_owned() };
        let (s, _, body) = call(
            &h.router,
            "POST",
            "/api/verify",
            json!({"user": "alice", "token": ch["token"], "answer": a}).to_string(),
        )
        .await;
        assert_eq!((s, &body), (StatusCode::OK, &wrong), "right answer: {right}");
    }
    assert_eq!(state_of(&h, "alice").consecutive_failures(), 1, "nothing counted while suspended");
    let refused: Vec<Value> = audit(&h).into_iter().filter(|e| e["event"] == "suspended_refused").collect();
    assert_eq!(refused.len(), 2);
    assert!(refused.iter().all(|e| e["via"] == "http"));
    admin::resume(h.app.login(), "alice").unwrap();
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    let (_, v) = post(
        &h.router,
        "/api/verify",
        &json!({"user": "alice", "token": ch["token"], "answer": answer(&ch["matrix"])}),
    )
    .await;
    assert_eq!(v["outcome"], "accepted");
    assert_eq!(v["sessionEnd"], T0 + 8 * 3600, "no window: session.max_seconds");
}

/// Issue 20, item 3, at the portal: card holders get their card's cells;
/// an unknown id of the card kind gets a reply of the same shape, and one of
/// the pattern kind the shape of a pattern user's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_holders_pattern_users_and_unknown_ids_get_replies_of_one_shape() {
    let h = harness();
    enroll(&h, "alice").await;
    let card = h.app.login().issue_card("erin", "test").unwrap();
    assert_eq!(h.app.login().refresh_share().unwrap(), 16, "one card holder in two users");
    let (_, real_card) = post(&h.router, "/api/challenge", &json!({"user": "erin"})).await;
    let (_, real_grid) = post(&h.router, "/api/challenge", &json!({"user": "alice"})).await;
    assert_eq!(
        (real_card["kind"].as_str(), real_card["serial"].as_str()),
        (Some("card"), Some(card.serial()))
    );
    let mut seen = (0, 0);
    for i in 0..40 {
        let user = format!("ghost{i}");
        let (s, v) = post(&h.router, "/api/challenge", &json!({"user": user})).await;
        assert_eq!(s, StatusCode::OK);
        let like = if v["kind"] == "card" { &real_card } else { &real_grid };
        assert_eq!(keys(&v), keys(like), "{v}");
        if v["kind"] == "card" {
            seen.0 += 1;
            assert_eq!(v["serial"].as_str().unwrap().len(), card.serial().len());
            assert_eq!(v["cells"].as_array().unwrap().len(), 3);
            assert_eq!(v["remaining"], real_card["remaining"]);
        } else {
            seen.1 += 1;
            assert_eq!(v["matrix"].as_array().unwrap().len(), 8);
        }
        let (_, again) = post(&h.router, "/api/challenge", &json!({"user": user})).await;
        assert_eq!(
            (again["kind"].clone(), again["serial"].clone()),
            (v["kind"].clone(), v["serial"].clone())
        );
    }
    assert!(seen.0 > 5 && seen.1 > 5, "both kinds among 40 unknown ids: {seen:?}");
}

/// Issue 21, item 2: a database writer without the keyring cannot make an
/// invitation (the stored hash is keyed), nor point one at another user or
/// stretch its life (a MAC binds hash, user and expiry): each is the one 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_writer_cannot_make_or_repoint_an_invitation() {
    use sha2::Digest as _;
    let h = harness();
    enroll(&h, "carol").await;
    let db = rusqlite::Connection::open(h.dir.path().join("matrixauth.db")).unwrap();
    let body = |invite: &str| json!({"invite": invite, "cells": ["A1", "C3", "E5", "G7", "B8", "H2"], "fixed": "x", "fixedAt": 0});
    // Inserted with an unkeyed hash of a token the writer chose (what schema 5 stored).
    let forged = "f".repeat(64);
    let hash: [u8; 32] = sha2::Sha256::digest(forged.as_bytes()).into();
    db.execute(
        "INSERT INTO invitations (token_hash, user, created_at, expires_at) VALUES (?1, 'carol', 0, 9999999999)",
        rusqlite::params![&hash[..]],
    )
    .unwrap();
    let (s, v) = post(&h.router, "/api/enroll", &body(&forged)).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::FORBIDDEN, Some("invitation_invalid")));
    // A genuine invitation for mallory, re-pointed at carol, or given a longer life.
    for edit in [
        "UPDATE invitations SET user = 'carol' WHERE user = 'mallory'",
        "UPDATE invitations SET expires_at = expires_at + 86400 WHERE user = 'mallory'",
    ] {
        let token = invite(&h, "mallory");
        assert_eq!(db.execute(edit, []).unwrap(), 1);
        let (s, v) = post(&h.router, "/api/invitation", &json!({"invite": token})).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::FORBIDDEN, Some("invitation_invalid")), "{edit}");
        let (s, _) = post(&h.router, "/api/enroll", &body(&token)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{edit}");
    }
    // Carol still logs in with her own pattern.
    let (_, ch) = post(&h.router, "/api/challenge", &json!({"user": "carol"})).await;
    let (_, v) = post(
        &h.router,
        "/api/verify",
        &json!({"user": "carol", "token": ch["token"], "answer": answer(&ch["matrix"])}),
    )
    .await;
    assert_eq!(v["outcome"], "accepted");
}
