//! `Authenticator` and what it returns: `Challenge`, `CardChallenge`, `Verdict`, `Outcome`.

use crate::card::GridCard;
use crate::convert::event_dict;
use crate::convert::now_or_clock;
use crate::credential::PatternCredential;
use crate::error::err;
use crate::keyring::Keyring;
use crate::nt::{NtProof, NtVerdict};
use crate::policy::Policy;
use crate::policy::Strength;
use crate::state::UserState;
use pyo3::prelude::*;

/// What a verification concluded. `str(Outcome.ACCEPTED) == "accepted"`.
#[pyclass(module = "matrixauth", eq, eq_int, frozen, hash, rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Right answer to the pending challenge.
    Accepted,
    /// Wrong or malformed answer (counted).
    Rejected,
    /// The user is locked.
    Locked,
    /// The challenge's time is over.
    Expired,
    /// The same answer again for the challenge just answered.
    Duplicate,
    /// Not the pending challenge.
    Stale,
    /// Malformed or forged token.
    Invalid,
}

impl From<mx::Outcome> for Outcome {
    fn from(o: mx::Outcome) -> Self {
        match o {
            mx::Outcome::Accepted => Outcome::Accepted,
            mx::Outcome::Rejected => Outcome::Rejected,
            mx::Outcome::Locked => Outcome::Locked,
            mx::Outcome::Expired => Outcome::Expired,
            mx::Outcome::Duplicate => Outcome::Duplicate,
            mx::Outcome::Stale => Outcome::Stale,
            mx::Outcome::Invalid => Outcome::Invalid,
        }
    }
}

#[pymethods]
impl Outcome {
    fn __str__(&self) -> &'static str {
        self.name()
    }

    /// The outcome's name (`"accepted"`, …), as in SPEC §5.
    #[getter]
    fn value(&self) -> &'static str {
        self.name()
    }
}

impl Outcome {
    /// The core's name for this outcome (the names live in the core only).
    fn name(self) -> &'static str {
        mx::Outcome::ALL
            .into_iter()
            .find(|&o| Outcome::from(o) == self)
            .map_or("invalid", mx::Outcome::as_str)
    }
}

/// A pattern challenge: the matrix to show and the token to send back.
#[pyclass(module = "matrixauth", frozen)]
pub struct Challenge {
    pub(crate) inner: mx::Challenge,
}

#[pymethods]
impl Challenge {
    #[getter]
    fn token(&self) -> &str {
        &self.inner.token
    }
    /// Rows of digits.
    #[getter]
    fn matrix(&self) -> Vec<Vec<u8>> {
        self.inner.matrix.rows()
    }
    #[getter]
    fn rows(&self) -> usize {
        self.inner.matrix.geometry().rows()
    }
    #[getter]
    fn cols(&self) -> usize {
        self.inner.matrix.geometry().cols()
    }
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }
    #[getter]
    fn issued_at(&self) -> u64 {
        self.inner.issued_at
    }
    #[getter]
    fn expires_at(&self) -> u64 {
        self.inner.expires_at
    }
    /// Whether this is the pending challenge shown again (a refresh).
    #[getter]
    fn reissue(&self) -> bool {
        self.inner.is_reissue()
    }
    /// The audit event, as a dict.
    #[getter]
    fn event<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        event_dict(py, &self.inner.event)
    }
    /// The matrix as text, with column letters and row numbers.
    fn render_text(&self) -> String {
        self.inner.matrix.render_text()
    }
    fn __repr__(&self) -> String {
        format!(
            "Challenge(seq={}, expires_at={}, reissue={})",
            self.inner.seq,
            self.inner.expires_at,
            self.reissue()
        )
    }
}

/// A grid-card challenge: which cells to type, in order.
#[pyclass(module = "matrixauth", frozen)]
pub struct CardChallenge {
    pub(crate) inner: mx::CardChallenge,
}

#[pymethods]
impl CardChallenge {
    #[getter]
    fn token(&self) -> &str {
        &self.inner.token
    }
    #[getter]
    fn serial(&self) -> &str {
        &self.inner.serial
    }
    #[getter]
    fn cells(&self) -> Vec<String> {
        self.inner.cell_names()
    }
    /// Challenges the card can still serve after this one, or None when cells may repeat.
    #[getter]
    fn remaining(&self) -> Option<u32> {
        self.inner.remaining
    }
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }
    #[getter]
    fn issued_at(&self) -> u64 {
        self.inner.issued_at
    }
    #[getter]
    fn expires_at(&self) -> u64 {
        self.inner.expires_at
    }
    #[getter]
    fn reissue(&self) -> bool {
        self.inner.is_reissue()
    }
    #[getter]
    fn event<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        event_dict(py, &self.inner.event)
    }
    fn __repr__(&self) -> String {
        format!(
            "CardChallenge(serial={:?}, cells={:?}, remaining={:?})",
            self.inner.serial,
            self.cells(),
            self.inner.remaining
        )
    }
}

/// The result of a verification.
#[pyclass(module = "matrixauth", frozen)]
pub struct Verdict {
    pub(crate) inner: mx::Verdict,
}

#[pymethods]
impl Verdict {
    #[getter]
    fn outcome(&self) -> Outcome {
        self.inner.outcome.into()
    }
    #[getter]
    fn accepted(&self) -> bool {
        self.inner.accepted()
    }
    #[getter]
    fn event<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        event_dict(py, &self.inner.event)
    }
    fn __repr__(&self) -> String {
        format!("Verdict(outcome={})", self.inner.outcome.as_str())
    }
}

/// The authentication server's engine: keys and policy, no per-user data.
#[pyclass(module = "matrixauth", frozen)]
pub struct Authenticator {
    pub(crate) inner: mx::Authenticator,
}

#[pymethods]
impl Authenticator {
    #[new]
    #[pyo3(signature = (keyring, policy = None))]
    fn new(keyring: &Keyring, policy: Option<&Policy>) -> PyResult<Self> {
        let policy = policy.map(|p| p.inner.clone()).unwrap_or_default();
        Ok(Authenticator { inner: mx::Authenticator::new(keyring.inner.clone(), policy).map_err(err)? })
    }

    #[getter]
    fn policy(&self) -> Policy {
        Policy { inner: self.inner.policy().clone() }
    }

    #[getter]
    fn keyring(&self) -> Keyring {
        Keyring { inner: self.inner.keyring().clone() }
    }

    /// Applies the enrollment rules (`PolicyError`, `WeakPatternError`).
    fn check_credential(&self, credential: &PatternCredential) -> PyResult<()> {
        self.inner.check_credential(&credential.inner).map_err(err)
    }

    fn strength(&self, credential: &PatternCredential) -> Strength {
        Strength { inner: self.inner.strength(&credential.inner) }
    }

    /// A random credential for unknown users (same work as a real verify).
    fn decoy_credential(&self) -> PyResult<PatternCredential> {
        Ok(PatternCredential { inner: self.inner.decoy_credential().map_err(err)? })
    }

    /// Issues (or re-issues) a pattern challenge; `LockedError` while locked.
    #[pyo3(signature = (user, state, now = None))]
    fn issue_challenge(
        &self,
        user: &str,
        mut state: PyRefMut<'_, UserState>,
        now: Option<i64>,
    ) -> PyResult<Challenge> {
        let now = now_or_clock(now)?;
        Ok(Challenge { inner: self.inner.issue_challenge(user, &mut state.inner, now).map_err(err)? })
    }

    /// Verifies a typed answer; updates `state` in place.
    #[pyo3(signature = (user, credential, state, token, answer, now = None))]
    fn verify(
        &self,
        user: &str,
        credential: &PatternCredential,
        mut state: PyRefMut<'_, UserState>,
        token: &str,
        answer: &str,
        now: Option<i64>,
    ) -> PyResult<Verdict> {
        let now = now_or_clock(now)?;
        let inner =
            self.inner.verify(user, &credential.inner, &mut state.inner, token, answer, now).map_err(err)?;
        Ok(Verdict { inner })
    }

    /// Verifies a typed answer to the user's pending pattern challenge,
    /// without a token (the grid was shown elsewhere; the answer came as a
    /// password). Nothing pending: `Outcome.STALE`.
    #[pyo3(signature = (user, credential, state, answer, now = None))]
    fn verify_pending(
        &self,
        user: &str,
        credential: &PatternCredential,
        mut state: PyRefMut<'_, UserState>,
        answer: &str,
        now: Option<i64>,
    ) -> PyResult<Verdict> {
        let now = now_or_clock(now)?;
        let inner =
            self.inner.verify_pending(user, &credential.inner, &mut state.inner, answer, now).map_err(err)?;
        Ok(Verdict { inner })
    }

    /// Verifies an MSCHAPv2 NT-Response (`NtProof`) against the user's
    /// pending pattern challenge (SPEC §17): the rules and outcomes of
    /// `verify_pending`. The peer hashes what was typed, so nothing is
    /// folded. On `accepted` the `NtVerdict` carries the PasswordHashHash.
    #[pyo3(signature = (user, credential, state, proof, now = None))]
    fn verify_pending_nt(
        &self,
        user: &str,
        credential: &PatternCredential,
        mut state: PyRefMut<'_, UserState>,
        proof: &NtProof,
        now: Option<i64>,
    ) -> PyResult<NtVerdict> {
        let now = now_or_clock(now)?;
        let inner = self
            .inner
            .verify_pending_nt(user, &credential.inner, &mut state.inner, &proof.inner, now)
            .map_err(err)?;
        Ok(NtVerdict { inner })
    }

    /// Issues (or re-issues) a grid-card challenge.
    #[pyo3(signature = (user, card, state, now = None))]
    fn issue_card_challenge(
        &self,
        user: &str,
        card: &GridCard,
        mut state: PyRefMut<'_, UserState>,
        now: Option<i64>,
    ) -> PyResult<CardChallenge> {
        let now = now_or_clock(now)?;
        let inner = self.inner.issue_card_challenge(user, &card.inner, &mut state.inner, now).map_err(err)?;
        Ok(CardChallenge { inner })
    }

    /// Verifies the answer to a card challenge; updates `state` in place.
    #[pyo3(signature = (user, card, state, token, answer, now = None))]
    fn verify_card(
        &self,
        user: &str,
        card: &GridCard,
        mut state: PyRefMut<'_, UserState>,
        token: &str,
        answer: &str,
        now: Option<i64>,
    ) -> PyResult<Verdict> {
        let now = now_or_clock(now)?;
        let inner =
            self.inner.verify_card(user, &card.inner, &mut state.inner, token, answer, now).map_err(err)?;
        Ok(Verdict { inner })
    }

    /// Verifies the answer to the user's pending card challenge, without a token.
    #[pyo3(signature = (user, card, state, answer, now = None))]
    fn verify_card_pending(
        &self,
        user: &str,
        card: &GridCard,
        mut state: PyRefMut<'_, UserState>,
        answer: &str,
        now: Option<i64>,
    ) -> PyResult<Verdict> {
        let now = now_or_clock(now)?;
        let inner =
            self.inner.verify_card_pending(user, &card.inner, &mut state.inner, answer, now).map_err(err)?;
        Ok(Verdict { inner })
    }

    /// `verify_pending_nt` against the user's pending card challenge: the
    /// answer is the asked cells' values exactly as printed (letters upper-case).
    #[pyo3(signature = (user, card, state, proof, now = None))]
    fn verify_card_pending_nt(
        &self,
        user: &str,
        card: &GridCard,
        mut state: PyRefMut<'_, UserState>,
        proof: &NtProof,
        now: Option<i64>,
    ) -> PyResult<NtVerdict> {
        let now = now_or_clock(now)?;
        let inner = self
            .inner
            .verify_card_pending_nt(user, &card.inner, &mut state.inner, &proof.inner, now)
            .map_err(err)?;
        Ok(NtVerdict { inner })
    }

    /// An administrator's unlock; returns the audit event as a dict.
    #[pyo3(signature = (user, state, now = None))]
    fn unlock<'py>(
        &self,
        py: Python<'py>,
        user: &str,
        mut state: PyRefMut<'_, UserState>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let now = now_or_clock(now)?;
        let event = self.inner.unlock(user, &mut state.inner, now).map_err(err)?;
        event_dict(py, &event)
    }

    /// A single-use login ticket for the appliance (after `accepted`).
    #[pyo3(signature = (user, audience, now = None))]
    fn issue_ticket(&self, user: &str, audience: &str, now: Option<i64>) -> PyResult<String> {
        let now = now_or_clock(now)?;
        self.inner.issue_ticket(user, audience, now).map_err(err)
    }
}
