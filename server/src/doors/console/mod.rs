//! The console's door (SPEC §15, issue 23): server-rendered pages at
//! `/console` for roles, maintenance requests and reports, approvals,
//! administration and the audit log.
//!
//! Like every door it translates HTTP into calls of the login service and
//! decides nothing: each page and form calls one service function as the
//! logged-in user ([`Who::User`]), which checks the user's roles and audits
//! the change with them as its actor. What is HTTP's own lives here: the
//! allowed networks (`console.allow`; elsewhere the console answers 404),
//! the session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS, idle
//! timeout and absolute lifetime: [`session`]), the CSRF token of every form
//! and the same-origin check of every POST.
//!
//! The console login is the user's own matrix login: the grid (or the card
//! cells) is drawn by the server, so it needs no JavaScript either. Only a
//! user who must log in from a registered terminal (SPEC §16), and every id
//! that looks so (decoy options), passes a WebAuthn step first, as on the
//! portal: the page carries the request options, a small script has the
//! browser's passkey answer them and posts the assertion back; the service
//! checks it and the server draws the grid as before.

pub mod pages;
pub mod session;
mod terminals;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Extension, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::doors::http::allowed_client;
use crate::doors::http::listen::Https;
use crate::login::acting::{ActError, Action, Actor, AuditFilter, Who};
use crate::login::requests::{ReportFields, RequestFields, RequestState};
use crate::login::{Decision, Login, Prompt, Terminal, TerminalOptions, Via};
use crate::net::Cidr;
use pages::{Frame, Lang};
use session::{Expired, Session, Sessions};

/// The idle timeout by default (seconds): 15 minutes.
pub const DEFAULT_IDLE_SECONDS: u64 = 15 * 60;
/// The absolute lifetime of a session by default (seconds): 8 hours.
pub const DEFAULT_MAX_SECONDS: u64 = 8 * 3600;
/// Largest form accepted (bytes): a request's eight fields of up to 4000 characters each,
/// Japanese (3 bytes each in UTF-8, 9 once percent-encoded), fit.
pub const MAX_FORM: usize = 512 * 1024;
/// The audit page and its exports read this far back when no start is given (31 days).
pub const AUDIT_DEFAULT_DAYS: u64 = 31;
/// Audit lines shown on the audit page at most (the newest).
pub const AUDIT_PAGE_LINES: usize = 500;

/// How to build the console.
pub struct Settings {
    /// The client networks the console answers (`console.allow`); others get 404.
    pub allow: Vec<Cidr>,
    /// Seconds a session may go unused (`console.idle_seconds`).
    pub idle_seconds: u64,
    /// Seconds a session lives at most (`console.max_seconds`).
    pub max_seconds: u64,
    /// The origins browsers reach the server at (the portal's): every POST
    /// must carry one in `Origin`, and `Host` must be one of theirs. The
    /// first is the address in invitation links.
    pub origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<Cidr>,
    /// Login posts (user id, answer) per client address: the portal's API rate
    /// (`http.api_rate`); 0 turns it off.
    pub login_rate: crate::doors::http::ApiRate,
}

/// The console.
pub struct Console {
    login: Arc<Login>,
    allow: Vec<Cidr>,
    origins: Vec<String>,
    hosts: Vec<String>,
    trusted_proxies: Vec<Cidr>,
    sessions: Sessions,
    login_rate: crate::doors::http::rate::RateLimiter,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

impl Console {
    /// The console over `login`; fails on an invalid origin or timeout.
    pub fn new(login: Arc<Login>, settings: Settings) -> Result<Arc<Console>, String> {
        if settings.idle_seconds == 0 || settings.max_seconds == 0 {
            return Err("console.idle_seconds and console.max_seconds must be at least 1".to_owned());
        }
        if settings.origins.is_empty() {
            return Err("the console needs at least one origin".to_owned());
        }
        let mut origins = Vec::new();
        let mut hosts = Vec::new();
        for o in &settings.origins {
            let (origin, host) = crate::doors::http::parse_origin(o)?;
            origins.push(origin);
            hosts.push(host);
        }
        Ok(Arc::new(Console {
            login,
            allow: settings.allow,
            origins,
            hosts,
            trusted_proxies: settings.trusted_proxies,
            sessions: Sessions::new(settings.idle_seconds, settings.max_seconds),
            login_rate: crate::doors::http::rate::RateLimiter::new(
                settings.login_rate.per_minute,
                settings.login_rate.burst,
            ),
        }))
    }
}

/// What the guard learnt of a request, for its handler (no `Debug`: it
/// holds the session cookie's token).
#[derive(Clone)]
struct Meta {
    lang: Lang,
    https: bool,
    /// The session cookie's token.
    token: Option<String>,
    session: Result<Session, Expired>,
}

/// The console's routes (merged into the portal's router by `serve`).
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/login", get(login_page).post(login_user))
        .route("/console/login/terminal", post(login_terminal))
        .route("/console/login/answer", post(login_answer))
        .route("/console/logout", post(logout))
        .route("/console/users", get(users_page))
        .route("/console/users/{action}", post(users_action))
        .route("/console/users/{user}/terminals", get(terminals::terminals_page))
        .route("/console/users/{user}/terminals/{action}", post(terminals::terminals_action))
        .route("/console/requests", get(requests_page).post(file_request))
        .route("/console/requests.csv", get(requests_csv))
        .route("/console/requests/{id}", get(request_page))
        .route("/console/requests/{id}/{action}", post(request_action))
        .route("/console/audit", get(audit_page))
        .route("/console/audit.csv", get(audit_csv))
        .route("/console/audit.jsonl", get(audit_jsonl))
        .route("/console/off", get(off_page).post(off_action))
        .route("/console/static/{name}", get(static_file))
        .layer(DefaultBodyLimit::max(MAX_FORM))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&console), guard))
        .with_state(console)
}

fn not_found() -> Response {
    // The portal's own 404: nothing tells that a console exists here.
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_TYPE, "application/json")],
        r#"{"error":"not_found","message":"no such page"}"#,
    )
        .into_response()
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Before any handler: the allowed networks (404 elsewhere), the `Host`,
/// the `Origin` of a POST, the session and the language; after: the
/// security headers and no caching.
async fn guard(
    State(con): State<Arc<Console>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers();
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|ci| ci.0.ip());
    let Some(client) = allowed_client(peer, headers, &con.trusted_proxies, &con.allow) else {
        return not_found();
    };
    let host_ok = headers.get(header::HOST).is_none_or(|h| {
        h.to_str().is_ok_and(|h| con.hosts.iter().any(|known| known.eq_ignore_ascii_case(h)))
    });
    if !host_ok {
        return (StatusCode::MISDIRECTED_REQUEST, "this server does not answer for that host name\n")
            .into_response();
    }
    if req.method() == axum::http::Method::POST {
        let same_origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|o| con.origins.iter().any(|known| known.eq_ignore_ascii_case(o)));
        if !same_origin {
            return (StatusCode::FORBIDDEN, "the request must come from the console's own pages (Origin)\n")
                .into_response();
        }
        // The login's posts are limited per address as the portal's API is (the lockout counts
        // per user; this bounds how many ids one address can try, and the decoys it leaves).
        if req.uri().path().starts_with("/console/login")
            && let Err(retry_after) = con.login_rate.check(client, std::time::Instant::now())
        {
            let mut res = (
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many login attempts from this address; retry in {retry_after} s\n"),
            )
                .into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return res;
        }
    }
    let query_lang = req
        .uri()
        .query()
        .and_then(|query| query.split('&').find_map(|kv| kv.strip_prefix("lang=")))
        .filter(|l| *l == "ja" || *l == "en")
        .map(str::to_owned);
    let lang = Lang::pick(
        query_lang.as_deref(),
        session::cookie(headers, "mx_console_lang"),
        headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    );
    let https = req.extensions().get::<Https>().is_some();
    let token = session::cookie(headers, session::COOKIE).map(str::to_owned);
    let now = con.login.now();
    let session = con.sessions.touch(token.as_deref(), now);
    req.extensions_mut().insert(Meta { lang, https, token, session });
    let mut res = match tokio::time::timeout(crate::doors::http::REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "the request took too long\n").into_response(),
    };
    let h = res.headers_mut();
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(crate::doors::http::HSTS));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // `same-origin`, not the portal's `no-referrer`: under `no-referrer` Chromium sends
    // `Origin: null` with the console's own form posts, which the Origin check then refuses.
    // No console URL carries a secret, and nothing goes to other sites.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(l) = query_lang {
        let value = format!(
            "mx_console_lang={l}; Path=/console; SameSite=Strict{}",
            if https { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.append(header::SET_COOKIE, v);
        }
    }
    res
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// Asks the service as the logged-in actor, off the async runtime: its answer, or the reply to
/// its refusal (500 when the blocking task failed).
async fn as_actor<T: Send + 'static>(
    con: &Console,
    meta: &Meta,
    sess: &Session,
    act: &Actor,
    f: impl FnOnce(&Login, Who<'_>) -> Result<T, ActError> + Send + 'static,
) -> Result<T, Response> {
    let (login, me) = (Arc::clone(&con.login), sess.user.clone());
    match blocking(move || f(&login, Who::User(&me))).await {
        Some(Ok(v)) => Ok(v),
        Some(Err(err)) => Err(refused(meta, act, &sess.csrf, &err)),
        None => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

fn to_login(expired: Expired) -> Response {
    match expired {
        Expired::Idle => Redirect::to("/console/login?expired=idle").into_response(),
        Expired::Absolute => Redirect::to("/console/login?expired=absolute").into_response(),
        Expired::None => Redirect::to("/console/login").into_response(),
    }
}

/// The logged-in actor of a request, as the service sees them now (a
/// suspended or removed user's session ends here), or the way to the login.
async fn actor(con: &Arc<Console>, meta: &Meta) -> Result<(Session, Actor), Response> {
    let sess = meta.session.clone().map_err(to_login)?;
    let (login, user) = (Arc::clone(&con.login), sess.user.clone());
    match blocking(move || login.actor(Who::User(&user))).await {
        // The enrolment that logged in, not another one under the same id since.
        Some(Ok(act)) if act.enrolment == Some(sess.enrolment) => Ok((sess, act)),
        Some(Ok(_) | Err(ActError::Forbidden)) => {
            if let Some(t) = &meta.token {
                con.sessions.end(t);
            }
            Err(to_login(Expired::None))
        }
        _ => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
    }
}

/// Ends this node's sessions of the users the service refuses now: after a suspension or a
/// removal made here, an idle session would otherwise outlive a suspension lifted before its
/// next click.
async fn end_refused(con: &Arc<Console>) {
    let login = Arc::clone(&con.login);
    let users = con.sessions.users();
    let refused = blocking(move || {
        users
            .into_iter()
            .filter(|u| matches!(login.actor(Who::User(u)), Err(ActError::Forbidden)))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for user in refused {
        con.sessions.end_user(&user);
    }
}

fn frame<'a>(
    meta: &Meta,
    actor: Option<&'a Actor>,
    csrf: &'a str,
    flash: Option<(bool, String)>,
) -> Frame<'a> {
    Frame { lang: meta.lang, actor, csrf, flash }
}

/// The reply to a refused act.
fn refused(meta: &Meta, actor: &Actor, csrf: &str, err: &ActError) -> Response {
    let l = meta.lang;
    let (status, text) = match err {
        ActError::Forbidden => (StatusCode::FORBIDDEN, l.t("forbidden").to_owned()),
        ActError::NotFound => (StatusCode::NOT_FOUND, l.t("not_found").to_owned()),
        ActError::Refused(msg) => (StatusCode::BAD_REQUEST, msg.clone()),
        ActError::Failed(msg) => {
            crate::warn!("matrixauth console: {msg}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log".to_owned())
        }
    };
    let f = frame(meta, Some(actor), csrf, Some((false, text.clone())));
    html(status, pages::message(&f, &text))
}

fn bad_csrf(meta: &Meta) -> Response {
    let f = frame(meta, None, "", Some((false, meta.lang.t("bad_csrf").to_owned())));
    html(StatusCode::FORBIDDEN, pages::message(&f, meta.lang.t("bad_csrf")))
}

/// Checks the session's CSRF token against the form's.
fn csrf_ok(sess: &Session, form: Option<&str>) -> bool {
    form.is_some_and(|f| session::same(&sess.csrf, f))
}

fn done(to: &str) -> Response {
    Redirect::to(&format!("{to}?ok=1")).into_response()
}

#[derive(Deserialize, Default)]
struct PageQuery {
    ok: Option<String>,
    expired: Option<String>,
}

fn flash_of(meta: &Meta, query: &PageQuery) -> Option<(bool, String)> {
    query.ok.as_ref().map(|_| (true, meta.lang.t("saved").to_owned()))
}

async fn home(Extension(meta): Extension<Meta>) -> Response {
    match meta.session {
        Ok(_) => Redirect::to("/console/requests").into_response(),
        Err(err) => to_login(err),
    }
}

async fn static_file(Path(name): Path<String>) -> Response {
    let (ct, body) = match name.as_str() {
        "console.css" => ("text/css; charset=utf-8", pages::CSS),
        "console.js" => ("text/javascript; charset=utf-8", pages::JS),
        "console-terminal.js" => ("text/javascript; charset=utf-8", pages::TERMINAL_JS),
        _ => return not_found(),
    };
    ([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

// ---- login ----------------------------------------------------------------------------------

fn login_form(meta: &Meta, flash: Option<(bool, String)>, status: StatusCode) -> Response {
    let Some(token) = session::random_token() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let f = frame(meta, None, &token, flash);
    let mut res = html(status, pages::login_user(&f));
    let cookie = session::set_cookie(session::LOGIN_COOKIE, &token, meta.https, Some(900));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn login_page(
    Extension(meta): Extension<Meta>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    if meta.session.is_ok() {
        return Redirect::to("/console/requests").into_response();
    }
    let query = query.ok().map(|query| query.0).unwrap_or_default();
    let flash = match query.expired.as_deref() {
        Some("idle") => Some((false, meta.lang.t("expired_idle").to_owned())),
        Some("absolute") => Some((false, meta.lang.t("expired_absolute").to_owned())),
        _ => None,
    };
    login_form(&meta, flash, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginUser {
    user: String,
    csrf: Option<String>,
}

fn login_csrf_ok(headers: &HeaderMap, form: Option<&str>) -> bool {
    match (session::cookie(headers, session::LOGIN_COOKIE), form) {
        (Some(con), Some(f)) => session::same(con, f),
        _ => false,
    }
}

/// The first step of a login: the WebAuthn options of the terminal step, or the challenge.
enum Step {
    Terminal(String, serde_json::Value),
    Challenge(Decision),
}

async fn login_user(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    headers: HeaderMap,
    form: Result<Form<LoginUser>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !login_csrf_ok(&headers, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    let csrf = form.csrf.clone().unwrap_or_default();
    let login = Arc::clone(&con.login);
    let user = form.user.clone();
    // Registered terminals (SPEC §16), as the portal asks: a user who needs one, and an unknown
    // id whenever such a user could (decoy options of the same shape), gets the WebAuthn step.
    let Some(step) = blocking(move || match login.terminal_options(&user) {
        Ok(TerminalOptions::NotRequired) => Step::Challenge(login.challenge(&user, Via::Http)),
        Ok(TerminalOptions::Assertion { state, options }) => Step::Terminal(state, options),
        Err(decision) => Step::Challenge(decision),
    })
    .await
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let decision = match step {
        Step::Challenge(decision) => decision,
        Step::Terminal(state, mut options) => {
            let public_key =
                options.get_mut("publicKey").map_or(serde_json::Value::Null, serde_json::Value::take);
            let f = frame(&meta, None, &csrf, None);
            return html(
                StatusCode::OK,
                pages::login_terminal(&f, &form.user, &state, &public_key.to_string()),
            );
        }
    };
    challenge_reply(&meta, &csrf, &form.user, decision)
}

/// The grid (or the card's cells) of a challenge, or the login form again.
fn challenge_reply(meta: &Meta, csrf: &str, user: &str, decision: Decision) -> Response {
    let f = frame(meta, None, csrf, None);
    match decision {
        Decision::Prompt(Prompt::Grid { token, matrix, .. }) => {
            html(StatusCode::OK, pages::login_grid(&f, user, &token, Some(&matrix.rows()), &[]))
        }
        Decision::Prompt(Prompt::Card { token, cells, .. }) => {
            html(StatusCode::OK, pages::login_grid(&f, user, &token, None, &cells))
        }
        Decision::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => login_form(meta, Some((false, meta.lang.t("login_failed").to_owned())), StatusCode::FORBIDDEN),
    }
}

#[derive(Deserialize)]
struct LoginTerminal {
    user: String,
    state: String,
    credential: String,
    csrf: Option<String>,
}

/// The terminal step's assertion: the grid when the service accepts it (a refused one counts
/// toward the lockout as a wrong answer; the same reply for every id).
async fn login_terminal(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    headers: HeaderMap,
    form: Result<Form<LoginTerminal>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !login_csrf_ok(&headers, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    let csrf = form.csrf.clone().unwrap_or_default();
    let login = Arc::clone(&con.login);
    let (user, state, credential) = (form.user.clone(), form.state, form.credential);
    let Some(decision) = blocking(move || {
        let proof = Terminal::Assertion { state: &state, credential: &credential };
        login.challenge_with_terminal(&user, Via::Http, proof)
    })
    .await
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    challenge_reply(&meta, &csrf, &form.user, decision)
}

#[derive(Deserialize)]
struct LoginAnswer {
    user: String,
    token: String,
    answer: zeroize::Zeroizing<String>,
    csrf: Option<String>,
}

async fn login_answer(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    headers: HeaderMap,
    form: Result<Form<LoginAnswer>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !login_csrf_ok(&headers, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    let login = Arc::clone(&con.login);
    let user = form.user.clone();
    let Some(decision) =
        blocking(move || login.answer(&form.user, Some(&form.token), &form.answer, Via::Http, None)).await
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A right answer outside the user's access windows opens the console (where a vendor files
    // the request for their next window, and the report of the last one), never the VPN.
    match decision {
        Decision::Accepted(_) | Decision::OutsideWindow => {}
        Decision::Unavailable => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => {
            return login_form(
                &meta,
                Some((false, meta.lang.t("login_failed").to_owned())),
                StatusCode::FORBIDDEN,
            );
        }
    }
    // The session is bound to the enrolment that answered.
    let login = Arc::clone(&con.login);
    let u = user.clone();
    let enrolment = match blocking(move || login.actor(Who::User(&u))).await {
        Some(Ok(act)) => act.enrolment,
        _ => None,
    };
    let Some(enrolment) = enrolment else {
        return login_form(
            &meta,
            Some((false, meta.lang.t("login_failed").to_owned())),
            StatusCode::FORBIDDEN,
        );
    };
    let now = con.login.now();
    let Some(token) = con.sessions.start(&user, enrolment, now) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let login = Arc::clone(&con.login);
    let u = user.clone();
    let _ = blocking(move || login.console_event(&u, "login")).await;
    let mut res = Redirect::to("/console/requests").into_response();
    let h = res.headers_mut();
    for cookie in [
        session::set_cookie(session::COOKIE, &token, meta.https, None),
        session::set_cookie(session::LOGIN_COOKIE, "", meta.https, Some(0)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: Option<String>,
}

async fn logout(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    form: Result<Form<CsrfOnly>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(sess) = meta.session.clone() else { return to_login(Expired::None) };
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf_ok(&sess, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    if let Some(t) = &meta.token {
        con.sessions.end(t);
    }
    let login = Arc::clone(&con.login);
    let _ = blocking(move || login.console_event(&sess.user, "logout")).await;
    let mut res = Redirect::to("/console/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(session::COOKIE, "", meta.https, Some(0))) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// ---- users ----------------------------------------------------------------------------------

async fn users_page(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match as_actor(&con, &meta, &sess, &act, Login::users_view).await {
        Ok(list) => {
            let flash = flash_of(&meta, &query.ok().map(|query| query.0).unwrap_or_default());
            let f = frame(&meta, Some(&act), &sess.csrf, flash);
            html(StatusCode::OK, pages::users(&f, &list, act.may(Action::ManageUsers)))
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct UserForm {
    csrf: Option<String>,
    user: Option<String>,
    hours: Option<u64>,
    role_admin: Option<String>,
    role_approver: Option<String>,
    role_auditor: Option<String>,
}

impl UserForm {
    fn roles(&self) -> Vec<String> {
        [("admin", &self.role_admin), ("approver", &self.role_approver), ("auditor", &self.role_auditor)]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(r, _)| (*r).to_owned())
            .collect()
    }
}

/// What a users form asked for, done as the actor.
enum UserDone {
    Back,
    Invited(String, zeroize::Zeroizing<String>, u64),
    Card(String, String, zeroize::Zeroizing<String>),
}

async fn users_action(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    Path(action): Path<String>,
    form: Result<Form<UserForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf_ok(&sess, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    let user = form.user.clone().unwrap_or_default();
    let roles = form.roles();
    let hours = form.hours.unwrap_or(crate::login::invite::DEFAULT_HOURS);
    let cuts_off = matches!(action.as_str(), "suspend" | "remove");
    let result = as_actor(&con, &meta, &sess, &act, move |login, who| {
        let none = |found: bool| if found { Ok(UserDone::Back) } else { Err(ActError::NotFound) };
        match action.as_str() {
            "unlock" => login.unlock_as(who, &user).and_then(none),
            "suspend" => login.suspend_as(who, &user).map(|_| UserDone::Back),
            "resume" => login.resume_as(who, &user).map(|_| UserDone::Back),
            "remove" => login.remove_as(who, &user).and_then(none),
            "roles" => login.set_roles_as(who, &user, &roles).and_then(none),
            "invite" => login
                .invite_as(who, &user, hours, &roles)
                .map(|(token, expires)| UserDone::Invited(user.clone(), token, expires)),
            "card" => login
                .issue_card_as(who, &user)
                .map(|card| UserDone::Card(user.clone(), card.serial().to_owned(), card.render_svg())),
            _ => Err(ActError::NotFound),
        }
    })
    .await;
    if cuts_off && result.is_ok() {
        end_refused(&con).await;
    }
    match result {
        Ok(UserDone::Back) => done("/console/users"),
        Ok(UserDone::Invited(user, token, expires)) => {
            let origin = con.origins.first().cloned().unwrap_or_default();
            let link = crate::login::invite::link(&origin, &token);
            let qr = qrcode::QrCode::new(link.as_bytes())
                .map(|query| {
                    query.render::<qrcode::render::svg::Color<'_>>().min_dimensions(256, 256).build()
                })
                .unwrap_or_default();
            let f = frame(&meta, Some(&act), &sess.csrf, None);
            html(StatusCode::OK, pages::invited(&f, &user, &link, expires, &qr))
        }
        Ok(UserDone::Card(user, serial, svg)) => {
            let f = frame(&meta, Some(&act), &sess.csrf, None);
            html(StatusCode::OK, pages::card(&f, &user, &serial, &svg))
        }
        Err(r) => r,
    }
}

// ---- requests -------------------------------------------------------------------------------

async fn requests_page(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match as_actor(&con, &meta, &sess, &act, Login::requests_view).await {
        Ok(list) => {
            let flash = flash_of(&meta, &query.ok().map(|query| query.0).unwrap_or_default());
            let f = frame(&meta, Some(&act), &sess.csrf, flash);
            let page = pages::requests(
                &f,
                &list,
                act.may(Action::DecideRequests),
                act.may(Action::ReadRequests),
                con.login.now(),
            );
            html(StatusCode::OK, page)
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct RequestForm {
    csrf: Option<String>,
    from: String,
    to: String,
    purpose: String,
    work: String,
    targets: String,
    operator: String,
    manager_approval: String,
    #[serde(default)]
    notes: String,
}

fn time(text: &str) -> Result<u64, ActError> {
    crate::when::parse(text).map_err(ActError::Refused)
}

async fn file_request(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    form: Result<Form<RequestForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf_ok(&sess, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    let result = as_actor(&con, &meta, &sess, &act, move |login, who| {
        let fields = RequestFields {
            starts_at: time(&form.from)?,
            ends_at: time(&form.to)?,
            purpose: form.purpose,
            work: form.work,
            targets: form.targets,
            operator: form.operator,
            manager_approval: form.manager_approval,
            notes: form.notes,
        };
        login.file_request(who, &fields)
    })
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/console/requests/{id}?ok=1")).into_response(),
        Err(r) => r,
    }
}

async fn request_page(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return refused(&meta, &act, &sess.csrf, &ActError::NotFound) };
    match as_actor(&con, &meta, &sess, &act, move |login, who| login.request_view(who, id)).await {
        Ok(v) => {
            let can_report = v.row.vendor == act.name
                && v.row.state == Some(RequestState::Approved)
                && con.login.now() >= v.row.fields.starts_at;
            let flash = flash_of(&meta, &query.ok().map(|query| query.0).unwrap_or_default());
            let f = frame(&meta, Some(&act), &sess.csrf, flash);
            html(StatusCode::OK, pages::request(&f, &v, can_report))
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: Option<String>,
    reason: Option<String>,
    actual_from: Option<String>,
    actual_to: Option<String>,
    done: Option<String>,
    result: Option<String>,
    follow_up: Option<String>,
}

async fn request_action(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<DecisionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf_ok(&sess, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    let Ok(id) = id.parse::<i64>() else { return refused(&meta, &act, &sess.csrf, &ActError::NotFound) };
    let result = as_actor(&con, &meta, &sess, &act, move |login, who| match action.as_str() {
        "approve" => login.approve_request(who, id).map(|_| ()),
        "reject" => login.reject_request(who, id, form.reason.as_deref().unwrap_or_default()),
        "report" => {
            let report = ReportFields {
                actual_from: time(form.actual_from.as_deref().unwrap_or_default())?,
                actual_to: time(form.actual_to.as_deref().unwrap_or_default())?,
                done: form.done.unwrap_or_default(),
                result: form.result.unwrap_or_default(),
                follow_up: form.follow_up.unwrap_or_default(),
            };
            login.report_request(who, id, &report)
        }
        _ => Err(ActError::NotFound),
    })
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/console/requests/{id}?ok=1")).into_response(),
        Err(r) => r,
    }
}

fn download(content_type: &'static str, name: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn requests_csv(State(con): State<Arc<Console>>, Extension(meta): Extension<Meta>) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match as_actor(&con, &meta, &sess, &act, Login::export_requests_csv).await {
        Ok(text) => {
            download("text/csv; charset=utf-8", "attachment; filename=\"matrixauth-requests.csv\"", text)
        }
        Err(r) => r,
    }
}

// ---- audit ----------------------------------------------------------------------------------

/// The filter of the audit page: without a start, the last [`AUDIT_DEFAULT_DAYS`] days (a page
/// view never reads a year of lines).
fn filter_of(query: &pages::AuditQuery, now: u64) -> Result<AuditFilter, ActError> {
    let some = |v: &Option<String>| v.clone().filter(|text| !text.trim().is_empty());
    Ok(AuditFilter {
        user: some(&query.user),
        event: some(&query.kind),
        door: some(&query.door),
        from: Some(match some(&query.from) {
            Some(t) => time(&t)?,
            None => now.saturating_sub(AUDIT_DEFAULT_DAYS * 86_400),
        }),
        to: some(&query.to).map(|t| time(&t)).transpose()?,
    })
}

async fn audit_page(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    query: Result<Query<pages::AuditQuery>, QueryRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let query = query.ok().map(|query| query.0).unwrap_or_default();
    let filter = match filter_of(&query, con.login.now()) {
        Ok(f) => f,
        Err(err) => return refused(&meta, &act, &sess.csrf, &err),
    };
    match as_actor(&con, &meta, &sess, &act, move |login, who| {
        login.audit_view(who, &filter, AUDIT_PAGE_LINES)
    })
    .await
    {
        Ok(lines) => {
            let f = frame(&meta, Some(&act), &sess.csrf, None);
            html(StatusCode::OK, pages::audit(&f, &query, &lines))
        }
        Err(r) => r,
    }
}

async fn audit_export(con: Arc<Console>, meta: Meta, query: pages::AuditQuery, csv: bool) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let filter = match filter_of(&query, con.login.now()) {
        Ok(f) => f,
        Err(err) => return refused(&meta, &act, &sess.csrf, &err),
    };
    match as_actor(&con, &meta, &sess, &act, move |login, who| login.audit_export_as(who, &filter, csv)).await
    {
        Ok(text) if csv => {
            download("text/csv; charset=utf-8", "attachment; filename=\"matrixauth-audit.csv\"", text)
        }
        Ok(text) => download(
            "application/x-ndjson; charset=utf-8",
            "attachment; filename=\"matrixauth-audit.jsonl\"",
            text,
        ),
        Err(r) => r,
    }
}

async fn audit_csv(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    query: Result<Query<pages::AuditQuery>, QueryRejection>,
) -> Response {
    audit_export(con, meta, query.ok().map(|query| query.0).unwrap_or_default(), true).await
}

async fn audit_jsonl(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    query: Result<Query<pages::AuditQuery>, QueryRejection>,
) -> Response {
    audit_export(con, meta, query.ok().map(|query| query.0).unwrap_or_default(), false).await
}

// ---- everyone off ---------------------------------------------------------------------------

async fn off_page(State(con): State<Arc<Console>>, Extension(meta): Extension<Meta>) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !act.may(Action::SuspendResume) {
        // Asked of the service, which audits the refusal.
        let login = Arc::clone(&con.login);
        let me = sess.user.clone();
        let _ = blocking(move || login.authorize(Who::User(&me), Action::SuspendResume)).await;
        return refused(&meta, &act, &sess.csrf, &ActError::Forbidden);
    }
    let f = frame(&meta, Some(&act), &sess.csrf, None);
    html(StatusCode::OK, pages::off(&f))
}

#[derive(Deserialize)]
struct OffForm {
    csrf: Option<String>,
    action: String,
    confirm: Option<String>,
}

async fn off_action(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    form: Result<Form<OffForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf_ok(&sess, form.csrf.as_deref()) {
        return bad_csrf(&meta);
    }
    if form.confirm.as_deref() != Some("yes") {
        let err = ActError::Refused(meta.lang.t("off_confirm").to_owned());
        return refused(&meta, &act, &sess.csrf, &err);
    }
    let cuts_off = form.action == "suspend";
    let result = as_actor(&con, &meta, &sess, &act, move |login, who| match form.action.as_str() {
        "suspend" => login.suspend_vendors_as(who),
        "resume" => login.resume_vendors_as(who),
        _ => Err(ActError::NotFound),
    })
    .await;
    if cuts_off && result.is_ok() {
        end_refused(&con).await;
    }
    match result {
        Ok(n) => {
            let text = format!("{n} {}", meta.lang.t("done_n"));
            let f = frame(&meta, Some(&act), &sess.csrf, Some((true, text.clone())));
            html(StatusCode::OK, pages::off(&f))
        }
        Err(r) => r,
    }
}
