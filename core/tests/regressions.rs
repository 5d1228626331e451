#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::format_collect,
    clippy::single_match_else,
    missing_docs
)]
//! Regression scenarios taken from other OTP servers' bug trackers, and the
//! answer oracle of our own security review (issue "no free guesses"). Each
//! test is named for the bug it guards against.

mod common;

use common::*;
use matrixauth::*;

const T: u64 = 1_800_000_000;

fn wrong(auth: &Authenticator, st: &mut UserState, now: u64) -> Outcome {
    let ch = auth.issue_challenge("alice", st, now).unwrap();
    auth.verify("alice", &six(), st, &ch.token, "00pw0000", now).unwrap().outcome
}

/// privacyIDEA #1578: brute force after the fail counter's reset timeout.
/// Waiting out every temporary lock must still end in a permanent lock after
/// exactly 100 counted guesses, including guesses sent inside retry windows.
#[test]
fn privacyidea_1578_waiting_out_every_lock_gives_at_most_100_guesses() {
    let auth = auth();
    let mut st = UserState::new();
    let mut now = T;
    let mut guesses = 0u32;
    let mut last_token = None::<String>;
    while !st.permanently_locked() {
        assert!(guesses < 1000, "never locked permanently");
        if let Some(until) = st.lock_at(now) {
            now = until.unwrap();
            last_token = None; // its retry window is long over
            continue;
        }
        // Alternate a fresh challenge with a guess at the challenge just
        // answered (inside its retry window): both kinds must count.
        let outcome = match last_token.take() {
            Some(token) => auth.verify("alice", &six(), &mut st, &token, "99pw9999", now).unwrap().outcome,
            None => {
                let ch = auth.issue_challenge("alice", &mut st, now).unwrap();
                let o = auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", now).unwrap().outcome;
                last_token = Some(ch.token);
                o
            }
        };
        assert_eq!(outcome, Outcome::Rejected);
        guesses += 1;
        now += 1;
    }
    assert_eq!(guesses, 100);
    assert_eq!(st.failures_since_success(), 100);
    // Years later: still locked, and no challenge is issued.
    assert_eq!(
        auth.issue_challenge("alice", &mut st, now + 10 * 365 * 86_400).unwrap_err(),
        Error::Locked { locked_until: None }
    );
}

/// privacyIDEA #4740: the first attempt after a lock expires must be counted.
#[test]
fn privacyidea_4740_first_attempt_after_a_lock_expires_is_counted() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..5 {
        assert_eq!(wrong(&auth, &mut st, T + k), Outcome::Rejected);
    }
    let until = st.locked_until();
    assert_eq!(until, T + 4 + 900);
    assert_eq!(wrong(&auth, &mut st, until), Outcome::Rejected);
    assert_eq!((st.consecutive_failures(), st.failures_since_success()), (1, 6));
    // ...and the tenth failure locks for twice as long.
    for k in 1..5 {
        wrong(&auth, &mut st, until + k);
    }
    assert_eq!(st.locked_until(), until + 4 + 1800);
}

/// multiOTP #73: repeating one wrong answer must gain nothing: within the
/// retry window it is `duplicate` (not counted, and no new information: the
/// client already knows it was rejected), after it `stale`.
#[test]
fn multiotp_73_repeating_one_wrong_answer_gains_nothing() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + 1).unwrap().outcome,
        Outcome::Rejected
    );
    let after = st.clone();
    for dt in 1..=29 {
        let v = auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + 1 + dt).unwrap();
        assert_eq!(v.outcome, Outcome::Duplicate);
    }
    for dt in 30..=200 {
        let v = auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + 1 + dt).unwrap();
        assert_eq!(v.outcome, Outcome::Stale);
    }
    assert_eq!(st, after, "nothing changed, nothing counted");
}

/// A right answer while locked is `locked`, and the answer is not examined:
/// right and wrong answers give the same verdict, the same event and the
/// same state, and no last answer is recorded.
#[test]
fn right_answer_while_locked_is_locked_and_not_examined() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..4 {
        wrong(&auth, &mut st, T + k);
    }
    let ch = auth.issue_challenge("alice", &mut st, T + 10).unwrap();
    let right = six().respond(&ch).unwrap();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + 10).unwrap().outcome,
        Outcome::Rejected
    );
    assert!(st.lock_at(T + 11).is_some());
    let locked = st.clone();
    let a = auth.verify("alice", &six(), &mut st, &ch.token, &right, T + 11).unwrap();
    let b = auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + 11).unwrap();
    let c = auth.verify_pending("alice", &six(), &mut st, &right, T + 11).unwrap();
    assert_eq!((a.outcome, b.outcome, c.outcome), (Outcome::Locked, Outcome::Locked, Outcome::Locked));
    assert_eq!(a.event, b.event);
    assert_eq!(st, locked);
    // After the lock the right answer to the last challenge is stale: it was never recorded.
    let until = st.locked_until();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, &right, until).unwrap().outcome,
        Outcome::Stale
    );
}

/// The review's answer oracle: anyone can obtain alice's pending token; after
/// she answers, thousands of guesses with that token, early (inside the retry
/// window) and late, must not tell her answer apart from the others without
/// failures being counted.
#[test]
fn answer_oracle_guesses_at_an_answered_token_cost_failures_or_reveal_nothing() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap(); // the attacker sees this token too
    let real = six().respond(&ch).unwrap().as_str().to_owned();
    assert!(auth.verify("alice", &six(), &mut st, &ch.token, &real, T + 5).unwrap().accepted());

    // The attacker's candidate list: 2,000 answers of the right shape, with
    // the real one at position 1,000.
    let mut guesses: Vec<String> = (0..2000u32)
        .map(|i| {
            let d = format!("{:06}", (u64::from(i) * 7919 + 13) % 1_000_000);
            format!("{}pw{}", &d[..2], &d[2..])
        })
        .filter(|g| *g != real)
        .collect();
    guesses.insert(1000, real.clone());

    // Late: after the window nothing is examined; every guess is `stale`,
    // the real answer included, and nothing changes.
    let before = st.clone();
    for g in &guesses {
        let v = auth.verify("alice", &six(), &mut st, &ch.token, g, T + 5 + 30).unwrap();
        assert_eq!(v.outcome, Outcome::Stale);
    }
    assert_eq!(st, before);

    // Early: inside the window. Every outcome that differs from `locked` or
    // `stale` and is not the user's own retry costs a counted failure; once
    // 5 are spent the user is locked and every guess, the real answer
    // included, is `locked`.
    let mut st = before;
    let mut rejected = 0u32;
    let mut distinguishing = 0u32;
    for g in &guesses {
        let v = auth.verify("alice", &six(), &mut st, &ch.token, g, T + 6).unwrap();
        match v.outcome {
            Outcome::Rejected => {
                rejected += 1;
                distinguishing += 1;
            }
            Outcome::Duplicate => distinguishing += 1,
            Outcome::Locked => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(rejected, st.failures_since_success(), "every rejection was counted");
    assert_eq!(rejected, 5, "five counted guesses, then the lock");
    assert_eq!(distinguishing, 5, "the real answer (guess 1,000) came after the lock: locked, like the rest");
    assert!(st.lock_at(T + 6).is_some());
}

/// The same oracle through `verify_pending`: with nothing pending every
/// answer is `stale`, the real one included.
#[test]
fn answer_oracle_without_a_token_reveals_nothing() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let real = six().respond(&ch).unwrap().as_str().to_owned();
    assert!(auth.verify_pending("alice", &six(), &mut st, &real, T + 5).unwrap().accepted());
    let before = st.clone();
    for g in [real.as_str(), "00pw0000", "12pw3456"] {
        assert_eq!(auth.verify_pending("alice", &six(), &mut st, g, T + 6).unwrap().outcome, Outcome::Stale);
    }
    assert_eq!(st, before);
}
