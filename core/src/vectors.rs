//! The golden-vector generator (unit test, `cfg(test)` only).
//!
//! It drives the public API with a deterministic random stream and writes
//! `core/tests/vectors/*.json`. Run normally it regenerates every file in
//! memory and fails if a committed file differs, so a format change cannot
//! slip in unnoticed; `MATRIXAUTH_WRITE_VECTORS=1 cargo test -p matrixauth
//! golden` rewrites them. Every frontend reads the same files; see
//! `docs/FORMATS.md` for their schema.

#![allow(clippy::format_collect, clippy::too_many_lines)]

use serde_json::{Value, json};

use crate::*;

const KEY1: [u8; 32] = *b"matrixauth golden vector key #1!";
const KEY2: [u8; 32] = *b"matrixauth golden vector key #2!";
const T0: u64 = 1_800_000_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digits(m: &Matrix) -> String {
    m.digits().iter().map(|d| char::from(b'0' + d)).collect()
}

fn keyring1() -> Keyring {
    Keyring::new(&KEY1, 1).unwrap()
}

/// The state's bytes under `ring` for `user`, in hex.
fn sb(st: &UserState, ring: &Keyring, user: &str) -> String {
    hex(&st.to_bytes(ring, user).unwrap())
}

fn keyring_rotated() -> Keyring {
    let mut kr = Keyring::new(&KEY1, 1).unwrap();
    kr.rotate(&KEY2, 2).unwrap();
    kr
}

struct Cred {
    name: &'static str,
    cells: &'static [&'static str],
    fixed: &'static str,
    fixed_at: usize,
}

const CREDS: &[Cred] = &[
    Cred { name: "six", cells: &["B2", "G3", "D5", "A8", "H1", "E6"], fixed: "pw", fixed_at: 2 },
    Cred { name: "four_no_fixed", cells: &["C3", "F2", "A6", "H7"], fixed: "", fixed_at: 0 },
    Cred {
        name: "sixteen_long_fixed",
        cells: &[
            "A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2",
        ],
        fixed: "Fixed-String_32chars+!#$%&()*,.;",
        fixed_at: 16,
    },
    Cred { name: "fixed_first", cells: &["H8", "A2", "C7", "E1", "G4", "B6"], fixed: "@Tokyo", fixed_at: 0 },
];

fn cred(name: &str) -> PatternCredential {
    let c = CREDS.iter().find(|c| c.name == name).unwrap();
    PatternCredential::from_names(c.cells, c.fixed, c.fixed_at).unwrap()
}

fn creds_json() -> Value {
    CREDS
        .iter()
        .map(|c| {
            (
                c.name.to_owned(),
                json!({"cells": c.cells, "fixed": c.fixed, "fixed_at": c.fixed_at,
                       "bytes": hex(&cred(c.name).to_bytes())}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn keyrings_json() -> Value {
    json!({
        "k1": {"current": 1, "keys": [{"id": 1, "key": hex(&KEY1)}]},
        "rotated": {"current": 2, "keys": [{"id": 1, "key": hex(&KEY1)}, {"id": 2, "key": hex(&KEY2)}]},
    })
}

fn cells_vectors() -> Value {
    let valid: Vec<Value> = ["A1", "b3", "H8", "Ｂ３", "ｈ８", " C 4 ", "Z26", "z10", "A9", "J10"]
        .iter()
        .map(|n| {
            let c: Cell = n.parse().unwrap();
            json!({"name": n, "row": c.row, "col": c.col, "canonical": c.to_string(),
                   "index_8x8": Geometry::default().index_of(c).ok()})
        })
        .collect();
    let invalid = ["", "A", "1", "A0", "A27", "AA1", "1A", "A01", "A-1", "@1", "[1", "A1B", "Ａ０", "é1"];
    for n in invalid {
        assert!(n.parse::<Cell>().is_err(), "{n}");
    }
    json!({"valid": valid, "invalid": invalid})
}

fn fold_vectors() -> Value {
    let inputs = [
        "ab12",
        "ａｂ１２",
        "a b\t1\u{3000}2",
        "１２３４５６ｐｗ",
        "！～",
        "x\u{FF5F}y",
        "é\u{00A0}é",
        "  ",
        "",
    ];
    let cases: Vec<Value> = inputs.iter().map(|i| json!({"input": i, "folded": fold(i).as_str()})).collect();
    json!(cases)
}

fn challenge_vectors() -> Value {
    let mut cases = Vec::new();
    for (i, (ring_name, ring)) in [("k1", keyring1()), ("rotated", keyring_rotated())].into_iter().enumerate()
    {
        for (j, policy) in
            [Policy::default(), Policy { rows: 4, cols: 6, min_pattern_len: 4, ..Policy::default() }]
                .into_iter()
                .enumerate()
        {
            let auth = Authenticator::new(ring.clone(), policy.clone()).unwrap();
            crate::rng::set_test_seed(Some(100 + (i * 10 + j) as u64));
            let mut state = UserState::new();
            let user = if j == 0 { "alice" } else { "山田太郎@city.example.lg.jp" };
            let ch = auth.issue_challenge(user, &mut state, T0 + j as u64).unwrap();
            cases.push(json!({
                "keyring": ring_name, "rows": policy.rows, "cols": policy.cols, "user": user,
                "now": T0 + 60, "state": sb(&state, auth.keyring(), user), "token": ch.token,
                "matrix": digits(&ch.matrix), "seq": ch.seq, "issued_at": ch.issued_at, "expires_at": ch.expires_at,
                "matrix_text": ch.matrix.render_text(),
            }));
        }
    }
    crate::rng::set_test_seed(None);
    json!({"cases": cases})
}

fn response_vectors() -> Value {
    let matrix = Matrix::from_digits(
        Geometry::default(),
        &(0..64).map(|i| ((i * 7 + 3) % 10) as u8).collect::<Vec<_>>(),
    )
    .unwrap();
    let cases: Vec<Value> = CREDS
        .iter()
        .map(|c| {
            json!({"credential": c.name, "rows": 8, "cols": 8, "matrix": digits(&matrix),
                        "response": cred(c.name).respond_matrix(&matrix).unwrap().as_str()})
        })
        .collect();
    json!({"cases": cases})
}

struct Recorder {
    cases: Vec<Value>,
}

impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &mut self,
        name: &str,
        auth: &Authenticator,
        ring: &str,
        user: &str,
        cred_name: &str,
        state: &mut UserState,
        token: Option<&str>,
        response: &str,
        now: u64,
        expect: Outcome,
    ) {
        let before = sb(state, auth.keyring(), user);
        let v = match token {
            Some(token) => auth.verify(user, &cred(cred_name), state, token, response, now),
            None => auth.verify_pending(user, &cred(cred_name), state, response, now),
        }
        .unwrap();
        assert_eq!(v.outcome, expect, "{name}");
        self.cases.push(json!({
            "name": name, "keyring": ring, "user": user, "credential": cred_name,
            "state_before": before, "token": token, "response": response, "now": now,
            "outcome": v.outcome.as_str(), "state_after": sb(state, auth.keyring(), user), "event": v.event.to_json(),
        }));
    }
}

fn verify_vectors() -> Value {
    crate::rng::set_test_seed(Some(7));
    let auth = Authenticator::new(keyring1(), Policy { min_pattern_len: 4, ..Policy::default() }).unwrap();
    let mut rec = Recorder { cases: Vec::new() };
    let mut st = UserState::new();
    let v = |rec: &mut Recorder,
             name: &str,
             user: &str,
             st: &mut UserState,
             token: Option<&str>,
             response: &str,
             now: u64,
             expect: Outcome| {
        rec.verify(name, &auth, "k1", user, "six", st, token, response, now, expect);
    };

    // Accepted, then within the 30 s retry window the client retries:
    // duplicate; another answer to the same token: rejected and counted (no
    // free guesses). After the window: stale, whatever the answer.
    let ch = auth.issue_challenge("alice", &mut st, T0).unwrap();
    let right = cred("six").respond(&ch).unwrap();
    v(&mut rec, "accepted", "alice", &mut st, Some(&ch.token), &right, T0 + 10, Outcome::Accepted);
    v(&mut rec, "duplicate", "alice", &mut st, Some(&ch.token), &right, T0 + 11, Outcome::Duplicate);
    v(
        &mut rec,
        "rejected_other_answer_in_window",
        "alice",
        &mut st,
        Some(&ch.token),
        "000000pw",
        T0 + 12,
        Outcome::Rejected,
    );
    v(
        &mut rec,
        "duplicate_after_a_counted_guess",
        "alice",
        &mut st,
        Some(&ch.token),
        &right,
        T0 + 39,
        Outcome::Duplicate,
    );
    v(
        &mut rec,
        "stale_after_window_right",
        "alice",
        &mut st,
        Some(&ch.token),
        &right,
        T0 + 40,
        Outcome::Stale,
    );
    v(
        &mut rec,
        "stale_after_window_other",
        "alice",
        &mut st,
        Some(&ch.token),
        "000000pw",
        T0 + 41,
        Outcome::Stale,
    );

    // Full-width and spaced answer.
    let ch = auth.issue_challenge("alice", &mut st, T0 + 120).unwrap();
    let right = cred("six").respond(&ch).unwrap();
    let wide: String =
        right.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect::<String>() + "\u{3000}";
    v(&mut rec, "accepted_full_width", "alice", &mut st, Some(&ch.token), &wide, T0 + 130, Outcome::Accepted);

    // Without a token (verify_pending): nothing pending is stale; the
    // pending challenge is answered as with its token.
    v(&mut rec, "pending_nothing_pending", "alice", &mut st, None, &right, T0 + 131, Outcome::Stale);
    let ch = auth.issue_challenge("alice", &mut st, T0 + 140).unwrap();
    let right = cred("six").respond(&ch).unwrap();
    v(&mut rec, "pending_accepted", "alice", &mut st, None, &right, T0 + 141, Outcome::Accepted);
    v(
        &mut rec,
        "pending_duplicate_with_token",
        "alice",
        &mut st,
        Some(&ch.token),
        &right,
        T0 + 142,
        Outcome::Duplicate,
    );

    // Invalid tokens: tampered, other user, garbage; expired.
    let ch = auth.issue_challenge("alice", &mut st, T0 + 240).unwrap();
    let mut tampered = ch.token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    v(&mut rec, "invalid_tampered", "alice", &mut st, Some(&tampered), "x", T0 + 241, Outcome::Invalid);
    v(&mut rec, "invalid_other_user", "bob", &mut st, Some(&ch.token), "x", T0 + 241, Outcome::Invalid);
    v(&mut rec, "invalid_garbage", "alice", &mut st, Some("not a token!"), "x", T0 + 241, Outcome::Invalid);
    v(&mut rec, "expired", "alice", &mut st, Some(&ch.token), "x", ch.expires_at, Outcome::Expired);

    // Five wrong answers lock for 900 s; a right answer while locked is `locked`.
    let mut t = T0 + 1000;
    let mut last_token = String::new();
    for k in 1..=5 {
        let ch = auth.issue_challenge("alice", &mut st, t).unwrap();
        v(
            &mut rec,
            &format!("rejected_{k}"),
            "alice",
            &mut st,
            Some(&ch.token),
            "12pw3456",
            t + 5,
            Outcome::Rejected,
        );
        last_token = ch.token;
        t += 10;
    }
    assert_eq!(st.locked_until(), t - 10 + 5 + 900);
    // Issue is refused while locked, so use the last token: `locked` comes
    // before the pending check (and before the retry window).
    v(&mut rec, "locked", "alice", &mut st, Some(&last_token), "12pw3456", t, Outcome::Locked);
    v(&mut rec, "pending_locked", "alice", &mut st, None, "12pw3456", t, Outcome::Locked);

    // After the lock: a malformed (over-long) answer counts as a failure.
    t = st.locked_until();
    let ch = auth.issue_challenge("alice", &mut st, t).unwrap();
    let long = "9".repeat(300);
    v(&mut rec, "rejected_malformed", "alice", &mut st, Some(&ch.token), &long, t + 1, Outcome::Rejected);
    let ch = auth.issue_challenge("alice", &mut st, t + 2).unwrap();
    let right = cred("six").respond(&ch).unwrap();
    v(&mut rec, "accepted_resets", "alice", &mut st, Some(&ch.token), &right, t + 3, Outcome::Accepted);

    // Every credential shape, under a rotated keyring and an old-key token.
    let old = Authenticator::new(keyring1(), Policy { min_pattern_len: 4, ..Policy::default() }).unwrap();
    let rotated =
        Authenticator::new(keyring_rotated(), Policy { min_pattern_len: 4, ..Policy::default() }).unwrap();
    for c in CREDS {
        let mut st = UserState::new();
        let ch = old.issue_challenge("carol", &mut st, T0).unwrap();
        let right = cred(c.name).respond(&ch).unwrap();
        let name = format!("old_key_{}", c.name);
        rec.verify(
            &name,
            &rotated,
            "rotated",
            "carol",
            c.name,
            &mut st,
            Some(&ch.token),
            &right,
            T0 + 5,
            Outcome::Accepted,
        );
        let ch = rotated.issue_challenge("carol", &mut st, T0 + 10).unwrap();
        let mut wrong = cred(c.name).respond(&ch).unwrap().as_str().to_owned();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        let name = format!("one_char_off_{}", c.name);
        rec.verify(
            &name,
            &rotated,
            "rotated",
            "carol",
            c.name,
            &mut st,
            Some(&ch.token),
            &wrong,
            T0 + 15,
            Outcome::Rejected,
        );
    }
    crate::rng::set_test_seed(None);
    json!({"policy": {"min_pattern_len": 4, "retry_window": 30}, "cases": rec.cases})
}

fn state_vectors() -> Value {
    let auth = Authenticator::new(keyring1(), Policy::default()).unwrap();
    let ring = keyring1();
    crate::rng::set_test_seed(Some(9));
    let mut valid = Vec::new();
    let mut push = |name: &str, st: &UserState| {
        valid.push(json!({
            "name": name, "bytes": sb(st, &ring, "alice"), "version": st.version(),
            "consecutive_failures": st.consecutive_failures(), "failures_since_success": st.failures_since_success(),
            "lock_level": st.lock_level(), "locked_until": st.locked_until(),
            "permanently_locked": st.permanently_locked(), "next_seq": st.next_seq(),
            "pending_expires_at": st.pending_expires_at(),
        }));
    };
    let mut st = UserState::new();
    push("new", &st);
    let _ = auth.issue_challenge("alice", &mut st, T0).unwrap();
    push("pending", &st);
    for i in 0..5 {
        let ch = auth.issue_challenge("alice", &mut st, T0 + i).unwrap();
        let _ = auth.verify("alice", &cred("six"), &mut st, &ch.token, "0", T0 + i).unwrap();
    }
    push("locked", &st);
    let locked = st.clone();
    for i in 0..95u64 {
        let t = st.locked_until() + i;
        let ch = auth.issue_challenge("alice", &mut st, t).unwrap();
        let _ = auth.verify("alice", &cred("six"), &mut st, &ch.token, "0", t).unwrap();
    }
    assert!(st.permanently_locked());
    push("permanently_locked", &st);
    // Under the second key of a rotated keyring: still read with it.
    let rotated = keyring_rotated();
    let under_key2 = hex(&locked.to_bytes(&rotated, "alice").unwrap());
    crate::rng::set_test_seed(None);

    let good = locked.to_bytes(&ring, "alice").unwrap();
    let mut bad_version = good.clone();
    bad_version[0] = 3;
    let mut flipped = good.clone();
    flipped[9] ^= 1;
    // A database writer without the key clears the lock and re-tags under a guessed key.
    let mut cleared = UserState::new();
    cleared.version = locked.version + 1;
    let forged = cleared.to_bytes(&Keyring::new(&[0u8; 32], 1).unwrap(), "alice").unwrap();
    let invalid = json!([
        {"name": "empty", "user": "alice", "bytes": ""},
        {"name": "truncated", "user": "alice", "bytes": hex(&good[..good.len() - 1])},
        {"name": "extended", "user": "alice", "bytes": hex(&[good.as_slice(), &[0]].concat())},
        {"name": "unknown_format_version", "user": "alice", "bytes": hex(&bad_version)},
        {"name": "flipped_bit", "user": "alice", "bytes": hex(&flipped)},
        {"name": "another_user", "user": "mallory", "bytes": hex(&good)},
        {"name": "unknown_key", "user": "alice", "bytes": under_key2},
        {"name": "written_without_the_key", "user": "alice", "bytes": hex(&forged)},
    ]);
    json!({"keyring": "k1", "user": "alice", "valid": valid, "invalid": invalid,
           "rotated": {"keyring": "rotated", "user": "alice", "bytes": under_key2}})
}

fn sealed_vectors() -> Value {
    crate::rng::set_test_seed(Some(11));
    let cases: Vec<Value> = CREDS
        .iter()
        .map(|c| {
            let ring = if c.fixed_at == 0 { keyring_rotated() } else { keyring1() };
            json!({"credential": c.name, "keyring": if c.fixed_at == 0 { "rotated" } else { "k1" },
                   "user": "alice", "sealed": hex(&cred(c.name).seal(&ring, "alice").unwrap())})
        })
        .collect();
    crate::rng::set_test_seed(None);
    json!({"cases": cases, "wrong_user": "mallory"})
}

fn ticket_vectors() -> Value {
    crate::rng::set_test_seed(Some(13));
    let auth = Authenticator::new(keyring1(), Policy::default()).unwrap();
    let t1 = auth.issue_ticket("alice", "vpn.example", T0).unwrap();
    let t2 = auth.issue_ticket("山田", "vpn.example", T0).unwrap();
    crate::rng::set_test_seed(None);
    let mut forged = t1.clone().into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    // Each sequence runs against one fresh TicketVerifier(keyring k1, capacity).
    json!({"keyring": "k1", "sequences": [
        {"capacity": 10, "steps": [
            {"ticket": t1, "audience": "vpn.example", "now": T0 + 1, "user": "alice"},
            {"ticket": t1, "audience": "vpn.example", "now": T0 + 2, "error": "replayed"},
            {"ticket": t2, "audience": "other.example", "now": T0 + 2, "error": "wrong_audience"},
            {"ticket": t2, "audience": "vpn.example", "now": T0 + 30, "error": "expired"},
            {"ticket": forged, "audience": "vpn.example", "now": T0 + 1, "error": "forged"},
            {"ticket": "bm90IGEgdGlja2V0", "audience": "vpn.example", "now": T0 + 1, "error": "malformed"},
        ]},
        {"capacity": 1, "steps": [
            {"ticket": t1, "audience": "vpn.example", "now": T0 + 1, "user": "alice"},
            {"ticket": t2, "audience": "vpn.example", "now": T0 + 1, "error": "cache_full"},
            {"ticket": t2, "audience": "vpn.example", "now": T0 + 29, "error": "cache_full"},
        ]},
    ]})
}

fn strength_vectors() -> Value {
    let mut cases = Vec::new();
    for (rows, cols) in [(8, 8), (4, 4), (10, 10)] {
        for len in [4, 6, 8, 16] {
            let policy = Policy { rows, cols, min_pattern_len: 4, ..Policy::default() };
            let s = Strength::for_length(&policy, len);
            cases.push(json!({"rows": rows, "cols": cols, "len": len, "pattern_space": s.pattern_space,
                "pattern_space_bits": s.pattern_space_bits, "guess_probability": s.guess_probability,
                "online_success_before_permanent_lock": s.online_success_before_permanent_lock,
                "candidates_after": s.candidates_after, "observations_to_unique": s.observations_to_unique}));
        }
    }
    json!({"cases": cases})
}

fn card_vectors() -> Value {
    crate::rng::set_test_seed(Some(17));
    let specs = [
        CardSpec { serial: Some("MX-TEST-0001".into()), ..CardSpec::default() },
        CardSpec {
            serial: Some("MX-ALNUM-0002".into()),
            rows: 5,
            cols: 10,
            cell_len: 3,
            alphabet: Alphabet::Alnum,
            expires_at: Some(T0 + 365 * 86_400),
        },
    ];
    let cards: Vec<GridCard> = specs.iter().map(|s| GridCard::generate(s).unwrap()).collect();
    let card_json: Vec<Value> = cards
        .iter()
        .map(|c| {
            let g = c.geometry();
            let values: String =
                (0..g.cells()).map(|i| c.value(g.cell_at(i).unwrap()).unwrap().as_str().to_owned()).collect();
            json!({"serial": c.serial(), "rows": g.rows(), "cols": g.cols(), "cell_len": c.cell_len(),
                   "alphabet": c.alphabet().as_str(), "expires_at": c.expires_at(), "values": values,
                   "bytes": hex(&c.to_bytes()), "text": c.render_text().as_str(),
                   "sealed_k1_alice": hex(&c.seal(&keyring1(), "alice").unwrap())})
        })
        .collect();

    let auth = Authenticator::new(keyring1(), Policy::default()).unwrap();
    let mut challenges = Vec::new();
    let mut steps = Vec::new();
    for (ci, c) in cards.iter().enumerate() {
        let mut st = UserState::new();
        let ch = auth.issue_card_challenge("alice", c, &mut st, T0).unwrap();
        challenges.push(json!({"card": ci, "keyring": "k1", "user": "alice", "now": T0 + 60,
            "state": sb(&st, auth.keyring(), "alice"), "token": ch.token, "cells": ch.cell_names(), "remaining": ch.remaining,
            "expires_at": ch.expires_at, "answer": c.respond(&ch).unwrap().as_str()}));
        let mut step = |name: &str, st: &mut UserState, token: Option<&str>, response: &str, now: u64| {
            let before = sb(st, auth.keyring(), "alice");
            let v = match token {
                Some(token) => auth.verify_card("alice", c, st, token, response, now),
                None => auth.verify_card_pending("alice", c, st, response, now),
            }
            .unwrap();
            steps.push(json!({"name": name, "card": ci, "keyring": "k1", "user": "alice",
                "state_before": before, "token": token, "response": response, "now": now,
                "outcome": v.outcome.as_str(), "state_after": sb(st, auth.keyring(), "alice"), "event": v.event.to_json()}));
        };
        let right = c.respond(&ch).unwrap().as_str().to_lowercase();
        step("accepted_lower_case", &mut st, Some(&ch.token), &right, T0 + 5);
        step("duplicate", &mut st, Some(&ch.token), &right, T0 + 6);
        let ch = auth.issue_card_challenge("alice", c, &mut st, T0 + 10).unwrap();
        step("rejected", &mut st, Some(&ch.token), "0000", T0 + 11);
        let ch = auth.issue_card_challenge("alice", c, &mut st, T0 + 20).unwrap();
        step("expired", &mut st, Some(&ch.token), "0000", ch.expires_at);
        let ch = auth.issue_card_challenge("alice", c, &mut st, ch.expires_at + 1).unwrap();
        let right = c.respond(&ch).unwrap();
        step("pending_accepted", &mut st, None, &right, ch.expires_at - 100);
    }
    crate::rng::set_test_seed(None);
    json!({"cards": card_json, "challenges": challenges, "verify": steps})
}

use matrixauth_radius::mschapv2 as reference;

/// A pattern credential of the nt set.
struct NtCred {
    name: &'static str,
    cells: &'static [&'static str],
    fixed: &'static str,
    fixed_at: usize,
}
const SIXTEEN: &[&str] =
    &["A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"];

/// What the peer sent: the NT-Response to `auth_challenge` of `typed`, hashed under `name`.
fn nt_proof(typed: &str, auth_challenge: [u8; 16], peer_challenge: [u8; 16], name: &str) -> NtProof {
    let hash = reference::nt_password_hash(typed);
    NtProof {
        authenticator_challenge: auth_challenge,
        peer_challenge,
        user_name: name.as_bytes().to_vec(),
        nt_response: reference::generate_nt_response(
            &auth_challenge,
            &peer_challenge,
            name.as_bytes(),
            &hash,
        ),
    }
}

/// A proof as the vectors write it.
fn nt_proof_json(p: &NtProof) -> Value {
    json!({"authenticator_challenge": hex(&p.authenticator_challenge), "peer_challenge": hex(&p.peer_challenge),
           "user_name": hex(&p.user_name), "nt_response": hex(&p.nt_response)})
}

/// Which check a case runs.
enum Who<'a> {
    Pattern(&'a str),
    Card(usize),
}

/// The MSCHAPv2 (RFC 2759) checks of the pending challenge,
/// `verify_pending_nt` and `verify_card_pending_nt` (SPEC §17). Each case
/// holds what the peer sent (an NT-Response made by the radius crate's
/// reference from `typed`), the state before and after, the outcome and,
/// on `accepted` only, the PasswordHashHash. `malformed` proofs have a
/// field of the wrong length: every frontend refuses them with its argument
/// error before it touches the state.
fn nt_vectors() -> Value {
    // Answers of 4, 8, 27, 28 and 48 characters: the shortest, the usual, both sides of
    // MD4's one-block limit (27 characters are 54 bytes in UTF-16LE plus 9 of padding), the longest.
    let creds = [
        NtCred { name: "six", cells: &["B2", "G3", "D5", "A8", "H1", "E6"], fixed: "pw", fixed_at: 2 },
        NtCred { name: "four_no_fixed", cells: &["C3", "F2", "A6", "H7"], fixed: "", fixed_at: 0 },
        NtCred { name: "p16_f11", cells: SIXTEEN, fixed: "abcdefghijk", fixed_at: 16 },
        NtCred { name: "p16_f12", cells: SIXTEEN, fixed: "abcdefghijkl", fixed_at: 0 },
        NtCred { name: "p16_f32", cells: SIXTEEN, fixed: "Fixed-String_32chars+!#$%&()*,.;", fixed_at: 8 },
    ];
    let cred_of = |name: &str| {
        let c = creds.iter().find(|c| c.name == name).unwrap();
        PatternCredential::from_names(c.cells, c.fixed, c.fixed_at).unwrap()
    };
    let creds_json: serde_json::Map<String, Value> = creds
        .iter()
        .map(|c| (c.name.to_owned(), json!({"cells": c.cells, "fixed": c.fixed, "fixed_at": c.fixed_at})))
        .collect();

    crate::rng::set_test_seed(Some(19));
    let cards: Vec<GridCard> = [
        CardSpec { serial: Some("MX-NT-DIGITS".into()), ..CardSpec::default() },
        CardSpec {
            serial: Some("MX-NT-ALNUM8".into()),
            cell_len: 8,
            alphabet: Alphabet::Alnum,
            ..CardSpec::default()
        },
        CardSpec { serial: Some("MX-NT-OTHER".into()), ..CardSpec::default() },
    ]
    .iter()
    .map(|s| GridCard::generate(s).unwrap())
    .collect();
    let cards_json: Vec<Value> = cards
        .iter()
        .map(|c| {
            let g = c.geometry();
            let values: String =
                (0..g.cells()).map(|i| c.value(g.cell_at(i).unwrap()).unwrap().as_str().to_owned()).collect();
            json!({"serial": c.serial(), "rows": g.rows(), "cols": g.cols(), "cell_len": c.cell_len(),
                   "alphabet": c.alphabet().as_str(), "expires_at": c.expires_at(), "values": values})
        })
        .collect();

    let policies = json!({
        "pattern": {"min_pattern_len": 4, "retry_window": 30},
        "card": {"card_challenge_cells": 3},
        "card_16": {"card_challenge_cells": 16},
    });
    let policy_of = |name: &str| match name {
        "pattern" => Policy { min_pattern_len: 4, retry_window: 30, ..Policy::default() },
        "card" => Policy { card_challenge_cells: 3, ..Policy::default() },
        _ => Policy { card_challenge_cells: 16, ..Policy::default() },
    };

    let mut cases: Vec<Value> = Vec::new();
    #[allow(clippy::too_many_arguments)]
    let mut step = |name: &str,
                    ring: &str,
                    policy: &str,
                    user: &str,
                    who: Who<'_>,
                    st: &mut UserState,
                    typed: &str,
                    p: &NtProof,
                    now: u64,
                    expect: Outcome| {
        let keyring = if ring == "k1" { keyring1() } else { keyring_rotated() };
        let auth = Authenticator::new(keyring, policy_of(policy)).unwrap();
        let before = sb(st, auth.keyring(), user);
        let (v, who_json) = match who {
            Who::Pattern(c) => {
                (auth.verify_pending_nt(user, &cred_of(c), st, p, now).unwrap(), json!({"credential": c}))
            }
            Who::Card(i) => {
                (auth.verify_card_pending_nt(user, &cards[i], st, p, now).unwrap(), json!({"card": i}))
            }
        };
        assert_eq!(v.verdict.outcome, expect, "{name}");
        assert_eq!(v.password_hash_hash.is_some(), expect == Outcome::Accepted, "{name}");
        if let Some(h) = &v.password_hash_hash {
            let want = reference::hash_nt_password_hash(&reference::nt_password_hash(typed));
            assert_eq!(h.as_bytes(), &*want, "{name}");
        }
        let mut case = json!({
            "name": name, "mode": if matches!(who, Who::Card(_)) { "card" } else { "pattern" },
            "keyring": ring, "policy": policy, "user": user, "credential": null, "card": null,
            "state_before": before, "typed": typed, "proof": nt_proof_json(p), "now": now,
            "outcome": v.verdict.outcome.as_str(),
            "password_hash_hash": v.password_hash_hash.as_ref().map(|h| hex(h.as_bytes())),
            "state_after": sb(st, auth.keyring(), user), "event": v.verdict.event.to_json(),
        });
        for (k, val) in who_json.as_object().unwrap() {
            case[k] = val.clone();
        }
        cases.push(case);
    };

    let ac = |i: u8| [0x10 + i; 16];
    let pc = [0x5a; 16];
    let pattern = Authenticator::new(keyring1(), policy_of("pattern")).unwrap();
    let one_off = |answer: &str| {
        let mut s = answer.to_owned();
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
        s
    };

    // The right answer; the same proof again (nothing pending); nothing pending at all.
    let mut st = UserState::new();
    step(
        "nothing_pending",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        "000000pw",
        &nt_proof("000000pw", ac(0), pc, "alice"),
        T0,
        Outcome::Stale,
    );
    let ch = pattern.issue_challenge("alice", &mut st, T0).unwrap();
    let right = cred_of("six").respond(&ch).unwrap();
    let p = nt_proof(&right, ac(1), pc, "alice");
    step(
        "accepted",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        &right,
        &p,
        T0 + 5,
        Outcome::Accepted,
    );
    step(
        "replayed_nothing_pending",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        &right,
        &p,
        T0 + 6,
        Outcome::Stale,
    );

    // Wrong answers, each to a fresh challenge, all counted: one digit off, one
    // character short and long, full-width digits (the peer hashes what was typed),
    // the right answer hashed under another name or for another server challenge.
    let mut t = T0 + 100;
    for (i, name) in [
        "rejected_one_digit_off",
        "rejected_one_char_short",
        "rejected_one_char_long",
        "rejected_full_width",
        "rejected_other_user_name",
        "rejected_other_server_challenge",
    ]
    .into_iter()
    .enumerate()
    {
        if i == 3 {
            // Five consecutive failures lock: the next three start from a fresh record.
            st = UserState::new();
        }
        let ch = pattern.issue_challenge("alice", &mut st, t).unwrap();
        let right = cred_of("six").respond(&ch).unwrap();
        let (typed, challenge, user_name) = match name {
            "rejected_one_digit_off" => (one_off(&right), ac(2), "alice"),
            "rejected_one_char_short" => (right[..right.len() - 1].to_owned(), ac(2), "alice"),
            "rejected_one_char_long" => (format!("{}0", right.as_str()), ac(2), "alice"),
            "rejected_full_width" => (
                right
                    .chars()
                    .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
                    .collect(),
                ac(2),
                "alice",
            ),
            "rejected_other_user_name" => (right.to_string(), ac(2), "bob"),
            _ => (right.to_string(), [0x77; 16], "alice"),
        };
        let mut p = nt_proof(&typed, challenge, pc, user_name);
        // The server's challenge and the name are what the door saw; the response was made otherwise.
        p.authenticator_challenge = ac(2);
        p.user_name = b"alice".to_vec();
        step(
            name,
            "k1",
            "pattern",
            "alice",
            Who::Pattern("six"),
            &mut st,
            &typed,
            &p,
            t + 1,
            Outcome::Rejected,
        );
        t += 10;
    }
    let ch = pattern.issue_challenge("alice", &mut st, t).unwrap();
    let right = cred_of("six").respond(&ch).unwrap();
    step(
        "accepted_after_failures_resets",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        &right,
        &nt_proof(&right, ac(3), pc, "alice"),
        t + 1,
        Outcome::Accepted,
    );

    // Another user: Bob's pending challenge answered with Alice's right answer to hers.
    let mut bob = UserState::new();
    let ch_b = pattern.issue_challenge("bob", &mut bob, T0 + 200).unwrap();
    let mut alice = UserState::new();
    let ch_a = pattern.issue_challenge("alice", &mut alice, T0 + 200).unwrap();
    let alice_right = cred_of("six").respond(&ch_a).unwrap();
    assert_ne!(alice_right, cred_of("six").respond(&ch_b).unwrap());
    step(
        "other_user_answer",
        "k1",
        "pattern",
        "bob",
        Who::Pattern("six"),
        &mut bob,
        &alice_right,
        &nt_proof(&alice_right, ac(4), pc, "bob"),
        T0 + 201,
        Outcome::Rejected,
    );
    // Alice's own answer, to her own challenge: accepted.
    step(
        "own_answer_accepted",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut alice,
        &alice_right,
        &nt_proof(&alice_right, ac(4), pc, "alice"),
        T0 + 202,
        Outcome::Accepted,
    );

    // Expired: answered at the expiry, the challenge consumed, no hash.
    let mut st = UserState::new();
    let ch = pattern.issue_challenge("alice", &mut st, T0 + 300).unwrap();
    let right = cred_of("six").respond(&ch).unwrap();
    step(
        "expired",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        &right,
        &nt_proof(&right, ac(5), pc, "alice"),
        ch.expires_at,
        Outcome::Expired,
    );

    // Five wrong answers lock; the right answer while locked is `locked`; after the lock it is accepted.
    let mut st = UserState::new();
    let mut t = T0 + 1000;
    for k in 1..=5 {
        let _ = pattern.issue_challenge("alice", &mut st, t).unwrap();
        step(
            &format!("lock_rejected_{k}"),
            "k1",
            "pattern",
            "alice",
            Who::Pattern("six"),
            &mut st,
            "12pw3456",
            &nt_proof("12pw3456", ac(6), pc, "alice"),
            t + 1,
            Outcome::Rejected,
        );
        t += 10;
    }
    let locked_until = st.locked_until();
    assert!(locked_until > t);
    step(
        "locked",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        "12pw3456",
        &nt_proof("12pw3456", ac(6), pc, "alice"),
        t,
        Outcome::Locked,
    );
    let ch = pattern.issue_challenge("alice", &mut st, locked_until).unwrap();
    let right = cred_of("six").respond(&ch).unwrap();
    step(
        "accepted_after_lock",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        &right,
        &nt_proof(&right, ac(7), pc, "alice"),
        locked_until + 1,
        Outcome::Accepted,
    );

    // Every answer length, right and one character off, under a rotated keyring
    // with the challenge issued under the older key.
    let rotated = Authenticator::new(keyring_rotated(), policy_of("pattern")).unwrap();
    for c in &creds {
        let mut st = UserState::new();
        let ch = pattern.issue_challenge("carol", &mut st, T0).unwrap();
        let right = cred_of(c.name).respond(&ch).unwrap();
        assert!([4, 8, 27, 28, 48].contains(&right.len()));
        step(
            &format!("accepted_{}_{}_chars", c.name, right.len()),
            "rotated",
            "pattern",
            "carol",
            Who::Pattern(c.name),
            &mut st,
            &right,
            &nt_proof(&right, ac(8), pc, "carol"),
            T0 + 5,
            Outcome::Accepted,
        );
        let ch = rotated.issue_challenge("carol", &mut st, T0 + 10).unwrap();
        let wrong = one_off(&cred_of(c.name).respond(&ch).unwrap());
        step(
            &format!("rejected_{}_one_char_off", c.name),
            "rotated",
            "pattern",
            "carol",
            Who::Pattern(c.name),
            &mut st,
            &wrong,
            &nt_proof(&wrong, ac(9), pc, "carol"),
            T0 + 15,
            Outcome::Rejected,
        );
    }

    // Cards: the answer exactly as printed; lower case is another answer here. The
    // longest answer (16 cells of 8 characters: 128). A pattern check of a pending
    // card challenge, a card check of a pending pattern challenge, another card: invalid.
    let card_auth = Authenticator::new(keyring1(), policy_of("card")).unwrap();
    let card16 = Authenticator::new(keyring1(), policy_of("card_16")).unwrap();
    let mut st = UserState::new();
    let ch = card_auth.issue_card_challenge("alice", &cards[0], &mut st, T0).unwrap();
    let right = cards[0].respond(&ch).unwrap();
    step(
        "card_accepted",
        "k1",
        "card",
        "alice",
        Who::Card(0),
        &mut st,
        &right,
        &nt_proof(&right, ac(10), pc, "alice"),
        T0 + 1,
        Outcome::Accepted,
    );
    let ch = card_auth.issue_card_challenge("alice", &cards[0], &mut st, T0 + 10).unwrap();
    let wrong = one_off(&cards[0].respond(&ch).unwrap());
    step(
        "card_rejected_one_char_off",
        "k1",
        "card",
        "alice",
        Who::Card(0),
        &mut st,
        &wrong,
        &nt_proof(&wrong, ac(11), pc, "alice"),
        T0 + 11,
        Outcome::Rejected,
    );
    let ch = card_auth.issue_card_challenge("alice", &cards[1], &mut st, T0 + 20).unwrap();
    let right = cards[1].respond(&ch).unwrap();
    let lower = right.to_ascii_lowercase();
    assert_ne!(lower, *right);
    step(
        "card_rejected_lower_case",
        "k1",
        "card",
        "alice",
        Who::Card(1),
        &mut st,
        &lower,
        &nt_proof(&lower, ac(12), pc, "alice"),
        T0 + 21,
        Outcome::Rejected,
    );
    let ch = card_auth.issue_card_challenge("alice", &cards[1], &mut st, T0 + 30).unwrap();
    let right = cards[1].respond(&ch).unwrap();
    step(
        "card_accepted_upper_case",
        "k1",
        "card",
        "alice",
        Who::Card(1),
        &mut st,
        &right,
        &nt_proof(&right, ac(13), pc, "alice"),
        T0 + 31,
        Outcome::Accepted,
    );
    let ch = card16.issue_card_challenge("alice", &cards[1], &mut st, T0 + 40).unwrap();
    let right = cards[1].respond(&ch).unwrap();
    assert_eq!(right.len(), 128);
    step(
        "card_accepted_len128",
        "k1",
        "card_16",
        "alice",
        Who::Card(1),
        &mut st,
        &right,
        &nt_proof(&right, ac(14), pc, "alice"),
        T0 + 41,
        Outcome::Accepted,
    );
    let ch = card16.issue_card_challenge("alice", &cards[1], &mut st, T0 + 50).unwrap();
    let right = cards[1].respond(&ch).unwrap();
    let short = right[..127].to_owned();
    step(
        "card_rejected_len127",
        "k1",
        "card_16",
        "alice",
        Who::Card(1),
        &mut st,
        &short,
        &nt_proof(&short, ac(15), pc, "alice"),
        T0 + 51,
        Outcome::Rejected,
    );
    let ch = card_auth.issue_card_challenge("alice", &cards[0], &mut st, T0 + 60).unwrap();
    let right = cards[0].respond(&ch).unwrap();
    step(
        "card_other_card_invalid",
        "k1",
        "card",
        "alice",
        Who::Card(2),
        &mut st,
        &right,
        &nt_proof(&right, ac(16), pc, "alice"),
        T0 + 61,
        Outcome::Invalid,
    );
    step(
        "card_pending_pattern_check_invalid",
        "k1",
        "pattern",
        "alice",
        Who::Pattern("six"),
        &mut st,
        &right,
        &nt_proof(&right, ac(16), pc, "alice"),
        T0 + 62,
        Outcome::Invalid,
    );
    step(
        "card_accepted_after_invalid",
        "k1",
        "card",
        "alice",
        Who::Card(0),
        &mut st,
        &right,
        &nt_proof(&right, ac(16), pc, "alice"),
        T0 + 63,
        Outcome::Accepted,
    );
    let mut st = UserState::new();
    let ch = pattern.issue_challenge("alice", &mut st, T0).unwrap();
    let right = cred_of("six").respond(&ch).unwrap();
    step(
        "pattern_pending_card_check_invalid",
        "k1",
        "card",
        "alice",
        Who::Card(0),
        &mut st,
        &right,
        &nt_proof(&right, ac(17), pc, "alice"),
        T0 + 1,
        Outcome::Invalid,
    );
    crate::rng::set_test_seed(None);

    let good = nt_proof_json(&nt_proof("x", ac(0), pc, "alice"));
    let bad = |name: &str, field: &str, len: usize| {
        let mut p = good.clone();
        p[field] = json!(hex(&vec![0x41; len]));
        json!({"name": name, "proof": p})
    };
    let malformed = json!([
        bad("authenticator_challenge_15", "authenticator_challenge", 15),
        bad("authenticator_challenge_17", "authenticator_challenge", 17),
        bad("peer_challenge_0", "peer_challenge", 0),
        bad("peer_challenge_15", "peer_challenge", 15),
        bad("nt_response_23", "nt_response", 23),
        bad("nt_response_25", "nt_response", 25),
    ]);
    json!({"credentials": creds_json, "cards": cards_json, "policies": policies, "cases": cases,
           "malformed": malformed})
}

fn all_vectors() -> Vec<(&'static str, Value)> {
    vec![
        ("cells.json", cells_vectors()),
        ("fold.json", fold_vectors()),
        ("credentials.json", json!({"credentials": creds_json(), "keyrings": keyrings_json()})),
        ("challenges.json", challenge_vectors()),
        ("responses.json", response_vectors()),
        ("verify.json", verify_vectors()),
        ("state.json", state_vectors()),
        ("sealed.json", sealed_vectors()),
        ("tickets.json", ticket_vectors()),
        ("strength.json", strength_vectors()),
        ("cards.json", card_vectors()),
        ("nt.json", nt_vectors()),
    ]
}

#[test]
fn golden_vectors_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let write = std::env::var_os("MATRIXAUTH_WRITE_VECTORS").is_some();
    let mut stale = Vec::new();
    for (name, value) in all_vectors() {
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = dir.join(name);
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "golden vectors differ from what the code produces: {stale:?}. If the format change is \
         intended, bump the format version, run MATRIXAUTH_WRITE_VECTORS=1 cargo test -p matrixauth golden, \
         and update docs/FORMATS.md"
    );
}
