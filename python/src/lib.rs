//! Python bindings of `matrixauth` (`matrixauth._native`).
//!
//! Thin by design: every rule lives in the core crate; this file converts
//! Python values to core types and core errors to the exception classes of
//! `matrixauth` (all deriving from `matrixauth.Error`, with a stable `code`).
//! Every `now` is optional Unix seconds and defaults to the clock.
//! `matrixauth/_native.pyi` holds the type stubs.

// pyo3's method shapes: `&self` receivers on Copy enums and explicit `'py` lifetimes are what
// its macros expect.
#![allow(clippy::elidable_lifetime_names, clippy::trivially_copy_pass_by_ref, clippy::unused_self)]

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

create_exception!(
    matrixauth,
    Error,
    PyException,
    "Base class of every matrixauth error; `code` names the kind."
);
create_exception!(
    matrixauth,
    FormatError,
    Error,
    "Malformed input: cell names, strings, bytes, lengths, times."
);
create_exception!(matrixauth, PolicyError, Error, "A credential or a policy breaks the policy's rules.");
create_exception!(matrixauth, WeakPatternError, PolicyError, "The pattern is weak; `weakness` says how.");
create_exception!(
    matrixauth,
    LockedError,
    Error,
    "The user is locked; `locked_until` is Unix seconds or None (permanent)."
);
create_exception!(
    matrixauth,
    SealError,
    Error,
    "A sealed record cannot be opened: wrong key, wrong user or tampered."
);
create_exception!(matrixauth, TicketError, Error, "A login ticket was refused; `reason` says why.");
create_exception!(
    matrixauth,
    CardExhaustedError,
    Error,
    "The grid card has too few unused cells left: issue a new card."
);
create_exception!(matrixauth, CardExpiredError, Error, "The grid card has expired.");

/// A core error as the matching Python exception, with its public details
/// as attributes. Messages never carry secrets.
#[allow(clippy::needless_pass_by_value)] // by value so that `.map_err(err)` reads naturally
fn err(e: mx::Error) -> PyErr {
    let msg = e.to_string();
    let pe = match &e {
        mx::Error::Locked { .. } => LockedError::new_err(msg),
        mx::Error::WeakPattern(_) => WeakPatternError::new_err(msg),
        mx::Error::Policy(_) | mx::Error::InvalidPolicy(_) => PolicyError::new_err(msg),
        mx::Error::Seal => SealError::new_err(msg),
        mx::Error::Ticket(_) => TicketError::new_err(msg),
        mx::Error::CardExhausted => CardExhaustedError::new_err(msg),
        mx::Error::CardExpired => CardExpiredError::new_err(msg),
        mx::Error::DuplicateKeyId
        | mx::Error::UnknownKeyId
        | mx::Error::OtherChallengePending { .. }
        | mx::Error::TooManyCards
        | mx::Error::Random => Error::new_err(msg),
        _ => FormatError::new_err(msg),
    };
    Python::attach(|py| {
        let v = pe.value(py);
        let _ = v.setattr("code", e.code());
        match e {
            mx::Error::Locked { locked_until } => {
                let _ = v.setattr("locked_until", locked_until);
            }
            mx::Error::WeakPattern(w) => {
                let _ = v.setattr("weakness", w.as_str());
            }
            mx::Error::Ticket(t) => {
                let _ = v.setattr("reason", t.as_str());
            }
            mx::Error::OtherChallengePending { expires_at } => {
                let _ = v.setattr("expires_at", expires_at);
            }
            mx::Error::Policy(p) => {
                let _ = v.setattr("violation", p.as_str());
                let _ = v.setattr("limit", p.limit());
            }
            _ => {}
        }
    });
    pe
}

fn format_err(msg: &str) -> PyErr {
    let e = FormatError::new_err(msg.to_owned());
    Python::attach(|py| {
        let _ = e.value(py).setattr("code", "format");
    });
    e
}

/// `now` or the clock; negative times are refused.
fn now_or_clock(now: Option<i64>) -> PyResult<u64> {
    match now {
        None => {
            Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
        }
        Some(t) => u64::try_from(t).map_err(|_| format_err("now must be non-negative Unix seconds")),
    }
}

fn event_dict<'py>(py: Python<'py>, event: &mx::Event) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (event.to_json(),))
}

/// Server keys: the signing key and older keys that still verify.
#[pyclass(module = "matrixauth")]
#[derive(Clone)]
pub struct Keyring {
    inner: mx::Keyring,
}

#[pymethods]
impl Keyring {
    #[new]
    #[pyo3(signature = (key, key_id = 1))]
    fn new(key: &[u8], key_id: u32) -> PyResult<Self> {
        Ok(Keyring { inner: mx::Keyring::new(key, key_id).map_err(err)? })
    }

    /// 32 fresh random bytes from the OS.
    #[staticmethod]
    fn generate_key<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let key = mx::Keyring::generate_key().map_err(err)?;
        Ok(PyBytes::new(py, key.as_ref()))
    }

    /// Adds an old key that still verifies but no longer signs.
    fn add_verification_key(&mut self, key: &[u8], key_id: u32) -> PyResult<()> {
        self.inner.add_verification_key(key, key_id).map_err(err)
    }

    /// Makes `key` the signing key; the previous one keeps verifying.
    fn rotate(&mut self, key: &[u8], key_id: u32) -> PyResult<()> {
        self.inner.rotate(key, key_id).map_err(err)
    }

    /// Removes verification key `key_id` (not the current one).
    fn remove_key(&mut self, key_id: u32) -> PyResult<()> {
        self.inner.remove_key(key_id).map_err(err)
    }

    #[getter]
    fn current_key_id(&self) -> u32 {
        self.inner.current_key_id()
    }

    #[getter]
    fn key_ids(&self) -> Vec<u32> {
        self.inner.key_ids()
    }

    fn __repr__(&self) -> String {
        format!("Keyring(key_ids={:?}, current={})", self.inner.key_ids(), self.inner.current_key_id())
    }
}

/// Enrollment and lockout policy (SPEC §5 defaults).
#[pyclass(module = "matrixauth", frozen)]
#[derive(Clone)]
pub struct Policy {
    inner: mx::Policy,
}

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (*, rows = 8, cols = 8, block_rows = 4, block_cols = 4, require_every_block = false,
        min_pattern_len = 6, max_pattern_len = 16, allow_repeated_cells = false, reject_weak_patterns = true,
        challenge_ttl = 180, max_consecutive_failures = 5, lockout_seconds = 900, max_lockout_seconds = 86400,
        max_total_failures = 100, card_challenge_cells = 3, card_single_use = true, ticket_ttl = 30,
        retry_window = 30))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn new(
        rows: usize,
        cols: usize,
        block_rows: usize,
        block_cols: usize,
        require_every_block: bool,
        min_pattern_len: usize,
        max_pattern_len: usize,
        allow_repeated_cells: bool,
        reject_weak_patterns: bool,
        challenge_ttl: u64,
        max_consecutive_failures: u32,
        lockout_seconds: u64,
        max_lockout_seconds: u64,
        max_total_failures: u32,
        card_challenge_cells: usize,
        card_single_use: bool,
        ticket_ttl: u64,
        retry_window: u64,
    ) -> PyResult<Self> {
        let inner = mx::Policy {
            rows,
            cols,
            block_rows,
            block_cols,
            require_every_block,
            min_pattern_len,
            max_pattern_len,
            allow_repeated_cells,
            reject_weak_patterns,
            challenge_ttl,
            retry_window,
            max_consecutive_failures,
            lockout_seconds,
            max_lockout_seconds,
            max_total_failures,
            card_challenge_cells,
            card_single_use,
            ticket_ttl,
        };
        inner.validate().map_err(err)?;
        Ok(Policy { inner })
    }

    /// The enrollment rules applied to `credential`, without any key.
    fn check_credential(&self, credential: &PatternCredential) -> PyResult<()> {
        self.inner.check_credential(&credential.inner).map_err(err)
    }

    /// The policy as a dict of its fields.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.inner;
        let d = PyDict::new(py);
        d.set_item("rows", p.rows)?;
        d.set_item("cols", p.cols)?;
        d.set_item("block_rows", p.block_rows)?;
        d.set_item("block_cols", p.block_cols)?;
        d.set_item("require_every_block", p.require_every_block)?;
        d.set_item("min_pattern_len", p.min_pattern_len)?;
        d.set_item("max_pattern_len", p.max_pattern_len)?;
        d.set_item("allow_repeated_cells", p.allow_repeated_cells)?;
        d.set_item("reject_weak_patterns", p.reject_weak_patterns)?;
        d.set_item("challenge_ttl", p.challenge_ttl)?;
        d.set_item("retry_window", p.retry_window)?;
        d.set_item("max_consecutive_failures", p.max_consecutive_failures)?;
        d.set_item("lockout_seconds", p.lockout_seconds)?;
        d.set_item("max_lockout_seconds", p.max_lockout_seconds)?;
        d.set_item("max_total_failures", p.max_total_failures)?;
        d.set_item("card_challenge_cells", p.card_challenge_cells)?;
        d.set_item("card_single_use", p.card_single_use)?;
        d.set_item("ticket_ttl", p.ticket_ttl)?;
        Ok(d)
    }

    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows
    }
    #[getter]
    fn cols(&self) -> usize {
        self.inner.cols
    }
    #[getter]
    fn min_pattern_len(&self) -> usize {
        self.inner.min_pattern_len
    }
    #[getter]
    fn max_pattern_len(&self) -> usize {
        self.inner.max_pattern_len
    }
    #[getter]
    fn allow_repeated_cells(&self) -> bool {
        self.inner.allow_repeated_cells
    }
    #[getter]
    fn challenge_ttl(&self) -> u64 {
        self.inner.challenge_ttl
    }
    /// Seconds after an answer during which the same answer is `duplicate`
    /// and another one a counted `rejected` (then `stale`).
    #[getter]
    fn retry_window(&self) -> u64 {
        self.inner.retry_window
    }
    #[getter]
    fn max_consecutive_failures(&self) -> u32 {
        self.inner.max_consecutive_failures
    }
    #[getter]
    fn lockout_seconds(&self) -> u64 {
        self.inner.lockout_seconds
    }
    #[getter]
    fn max_total_failures(&self) -> u32 {
        self.inner.max_total_failures
    }
    #[getter]
    fn ticket_ttl(&self) -> u64 {
        self.inner.ticket_ttl
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// A memorised pattern plus fixed string. Secret: never in `repr`, wiped
/// when collected.
#[pyclass(module = "matrixauth", frozen)]
pub struct PatternCredential {
    inner: mx::PatternCredential,
}

/// A matrix from a `Challenge`, its rows of digits, or its text.
fn matrix_from(obj: &Bound<'_, PyAny>) -> PyResult<mx::Matrix> {
    if let Ok(ch) = obj.extract::<PyRef<'_, Challenge>>() {
        return Ok(ch.inner.matrix.clone());
    }
    if let Ok(text) = obj.extract::<String>() {
        return mx::Matrix::parse_text(&text).map_err(err);
    }
    let rows: Vec<Vec<u8>> = obj.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(
            "expected a Challenge, a list of rows of digits, or the matrix text",
        )
    })?;
    let cols = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != cols) {
        return Err(format_err("matrix rows differ in length"));
    }
    let geometry = mx::Geometry::new(rows.len(), cols).map_err(err)?;
    let digits: Vec<u8> = rows.concat();
    mx::Matrix::from_digits(geometry, &digits).map_err(err)
}

#[pymethods]
impl PatternCredential {
    #[new]
    #[pyo3(signature = (cells, fixed = "", fixed_at = 0, cols = 8))]
    fn new(cells: &Bound<'_, PyAny>, fixed: &str, fixed_at: usize, cols: usize) -> PyResult<Self> {
        if cells.is_instance_of::<pyo3::types::PyString>() {
            return Err(pyo3::exceptions::PyTypeError::new_err("cells must be a list of names or indices"));
        }
        let inner = if let Ok(indices) = cells.extract::<Vec<usize>>() {
            mx::PatternCredential::from_indices(&indices, cols, fixed, fixed_at)
        } else {
            let names: Vec<String> = cells.extract().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err("cells must be a list of cell names or of indices")
            })?;
            mx::PatternCredential::from_names(&names, fixed, fixed_at)
        }
        .map_err(err)?;
        Ok(PatternCredential { inner })
    }

    /// Cells in the pattern.
    #[getter]
    fn pattern_length(&self) -> usize {
        self.inner.pattern_len()
    }

    /// The right answer to a challenge, its `matrix`, or its `render_text()`.
    fn respond(&self, challenge: &Bound<'_, PyAny>) -> PyResult<String> {
        let matrix = matrix_from(challenge)?;
        Ok(self.inner.respond_matrix(&matrix).map_err(err)?.to_string())
    }

    /// Encrypts the credential for storage, bound to `user`.
    fn seal<'py>(&self, py: Python<'py>, keyring: &Keyring, user: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.seal(&keyring.inner, user).map_err(err)?))
    }

    /// Opens a sealed credential (`SealError` on any mismatch).
    #[staticmethod]
    fn open(keyring: &Keyring, user: &str, sealed: &[u8]) -> PyResult<Self> {
        Ok(PatternCredential {
            inner: mx::PatternCredential::open(&keyring.inner, user, sealed).map_err(err)?,
        })
    }

    /// The same text for every credential: no length, no cell, no character.
    fn __repr__(&self) -> String {
        "PatternCredential(<redacted>)".to_owned()
    }
}

/// One user's login progress. Methods of `Authenticator` update it in
/// place; persist `to_bytes()` after each call that bumps `version`.
#[pyclass(module = "matrixauth")]
#[derive(Default)]
pub struct UserState {
    inner: mx::UserState,
}

#[pymethods]
impl UserState {
    #[new]
    fn new() -> Self {
        UserState::default()
    }

    /// Reads `to_bytes(keyring, user)` output for the same user, under a key
    /// still in `keyring`. Truncated, altered, another user's, or written
    /// without the key: `FormatError`.
    #[staticmethod]
    fn from_bytes(keyring: &Keyring, user: &str, data: &[u8]) -> PyResult<Self> {
        Ok(UserState { inner: mx::UserState::from_bytes(&keyring.inner, user, data).map_err(err)? })
    }

    /// The state's bytes, authenticated for `user` under the keyring's signing key.
    fn to_bytes<'py>(&self, py: Python<'py>, keyring: &Keyring, user: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.to_bytes(&keyring.inner, user).map_err(err)?))
    }

    #[getter]
    fn version(&self) -> u64 {
        self.inner.version()
    }
    #[getter]
    fn consecutive_failures(&self) -> u32 {
        self.inner.consecutive_failures()
    }
    #[getter]
    fn failures_since_success(&self) -> u32 {
        self.inner.failures_since_success()
    }
    #[getter]
    fn lock_level(&self) -> u32 {
        self.inner.lock_level()
    }
    /// End of the latest temporary lock (Unix seconds), or None if never locked.
    #[getter]
    fn locked_until(&self) -> Option<u64> {
        Some(self.inner.locked_until()).filter(|&t| t > 0)
    }
    #[getter]
    fn permanently_locked(&self) -> bool {
        self.inner.permanently_locked()
    }
    #[getter]
    fn pending_expires_at(&self) -> Option<u64> {
        self.inner.pending_expires_at()
    }

    /// Whether the user is locked at `now`.
    #[pyo3(signature = (now = None))]
    fn is_locked(&self, now: Option<i64>) -> PyResult<bool> {
        Ok(self.inner.lock_at(now_or_clock(now)?).is_some())
    }

    fn card_cells_used(&self, serial: &str) -> usize {
        self.inner.card_cells_used(serial)
    }

    fn forget_card(&mut self, serial: &str) -> bool {
        self.inner.forget_card(serial)
    }

    fn __repr__(&self) -> String {
        format!(
            "UserState(version={}, consecutive_failures={}, failures_since_success={}, locked_until={}, permanently_locked={})",
            self.inner.version(),
            self.inner.consecutive_failures(),
            self.inner.failures_since_success(),
            self.inner.locked_until(),
            if self.inner.permanently_locked() { "True" } else { "False" }
        )
    }
}

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
    inner: mx::Challenge,
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
    inner: mx::CardChallenge,
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
    inner: mx::Verdict,
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

/// The honest strength report of a pattern length under a policy.
#[pyclass(module = "matrixauth", frozen)]
pub struct Strength {
    inner: mx::Strength,
}

#[pymethods]
impl Strength {
    #[getter]
    fn grid_cells(&self) -> usize {
        self.inner.grid_cells
    }
    #[getter]
    fn pattern_length(&self) -> usize {
        self.inner.pattern_len
    }
    #[getter]
    fn pattern_space(&self) -> f64 {
        self.inner.pattern_space
    }
    #[getter]
    fn pattern_space_bits(&self) -> f64 {
        self.inner.pattern_space_bits
    }
    #[getter]
    fn guess_probability(&self) -> f64 {
        self.inner.guess_probability
    }
    #[getter]
    fn online_success_before_permanent_lock(&self) -> f64 {
        self.inner.online_success_before_permanent_lock
    }
    #[getter]
    fn candidates_after(&self) -> (f64, f64, f64) {
        let [a, b, c] = self.inner.candidates_after;
        (a, b, c)
    }
    #[getter]
    fn observations_to_unique(&self) -> u32 {
        self.inner.observations_to_unique
    }
    fn __repr__(&self) -> String {
        format!(
            "Strength(pattern_length={}, pattern_space={:.4e}, guess_probability={:e}, observations_to_unique={})",
            self.inner.pattern_len,
            self.inner.pattern_space,
            self.inner.guess_probability,
            self.inner.observations_to_unique
        )
    }
}

/// A printed grid card. The values are secret.
#[pyclass(module = "matrixauth", frozen)]
pub struct GridCard {
    inner: mx::GridCard,
}

#[pymethods]
impl GridCard {
    /// A new random card.
    #[staticmethod]
    #[pyo3(signature = (serial = None, rows = 8, cols = 8, cell_len = 2, alphabet = "digits", expires_at = None))]
    fn generate(
        serial: Option<String>,
        rows: usize,
        cols: usize,
        cell_len: usize,
        alphabet: &str,
        expires_at: Option<u64>,
    ) -> PyResult<Self> {
        let spec = mx::CardSpec {
            serial,
            rows,
            cols,
            cell_len,
            alphabet: mx::Alphabet::from_name(alphabet).map_err(err)?,
            expires_at,
        };
        Ok(GridCard { inner: mx::GridCard::generate(&spec).map_err(err)? })
    }

    /// A card from known values, every cell's symbols in row-major order.
    #[staticmethod]
    #[pyo3(signature = (serial, values, rows = 8, cols = 8, cell_len = 2, alphabet = "digits", expires_at = None))]
    fn from_values(
        serial: &str,
        values: &str,
        rows: usize,
        cols: usize,
        cell_len: usize,
        alphabet: &str,
        expires_at: Option<u64>,
    ) -> PyResult<Self> {
        let alphabet = mx::Alphabet::from_name(alphabet).map_err(err)?;
        let inner = mx::GridCard::from_values(serial, rows, cols, cell_len, alphabet, expires_at, values)
            .map_err(err)?;
        Ok(GridCard { inner })
    }

    #[getter]
    fn serial(&self) -> &str {
        self.inner.serial()
    }
    #[getter]
    fn rows(&self) -> usize {
        self.inner.geometry().rows()
    }
    #[getter]
    fn cols(&self) -> usize {
        self.inner.geometry().cols()
    }
    #[getter]
    fn cell_len(&self) -> usize {
        self.inner.cell_len()
    }
    #[getter]
    fn alphabet(&self) -> &'static str {
        self.inner.alphabet().as_str()
    }
    #[getter]
    fn expires_at(&self) -> Option<u64> {
        self.inner.expires_at()
    }

    /// The value printed in cell `name`.
    fn value(&self, name: &str) -> PyResult<String> {
        Ok(self.inner.value_of(name).map_err(err)?.to_string())
    }

    /// The right answer to a card challenge.
    fn respond(&self, challenge: &CardChallenge) -> PyResult<String> {
        Ok(self.inner.respond(&challenge.inner).map_err(err)?.to_string())
    }

    fn render_text(&self) -> String {
        self.inner.render_text().to_string()
    }

    fn render_svg(&self) -> String {
        self.inner.render_svg().to_string()
    }

    fn seal<'py>(&self, py: Python<'py>, keyring: &Keyring, user: &str) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.seal(&keyring.inner, user).map_err(err)?))
    }

    #[staticmethod]
    fn open(keyring: &Keyring, user: &str, sealed: &[u8]) -> PyResult<Self> {
        Ok(GridCard { inner: mx::GridCard::open(&keyring.inner, user, sealed).map_err(err)? })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// The authentication server's engine: keys and policy, no per-user data.
#[pyclass(module = "matrixauth", frozen)]
pub struct Authenticator {
    inner: mx::Authenticator,
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

/// The appliance side of the hand-off: redeems each ticket once.
#[pyclass(module = "matrixauth", frozen)]
pub struct TicketVerifier {
    inner: mx::TicketVerifier,
}

#[pymethods]
impl TicketVerifier {
    #[new]
    #[pyo3(signature = (keyring, capacity = 10000))]
    fn new(keyring: &Keyring, capacity: usize) -> Self {
        TicketVerifier { inner: mx::TicketVerifier::new(keyring.inner.clone(), capacity) }
    }

    /// The user id, once; `TicketError` (with `reason`) otherwise.
    #[pyo3(signature = (ticket, audience, now = None))]
    fn redeem(&self, ticket: &str, audience: &str, now: Option<i64>) -> PyResult<String> {
        let now = now_or_clock(now)?;
        self.inner.redeem(ticket, audience, now).map_err(err)
    }

    /// Tickets remembered in the replay cache.
    #[getter]
    fn cached(&self) -> usize {
        self.inner.cached()
    }
}

/// Folds typed input as the verifier does (full-width to ASCII, spaces and hyphens dropped).
#[pyfunction]
fn fold(text: &str) -> String {
    mx::fold(text).to_string()
}

/// A watcher's expected candidate patterns after `observed` logins.
#[pyfunction]
#[pyo3(signature = (cells = 64, length = 6, observed = 1))]
fn expected_candidates(cells: usize, length: usize, observed: u32) -> f64 {
    mx::expected_candidates(cells, length, observed)
}

/// Observed logins after which fewer than half a wrong pattern remains.
#[pyfunction]
#[pyo3(signature = (cells = 64, length = 6))]
fn observations_to_unique(cells: usize, length: usize) -> u32 {
    mx::observations_to_unique(cells, length)
}

/// The strength report for a pattern of `length` cells under `policy`.
#[pyfunction]
fn strength_for_length(policy: &Policy, length: usize) -> Strength {
    Strength { inner: mx::Strength::for_length(&policy.inner, length) }
}

/// Reads a matrix printed by `Challenge.render_text()` into rows of digits.
#[pyfunction]
fn parse_matrix_text(text: &str) -> PyResult<Vec<Vec<u8>>> {
    Ok(mx::Matrix::parse_text(text).map_err(err)?.rows())
}

fn parse_observations(obs: &Bound<'_, PyAny>) -> PyResult<Vec<mx::analysis::Observation>> {
    let mut out = Vec::new();
    for item in obs.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err("each observation is a (matrix, digits) tuple")
        })?;
        if pair.len() != 2 {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "each observation is a (matrix, digits) tuple",
            ));
        }
        let matrix = matrix_from(&pair.get_item(0)?)?;
        let d = pair.get_item(1)?;
        let digits: Vec<u8> = if let Ok(s) = d.extract::<String>() {
            s.chars()
                .map(|c| c.to_digit(10).map(|v| v as u8))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| format_err("observed digits must be 0-9"))?
        } else {
            d.extract()?
        };
        out.push(mx::analysis::Observation { matrix, digits });
    }
    Ok(out)
}

/// The exact number of patterns of `length` cells consistent with observed
/// `(matrix, digits)` pairs (matrix: a Challenge, rows of digits or text;
/// digits: a string or list of the pattern digits typed, fixed string removed).
#[pyfunction]
#[pyo3(signature = (observations, length, allow_repeats = false))]
fn consistent_count(observations: &Bound<'_, PyAny>, length: usize, allow_repeats: bool) -> PyResult<u128> {
    mx::analysis::consistent_count(&parse_observations(observations)?, length, allow_repeats).map_err(err)
}

/// One consistent pattern drawn uniformly (cell names), or None.
#[pyfunction]
#[pyo3(signature = (observations, length, allow_repeats = false))]
fn sample_consistent(
    observations: &Bound<'_, PyAny>,
    length: usize,
    allow_repeats: bool,
) -> PyResult<Option<Vec<String>>> {
    let cells = mx::analysis::sample_consistent(&parse_observations(observations)?, length, allow_repeats)
        .map_err(err)?;
    Ok(cells.map(|c| c.iter().map(ToString::to_string).collect()))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("FormatError", py.get_type::<FormatError>())?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("WeakPatternError", py.get_type::<WeakPatternError>())?;
    m.add("LockedError", py.get_type::<LockedError>())?;
    m.add("SealError", py.get_type::<SealError>())?;
    m.add("TicketError", py.get_type::<TicketError>())?;
    m.add("CardExhaustedError", py.get_type::<CardExhaustedError>())?;
    m.add("CardExpiredError", py.get_type::<CardExpiredError>())?;
    m.add_class::<Keyring>()?;
    m.add_class::<Policy>()?;
    m.add_class::<PatternCredential>()?;
    m.add_class::<UserState>()?;
    m.add_class::<Outcome>()?;
    m.add_class::<Challenge>()?;
    m.add_class::<CardChallenge>()?;
    m.add_class::<Verdict>()?;
    m.add_class::<Strength>()?;
    m.add_class::<GridCard>()?;
    m.add_class::<Authenticator>()?;
    m.add_class::<TicketVerifier>()?;
    m.add_function(wrap_pyfunction!(fold, m)?)?;
    m.add_function(wrap_pyfunction!(expected_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(observations_to_unique, m)?)?;
    m.add_function(wrap_pyfunction!(strength_for_length, m)?)?;
    m.add_function(wrap_pyfunction!(parse_matrix_text, m)?)?;
    m.add_function(wrap_pyfunction!(consistent_count, m)?)?;
    m.add_function(wrap_pyfunction!(sample_consistent, m)?)?;
    Ok(())
}
