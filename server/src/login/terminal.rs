//! Registered terminals (SPEC §16): device-bound WebAuthn credentials
//! (webauthn-rs, its safe defaults: user verification required) beside the
//! matrix, and the network identification RADIUS can offer instead.
//!
//! The gate lives here, in the login service, so every door inherits it:
//!
//! - [`Login::challenge`] is [`Login::challenge_with_terminal`] with no
//!   proof. For a user who requires terminals the portal gets no grid
//!   without an assertion from one of the user's registered, unrevoked
//!   terminals, and a challenge issued after the gate carries a tag under
//!   the site key ([`tag`]); an answer to a challenge without the tag is
//!   examined as the empty answer (a counted wrong answer).
//! - RADIUS cannot carry WebAuthn: the door names the request's
//!   `Calling-Station-Id` ([`with_calling_station`]) and the gate checks it
//!   against the user's registered terminal addresses, or refuses RADIUS to
//!   such users when the site says so. A refused request gets the grid and
//!   the reply of a wrong answer, like any other.
//! - Unknown ids, and users without a terminal, get decoy options of the
//!   same shape, stable per id; a failed assertion counts toward the same
//!   lockout as a wrong answer (the core's `count_failure`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;
use webauthn_rs::prelude::{
    COSEAlgorithm, COSEEC2Key, COSEKey, COSEKeyType, Credential, ECDSACurve, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use super::{Call, Decision, EnrollError, Lock, Login, Prompt, Via, invite};
use crate::store::{TerminalBook, TerminalRow, TerminalWrite};

/// How long a WebAuthn ceremony (options to response) may take.
pub const CEREMONY_SECONDS: u64 = 300;

/// Ceremonies waiting for their response, at most (the oldest go first).
const MAX_PENDING: usize = 10_000;

/// How long a grant to register a terminal at enrolment lasts.
pub const ENROLMENT_GRANT_SECONDS: u64 = 900;

/// The longest terminal name (characters).
pub const MAX_NAME: usize = 64;

/// What RADIUS does for users who require terminals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RadiusPolicy {
    /// `Calling-Station-Id` must match one of the user's terminal addresses.
    #[default]
    CallingStation,
    /// RADIUS logins of such users are refused (the portal only).
    Refuse,
}

/// The site's terminal settings (`[terminals]`).
#[derive(Clone, Debug)]
pub struct TerminalConfig {
    /// Whether users without a policy of their own require terminals.
    pub required: bool,
    /// The WebAuthn relying party id (the portal's host name).
    pub rp_id: String,
    /// The relying party's name shown by authenticators.
    pub rp_name: String,
    /// The origins assertions may come from (`https://vpn.example.lg.jp`).
    pub origins: Vec<String>,
    /// Refuse credentials that may be synced or backed up (backup-eligible).
    pub device_bound: bool,
    /// RADIUS for users who require terminals.
    pub radius: RadiusPolicy,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            required: false,
            rp_id: "localhost".to_owned(),
            rp_name: "matrixauth".to_owned(),
            origins: vec!["http://localhost".to_owned()],
            device_bound: true,
            radius: RadiusPolicy::CallingStation,
        }
    }
}

/// A terminal proof a door hands to [`Login::challenge_with_terminal`].
#[derive(Clone, Copy, Debug)]
pub enum Terminal<'a> {
    /// None (RADIUS requests are checked by their `Calling-Station-Id`).
    None,
    /// A WebAuthn assertion to the options of `state`.
    Assertion {
        /// The state [`Login::terminal_options`] returned.
        state: &'a str,
        /// The browser's `PublicKeyCredential`, as JSON.
        credential: &'a str,
    },
}

/// What the portal does before asking for a grid.
#[derive(Clone, Debug)]
pub enum TerminalOptions {
    /// No terminal needed: ask for the grid.
    NotRequired,
    /// Ask the browser for an assertion with these options, then come back
    /// with it and `state`.
    Assertion {
        /// The ceremony's handle.
        state: String,
        /// `PublicKeyCredentialRequestOptions` (webauthn-rs's JSON).
        options: Value,
    },
}

/// What allows a terminal registration.
#[derive(Clone, Copy, Debug)]
pub enum Grant<'a> {
    /// The grant [`Login::enrolment_grant`] gave at enrolment (first terminal).
    Enrolment(&'a str),
    /// A terminal invitation's token.
    Invitation(&'a str),
}

/// A registration refused.
#[derive(Debug)]
pub enum RegisterError {
    /// The grant or invitation is unknown, used, expired or replaced.
    Grant,
    /// The ceremony is unknown or expired.
    Ceremony,
    /// The credential is refused (why, for the user).
    Credential(&'static str),
    /// The credential may be synced or backed up, and the site wants
    /// device-bound terminals.
    Synced,
    /// The store failed.
    Store(EnrollError),
}

enum Ceremony {
    Auth(Box<PasskeyAuthentication>),
    Decoy,
    Register { reg: Box<PasskeyRegistration>, invitation: Option<[u8; 32]> },
}

struct Pending {
    user: String,
    expires_at: u64,
    ceremony: Ceremony,
}

/// The service's terminal part: settings, the relying party, ceremonies in
/// flight, and the share of users who require terminals (for decoys).
#[derive(Default)]
pub(crate) struct Terminals {
    config: OnceLock<TerminalConfig>,
    rp: OnceLock<Webauthn>,
    fallback: OnceLock<Option<(TerminalConfig, Webauthn)>>,
    pending: Mutex<HashMap<String, Pending>>,
    share: Mutex<Option<(u64, u16)>>,
}

fn relying_party(config: &TerminalConfig) -> Result<Webauthn, String> {
    let first = config.origins.first().ok_or("terminals.origins: at least one origin")?;
    let url = |o: &str| Url::parse(o).map_err(|e| format!("terminals origin {o:?}: {e}"));
    let first = url(first)?;
    let mut builder = WebauthnBuilder::new(&config.rp_id, &first)
        .map_err(|e| format!("terminals.rp_id {:?}: {e}", config.rp_id))?
        .rp_name(&config.rp_name);
    for o in config.origins.iter().skip(1) {
        builder = builder.append_allowed_origin(&url(o)?);
    }
    builder.build().map_err(|e| format!("terminals: {e}"))
}

thread_local! {
    /// The `Calling-Station-Id` of the RADIUS request this thread serves.
    static CALLING_STATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` (a RADIUS door's handling of one request) with the request's
/// `Calling-Station-Id`, which the terminal gate checks for every call on
/// [`Via::Radius`] made inside it. Outside, RADIUS calls have no address.
pub fn with_calling_station<T>(calling_station: Option<&[u8]>, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CALLING_STATION.with(|c| *c.borrow_mut() = None);
        }
    }
    let value = calling_station.map(|v| String::from_utf8_lossy(v).into_owned());
    CALLING_STATION.with(|c| *c.borrow_mut() = value);
    let _reset = Reset;
    f()
}

/// An address as compared: trimmed, lower case; a MAC address in any of its
/// usual spellings (`00-11-22-AA-BB-CC`, `0011.22aa.bbcc`) as 12 hex digits.
pub fn normalise_address(address: &str) -> String {
    let lower = address.trim().to_ascii_lowercase();
    let hex: String = lower.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
    if hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) { hex } else { lower }
}

/// Whether `name` can name a terminal: 1 to [`MAX_NAME`] characters, no
/// control characters.
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_NAME).contains(&n) && !name.chars().any(char::is_control)
}

fn random_id() -> Option<String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).ok()?;
    let mut out = String::with_capacity(24);
    super::handle::base64url(&bytes, &mut out);
    Some(out)
}

fn audit_line(mut fields: Value, time: u64, user: &str, event: &str) -> String {
    if let Some(obj) = fields.as_object_mut() {
        obj.insert("time".into(), json!(time));
        obj.insert("user".into(), json!(user));
        obj.insert("event".into(), json!(event));
    }
    fields.to_string()
}

/// A user's passkey with no transport hints (decoys have none either, so
/// real and decoy options have one shape).
fn without_transports(passkey: &Passkey) -> Passkey {
    let mut cred = Credential::from(passkey.clone());
    cred.transports = None;
    Passkey::from(cred)
}

impl Login {
    fn terminal_settings(&self) -> Option<(&TerminalConfig, &Webauthn)> {
        let fallback = self
            .terminals
            .fallback
            .get_or_init(|| {
                let config = TerminalConfig::default();
                relying_party(&config).ok().map(|rp| (config, rp))
            })
            .as_ref();
        let config = self.terminals.config.get().or(fallback.map(|(c, _)| c))?;
        let rp = self.terminals.rp.get().or(fallback.map(|(_, r)| r))?;
        Some((config, rp))
    }

    /// Sets the site's terminal settings (once, at start). The policy is
    /// kept even when the relying party cannot be built from them (an
    /// admin command knows no origin); the error says why.
    pub fn configure_terminals(&self, config: TerminalConfig) -> Result<(), String> {
        let rp = relying_party(&config);
        self.terminals.config.set(config).map_err(|_| "terminals: configured twice".to_owned())?;
        let _ = self.terminals.rp.set(rp?);
        Ok(())
    }

    /// The site's terminal settings.
    pub fn terminal_config(&self) -> TerminalConfig {
        self.terminal_settings().map(|(c, _)| c.clone()).unwrap_or_default()
    }

    /// The MAC of a terminal row over what decides a login with it: user,
    /// credential, revocation and addresses.
    fn terminal_mac(&self, row: &TerminalRow) -> Vec<u8> {
        let revoked = row.revoked_at.map_or([0xff; 8], u64::to_be_bytes);
        self.site
            .mac(
                "matrixauth terminal",
                &[
                    row.user.as_bytes(),
                    &row.credential_id,
                    row.credential.as_deref().unwrap_or("").as_bytes(),
                    &revoked,
                    crate::store::terminal::join_addresses(&row.addresses).as_bytes(),
                ],
            )
            .to_vec()
    }

    fn terminal_checks(&self, row: &TerminalRow) -> bool {
        let ok = bool::from(self.terminal_mac(row).ct_eq(&row.mac));
        if !ok {
            crate::warn!(
                "matrixauth serve: terminal {} of {:?} does not match its MAC (changed in the database \
                 without the keyring?): ignored",
                row.id,
                row.user
            );
        }
        ok
    }

    /// The terminals that can log in: unrevoked, with a row that checks.
    fn live_terminals(&self, book: &TerminalBook) -> Vec<TerminalRow> {
        book.terminals.iter().filter(|t| t.revoked_at.is_none() && self.terminal_checks(t)).cloned().collect()
    }

    /// The share (0 to 10000) of users who require terminals, read again
    /// every [`super::decoy::SHARE_REFRESH_SECONDS`].
    fn required_share(&self, site_required: bool) -> u16 {
        let now = self.now();
        let cached = *self.terminals.share.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, share)) = cached
            && now.saturating_sub(at) < super::decoy::SHARE_REFRESH_SECONDS
        {
            return share;
        }
        let share = self.store.users().ok().map_or(cached.map_or(0, |(_, s)| s), |users| {
            let required = users
                .iter()
                .filter(|u| {
                    self.store
                        .terminal_book(&u.user)
                        .map_or(site_required, |b| b.policy.unwrap_or(site_required))
                })
                .count();
            if users.is_empty() { 0 } else { (required * 10_000 / users.len()) as u16 }
        });
        *self.terminals.share.lock().unwrap_or_else(PoisonError::into_inner) = Some((now, share));
        share
    }

    /// Whether `user` requires terminals, with their book (empty for an
    /// unknown id, whose answer is a keyed function of the id drawn in the
    /// site's share of users who do). The same reads for every id.
    fn terminal_gate(&self, user: &str) -> Result<(bool, bool, TerminalBook), crate::store::StoreError> {
        let site_required = self.terminal_settings().is_some_and(|(c, _)| c.required);
        let book = self.store.terminal_book(user)?;
        let known = book.enrolled;
        let required = if known {
            book.policy.unwrap_or(site_required)
        } else if site_required {
            true
        } else {
            let share = self.required_share(site_required);
            let mac = self.site.mac("matrixauth terminal decoy", &[user.as_bytes()]);
            let draw = u16::from_be_bytes([mac[0], mac[1]]) % 10_000;
            draw < share
        };
        Ok((required, known, book))
    }

    /// The decoy credential of `user`: a stable keyed credential id and a
    /// public key nobody holds.
    #[allow(clippy::default_trait_access)] // types webauthn-rs does not re-export
    fn decoy_passkey(&self, user: &str) -> Passkey {
        let id = self.site.mac("matrixauth terminal decoy credential", &[user.as_bytes()]).to_vec();
        // The P-256 base point: a valid key whose private half is 1, never used to verify.
        let x = hex32("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
        let y = hex32("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
        let cred = Credential {
            cred_id: id.into(),
            cred: COSEKey {
                type_: COSEAlgorithm::ES256,
                key: COSEKeyType::EC_EC2(COSEEC2Key {
                    curve: ECDSACurve::SECP256R1,
                    x: x.into(),
                    y: y.into(),
                }),
            },
            counter: 0,
            transports: None,
            user_verified: true,
            backup_eligible: false,
            backup_state: false,
            registration_policy: Default::default(),
            extensions: Default::default(),
            attestation: Default::default(),
            attestation_format: webauthn_rs::prelude::AttestationFormat::None,
        };
        Passkey::from(cred)
    }

    fn remember(&self, user: &str, ceremony: Ceremony) -> Option<String> {
        let now = self.now();
        let id = random_id()?;
        let mut pending = self.terminals.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.retain(|_, p| p.expires_at > now);
        if pending.len() >= MAX_PENDING {
            let oldest = pending.iter().min_by_key(|(_, p)| p.expires_at).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                pending.remove(&k);
            }
        }
        pending.insert(
            id.clone(),
            Pending { user: user.to_owned(), expires_at: now + CEREMONY_SECONDS, ceremony },
        );
        Some(id)
    }

    /// Takes the ceremony of `state` (once: a response is examined once).
    fn take(&self, state: &str) -> Option<Pending> {
        let now = self.now();
        let mut pending = self.terminals.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.remove(state).filter(|p| p.expires_at > now)
    }

    /// The portal's first step for `user`: whether to ask for a terminal
    /// assertion, and its options. Users who require terminals get options
    /// naming their registered, unrevoked credentials; unknown ids and
    /// users without a terminal get decoy options of the same shape, stable
    /// per id (the same credential id each time).
    pub fn terminal_options(&self, user: &str) -> Result<TerminalOptions, Decision> {
        let (required, known, book) = self.terminal_gate(user).map_err(|e| Decision::store_failure(&e))?;
        if !required {
            return Ok(TerminalOptions::NotRequired);
        }
        let Some((_, rp)) = self.terminal_settings() else { return Err(Decision::Internal) };
        let passkeys: Vec<Passkey> = if known {
            self.live_terminals(&book)
                .iter()
                .filter_map(|t| t.credential.as_deref())
                .filter_map(|c| serde_json::from_str::<Passkey>(c).ok())
                .map(|p| without_transports(&p))
                .collect()
        } else {
            Vec::new()
        };
        let (options, ceremony) = if passkeys.is_empty() {
            // The work of a user's options: a keyed MAC (the decoy's credential id) and a
            // credential parsed.
            let decoy = self.decoy_passkey(user);
            let json = serde_json::to_string(&decoy).unwrap_or_default();
            let decoy = serde_json::from_str::<Passkey>(&json).unwrap_or(decoy);
            let (options, _) = rp
                .start_passkey_authentication(&[without_transports(&decoy)])
                .map_err(|e| Decision::internal(&e))?;
            (options, Ceremony::Decoy)
        } else {
            let (options, state) =
                rp.start_passkey_authentication(&passkeys).map_err(|e| Decision::internal(&e))?;
            (options, Ceremony::Auth(Box::new(state)))
        };
        let state = self.remember(user, ceremony).ok_or(Decision::Internal)?;
        let options = serde_json::to_value(&options).map_err(|e| Decision::internal(&e))?;
        Ok(TerminalOptions::Assertion { state, options })
    }

    /// Whether the RADIUS request this thread serves comes from one of the
    /// user's registered terminal addresses (and the site lets such users
    /// use RADIUS).
    fn network_ok(&self, book: &TerminalBook) -> bool {
        if self.terminal_settings().is_some_and(|(c, _)| c.radius == RadiusPolicy::Refuse) {
            return false;
        }
        let Some(station) = CALLING_STATION.with(|c| c.borrow().clone()) else { return false };
        let station = normalise_address(&station);
        self.live_terminals(book).iter().any(|t| t.addresses.iter().any(|a| normalise_address(a) == station))
    }

    /// A challenge for `user` after the terminal gate (SPEC §16). A user who
    /// does not require terminals gets [`Login::challenge`]'s decision as
    /// before. One who does (an unknown id may look so):
    ///
    /// - on the portal, with no assertion: refused, nothing counted, no grid;
    /// - with an assertion: checked (the ceremony of `state`, once; the
    ///   user's registered, unrevoked terminal; user verification; origin
    ///   and RP id; the signature counter; backup eligibility when the site
    ///   wants device-bound terminals). A failure counts toward the lockout
    ///   as a wrong answer does. After a success the grid's token carries
    ///   the gate's tag;
    /// - over RADIUS: the grid, tagged only when the request's
    ///   `Calling-Station-Id` is a registered address of the user.
    pub fn challenge_with_terminal(&self, user: &str, via: Via<'_>, proof: Terminal<'_>) -> Decision {
        let started = std::time::Instant::now();
        let decision = self.challenge_gated(user, via, proof);
        Self::counted(via, started, decision)
    }

    fn challenge_gated(&self, user: &str, via: Via<'_>, proof: Terminal<'_>) -> Decision {
        let (required, known, book) = match self.terminal_gate(user) {
            Ok(g) => g,
            Err(e) => return Decision::store_failure(&e),
        };
        if !required {
            return self.challenge_plain(user, via);
        }
        let now = self.now();
        let passed = match (proof, via) {
            (Terminal::Assertion { state, credential }, _) => {
                match self.check_assertion(user, known, &book, state, credential, now) {
                    Ok(()) => true,
                    Err(reason) => return self.terminal_failure(user, via, reason, now),
                }
            }
            (Terminal::None, Via::Radius(_)) => self.network_ok(&book),
            (Terminal::None, Via::Http) => {
                let line = audit_line(
                    json!({"via": "http", "reason": "no_assertion"}),
                    now,
                    user,
                    "terminal_refused",
                );
                return match self.store.append_audit(&[line]) {
                    Ok(()) => Decision::Rejected { outcome: mx::Outcome::Rejected, lock: None },
                    Err(e) => Decision::store_failure(&e),
                };
            }
        };
        match self.challenge_plain(user, via) {
            Decision::Prompt(mut prompt) if passed => {
                match &mut prompt {
                    Prompt::Grid { token, .. } | Prompt::Card { token, .. } => {
                        *token = tag(&self.site, user, token);
                    }
                }
                Decision::Prompt(prompt)
            }
            other => other,
        }
    }

    /// Examines an assertion; on success records the terminal's use.
    fn check_assertion(
        &self,
        user: &str,
        known: bool,
        book: &TerminalBook,
        state: &str,
        credential: &str,
        now: u64,
    ) -> Result<(), &'static str> {
        let pending = self.take(state).ok_or("ceremony")?;
        if !bool::from(pending.user.as_bytes().ct_eq(user.as_bytes())) {
            return Err("ceremony");
        }
        let Ceremony::Auth(auth) = pending.ceremony else { return Err("no_terminal") };
        if !known {
            return Err("no_terminal");
        }
        let (config, rp) = self.terminal_settings().ok_or("configuration")?;
        let response: PublicKeyCredential = serde_json::from_str(credential).map_err(|_| "malformed")?;
        let result = rp.finish_passkey_authentication(&response, &auth).map_err(|_| "assertion")?;
        let live = self.live_terminals(book);
        let mut row = live
            .into_iter()
            .find(|t| t.credential_id.as_slice() == result.cred_id().as_slice())
            .ok_or("unknown_credential")?;
        if !result.user_verified() {
            return Err("user_verification");
        }
        if config.device_bound && (result.backup_eligible() || result.backup_state()) {
            return Err("backup_eligible");
        }
        // WebAuthn §7.2 step 22: a counter that does not grow (when either is non-zero) may be a
        // cloned authenticator.
        let counter = result.counter();
        if (counter > 0 || row.counter > 0) && counter <= row.counter {
            return Err("counter");
        }
        row.counter = counter;
        row.last_used_at = Some(now);
        let line = audit_line(
            json!({"via": "http", "terminal": row.id, "counter": counter}),
            now,
            user,
            "terminal_used",
        );
        match self.store.write_terminal(TerminalWrite::Put(&row), &[line]) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err("unknown_credential"),
            Err(_) => Err("store"),
        }
    }

    /// A failed terminal proof: counted on the state the login runs on (the
    /// user's, a suspended user's shadow, an unknown id's decoy) as a wrong
    /// answer is, and audited with its reason.
    fn terminal_failure(&self, user: &str, via: Via<'_>, reason: &str, now: u64) -> Decision {
        let decision = self.run(user, via, Call::Answer, now, |auth, _, _, state, _| {
            match auth.count_failure(user, state, now) {
                Ok(v) => {
                    let lock = Lock::of(state.lock_at(now));
                    match v.outcome {
                        mx::Outcome::Locked => Decision::Locked(lock.unwrap_or(Lock::Permanent)),
                        outcome => Decision::Rejected { outcome, lock },
                    }
                }
                Err(e) => Decision::core_error(e),
            }
        });
        let line = audit_line(json!({"via": via.label(), "reason": reason}), now, user, "terminal_refused");
        match self.store.append_audit(&[line]) {
            Ok(()) => decision,
            Err(e) => Decision::store_failure(&e),
        }
    }

    /// The token and answer an answer is examined with after the terminal
    /// gate: for a user who requires terminals, the token must carry the
    /// gate's tag (or, over RADIUS, the request come from a registered
    /// address), else the answer examined is the empty one, which no
    /// credential accepts (a counted wrong answer that looks like one).
    pub(super) fn gate_answer<'a>(
        &self,
        user: &str,
        token: Option<&'a str>,
        answer: &'a str,
        via: Via<'_>,
    ) -> Result<(Option<&'a str>, &'a str), Decision> {
        let (required, _, book) = self.terminal_gate(user).map_err(|e| Decision::store_failure(&e))?;
        let (token, tagged) = match token {
            Some(t) => {
                let (inner, ok) = untag(&self.site, user, t);
                (Some(inner), ok)
            }
            None => (None, false),
        };
        let ok = !required
            || match via {
                Via::Radius(_) => self.network_ok(&book),
                Via::Http => tagged,
            };
        Ok((token, if ok { answer } else { "" }))
    }

    /// Whether an MSCHAPv2 answer (RADIUS only) may be examined: `false`
    /// for a user who requires terminals whose request does not come from
    /// one of their registered addresses.
    pub(super) fn gate_radius(&self, user: &str) -> Result<bool, Decision> {
        let (required, _, book) = self.terminal_gate(user).map_err(|e| Decision::store_failure(&e))?;
        Ok(!required || self.network_ok(&book))
    }

    /// A refused MSCHAPv2 answer of the gate: counted as a wrong one.
    pub(super) fn gate_refused(&self, user: &str, via: Via<'_>) -> Decision {
        self.terminal_failure(user, via, "network", self.now())
    }

    /// A grant to register the first terminal of `user`, just enrolled
    /// (`None` when they do not require terminals).
    pub fn enrolment_grant(&self, user: &str) -> Option<String> {
        let (required, _, book) = self.terminal_gate(user).ok()?;
        if !required || book.terminals.iter().any(|t| t.credential.is_some() && t.revoked_at.is_none()) {
            return None;
        }
        let expires = self.now() + ENROLMENT_GRANT_SECONDS;
        let mac = self.site.mac("matrixauth terminal grant", &[user.as_bytes(), &expires.to_be_bytes()]);
        let mut m = String::new();
        super::handle::base64url(mac.get(..16).unwrap_or_default(), &mut m);
        Some(format!("{expires}.{m}.{user}"))
    }

    fn check_grant(&self, grant: &str) -> Option<String> {
        let mut parts = grant.splitn(3, '.');
        let (expires, m, user) = (parts.next()?, parts.next()?, parts.next()?.to_owned());
        let expires: u64 = expires.parse().ok()?;
        let mac = self.site.mac("matrixauth terminal grant", &[user.as_bytes(), &expires.to_be_bytes()]);
        let mut want = String::new();
        super::handle::base64url(mac.get(..16).unwrap_or_default(), &mut want);
        (bool::from(want.as_bytes().ct_eq(m.as_bytes())) && expires > self.now()).then_some(user)
    }

    fn terminal_invitation_user(&self, token: &str) -> Result<([u8; 32], String), RegisterError> {
        let hash = invite::hash(&self.site, token);
        let inv = self
            .store
            .terminal_invitation(&hash, self.now())
            .map_err(|e| RegisterError::Store(e.into()))?
            .ok_or(RegisterError::Grant)?;
        let mac = self.site.mac(
            "matrixauth terminal invitation",
            &[&hash, inv.user.as_bytes(), &inv.expires_at.to_be_bytes()],
        );
        if bool::from(mac.as_slice().ct_eq(&inv.mac)) {
            Ok((hash, inv.user))
        } else {
            Err(RegisterError::Grant)
        }
    }

    /// Whom a terminal invitation adds a terminal for, and when it expires.
    pub fn terminal_invitation(&self, token: &str) -> Result<(String, u64), RegisterError> {
        let hash = invite::hash(&self.site, token);
        let (_, user) = self.terminal_invitation_user(token)?;
        let inv = self
            .store
            .terminal_invitation(&hash, self.now())
            .map_err(|e| RegisterError::Store(e.into()))?
            .ok_or(RegisterError::Grant)?;
        Ok((user, inv.expires_at))
    }

    /// Starts registering a terminal under `grant`: the creation options
    /// (user verification required; the user's credentials excluded) and
    /// the ceremony's handle.
    pub fn terminal_registration_start(&self, grant: Grant<'_>) -> Result<(String, Value), RegisterError> {
        let (user, invitation) = match grant {
            Grant::Enrolment(g) => (self.check_grant(g).ok_or(RegisterError::Grant)?, None),
            Grant::Invitation(t) => {
                let (hash, user) = self.terminal_invitation_user(t)?;
                (user, Some(hash))
            }
        };
        let book = self.store.terminal_book(&user).map_err(|e| RegisterError::Store(e.into()))?;
        if invitation.is_none()
            && book.terminals.iter().any(|t| t.credential.is_some() && t.revoked_at.is_none())
        {
            return Err(RegisterError::Grant);
        }
        let (_, rp) = self.terminal_settings().ok_or(RegisterError::Store(EnrollError::Internal))?;
        let handle = self.site.mac("matrixauth terminal user handle", &[user.as_bytes()]);
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(handle.get(..16).unwrap_or(&[0; 16]));
        let exclude: Vec<_> = book
            .terminals
            .iter()
            .filter(|t| t.credential.is_some())
            .map(|t| t.credential_id.clone().into())
            .collect();
        let (options, reg) = rp
            .start_passkey_registration(Uuid::from_bytes(uuid), &user, &user, Some(exclude))
            .map_err(|_| RegisterError::Store(EnrollError::Internal))?;
        let state = self
            .remember(&user, Ceremony::Register { reg: Box::new(reg), invitation })
            .ok_or(RegisterError::Store(EnrollError::Internal))?;
        let options =
            serde_json::to_value(&options).map_err(|_| RegisterError::Store(EnrollError::Internal))?;
        Ok((state, options))
    }

    /// Finishes a registration: the credential must be made with user
    /// verification for this origin and RP id, be new, and (when the site
    /// wants device-bound terminals) not backup-eligible. Stored under
    /// `name` (or "保守端末N"); a terminal invitation is used up in the
    /// same transaction. Returns the user and the terminal's number.
    pub fn terminal_registration_finish(
        &self,
        state: &str,
        credential: &str,
        name: Option<&str>,
    ) -> Result<(String, i64), RegisterError> {
        let pending = self.take(state).ok_or(RegisterError::Ceremony)?;
        let Ceremony::Register { reg, invitation } = pending.ceremony else {
            return Err(RegisterError::Ceremony);
        };
        let user = pending.user;
        let (config, rp) = self.terminal_settings().ok_or(RegisterError::Store(EnrollError::Internal))?;
        let response: RegisterPublicKeyCredential = serde_json::from_str(credential)
            .map_err(|_| RegisterError::Credential("malformed credential"))?;
        let passkey = rp
            .finish_passkey_registration(&response, &reg)
            .map_err(|_| RegisterError::Credential("the authenticator's response did not verify"))?;
        let cred = Credential::from(passkey.clone());
        if config.device_bound && (cred.backup_eligible || cred.backup_state) {
            return Err(RegisterError::Synced);
        }
        let book = self.store.terminal_book(&user).map_err(|e| RegisterError::Store(e.into()))?;
        let now = self.now();
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if valid_name(n) => n.to_owned(),
            Some(_) => return Err(RegisterError::Credential("a terminal name is 1 to 64 characters")),
            None => format!("保守端末{}", book.terminals.len() + 1),
        };
        let attestation = serde_json::to_string(&cred.attestation_format).ok();
        let mut row = TerminalRow {
            id: 0,
            user: user.clone(),
            name,
            credential: Some(
                serde_json::to_string(&passkey).map_err(|_| RegisterError::Store(EnrollError::Internal))?,
            ),
            credential_id: cred.cred_id.to_vec(),
            created_at: now,
            last_used_at: None,
            counter: cred.counter,
            revoked_at: None,
            attestation,
            addresses: Vec::new(),
            mac: Vec::new(),
        };
        row.mac = self.terminal_mac(&row);
        let via = if invitation.is_some() { "invitation" } else { "enrolment" };
        let line = audit_line(
            json!({"via": via, "name": row.name, "attestation": row.attestation}),
            now,
            &user,
            "terminal_registered",
        );
        let written = match &invitation {
            Some(hash) => {
                self.store.write_terminal(TerminalWrite::Redeem { token_hash: hash, now, row: &row }, &[line])
            }
            None => self.store.write_terminal(TerminalWrite::Put(&row), &[line]),
        };
        match written {
            Ok(Some(id)) => Ok((user, id)),
            Ok(None) => Err(RegisterError::Grant),
            // The unique credential id: a credential registered before (to anyone).
            Err(crate::store::StoreError::Sql(e)) if e.to_ascii_lowercase().contains("unique") => {
                Err(RegisterError::Credential("this credential is already registered"))
            }
            Err(e) => Err(RegisterError::Store(e.into())),
        }
    }

    /// Stores an invitation for `user` to add one terminal; its token and
    /// expiry. `Err` for an unknown user.
    pub fn invite_terminal(
        &self,
        user: &str,
        hours: u64,
        operator: &str,
    ) -> Result<(zeroize::Zeroizing<String>, u64), String> {
        if hours == 0 || hours > invite::MAX_HOURS {
            return Err(format!("--hours must be 1 to {}", invite::MAX_HOURS));
        }
        let now = self.now();
        let token = invite::new_token()?;
        let hash = invite::hash(&self.site, &token);
        let expires_at = now + hours * 3600;
        let mac = self
            .site
            .mac("matrixauth terminal invitation", &[&hash, user.as_bytes(), &expires_at.to_be_bytes()]);
        let line = audit_line(
            json!({"operator": operator, "action": "terminal_invite", "expiresAt": expires_at}),
            now,
            user,
            "admin",
        );
        let op = TerminalWrite::Invite { user, token_hash: &hash, now, expires_at, mac: &mac };
        match self.store.write_terminal(op, &[line]).map_err(|e| e.to_string())? {
            Some(_) => Ok((token, expires_at)),
            None => Err(format!("no such user: {user:?}")),
        }
    }

    /// Sets `user`'s terminal policy (`None`: the site's). `Ok(false)`: no such user.
    pub fn set_terminal_policy(
        &self,
        user: &str,
        required: Option<bool>,
        operator: &str,
    ) -> Result<bool, String> {
        let policy = match required {
            Some(true) => "required",
            Some(false) => "optional",
            None => "site",
        };
        let line = audit_line(
            json!({"operator": operator, "action": "terminal_policy", "policy": policy}),
            self.now(),
            user,
            "admin",
        );
        Ok(self
            .store
            .write_terminal(TerminalWrite::Policy { user, required }, &[line])
            .map_err(|e| e.to_string())?
            .is_some())
    }

    /// `user`'s policy (`None`: the site's) and terminals.
    pub fn terminals_of(&self, user: &str) -> Result<TerminalBook, String> {
        self.store.terminal_book(user).map_err(|e| e.to_string())
    }

    /// Changes terminal `id` of `user` with `change` (a rename, a revocation,
    /// its addresses), re-signing the row, audited as `action`.
    /// `Ok(false)`: no such terminal.
    pub fn change_terminal(
        &self,
        user: &str,
        id: i64,
        action: &str,
        operator: &str,
        change: impl FnOnce(&mut TerminalRow, u64) -> Result<(), String>,
    ) -> Result<bool, String> {
        let book = self.store.terminal_book(user).map_err(|e| e.to_string())?;
        let Some(mut row) = book.terminals.into_iter().find(|t| t.id == id) else { return Ok(false) };
        // A row that does not check can still be revoked, nothing else.
        if action != "terminal_revoke" && !self.terminal_checks(&row) {
            return Err(format!(
                "terminal {id} of {user:?} does not match its MAC: revoke it and register it again"
            ));
        }
        let now = self.now();
        change(&mut row, now)?;
        row.mac = self.terminal_mac(&row);
        let line = audit_line(
            json!({"operator": operator, "action": action, "terminal": id, "name": row.name}),
            now,
            user,
            "admin",
        );
        Ok(self.store.write_terminal(TerminalWrite::Put(&row), &[line]).map_err(|e| e.to_string())?.is_some())
    }

    /// Adds a terminal known only by its network addresses (RADIUS
    /// `Calling-Station-Id`), for an appliance that cannot carry WebAuthn.
    pub fn add_network_terminal(
        &self,
        user: &str,
        name: &str,
        addresses: &[String],
        operator: &str,
    ) -> Result<i64, String> {
        if !valid_name(name) {
            return Err("a terminal name is 1 to 64 characters without control characters".to_owned());
        }
        if addresses.is_empty()
            || addresses.iter().any(|a| a.trim().is_empty() || a.contains('\n') || a.len() > 253)
        {
            return Err("at least one address, each 1 to 253 bytes on one line".to_owned());
        }
        if self.store.enrolled_at(user).map_err(|e| e.to_string())?.is_none() {
            return Err(format!("no such user: {user:?}"));
        }
        let now = self.now();
        let mut row = TerminalRow {
            id: 0,
            user: user.to_owned(),
            name: name.to_owned(),
            credential: None,
            credential_id: Vec::new(),
            created_at: now,
            last_used_at: None,
            counter: 0,
            revoked_at: None,
            attestation: None,
            addresses: addresses.iter().map(|a| a.trim().to_owned()).collect(),
            mac: Vec::new(),
        };
        row.mac = self.terminal_mac(&row);
        let line = audit_line(
            json!({"operator": operator, "action": "terminal_network", "name": name}),
            now,
            user,
            "admin",
        );
        self.store
            .write_terminal(TerminalWrite::Put(&row), &[line])
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not stored".to_owned())
    }
}

fn hex32(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| s.get(2 * i..2 * i + 2))
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

/// A challenge token with the gate's tag: `token.nonce.tag`, the tag under
/// the site key over user, token and nonce (22 base64url characters each).
pub fn tag(key: &super::site::SiteKey, user: &str, token: &str) -> String {
    let mut nonce = [0u8; 16];
    if getrandom::fill(&mut nonce).is_err() {
        // Without randomness no tag: the answer fails closed.
        return token.to_owned();
    }
    let mut n = String::with_capacity(22);
    super::handle::base64url(&nonce, &mut n);
    format!("{token}.{n}.{}", mac_of(key, user, token, &n))
}

fn mac_of(key: &super::site::SiteKey, user: &str, token: &str, nonce: &str) -> String {
    let mac = key.mac("matrixauth terminal gate", &[user.as_bytes(), token.as_bytes(), nonce.as_bytes()]);
    let mut out = String::with_capacity(22);
    super::handle::base64url(mac.get(..16).unwrap_or_default(), &mut out);
    out
}

/// A token from [`tag`]: the token and whether its tag checks. An untagged
/// token comes back as it is, `false`.
pub fn untag<'a>(key: &super::site::SiteKey, user: &str, tagged: &'a str) -> (&'a str, bool) {
    let Some((rest, t)) = tagged.rsplit_once('.') else { return (tagged, false) };
    let Some((token, nonce)) = rest.rsplit_once('.') else { return (tagged, false) };
    if nonce.len() != 22 || t.len() != 22 {
        return (tagged, false);
    }
    (token, bool::from(mac_of(key, user, token, nonce).as_bytes().ct_eq(t.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_compare_in_any_spelling() {
        assert_eq!(normalise_address("00-11-22-AA-BB-CC"), normalise_address("00:11:22:aa:bb:cc"));
        assert_eq!(normalise_address("0011.22aa.bbcc"), "001122aabbcc");
        assert_eq!(normalise_address(" 192.0.2.7 "), "192.0.2.7");
        assert_ne!(normalise_address("192.0.2.7"), normalise_address("192.0.2.8"));
    }

    #[test]
    fn a_tag_checks_only_for_its_user_and_token() {
        let key = super::super::site::SiteKey::new(&[7; 32]);
        let t = tag(&key, "alice", "AAAA");
        assert_eq!(untag(&key, "alice", &t), ("AAAA", true));
        assert!(!untag(&key, "bob", &t).1);
        assert_eq!(untag(&key, "alice", "AAAA"), ("AAAA", false));
        let forged = format!("AAAA.{}.{}", "A".repeat(22), "A".repeat(22));
        assert_eq!(untag(&key, "alice", &forged), ("AAAA", false));
    }
}
