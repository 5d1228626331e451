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
//! The lockout state machine of SPEC §5, through the public API.

mod common;

use common::*;
use matrixauth::*;

const T: u64 = 1_800_000_000;

/// Issues a fresh challenge at `now` and answers it wrongly.
fn fail(auth: &Authenticator, st: &mut UserState, now: u64) -> Outcome {
    let ch = auth.issue_challenge("alice", st, now).unwrap();
    let right = six().respond(&ch).unwrap();
    let wrong: String = right
        .chars()
        .map(|c| if c.is_ascii_digit() { if c == '0' { '1' } else { '0' } } else { c })
        .collect();
    auth.verify("alice", &six(), st, &ch.token, &wrong, now).unwrap().outcome
}

fn succeed(auth: &Authenticator, st: &mut UserState, now: u64) -> Outcome {
    match auth.issue_challenge("alice", st, now) {
        Ok(ch) => {
            let right = six().respond(&ch).unwrap();
            auth.verify("alice", &six(), st, &ch.token, &right, now).unwrap().outcome
        }
        Err(Error::Locked { .. }) => Outcome::Locked,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn lock_begins_exactly_at_the_fifth_failure() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 1..=4 {
        assert_eq!(fail(&auth, &mut st, T + k), Outcome::Rejected);
        assert_eq!(st.consecutive_failures(), k as u32);
        assert_eq!(st.lock_at(T + k), None, "not locked after {k} failures");
    }
    assert_eq!(fail(&auth, &mut st, T + 5), Outcome::Rejected);
    assert_eq!(st.locked_until(), T + 5 + 900);
    assert_eq!(st.lock_at(T + 5), Some(Some(T + 905)));
    assert_eq!(st.consecutive_failures(), 0, "a lock restarts the consecutive count");
    assert_eq!(st.failures_since_success(), 5);
    assert_eq!(st.lock_level(), 1);
    // Issue is refused with the lock's end; no challenge is created.
    let version = st.version();
    assert_eq!(
        auth.issue_challenge("alice", &mut st, T + 904),
        Err(Error::Locked { locked_until: Some(T + 905) })
    );
    assert_eq!(st.version(), version);
    // The lock ends at locked_until exactly.
    assert!(auth.issue_challenge("alice", &mut st, T + 905).is_ok());
}

#[test]
fn lock_durations_double_and_cap_at_24_hours() {
    let auth = auth();
    let mut st = UserState::new();
    let mut now = T;
    let mut durations = Vec::new();
    for _ in 0..9 {
        for _ in 0..5 {
            assert_eq!(fail(&auth, &mut st, now), Outcome::Rejected);
        }
        durations.push(st.locked_until() - now);
        now = st.locked_until();
    }
    assert_eq!(durations, [900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 86400]);
    assert_eq!(st.failures_since_success(), 45);
}

#[test]
fn each_further_lock_needs_five_new_failures() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..5 {
        fail(&auth, &mut st, T + k);
    }
    let after_lock = st.locked_until();
    for k in 0..4 {
        fail(&auth, &mut st, after_lock + k);
        assert!(st.lock_at(after_lock + k).is_none());
    }
    fail(&auth, &mut st, after_lock + 4);
    assert_eq!(st.locked_until(), after_lock + 4 + 1800);
}

#[test]
fn hundredth_failure_locks_permanently_until_unlock() {
    let auth = auth();
    let mut st = UserState::new();
    let mut now = T;
    for k in 1..=100u32 {
        assert_eq!(fail(&auth, &mut st, now), Outcome::Rejected);
        assert_eq!(st.failures_since_success(), k);
        assert_eq!(st.permanently_locked(), k == 100, "after {k}");
        now = now.max(st.locked_until());
    }
    let far = now + 10 * 365 * 86400;
    assert_eq!(st.lock_at(far), Some(None));
    assert_eq!(auth.issue_challenge("alice", &mut st, far), Err(Error::Locked { locked_until: None }));
    let event = auth.unlock("alice", &mut st, far).unwrap();
    assert_eq!(event.kind, EventKind::Unlock);
    assert!(!st.permanently_locked());
    assert_eq!(st.failures_since_success(), 0);
    assert_eq!(succeed(&auth, &mut st, far), Outcome::Accepted);
}

#[test]
fn right_answer_while_locked_is_locked_and_not_examined() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..4 {
        fail(&auth, &mut st, T + k);
    }
    // The 5th failure locks the user; the right answer to that same challenge
    // afterwards is `locked`, because the lock is checked before the pending
    // match and before the answer.
    let ch = auth.issue_challenge("alice", &mut st, T + 10).unwrap();
    let right = six().respond(&ch).unwrap();
    let mut locked = st.clone();
    let wrong =
        if right.starts_with('0') { format!("1{}", &right[1..]) } else { format!("0{}", &right[1..]) };
    assert_eq!(
        auth.verify("alice", &six(), &mut locked, &ch.token, &wrong, T + 11).unwrap().outcome,
        Outcome::Rejected
    );
    assert!(locked.lock_at(T + 12).is_some());
    let before = locked.clone();
    let v = auth.verify("alice", &six(), &mut locked, &ch.token, &right, T + 12).unwrap();
    assert_eq!(v.outcome, Outcome::Locked);
    assert_eq!(locked, before, "locked changes nothing");
    assert_eq!(v.event.locked_until, Some(T + 11 + 900));
}

#[test]
fn success_resets_counters_and_lock_level() {
    let auth = auth();
    let mut st = UserState::new();
    for k in 0..5 {
        fail(&auth, &mut st, T + k);
    }
    let now = st.locked_until();
    fail(&auth, &mut st, now);
    fail(&auth, &mut st, now + 1);
    assert_eq!((st.consecutive_failures(), st.failures_since_success(), st.lock_level()), (2, 7, 1));
    assert_eq!(succeed(&auth, &mut st, now + 2), Outcome::Accepted);
    assert_eq!((st.consecutive_failures(), st.failures_since_success(), st.lock_level()), (0, 0, 0));
    // The next lock is a first lock again: 900 s.
    for k in 0..5 {
        fail(&auth, &mut st, now + 10 + k);
    }
    assert_eq!(st.locked_until(), now + 14 + 900);
}

#[test]
fn duplicate_stale_expired_invalid_are_not_counted() {
    let auth = auth();
    let mut st = UserState::new();
    // A wrong answer, then the client retries it: duplicate, not counted twice.
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + 1).unwrap().outcome,
        Outcome::Rejected
    );
    let counted = st.clone();
    for dt in [2, 10, 30] {
        assert_eq!(
            auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", T + dt).unwrap().outcome,
            Outcome::Duplicate
        );
        assert_eq!(
            auth.verify("alice", &six(), &mut st, "garbage", "x", T + dt).unwrap().outcome,
            Outcome::Invalid
        );
        assert_eq!(
            auth.verify("bob", &six(), &mut st, &ch.token, "x", T + dt).unwrap().outcome,
            Outcome::Invalid
        );
    }
    // After the retry window (30 s from the answer) nothing is examined: stale.
    for answer in ["00pw0000", "11pw1111"] {
        assert_eq!(
            auth.verify("alice", &six(), &mut st, &ch.token, answer, T + 31).unwrap().outcome,
            Outcome::Stale
        );
    }
    assert_eq!(st, counted, "none of those changed the state");
    // Within the window a different answer is counted, like any other guess.
    let ch = auth.issue_challenge("alice", &mut st, T + 50).unwrap();
    let right = six().respond(&ch).unwrap();
    assert!(auth.verify("alice", &six(), &mut st, &ch.token, &right, T + 51).unwrap().accepted());
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, "11pw1111", T + 52).unwrap().outcome,
        Outcome::Rejected
    );
    assert_eq!((st.consecutive_failures(), st.failures_since_success()), (1, 1));
    // Expired consumes the challenge but counts nothing.
    let ch = auth.issue_challenge("alice", &mut st, T + 100).unwrap();
    let v = auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", ch.expires_at).unwrap();
    assert_eq!(v.outcome, Outcome::Expired);
    assert_eq!(st.consecutive_failures(), 1);
    assert_eq!(st.pending_expires_at(), None, "expired consumes the pending challenge");
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, "00pw0000", ch.expires_at).unwrap().outcome,
        Outcome::Stale
    );
}

#[test]
fn the_retry_window_never_outlasts_the_challenge_and_zero_turns_it_off() {
    // Window end = min(answered_at + retry_window, expires_at).
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let right = six().respond(&ch).unwrap();
    assert!(auth.verify("alice", &six(), &mut st, &ch.token, &right, ch.expires_at - 5).unwrap().accepted());
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, &right, ch.expires_at - 1).unwrap().outcome,
        Outcome::Duplicate
    );
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &ch.token, &right, ch.expires_at).unwrap().outcome,
        Outcome::Stale
    );
    let off = auth_with(Policy { retry_window: 0, ..Policy::default() });
    let mut st = UserState::new();
    let ch = off.issue_challenge("alice", &mut st, T).unwrap();
    let right = six().respond(&ch).unwrap();
    assert!(off.verify("alice", &six(), &mut st, &ch.token, &right, T + 1).unwrap().accepted());
    let after = st.clone();
    for answer in [right.as_str(), "00pw0000"] {
        assert_eq!(
            off.verify("alice", &six(), &mut st, &ch.token, answer, T + 1).unwrap().outcome,
            Outcome::Stale
        );
    }
    assert_eq!(st, after);
}

#[test]
fn superseded_challenge_is_stale() {
    let auth = auth();
    let mut st = UserState::new();
    let old = auth.issue_challenge("alice", &mut st, T).unwrap();
    // After expiry a new challenge replaces it.
    let new = auth.issue_challenge("alice", &mut st, old.expires_at).unwrap();
    assert_ne!(old.token, new.token);
    let right_old = six().respond(&old).unwrap();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &old.token, &right_old, old.expires_at + 1).unwrap().outcome,
        Outcome::Stale
    );
    let right = six().respond(&new).unwrap();
    assert_eq!(
        auth.verify("alice", &six(), &mut st, &new.token, &right, old.expires_at + 1).unwrap().outcome,
        Outcome::Accepted
    );
}

#[test]
fn policy_thresholds_are_honoured() {
    let auth = auth_with(Policy {
        max_consecutive_failures: 3,
        lockout_seconds: 60,
        max_lockout_seconds: 100,
        max_total_failures: 7,
        ..Policy::default()
    });
    let mut st = UserState::new();
    let mut now = T;
    let mut locks = Vec::new();
    for _ in 0..7 {
        fail(&auth, &mut st, now);
        if st.locked_until() > now {
            locks.push(st.locked_until() - now);
            now = st.locked_until();
        } else {
            now += 1;
        }
    }
    assert_eq!(locks, [60, 100]);
    assert!(st.permanently_locked());
}

#[test]
fn version_bumps_on_every_change_only() {
    let auth = auth();
    let mut st = UserState::new();
    assert_eq!(st.version(), 0);
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    assert_eq!(st.version(), 1);
    let _ = auth.issue_challenge("alice", &mut st, T + 1).unwrap();
    assert_eq!(st.version(), 1, "re-issue changes nothing");
    let right = six().respond(&ch).unwrap();
    let _ = auth.verify("alice", &six(), &mut st, &ch.token, &right, T + 2).unwrap();
    assert_eq!(st.version(), 2);
    let _ = auth.verify("alice", &six(), &mut st, &ch.token, &right, T + 3).unwrap();
    assert_eq!(st.version(), 2, "duplicate changes nothing");
    let _ = auth.unlock("alice", &mut st, T + 4).unwrap();
    assert_eq!(st.version(), 2, "unlock of an unlocked user changes nothing");
}

/// A failed second factor beside the grid (a refused terminal assertion, SPEC §16) counts as a
/// wrong answer does: the same counters, the same lock at the fifth, mixed with wrong answers,
/// nothing counted while locked, the pending challenge left alone, cleared by a login.
#[test]
fn count_failure_counts_toward_the_same_lockout_as_wrong_answers() {
    let auth = auth();
    let mut st = UserState::new();
    let ch = auth.issue_challenge("alice", &mut st, T).unwrap();
    let v0 = st.version();
    assert_eq!(auth.count_failure("alice", &mut st, T + 1).unwrap().outcome, Outcome::Rejected);
    assert!(st.version() > v0, "a counted failure is a new state version");
    assert_eq!(st.consecutive_failures(), 1);
    assert_eq!(st.pending_expires_at(), Some(ch.expires_at), "the pending challenge is left alone");
    assert_eq!(fail(&auth, &mut st, T + 2), Outcome::Rejected);
    for k in 3..=4 {
        assert_eq!(auth.count_failure("alice", &mut st, T + k).unwrap().outcome, Outcome::Rejected);
    }
    assert_eq!(st.lock_at(T + 4), None);
    assert_eq!(auth.count_failure("alice", &mut st, T + 5).unwrap().outcome, Outcome::Rejected);
    assert_eq!(st.lock_at(T + 5), Some(Some(T + 905)), "the fifth failure locks");
    let (failures, version) = (st.failures_since_success(), st.version());
    assert_eq!(auth.count_failure("alice", &mut st, T + 6).unwrap().outcome, Outcome::Locked);
    assert_eq!(
        (st.failures_since_success(), st.version()),
        (failures, version),
        "nothing counted while locked"
    );
    assert_eq!(succeed(&auth, &mut st, T + 905), Outcome::Accepted);
    assert_eq!(st.failures_since_success(), 0);
    assert_eq!(auth.count_failure("", &mut st, T + 906).unwrap_err(), Error::InvalidUserId);
}
