//! The web portal's door: pages, the JSON API and the `/vpn` stand-in for
//! the SSL-VPN appliance.
//!
//! It translates HTTP into calls of the login service ([`Login`]) and the
//! service's [`Decision`]s into JSON; it decides nothing and never touches
//! the store. What is HTTP's own lives here: origins and hosts, the rate
//! limit, the body limit and timeouts ([`listen`]), security headers, the
//! pages ([`pages`]) and the hand-off to the appliance.

pub mod fed;
pub mod idp_key;
pub mod listen;
pub mod oidc;
pub mod pages;
pub mod rate;
pub mod saml;
pub mod saml_request;
mod terminal;
pub mod tls;
pub mod xmlsig;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::login::{Decision, EnrollError, Lock, Login, Prompt, Via};

/// Time for a whole request: head, body and answer (a client dripping a
/// body gets 408). The head alone has [`listen::Limits`]'s shorter
/// header-read timeout.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Largest request body accepted (bytes).
pub const MAX_BODY: usize = 4096;

/// Everything a request needs.
pub struct App {
    login: Arc<Login>,
    audience: String,
    assets: Option<PathBuf>,
    /// Where the portal hands an accepted login on (POST of user and ticket).
    appliance_url: Option<String>,
    /// The Content-Security-Policy, with the appliance's origin in `form-action`.
    csp: HeaderValue,
    /// The origins the portal is served from (`scheme://host[:port]`, lower case).
    origins: Vec<String>,
    /// Their `host[:port]` parts: the only `Host` headers answered.
    hosts: Vec<String>,
    /// API POSTs per client address.
    rate: rate::RateLimiter,
    /// Reverse proxies trusted to name the client.
    trusted_proxies: Vec<crate::net::Cidr>,
    /// The addresses `/metrics` answers.
    metrics_allow: Vec<crate::net::Cidr>,
    /// The SAML and OpenID Connect doors, when configured ([`fed`]).
    fed: Option<Arc<fed::Federation>>,
}

/// How to build an [`App`].
pub struct Config {
    /// The login service (shared with the other doors).
    pub login: Arc<Login>,
    /// The tickets' audience: the appliance's name.
    pub audience: String,
    /// Where the browser build of the WASM package is read from on each
    /// request (`wasm/pkg/web` after `scripts/wasm-build.sh`, for working on
    /// it); `None`: the copy compiled into the binary, so the server works
    /// from any directory and after `cargo install`.
    pub assets: Option<PathBuf>,
    /// The SSL-VPN appliance's login URL: after `accepted`, the portal posts
    /// `user`, `ticket` and `session_end` there with a self-submitting form
    /// (never in a URL query); the appliance checks the ticket over RADIUS.
    /// `None`: the built-in `/vpn` stand-in.
    pub appliance_url: Option<String>,
    /// The origins browsers reach the portal at (`http://127.0.0.1:8080`,
    /// `https://vpn.example.lg.jp`). A POST must carry one of them in
    /// `Origin` (other sites cannot drive lock-outs through visitors'
    /// browsers), and a request whose `Host` is none of theirs is refused
    /// (DNS rebinding). At least one.
    pub origins: Vec<String>,
    /// API POSTs (challenge, verify, enroll) per client address: a minute's
    /// average and a burst; 0 turns the limit off. Applies to requests
    /// that came through [`listen::serve`], which records the
    /// client's address.
    pub api_rate: ApiRate,
    /// Reverse proxies whose `X-Forwarded-For` names the client for the
    /// rate limit ([`crate::net::client_address`]). Empty: the TCP peer is
    /// the client.
    pub trusted_proxies: Vec<crate::net::Cidr>,
    /// The client addresses `/metrics` answers (`metrics.allow`); others get
    /// 404. Empty: nobody. The address is the TCP peer's, or through a
    /// trusted proxy the one `X-Forwarded-For` names; a request forwarded by
    /// a proxy that is not trusted is refused.
    pub metrics_allow: Vec<crate::net::Cidr>,
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
    /// Builds the app; fails if an origin or the appliance URL is invalid.
    pub fn new(config: Config) -> Result<Arc<App>, mx::Error> {
        App::with_federation(config, None)
    }

    /// Builds the app with the federation doors (SAML, OpenID Connect).
    pub fn with_federation(config: Config, fed: Option<Arc<fed::Federation>>) -> Result<Arc<App>, mx::Error> {
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
        Ok(Arc::new(App {
            login: config.login,
            audience: config.audience,
            assets: config.assets,
            appliance_url: config.appliance_url,
            csp,
            origins,
            hosts,
            rate: rate::RateLimiter::new(config.api_rate.per_minute, config.api_rate.burst),
            trusted_proxies: config.trusted_proxies,
            metrics_allow: config.metrics_allow,
            fed,
        }))
    }

    /// The login service behind the portal.
    pub fn login(&self) -> &Arc<Login> {
        &self.login
    }
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

    fn unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the login service is temporarily unavailable; try again shortly",
        )
    }

    fn internal() -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }

    /// The error reply of a decision that is no answer to show: a lock
    /// (423), a refused request (4xx), an outage (503), a failure (500).
    fn of(decision: &Decision) -> Self {
        match decision {
            Decision::Locked(lock) => ApiError::core(&mx::Error::Locked { locked_until: lock.until() }),
            Decision::Refused(e) => ApiError::core(e),
            Decision::Unavailable => ApiError::unavailable(),
            _ => ApiError::internal(),
        }
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
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        crate::warn!("matrixauth serve: internal error: {e}");
        ApiError::internal()
    })?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserReq {
    user: String,
    /// A registered terminal's assertion (SPEC §16): the `state` of
    /// `/api/terminal/options` and the browser's `PublicKeyCredential`.
    #[serde(default)]
    terminal: Option<TerminalReq>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TerminalReq {
    state: String,
    credential: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyReq {
    user: String,
    token: String,
    /// Holds the fixed string in the clear: wiped on drop.
    answer: zeroize::Zeroizing<String>,
    /// The parked federation flow the login page was opened for (`?fed=`).
    #[serde(default)]
    fed: Option<String>,
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

/// `POST /api/challenge {user}`: a grid (`kind: "grid"`) or the cells of
/// the user's card (`kind: "card"`). Unknown ids get a decoy of either kind.
async fn api_challenge(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: UserReq = parse(body)?;
    blocking(move || {
        let credential = req.terminal.as_ref().map(|t| t.credential.to_string());
        let proof = match (&req.terminal, &credential) {
            (Some(t), Some(c)) => crate::login::Terminal::Assertion { state: &t.state, credential: c },
            // Registered terminals (SPEC §16): a user who needs one gets the WebAuthn options
            // (`kind: "terminal"`) and comes back with the assertion; the same for every id.
            _ => match terminal::ask(&app, &req.user)? {
                Some(response) => return Ok(response),
                None => crate::login::Terminal::None,
            },
        };
        let decision = app.login.challenge_with_terminal(&req.user, Via::Http, proof);
        let now = app.login.now();
        let body = match &decision {
            Decision::Prompt(Prompt::Grid { token, matrix, issued_at, expires_at, reissue }) => {
                let p = app.login.policy();
                json!({
                    "kind": "grid",
                    "user": req.user,
                    "token": token,
                    "matrix": matrix.rows(),
                    "rows": p.rows,
                    "cols": p.cols,
                    "blockRows": p.block_rows,
                    "blockCols": p.block_cols,
                    "issuedAt": issued_at,
                    "expiresAt": expires_at,
                    "now": now,
                    "reissue": reissue,
                })
            }
            Decision::Prompt(Prompt::Card {
                token,
                serial,
                cells,
                remaining,
                issued_at,
                expires_at,
                reissue,
            }) => {
                json!({
                    "kind": "card",
                    "user": req.user,
                    "token": token,
                    "serial": serial,
                    "cells": cells,
                    "remaining": remaining,
                    "issuedAt": issued_at,
                    "expiresAt": expires_at,
                    "now": now,
                    "reissue": reissue,
                })
            }
            // The terminal gate (SPEC §16): no assertion, or a refused one. One reply for every id.
            Decision::Rejected { lock: Some(lock), .. } => {
                return Err(ApiError::core(&mx::Error::Locked { locked_until: lock.until() }));
            }
            Decision::Rejected { .. } | Decision::Suspended => return Err(terminal::refused()),
            other => return Err(ApiError::of(other)),
        };
        Ok((no_store(), axum::Json(body)).into_response())
    })
    .await
}

/// `POST /api/verify {user, token, answer}`: `outcome` is the core's
/// (`accepted`, `rejected`, `locked`, `expired`, `duplicate`, `stale`,
/// `invalid`) or `outside_window`; a suspended user's reply is a wrong
/// answer's. An accepted login carries the hand-off (or the stand-in's
/// redirect) and `sessionEnd`.
async fn api_verify(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: VerifyReq = parse(body)?;
    blocking(move || {
        // A login for a SAML SP or an OpenID Connect client hands on no appliance ticket.
        let fed = req.fed.as_deref().zip(app.fed.as_ref());
        let ticket_for = if fed.is_some() { None } else { Some(app.audience.as_str()) };
        let decision = app.login.answer(&req.user, Some(&req.token), &req.answer, Via::Http, ticket_for);
        let (outcome, lock) = match &decision {
            Decision::Accepted(_) => (mx::Outcome::Accepted.as_str(), None),
            Decision::Rejected { outcome, lock } => (outcome.as_str(), *lock),
            // The same reply as a wrong answer: the door cannot tell them apart.
            Decision::Suspended => (mx::Outcome::Rejected.as_str(), None),
            Decision::Locked(lock) => (mx::Outcome::Locked.as_str(), Some(*lock)),
            Decision::OutsideWindow => ("outside_window", None),
            other => return Err(ApiError::of(other)),
        };
        let mut body = json!({
            "outcome": outcome,
            "lockedUntil": lock.and_then(Lock::until),
            "permanentlyLocked": lock == Some(Lock::Permanent),
        });
        let mut set_cookie = None;
        if let (Decision::Accepted(session), Some(obj)) = (&decision, body.as_object_mut()) {
            obj.insert("sessionEnd".into(), json!(session.ends_at));
            if let Some((id, fed)) = fed {
                let (cookie, redirect) =
                    fed.accepted(id, session, &app.login).ok_or_else(ApiError::internal)?;
                obj.insert("redirect".into(), json!(redirect));
                set_cookie = Some(cookie);
            } else if let Some(t) = &session.ticket {
                match &app.appliance_url {
                    // The page posts these to the appliance: the ticket never rides in a URL.
                    Some(url) => obj.insert(
                        "handoff".into(),
                        json!({"url": url, "user": session.user, "ticket": t, "sessionEnd": session.ends_at}),
                    ),
                    None => obj.insert("redirect".into(), json!(format!("/vpn?ticket={t}"))),
                };
            }
        }
        let mut res = (no_store(), axum::Json(body)).into_response();
        if let Some(c) = set_cookie {
            res.headers_mut().insert(header::SET_COOKIE, c);
        }
        Ok(res)
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
        let inv = app.login.invitation(&req.invite).map_err(enroll_error)?;
        let body = json!({ "user": inv.user, "expiresAt": inv.expires_at });
        Ok((no_store(), axum::Json(body)).into_response())
    })
    .await
}

fn enroll_error(e: EnrollError) -> ApiError {
    match e {
        EnrollError::Invitation => invitation_invalid(),
        EnrollError::Credential(e) => ApiError::core(&e),
        EnrollError::Unavailable => ApiError::unavailable(),
        EnrollError::Internal => ApiError::internal(),
    }
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
        let credential = mx::PatternCredential::from_names(&req.cells, &req.fixed, *req.fixed_at)
            .map_err(|e| ApiError::core(&e))?;
        let inv = app.login.enroll(&req.invite, &credential).map_err(enroll_error)?;
        let s = mx::Strength::for_length(app.login.policy(), credential.pattern_len());
        let body = json!({
            "user": inv.user,
            "patternSpaceBits": s.pattern_space_bits,
            "guessProbability": s.guess_probability,
            // With terminals required: the page registers this browser's terminal next.
            "terminalGrant": app.login.enrolment_grant(&inv.user),
        });
        Ok((StatusCode::CREATED, no_store(), axum::Json(body)).into_response())
    })
    .await
}

async fn api_policy(State(app): State<Arc<App>>) -> Response {
    let p = app.login.policy();
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

/// `GET /vpn?ticket=…`: the stand-in appliance redeems the ticket through
/// the service, as a real one would over RADIUS.
async fn vpn(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    query: Result<Query<VpnQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (ticket, lang) = query.ok().map(|q| (q.0.ticket, q.0.lang)).unwrap_or_default();
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = pages::Lang::pick(lang.as_deref(), accept);
    let ticket = ticket.unwrap_or_default();
    let result = blocking(move || Ok(app.login.redeem(&ticket, &app.audience, None, Via::Http))).await;
    let (status, html) = match result {
        Ok(Decision::Accepted(session)) => {
            (StatusCode::OK, pages::vpn_welcome(&session.user, session.ends_at, lang))
        }
        Ok(Decision::Refused(mx::Error::Ticket(t))) => {
            (StatusCode::FORBIDDEN, pages::vpn_refused(t.as_str(), lang))
        }
        Ok(Decision::Unavailable) => return ApiError::unavailable().into_response(),
        Ok(Decision::Internal) => return ApiError::internal().into_response(),
        // Suspended, outside the period, another user's: one refusal.
        Ok(_) => (StatusCode::FORBIDDEN, pages::vpn_refused("refused", lang)),
        Err(e) => return e.into_response(),
    };
    (status, no_store(), Html(html)).into_response()
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
pub const EMBEDDED_WASM: &[u8] = include_bytes!("../../../../wasm/pkg/web/matrixauth_bg.wasm");
const EMBEDDED_JS: &[u8] = include_bytes!("../../../../wasm/pkg/web/matrixauth.js");
const EMBEDDED_DTS: &[u8] = include_bytes!("../../../../wasm/pkg/web/matrixauth.d.ts");

/// The router: pages, API, appliance stand-in.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Html(pages::LOGIN_HTML) }))
        .route("/enroll", get(|| async { Html(pages::ENROLL_HTML) }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/static/{name}", get(pages::static_file))
        .route("/pkg/{name}", get(pkg_file))
        .route("/api/policy", get(api_policy))
        .route("/api/challenge", post(api_challenge))
        .route("/api/verify", post(api_verify))
        .route("/api/invitation", post(api_invitation))
        .route("/api/enroll", post(api_enroll))
        .route("/vpn", get(vpn))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(fed::routes())
        .merge(terminal::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), request_guard))
        .layer(axum::middleware::from_fn(request_timeout))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), security_headers))
        .with_state(app)
}

/// Liveness: 200 while the process serves requests.
async fn healthz() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], "ok\n").into_response()
}

/// How long `/readyz` waits for the database.
pub const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Readiness: 200 when the database answers (within [`READY_TIMEOUT`]) and
/// the keys are loaded (the login service holds them from its start), 503
/// otherwise. The reason is in the body, no detail of the error.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    let store = app.login.store_handle();
    let check = tokio::task::spawn_blocking(move || store.schema_version());
    let ready = matches!(tokio::time::timeout(READY_TIMEOUT, check).await, Ok(Ok(Ok(_))));
    let (status, body) = if ready {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    };
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// The client of a request from `peer` (past the `trusted` proxies'
/// `X-Forwarded-For`) if it is in `allow`; `None` when it is not, or when a
/// proxy not trusted put the request through (its client is unknown).
pub(crate) fn allowed_client(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[crate::net::Cidr],
    allow: &[crate::net::Cidr],
) -> Option<std::net::IpAddr> {
    let forwarded: Vec<String> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let proxied = !forwarded.is_empty() || headers.contains_key(header::FORWARDED);
    peer.and_then(|peer| {
        if proxied && !trusted.iter().any(|c| c.contains(peer)) {
            return None;
        }
        let joined = (!forwarded.is_empty()).then(|| forwarded.join(","));
        let client = crate::net::client_address(peer, joined.as_deref(), trusted);
        allow.iter().any(|c| c.contains(client)).then_some(client)
    })
}

/// The Prometheus exposition, to `metrics.allow` only; anyone else gets the
/// same 404 as an unknown path (the endpoint's existence is not told).
async fn metrics(State(app): State<Arc<App>>, req: axum::extract::Request) -> Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    if allowed_client(peer, req.headers(), &app.trusted_proxies, &app.metrics_allow).is_none() {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page").into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        crate::metrics::global().render(),
    )
        .into_response()
}

/// Whether a request is for the monitoring endpoints, which answer any
/// `Host` (a monitoring server polls an address, not the portal's name):
/// they serve no page a browser could be turned against.
fn monitoring(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
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
    if let Some(host) = headers.get(header::HOST)
        && !monitoring(req.uri().path())
    {
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
    // The federation doors' entry points are GETs from other sites that park a flow and claim a
    // single-use row: rate-limited like the API's POSTs.
    // HEAD runs the GET handler (axum) and is counted alike.
    let counted_get = (req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD)
        && fed::counted_get(req.uri().path());
    if req.method() == axum::http::Method::POST || counted_get {
        // An SP's form and a relying party's back channel come from other sites by design.
        let cross_site = counted_get || fed::cross_site_post(req.uri().path());
        let json = cross_site
            || headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
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
        let same_origin = cross_site
            || headers
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
        // Every X-Forwarded-For line, in order, as one list (RFC 9110 §5.3): a proxy that adds
        // its own line (HAProxy's `option forwardfor`) comes after the client's.
        // Read lossily: a line that is not plain ASCII (a client's junk in front of what the proxy
        // appended) still yields its right-most entries.
        let lines: Vec<String> = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let forwarded = (!lines.is_empty()).then(|| lines.join(","));
        if let Some(axum::extract::ConnectInfo(peer)) = peer
            && let client = crate::net::client_address(peer.ip(), forwarded.as_deref(), &app.trusted_proxies)
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

/// `Strict-Transport-Security` on answers served over HTTPS: a year, this
/// host only (other names under the same domain may not have HTTPS).
pub const HSTS: &str = "max-age=31536000";

async fn security_headers(
    State(app): State<Arc<App>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Only over HTTPS (RFC 6797 §7.2: a browser ignores it over HTTP anyway, and a plain
    // listener behind a proxy cannot know what the browser used).
    let https = req.extensions().get::<listen::Https>().is_some();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    // A page with its own policy (the federation's auto-posting pages) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, app.csp.clone());
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The ticket travels in the /vpn URL: never leak it in a Referer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}
