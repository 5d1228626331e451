//! Federation (SPEC §14, `docs/FEDERATION.md`): what the SAML identity
//! provider ([`super::saml`]) and the OpenID Connect provider
//! ([`super::oidc`]) share.
//!
//! Neither door has a login of its own. A request from a service provider
//! (or a relying party) is checked and parked here as a *pending flow*
//! under a random id; the browser is sent to the portal's own login page
//! with `?fed=ID`, which shows the grid or the card cells and posts to the
//! portal's `/api/challenge` and `/api/verify` exactly as for any login
//! (so decoys, locks, suspension, access windows and every other rule of
//! the login service apply as they are). An accepted `/api/verify` that
//! carries `fed` gets the identity provider's session cookie and a redirect
//! to `/fed/continue?fed=ID`, which completes the flow: the auto-posting
//! SAML Response, or the authorization code.
//!
//! The session (cookie `matrixauth_idp`, `__Host-matrixauth_idp` on https: HttpOnly, `SameSite=Lax`,
//! `Secure` on an https origin) ends with the login's session (the end of
//! the user's approved access window, or `session.max_seconds`). A second
//! service provider gets an assertion from it without a new grid only
//! while [`Login::session_still_allowed`] holds (same enrolment, not
//! suspended, not locked, inside the access period).

// Handlers return a ready `Response` as their error (a 400 page, a JSON error): boxing it
// would only add noise. XML and HTML are assembled with `format!`.
#![allow(clippy::result_large_err, clippy::format_push_string)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde::Deserialize;

use super::idp_key::IdpKeys;
use super::{App, oidc, pages, saml};
use crate::login::{Login, Session};

/// The IdP session cookie's name.
pub const COOKIE: &str = "matrixauth_idp";
/// Its name on an https origin: a browser takes a `__Host-` cookie only from
/// this host, over https, with `Path=/` and no `Domain`, so a sibling domain
/// cannot plant its own session in the browser (RFC 6265bis §4.1.3.2).
pub const HOST_COOKIE: &str = "__Host-matrixauth_idp";
/// How long a parked request waits for its login (seconds).
pub const PENDING_SECONDS: u64 = 900;
/// Parked requests at most (oldest expired first; then refused).
pub const MAX_PENDING: usize = 20_000;
/// IdP sessions at most.
pub const MAX_SESSIONS: usize = 200_000;
/// IdP sessions one user holds at most (the oldest ends first), so that a
/// user who scripts logins cannot fill [`MAX_SESSIONS`] for everyone.
pub const MAX_SESSIONS_PER_USER: usize = 16;
/// The largest body of the federation POSTs (SAML POST binding, token).
pub const MAX_FED_BODY: usize = 64 * 1024;

// ---------------------------------------------------------------- configuration

/// `[saml]`: the SAML 2.0 identity provider.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlConfig {
    /// The IdP's entity id (default: `<first origin>/saml/metadata`).
    pub entity_id: Option<String>,
    /// Seconds an AuthnRequest or LogoutRequest is accepted after its
    /// `IssueInstant` (default 300; 30 to 3600).
    pub max_request_age_seconds: Option<u64>,
    /// The service providers (`[[saml.sp]]`).
    #[serde(default)]
    pub sp: Vec<SpConfig>,
}

/// `[[saml.sp]]`: one service provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpConfig {
    /// Its entity id (the `Issuer` of its requests; the assertion's audience).
    pub entity_id: String,
    /// Its AssertionConsumerService URLs: the only places a Response is ever
    /// posted to (exact match; the first is the default).
    pub acs: Vec<String>,
    /// Its SingleLogoutService URL (HTTP-POST), where LogoutResponses go.
    pub slo: Option<String>,
    /// `unspecified` (the user id; default), `email` or `persistent` (a
    /// keyed pseudonym per SP).
    #[serde(default)]
    pub name_id_format: NameIdFormat,
    /// For `email`: the domain added to user ids without `@`.
    pub email_domain: Option<String>,
    /// The attribute carrying the user id (default `uid`; `""`: none).
    pub user_attribute: Option<String>,
    /// The attribute carrying the user's groups (default `groups`; `""`: none).
    pub groups_attribute: Option<String>,
    /// Its signing certificate (PEM): Redirect-binding request signatures are
    /// checked with it.
    pub certificate: Option<std::path::PathBuf>,
    /// Refuse requests without a valid signature (needs `certificate`).
    #[serde(default)]
    pub want_signed_requests: bool,
    /// Sign the Response too (the assertion is signed always).
    #[serde(default)]
    pub sign_response: bool,
    /// Allow IdP-initiated login (`/saml/idp-initiated?sp=ENTITY_ID`).
    #[serde(default)]
    pub idp_initiated: bool,
    /// The `RelayState` of an IdP-initiated login.
    pub relay_state: Option<String>,
}

/// The NameID format of an SP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameIdFormat {
    /// The user id.
    #[default]
    Unspecified,
    /// `user@email_domain` (or the user id when it holds `@`).
    Email,
    /// HMAC-SHA256 of the SP and the user under a key derived from the site key.
    Persistent,
}

impl NameIdFormat {
    /// The format's URI.
    pub fn uri(self) -> &'static str {
        match self {
            NameIdFormat::Unspecified => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            NameIdFormat::Email => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            NameIdFormat::Persistent => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        }
    }
}

/// `[oidc]`: the OpenID Connect provider.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer (default: the first origin).
    pub issuer: Option<String>,
    /// The clients (`[[oidc.client]]`).
    #[serde(default)]
    pub client: Vec<ClientConfig>,
}

/// `[[oidc.client]]`: one relying party.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Its `client_id`.
    pub client_id: String,
    /// SHA-256 of its secret (64 hex digits); absent for a public client.
    pub secret_sha256: Option<String>,
    /// A public client (no secret; PKCE alone).
    #[serde(default)]
    pub public: bool,
    /// Its redirect URIs (exact match).
    pub redirect_uris: Vec<String>,
}

/// The secret's hash is left out (a weak secret falls to it).
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field("public", &self.public)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

/// Checks an absolute http(s) URL a browser is sent to or posts to.
pub fn check_url(url: &str) -> Result<(), String> {
    super::check_appliance_url(url)
}

impl SamlConfig {
    /// Makes relative certificate paths relative to `base`.
    pub fn rebase(&mut self, base: &Path) {
        for sp in &mut self.sp {
            if let Some(p) = sp.certificate.as_mut()
                && p.is_relative()
            {
                *p = base.join(&*p);
            }
        }
    }

    /// Checks every key; the error names it.
    pub fn check(&self) -> Result<(), String> {
        if let Some(a) = self.max_request_age_seconds
            && !(30..=3600).contains(&a)
        {
            return Err(format!("saml.max_request_age_seconds = {a}: must be 30 to 3600"));
        }
        if let Some(e) = &self.entity_id
            && (e.is_empty() || e.len() > 1024 || !crate::doors::http::xmlsig::xml_safe(e))
        {
            return Err("saml.entity_id: 1 to 1024 characters, no control characters".to_owned());
        }
        let mut seen = std::collections::HashSet::new();
        for sp in &self.sp {
            let key = format!("[[saml.sp]] {:?}", sp.entity_id);
            if sp.entity_id.is_empty()
                || sp.entity_id.len() > 1024
                || !crate::doors::http::xmlsig::xml_safe(&sp.entity_id)
            {
                return Err("[[saml.sp]] entity_id: 1 to 1024 characters, no control characters".to_owned());
            }
            if !seen.insert(sp.entity_id.as_str()) {
                return Err(format!("{key}: given twice"));
            }
            if sp.acs.is_empty() {
                return Err(format!("{key}: acs needs at least one URL"));
            }
            for url in sp.acs.iter().chain(sp.slo.iter()) {
                check_url(url).map_err(|e| format!("{key}: {e}"))?;
            }
            if sp.want_signed_requests && sp.certificate.is_none() {
                return Err(format!("{key}: want_signed_requests needs certificate"));
            }
            if sp.name_id_format == NameIdFormat::Email
                && sp.email_domain.as_deref().is_some_and(|d| d.is_empty() || d.contains(['@', ' ']))
            {
                return Err(format!("{key}: email_domain must be a domain name"));
            }
            for a in sp.user_attribute.iter().chain(sp.groups_attribute.iter()) {
                if a.len() > 255 || !crate::doors::http::xmlsig::xml_safe(a) {
                    return Err(format!("{key}: attribute names: up to 255 characters"));
                }
            }
            if let Some(r) = &sp.relay_state
                && r.len() > 80
            {
                return Err(format!("{key}: relay_state: up to 80 bytes (SAML bindings §3.4.3)"));
            }
        }
        Ok(())
    }
}

impl OidcConfig {
    /// Checks every key; the error names it.
    pub fn check(&self) -> Result<(), String> {
        if let Some(i) = &self.issuer {
            check_url(i).map_err(|e| format!("oidc.issuer: {e}"))?;
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.client {
            let key = format!("[[oidc.client]] {:?}", c.client_id);
            if c.client_id.is_empty()
                || c.client_id.len() > 255
                || !c.client_id.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err("[[oidc.client]] client_id: 1 to 255 printable ASCII characters".to_owned());
            }
            if !seen.insert(c.client_id.as_str()) {
                return Err(format!("{key}: given twice"));
            }
            match (&c.secret_sha256, c.public) {
                (Some(h), false) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {}
                (None, true) => {}
                (Some(_), false) => return Err(format!("{key}: secret_sha256 must be 64 hex digits")),
                _ => return Err(format!("{key}: give secret_sha256, or public = true (not both)")),
            }
            if c.redirect_uris.is_empty() {
                return Err(format!("{key}: redirect_uris needs at least one URI"));
            }
            for u in &c.redirect_uris {
                check_url(u).map_err(|e| format!("{key}: {e}"))?;
                if u.contains('#') {
                    return Err(format!("{key}: a redirect URI has no fragment"));
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- state

/// A flow waiting for its login.
pub(crate) enum Flow {
    /// A SAML login for an SP.
    Saml(saml::Pending),
    /// An OpenID Connect authorization.
    Oidc(oidc::Pending),
}

struct Parked {
    flow: Flow,
    expires_at: u64,
    /// The session (its cookie's hash) of the login answered for this flow:
    /// the only one `/fed/continue` completes it with.
    bound: Option<String>,
}

/// A logged-in browser.
#[derive(Clone, Debug)]
pub(crate) struct IdpSession {
    /// The user.
    pub user: String,
    /// Their enrolment (a user removed and enrolled again is someone else).
    pub enrolled_at: u64,
    /// When the grid was answered.
    pub auth_time: u64,
    /// When the session ends.
    pub ends_at: u64,
}

/// How to build the federation doors.
pub struct Settings {
    /// The origin the IdP's URLs are built on (the portal's first origin).
    pub base: String,
    /// The site key ([`crate::keys::site_key`]): persistent NameIDs derive their key from it.
    pub site_key: zeroize::Zeroizing<[u8; 32]>,
    /// The signing key and certificates.
    pub keys: IdpKeys,
    /// `[saml]`, if the SAML IdP is on.
    pub saml: Option<SamlConfig>,
    /// `[oidc]`, if the OpenID Connect provider is on.
    pub oidc: Option<OidcConfig>,
}

/// The federation doors' state.
pub struct Federation {
    pub(crate) base: String,
    pub(crate) secure: bool,
    pub(crate) keys: IdpKeys,
    pub(crate) saml: Option<saml::Idp>,
    pub(crate) oidc: Option<oidc::Provider>,
    pseudonym_key: zeroize::Zeroizing<[u8; 32]>,
    seal_key: ring::aead::LessSafeKey,
    pending: Mutex<HashMap<String, Parked>>,
    sessions: Mutex<HashMap<String, IdpSession>>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation").field("base", &self.base).finish_non_exhaustive()
    }
}

/// A random id: `bytes` random bytes, base64url without padding.
pub fn random_id(bytes: usize) -> Result<String, String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(data).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Federation {
    /// Builds the doors; the error names the configuration key at fault.
    pub fn new(settings: Settings) -> Result<Arc<Federation>, String> {
        use hmac::Mac as _;
        let (base, _) = super::parse_origin(&settings.base)?;
        let secure = base.starts_with("https://");
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(&*settings.site_key)
            .map_err(|_| "bad site key".to_owned())?;
        mac.update(b"matrixauth federation pseudonyms v1");
        let pseudonym_key = zeroize::Zeroizing::new(mac.finalize().into_bytes().into());
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(&*settings.site_key)
            .map_err(|_| "bad site key".to_owned())?;
        mac.update(b"matrixauth federation sealing v1");
        let raw = zeroize::Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        let seal_key = ring::aead::LessSafeKey::new(
            ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &*raw)
                .map_err(|_| "bad sealing key".to_owned())?,
        );
        let saml = settings.saml.map(|c| saml::Idp::new(&base, c)).transpose()?;
        let oidc = settings.oidc.map(|c| oidc::Provider::new(&base, c)).transpose()?;
        Ok(Arc::new(Federation {
            base,
            secure,
            keys: settings.keys,
            saml,
            oidc,
            pseudonym_key,
            seal_key,
            pending: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    /// A keyed pseudonym of `user` for `audience` (a persistent NameID, a
    /// pairwise identifier): the same for the same pair, unlinkable across
    /// audiences without the site key.
    pub fn pseudonym(&self, audience: &str, user: &str) -> String {
        use hmac::Mac as _;
        let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(&*self.pseudonym_key)
        else {
            return String::new();
        };
        mac.update(&(audience.len() as u64).to_be_bytes());
        mac.update(audience.as_bytes());
        mac.update(user.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Seals `plaintext` for `purpose` (AES-256-GCM under a key derived
    /// from the site key, so every node opens it): base64url of nonce,
    /// ciphertext and tag.
    pub fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
        let mut buf = plaintext.to_vec();
        self.seal_key
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(purpose),
                &mut buf,
            )
            .map_err(|_| "sealing failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`Federation::seal`] sealed for `purpose`; `None` for
    /// anything else.
    pub fn open(&self, purpose: &[u8], sealed: &str) -> Option<Vec<u8>> {
        if sealed.len() > 4096 {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (nonce, body) = raw.split_at_checked(12)?;
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = body.to_vec();
        let plain = self.seal_key.open_in_place(nonce, ring::aead::Aad::from(purpose), &mut buf).ok()?;
        Some(plain.to_vec())
    }

    /// Parks `flow` for its login; its id.
    pub(crate) fn park(&self, flow: Flow, now: u64) -> Result<String, Response> {
        let id = random_id(18).map_err(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
        self.park_as(id, flow, None, now)
    }

    /// Parks `flow` under `id` (a flow taken out and put back).
    fn park_as(&self, id: String, flow: Flow, bound: Option<String>, now: u64) -> Result<String, Response> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() >= MAX_PENDING {
            pending.retain(|_, p| p.expires_at > now);
        }
        if pending.len() >= MAX_PENDING {
            return Err(fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many logins under way; try again shortly",
            ));
        }
        pending.insert(id.clone(), Parked { flow, expires_at: now + PENDING_SECONDS, bound });
        Ok(id)
    }

    fn unpark(&self, id: &str, now: u64) -> Option<(Flow, Option<String>)> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.remove(id).filter(|p| p.expires_at > now).map(|p| (p.flow, p.bound))
    }

    /// Whether `id` names a parked flow.
    pub fn is_parked(&self, id: &str) -> bool {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).contains_key(id)
    }

    /// After an accepted `/api/verify` carrying `fed`: a new IdP session
    /// for the login (its `Set-Cookie`) and where the page goes next.
    pub fn accepted(&self, fed: &str, session: &Session, login: &Login) -> Option<(HeaderValue, String)> {
        let now = login.now();
        let enrolled_at = login.enrolled_at(&session.user)?;
        let value = random_id(32).ok()?;
        let s =
            IdpSession { user: session.user.clone(), enrolled_at, auth_time: now, ends_at: session.ends_at };
        {
            let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
            if sessions.len() >= MAX_SESSIONS {
                sessions.retain(|_, s| s.ends_at > now);
            }
            if sessions.len() >= MAX_SESSIONS {
                return None;
            }
            let mut mine: Vec<(&String, u64)> =
                sessions.iter().filter(|(_, x)| x.user == s.user).map(|(k, x)| (k, x.auth_time)).collect();
            if mine.len() >= MAX_SESSIONS_PER_USER {
                mine.sort_by_key(|(_, t)| *t);
                let oldest: Vec<String> = mine
                    .iter()
                    .take(mine.len() + 1 - MAX_SESSIONS_PER_USER)
                    .map(|(k, _)| (*k).clone())
                    .collect();
                for k in oldest {
                    sessions.remove(&k);
                }
            }
            sessions.insert(sha256_hex(value.as_bytes()), s);
        }
        // The flow is completed with this session only (not with an older one, nor
        // another browser's: `ForceAuthn`, `prompt=login`, no login CSRF).
        if let Some(p) = self.pending.lock().unwrap_or_else(PoisonError::into_inner).get_mut(fed) {
            p.bound = Some(sha256_hex(value.as_bytes()));
        }
        let cookie = self.cookie(&value, session.ends_at.saturating_sub(now))?;
        let fed: String =
            fed.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        Some((cookie, format!("/fed/continue?fed={fed}")))
    }

    fn cookie_name(&self) -> &'static str {
        if self.secure { HOST_COOKIE } else { COOKIE }
    }

    fn cookie(&self, value: &str, max_age: u64) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let name = self.cookie_name();
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        ))
        .ok()
    }

    /// The `Set-Cookie` that ends the session in the browser.
    pub(crate) fn clear_cookie(&self) -> Option<HeaderValue> {
        self.cookie("", 0)
    }

    fn cookie_key(&self, headers: &HeaderMap) -> Option<String> {
        let cookie = self.cookie_name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == cookie)
            .map(|(_, value)| sha256_hex(value.as_bytes()))
    }

    /// The browser's session, if it is still good (see
    /// [`Login::session_still_allowed`]); its end brought forward to the
    /// end of the access window in force. Runs store reads: call off the
    /// async runtime.
    pub(crate) fn session(&self, headers: &HeaderMap, login: &Login) -> Option<IdpSession> {
        let key = self.cookie_key(headers)?;
        let now = login.now();
        let s = self.sessions.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned()?;
        let bound = (s.ends_at > now).then(|| login.session_still_allowed(&s.user, s.enrolled_at)).flatten();
        match bound {
            Some(end) if end > now => Some(IdpSession { ends_at: s.ends_at.min(end), ..s }),
            _ => {
                self.sessions.lock().unwrap_or_else(PoisonError::into_inner).remove(&key);
                None
            }
        }
    }

    /// Ends the browser's session and every session of users `matches`
    /// picks; how many ended.
    pub(crate) fn end_sessions(&self, headers: &HeaderMap, matches: impl Fn(&str) -> bool) -> usize {
        let key = self.cookie_key(headers);
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        let before = sessions.len();
        sessions.retain(|k, s| Some(k) != key.as_ref() && !matches(&s.user));
        before - sessions.len()
    }
}

// ---------------------------------------------------------------- pages and routes

/// The federation routes (each answers 404 while its door is off).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/saml/metadata", get(saml::metadata))
        .route("/saml/sso", get(saml::sso_redirect).post(saml::sso_post))
        .route("/saml/slo", get(saml::slo_redirect).post(saml::slo_post))
        .route("/saml/idp-initiated", get(saml::idp_initiated))
        .route("/fed/continue", get(continue_flow))
        .route("/fed/autopost.js", get(autopost_js))
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/oidc/jwks", get(oidc::jwks))
        .route("/oidc/authorize", get(oidc::authorize))
        .route("/oidc/token", axum::routing::post(oidc::token))
        .route("/oidc/userinfo", get(oidc::userinfo).post(oidc::userinfo))
        .layer(DefaultBodyLimit::max(MAX_FED_BODY))
}

/// Whether a POST to `path` comes from another site by design (an SP's
/// form, a relying party's back channel): the portal's same-origin and
/// JSON checks do not apply; the rate limit does.
pub fn cross_site_post(path: &str) -> bool {
    matches!(path, "/saml/sso" | "/saml/slo" | "/oidc/token" | "/oidc/userinfo")
}

/// Whether a GET to `path` starts or ends a federation flow (it parks a
/// request and claims a single-use row): counted by the per-address rate
/// limit (`http.api_rate`) like the API's POSTs.
pub fn counted_get(path: &str) -> bool {
    matches!(path, "/saml/sso" | "/saml/slo" | "/saml/idp-initiated" | "/oidc/authorize")
}

/// The script of the auto-posting pages (the CSP allows no inline script).
const AUTOPOST_JS: &str = "document.getElementById('autopost').submit();\n";

async fn autopost_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], AUTOPOST_JS).into_response()
}

/// A page refusing a request: 4xx or 5xx, never a redirect, in both
/// languages (the reason is technical, for the administrator).
pub(crate) fn fail(status: StatusCode, reason: &str) -> Response {
    let reason = pages::escape(reason);
    let html = format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>matrixauth</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"card vpn\"><h1>ログインできません / Cannot log in</h1>\
         <p id=\"fed-error\" data-reason=\"{reason}\">{reason}</p>\
         <p>接続しようとしたサービスの管理者に連絡してください。 Please tell the administrator of the service you came from.</p>\
         </main></body></html>\n"
    );
    (status, [(header::CACHE_CONTROL, "no-store")], axum::response::Html(html)).into_response()
}

/// A page that posts `fields` to `action` at once (the SAML HTTP-POST
/// binding). Its CSP allows a form to go to `action`'s origin only.
pub(crate) fn autopost(action: &str, fields: &[(&str, &str)], set_cookie: Option<HeaderValue>) -> Response {
    let origin = super::appliance_origin(action).unwrap_or("'none'");
    let mut inputs = String::new();
    for (name, value) in fields {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            pages::escape(name),
            pages::escape(value)
        ));
    }
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>matrixauth</title></head><body>\
         <form id=\"autopost\" method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue / 続ける</button></noscript></form>\
         <script src=\"/fed/autopost.js\"></script></body></html>\n",
        pages::escape(action)
    );
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
         form-action {origin}"
    );
    let mut res =
        (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], axum::response::Html(html)).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if let Some(c) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

/// Where to send a browser that must log in first.
pub(crate) fn to_login(id: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/?fed={id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Starts `flow`: completed at once from a good session (unless `fresh`
/// asks for a new login), else parked and the browser sent to the grid.
/// Runs store reads: call off the async runtime.
pub(crate) fn start(app: &App, fed: &Federation, flow: Flow, headers: &HeaderMap, fresh: bool) -> Response {
    let login = app.login();
    if !fresh && let Some(session) = fed.session(headers, login) {
        return complete(app, fed, flow, &session, true);
    }
    match fed.park(flow, login.now()) {
        Ok(id) => to_login(&id),
        Err(res) => res,
    }
}

/// Completes `flow` for `session`; `sso`: from the session alone, without a new grid.
fn complete(app: &App, fed: &Federation, flow: Flow, session: &IdpSession, sso: bool) -> Response {
    match flow {
        Flow::Saml(p) => saml::respond(app, fed, &p, session, sso),
        Flow::Oidc(p) => oidc::respond(app, fed, &p, session, sso),
    }
}

#[derive(Deserialize)]
struct ContinueQuery {
    fed: Option<String>,
}

/// `GET /fed/continue?fed=ID`: completes a parked flow for the browser's
/// session (set by the accepted `/api/verify`).
async fn continue_flow(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<Query<ContinueQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(fed) = app.fed.clone() else { return StatusCode::NOT_FOUND.into_response() };
    let id = query.ok().and_then(|q| q.0.fed).unwrap_or_default();
    let out = tokio::task::spawn_blocking(move || {
        let login = app.login();
        let now = login.now();
        let Some((flow, bound)) = fed.unpark(&id, now) else {
            return fail(
                StatusCode::BAD_REQUEST,
                "this login request is unknown, used or expired: start again from the service",
            );
        };
        // Only the session made by the login answered for this flow completes it.
        let ours = bound.is_some() && fed.cookie_key(&headers) == bound;
        match fed.session(&headers, login).filter(|_| ours) {
            Some(session) => complete(&app, &fed, flow, &session, false),
            // Not logged in (yet): back to the grid, the flow parked under the same id.
            None => match fed.park_as(id, flow, bound, now) {
                Ok(id) => to_login(&id),
                Err(res) => res,
            },
        }
    })
    .await;
    out.unwrap_or_else(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn federation(base: &str) -> Arc<Federation> {
        let dir = tempfile::tempdir().unwrap();
        super::super::idp_key::ensure(dir.path(), 1_800_000_000).unwrap();
        Federation::new(Settings {
            base: base.to_owned(),
            site_key: zeroize::Zeroizing::new([7; 32]),
            keys: super::super::idp_key::load(dir.path()).unwrap(),
            saml: None,
            oidc: None,
        })
        .unwrap()
    }

    #[test]
    fn the_session_cookie_is_secure_on_https_only() {
        let https = federation("https://idp.example").cookie("v", 60).unwrap();
        let https = https.to_str().unwrap();
        assert!(https.ends_with("; Secure") && https.contains("HttpOnly; SameSite=Lax"), "{https}");
        let http = federation("http://127.0.0.1:8080").cookie("v", 60).unwrap();
        assert!(!http.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn on_https_the_cookie_is_host_only_and_a_tossed_plain_one_is_ignored() {
        let https = federation("https://idp.example");
        let set = https.cookie("v", 60).unwrap();
        assert!(set.to_str().unwrap().starts_with("__Host-matrixauth_idp=v;"), "{set:?}");
        let mut tossed = HeaderMap::new();
        tossed.insert(header::COOKIE, HeaderValue::from_static("matrixauth_idp=planted"));
        assert_eq!(https.cookie_key(&tossed), None, "a cookie a sibling domain could set");
        let mut ours = HeaderMap::new();
        ours.insert(header::COOKIE, HeaderValue::from_static("a=b; __Host-matrixauth_idp=v"));
        assert_eq!(https.cookie_key(&ours), Some(sha256_hex(b"v")));
        let http = federation("http://127.0.0.1:8080");
        assert!(http.cookie("v", 60).unwrap().to_str().unwrap().starts_with("matrixauth_idp=v;"));
        assert_eq!(http.cookie_key(&tossed), Some(sha256_hex(b"planted")));
    }

    #[test]
    fn a_clients_secret_hash_is_not_in_debug() {
        let hash = sha256_hex(b"the client's secret");
        let c: OidcConfig = toml::from_str(&format!(
            "[[client]]\nclient_id = \"vpn\"\nsecret_sha256 = \"{hash}\"\nredirect_uris = [\"https://rp.example/cb\"]\n"
        ))
        .unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains(&hash) && text.contains("vpn"), "{text}");
    }

    #[test]
    fn sealed_values_open_only_for_their_purpose_and_unaltered() {
        let fed = federation("https://idp.example");
        let sealed = fed.seal(b"oidc code", b"payload").unwrap();
        assert_eq!(fed.open(b"oidc code", &sealed).unwrap(), b"payload");
        assert!(fed.open(b"oidc access", &sealed).is_none(), "another purpose");
        let mut altered = sealed.clone().into_bytes();
        altered[20] ^= 1;
        assert!(fed.open(b"oidc code", std::str::from_utf8(&altered).unwrap()).is_none());
        assert!(
            federation("https://idp.example").open(b"oidc code", &sealed).is_some(),
            "same site key: any node"
        );
        assert_ne!(fed.pseudonym("sp-a", "alice"), fed.pseudonym("sp-b", "alice"), "per SP");
        assert_eq!(fed.pseudonym("sp-a", "alice"), fed.pseudonym("sp-a", "alice"));
    }
}
