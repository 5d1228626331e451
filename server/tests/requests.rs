//! Roles and maintenance requests in the login service (issue 23, SPEC §15):
//! every rule the console and the CLI rely on, checked where it lives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matrixauth_server::login::acting::{ActError, Action, AuditFilter, Who};
use matrixauth_server::login::requests::{ReportFields, RequestFields, RequestState};
use matrixauth_server::login::{Decision, Login, Prompt, Via};
use matrixauth_server::store::{Access, Migrate, Store};
use serde_json::Value;

const T0: u64 = 1_800_000_000;
const HOUR: u64 = 3600;
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

struct H {
    login: Arc<Login>,
    clock: Arc<AtomicU64>,
    keyring: mx::Keyring,
    dir: tempfile::TempDir,
}

fn harness() -> H {
    let dir = tempfile::tempdir().unwrap();
    let keyring = mx::Keyring::new(&[9; 32], 1).unwrap();
    let store = Store::open(&dir.path().join("db"), keyring.clone(), Migrate::Yes).unwrap();
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let login = common::login(store, keyring.clone(), Arc::new(move || c.load(Ordering::SeqCst)));
    H { login, clock, keyring, dir }
}

impl H {
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

    fn fields(from: u64, to: u64) -> RequestFields {
        RequestFields {
            starts_at: from,
            ends_at: to,
            purpose: "monthly patching".into(),
            work: "apply OS updates".into(),
            targets: "web01, db01".into(),
            operator: "Taro Yamada".into(),
            manager_approval: "Hanako Sato, 2027-01-14".into(),
            notes: String::new(),
        }
    }

    fn file(&self, vendor: &str, from: u64, to: u64) -> i64 {
        self.login.file_request(Who::User(vendor), &Self::fields(from, to)).unwrap()
    }

    fn audit(&self) -> Vec<Value> {
        self.login.store().audit(None).unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn events(&self, name: &str) -> Vec<Value> {
        self.audit().into_iter().filter(|v| v["event"] == name).collect()
    }

    /// A full login at the portal: the grid, then the right answer.
    fn log_in(&self, user: &str) -> Decision {
        let Decision::Prompt(Prompt::Grid { token, matrix, .. }) = self.login.challenge(user, Via::Http)
        else {
            panic!("no grid for {user}");
        };
        let digits: String = CELLS
            .iter()
            .map(|c| char::from(b'0' + matrix.get(matrix.geometry().parse_cell(c).unwrap()).unwrap()))
            .collect();
        let answer = format!("{}pw{}", &digits[..2], &digits[2..]);
        self.login.answer(user, Some(&token), &answer, Via::Http, None)
    }
}

fn report() -> ReportFields {
    ReportFields {
        actual_from: T0 + HOUR,
        actual_to: T0 + 2 * HOUR,
        done: "updated 12 packages".into(),
        result: "done, no incident".into(),
        follow_up: "reboot db01 next month".into(),
    }
}

#[test]
fn an_approval_creates_the_access_window_and_the_vendor_logs_in_only_inside_it() {
    let h = harness();
    h.user("approver1", &["approver"]);
    h.user("vendor1", &[]);
    let id = h.file("vendor1", T0 + HOUR, T0 + 3 * HOUR);
    assert_eq!(h.login.request_view(Who::User("vendor1"), id).unwrap().row.state, Some(RequestState::Filed));
    assert!(h.login.store().windows("vendor1").unwrap().is_empty());
    let window = h.login.approve_request(Who::User("approver1"), id).unwrap();
    let windows = h.login.store().windows("vendor1").unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!((windows[0].id, windows[0].starts_at, windows[0].ends_at), (window, T0 + HOUR, T0 + 3 * HOUR));
    let row = h.login.request_view(Who::User("vendor1"), id).unwrap().row;
    assert_eq!(row.state, Some(RequestState::Approved));
    assert_eq!(row.decided_by.as_deref(), Some("approver1"));
    assert_eq!(row.window, Some(window));
    // Before the window: a right answer is refused; inside: accepted, the session ends with it.
    assert!(matches!(h.log_in("vendor1"), Decision::OutsideWindow));
    h.set(T0 + 2 * HOUR);
    match h.log_in("vendor1") {
        Decision::Accepted(s) => assert_eq!(s.ends_at, T0 + 3 * HOUR),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.login.store().access("vendor1", T0 + 2 * HOUR).unwrap(), Access::Until(T0 + 3 * HOUR));
    h.set(T0 + 3 * HOUR);
    assert!(matches!(h.log_in("vendor1"), Decision::OutsideWindow));
    // A decided request is decided once.
    let again = h.login.approve_request(Who::User("approver1"), id).unwrap_err();
    assert!(matches!(again, ActError::Refused(_)), "{again:?}");
    assert_eq!(h.login.store().windows("vendor1").unwrap().len(), 1);
}

#[test]
fn no_one_approves_or_rejects_their_own_request() {
    let h = harness();
    h.user("boss", &["admin"]);
    h.user("appr", &["approver"]);
    let id = h.file("appr", T0 + HOUR, T0 + 2 * HOUR);
    let own = h.login.approve_request(Who::User("appr"), id).unwrap_err();
    assert_eq!(own, ActError::Refused("no one approves their own request".into()));
    assert!(matches!(
        h.login.reject_request(Who::User("appr"), id, "mine").unwrap_err(),
        ActError::Refused(_)
    ));
    // Not at the shell under the same name either.
    assert!(matches!(h.login.approve_request(Who::Shell("appr"), id).unwrap_err(), ActError::Refused(_)));
    assert!(h.login.store().windows("appr").unwrap().is_empty());
    assert!(h.events("request_approved").is_empty());
    // Someone else may.
    h.login.approve_request(Who::User("boss"), id).unwrap();
    assert_eq!(h.login.store().windows("appr").unwrap().len(), 1);
}

#[test]
fn only_approvers_and_admins_decide_and_the_refusal_is_audited() {
    let h = harness();
    h.user("v1", &[]);
    h.user("v2", &[]);
    h.user("aud", &["auditor"]);
    let id = h.file("v1", T0 + HOUR, T0 + 2 * HOUR);
    for who in ["v2", "aud"] {
        assert_eq!(h.login.approve_request(Who::User(who), id).unwrap_err(), ActError::Forbidden, "{who}");
        assert_eq!(h.login.reject_request(Who::User(who), id, "no").unwrap_err(), ActError::Forbidden);
        assert_eq!(h.login.suspend_as(Who::User(who), "v1").unwrap_err(), ActError::Forbidden);
        assert_eq!(h.login.suspend_vendors_as(Who::User(who)).unwrap_err(), ActError::Forbidden);
        assert_eq!(h.login.unlock_as(Who::User(who), "v1").unwrap_err(), ActError::Forbidden);
        assert_eq!(h.login.remove_as(Who::User(who), "v1").unwrap_err(), ActError::Forbidden);
        let roles = vec!["admin".to_owned()];
        assert_eq!(h.login.set_roles_as(Who::User(who), who, &roles).unwrap_err(), ActError::Forbidden);
        assert_eq!(h.login.invite_as(Who::User(who), "x", 1, &roles).unwrap_err(), ActError::Forbidden);
        assert_eq!(h.login.users_view(Who::User(who)).unwrap_err(), ActError::Forbidden);
    }
    assert_eq!(h.login.request_view(Who::User("v1"), id).unwrap().row.state, Some(RequestState::Filed));
    assert!(h.login.store().load("v1").unwrap().unwrap().roles.is_empty());
    assert!(!h.login.store().load("v1").unwrap().unwrap().suspended);
    let denied = h.events("console");
    assert_eq!(denied.len(), 18, "{denied:?}");
    assert!(denied.iter().all(|d| d["action"] == "denied"));
    assert!(denied.iter().any(|d| d["user"] == "aud" && d["detail"] == "decide_requests"));
    // An auditor reads the audit log and every request; a vendor does neither.
    assert!(h.login.audit_view(Who::User("aud"), &AuditFilter::default(), 10).is_ok());
    assert_eq!(
        h.login.audit_view(Who::User("v2"), &AuditFilter::default(), 10).unwrap_err(),
        ActError::Forbidden
    );
    assert_eq!(h.login.requests_view(Who::User("aud")).unwrap().len(), 1);
    assert!(h.login.export_requests_csv(Who::User("aud")).is_ok());
    assert_eq!(h.login.export_requests_csv(Who::User("v2")).unwrap_err(), ActError::Forbidden);
    // A suspended or unknown console user may do nothing, whatever their roles.
    h.user("appr", &["approver"]);
    assert!(h.login.suspend("appr", "test").unwrap());
    assert_eq!(h.login.approve_request(Who::User("appr"), id).unwrap_err(), ActError::Forbidden);
    assert_eq!(h.login.approve_request(Who::User("nobody"), id).unwrap_err(), ActError::Forbidden);
}

#[test]
fn a_vendor_never_sees_or_reports_another_vendors_request() {
    let h = harness();
    h.user("acme", &[]);
    h.user("globex", &[]);
    h.user("appr", &["approver"]);
    let mine = h.file("acme", T0 + HOUR, T0 + 2 * HOUR);
    let theirs = h.file("globex", T0 + HOUR, T0 + 2 * HOUR);
    let list = h.login.requests_view(Who::User("acme")).unwrap();
    assert_eq!(list.iter().map(|v| v.row.id).collect::<Vec<_>>(), vec![mine]);
    assert_eq!(h.login.request_view(Who::User("acme"), theirs).unwrap_err(), ActError::NotFound);
    // The same answer as for a request that does not exist.
    assert_eq!(h.login.request_view(Who::User("acme"), 9999).unwrap_err(), ActError::NotFound);
    h.login.approve_request(Who::User("appr"), theirs).unwrap();
    h.set(T0 + 3 * HOUR);
    assert_eq!(h.login.report_request(Who::User("acme"), theirs, &report()).unwrap_err(), ActError::NotFound);
    assert!(h.login.request_view(Who::User("globex"), theirs).unwrap().row.report.is_none());
    assert_eq!(h.login.requests_view(Who::User("appr")).unwrap().len(), 2);
}

#[test]
fn a_period_that_ended_without_a_report_is_flagged_until_the_vendor_reports() {
    let h = harness();
    h.user("v", &[]);
    h.user("appr", &["approver"]);
    let id = h.file("v", T0 + HOUR, T0 + 2 * HOUR);
    // Not approved: nothing to report.
    assert!(matches!(
        h.login.report_request(Who::User("v"), id, &report()).unwrap_err(),
        ActError::Refused(_)
    ));
    h.login.approve_request(Who::User("appr"), id).unwrap();
    // Before the period: too early.
    assert!(matches!(
        h.login.report_request(Who::User("v"), id, &report()).unwrap_err(),
        ActError::Refused(_)
    ));
    h.set(T0 + HOUR + 60);
    assert!(!h.login.request_view(Who::User("v"), id).unwrap().overdue);
    h.set(T0 + 2 * HOUR);
    assert!(h.login.request_view(Who::User("v"), id).unwrap().overdue);
    assert!(h.login.requests_view(Who::User("appr")).unwrap()[0].overdue);
    assert!(admin_list(&h).contains("report overdue"));
    let mut bad = report();
    bad.done = String::new();
    assert!(matches!(h.login.report_request(Who::User("v"), id, &bad).unwrap_err(), ActError::Refused(_)));
    h.login.report_request(Who::User("v"), id, &report()).unwrap();
    let v = h.login.request_view(Who::User("v"), id).unwrap();
    assert!(!v.overdue);
    assert_eq!(v.row.state, Some(RequestState::Reported));
    assert_eq!(v.row.report, Some(report()));
    // Once.
    assert!(matches!(
        h.login.report_request(Who::User("v"), id, &report()).unwrap_err(),
        ActError::Refused(_)
    ));
}

fn admin_list(h: &H) -> String {
    matrixauth_server::admin::requests::list(&h.login, false).unwrap()
}

#[test]
fn rejection_needs_a_reason_and_every_step_is_an_audit_event_with_its_actor() {
    let h = harness();
    h.user("v", &[]);
    h.user("appr", &["approver"]);
    let a = h.file("v", T0 + HOUR, T0 + 2 * HOUR);
    let b = h.file("v", T0 + HOUR, T0 + 2 * HOUR);
    assert!(matches!(h.login.reject_request(Who::User("appr"), a, " ").unwrap_err(), ActError::Refused(_)));
    h.login.reject_request(Who::User("appr"), a, "wrong servers").unwrap();
    let row = h.login.request_view(Who::User("v"), a).unwrap().row;
    assert_eq!((row.state, row.reason.as_deref()), (Some(RequestState::Rejected), Some("wrong servers")));
    assert!(matches!(h.login.approve_request(Who::User("appr"), a).unwrap_err(), ActError::Refused(_)));
    h.login.approve_request(Who::Shell("root"), b).unwrap();
    h.set(T0 + 2 * HOUR);
    h.login.report_request(Who::User("v"), b, &report()).unwrap();
    let filed = h.events("request_filed");
    assert_eq!(filed.len(), 2);
    assert_eq!((filed[0]["user"].as_str(), filed[0]["actor"].as_str()), (Some("v"), Some("v")));
    assert_eq!(filed[0]["from"], T0 + HOUR);
    let rejected = h.events("request_rejected");
    assert_eq!(
        (rejected[0]["actor"].as_str(), rejected[0]["reason"].as_str()),
        (Some("appr"), Some("wrong servers"))
    );
    let approved = h.events("request_approved");
    assert_eq!((approved[0]["actor"].as_str(), approved[0]["via"].as_str()), (Some("root"), Some("cli")));
    assert_eq!(approved[0]["request"], b);
    let reported = h.events("request_reported");
    assert_eq!((reported[0]["user"].as_str(), reported[0]["via"].as_str()), (Some("v"), Some("console")));
    // The chain of the log still checks with the new events in it.
    assert!(h.login.verify_audit(None).unwrap().ok());
    // The filter of the console's audit page.
    let only = AuditFilter { event: Some("request_approved".into()), ..AuditFilter::default() };
    let lines = h.login.audit_view(Who::Shell("root"), &only, 100).unwrap();
    assert_eq!(lines.len(), 1);
    let cli = AuditFilter { door: Some("cli".into()), ..AuditFilter::default() };
    assert!(
        h.login
            .audit_view(Who::Shell("root"), &cli, 100)
            .unwrap()
            .iter()
            .all(|l| !l.contains("\"via\":\"console\""))
    );
}

#[test]
fn a_request_must_be_complete_and_for_a_future_period() {
    let h = harness();
    h.user("v", &[]);
    let mut f = H::fields(T0 + 2 * HOUR, T0 + HOUR);
    assert!(matches!(h.login.file_request(Who::User("v"), &f).unwrap_err(), ActError::Refused(_)));
    f = H::fields(T0 - 2 * HOUR, T0 - HOUR);
    assert!(matches!(h.login.file_request(Who::User("v"), &f).unwrap_err(), ActError::Refused(_)));
    f = H::fields(T0 + HOUR, T0 + 2 * HOUR);
    f.manager_approval = String::new();
    assert!(matches!(h.login.file_request(Who::User("v"), &f).unwrap_err(), ActError::Refused(_)));
    f = H::fields(T0 + HOUR, T0 + 2 * HOUR);
    f.purpose = "x".repeat(5000);
    assert!(matches!(h.login.file_request(Who::User("v"), &f).unwrap_err(), ActError::Refused(_)));
    f.purpose = "bell\u{7}".into();
    assert!(matches!(h.login.file_request(Who::User("v"), &f).unwrap_err(), ActError::Refused(_)));
    // Not from the shell: a request is the vendor's own.
    let ok = H::fields(T0 + HOUR, T0 + 2 * HOUR);
    assert!(matches!(h.login.file_request(Who::Shell("root"), &ok).unwrap_err(), ActError::Refused(_)));
    assert!(h.login.requests_view(Who::Shell("root")).unwrap().is_empty());
    // A period that ended while it waited is not approved.
    let id = h.file("v", T0 + HOUR, T0 + 2 * HOUR);
    h.set(T0 + 2 * HOUR);
    assert!(matches!(h.login.approve_request(Who::Shell("root"), id).unwrap_err(), ActError::Refused(_)));
}

#[test]
fn everyone_off_suspends_every_vendor_but_no_role_holder_and_everyone_back_resumes_them() {
    let h = harness();
    h.user("boss", &["admin"]);
    h.user("appr", &["approver"]);
    h.user("v1", &[]);
    h.user("v2", &[]);
    assert_eq!(h.login.suspend_vendors_as(Who::User("appr")).unwrap(), 2);
    let store = h.login.store();
    assert!(store.load("v1").unwrap().unwrap().suspended && store.load("v2").unwrap().unwrap().suspended);
    assert!(
        !store.load("boss").unwrap().unwrap().suspended && !store.load("appr").unwrap().unwrap().suspended
    );
    assert!(matches!(h.log_in("v1"), Decision::Suspended | Decision::Rejected { .. }));
    assert!(matches!(h.log_in("boss"), Decision::Accepted(_)));
    let off = h.audit().into_iter().find(|v| v["action"] == "suspend_all").unwrap();
    assert_eq!((off["operator"].as_str(), off["users"].as_u64()), (Some("console:appr"), Some(2)));
    assert_eq!(h.login.resume_vendors_as(Who::User("boss")).unwrap(), 2);
    assert!(matches!(h.log_in("v1"), Decision::Accepted(_)));
    let on = h.audit().into_iter().find(|v| v["action"] == "resume_all").unwrap();
    assert_eq!(on["operator"], "console:boss");
}

#[test]
fn an_invitation_with_roles_gives_them_at_enrolment_unless_its_row_was_edited() {
    let h = harness();
    h.user("boss", &["admin"]);
    let roles = vec!["approver".to_owned(), "auditor".to_owned()];
    let (token, _) = h.login.invite_as(Who::User("boss"), "newappr", 72, &roles).unwrap();
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    h.login.enroll(&token, &cred).unwrap();
    assert_eq!(h.login.store().load("newappr").unwrap().unwrap().roles, roles);
    assert!(h.login.actor(Who::User("newappr")).unwrap().may(Action::DecideRequests));
    let bad = vec!["root".to_owned()];
    assert!(matches!(h.login.invite_as(Who::User("boss"), "x", 72, &bad).unwrap_err(), ActError::Refused(_)));
    // A row whose roles were changed without the keyring gives none.
    let (token, _) = h.login.invite_as(Who::User("boss"), "sneaky", 72, &["auditor".to_owned()]).unwrap();
    let db = rusqlite::Connection::open(h.dir.path().join("db")).unwrap();
    assert_eq!(db.execute("UPDATE invitations SET roles = 'admin' WHERE user = 'sneaky'", []).unwrap(), 1);
    h.login.enroll(&token, &cred).unwrap();
    assert!(h.login.store().load("sneaky").unwrap().unwrap().roles.is_empty());
    // An admin cannot take their own admin role away.
    let err = h.login.set_roles_as(Who::User("boss"), "boss", &[]).unwrap_err();
    assert!(matches!(err, ActError::Refused(_)));
    // The invitation's audit line names the roles it gives, so the audit says who granted them.
    let invites: Vec<_> = h.events("admin").into_iter().filter(|e| e["action"] == "invite").collect();
    assert_eq!(invites[0]["operator"], "console:boss");
    assert_eq!(invites[0]["roles"], serde_json::json!(["approver", "auditor"]));
    assert_eq!(invites[1]["roles"], serde_json::json!(["auditor"]));
}

/// An approver stops and restarts vendor users only: suspending an
/// administrator (or another role holder) or resuming one is an
/// administrator's, so an approver can neither lock the administrators out
/// nor bring back one that was stopped.
#[test]
fn an_approver_suspends_and_resumes_vendors_but_no_role_holder() {
    let h = harness();
    h.user("boss", &["admin"]);
    h.user("appr", &["approver"]);
    h.user("appr2", &["approver"]);
    h.user("v1", &[]);
    assert!(h.login.suspend_as(Who::User("appr"), "v1").unwrap());
    assert!(h.login.resume_as(Who::User("appr"), "v1").unwrap());
    for target in ["boss", "appr2"] {
        assert_eq!(
            h.login.suspend_as(Who::User("appr"), target).unwrap_err(),
            ActError::Forbidden,
            "{target}"
        );
        assert!(!h.login.store().load(target).unwrap().unwrap().suspended);
    }
    assert!(h.login.suspend_as(Who::User("boss"), "appr2").unwrap());
    assert_eq!(h.login.resume_as(Who::User("appr"), "appr2").unwrap_err(), ActError::Forbidden);
    assert!(h.login.store().load("appr2").unwrap().unwrap().suspended);
    assert!(h.login.resume_as(Who::User("boss"), "appr2").unwrap());
    let denied = h.events("console");
    assert_eq!(denied.len(), 3, "{denied:?}");
    assert!(denied.iter().all(|d| d["user"] == "appr" && d["detail"] == "manage_users"));
}

#[test]
fn the_requests_export_holds_every_request_and_report_and_is_audited() {
    let h = harness();
    h.user("v", &[]);
    h.user("aud", &["auditor"]);
    let id = h.file("v", T0 + HOUR, T0 + 2 * HOUR);
    let mut f = H::fields(T0 + HOUR, T0 + 2 * HOUR);
    f.purpose = "=cmd|' /C calc'!A0".into();
    h.login.file_request(Who::User("v"), &f).unwrap();
    h.login.approve_request(Who::Shell("root"), id).unwrap();
    h.set(T0 + 2 * HOUR);
    h.login.report_request(Who::User("v"), id, &report()).unwrap();
    let csv = h.login.export_requests_csv(Who::User("aud")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("\"1\",\"v\",\"reported\""), "{}", lines[1]);
    assert!(lines[1].contains("\"updated 12 packages\""));
    // A formula is defused for spreadsheets.
    assert!(lines[2].contains("\"'=cmd|"), "{}", lines[2]);
    let export = h.audit().into_iter().find(|v| v["action"] == "requests_export").unwrap();
    assert_eq!((export["operator"].as_str(), export["requests"].as_u64()), (Some("console:aud"), Some(2)));
}

/// CLI parity: `init --admin`, `users invite --role`, `requests list|approve|reject`,
/// `reports export`, `users resume --all`, through the binary, on a request
/// filed in the data folder's store (as the console does).
#[test]
fn the_cli_lists_decides_and_exports_requests_as_the_console_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_matrixauth"))
            .args(args)
            .arg("--data")
            .arg(&data)
            .env("USER", "tanaka")
            .env_remove("SUDO_USER")
            .output()
            .unwrap()
    };
    let ok = |args: &[&str]| {
        let res = run(args);
        assert!(res.status.success(), "{args:?}: {}", String::from_utf8_lossy(&res.stderr));
        String::from_utf8(res.stdout).unwrap()
    };
    let out = ok(&["init", "--admin", "boss"]);
    assert!(out.contains("enrollment link for boss (admin;"), "{out}");
    assert!(out.contains("/enroll#invite="), "{out}");
    let json: Value =
        serde_json::from_str(&ok(&["users", "invite", "aud", "--role", "auditor", "--json"])).unwrap();
    assert_eq!(json["roles"], serde_json::json!(["auditor"]));
    assert!(ok(&["requests", "list"]).contains("(no requests"));
    // A vendor files through the service on the same folder.
    {
        let keyring = matrixauth_server::keys::load_or_create(&data.join("keyring")).unwrap();
        let store = Store::open(&data.join("matrixauth.db"), keyring.clone(), Migrate::No).unwrap();
        let login = matrixauth_server::login::Login::new(matrixauth_server::login::Settings {
            store,
            keyring: keyring.clone(),
            site_key: matrixauth_server::keys::site_key(&data.join("keyring")).unwrap(),
            policy: mx::Policy::default(),
            clock: matrixauth_server::login::system_clock(),
            session_max_seconds: 3600,
            tickets: matrixauth_server::login::TicketForm::Handle,
            audit_node: "test".into(),
        })
        .unwrap();
        for v in ["acme", "globex"] {
            login.issue_card(v, "test").unwrap();
        }
        let now = login.now();
        for v in ["acme", "globex"] {
            login.file_request(Who::User(v), &H::fields(now + HOUR, now + 2 * HOUR)).unwrap();
        }
        assert_eq!(login.suspend_all("test").unwrap(), 2);
    }
    let list = ok(&["requests", "list"]);
    assert!(list.contains("1\tacme\tfiled") && list.contains("2\tglobex\tfiled"), "{list}");
    assert_eq!(ok(&["requests", "approve", "1"]), "request 1 approved: access window #1\n");
    assert_eq!(ok(&["requests", "reject", "2", "--reason", "no"]), "request 2 rejected\n");
    let again = run(&["requests", "approve", "2"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not waiting for a decision"));
    let json: Value = serde_json::from_str(&ok(&["requests", "list", "--json"])).unwrap();
    assert_eq!(
        (json[0]["state"].as_str(), json[0]["decidedBy"].as_str()),
        (Some("approved"), Some("tanaka"))
    );
    assert_eq!(json[1]["reason"], "no");
    let csv = ok(&["reports", "export"]);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(ok(&["users", "show", "acme"]).contains("access windows:    1"));
    assert_eq!(ok(&["users", "resume", "--all"]), "2 vendor users may log in again\n");
    let tail = ok(&["audit", "tail", "-n", "50", "--json"]);
    for event in ["request_approved", "request_rejected", "requests_export", "resume_all"] {
        assert!(tail.contains(event), "{event}: {tail}");
    }
}
