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
//! Reads the golden vectors through the public API only, exactly as the C,
//! Python and JS test suites do.

mod common;

use common::*;
use matrixauth::*;

#[test]
fn cell_names() {
    let v = vectors("cells.json");
    for case in v["valid"].as_array().unwrap() {
        let cell: Cell = case["name"].as_str().unwrap().parse().unwrap();
        assert_eq!(u64::from(cell.row), case["row"].as_u64().unwrap());
        assert_eq!(u64::from(cell.col), case["col"].as_u64().unwrap());
        assert_eq!(cell.to_string(), case["canonical"].as_str().unwrap());
        let index = Geometry::default().index_of(cell).ok().map(|i| i as u64);
        assert_eq!(index, case["index_8x8"].as_u64());
    }
    for name in v["invalid"].as_array().unwrap() {
        assert_eq!(name.as_str().unwrap().parse::<Cell>(), Err(Error::InvalidCellName), "{name}");
    }
}

#[test]
fn folding() {
    for case in vectors("fold.json").as_array().unwrap() {
        assert_eq!(fold(case["input"].as_str().unwrap()).as_str(), case["folded"].as_str().unwrap());
    }
}

#[test]
fn credential_bytes() {
    let v = vectors("credentials.json");
    for (name, c) in v["credentials"].as_object().unwrap() {
        let bytes = unhex(c["bytes"].as_str().unwrap());
        assert_eq!(hex(&credential(name).to_bytes()), c["bytes"].as_str().unwrap());
        let back = PatternCredential::from_bytes(&bytes).unwrap();
        assert_eq!(hex(&back.to_bytes()), c["bytes"].as_str().unwrap());
    }
}

#[test]
fn challenges_reissue_identically() {
    for case in vectors("challenges.json")["cases"].as_array().unwrap() {
        let policy = Policy {
            rows: case["rows"].as_u64().unwrap() as usize,
            cols: case["cols"].as_u64().unwrap() as usize,
            min_pattern_len: 4,
            ..Policy::default()
        };
        let ring = keyring(case["keyring"].as_str().unwrap());
        let auth = Authenticator::new(ring.clone(), policy).unwrap();
        let user = case["user"].as_str().unwrap();
        let mut state = UserState::from_bytes(&ring, user, &unhex(case["state"].as_str().unwrap())).unwrap();
        let before = state.clone();
        let ch = auth.issue_challenge(user, &mut state, case["now"].as_u64().unwrap()).unwrap();
        assert!(ch.is_reissue());
        assert_eq!(state, before, "a re-issue changes nothing");
        assert_eq!(ch.token, case["token"].as_str().unwrap());
        let digits: String = ch.matrix.digits().iter().map(|d| char::from(b'0' + d)).collect();
        assert_eq!(digits, case["matrix"].as_str().unwrap());
        assert_eq!(ch.matrix.render_text(), case["matrix_text"].as_str().unwrap());
        assert_eq!(Matrix::parse_text(&ch.matrix.render_text()).unwrap(), ch.matrix);
        assert_eq!(ch.seq, case["seq"].as_u64().unwrap());
        assert_eq!(ch.issued_at, case["issued_at"].as_u64().unwrap());
        assert_eq!(ch.expires_at, case["expires_at"].as_u64().unwrap());
    }
}

#[test]
fn responses() {
    for case in vectors("responses.json")["cases"].as_array().unwrap() {
        let digits: Vec<u8> = case["matrix"].as_str().unwrap().bytes().map(|b| b - b'0').collect();
        let matrix = Matrix::from_digits(Geometry::default(), &digits).unwrap();
        let cred = credential(case["credential"].as_str().unwrap());
        assert_eq!(cred.respond_matrix(&matrix).unwrap().as_str(), case["response"].as_str().unwrap());
    }
}

#[test]
fn verify_steps() {
    let v = vectors("verify.json");
    let policy = Policy { min_pattern_len: 4, ..Policy::default() };
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let ring = keyring(case["keyring"].as_str().unwrap());
        let auth = Authenticator::new(ring.clone(), policy.clone()).unwrap();
        let user = case["user"].as_str().unwrap();
        let mut state =
            UserState::from_bytes(&ring, user, &unhex(case["state_before"].as_str().unwrap())).unwrap();
        let cred = credential(case["credential"].as_str().unwrap());
        let (response, now) = (case["response"].as_str().unwrap(), case["now"].as_u64().unwrap());
        // A null token means the answer came without one (verify_pending).
        let verdict = match case["token"].as_str() {
            Some(token) => auth.verify(user, &cred, &mut state, token, response, now),
            None => auth.verify_pending(user, &cred, &mut state, response, now),
        }
        .unwrap();
        assert_eq!(verdict.outcome.as_str(), case["outcome"].as_str().unwrap(), "{name}");
        assert_eq!(
            hex(&state.to_bytes(&ring, user).unwrap()),
            case["state_after"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(verdict.event.to_json(), case["event"].as_str().unwrap(), "{name}");
    }
    let outcomes: std::collections::HashSet<&str> =
        cases.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.len(), 7, "every outcome has a vector");
}

#[test]
fn state_bytes() {
    let v = vectors("state.json");
    let ring = keyring(v["keyring"].as_str().unwrap());
    let user = v["user"].as_str().unwrap();
    for case in v["valid"].as_array().unwrap() {
        let bytes = unhex(case["bytes"].as_str().unwrap());
        let st = UserState::from_bytes(&ring, user, &bytes).unwrap();
        assert_eq!(st.to_bytes(&ring, user).unwrap(), bytes);
        assert_eq!(st.version(), case["version"].as_u64().unwrap());
        assert_eq!(u64::from(st.consecutive_failures()), case["consecutive_failures"].as_u64().unwrap());
        assert_eq!(u64::from(st.failures_since_success()), case["failures_since_success"].as_u64().unwrap());
        assert_eq!(u64::from(st.lock_level()), case["lock_level"].as_u64().unwrap());
        assert_eq!(st.locked_until(), case["locked_until"].as_u64().unwrap());
        assert_eq!(st.permanently_locked(), case["permanently_locked"].as_bool().unwrap());
        assert_eq!(st.next_seq(), case["next_seq"].as_u64().unwrap());
        assert_eq!(st.pending_expires_at(), case["pending_expires_at"].as_u64());
    }
    for case in v["invalid"].as_array().unwrap() {
        let bytes = unhex(case["bytes"].as_str().unwrap());
        let who = case["user"].as_str().unwrap();
        assert!(
            matches!(UserState::from_bytes(&ring, who, &bytes), Err(Error::Format(_))),
            "{}",
            case["name"]
        );
    }
    // A record under an older key still loads while that key is in the
    // keyring, and the next save uses the current key.
    let rotated = &v["rotated"];
    let rring = keyring(rotated["keyring"].as_str().unwrap());
    let bytes = unhex(rotated["bytes"].as_str().unwrap());
    let st = UserState::from_bytes(&rring, user, &bytes).unwrap();
    assert_eq!(u32::from_be_bytes(bytes[1..5].try_into().unwrap()), 2);
    let mut older = keyring("k1");
    older.rotate(&[9u8; 32], 3).unwrap();
    let st2 = UserState::from_bytes(&older, user, &st.to_bytes(&ring, user).unwrap()).unwrap();
    assert_eq!(st2, st);
    assert_eq!(st2.to_bytes(&older, user).unwrap()[1..5], 3u32.to_be_bytes());
}

#[test]
fn sealed_records() {
    let v = vectors("sealed.json");
    for case in v["cases"].as_array().unwrap() {
        let ring = keyring(case["keyring"].as_str().unwrap());
        let sealed = unhex(case["sealed"].as_str().unwrap());
        let user = case["user"].as_str().unwrap();
        let cred = PatternCredential::open(&ring, user, &sealed).unwrap();
        let expected = credential(case["credential"].as_str().unwrap());
        assert_eq!(cred.to_bytes(), expected.to_bytes());
        assert_eq!(
            PatternCredential::open(&ring, v["wrong_user"].as_str().unwrap(), &sealed).unwrap_err(),
            Error::Seal
        );
    }
}

#[test]
fn tickets() {
    let v = vectors("tickets.json");
    for seq in v["sequences"].as_array().unwrap() {
        let verifier = TicketVerifier::new(
            keyring(v["keyring"].as_str().unwrap()),
            seq["capacity"].as_u64().unwrap() as usize,
        );
        for step in seq["steps"].as_array().unwrap() {
            let got = verifier.redeem(
                step["ticket"].as_str().unwrap(),
                step["audience"].as_str().unwrap(),
                step["now"].as_u64().unwrap(),
            );
            match step["user"].as_str() {
                Some(user) => assert_eq!(got.unwrap(), user),
                None => match got {
                    Err(Error::Ticket(reason)) => {
                        assert_eq!(reason.as_str(), step["error"].as_str().unwrap());
                    }
                    other => panic!("expected {}, got {other:?}", step["error"]),
                },
            }
        }
    }
}

#[test]
fn strength_reports() {
    for case in vectors("strength.json")["cases"].as_array().unwrap() {
        let policy = Policy {
            rows: case["rows"].as_u64().unwrap() as usize,
            cols: case["cols"].as_u64().unwrap() as usize,
            min_pattern_len: 4,
            ..Policy::default()
        };
        let s = Strength::for_length(&policy, case["len"].as_u64().unwrap() as usize);
        let close =
            |a: f64, b: &serde_json::Value| (a - b.as_f64().unwrap()).abs() <= 1e-9 * a.abs().max(1e-300);
        assert!(close(s.pattern_space, &case["pattern_space"]));
        assert!(close(s.pattern_space_bits, &case["pattern_space_bits"]));
        assert!(close(s.guess_probability, &case["guess_probability"]));
        assert!(close(s.online_success_before_permanent_lock, &case["online_success_before_permanent_lock"]));
        for (i, c) in s.candidates_after.iter().enumerate() {
            assert!(close(*c, &case["candidates_after"][i]));
        }
        assert_eq!(u64::from(s.observations_to_unique), case["observations_to_unique"].as_u64().unwrap());
    }
}

fn vector_card(c: &serde_json::Value) -> GridCard {
    GridCard::from_values(
        c["serial"].as_str().unwrap(),
        c["rows"].as_u64().unwrap() as usize,
        c["cols"].as_u64().unwrap() as usize,
        c["cell_len"].as_u64().unwrap() as usize,
        Alphabet::from_name(c["alphabet"].as_str().unwrap()).unwrap(),
        c["expires_at"].as_u64(),
        c["values"].as_str().unwrap(),
    )
    .unwrap()
}

#[test]
fn cards() {
    let v = vectors("cards.json");
    let cards: Vec<GridCard> = v["cards"].as_array().unwrap().iter().map(vector_card).collect();
    for (c, spec) in cards.iter().zip(v["cards"].as_array().unwrap()) {
        assert_eq!(hex(&c.to_bytes()), spec["bytes"].as_str().unwrap());
        assert_eq!(c.render_text().as_str(), spec["text"].as_str().unwrap());
        let sealed = unhex(spec["sealed_k1_alice"].as_str().unwrap());
        assert_eq!(GridCard::open(&keyring("k1"), "alice", &sealed).unwrap().to_bytes(), c.to_bytes());
    }
    let ring = keyring("k1");
    let auth = Authenticator::new(ring.clone(), Policy::default()).unwrap();
    for ch in v["challenges"].as_array().unwrap() {
        let c = &cards[ch["card"].as_u64().unwrap() as usize];
        let user = ch["user"].as_str().unwrap();
        let mut state = UserState::from_bytes(&ring, user, &unhex(ch["state"].as_str().unwrap())).unwrap();
        let before = state.clone();
        let got = auth
            .issue_card_challenge(ch["user"].as_str().unwrap(), c, &mut state, ch["now"].as_u64().unwrap())
            .unwrap();
        assert!(got.is_reissue());
        assert_eq!(state, before);
        assert_eq!(got.token, ch["token"].as_str().unwrap());
        assert_eq!(serde_json::json!(got.cell_names()), ch["cells"]);
        assert_eq!(got.remaining.map(u64::from), ch["remaining"].as_u64());
        assert_eq!(c.respond(&got).unwrap().as_str(), ch["answer"].as_str().unwrap());
    }
    for step in v["verify"].as_array().unwrap() {
        let c = &cards[step["card"].as_u64().unwrap() as usize];
        let user = step["user"].as_str().unwrap();
        let mut state =
            UserState::from_bytes(&ring, user, &unhex(step["state_before"].as_str().unwrap())).unwrap();
        let (response, now) = (step["response"].as_str().unwrap(), step["now"].as_u64().unwrap());
        let verdict = match step["token"].as_str() {
            Some(token) => auth.verify_card(user, c, &mut state, token, response, now),
            None => auth.verify_card_pending(user, c, &mut state, response, now),
        }
        .unwrap();
        assert_eq!(verdict.outcome.as_str(), step["outcome"].as_str().unwrap(), "{}", step["name"]);
        assert_eq!(hex(&state.to_bytes(&ring, user).unwrap()), step["state_after"].as_str().unwrap());
        assert_eq!(verdict.event.to_json(), step["event"].as_str().unwrap());
    }
}

fn nt_policy(v: &serde_json::Value, name: &str) -> Policy {
    let mut p = Policy::default();
    for (k, val) in v["policies"][name].as_object().unwrap() {
        let n = val.as_u64().unwrap();
        match k.as_str() {
            "min_pattern_len" => p.min_pattern_len = n as usize,
            "retry_window" => p.retry_window = n,
            "card_challenge_cells" => p.card_challenge_cells = n as usize,
            other => panic!("unknown policy field {other}"),
        }
    }
    p
}

fn nt_proof(p: &serde_json::Value) -> NtProof {
    NtProof {
        authenticator_challenge: unhex(p["authenticator_challenge"].as_str().unwrap()).try_into().unwrap(),
        peer_challenge: unhex(p["peer_challenge"].as_str().unwrap()).try_into().unwrap(),
        user_name: unhex(p["user_name"].as_str().unwrap()),
        nt_response: unhex(p["nt_response"].as_str().unwrap()).try_into().unwrap(),
    }
}

#[test]
fn nt_steps() {
    let v = vectors("nt.json");
    let creds: std::collections::HashMap<&str, PatternCredential> = v["credentials"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, c)| {
            let cells: Vec<&str> =
                c["cells"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
            let cred = PatternCredential::from_names(
                &cells,
                c["fixed"].as_str().unwrap(),
                c["fixed_at"].as_u64().unwrap() as usize,
            )
            .unwrap();
            (name.as_str(), cred)
        })
        .collect();
    let cards: Vec<GridCard> = v["cards"].as_array().unwrap().iter().map(vector_card).collect();
    let cases = v["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let ring = keyring(case["keyring"].as_str().unwrap());
        let auth = Authenticator::new(ring.clone(), nt_policy(&v, case["policy"].as_str().unwrap())).unwrap();
        let user = case["user"].as_str().unwrap();
        let mut state =
            UserState::from_bytes(&ring, user, &unhex(case["state_before"].as_str().unwrap())).unwrap();
        let proof = nt_proof(&case["proof"]);
        let now = case["now"].as_u64().unwrap();
        let got = match case["mode"].as_str().unwrap() {
            "pattern" => auth.verify_pending_nt(
                user,
                &creds[case["credential"].as_str().unwrap()],
                &mut state,
                &proof,
                now,
            ),
            _ => auth.verify_card_pending_nt(
                user,
                &cards[case["card"].as_u64().unwrap() as usize],
                &mut state,
                &proof,
                now,
            ),
        }
        .unwrap();
        assert_eq!(got.verdict.outcome.as_str(), case["outcome"].as_str().unwrap(), "{name}");
        assert_eq!(
            got.password_hash_hash.as_ref().map(|h| hex(h.as_bytes())).as_deref(),
            case["password_hash_hash"].as_str(),
            "{name}"
        );
        assert_eq!(
            hex(&state.to_bytes(&ring, user).unwrap()),
            case["state_after"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(got.verdict.event.to_json(), case["event"].as_str().unwrap(), "{name}");
    }
    let outcomes: std::collections::HashSet<&str> =
        cases.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.len(), 6, "every outcome the pending check gives has a vector (not duplicate)");
    assert!(cases.iter().any(|c| c["mode"] == "card" && c["outcome"] == "accepted"));
    // The malformed proofs cannot be built here: the core's types fix the lengths.
    for m in v["malformed"].as_array().unwrap() {
        let p = &m["proof"];
        let lens: Vec<usize> = ["authenticator_challenge", "peer_challenge", "nt_response"]
            .iter()
            .map(|f| p[*f].as_str().unwrap().len() / 2)
            .collect();
        assert_ne!(lens, [16, 16, 24], "{}", m["name"]);
    }
}
