#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs,
    clippy::float_cmp,
    clippy::naive_bytecount,
    clippy::manual_strip
)]
//! Login tickets: single use, audience, expiry, forgery, replay cache.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use matrixauth::*;

const T: u64 = 1_800_000_000;

fn refused(r: Result<String>) -> TicketError {
    match r {
        Err(Error::Ticket(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn single_use_audience_and_expiry() {
    let auth = auth();
    let verifier = TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 100);
    let t = auth.issue_ticket("alice", "vpn.example", T).unwrap();
    assert_eq!(refused(verifier.redeem(&t, "other.example", T + 1)), TicketError::WrongAudience);
    assert_eq!(verifier.redeem(&t, "vpn.example", T + 1).unwrap(), "alice");
    assert_eq!(refused(verifier.redeem(&t, "vpn.example", T + 2)), TicketError::Replayed);
    let t2 = auth.issue_ticket("alice", "vpn.example", T).unwrap();
    assert_eq!(refused(verifier.redeem(&t2, "vpn.example", T + 30)), TicketError::Expired);
    assert_eq!(verifier.redeem(&t2, "vpn.example", T + 29).unwrap(), "alice");
}

#[test]
fn ticket_len_is_exact() {
    let auth = auth();
    for (user, audience) in [
        ("a", "v"),
        ("alice", "vpn.example"),
        ("山田太郎", "アプライアンス"),
        (&*"u".repeat(255), &*"a".repeat(255)),
    ] {
        assert_eq!(auth.issue_ticket(user, audience, T).unwrap().len(), ticket_len(user, audience), "{user}");
    }
}

#[test]
fn forged_and_malformed_tickets_are_refused() {
    let auth = auth();
    let verifier = TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 100);
    let other = Authenticator::new(Keyring::new(&[9; 32], 1).unwrap(), Policy::default()).unwrap();
    let foreign = other.issue_ticket("alice", "vpn.example", T).unwrap();
    assert_eq!(refused(verifier.redeem(&foreign, "vpn.example", T + 1)), TicketError::Forged);
    let unknown_key = Authenticator::new(Keyring::new(&KEY, 7).unwrap(), Policy::default()).unwrap();
    let t7 = unknown_key.issue_ticket("alice", "vpn.example", T).unwrap();
    assert_eq!(refused(verifier.redeem(&t7, "vpn.example", T + 1)), TicketError::Forged);
    for junk in ["", "x", "!!!!", &"A".repeat(5000)] {
        assert_eq!(refused(verifier.redeem(junk, "vpn.example", T)), TicketError::Malformed, "{junk:.10}");
    }
    let t = auth.issue_ticket("alice", "vpn.example", T).unwrap();
    for i in 0..t.len() {
        let mut b = t.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(b).unwrap();
        assert!(matches!(
            refused(verifier.redeem(&forged, "vpn.example", T + 1)),
            TicketError::Forged | TicketError::Malformed
        ));
    }
    assert_eq!(verifier.redeem(&t, "vpn.example", T + 1).unwrap(), "alice");
}

#[test]
fn full_replay_cache_refuses_then_frees_expired_entries() {
    let auth = auth();
    let verifier = TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 3);
    let tickets: Vec<String> = (0..5).map(|_| auth.issue_ticket("alice", "vpn", T).unwrap()).collect();
    for t in &tickets[..3] {
        assert_eq!(verifier.redeem(t, "vpn", T + 1).unwrap(), "alice");
    }
    assert_eq!(refused(verifier.redeem(&tickets[3], "vpn", T + 1)), TicketError::CacheFull);
    assert_eq!(verifier.cached(), 3);
    // Once those expire the cache frees them; a newer ticket goes through.
    let later = auth.issue_ticket("bob", "vpn", T + 30).unwrap();
    assert_eq!(verifier.redeem(&later, "vpn", T + 31).unwrap(), "bob");
    assert_eq!(verifier.cached(), 1);
    // A clock set back cannot revive a purged ticket.
    assert_eq!(refused(verifier.redeem(&tickets[0], "vpn", T + 2)), TicketError::Expired);
}

#[test]
fn lifetime_and_clock_skew_limits() {
    let long = auth_with(Policy { ticket_ttl: 3600, ..Policy::default() });
    let verifier = TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 10);
    let t = long.issue_ticket("alice", "vpn", T).unwrap();
    assert_eq!(refused(verifier.redeem(&t, "vpn", T + 1)), TicketError::BadLifetime);
    let lenient = TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 10).with_max_lifetime(3600);
    assert_eq!(lenient.redeem(&t, "vpn", T + 1).unwrap(), "alice");
    let future = auth().issue_ticket("alice", "vpn", T + 100).unwrap();
    assert_eq!(refused(verifier.redeem(&future, "vpn", T)), TicketError::BadLifetime);
    let skewed = auth().issue_ticket("alice", "vpn", T + 20).unwrap();
    assert_eq!(verifier.redeem(&skewed, "vpn", T).unwrap(), "alice");
}

#[test]
fn concurrent_redeems_accept_each_ticket_once() {
    let auth = auth();
    let verifier = Arc::new(TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 1000));
    let tickets: Arc<Vec<String>> =
        Arc::new((0..50).map(|_| auth.issue_ticket("alice", "vpn", T).unwrap()).collect());
    let wins = Arc::new(Mutex::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (v, ts, w) = (verifier.clone(), tickets.clone(), wins.clone());
            std::thread::spawn(move || {
                for t in ts.iter() {
                    if v.redeem(t, "vpn", T + 1).is_ok() {
                        *w.lock().unwrap() += 1;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*wins.lock().unwrap(), 50);
}

#[test]
fn audit_events_for_tickets() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let sink: AuditSink = Arc::new(move |e: &Event| sink_events.lock().unwrap().push(e.to_json()));
    let auth = auth().with_audit_sink(sink.clone());
    let verifier = TicketVerifier::new(Keyring::new(&KEY, 1).unwrap(), 10).with_audit_sink(sink);
    let t = auth.issue_ticket("alice", "vpn", T).unwrap();
    verifier.redeem(&t, "vpn", T + 1).unwrap();
    let _ = verifier.redeem(&t, "vpn", T + 2);
    let _ = verifier.redeem("junk", "vpn", T + 2);
    let lines = events.lock().unwrap().clone();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].contains(r#""event":"ticket_issued""#) && lines[0].contains(r#""audience":"vpn""#));
    assert!(lines[1].contains(r#""event":"ticket_redeemed""#) && lines[1].contains(r#""user":"alice""#));
    assert!(lines[2].contains(r#""reason":"replayed""#));
    assert!(lines[3].contains(r#""reason":"malformed""#) && lines[3].contains(r#""user":"""#));
    for l in &lines {
        assert!(!l.contains(&t), "the ticket itself never reaches the log");
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
}
