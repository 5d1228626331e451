#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The monitoring endpoints (issue 24): `/healthz` (liveness), `/readyz`
//! (database reachable: 503 when it is not), `/metrics` (counts after a
//! login; only to `metrics.allow`), and the syslog sender over TLS against
//! a rustls collector with an rcgen certificate (the real-peer tests, with
//! rsyslog, are in `scripts/syslog-test.sh`).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use matrixauth_server::doors::http::{ApiRate, App, Config, router};
use matrixauth_server::keys;
use matrixauth_server::net::Cidr;
use matrixauth_server::store::{Migrate, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:8080";
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

struct Harness {
    router: Router,
    app: Arc<App>,
    dir: tempfile::TempDir,
}

fn harness(allow: &[&str]) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let keyring = keys::load_or_create(&dir.path().join("keyring")).unwrap();
    let store = Store::open(&dir.path().join("matrixauth.db"), keyring.clone(), Migrate::Yes).unwrap();
    let app = App::new(Config {
        login: common::login(store, keyring, Arc::new(|| 1_800_000_000)),
        audience: "vpn.test".into(),
        assets: None,
        appliance_url: None,
        origins: vec![ORIGIN.into()],
        api_rate: ApiRate::default(),
        trusted_proxies: vec![Cidr::parse("127.0.0.9").unwrap()],
        metrics_allow: allow.iter().map(|c| Cidr::parse(c).unwrap()).collect(),
    })
    .unwrap();
    Harness { router: router(Arc::clone(&app)), app, dir }
}

/// A request from `peer` (the TCP peer the listener records) with `headers`;
/// status and body.
async fn get_from(router: &Router, path: &str, peer: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut req = Request::builder().method("GET").uri(path).header("host", "10.0.0.5:8080");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn post(router: &Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn answer(matrix: &Value) -> String {
    let digits: Vec<u8> = matrix
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|d| u8::try_from(d.as_u64().unwrap()).unwrap()))
        .collect();
    let m = mx::Matrix::from_digits(mx::Geometry::new(8, 8).unwrap(), &digits).unwrap();
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    cred.respond_matrix(&m).unwrap().to_string()
}

/// Enrols `user` and logs them in through the portal's API.
async fn enrol_and_login(h: &Harness, user: &str) {
    let out = matrixauth_server::admin::invite(h.app.login(), user, 72, ORIGIN, true).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    let invite = v["link"].as_str().unwrap().rsplit_once("#invite=").unwrap().1.to_owned();
    let body = json!({"invite": invite, "cells": CELLS, "fixed": "pw", "fixedAt": 2});
    assert_eq!(post(&h.router, "/api/enroll", &body).await.0, StatusCode::CREATED);
    let (s, ch) = post(&h.router, "/api/challenge", &json!({"user": user})).await;
    assert_eq!(s, StatusCode::OK, "{ch}");
    let body = json!({"user": user, "token": ch["token"], "answer": answer(&ch["matrix"])});
    let (s, v) = post(&h.router, "/api/verify", &body).await;
    assert_eq!((s, v["outcome"].as_str()), (StatusCode::OK, Some("accepted")), "{v}");
}

/// The value of the sample `series` (name and labels as written) in an exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_and_readyz_answer_any_host_and_readyz_is_503_without_the_database() {
    let h = harness(&["127.0.0.1"]);
    // Any Host: a monitoring server polls an address, not the portal's name (the portal's own
    // pages would get 421 with this Host).
    assert_eq!(get_from(&h.router, "/healthz", "192.0.2.7", &[]).await, (StatusCode::OK, "ok\n".into()));
    assert_eq!(get_from(&h.router, "/readyz", "192.0.2.7", &[]).await, (StatusCode::OK, "ok\n".into()));
    assert_eq!(get_from(&h.router, "/api/policy", "192.0.2.7", &[]).await.0, StatusCode::MISDIRECTED_REQUEST);

    // The database made unusable under the running server: its file overwritten with bytes that
    // are no SQLite database, its WAL index dropped (root reads any file, so no chmod).
    let db = h.dir.path().join("matrixauth.db");
    std::fs::write(&db, vec![0x55u8; 64 * 1024]).unwrap();
    for suffix in ["-shm", "-wal"] {
        let _ = std::fs::write(h.dir.path().join(format!("matrixauth.db{suffix}")), vec![0u8; 64 * 1024]);
    }
    let (status, body) = get_from(&h.router, "/readyz", "192.0.2.7", &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"));
    assert_eq!(get_from(&h.router, "/healthz", "192.0.2.7", &[]).await.0, StatusCode::OK, "still live");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_a_login_and_answer_only_the_allowed_addresses() {
    let h = harness(&["127.0.0.1", "10.1.0.0/16"]);
    let before = matrixauth_server::metrics::global().logins("http", "accepted");
    enrol_and_login(&h, "alice").await;
    let (status, text) = get_from(&h.router, "/metrics", "127.0.0.1", &[]).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let accepted = sample(&text, r#"matrixauth_logins_total{door="http",outcome="accepted"}"#).unwrap();
    // Other tests of this binary may log in at the same time: at least this one is counted.
    assert!(accepted >= (before + 1) as f64, "{text}");
    assert!(sample(&text, r#"matrixauth_logins_total{door="http",outcome="prompt"}"#).unwrap() >= 1.0);
    let count = sample(&text, r#"matrixauth_login_duration_seconds_count{door="http"}"#).unwrap();
    let inf = sample(&text, r#"matrixauth_login_duration_seconds_bucket{door="http",le="+Inf"}"#).unwrap();
    assert!(count >= 2.0 && (inf - count).abs() < f64::EPSILON, "{text}");
    assert!(text.contains("# TYPE matrixauth_logins_total counter"));
    assert!(text.contains("# TYPE matrixauth_login_duration_seconds histogram"));
    assert!(text.contains(&format!("matrixauth_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))));
    for family in ["matrixauth_locks_total", "matrixauth_database_errors_total"] {
        assert!(text.contains(&format!("# TYPE {family} counter")), "{family}");
    }
    // Nothing tells unknown ids or suspended users apart (SPEC §13): no decoy count, and a
    // suspended user's attempt is a `rejected` one (the attacker's review of issue 24).
    for leak in ["decoy", "suspended"] {
        assert!(!text.contains(leak), "{leak}: {text}");
    }

    // An allowed range; then addresses outside: the same 404 as a page that does not exist.
    assert_eq!(get_from(&h.router, "/metrics", "10.1.2.3", &[]).await.0, StatusCode::OK);
    let (status, body) = get_from(&h.router, "/metrics", "10.2.0.1", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("matrixauth_"), "{body}");
    assert_eq!(get_from(&h.router, "/metrics", "::1", &[]).await.0, StatusCode::NOT_FOUND);
    // Through a proxy that is not trusted (a loopback peer with X-Forwarded-For): refused, as
    // its client is unknown; through the trusted one, the client it names decides.
    let xff = [("x-forwarded-for", "10.1.2.3")];
    assert_eq!(get_from(&h.router, "/metrics", "127.0.0.1", &xff).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get_from(&h.router, "/metrics", "127.0.0.9", &xff).await.0, StatusCode::OK);
    let outside = [("x-forwarded-for", "203.0.113.5")];
    assert_eq!(get_from(&h.router, "/metrics", "127.0.0.9", &outside).await.0, StatusCode::NOT_FOUND);
    // Without a recorded peer (no listener): refused.
    let req = Request::builder().uri("/metrics").body(Body::empty()).unwrap();
    assert_eq!(h.router.clone().oneshot(req).await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_with_no_allowed_address_answer_nobody() {
    let h = harness(&[]);
    assert_eq!(get_from(&h.router, "/metrics", "127.0.0.1", &[]).await.0, StatusCode::NOT_FOUND);
}
