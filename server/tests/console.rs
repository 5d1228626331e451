//! The console's door (issue 23) through its router: the login with the
//! user's own grid, the session cookie and its timeouts, CSRF and Origin,
//! the allowed networks, and every role rule tried from the browser's side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use matrixauth_server::doors::console::{self, Console, Settings};
use matrixauth_server::login::Login;
use matrixauth_server::login::acting::Who;
use matrixauth_server::login::requests::{RequestFields, RequestState};
use matrixauth_server::net::Cidr;
use matrixauth_server::store::{Migrate, Store};
use tower::ServiceExt;

const T0: u64 = 1_800_000_000;
const HOUR: u64 = 3600;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];
const ORIGIN: &str = "http://127.0.0.1:8080";

struct H {
    router: Router,
    login: Arc<Login>,
    clock: Arc<AtomicU64>,
    keyring: mx::Keyring,
    _dir: tempfile::TempDir,
}

fn harness() -> H {
    harness_with(&["127.0.0.0/8", "::1/128"], &[])
}

fn harness_with(allow: &[&str], proxies: &[&str]) -> H {
    let dir = tempfile::tempdir().unwrap();
    let keyring = mx::Keyring::new(&[9; 32], 1).unwrap();
    let store = Store::open(&dir.path().join("db"), keyring.clone(), Migrate::Yes).unwrap();
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let login = common::login(store, keyring.clone(), Arc::new(move || c.load(Ordering::SeqCst)));
    let console = Console::new(
        Arc::clone(&login),
        Settings {
            allow: allow.iter().map(|c| Cidr::parse(c).unwrap()).collect(),
            idle_seconds: console::DEFAULT_IDLE_SECONDS,
            max_seconds: console::DEFAULT_MAX_SECONDS,
            origins: vec![ORIGIN.into()],
            trusted_proxies: proxies.iter().map(|c| Cidr::parse(c).unwrap()).collect(),
            login_rate: matrixauth_server::doors::http::ApiRate { per_minute: 120, burst: 60 },
        },
    )
    .unwrap();
    H { router: console::router(console), login, clock, keyring, _dir: dir }
}

/// A reply: status, headers, body.
struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers.get("location").map_or("", |v| v.to_str().unwrap())
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the first `name="csrf"` field.
    fn csrf(&self) -> String {
        field(&self.body, "csrf").unwrap_or_else(|| panic!("no csrf in {}", self.body))
    }
}

fn field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

struct Call<'a> {
    method: &'a str,
    uri: &'a str,
    cookie: Option<&'a str>,
    form: Option<String>,
    peer: Option<&'a str>,
    origin: Option<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Call<'a> {
    fn get(uri: &'a str, cookie: Option<&'a str>) -> Self {
        Call {
            method: "GET",
            uri,
            cookie,
            form: None,
            peer: Some("127.0.0.1"),
            origin: None,
            headers: Vec::new(),
        }
    }

    fn post(uri: &'a str, cookie: Option<&'a str>, form: &[(&str, &str)]) -> Self {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        Call {
            method: "POST",
            uri,
            cookie,
            form: Some(body.join("&")),
            peer: Some("127.0.0.1"),
            origin: Some(ORIGIN),
            headers: Vec::new(),
        }
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

impl H {
    async fn send(&self, call: Call<'_>) -> Reply {
        let mut req = Request::builder().method(call.method).uri(call.uri).header("host", "127.0.0.1:8080");
        if let Some(c) = call.cookie {
            req = req.header("cookie", c);
        }
        if let Some(o) = call.origin {
            req = req.header("origin", o);
        }
        for (k, v) in &call.headers {
            req = req.header(*k, *v);
        }
        let mut req = match call.form {
            Some(f) => req.header("content-type", "application/x-www-form-urlencoded").body(Body::from(f)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        if let Some(p) = call.peer {
            req.extensions_mut().insert(ConnectInfo(SocketAddr::new(p.parse().unwrap(), 40000)));
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    fn user(&self, user: &str, roles: &[&str]) {
        let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
        let sealed = cred.seal(&self.keyring, user).unwrap();
        assert!(self.login.store().create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap());
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        if !roles.is_empty() {
            assert!(self.login.set_roles(user, &roles, "test").unwrap());
        }
    }

    fn set(&self, t: u64) {
        self.clock.store(t, Ordering::SeqCst);
    }

    /// Logs `user` in through the console's own pages; returns the cookie
    /// header to send and the session's CSRF token.
    async fn log_in(&self, user: &str) -> (String, String) {
        let page = self.send(Call::get("/console/login", None)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let login_cookie = page.cookie("mx_console_login").unwrap();
        let pair = login_cookie.split(';').next().unwrap().to_owned();
        let grid = self
            .send(Call::post("/console/login", Some(&pair), &[("user", user), ("csrf", &page.csrf())]))
            .await;
        self.answer_grid(&pair, user, &grid).await
    }

    /// Answers the grid page `grid` of `user` right; returns the session's cookie and CSRF token.
    async fn answer_grid(&self, pair: &str, user: &str, grid: &Reply) -> (String, String) {
        assert_eq!(grid.status, StatusCode::OK, "{}", grid.body);
        let token = field(&grid.body, "token").unwrap();
        let digits = grid_digits(&grid.body);
        let m = mx::Matrix::from_digits(mx::Geometry::new(8, 8).unwrap(), &digits).unwrap();
        let picked: String = CELLS
            .iter()
            .map(|c| char::from(b'0' + m.get(m.geometry().parse_cell(c).unwrap()).unwrap()))
            .collect();
        let answer = format!("{}pw{}", &picked[..2], &picked[2..]);
        let done = self
            .send(Call::post(
                "/console/login/answer",
                Some(pair),
                &[("user", user), ("token", &token), ("answer", &answer), ("csrf", &grid.csrf())],
            ))
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let session = done.cookie("mx_console").unwrap();
        let cookie = session.split(';').next().unwrap().to_owned();
        let page = self.send(Call::get("/console/requests", Some(&cookie))).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        (cookie, page.csrf())
    }

    fn file(&self, vendor: &str) -> i64 {
        let fields = RequestFields {
            starts_at: T0 + HOUR,
            ends_at: T0 + 2 * HOUR,
            purpose: format!("secret purpose of {vendor}"),
            work: "w".into(),
            targets: "t".into(),
            operator: "o".into(),
            manager_approval: "m".into(),
            notes: String::new(),
        };
        self.login.file_request(Who::User(vendor), &fields).unwrap()
    }

    fn state(&self, id: i64) -> Option<RequestState> {
        self.login.store().request(id).unwrap().unwrap().state
    }
}

fn grid_digits(html: &str) -> Vec<u8> {
    let start = html.find("console-grid").unwrap();
    let end = start + html[start..].find("</table>").unwrap();
    html[start..end]
        .split("<td data-cell=\"")
        .skip(1)
        .map(|cell| {
            let digit = &cell[cell.find("\">").unwrap() + 2..];
            digit[..digit.find('<').unwrap()].parse::<u8>().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_vendor_files_and_an_approver_approves_through_the_pages() {
    let h = harness();
    h.user("acme", &[]);
    h.user("appr", &["approver"]);
    let (vendor, vcsrf) = h.log_in("acme").await;
    let filed = h
        .send(Call::post(
            "/console/requests",
            Some(&vendor),
            &[
                ("csrf", &vcsrf),
                ("from", "2027-01-15T09:00"),
                ("to", "2027-01-15T12:00"),
                ("purpose", "patching"),
                ("work", "apply updates"),
                ("targets", "web01"),
                ("operator", "Taro"),
                ("manager_approval", "Hanako, 2027-01-14"),
                ("notes", ""),
            ],
        ))
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    assert_eq!(filed.location(), "/console/requests/1?ok=1");
    let (approver, acsrf) = h.log_in("appr").await;
    let list = h.send(Call::get("/console/requests", Some(&approver))).await;
    assert!(list.body.contains("/console/requests/1/approve"), "{}", list.body);
    let ok = h.send(Call::post("/console/requests/1/approve", Some(&approver), &[("csrf", &acsrf)])).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(h.state(1), Some(RequestState::Approved));
    assert_eq!(h.login.store().windows("acme").unwrap().len(), 1);
    let approved = h.login.store().audit(None).unwrap();
    assert!(approved.iter().any(|l| l.contains("\"request_approved\"") && l.contains("\"actor\":\"appr\"")));
    assert!(
        approved.iter().any(|l| l.contains("\"event\":\"console\"") && l.contains("\"action\":\"login\""))
    );
    // The vendor sees the state; the page is printable.
    let page = h.send(Call::get("/console/requests/1", Some(&vendor))).await;
    assert!(page.body.contains("承認済み") || page.body.contains("approved"), "{}", page.body);
    assert!(page.body.contains("data-print"));
}

#[tokio::test]
async fn every_form_needs_the_sessions_csrf_token_and_every_post_the_origin() {
    let h = harness();
    h.user("acme", &[]);
    h.user("appr", &["approver"]);
    let id = h.file("acme");
    let (approver, csrf) = h.log_in("appr").await;
    let path = format!("/console/requests/{id}/approve");
    let missing = h.send(Call::post(&path, Some(&approver), &[])).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = h.send(Call::post(&path, Some(&approver), &[("csrf", &"0".repeat(64))])).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // Another session's token is wrong too.
    let (_, other_csrf) = h.log_in("acme").await;
    let other = h.send(Call::post(&path, Some(&approver), &[("csrf", &other_csrf)])).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let mut foreign = Call::post(&path, Some(&approver), &[("csrf", &csrf)]);
    foreign.origin = Some("http://evil.example");
    assert_eq!(h.send(foreign).await.status, StatusCode::FORBIDDEN);
    let mut none = Call::post(&path, Some(&approver), &[("csrf", &csrf)]);
    none.origin = None;
    assert_eq!(h.send(none).await.status, StatusCode::FORBIDDEN);
    assert_eq!(h.state(id), Some(RequestState::Filed), "nothing changed");
    // The login form has its own token (a cookie before any session).
    let page = h.send(Call::get("/console/login", None)).await;
    let pair = page.cookie("mx_console_login").unwrap().split(';').next().unwrap().to_owned();
    let bad = h.send(Call::post("/console/login", Some(&pair), &[("user", "acme"), ("csrf", "x")])).await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
    let no_cookie =
        h.send(Call::post("/console/login", None, &[("user", "acme"), ("csrf", &page.csrf())])).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    // With it all right, it works.
    let right = h.send(Call::post(&path, Some(&approver), &[("csrf", &csrf)])).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(h.state(id), Some(RequestState::Approved));
}

#[tokio::test]
async fn roles_are_enforced_on_every_route_whatever_the_page_shows() {
    let h = harness();
    h.user("acme", &[]);
    h.user("aud", &["auditor"]);
    h.user("victim", &[]);
    let id = h.file("victim");
    let (vendor, vcsrf) = h.log_in("acme").await;
    let (auditor, acsrf) = h.log_in("aud").await;
    // A vendor calling an approver's and an admin's routes.
    let approve = format!("/console/requests/{id}/approve");
    let reject = format!("/console/requests/{id}/reject");
    for (cookie, csrf) in [(&vendor, &vcsrf), (&auditor, &acsrf)] {
        let r = h.send(Call::post(&approve, Some(cookie), &[("csrf", csrf)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = h.send(Call::post(&reject, Some(cookie), &[("csrf", csrf), ("reason", "x")])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        for action in ["suspend", "resume", "unlock", "remove"] {
            let path = format!("/console/users/{action}");
            let r = h.send(Call::post(&path, Some(cookie), &[("csrf", csrf), ("user", "victim")])).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
        }
        let r = h
            .send(Call::post(
                "/console/users/roles",
                Some(cookie),
                &[("csrf", csrf), ("user", "acme"), ("role_admin", "on")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .send(Call::post(
                "/console/users/invite",
                Some(cookie),
                &[("csrf", csrf), ("user", "x"), ("role_admin", "on")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .send(Call::post(
                "/console/off",
                Some(cookie),
                &[("csrf", csrf), ("action", "suspend"), ("confirm", "yes")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        for page in ["/console/users", "/console/off"] {
            assert_eq!(h.send(Call::get(page, Some(cookie))).await.status, StatusCode::FORBIDDEN, "{page}");
        }
    }
    // A vendor reads no audit log and no export; an auditor does.
    for page in ["/console/audit", "/console/audit.csv", "/console/audit.jsonl", "/console/requests.csv"] {
        assert_eq!(h.send(Call::get(page, Some(&vendor))).await.status, StatusCode::FORBIDDEN, "{page}");
        assert_eq!(h.send(Call::get(page, Some(&auditor))).await.status, StatusCode::OK, "{page}");
    }
    assert_eq!(h.state(id), Some(RequestState::Filed));
    let store = h.login.store();
    assert!(store.load("acme").unwrap().unwrap().roles.is_empty());
    assert!(!store.load("victim").unwrap().unwrap().suspended);
    assert!(store.open_invitations(T0).unwrap().is_empty());
}

#[tokio::test]
async fn a_vendor_cannot_read_another_vendors_request_by_its_number() {
    let h = harness();
    h.user("acme", &[]);
    h.user("globex", &[]);
    let theirs = h.file("globex");
    let (vendor, csrf) = h.log_in("acme").await;
    let page = h.send(Call::get(&format!("/console/requests/{theirs}"), Some(&vendor))).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("secret purpose of globex"));
    let none = h.send(Call::get("/console/requests/999", Some(&vendor))).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let list = h.send(Call::get("/console/requests", Some(&vendor))).await;
    assert!(!list.body.contains("secret purpose of globex"));
    h.login.approve_request(Who::Shell("root"), theirs).unwrap();
    h.set(T0 + 3 * HOUR);
    let report = h
        .send(Call::post(
            &format!("/console/requests/{theirs}/report"),
            Some(&vendor),
            &[
                ("csrf", &csrf),
                ("actual_from", "2027-01-15T09:00"),
                ("actual_to", "2027-01-15T10:00"),
                ("done", "d"),
                ("result", "r"),
            ],
        ))
        .await;
    // The session is older than its idle timeout by now: the login page, and nothing reported.
    assert_eq!(report.status, StatusCode::SEE_OTHER);
    let (vendor, csrf) = h.log_in("acme").await;
    let report = h
        .send(Call::post(
            &format!("/console/requests/{theirs}/report"),
            Some(&vendor),
            &[
                ("csrf", &csrf),
                ("actual_from", "2027-01-15T09:00"),
                ("actual_to", "2027-01-15T10:00"),
                ("done", "d"),
                ("result", "r"),
            ],
        ))
        .await;
    assert_eq!(report.status, StatusCode::NOT_FOUND);
    assert_eq!(h.state(theirs), Some(RequestState::Approved));
}

#[tokio::test]
async fn an_approver_cannot_approve_their_own_request_in_the_console() {
    let h = harness();
    h.user("appr", &["approver"]);
    let id = h.file("appr");
    let (cookie, csrf) = h.log_in("appr").await;
    let list = h.send(Call::get("/console/requests", Some(&cookie))).await;
    assert!(!list.body.contains(&format!("/console/requests/{id}/approve")), "not offered");
    let r = h
        .send(Call::post(&format!("/console/requests/{id}/approve"), Some(&cookie), &[("csrf", &csrf)]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("no one approves their own request"));
    assert_eq!(h.state(id), Some(RequestState::Filed));
    assert!(h.login.store().windows("appr").unwrap().is_empty());
}

#[tokio::test]
async fn the_console_answers_only_the_allowed_networks_and_404_elsewhere() {
    let h = harness();
    h.user("acme", &[]);
    let (cookie, _) = h.log_in("acme").await;
    for peer in ["10.0.0.5", "192.0.2.1", "2001:db8::1"] {
        let mut c = Call::get("/console/login", None);
        c.peer = Some(peer);
        let r = h.send(c).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{peer}");
        assert_eq!(r.body, r#"{"error":"not_found","message":"no such page"}"#);
        let mut c = Call::get("/console/requests", Some(&cookie));
        c.peer = Some(peer);
        assert_eq!(
            h.send(c).await.status,
            StatusCode::NOT_FOUND,
            "a session cookie opens nothing from {peer}"
        );
    }
    let mut c = Call::get("/console/login", None);
    c.peer = None;
    assert_eq!(h.send(c).await.status, StatusCode::NOT_FOUND, "no address known: refused");
    // A proxy that is not trusted cannot vouch for a loopback client.
    let mut c = Call::get("/console/login", None);
    c.peer = Some("10.0.0.5");
    c.headers = vec![("x-forwarded-for", "127.0.0.1")];
    assert_eq!(h.send(c).await.status, StatusCode::NOT_FOUND);
    let mut c = Call::get("/console/login", None);
    c.headers = vec![("x-forwarded-for", "127.0.0.1")];
    assert_eq!(h.send(c).await.status, StatusCode::NOT_FOUND, "a forwarded request from an untrusted peer");
    // console.allow and a trusted proxy.
    let h = harness_with(&["10.1.0.0/16"], &["192.0.2.10"]);
    let mut c = Call::get("/console/login", None);
    c.peer = Some("192.0.2.10");
    c.headers = vec![("x-forwarded-for", "10.1.2.3")];
    assert_eq!(h.send(c).await.status, StatusCode::OK);
    assert_eq!(
        h.send(Call::get("/console/login", None)).await.status,
        StatusCode::NOT_FOUND,
        "loopback is not in the list"
    );
}

#[tokio::test]
async fn sessions_end_after_their_idle_timeout_and_their_absolute_lifetime() {
    let h = harness();
    h.user("acme", &[]);
    let (cookie, _) = h.log_in("acme").await;
    h.set(T0 + console::DEFAULT_IDLE_SECONDS - 1);
    assert_eq!(h.send(Call::get("/console/requests", Some(&cookie))).await.status, StatusCode::OK);
    h.set(T0 + 2 * console::DEFAULT_IDLE_SECONDS - 1);
    let idle = h.send(Call::get("/console/requests", Some(&cookie))).await;
    assert_eq!(idle.status, StatusCode::SEE_OTHER);
    assert_eq!(idle.location(), "/console/login?expired=idle");
    assert_eq!(
        h.send(Call::get("/console/requests", Some(&cookie))).await.location(),
        "/console/login",
        "gone"
    );
    // Used every 10 minutes, a session still ends at its absolute lifetime.
    let start = T0 + HOUR;
    h.set(start);
    let (cookie, _) = h.log_in("acme").await;
    let mut t = start;
    while t + 600 < start + console::DEFAULT_MAX_SECONDS {
        t += 600;
        h.set(t);
        assert_eq!(h.send(Call::get("/console/requests", Some(&cookie))).await.status, StatusCode::OK, "{t}");
    }
    h.set(start + console::DEFAULT_MAX_SECONDS);
    let old = h.send(Call::get("/console/requests", Some(&cookie))).await;
    assert_eq!(old.location(), "/console/login?expired=absolute");
}

#[tokio::test]
async fn the_session_cookie_is_httponly_samesite_strict_and_secure_over_https() {
    let h = harness();
    h.user("acme", &[]);
    let page = h.send(Call::get("/console/login", None)).await;
    let c = page.cookie("mx_console_login").unwrap();
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/console"), "{c}");
    assert!(!c.contains("Secure"), "plain HTTP: {c}");
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    assert!(
        page.headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let mut req = Request::builder()
        .uri("/console/login")
        .header("host", "127.0.0.1:8080")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::new("127.0.0.1".parse().unwrap(), 1)));
    req.extensions_mut().insert(matrixauth_server::doors::http::listen::Https);
    let res = h.router.clone().oneshot(req).await.unwrap();
    let c = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(c.contains("; Secure"), "{c}");
    assert!(res.headers().contains_key("strict-transport-security"));
    // The session cookie, after a login.
    let (cookie, _) = h.log_in("acme").await;
    assert!(cookie.starts_with("mx_console=") && cookie.len() == "mx_console=".len() + 64);
}

#[tokio::test]
async fn a_wrong_answer_or_a_suspended_user_gets_no_session() {
    let h = harness();
    h.user("acme", &[]);
    let page = h.send(Call::get("/console/login", None)).await;
    let pair = page.cookie("mx_console_login").unwrap().split(';').next().unwrap().to_owned();
    let grid =
        h.send(Call::post("/console/login", Some(&pair), &[("user", "acme"), ("csrf", &page.csrf())])).await;
    let token = field(&grid.body, "token").unwrap();
    let wrong = h
        .send(Call::post(
            "/console/login/answer",
            Some(&pair),
            &[("user", "acme"), ("token", &token), ("answer", "00pw0000"), ("csrf", &grid.csrf())],
        ))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.cookie("mx_console").is_none());
    assert_eq!(h.login.store().load("acme").unwrap().unwrap().state.consecutive_failures(), 1, "counted");
    // A session ends when its user is suspended.
    let (cookie, _) = h.log_in("acme").await;
    assert!(h.login.suspend("acme", "test").unwrap());
    assert_eq!(h.send(Call::get("/console/requests", Some(&cookie))).await.location(), "/console/login");
}

#[tokio::test]
async fn everyone_off_asks_for_confirmation_and_is_audited_with_the_approver() {
    let h = harness();
    h.user("appr", &["approver"]);
    h.user("v1", &[]);
    h.user("v2", &[]);
    let (cookie, csrf) = h.log_in("appr").await;
    let page = h.send(Call::get("/console/off", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"confirm\""));
    let unconfirmed =
        h.send(Call::post("/console/off", Some(&cookie), &[("csrf", &csrf), ("action", "suspend")])).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(!h.login.store().load("v1").unwrap().unwrap().suspended);
    let off = h
        .send(Call::post(
            "/console/off",
            Some(&cookie),
            &[("csrf", &csrf), ("action", "suspend"), ("confirm", "yes")],
        ))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert!(off.body.contains("2 "), "{}", off.body);
    let store = h.login.store();
    assert!(store.load("v1").unwrap().unwrap().suspended && store.load("v2").unwrap().unwrap().suspended);
    assert!(!store.load("appr").unwrap().unwrap().suspended);
    let lines = store.audit(None).unwrap();
    assert!(
        lines.iter().any(|l| l.contains("\"suspend_all\"") && l.contains("\"operator\":\"console:appr\""))
    );
    let on = h
        .send(Call::post(
            "/console/off",
            Some(&cookie),
            &[("csrf", &csrf), ("action", "resume"), ("confirm", "yes")],
        ))
        .await;
    assert_eq!(on.status, StatusCode::OK);
    assert!(!store.load("v1").unwrap().unwrap().suspended);
}

#[tokio::test]
async fn an_admin_invites_with_a_qr_code_issues_a_card_and_exports_the_audit_log() {
    let h = harness();
    h.user("boss", &["admin"]);
    let (cookie, csrf) = h.log_in("boss").await;
    let users = h.send(Call::get("/console/users", Some(&cookie))).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.body.contains("data-user=\"boss\""));
    let inv = h
        .send(Call::post(
            "/console/users/invite",
            Some(&cookie),
            &[("csrf", &csrf), ("user", "newappr"), ("hours", "24"), ("role_approver", "on")],
        ))
        .await;
    assert_eq!(inv.status, StatusCode::OK, "{}", inv.body);
    assert!(inv.body.contains("http://127.0.0.1:8080/enroll#invite="), "{}", inv.body);
    assert!(inv.body.contains("<svg"), "a QR code");
    let card =
        h.send(Call::post("/console/users/card", Some(&cookie), &[("csrf", &csrf), ("user", "cardy")])).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.body);
    assert!(card.body.contains("id=\"serial\""));
    assert!(h.login.store().load("cardy").unwrap().is_some());
    let csv = h.send(Call::get("/console/audit.csv?kind=admin", Some(&cookie))).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("local_time,unix_time,event,user,details\r\n"));
    assert!(csv.body.contains("card_issued") && csv.body.contains("console:boss"), "{}", csv.body);
    let jsonl = h.send(Call::get("/console/audit.jsonl?user=cardy", Some(&cookie))).await;
    assert!(jsonl.body.lines().all(|l| l.contains("\"user\":\"cardy\"")), "{}", jsonl.body);
    let exports = h.login.store().audit(None).unwrap();
    assert_eq!(exports.iter().filter(|l| l.contains("\"audit_export\"")).count(), 2);
    // English on request; Japanese by default.
    assert!(h.send(Call::get("/console/users", Some(&cookie))).await.body.contains("lang=\"ja\""));
    let en = h.send(Call::get("/console/users?lang=en", Some(&cookie))).await;
    assert!(en.body.contains("lang=\"en\"") && en.body.contains("Invite"));
}

#[tokio::test]
async fn a_card_holder_logs_in_with_the_cells_of_their_card_and_an_unknown_id_gets_a_grid_or_cells() {
    let h = harness();
    let card = h.login.issue_card("cardy", "test").unwrap();
    let page = h.send(Call::get("/console/login", None)).await;
    let pair = page.cookie("mx_console_login").unwrap().split(';').next().unwrap().to_owned();
    let asked =
        h.send(Call::post("/console/login", Some(&pair), &[("user", "cardy"), ("csrf", &page.csrf())])).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(!asked.body.contains("console-grid"), "a card holder is asked for cells, not shown a grid");
    let at = asked.body.find("id=\"cells\">").unwrap() + 11;
    let cells: Vec<&str> = asked.body[at..at + asked.body[at..].find('<').unwrap()].split(' ').collect();
    assert_eq!(cells.len(), 3, "{cells:?}");
    let answer: String = cells.iter().map(|c| card.value_of(c).unwrap().to_string()).collect();
    let token = field(&asked.body, "token").unwrap();
    let done = h
        .send(Call::post(
            "/console/login/answer",
            Some(&pair),
            &[("user", "cardy"), ("token", &token), ("answer", &answer), ("csrf", &asked.csrf())],
        ))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.cookie("mx_console").is_some());
    // An unknown id is shown a grid or cells, as the portal shows it: the page does not tell.
    let again = h.send(Call::get("/console/login", None)).await;
    let pair = again.cookie("mx_console_login").unwrap().split(';').next().unwrap().to_owned();
    let nobody = h
        .send(Call::post("/console/login", Some(&pair), &[("user", "nobody"), ("csrf", &again.csrf())]))
        .await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert!(nobody.body.contains("console-grid") || nobody.body.contains("id=\"cells\""));
    assert!(field(&nobody.body, "token").is_some());
}

#[tokio::test]
async fn login_posts_are_limited_per_address_as_the_api_is() {
    let h = harness();
    let page = h.send(Call::get("/console/login", None)).await;
    let pair = page.cookie("mx_console_login").unwrap().split(';').next().unwrap().to_owned();
    let csrf = page.csrf();
    let mut limited = 0;
    for i in 0..70 {
        let user = format!("guess{i}");
        let r = h.send(Call::post("/console/login", Some(&pair), &[("user", &user), ("csrf", &csrf)])).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers.contains_key("retry-after"));
            limited += 1;
        }
    }
    assert_eq!(limited, 10, "a burst of 60, then refused");
    // Another address is not held back.
    let mut other = Call::post("/console/login", Some(&pair), &[("user", "x"), ("csrf", &csrf)]);
    other.peer = Some("127.0.0.2");
    assert_eq!(h.send(other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_session_does_not_outlive_its_users_removal_re_enrolment_or_suspension() {
    let h = harness();
    h.user("boss", &["admin"]);
    h.user("tanaka", &[]);
    // Removed and enrolled again (another person under the same id, here an admin) before the
    // old session's next click: that session is not theirs.
    let (old, _) = h.log_in("tanaka").await;
    assert!(h.login.remove_as(Who::Shell("root"), "tanaka").unwrap());
    h.set(T0 + 60);
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    let sealed = cred.seal(&h.keyring, "tanaka").unwrap();
    assert!(h.login.store().create_user("tanaka", &sealed, &mx::UserState::new(), T0 + 60, &[]).unwrap());
    assert!(h.login.set_roles("tanaka", &["admin".to_owned()], "test").unwrap());
    let r = h.send(Call::get("/console/users", Some(&old))).await;
    assert_eq!(r.location(), "/console/login", "the old holder's session acted as the new admin");
    // Enrolled again through an invitation (a credential reset after a leak): the sessions of
    // the old credential end.
    let (leaked, _) = h.log_in("tanaka").await;
    let (token, _, _) = h.login.invite("tanaka", 1, "root").unwrap();
    let cred = mx::PatternCredential::from_names(&["C1", "F4", "A6", "H7", "D8", "B3"], "new", 2).unwrap();
    h.login.enroll(&token, &cred).unwrap();
    let r = h.send(Call::get("/console/requests", Some(&leaked))).await;
    assert_eq!(r.location(), "/console/login", "a session of the replaced credential lived on");
    // Suspended and resumed in the console while the session sat idle: the session ends.
    h.user("vendor", &[]);
    let (idle, _) = h.log_in("vendor").await;
    let (admin, csrf) = h.log_in("boss").await;
    for action in ["suspend", "resume"] {
        let r = h
            .send(Call::post(
                &format!("/console/users/{action}"),
                Some(&admin),
                &[("csrf", &csrf), ("user", "vendor")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = h.send(Call::get("/console/requests", Some(&idle))).await;
    assert_eq!(r.location(), "/console/login", "a suspension cut nothing off");
    // Everyone off then on: the vendors' idle sessions end too; the approver's stays.
    let (idle, _) = h.log_in("vendor").await;
    for action in ["suspend", "resume"] {
        let form = [("csrf", csrf.as_str()), ("action", action), ("confirm", "yes")];
        let r = h.send(Call::post("/console/off", Some(&admin), &form)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = h.send(Call::get("/console/requests", Some(&idle))).await;
    assert_eq!(r.location(), "/console/login", "everyone off cut nothing off");
    assert_eq!(h.send(Call::get("/console/requests", Some(&admin))).await.status, StatusCode::OK);
}

// ---- registered terminals (SPEC §16) ----------------------------------------------------------

use common::webauthn::Authenticator;
use matrixauth_server::login::terminal::{Grant, RadiusPolicy, TerminalConfig};
use serde_json::{Value, json};

/// The WebAuthn origin and RP id of the terminal tests (the service's, not the console's Origin).
const WEBAUTHN_ORIGIN: &str = "https://vpn.example.lg.jp";
const RP: &str = "vpn.example.lg.jp";

impl H {
    fn terminals(&self, required: bool) {
        self.login
            .configure_terminals(TerminalConfig {
                required,
                rp_id: RP.into(),
                rp_name: "test".into(),
                origins: vec![WEBAUTHN_ORIGIN.into()],
                device_bound: true,
                radius: RadiusPolicy::CallingStation,
            })
            .unwrap();
    }

    /// Registers `a` for `user` through a terminal invitation.
    fn register(&self, user: &str, a: &Authenticator) {
        let (token, _) = self.login.invite_terminal(user, 1, "test").unwrap();
        let (state, options) = self.login.terminal_registration_start(Grant::Invitation(&token)).unwrap();
        let options = json!({"publicKey": options["publicKey"]});
        self.login
            .terminal_registration_finish(&state, &a.register(&options, WEBAUTHN_ORIGIN), None)
            .unwrap();
    }

    /// The login page's cookie pair, and the reply to `user` on it.
    async fn first_step(&self, user: &str) -> (String, Reply) {
        let page = self.send(Call::get("/console/login", None)).await;
        let pair = page.cookie("mx_console_login").unwrap().split(';').next().unwrap().to_owned();
        let step = self
            .send(Call::post("/console/login", Some(&pair), &[("user", user), ("csrf", &page.csrf())]))
            .await;
        (pair, step)
    }

    fn failures(&self, user: &str) -> u32 {
        self.login.store().load(user).unwrap().unwrap().state.failures_since_success()
    }
}

/// The terminal step's state and WebAuthn request options (`{publicKey}`), from its page.
fn terminal_step(html: &str) -> (String, Value) {
    assert!(html.contains("id=\"terminal-form\""), "no terminal step: {html}");
    assert!(!html.contains("console-grid"), "a grid before the terminal: {html}");
    let state = field(html, "state").unwrap();
    let at = html.find("data-public-key=\"").unwrap() + 17;
    let raw = &html[at..at + html[at..].find('"').unwrap()];
    let raw = raw.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    (state, json!({"publicKey": serde_json::from_str::<Value>(&raw).unwrap()}))
}

fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(s) => json!(format!("string of {}", s.len())),
        other => other.clone(),
    }
}

#[tokio::test]
async fn a_user_who_requires_a_terminal_logs_in_with_its_assertion_and_gets_the_grid() {
    let h = harness();
    h.terminals(true);
    h.user("acme", &[]);
    let mut a = Authenticator::new(1);
    h.register("acme", &a);
    let (pair, step) = h.first_step("acme").await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.body);
    let (state, options) = terminal_step(&step.body);
    // The page runs the assertion with the console's script (allowed by the CSP), and says that
    // JavaScript is needed when it is off.
    assert!(step.body.contains("src=\"/console/static/console-terminal.js\""));
    assert!(step.body.contains("<noscript>"));
    let csp = step.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let js = h.send(Call::get("/console/static/console-terminal.js", None)).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.body.contains("from '/static/terminal.js'") && js.body.contains("form.submit()"),
        "{}",
        js.body
    );
    let credential = a.assert(&options, WEBAUTHN_ORIGIN, RP);
    let grid = h
        .send(Call::post(
            "/console/login/terminal",
            Some(&pair),
            &[("user", "acme"), ("state", &state), ("credential", &credential), ("csrf", &step.csrf())],
        ))
        .await;
    assert!(grid.body.contains("console-grid"), "{}", grid.body);
    let (cookie, _) = h.answer_grid(&pair, "acme", &grid).await;
    let page = h.send(Call::get("/console/requests", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(h.login.store().audit(None).unwrap().iter().any(|l| l.contains("\"event\":\"terminal_used\"")));
    // The assertion needs the login form's CSRF token too.
    let (pair, step) = h.first_step("acme").await;
    let (state, options) = terminal_step(&step.body);
    let credential = a.assert(&options, WEBAUTHN_ORIGIN, RP);
    let forged = h
        .send(Call::post(
            "/console/login/terminal",
            Some(&pair),
            &[("user", "acme"), ("state", &state), ("credential", &credential), ("csrf", &"0".repeat(64))],
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!forged.body.contains("console-grid"));
}

#[tokio::test]
async fn without_a_valid_assertion_the_console_shows_no_grid_and_counts_the_failure() {
    let h = harness();
    h.terminals(true);
    h.user("acme", &[]);
    let mut a = Authenticator::new(1);
    h.register("acme", &a);
    let mut other = Authenticator::new(2); // never registered
    let post = |pair: String, state: String, credential: String, csrf: String| {
        let h = &h;
        async move {
            h.send(Call::post(
                "/console/login/terminal",
                Some(&pair),
                &[("user", "acme"), ("state", &state), ("credential", &credential), ("csrf", &csrf)],
            ))
            .await
        }
    };
    // No assertion (the script did not run, or no terminal answered): no grid.
    let (pair, step) = h.first_step("acme").await;
    let (state, _) = terminal_step(&step.body);
    let none = post(pair, state, String::new(), step.csrf()).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN, "{}", none.body);
    assert!(!none.body.contains("console-grid"));
    // Another authenticator's assertion: no grid.
    let (pair, step) = h.first_step("acme").await;
    let (state, options) = terminal_step(&step.body);
    let wrong = post(pair, state, other.assert(&options, WEBAUTHN_ORIGIN, RP), step.csrf()).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    assert!(!wrong.body.contains("console-grid"));
    // The right terminal for another WebAuthn origin: no grid.
    let (pair, step) = h.first_step("acme").await;
    let (state, options) = terminal_step(&step.body);
    let phished = post(pair, state, a.assert(&options, "https://evil.example", RP), step.csrf()).await;
    assert!(!phished.body.contains("console-grid"));
    // A right assertion replayed on its used state: no grid.
    let (pair, step) = h.first_step("acme").await;
    let (state, options) = terminal_step(&step.body);
    let credential = a.assert(&options, WEBAUTHN_ORIGIN, RP);
    let ok = post(pair.clone(), state.clone(), credential.clone(), step.csrf()).await;
    assert!(ok.body.contains("console-grid"), "{}", ok.body);
    let replay = post(pair, state, credential, step.csrf()).await;
    assert!(!replay.body.contains("console-grid"));
    // Failed assertions count toward the lockout as the portal's do.
    assert_eq!(h.failures("acme"), 4);
    // Nor does the plain login page ever show the grid to this user.
    let (_, step) = h.first_step("acme").await;
    assert!(!step.body.contains("console-grid"));
}

#[tokio::test]
async fn an_unknown_id_gets_the_same_shaped_terminal_step() {
    let h = harness();
    h.terminals(true);
    h.user("acme", &[]);
    let mut a = Authenticator::new(1);
    h.register("acme", &a);
    let (_, real) = h.first_step("acme").await;
    let (pair, decoy) = h.first_step("mallory").await;
    assert_eq!(real.status, decoy.status);
    let (real_state, real_options) = terminal_step(&real.body);
    let (decoy_state, decoy_options) = terminal_step(&decoy.body);
    assert_eq!(shape(&real_options), shape(&decoy_options), "{real_options}\n{decoy_options}");
    assert_eq!(real_state.len(), decoy_state.len());
    // The pages differ only in the id, the state, the options and the CSRF token.
    let strip = |body: &str, user: &str, state: &str, csrf: &str| {
        let at = body.find("data-public-key=\"").unwrap() + 17;
        let end = at + body[at..].find('"').unwrap();
        format!("{}{}", &body[..at], &body[end..]).replace(user, "U").replace(state, "S").replace(csrf, "C")
    };
    assert_eq!(
        strip(&real.body, "acme", &real_state, &real.csrf()),
        strip(&decoy.body, "mallory", &decoy_state, &decoy.csrf())
    );
    // Answering the decoy is refused as a wrong assertion is.
    let refused = h
        .send(Call::post(
            "/console/login/terminal",
            Some(&pair),
            &[
                ("user", "mallory"),
                ("state", &decoy_state),
                ("credential", &a.assert(&decoy_options, WEBAUTHN_ORIGIN, RP)),
                ("csrf", &decoy.csrf()),
            ],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("console-grid"));
}

#[tokio::test]
async fn with_terminals_required_per_user_others_still_get_their_grid() {
    let h = harness();
    h.terminals(false);
    h.user("acme", &[]);
    h.user("bob", &[]);
    assert!(h.login.set_terminal_policy("acme", Some(true), "test").unwrap());
    let mut a = Authenticator::new(1);
    h.register("acme", &a);
    let (pair, step) = h.first_step("acme").await;
    let (state, options) = terminal_step(&step.body);
    let grid = h
        .send(Call::post(
            "/console/login/terminal",
            Some(&pair),
            &[
                ("user", "acme"),
                ("state", &state),
                ("credential", &a.assert(&options, WEBAUTHN_ORIGIN, RP)),
                ("csrf", &step.csrf()),
            ],
        ))
        .await;
    h.answer_grid(&pair, "acme", &grid).await;
    h.log_in("bob").await;
}

// ---- registered terminals in the console (issue 26) -----------------------------------------

impl H {
    /// `acme` must use a registered terminal; `a` is registered as its terminal 1.
    fn acme_with_terminal(&self) -> Authenticator {
        self.terminals(false);
        self.user("acme", &[]);
        assert!(self.login.set_terminal_policy("acme", Some(true), "test").unwrap());
        let a = Authenticator::new(1);
        self.register("acme", &a);
        a
    }

    /// Whether `acme`'s terminal step with `a` gives the grid.
    async fn acme_gets_grid(&self, a: &mut Authenticator) -> bool {
        let (pair, step) = self.first_step("acme").await;
        let (state, options) = terminal_step(&step.body);
        let reply = self
            .send(Call::post(
                "/console/login/terminal",
                Some(&pair),
                &[
                    ("user", "acme"),
                    ("state", &state),
                    ("credential", &a.assert(&options, WEBAUTHN_ORIGIN, RP)),
                    ("csrf", &step.csrf()),
                ],
            ))
            .await;
        reply.body.contains("console-grid")
    }
}

const ACME_TERMINALS: &str = "/console/users/acme/terminals";

#[tokio::test]
async fn an_admin_lists_renames_and_revokes_a_users_terminals_and_the_revoked_one_is_refused() {
    let h = harness();
    let mut a = h.acme_with_terminal();
    assert!(h.acme_gets_grid(&mut a).await);
    h.user("root", &["admin"]);
    let (cookie, csrf) = h.log_in("root").await;
    // The users page links each user's terminals.
    let users = h.send(Call::get("/console/users", Some(&cookie))).await;
    assert!(users.body.contains("href=\"/console/users/acme/terminals\""), "{}", users.body);
    let page = h.send(Call::get(&format!("{ACME_TERMINALS}?lang=en"), Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-terminal=\"1\""), "{}", page.body);
    assert!(page.body.contains("<strong id=\"policy\">required</strong>"), "{}", page.body);
    assert!(page.body.contains("WebAuthn"));
    assert!(!page.body.contains("<td class=\"last-used\">never</td>"), "used once: {}", page.body);
    assert!(page.body.contains("action=\"/console/users/acme/terminals/revoke\""));
    // Rename, in Japanese.
    let renamed = h
        .send(Call::post(
            &format!("{ACME_TERMINALS}/rename"),
            Some(&cookie),
            &[("id", "1"), ("name", "保守端末A（本庁）"), ("csrf", &csrf)],
        ))
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    assert_eq!(renamed.location(), format!("{ACME_TERMINALS}?ok=1"));
    let book = h.login.terminals_of("acme").unwrap();
    assert_eq!(book.terminals[0].name, "保守端末A（本庁）");
    // A name the CLI refuses is refused here too, and an unknown number is 404.
    let bad = h
        .send(Call::post(
            &format!("{ACME_TERMINALS}/rename"),
            Some(&cookie),
            &[("id", "1"), ("name", "a\u{7}b"), ("csrf", &csrf)],
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let missing = h
        .send(Call::post(
            &format!("{ACME_TERMINALS}/revoke"),
            Some(&cookie),
            &[("id", "99"), ("csrf", &csrf)],
        ))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Revoke: the terminal logs in no more.
    let revoked = h
        .send(Call::post(&format!("{ACME_TERMINALS}/revoke"), Some(&cookie), &[("id", "1"), ("csrf", &csrf)]))
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert!(h.login.terminals_of("acme").unwrap().terminals[0].revoked_at.is_some());
    assert!(!h.acme_gets_grid(&mut a).await, "a revoked terminal passed the terminal step");
    let page = h.send(Call::get(ACME_TERMINALS, Some(&cookie))).await;
    assert!(page.body.contains("<td class=\"revoked\">失効済み"), "{}", page.body);
    assert!(!page.body.contains("action=\"/console/users/acme/terminals/revoke\""));
    // Both changes are audited with the acting console user.
    let audit = h.login.store().audit(None).unwrap();
    for action in ["terminal_rename", "terminal_revoke"] {
        assert!(
            audit.iter().any(|l| l.contains(&format!("\"action\":\"{action}\""))
                && l.contains("\"operator\":\"console:root\"")
                && l.contains("\"user\":\"acme\"")),
            "{action}: {audit:#?}"
        );
    }
    // A user id outside ASCII is percent-encoded in the link, and the link works.
    h.user("山田 太郎", &[]);
    let users = h.send(Call::get("/console/users", Some(&cookie))).await;
    let href = format!("/console/users/{}/terminals", enc("山田 太郎"));
    assert!(users.body.contains(&format!("href=\"{href}\"")), "{}", users.body);
    let page = h.send(Call::get(&href, Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("山田 太郎") && page.body.contains("id=\"no-terminals\""), "{}", page.body);
    // An unknown user has no terminals page.
    let nobody = h.send(Call::get("/console/users/nobody/terminals", Some(&cookie))).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_makes_a_terminal_invitation_with_its_qr_code() {
    let h = harness();
    let _a = h.acme_with_terminal();
    h.user("root", &["admin"]);
    let (cookie, csrf) = h.log_in("root").await;
    let invited = h
        .send(Call::post(
            &format!("{ACME_TERMINALS}/invite"),
            Some(&cookie),
            &[("hours", "2"), ("csrf", &csrf)],
        ))
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.body);
    let at = invited.body.find(&format!("{ORIGIN}/enroll#terminal=")).unwrap() + ORIGIN.len() + 17;
    let token = &invited.body[at..at + invited.body[at..].find('<').unwrap()];
    assert!(invited.body.contains("<svg"), "no QR code: {}", invited.body);
    // The link adds a terminal to acme: a second authenticator registers with it and passes.
    let (state, options) = h.login.terminal_registration_start(Grant::Invitation(token)).unwrap();
    let mut b = Authenticator::new(2);
    h.login
        .terminal_registration_finish(
            &state,
            &b.register(&json!({"publicKey": options["publicKey"]}), WEBAUTHN_ORIGIN),
            None,
        )
        .unwrap();
    assert_eq!(h.login.terminals_of("acme").unwrap().terminals.len(), 2);
    assert!(h.acme_gets_grid(&mut b).await);
    assert!(
        h.login
            .store()
            .audit(None)
            .unwrap()
            .iter()
            .any(|l| l.contains("\"action\":\"terminal_invite\"")
                && l.contains("\"operator\":\"console:root\""))
    );
}

#[tokio::test]
async fn approvers_only_see_terminals_and_vendors_and_auditors_get_nothing() {
    let h = harness();
    let mut a = h.acme_with_terminal();
    h.user("appr", &["approver"]);
    h.user("aud", &["auditor"]);
    h.user("bob", &[]);
    let (cookie, csrf) = h.log_in("appr").await;
    let page = h.send(Call::get(ACME_TERMINALS, Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-terminal=\"1\""));
    assert!(!page.body.contains("/terminals/revoke") && !page.body.contains("/terminals/invite"));
    for (action, form) in
        [("rename", vec![("id", "1"), ("name", "x")]), ("revoke", vec![("id", "1")]), ("invite", vec![])]
    {
        let mut form = form;
        form.push(("csrf", &csrf));
        let r = h.send(Call::post(&format!("{ACME_TERMINALS}/{action}"), Some(&cookie), &form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "approver {action}: {}", r.body);
    }
    for user in ["aud", "bob"] {
        let (cookie, csrf) = h.log_in(user).await;
        let r = h.send(Call::get(ACME_TERMINALS, Some(&cookie))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.body);
        assert!(!r.body.contains("data-terminal"));
        let r = h
            .send(Call::post(
                &format!("{ACME_TERMINALS}/revoke"),
                Some(&cookie),
                &[("id", "1"), ("csrf", &csrf)],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
    }
    let book = h.login.terminals_of("acme").unwrap();
    assert_eq!(book.terminals[0].name, "保守端末1");
    assert!(book.terminals[0].revoked_at.is_none());
    assert!(h.acme_gets_grid(&mut a).await);
    let audit = h.login.store().audit(None).unwrap();
    assert!(
        audit.iter().any(|l| l.contains("\"action\":\"denied\"") && l.contains("\"user\":\"appr\"")),
        "{audit:#?}"
    );
}

#[tokio::test]
async fn terminal_forms_need_the_sessions_csrf_token() {
    let h = harness();
    let mut a = h.acme_with_terminal();
    h.user("root", &["admin"]);
    let (cookie, _) = h.log_in("root").await;
    let forged = "0".repeat(64);
    for form in [vec![("id", "1")], vec![("id", "1"), ("csrf", forged.as_str())]] {
        let r = h.send(Call::post(&format!("{ACME_TERMINALS}/revoke"), Some(&cookie), &form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = h.send(Call::post(&format!("{ACME_TERMINALS}/invite"), Some(&cookie), &form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(!r.body.contains("enroll#terminal="));
    }
    assert!(h.login.terminals_of("acme").unwrap().terminals[0].revoked_at.is_none());
    assert!(h.acme_gets_grid(&mut a).await);
}
