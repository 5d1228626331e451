//! The demo login server: pages, the JSON API and the `/vpn` stand-in for
//! the SSL-VPN appliance.
//!
//! All rules are the core's; this file moves bytes between HTTP, the store
//! and the `Authenticator`. Every state change goes through
//! [`Store::update`]'s compare-and-swap, with the call's audit events in the
//! same transaction.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use sha2::Digest as _;

use crate::store::{Store, StoreError};

/// Unix seconds; injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Time for a whole request: head, body and answer (a client dripping a
/// body gets 408). The head alone has [`crate::listen::Limits`]'s shorter
/// header-read timeout.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The outcome of a right answer outside the user's approved access windows.
pub const OUTSIDE_WINDOW: &str = "outside_window";

thread_local! {
    /// The ticket verifier's audit events of the current call (its sink is
    /// called synchronously, on the caller's thread).
    static TICKET_EVENTS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How long a redeemed ticket's replay row is kept: longer than any ticket
/// the verifier admits (lifetime at most `TicketVerifier::DEFAULT_MAX_LIFETIME`,
/// 300 s, plus 30 s of clock skew).
pub const TICKET_ROW_SECONDS: u64 = 2 * 3600;

/// Largest request body accepted (bytes).
pub const MAX_BODY: usize = 4096;

/// A decoy state untouched this long is forgotten (the hourly job of
/// `serve`): the only trace an unknown name leaves, bounded in time.
pub const DECOY_KEEP_SECONDS: u64 = 30 * 86_400;

/// Everything a request needs.
pub struct App {
    store: Arc<Store>,
    keyring: mx::Keyring,
    policy: mx::Policy,
    verifier: mx::TicketVerifier,
    audience: String,
    assets: Option<PathBuf>,
    clock: Clock,
    /// Where the portal hands an accepted login on (POST of user and ticket).
    appliance_url: Option<String>,
    /// The Content-Security-Policy, with the appliance's origin in `form-action`.
    csp: HeaderValue,
    /// The origins the portal is served from (`scheme://host[:port]`, lower case).
    origins: Vec<String>,
    /// Their `host[:port]` parts: the only `Host` headers answered.
    hosts: Vec<String>,
    /// API POSTs per client address.
    rate: crate::rate::RateLimiter,
    /// Reverse proxies trusted to name the client.
    trusted_proxies: Vec<crate::net::Cidr>,
}

/// How to build an [`App`].
pub struct Config {
    /// The store.
    pub store: Store,
    /// Server keys (the appliance stand-in shares them, as a real appliance
    /// would hold the ticket key).
    pub keyring: mx::Keyring,
    /// The policy.
    pub policy: mx::Policy,
    /// The tickets' audience: the appliance's name.
    pub audience: String,
    /// Where the browser build of the WASM package is read from on each
    /// request (`wasm/pkg/web` after `scripts/wasm-build.sh`, for working on
    /// it); `None`: the copy compiled into the binary, so the server works
    /// from any directory and after `cargo install`.
    pub assets: Option<PathBuf>,
    /// The clock.
    pub clock: Clock,
    /// The SSL-VPN appliance's login URL: after `accepted`, the portal posts
    /// `user` and `ticket` there with a self-submitting form (never in a URL
    /// query); the appliance checks the ticket over RADIUS. `None`: the
    /// built-in `/vpn` stand-in.
    pub appliance_url: Option<String>,
    /// The origins browsers reach the portal at (`http://127.0.0.1:8080`,
    /// `https://vpn.example.lg.jp`). A POST must carry one of them in
    /// `Origin` (other sites cannot drive lock-outs through visitors'
    /// browsers), and a request whose `Host` is none of theirs is refused
    /// (DNS rebinding). At least one.
    pub origins: Vec<String>,
    /// API POSTs (challenge, verify, enroll) per client address: a minute's
    /// average and a burst; 0 turns the limit off. Applies to requests
    /// that came through [`crate::listen::serve`], which records the
    /// client's address.
    pub api_rate: ApiRate,
    /// Reverse proxies whose `X-Forwarded-For` names the client for the
    /// rate limit ([`crate::net::client_address`]). Empty: the TCP peer is
    /// the client.
    pub trusted_proxies: Vec<crate::net::Cidr>,
}

/// A per-address limit on the API's POSTs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRate {
    /// Requests a minute, on average.
    pub per_minute: u32,
    /// Requests at once.
    pub burst: u32,
}

impl Default for ApiRate {
    /// 120 a minute, 60 at once: 60 logins a minute from one address.
    fn default() -> Self {
        ApiRate { per_minute: 120, burst: 60 }
    }
}

/// Checks an origin (`http(s)://host[:port]`, no path, query or user info)
/// and returns it in lower case with its `host[:port]` part.
pub fn parse_origin(origin: &str) -> Result<(String, String), String> {
    let lower = origin.trim_end_matches('/').to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("origin {origin:?}: must start with http:// or https://"))?;
    let bad = |c: char| !(c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if host.is_empty() || host.len() > 255 || host.chars().any(bad) {
        return Err(format!(
            "origin {origin:?}: must be scheme://host[:port] without a path, user or query (e.g. https://vpn.example.lg.jp)"
        ));
    }
    // Browsers leave the scheme's default port out of `Origin` and `Host`.
    let default_port = if lower.starts_with("https://") { ":443" } else { ":80" };
    let host = host.strip_suffix(default_port).unwrap_or(host).to_owned();
    let scheme = if lower.starts_with("https://") { "https://" } else { "http://" };
    Ok((format!("{scheme}{host}"), host))
}

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The origin (`scheme://host[:port]`) of an appliance URL, if the URL is an
/// absolute http(s) URL with nothing a header or an attribute could trip on.
fn appliance_origin(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>;,".contains(c)) {
        return None;
    }
    let host_len = rest.find('/').unwrap_or(rest.len());
    if host_len == 0 {
        return None;
    }
    url.get(..url.len() - rest.len() + host_len)
}

/// Checks an appliance hand-off URL (`Config::appliance_url`).
pub fn check_appliance_url(url: &str) -> Result<(), String> {
    appliance_origin(url)
        .map(|_| ())
        .ok_or_else(|| format!("{url:?}: an absolute http(s) URL without quotes, spaces or ;"))
}

impl App {
    /// Builds the app; fails if the policy is invalid.
    pub fn new(config: Config) -> Result<Arc<App>, mx::Error> {
        config.policy.validate()?;
        let csp = match &config.appliance_url {
            None => HeaderValue::from_static(CSP),
            Some(url) => {
                let origin = appliance_origin(url).ok_or(mx::Error::InvalidPolicy(
                    "the appliance URL must be an absolute http(s) URL without quotes, spaces or ;",
                ))?;
                HeaderValue::from_str(&format!("{CSP} {origin}"))
                    .map_err(|_| mx::Error::InvalidPolicy("the appliance URL does not fit a header"))?
            }
        };
        if config.origins.is_empty() {
            return Err(mx::Error::InvalidPolicy("the portal needs at least one origin"));
        }
        let mut origins = Vec::new();
        let mut hosts = Vec::new();
        for o in &config.origins {
            let (origin, host) = parse_origin(o)
                .map_err(|_| mx::Error::InvalidPolicy("an origin must be http(s)://host[:port]"))?;
            origins.push(origin);
            hosts.push(host);
        }
        let store = Arc::new(config.store);
        // Redemptions and refusals are the core's events, collected per call on the calling
        // thread and written by `App::redeem` once the store has had its say.
        let sink: mx::AuditSink = Arc::new(|e: &mx::Event| {
            TICKET_EVENTS.with(|events| events.borrow_mut().push(e.to_json()));
        });
        let verifier = mx::TicketVerifier::new(config.keyring.clone(), mx::TicketVerifier::DEFAULT_CAPACITY)
            .with_audit_sink(sink);
        let app = Arc::new(App {
            verifier,
            store,
            keyring: config.keyring,
            policy: config.policy,
            audience: config.audience,
            assets: config.assets,
            clock: config.clock,
            appliance_url: config.appliance_url,
            csp,
            origins,
            hosts,
            rate: crate::rate::RateLimiter::new(config.api_rate.per_minute, config.api_rate.burst),
            trusted_proxies: config.trusted_proxies,
        });
        Ok(app)
    }

    /// Unknown users whose decoy state is stored.
    pub fn decoys_remembered(&self) -> usize {
        self.store.decoys().unwrap_or(0)
    }

    /// The store (admin commands and tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared (background jobs such as audit pruning).
    pub fn store_handle(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    /// The current time of the app's clock (Unix seconds).
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Audits a right answer refused outside the user's access windows
    /// (`via`: `http`, or the RADIUS client).
    pub(crate) fn audit_outside_window(&self, user: &str, now: u64, via: &str) {
        let line = json!({"time": now, "user": user, "event": "outside_window", "via": via});
        if let Err(e) = self.store.append_audit(&[line.to_string()]) {
            crate::warn!("matrixauth serve: cannot write the audit log: {e}");
        }
    }

    /// Redeems a login ticket for `audience`: the core's checks (MAC,
    /// audience, lifetime, this process's replay cache), then a replay row in
    /// the store, so a ticket is redeemed once across every node sharing it.
    /// The audit log gets one line: the core's `ticket_redeemed` or
    /// `ticket_refused`, or, for a ticket another node redeemed first,
    /// `ticket_refused` with `"reason":"replayed","scope":"store"` (never a
    /// `ticket_redeemed` for a ticket that was refused). A store that cannot
    /// be reached refuses (`Err`), never accepts.
    pub fn redeem(
        &self,
        ticket: &str,
        audience: &str,
        now: u64,
    ) -> Result<Result<String, mx::Error>, StoreError> {
        TICKET_EVENTS.with(|events| events.borrow_mut().clear());
        let verdict = self.verifier.redeem(ticket, audience, now);
        let mut lines = TICKET_EVENTS.with(|events| std::mem::take(&mut *events.borrow_mut()));
        let out = match verdict {
            Err(e) => Err(e),
            Ok(user) => {
                let id: [u8; 32] = sha2::Sha256::digest(ticket.as_bytes()).into();
                // Kept past any lifetime the verifier admits (its maximum plus clock skew).
                if self.store.claim_ticket(&id, now.saturating_add(TICKET_ROW_SECONDS))? {
                    Ok(user)
                } else {
                    let line = json!({"time": now, "user": user, "event": "ticket_refused",
                                      "reason": "replayed", "audience": audience, "scope": "store"});
                    lines = vec![line.to_string()];
                    Err(mx::Error::Ticket(mx::TicketError::Replayed))
                }
            }
        };
        self.store.append_audit(&lines)?;
        Ok(out)
    }

    fn authenticator(&self) -> Result<(mx::Authenticator, Events), mx::Error> {
        audited_authenticator(&self.keyring, &self.policy)
    }

    /// Runs `f` with a fresh audited authenticator on the state of `user`:
    /// the enrolled user's stored state (compare-and-swap), or the stored
    /// decoy state of an unknown user ([`Store::update_decoy`]). `f` gets the sealed credential (a
    /// pattern credential, or with `cards` a grid card too), or `None` for a
    /// decoy.
    ///
    /// Without `cards` (the web portal, which shows grids only), a card
    /// holder is answered like an unknown user, from a decoy state: the
    /// portal neither reveals that the account exists nor touches its state.
    pub(crate) fn with_user<T>(
        &self,
        user: &str,
        cards: bool,
        mut f: impl FnMut(&mx::Authenticator, Option<&[u8]>, &mut mx::UserState) -> Result<T, mx::Error>,
    ) -> Result<Result<T, mx::Error>, ApiError> {
        let known = self.store.update(user, |record| {
            if !cards && mx::GridCard::is_sealed_card(&record.sealed_credential) {
                return (None, Vec::new());
            }
            let (auth, events) = match self.authenticator() {
                Ok(a) => a,
                Err(e) => return (Some(Err(e)), Vec::new()),
            };
            let out = f(&auth, Some(&record.sealed_credential), &mut record.state);
            (Some(out), events.take())
        })?;
        if let Some(Some(out)) = known {
            return Ok(out);
        }
        let (auth, events) = self.authenticator().map_err(ApiError::internal)?;
        let out = self.store.update_decoy(user, (self.clock)(), |state| {
            let out = f(&auth, None, state);
            // Only a well-formed user id earns a stored decoy state.
            let keep = !matches!(out, Err(mx::Error::InvalidUserId));
            (out, events.take(), keep)
        })?;
        Ok(out)
    }
}

/// Audit lines collected during one attempt of one request.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    /// The lines collected so far, emptying the buffer.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// An authenticator whose audit events land in the returned buffer, so a
/// request stores them in the same transaction as the state they describe
/// (and drops them with an attempt that lost a compare-and-swap).
pub fn audited_authenticator(
    keyring: &mx::Keyring,
    policy: &mx::Policy,
) -> Result<(mx::Authenticator, Events), mx::Error> {
    let events = Events::default();
    let sink_events = events.clone();
    let sink: mx::AuditSink = Arc::new(move |e: &mx::Event| {
        sink_events.0.lock().unwrap_or_else(PoisonError::into_inner).push(e.to_json());
    });
    Ok((mx::Authenticator::new(keyring.clone(), policy.clone())?.with_audit_sink(sink), events))
}

/// An API error: status, stable code and a message without secrets.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: json!({ "error": code, "message": message.into() }) }
    }

    fn core(e: &mx::Error) -> Self {
        let status = match e {
            mx::Error::Locked { .. } => StatusCode::LOCKED,
            mx::Error::Random | mx::Error::Format(_) | mx::Error::Seal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut err = ApiError::new(status, e.code(), e.to_string());
        if let (mx::Error::Locked { locked_until }, Some(obj)) = (e, err.body.as_object_mut()) {
            obj.insert("lockedUntil".into(), json!(locked_until));
        }
        err
    }

    /// Whether the store could not be reached (503): RADIUS then drops the
    /// request so the appliance retries or fails over.
    pub fn is_unavailable(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        crate::warn!("matrixauth serve: internal error: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Unavailable(_) = e {
            // An outage fails every request: the first 20 and then every 1000th are logged.
            static SEEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n < 20 || n.is_multiple_of(1000) {
                crate::warn!("matrixauth serve: {e} ({} requests refused so far)", n + 1);
            }
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the login service is temporarily unavailable; try again shortly",
            );
        }
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, no_store(), axum::Json(self.body)).into_response()
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

/// Parses a JSON body: size, syntax, types and unknown fields are all
/// refused with a 4xx and a clear message, before anything changes.
fn parse<T: for<'de> Deserialize<'de>>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(e.status(), "too_large", format!("request body over {MAX_BODY} bytes"))
        } else {
            ApiError::new(e.status(), "bad_request", "could not read the request body")
        }
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        // serde's "invalid type" and "invalid value" messages quote the value, which may be an
        // answer: only messages about field names are passed on; the rest say where, not what.
        let text = e.to_string();
        let msg = match e.classify() {
            serde_json::error::Category::Data
                if text.starts_with("unknown field") || text.starts_with("missing field") =>
            {
                format!("invalid request: {text}")
            }
            serde_json::error::Category::Data => format!(
                "invalid request: a field has the wrong type or value at line {} column {}",
                e.line(),
                e.column()
            ),
            _ => format!("malformed JSON at line {} column {}", e.line(), e.column()),
        };
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", msg)
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserReq {
    user: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyReq {
    user: String,
    token: String,
    /// Holds the fixed string in the clear: wiped on drop.
    answer: zeroize::Zeroizing<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationReq {
    invite: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EnrollReq {
    invite: zeroize::Zeroizing<String>,
    /// The pattern, the fixed string and its position: wiped on drop.
    cells: zeroize::Zeroizing<Vec<String>>,
    #[serde(default)]
    fixed: zeroize::Zeroizing<String>,
    #[serde(default)]
    fixed_at: zeroize::Zeroizing<usize>,
}

async fn api_challenge(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: UserReq = parse(body)?;
    blocking(move || {
        let now = (app.clock)();
        let out =
            app.with_user(&req.user, false, |auth, _, state| auth.issue_challenge(&req.user, state, now))?;
        let ch = out.map_err(|e| ApiError::core(&e))?;
        let p = &app.policy;
        let body = json!({
            "user": req.user,
            "token": ch.token,
            "matrix": ch.matrix.rows(),
            "rows": p.rows,
            "cols": p.cols,
            "blockRows": p.block_rows,
            "blockCols": p.block_cols,
            "issuedAt": ch.issued_at,
            "expiresAt": ch.expires_at,
            "now": now,
            "reissue": ch.is_reissue(),
        });
        Ok((no_store(), axum::Json(body)).into_response())
    })
    .await
}

async fn api_verify(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: VerifyReq = parse(body)?;
    blocking(move || {
        let now = (app.clock)();
        let in_window = app.store.in_window(&req.user, now)?;
        let out = app.with_user(&req.user, false, |auth, sealed, state| {
            let credential = if let Some(sealed) = sealed {
                mx::PatternCredential::open(auth.keyring(), &req.user, sealed)?
            } else {
                auth.decoy_credential()?
            };
            let verdict = auth.verify(&req.user, &credential, state, &req.token, &req.answer, now)?;
            // A decoy can never log in, even if a guess matched the random decoy. A right answer
            // outside the user's approved access windows gets no ticket (and counted no failure).
            let ticket = if verdict.accepted() && sealed.is_some() && in_window {
                Some(auth.issue_ticket(&req.user, &app.audience, now)?)
            } else {
                None
            };
            let outcome = match (verdict.accepted(), sealed.is_some(), in_window) {
                (true, false, _) => mx::Outcome::Rejected.as_str(),
                (true, true, false) => OUTSIDE_WINDOW,
                _ => verdict.outcome.as_str(),
            };
            Ok((outcome, verdict.event, ticket))
        })?;
        let (outcome, event, ticket) = out.map_err(|e| ApiError::core(&e))?;
        if outcome == OUTSIDE_WINDOW {
            app.audit_outside_window(&req.user, now, "http");
        }
        let mut body = json!({
            "outcome": outcome,
            "lockedUntil": event.locked_until,
            "permanentlyLocked": event.permanently_locked,
        });
        if let (Some(t), Some(obj)) = (ticket, body.as_object_mut()) {
            match &app.appliance_url {
                // The page posts these to the appliance: the ticket never rides in a URL.
                Some(url) => obj.insert("handoff".into(), json!({"url": url, "user": req.user, "ticket": t})),
                None => obj.insert("redirect".into(), json!(format!("/vpn?ticket={t}"))),
            };
        }
        Ok((no_store(), axum::Json(body)).into_response())
    })
    .await
}

/// `POST /api/invitation {invite}`: whom a valid invitation enrols, so the
/// page can show it. Any other token gets the same 403.
async fn api_invitation(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: InvitationReq = parse(body)?;
    blocking(move || {
        let now = (app.clock)();
        let inv =
            app.store.invitation(&crate::invite::hash(&req.invite), now)?.ok_or_else(invitation_invalid)?;
        let body = json!({ "user": inv.user, "expiresAt": inv.expires_at });
        Ok((no_store(), axum::Json(body)).into_response())
    })
    .await
}

fn invitation_invalid() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "invitation_invalid",
        "this enrollment link is not valid: it was used, it expired or it was replaced; ask your administrator for a new one",
    )
}

/// `POST /api/enroll {invite, cells, fixed, fixedAt}`: enrols the user the
/// invitation names (never a user id from the request, so no reply tells
/// whether some other id exists) and uses the invitation up, in one
/// transaction. A pattern the policy refuses leaves the invitation unused.
async fn api_enroll(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: EnrollReq = parse(body)?;
    blocking(move || {
        let now = (app.clock)();
        let credential = mx::PatternCredential::from_names(&req.cells, &req.fixed, *req.fixed_at)
            .map_err(|e| ApiError::core(&e))?;
        app.policy.check_credential(&credential).map_err(|e| ApiError::core(&e))?;
        let enrolled = app.store.enroll(&crate::invite::hash(&req.invite), now, |user| {
            let sealed = credential.seal(&app.keyring, user)?;
            let line = json!({ "time": now, "user": user, "event": "enrolled", "via": "invitation" });
            Ok::<_, mx::Error>((sealed, vec![line.to_string()]))
        })?;
        let inv = enrolled.ok_or_else(invitation_invalid)?.map_err(|e| ApiError::core(&e))?;
        let s = mx::Strength::for_length(&app.policy, credential.pattern_len());
        let body = json!({
            "user": inv.user,
            "patternSpaceBits": s.pattern_space_bits,
            "guessProbability": s.guess_probability,
        });
        Ok((StatusCode::CREATED, no_store(), axum::Json(body)).into_response())
    })
    .await
}

async fn api_policy(State(app): State<Arc<App>>) -> Response {
    let p = &app.policy;
    let body = json!({
        "rows": p.rows, "cols": p.cols, "blockRows": p.block_rows, "blockCols": p.block_cols,
        "requireEveryBlock": p.require_every_block, "minPatternLen": p.min_pattern_len,
        "maxPatternLen": p.max_pattern_len, "allowRepeatedCells": p.allow_repeated_cells,
        "rejectWeakPatterns": p.reject_weak_patterns, "challengeTtl": p.challenge_ttl,
        "retryWindow": p.retry_window,
        "maxConsecutiveFailures": p.max_consecutive_failures, "lockoutSeconds": p.lockout_seconds,
        "maxLockoutSeconds": p.max_lockout_seconds, "maxTotalFailures": p.max_total_failures,
        "cardChallengeCells": p.card_challenge_cells, "cardSingleUse": p.card_single_use,
        "ticketTtl": p.ticket_ttl,
    });
    axum::Json(body).into_response()
}

#[derive(Deserialize)]
struct VpnQuery {
    ticket: Option<String>,
    lang: Option<String>,
}

async fn vpn(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    query: Result<Query<VpnQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (ticket, lang) = query.ok().map(|q| (q.0.ticket, q.0.lang)).unwrap_or_default();
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = crate::pages::Lang::pick(lang.as_deref(), accept);
    let ticket = ticket.unwrap_or_default();
    let result = blocking(move || {
        let now = (app.clock)();
        Ok(app.redeem(&ticket, &app.audience, now)?)
    })
    .await;
    let (status, html) = match result {
        Ok(Ok(user)) => (StatusCode::OK, crate::pages::vpn_welcome(&user, lang)),
        Ok(Err(e)) => (StatusCode::FORBIDDEN, crate::pages::vpn_refused(ticket_reason(&e), lang)),
        Err(e) => return e.into_response(),
    };
    (status, no_store(), Html(html)).into_response()
}

fn ticket_reason(e: &mx::Error) -> &'static str {
    match e {
        mx::Error::Ticket(t) => t.as_str(),
        other => other.code(),
    }
}

async fn pkg_file(
    State(app): State<Arc<App>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let (content_type, embedded): (&str, &'static [u8]) = match name.as_str() {
        "matrixauth.js" => ("text/javascript; charset=utf-8", EMBEDDED_JS),
        "matrixauth_bg.wasm" => ("application/wasm", EMBEDDED_WASM),
        "matrixauth.d.ts" => ("text/plain; charset=utf-8", EMBEDDED_DTS),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let Some(dir) = &app.assets else {
        return ([(header::CONTENT_TYPE, content_type)], embedded).into_response();
    };
    match tokio::fs::read(dir.join(&name)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the --assets folder has no WASM build: run scripts/wasm-build.sh, or leave --assets out to use the built-in copy",
        )
            .into_response(),
    }
}

/// The browser build of the WASM package (`wasm/pkg/web`, committed and
/// checked by CI to match its sources), compiled in.
pub const EMBEDDED_WASM: &[u8] = include_bytes!("../../wasm/pkg/web/matrixauth_bg.wasm");
const EMBEDDED_JS: &[u8] = include_bytes!("../../wasm/pkg/web/matrixauth.js");
const EMBEDDED_DTS: &[u8] = include_bytes!("../../wasm/pkg/web/matrixauth.d.ts");

/// The router: pages, API, appliance stand-in.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Html(crate::pages::LOGIN_HTML) }))
        .route("/enroll", get(|| async { Html(crate::pages::ENROLL_HTML) }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/static/{name}", get(crate::pages::static_file))
        .route("/pkg/{name}", get(pkg_file))
        .route("/api/policy", get(api_policy))
        .route("/api/challenge", post(api_challenge))
        .route("/api/verify", post(api_verify))
        .route("/api/invitation", post(api_invitation))
        .route("/api/enroll", post(api_enroll))
        .route("/vpn", get(vpn))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), request_guard))
        .layer(axum::middleware::from_fn(request_timeout))
        .layer(axum::middleware::map_response_with_state(Arc::clone(&app), security_headers))
        .with_state(app)
}

/// Refuses, before any handler runs (so nothing is counted or stored):
/// - a `Host` that is not one of the portal's origins (a DNS-rebinding page
///   reaching a 127.0.0.1 server sends its own name);
/// - a POST whose `Content-Type` is not `application/json` (the types a
///   cross-site form or a no-CORS `fetch` may send without a preflight);
/// - a POST without an `Origin` that is one of the portal's;
/// - a POST over its client address's rate ([`Config::api_rate`]; behind a
///   trusted proxy, the address `X-Forwarded-For` names).
async fn request_guard(
    State(app): State<Arc<App>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers();
    if let Some(host) = headers.get(header::HOST) {
        let ok = host.to_str().is_ok_and(|h| app.hosts.iter().any(|a| a.eq_ignore_ascii_case(h)));
        if !ok {
            return ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "unknown_host",
                "this server does not answer for that host name (add it with --origin)",
            )
            .into_response();
        }
    }
    if req.method() == axum::http::Method::POST {
        let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json")
        });
        if !json {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request as Content-Type: application/json",
            )
            .into_response();
        }
        let same_origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|o| app.origins.iter().any(|a| a.eq_ignore_ascii_case(o)));
        if !same_origin {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "the request must come from the portal's own pages (Origin header missing or foreign)",
            )
            .into_response();
        }
        let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        if let Some(axum::extract::ConnectInfo(peer)) = peer
            && let client = crate::net::client_address(peer.ip(), forwarded, &app.trusted_proxies)
            && let Err(retry_after) = app.rate.check(client, std::time::Instant::now())
        {
            let mut res = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests from this address; retry in {retry_after} s"),
            )
            .into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return res;
        }
    }
    next.run(req).await
}

async fn request_timeout(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", "the request took too long to arrive")
                .into_response()
        }
    }
}

async fn security_headers(State(app): State<Arc<App>>, mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, app.csp.clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The ticket travels in the /vpn URL: never leak it in a Referer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}
