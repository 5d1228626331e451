//! The server side (SPEC §5): issue challenges, verify answers, keep the
//! lockout state machine, unlock, and issue login tickets.

use core::fmt;

use hmac::Mac;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::audit::{AuditSink, Event, EventKind};
use crate::card::{self, CardChallenge, GridCard};
use crate::codec::{check_time, is_valid_name};
use crate::error::{Error, Result};
use crate::fold::Folded;
use crate::grid::{Geometry, Matrix};
use crate::keyring::{KeyMaterial, Keyring, update_str8};
use crate::nt::{NtProof, PasswordHashHash};
use crate::pattern::PatternCredential;
use crate::policy::Policy;
use crate::state::{CardUsage, LastAnswer, MAX_CARDS, UserState};
use crate::strength::Strength;
use crate::token::{self, Body, CardCells, Mode};
use crate::{rng, ticket, verify};

/// How a verification ended (SPEC §5 "Verification outcomes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Right answer to the pending, unexpired challenge. Resets counters.
    Accepted,
    /// Wrong or malformed answer to the pending challenge, or, within the
    /// retry window, a different answer to the challenge just answered.
    /// Counts as a failure.
    Rejected,
    /// The user is locked; the answer was not examined.
    Locked,
    /// The pending challenge's time is over. Consumes it; not a failure.
    Expired,
    /// The same answer sent again for the challenge just answered, within
    /// the retry window. Not a failure; changes nothing.
    Duplicate,
    /// The token is authentic but not the pending challenge (superseded, or
    /// answered longer ago than the retry window); nothing pending for
    /// `verify_pending`. The answer is not examined.
    Stale,
    /// The token is malformed, forged, signed by an unknown key, bound to
    /// another user, or of the other mode.
    Invalid,
}

impl Outcome {
    /// Every outcome, in SPEC order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Accepted,
        Outcome::Rejected,
        Outcome::Locked,
        Outcome::Expired,
        Outcome::Duplicate,
        Outcome::Stale,
        Outcome::Invalid,
    ];

    /// The lower-case name used in every frontend (`"accepted"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Locked => "locked",
            Outcome::Expired => "expired",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Invalid => "invalid",
        }
    }

    /// Parses a name from [`Outcome::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pattern-mode challenge to show the user.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// Opaque token to send back with the answer (hidden form field).
    pub token: String,
    /// The grid of digits to display.
    pub matrix: Matrix,
    /// The user's challenge sequence number.
    pub seq: u64,
    /// Unix seconds the challenge was first issued.
    pub issued_at: u64,
    /// Unix seconds at which it expires (`now >= expires_at` is expired).
    pub expires_at: u64,
    /// The audit event of this issue (`challenge_issued` or `challenge_reissued`).
    pub event: Event,
}

impl Challenge {
    /// Whether this is the pending challenge presented again (a refresh)
    /// rather than a new one.
    pub fn is_reissue(&self) -> bool {
        self.event.kind == EventKind::ChallengeReissued
    }
}

/// The result of [`Authenticator::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct Verdict {
    /// What happened.
    pub outcome: Outcome,
    /// The audit event for it.
    pub event: Event,
}

impl Verdict {
    /// `outcome == Outcome::Accepted`.
    pub fn accepted(&self) -> bool {
        self.outcome == Outcome::Accepted
    }
}

/// The result of an MSCHAPv2 verification
/// ([`Authenticator::verify_pending_nt`]): the verdict, and on `accepted`
/// only, the `PasswordHashHash` of the answer, from which the door derives
/// the authenticator response (RFC 2759 §8.7) and the MPPE keys (RFC 3079).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct NtVerdict {
    /// What happened, as [`Authenticator::verify_pending`] says it.
    pub verdict: Verdict,
    /// `Some` exactly when the outcome is `accepted`.
    pub password_hash_hash: Option<PasswordHashHash>,
}

impl NtVerdict {
    fn new(verdict: Verdict, hash_hash: Option<PasswordHashHash>) -> Self {
        let password_hash_hash = hash_hash.filter(|_| verdict.accepted());
        NtVerdict { verdict, password_hash_hash }
    }
}

/// The authentication server's engine. Holds keys and policy, no per-user
/// data: every call takes the user's [`UserState`] and updates it in place.
/// `Send + Sync`; share one across threads.
pub struct Authenticator {
    keyring: Keyring,
    policy: Policy,
    geometry: Geometry,
    sink: Option<AuditSink>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("keyring", &self.keyring)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator; fails if the policy is inconsistent.
    pub fn new(keyring: Keyring, policy: Policy) -> Result<Self> {
        policy.validate()?;
        let geometry = policy.geometry()?;
        Ok(Authenticator { keyring, policy, geometry, sink: None })
    }

    /// Sends every audit event, refusals included, to `sink` as well.
    #[must_use]
    pub fn with_audit_sink(mut self, sink: AuditSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Replaces (or with `None` removes) the audit sink, for hosts that
    /// attach their log after construction.
    pub fn set_audit_sink(&mut self, sink: Option<AuditSink>) {
        self.sink = sink;
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The keyring.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    fn emit(&self, event: &Event) {
        if let Some(sink) = &self.sink {
            sink(event);
        }
    }

    /// Applies the policy to a credential at enrollment: grid size, lengths,
    /// repeated cells and weak patterns.
    pub fn check_credential(&self, credential: &PatternCredential) -> Result<()> {
        self.policy.check_credential(credential)
    }

    /// The honest strength report for `credential` under this policy.
    pub fn strength(&self, credential: &PatternCredential) -> Strength {
        Strength::for_length(&self.policy, credential.pattern_len())
    }

    /// A random credential for the unknown-user decoy path; see
    /// [`PatternCredential::decoy`].
    pub fn decoy_credential(&self) -> Result<PatternCredential> {
        PatternCredential::decoy(&self.policy)
    }

    /// Issues a challenge for `user` at `now`.
    ///
    /// While a challenge is pending and unexpired the same challenge (same
    /// token, same matrix) is returned and the state is unchanged, so a
    /// refresh never shows a new matrix. A locked user gets
    /// [`Error::Locked`] and no challenge.
    pub fn issue_challenge(&self, user: &str, state: &mut UserState, now: u64) -> Result<Challenge> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        check_time(now)?;
        self.refuse_if_locked(user, state, now)?;
        if let Some(body) = state.pending_body().filter(|b| now < b.expires_at) {
            if body.mode != Mode::Pattern {
                return Err(Error::OtherChallengePending { expires_at: body.expires_at });
            }
            if let Some(key) = self.keyring.find(body.key_id) {
                return Ok(self.present(key, user, &body, state, now, EventKind::ChallengeReissued));
            }
        }
        let key = self.keyring.signing()?;
        let body = self.start_challenge(key, state, now, Mode::Pattern, self.geometry, None)?;
        Ok(self.present(key, user, &body, state, now, EventKind::ChallengeIssued))
    }

    /// `Err(Locked)` (and an `issue_refused_locked` event) if `user` is locked at `now`.
    fn refuse_if_locked(&self, user: &str, state: &UserState, now: u64) -> Result<()> {
        match state.lock_at(now) {
            Some(locked_until) => {
                self.emit(&Event::new(now, user, EventKind::IssueRefusedLocked).with_state(state, now));
                Err(Error::Locked { locked_until })
            }
            None => Ok(()),
        }
    }

    /// A new challenge body with a fresh OS nonce, made the pending challenge
    /// of `state` (sequence number taken, version bumped).
    fn start_challenge(
        &self,
        key: &KeyMaterial,
        state: &mut UserState,
        now: u64,
        mode: Mode,
        geometry: Geometry,
        card: Option<&CardCells>,
    ) -> Result<Body> {
        let mut nonce = [0u8; 16];
        rng::fill(&mut nonce)?;
        let body = Body {
            mode,
            key_id: key.id,
            seq: state.next_seq,
            issued_at: now,
            expires_at: now.saturating_add(self.policy.challenge_ttl),
            geometry,
            nonce,
            card: card.copied(),
        };
        state.pending = Some(body.encode());
        state.next_seq = state.next_seq.wrapping_add(1);
        state.bump();
        Ok(body)
    }

    fn present(
        &self,
        key: &KeyMaterial,
        user: &str,
        body: &Body,
        state: &UserState,
        now: u64,
        kind: EventKind,
    ) -> Challenge {
        let mut event = Event::new(now, user, kind).with_state(state, now);
        event.seq = Some(body.seq);
        self.emit(&event);
        Challenge {
            token: token::sign(key, user, body),
            matrix: body.matrix(key),
            seq: body.seq,
            issued_at: body.issued_at,
            expires_at: body.expires_at,
            event,
        }
    }

    /// Verifies `response` (as typed; it is folded here) to the challenge
    /// `token` for `user` holding `credential`, at `now`, and updates `state`.
    ///
    /// Checks run in SPEC §5 order: token authenticity and user binding
    /// (`invalid`), lock (`locked`), pending match (`duplicate`, `rejected`
    /// within the retry window; `stale` otherwise), expiry (`expired`), then
    /// the answer (`accepted`, `rejected`). `accepted`, `rejected` and
    /// `expired` change the state; `invalid`, `locked`, `stale` and
    /// `duplicate` change nothing. Every comparison of the answer with
    /// anything derived from the secret either counts a failure when it does
    /// not match or is not revealed (SPEC §5 "No answer oracle"). The answer
    /// check runs in constant time (module `verify`).
    ///
    /// For an unknown user, call this with [`Authenticator::decoy_credential`]
    /// and a throw-away state: the work is the same.
    ///
    /// Errors only for an invalid user id or a `now` past [`crate::MAX_TIME`];
    /// every answer and token gets a [`Verdict`].
    pub fn verify(
        &self,
        user: &str,
        credential: &PatternCredential,
        state: &mut UserState,
        token: &str,
        response: &str,
        now: u64,
    ) -> Result<Verdict> {
        self.verify_token(user, Target::Pattern(credential), state, token, response, now)
    }

    /// Verifies `response` against the user's pending pattern challenge,
    /// without a token: for hosts that showed the grid on another channel
    /// (the web portal) and receive the answer as a password (RADIUS PAP).
    /// SPEC §10: with nothing pending the outcome is `stale`; otherwise the
    /// rules, order and outcomes of [`Authenticator::verify`] (a locked user
    /// is `locked` first; a pending card challenge is `invalid`).
    pub fn verify_pending(
        &self,
        user: &str,
        credential: &PatternCredential,
        state: &mut UserState,
        response: &str,
        now: u64,
    ) -> Result<Verdict> {
        self.verify_pending_target(user, Target::Pattern(credential), state, response, now)
    }

    /// Verifies the answer to a card challenge: the same outcomes, order of
    /// checks, lockout and events as [`Authenticator::verify`]. The answer is
    /// folded and case-insensitive; the values are compared in constant time.
    ///
    /// A token for another card (serial or geometry) is `invalid` and changes
    /// nothing. The card's expiry is checked after the token and lock
    /// checks: an expired card then gives [`Error::CardExpired`] and changes
    /// nothing. The asked cells become used once an answer is submitted
    /// (`accepted`, `rejected` or `expired`), SPEC §4.
    pub fn verify_card(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        token: &str,
        response: &str,
        now: u64,
    ) -> Result<Verdict> {
        self.verify_token(user, Target::Card(card), state, token, response, now)
    }

    /// [`Authenticator::verify_card`] against the user's pending card
    /// challenge, without a token (see [`Authenticator::verify_pending`]). A
    /// pending challenge for another card, or of pattern mode, is `invalid`.
    pub fn verify_card_pending(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        response: &str,
        now: u64,
    ) -> Result<Verdict> {
        self.verify_pending_target(user, Target::Card(card), state, response, now)
    }

    /// Verifies an MSCHAPv2 NT-Response (RFC 2759) against the user's
    /// pending pattern challenge (SPEC §17): for an IKEv2 gateway speaking
    /// EAP-MSCHAPv2 after the grid was shown on another channel. The core
    /// derives the one right answer, hashes it as the peer did and compares
    /// the NT-Responses in constant time ([`NtProof`]); the rules, order,
    /// outcomes, counting and events are those of
    /// [`Authenticator::verify_pending`]. The peer hashes what was typed, so
    /// nothing is folded: full-width digits or spaces make a wrong answer.
    ///
    /// On `accepted` the result carries the `PasswordHashHash` the
    /// authenticator response and the MPPE keys are derived from.
    pub fn verify_pending_nt(
        &self,
        user: &str,
        credential: &PatternCredential,
        state: &mut UserState,
        proof: &NtProof,
        now: u64,
    ) -> Result<NtVerdict> {
        self.verify_pending_proof(user, Target::Pattern(credential), state, proof, now)
    }

    /// [`Authenticator::verify_pending_nt`] against the user's pending card
    /// challenge: the answer is the asked cells' values exactly as printed
    /// (letters upper-case), since the peer hashes what was typed.
    pub fn verify_card_pending_nt(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        proof: &NtProof,
        now: u64,
    ) -> Result<NtVerdict> {
        self.verify_pending_proof(user, Target::Card(card), state, proof, now)
    }

    fn verify_pending_proof(
        &self,
        user: &str,
        target: Target<'_>,
        state: &mut UserState,
        proof: &NtProof,
        now: u64,
    ) -> Result<NtVerdict> {
        let mut hash_hash = None;
        let verdict =
            self.verify_pending_given(user, target, state, Given::Nt(proof, &mut hash_hash), now)?;
        Ok(NtVerdict::new(verdict, hash_hash))
    }

    fn verify_token(
        &self,
        user: &str,
        target: Target<'_>,
        state: &mut UserState,
        token: &str,
        response: &str,
        now: u64,
    ) -> Result<Verdict> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        check_time(now)?;
        match token::open(&self.keyring, user, token) {
            Some(opened) if target.binds(&opened.body) => {
                self.decide(user, target, state, &opened, Given::Typed(response), now)
            }
            _ => Ok(self.verdict(Outcome::Invalid, user, None, state, now)),
        }
    }

    fn verify_pending_target(
        &self,
        user: &str,
        target: Target<'_>,
        state: &mut UserState,
        response: &str,
        now: u64,
    ) -> Result<Verdict> {
        self.verify_pending_given(user, target, state, Given::Typed(response), now)
    }

    fn verify_pending_given(
        &self,
        user: &str,
        target: Target<'_>,
        state: &mut UserState,
        given: Given<'_, '_>,
        now: u64,
    ) -> Result<Verdict> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        check_time(now)?;
        if state.lock_at(now).is_some() {
            let seq = state.pending_body().map(|b| b.seq);
            return Ok(self.verdict(Outcome::Locked, user, seq, state, now));
        }
        let Some(bytes) = state.pending else {
            return Ok(self.verdict(Outcome::Stale, user, None, state, now));
        };
        let Some(body) = Body::decode(bytes.as_slice()).filter(|b| target.binds(b)) else {
            return Ok(self.verdict(Outcome::Invalid, user, None, state, now));
        };
        let Some(key) = self.keyring.find(body.key_id) else {
            return Ok(self.verdict(Outcome::Invalid, user, None, state, now));
        };
        let id = token::challenge_id(key, user, bytes.as_slice());
        self.decide(user, target, state, &token::Opened { body, bytes, id }, given, now)
    }

    /// The SPEC §5 state machine shared by both modes and both ways of
    /// naming the challenge, after the token (or the pending record) was
    /// found authentic and bound to `target`.
    fn decide(
        &self,
        user: &str,
        target: Target<'_>,
        state: &mut UserState,
        challenge: &token::Opened,
        given: Given<'_, '_>,
        now: u64,
    ) -> Result<Verdict> {
        let token::Opened { body, bytes, id } = challenge;
        let seq = Some(body.seq);
        if state.lock_at(now).is_some() {
            return Ok(self.verdict(Outcome::Locked, user, seq, state, now));
        }
        if let Target::Card(card) = target
            && card.is_expired(now)
        {
            return Err(Error::CardExpired);
        }
        let Some(key) = self.keyring.find(body.key_id) else {
            return Ok(self.verdict(Outcome::Invalid, user, None, state, now));
        };
        // What the retry window's MAC covers: the folded answer, or the NT-Response with the
        // peer's challenge (which name the answer exactly as the peer hashed it).
        let (folded, nt_given) = match &given {
            Given::Typed(response) => (Folded::new(response), None),
            Given::Nt(proof, _) => {
                let mut bytes = Zeroizing::new([0u8; 40]);
                for (b, v) in bytes.iter_mut().zip(proof.peer_challenge.iter().chain(&proof.nt_response)) {
                    *b = *v;
                }
                (None, Some(bytes))
            }
        };
        let typed = match &nt_given {
            Some(bytes) => Some(bytes.as_slice()),
            None => folded.as_ref().map(Folded::as_bytes),
        };

        if state.pending.as_ref() != Some(bytes) {
            // Not the pending challenge. The last answered one, within the
            // retry window, is compared with the last answer, and a
            // different answer is a counted failure: no free guesses.
            let window = state.last_answer.as_ref().filter(|last| {
                last.challenge_id == *id
                    && now < last.answered_at.saturating_add(self.policy.retry_window).min(body.expires_at)
            });
            let Some(last) = window else {
                return Ok(self.verdict(Outcome::Stale, user, seq, state, now));
            };
            if bool::from(last.answer_mac.ct_eq(&answer_mac(key, user, id, typed))) {
                return Ok(self.verdict(Outcome::Duplicate, user, seq, state, now));
            }
            self.record_failure(state, now);
            state.bump();
            return Ok(self.verdict(Outcome::Rejected, user, seq, state, now));
        }

        state.pending = None;
        if let Some(c) = &body.card {
            // The values were typed (or the time ran out with an answer in
            // hand): these cells are never asked again (SPEC §4).
            state.mark_cells_used(c.serial.as_str(), c.cells());
        }
        if now >= body.expires_at {
            state.bump();
            return Ok(self.verdict(Outcome::Expired, user, seq, state, now));
        }
        let right = match given {
            Given::Typed(_) => typed.is_some_and(|typed| match (target, &body.card) {
                (Target::Pattern(credential), _) => {
                    bool::from(verify::response_matches(credential, &body.matrix(key), typed))
                }
                (Target::Card(card), Some(c)) => bool::from(card.answer_matches(c.cells(), typed)),
                (Target::Card(_), None) => false,
            }),
            Given::Nt(proof, out) => {
                let checked = match (target, &body.card) {
                    (Target::Pattern(credential), _) => {
                        Some(verify::nt_response_matches(credential, &body.matrix(key), proof))
                    }
                    (Target::Card(card), Some(c)) => Some(card.nt_answer_matches(c.cells(), proof)),
                    (Target::Card(_), None) => None,
                };
                match checked {
                    Some((same, hash_hash)) if bool::from(same) => {
                        *out = Some(hash_hash);
                        true
                    }
                    _ => false,
                }
            }
        };
        state.last_answer = Some(LastAnswer {
            challenge_id: *id,
            answer_mac: answer_mac(key, user, id, typed),
            answered_at: now,
        });
        let outcome = if right {
            Self::record_success(state);
            Outcome::Accepted
        } else {
            self.record_failure(state, now);
            Outcome::Rejected
        };
        state.bump();
        Ok(self.verdict(outcome, user, seq, state, now))
    }

    /// Issues a card challenge for `user` holding `card`: `card_challenge_cells`
    /// distinct cells, chosen uniformly among the cells of this card not yet
    /// used (single-use policy) or among all cells (otherwise). A cell becomes
    /// used when an answer to it is submitted; a challenge that expires with
    /// no answer gives its cells back (SPEC §4), so nobody can exhaust a card
    /// by asking without answering.
    ///
    /// While a challenge for this card is pending and unexpired, the same
    /// challenge is returned (a refresh never shows new cells); while any
    /// other challenge is pending and unexpired (pattern mode or another
    /// card), [`Error::OtherChallengePending`]. Errors also:
    /// [`Error::Locked`], [`Error::CardExpired`], [`Error::CardExhausted`]
    /// (fewer unused cells than a challenge asks: issue a new card),
    /// [`Error::TooManyCards`].
    pub fn issue_card_challenge(
        &self,
        user: &str,
        card: &GridCard,
        state: &mut UserState,
        now: u64,
    ) -> Result<CardChallenge> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        check_time(now)?;
        self.refuse_if_locked(user, state, now)?;
        if card.is_expired(now) {
            return Err(Error::CardExpired);
        }
        if let Some(body) = state.pending_body().filter(|b| now < b.expires_at) {
            let same_card = body.card.as_ref().is_some_and(|c| c.serial == card.serial());
            if !same_card || body.mode != Mode::Card || body.geometry != card.geometry() {
                return Err(Error::OtherChallengePending { expires_at: body.expires_at });
            }
            if let Some(key) = self.keyring.find(body.key_id) {
                return Ok(self.present_card(key, user, &body, state, now, true));
            }
        }
        let k = self.policy.card_challenge_cells;
        let cells_total = card.geometry().cells();
        let key = self.keyring.signing()?;
        let tracked = state.cards.iter().any(|c| c.serial == card.serial());
        if !tracked && state.cards.len() >= MAX_CARDS {
            return Err(Error::TooManyCards);
        }
        let used = state.card_usage(card.serial());
        let is_used = |i: usize| used.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1);
        let mut pool: Vec<u8> = (0..cells_total)
            .filter(|&i| !self.policy.card_single_use || !is_used(i))
            .map(|i| i as u8)
            .collect();
        if pool.len() < k {
            return Err(Error::CardExhausted);
        }
        let cells = card::choose(&mut pool, k)?;
        let remaining = if self.policy.card_single_use { ((pool.len() - k) / k) as u32 } else { u32::MAX };
        let card_part = CardCells::new(card.serial(), &cells, remaining)
            .ok_or(Error::InvalidPolicy("card_challenge_cells must be 1..=16"))?;
        let body = self.start_challenge(key, state, now, Mode::Card, card.geometry(), Some(&card_part))?;
        if !tracked {
            state.cards.push(CardUsage { serial: card.serial().to_owned(), used: [0u8; 32] });
        }
        Ok(self.present_card(key, user, &body, state, now, false))
    }

    fn present_card(
        &self,
        key: &KeyMaterial,
        user: &str,
        body: &Body,
        state: &UserState,
        now: u64,
        reissue: bool,
    ) -> CardChallenge {
        let kind = if reissue { EventKind::CardChallengeReissued } else { EventKind::CardChallengeIssued };
        let mut event = Event::new(now, user, kind).with_state(state, now);
        event.seq = Some(body.seq);
        self.emit(&event);
        let (serial, cells, remaining) = match &body.card {
            Some(c) => (
                c.serial.as_str().to_owned(),
                c.cells().iter().filter_map(|&i| body.geometry.cell_at(usize::from(i)).ok()).collect(),
                (c.remaining != u32::MAX).then_some(c.remaining),
            ),
            None => (String::new(), Vec::new(), None),
        };
        CardChallenge {
            token: token::sign(key, user, body),
            serial,
            cells,
            remaining,
            seq: body.seq,
            issued_at: body.issued_at,
            expires_at: body.expires_at,
            event,
        }
    }

    fn verdict(
        &self,
        outcome: Outcome,
        user: &str,
        seq: Option<u64>,
        state: &UserState,
        now: u64,
    ) -> Verdict {
        let mut event = Event::new(now, user, EventKind::Verify(outcome)).with_state(state, now);
        event.seq = seq;
        self.emit(&event);
        Verdict { outcome, event }
    }

    pub(crate) fn record_success(state: &mut UserState) {
        state.consecutive_failures = 0;
        state.failures_since_success = 0;
        state.lock_level = 0;
        state.locked_until = 0;
    }

    /// Counts one failure; the failure that reaches a threshold is counted
    /// and locks at once (SPEC §5 lockout policy).
    pub(crate) fn record_failure(&self, state: &mut UserState, now: u64) {
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        state.failures_since_success = state.failures_since_success.saturating_add(1);
        if state.failures_since_success >= self.policy.max_total_failures {
            state.permanently_locked = true;
        }
        if state.consecutive_failures >= self.policy.max_consecutive_failures {
            state.lock_level = state.lock_level.saturating_add(1);
            state.locked_until = now.saturating_add(self.policy.lock_duration(state.lock_level));
            state.consecutive_failures = 0;
        }
    }

    /// A failed second factor beside the grid (a refused WebAuthn assertion
    /// for a registered terminal, SPEC §16), counted toward the lockout as a
    /// wrong answer is: `rejected` with the failure counted, or `locked`
    /// (nothing counted) while a lock is in force. The pending challenge is
    /// left alone. Its `verify` event is a wrong answer's.
    pub fn count_failure(&self, user: &str, state: &mut UserState, now: u64) -> Result<Verdict> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        check_time(now)?;
        if state.lock_at(now).is_some() {
            return Ok(self.verdict(Outcome::Locked, user, None, state, now));
        }
        self.record_failure(state, now);
        state.bump();
        Ok(self.verdict(Outcome::Rejected, user, None, state, now))
    }

    /// An administrator's unlock: clears the permanent and temporary locks,
    /// the failure counters and the lock level. The pending challenge, if
    /// any, is left alone.
    pub fn unlock(&self, user: &str, state: &mut UserState, now: u64) -> Result<Event> {
        if !is_valid_name(user) {
            return Err(Error::InvalidUserId);
        }
        check_time(now)?;
        let before = state.clone();
        state.permanently_locked = false;
        state.locked_until = 0;
        state.lock_level = 0;
        state.consecutive_failures = 0;
        state.failures_since_success = 0;
        if *state != before {
            state.bump();
        }
        let event = Event::new(now, user, EventKind::Unlock).with_state(state, now);
        self.emit(&event);
        Ok(event)
    }

    /// A login ticket for the SSL-VPN appliance (SPEC §6), valid for the
    /// policy's `ticket_ttl`. Call it only after an `accepted` verdict.
    pub fn issue_ticket(&self, user: &str, audience: &str, now: u64) -> Result<String> {
        check_time(now)?;
        let ticket = ticket::issue(&self.keyring, user, audience, now, self.policy.ticket_ttl)?;
        let mut event = Event::new(now, user, EventKind::TicketIssued);
        event.audience = Some(crate::codec::Name::lossy(audience));
        self.emit(&event);
        Ok(ticket)
    }
}

/// What the user gave: a typed answer, or an MSCHAPv2 proof of one (with
/// where to put the `PasswordHashHash` if it is right).
enum Given<'a, 'o> {
    Typed(&'a str),
    Nt(&'a NtProof, &'o mut Option<PasswordHashHash>),
}

/// What an answer is checked against, and which challenges it can answer.
#[derive(Clone, Copy)]
enum Target<'a> {
    Pattern(&'a PatternCredential),
    Card(&'a GridCard),
}

impl Target<'_> {
    /// Whether a challenge `body` belongs to this credential: the same mode,
    /// and for a card the same serial and geometry. Anything else is
    /// `invalid` (SPEC §5: a token of another mode or card changes nothing).
    fn binds(self, body: &Body) -> bool {
        match (self, &body.card) {
            (Target::Pattern(_), None) => body.mode == Mode::Pattern,
            (Target::Card(card), Some(c)) => {
                body.mode == Mode::Card && c.serial == card.serial() && body.geometry == card.geometry()
            }
            _ => false,
        }
    }
}

/// Keyed digest of a folded answer (or of "malformed") to challenge `id`,
/// so the state never holds an answer but a retry of the same answer within
/// the retry window is recognised.
fn answer_mac(key: &KeyMaterial, user: &str, id: &token::ChallengeId, folded: Option<&[u8]>) -> [u8; 16] {
    let mut mac = key.answer_mac();
    mac.update(b"matrixauth/v2/answer");
    update_str8(&mut mac, user);
    mac.update(id);
    match folded {
        Some(answer) => {
            mac.update(&[1]);
            mac.update(answer);
        }
        None => mac.update(&[0]),
    }
    let tag = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    for (o, t) in out.iter_mut().zip(tag.iter()) {
        *o = *t;
    }
    out
}
