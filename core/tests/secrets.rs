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
//! Secrets never show in Debug output, errors or audit events.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use matrixauth::*;

const T: u64 = 1_800_000_000;

#[test]
fn debug_output_of_secret_types_holds_no_secret() {
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "S3cr3t!", 2).unwrap();
    let text = format!("{cred:?} {cred:#?}");
    assert_eq!(format!("{cred:?}"), "PatternCredential { .. }");
    for needle in ["B2", "G3", "S3cr3t", "Cell"] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
    let key = [0xAB; 32];
    let ring = Keyring::new(&key, 1).unwrap();
    let text = format!("{ring:?} {ring:#?}");
    assert!(!text.to_lowercase().contains("ab, ") && !text.contains("171"), "{text}");
    let auth = Authenticator::new(ring.clone(), Policy::default()).unwrap();
    let text = format!("{auth:?} {:?}", TicketVerifier::new(ring, 1));
    assert!(!text.contains("171") && !text.to_lowercase().contains("abab"), "{text}");
    let k = Keyring::generate_key().unwrap();
    // Zeroizing<[u8; 32]> prints its bytes; hosts must not log it. Our own
    // types never hold it in a Debug-printing field.
    assert_eq!(k.len(), 32);
}

#[test]
fn errors_and_events_hold_no_secret() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let auth = auth().with_audit_sink(Arc::new(move |e: &Event| sink_events.lock().unwrap().push(e.clone())));
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "S3cr3t!", 2).unwrap();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let right = cred.respond(&ch).unwrap();
    let v = auth.verify("alice", &cred, &mut st, &ch.token, &right, T + 1).unwrap();
    assert!(v.accepted());
    for _ in 0..6 {
        if let Ok(ch) = auth.issue_challenge("alice", &mut st, T + 2) {
            let _ = auth.verify("alice", &cred, &mut st, &ch.token, "99S3cr3t!9999", T + 2).unwrap();
        }
    }
    let _ = auth.issue_challenge("alice", &mut st, T + 3);
    auth.unlock("alice", &mut st, T + 4).unwrap();
    let events = events.lock().unwrap();
    assert!(events.len() >= 10);
    for e in events.iter() {
        let text = format!("{} {e:?}", e.to_json());
        for needle in ["S3cr3t", right.as_str(), &ch.token, "B2"] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        serde_json::from_str::<serde_json::Value>(&e.to_json()).unwrap();
    }
    // Error messages: bad fixed string, bad cells.
    for e in [
        PatternCredential::from_names(&["B2"], "S3cr3t\u{1}", 0).unwrap_err(),
        PatternCredential::from_names(&["Q99"], "S3cr3t", 0).unwrap_err(),
    ] {
        let text = format!("{e} {e:?}");
        assert!(!text.contains("S3cr3t") && !text.contains("Q99"), "{text}");
    }
    let state_dbg = format!("{st:?}");
    assert!(!state_dbg.contains("answer_mac"), "{state_dbg}");
}

#[test]
fn audit_json_escapes_hostile_user_ids() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("a\"b\\c\u{2028}", &mut st, T).unwrap();
    let line = ch.event.to_json();
    assert!(!line.contains('\n') && !line.contains('\u{2028}'));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["user"], "a\"b\\c\u{2028}");
    assert_eq!(v["event"], "challenge_issued");
    assert_eq!(v["seq"], 0);
}
