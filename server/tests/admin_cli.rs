#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The admin commands as a person runs them: the real binary, its exit
//! status and its output (issue 15, item 2).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use matrixauth_server::keys;
use matrixauth_server::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_matrixauth");

/// A mistyped `--data` is an error and creates nothing; before, it quietly
/// started an empty data folder and listed no users.
#[test]
fn a_mistyped_data_folder_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("matrixauth-dta");
    for args in [&["users"][..], &["audit"], &["audit", "prune"], &["unlock", "alice"], &["card", "bob"]] {
        let res = Command::new(BIN).args(args).arg("--data").arg(&typo).output().unwrap();
        assert_eq!(res.status.code(), Some(3), "{args:?}: exit 3, data folder missing");
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(err.contains("no data folder at"), "{args:?}: {err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    let res = Command::new(BIN).args(["init", "--data"]).arg(&typo).output().unwrap();
    assert!(res.status.success());
    let res = Command::new(BIN).args(["users", "--data"]).arg(&typo).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stdout).starts_with("USER\t"));
}

/// `matrixauth audit | head -1`: the reader goes away, the command stops
/// and succeeds. Before, `print!` panicked on the closed pipe.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(Command::new(BIN).args(["init", "--data"]).arg(&data).status().unwrap().success());
    {
        let keyring = keys::load_or_create(&data.join("keyring")).unwrap();
        let store = Store::open(&data.join("matrixauth.db"), keyring, matrixauth_server::store::Migrate::Yes)
            .unwrap();
        let lines: Vec<String> = (0..20_000)
            .map(|i| format!(r#"{{"time":{i},"user":null,"event":"filler","pad":"{}"}}"#, "x".repeat(64)))
            .collect();
        store.append_audit(&lines).unwrap();
    }
    let mut child = Command::new(BIN)
        .args(["audit", "tail", "-n", "20000", "--json", "--data"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap(); // and the pipe closes
    assert!(first.contains("filler"));
    let res = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(res.status.success(), "exit {:?}: {err}", res.status);
}

fn run(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .env("TZ", "Asia/Tokyo")
        .env("USER", "tanaka")
        .env_remove("SUDO_USER")
        .output()
        .unwrap()
}

fn ok(data: &std::path::Path, args: &[&str]) -> String {
    let res = run(data, args);
    assert!(res.status.success(), "{args:?}: {}", String::from_utf8_lossy(&res.stderr));
    String::from_utf8(res.stdout).unwrap()
}

/// Issue 15, item 2: subcommands, local times, `--json`, every action
/// audited with who ran it, documented exit codes.
#[test]
fn admin_commands_speak_local_time_and_json_and_audit_every_action() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&data, &["init"]);
    let card = ok(&data, &["card", "bob"]);
    assert!(card.contains('A') && card.lines().count() > 8, "{card}");
    let link =
        ok(&data, &["users", "invite", "carol", "--hours", "24", "--origin", "https://vpn.example.lg.jp"]);
    assert!(link.contains("https://vpn.example.lg.jp/enroll#invite="), "{link}");
    assert!(link.contains(" JST"), "valid until, in local time: {link}");
    let list = ok(&data, &["users", "list"]);
    assert!(
        list.starts_with("USER\tKIND\tENROLLED\t")
            && list.contains("bob\tcard\t20")
            && list.contains(" JST\t"),
        "{list}"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(&data, &["users", "list", "--json"])).unwrap();
    assert!(json[0]["enrolledAt"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(json[0]["lock"], serde_json::Value::Null);
    let added = ok(
        &data,
        &["users", "window", "add", "bob", "--from", "2030-01-01 09:00", "--to", "2030-01-01T17:30"],
    );
    assert!(added.contains("2030-01-01 09:00:00 JST → 2030-01-01 17:30:00 JST"), "{added}");
    let windows: serde_json::Value =
        serde_json::from_str(&ok(&data, &["users", "window", "list", "bob", "--json"])).unwrap();
    assert_eq!(windows[0]["from"], 1_893_456_000u64, "09:00 in Tokyo is 00:00 UTC");
    let show = ok(&data, &["users", "show", "bob"]);
    assert!(show.contains("kind:              card") && show.contains("may log in now: no"), "{show}");
    let tail = ok(&data, &["audit", "tail", "-n", "1"]);
    assert!(tail.contains(" JST  admin") && tail.contains("window_add"), "{tail}");
    // Export for submission: owner-only file, local ISO times.
    let out = dir.path().join("export.csv");
    let res = run(
        &data,
        &["audit", "export", "--from", "2000-01-01", "--to", "2100-01-01", "-o", out.to_str().unwrap()],
    );
    assert!(res.status.success());
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("local_time,unix_time,event,user,details\r\n"));
    assert!(csv.contains("+09:00\","), "{csv}");
    // Keys: a new signing key; the existing records still load.
    assert!(ok(&data, &["keys", "rotate"]).starts_with("key 2 now signs"));
    let keyring = std::fs::read_to_string(data.join("keyring")).unwrap();
    assert_eq!(keyring.lines().filter(|l| !l.starts_with('#')).count(), 2);
    assert!(keyring.lines().nth(1).unwrap().starts_with("2 "), "the new key signs: first line");
    assert!(ok(&data, &["users", "list"]).contains("bob\t"));
    // Federation (issue 22): the IdP key follows the keyring's rotation, the old certificate
    // still published; groups for the SAML/OpenID Connect attributes.
    assert!(data.join("idp-key.pem").exists() && data.join("idp-cert-previous.pem").exists());
    assert_eq!(
        ok(&data, &["keys", "retire-idp"]),
        "the previous IdP certificate is no longer published (restart running servers)\n"
    );
    assert!(!data.join("idp-cert-previous.pem").exists());
    assert_eq!(ok(&data, &["users", "group", "add", "bob", "vpn-users"]), "bob is in vpn-users now\n");
    assert_eq!(ok(&data, &["users", "group", "add", "bob", "admins"]), "bob is in admins, vpn-users now\n");
    assert_eq!(ok(&data, &["users", "group", "remove", "bob", "admins"]), "bob is in vpn-users now\n");
    assert_eq!(ok(&data, &["users", "group", "list", "bob"]), "vpn-users\n");
    assert_eq!(run(&data, &["users", "group", "add", "nobody", "x"]).status.code(), Some(1));
    assert_eq!(
        ok(&data, &["db", "migrate"]),
        format!("schema {}: up to date\n", matrixauth_server::store::SCHEMA_VERSION)
    );
    // Suspension: shown, idempotent, and given back.
    assert!(ok(&data, &["users", "suspend", "bob"]).starts_with("bob suspended"));
    assert!(ok(&data, &["users", "suspend", "bob"]).contains("suspended already"));
    assert!(ok(&data, &["users", "show", "bob"]).contains("suspended:         yes"));
    let json: serde_json::Value = serde_json::from_str(&ok(&data, &["users", "list", "--json"])).unwrap();
    assert!(json[0]["suspendedAt"].as_u64().is_some(), "{json}");
    assert!(ok(&data, &["users", "resume", "bob"]).starts_with("bob may log in again"));
    assert!(ok(&data, &["users", "resume", "bob"]).contains("was not suspended"));
    assert_eq!(
        ok(&data, &["users", "suspend", "--all"]),
        "1 vendor user suspended (`matrixauth users resume --all` gives access back)\n"
    );
    assert!(!ok(&data, &["users", "show", "bob", "--json"]).contains("\"mayLogInNow\":true"));
    assert!(ok(&data, &["users", "remove", "bob"]).starts_with("bob removed"));
    // Every action above, audited with the operator, and no invitation token anywhere.
    let lines: Vec<serde_json::Value> = ok(&data, &["audit", "tail", "-n", "100", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "card_issued",
            "invite",
            "window_add",
            "audit_export",
            "keys_rotate",
            "group_add",
            "group_add",
            "group_remove",
            "suspend",
            "resume",
            "suspend_all",
            "remove"
        ]
    );
    assert!(lines.iter().filter(|l| l["event"] == "admin").all(|l| l["operator"] == "tanaka"));
    let token = link.trim().rsplit_once("#invite=").unwrap().1;
    assert!(!lines.iter().any(|l| l.to_string().contains(token)));
}

/// The exit codes `matrixauth --help` documents: 1 refused, 2 usage or
/// configuration, 3 data folder.
#[test]
fn exit_codes_tell_refusals_usage_and_data_apart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&data, &["init"]);
    let code = |args: &[&str]| run(&data, args).status.code();
    assert_eq!(code(&["users", "unlock", "nobody"]), Some(1));
    assert_eq!(code(&["users", "suspend", "nobody"]), Some(1));
    assert_eq!(code(&["users", "resume", "nobody"]), Some(1));
    assert_eq!(code(&["users", "suspend"]), Some(2), "a user or --all");
    assert_eq!(code(&["users", "suspend", "bob", "--all"]), Some(2));
    assert_eq!(code(&["users", "show", "nobody"]), Some(1));
    assert_eq!(
        code(&["users", "window", "add", "nobody", "--from", "2030-01-01", "--to", "2030-01-02"]),
        Some(1)
    );
    assert_eq!(
        code(&["users", "window", "add", "x", "--from", "next tuesday", "--to", "2030-01-02"]),
        Some(2)
    );
    assert_eq!(code(&["users", "frobnicate"]), Some(2));
    assert_eq!(code(&["audit", "prune", "--days", "0"]), Some(2));
    assert_eq!(code(&["users", "invite", "a\u{7}b"]), Some(1));
    let missing = dir.path().join("missing");
    assert_eq!(run(&missing, &["users", "list"]).status.code(), Some(3));
    let help = Command::new(BIN)
        .arg("--help")
        .env("MATRIXAUTH_DATABASE", "postgres://app:SECRETPW@db/m")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains("SECRETPW"), "help never shows the database URL");
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes: 0 done; 1 refused"));
}

fn config_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matrixauth.toml");
    std::fs::write(&path, text).unwrap();
    let res = Command::new(BIN).args(["serve", "--config"]).arg(&path).output().unwrap();
    assert_eq!(res.status.code(), Some(2), "{text}");
    String::from_utf8(res.stderr).unwrap()
}

/// Issue 15, item 3: an invalid configuration file is refused before the
/// server listens, with the key and the problem.
#[test]
fn a_bad_configuration_file_names_the_key() {
    let e = config_error("[http]\nlisen = \"127.0.0.1:1\"\n");
    assert!(e.contains("unknown field `lisen`") && e.contains("line 2"), "{e}");
    let e = config_error("[http]\nlisten = \"127.0.0.1\"\n");
    assert!(e.contains("http.listen = \"127.0.0.1\": expected host:port"), "{e}");
    let e = config_error("[http]\norigins = [\"vpn.example.lg.jp\"]\n");
    assert!(e.contains("http.origins") && e.contains("http://"), "{e}");
    let e = config_error("[policy]\nretry_window = 999\n");
    assert!(e.contains("[policy]") && e.contains("retry"), "{e}");
    let e = config_error("[policy]\nlockout_seconds = \"ten\"\n");
    assert!(e.contains("lockout_seconds") && e.contains("expected u64"), "{e}");
    let e = config_error("[radius]\nlisten = \"127.0.0.1:1812\"\n");
    assert!(e.contains("clients_file or [[radius.client]]"), "{e}");
    let e = config_error("[database]\nurl = \"mysql://db/matrixauth\"\n");
    assert!(e.contains("database.url") && e.contains("postgres://"), "{e}");
    let e = config_error("[database]\nurl = \"postgres://app:secret@db/matrixauth\"\n");
    assert!(e.contains("readable by others") && e.contains("password"), "{e}");
    let e = config_error("[appliance]\nurl = \"javascript:alert(1)\"\n");
    assert!(e.contains("appliance.url"), "{e}");
    // Inline RADIUS secrets need an owner-only file.
    let e = config_error(
        "[radius]\nlisten = \"127.0.0.1:0\"\n[[radius.client]]\nname = \"a\"\naddress = \"127.0.0.1\"\n\
         secret = \"0123456789abcdef\"\nflow = \"otp\"\n",
    );
    assert!(e.contains("readable by others"), "{e}");
    // [radius.rate] (issue 21, item 6): every key checked, by name.
    let radius = "[radius]\nlisten = \"127.0.0.1:0\"\nclients_file = \"clients.toml\"\n[radius.rate]\n";
    for (keys, error) in [
        ("per_client = 5\n", "unknown field `per_client`, expected one of `client_per_second`"),
        ("client_per_second = \"fast\"\n", "expected u32"),
        ("name_per_minute = -1\n", "invalid value: integer `-1`, expected u32"),
        ("client_burst = 0\n", "radius.rate.client_burst = 0: must be 1 to 100000000"),
        ("name_burst = 0\n", "radius.rate.name_burst = 0: must be 1 to 100000000"),
        (
            "client_per_second = 1000001\n",
            "radius.rate.client_per_second = 1000001: must be 0 (no limit) to 1000000",
        ),
        (
            "name_per_minute = 2000000\n",
            "radius.rate.name_per_minute = 2000000: must be 0 (no limit) to 1000000",
        ),
        (
            "client_per_second = 50\nclient_burst = 10\n",
            "radius.rate.client_burst = 10: below the 50 requests that radius.rate.client_per_second = 50 brings back each second",
        ),
    ] {
        let e = config_error(&format!("{radius}{keys}"));
        assert!(e.contains(error), "{keys}: {e}");
    }
}

/// The example in docs/CONFIG.md is a valid file.
#[test]
fn the_documented_example_configuration_loads() {
    let doc = include_str!("../../docs/CONFIG.md");
    let block = doc.split("```toml\n").nth(1).unwrap().split("```").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matrixauth.toml");
    std::fs::write(&path, block).unwrap();
    let f = matrixauth_server::config::File::load(&path).unwrap();
    assert_eq!(f.data.as_deref(), Some(std::path::Path::new("/srv/matrixauth")));
    assert_eq!(f.radius.unwrap().clients_file.unwrap(), dir.path().join("radius-clients.toml"));
}

/// Issue 15, item 3: the file's settings reach the running server, and
/// flags override them.
#[test]
fn configuration_settings_reach_the_server_and_flags_override_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matrixauth.toml");
    std::fs::write(
        &path,
        "data = \"state\"\n[http]\nlisten = \"127.0.0.1:0\"\n[policy]\nlockout_seconds = 120\nmin_pattern_len = 8\n\
         [appliance]\naudience = \"fortigate-1\"\n",
    )
    .unwrap();
    for (flags, lockout) in [(&[][..], 120), (&["--lockout-seconds", "77"][..], 77)] {
        let mut child = Command::new(BIN)
            .args(["serve", "--no-first-invitation", "--config"])
            .arg(&path)
            .args(flags)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let url = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET /api/policy HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        let body: serde_json::Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["lockoutSeconds"], lockout, "{flags:?}");
        assert_eq!(body["minPatternLen"], 8);
        assert!(dir.path().join("state/keyring").exists(), "data is relative to the file's folder");
    }
}

/// Issue 27: signed tickets with a RADIUS client that takes tickets get a
/// warning at start (they do not fit RADIUS passwords); handles do not.
#[test]
fn signed_tickets_for_radius_clients_are_warned_about_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("clients.toml");
    std::fs::write(
        &clients,
        "[[client]]\nname = \"vpn\"\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\nflow = \"otp\"\ntickets = true\n",
    )
    .unwrap();
    std::fs::set_permissions(&clients, std::fs::Permissions::from_mode(0o600)).unwrap();
    for (form, warned) in [("signed", true), ("handle", false)] {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--no-first-invitation",
                "--port",
                "0",
                "--radius",
                "127.0.0.1:0",
                "--appliance-ticket",
                form,
            ])
            .arg("--radius-clients")
            .arg(&clients)
            .arg("--data")
            .arg(dir.path().join("data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        child.kill().unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        child.wait().unwrap();
        assert_eq!(err.contains("signed tickets are over 100 characters"), warned, "{form}: {err}");
    }
    let res = Command::new(BIN).args(["serve", "--appliance-ticket", "long"]).output().unwrap();
    assert_eq!(res.status.code(), Some(2));
}

/// Issue 21, item 4: `audit verify` checks the database's chains and an
/// export's, with the data folder's key or the audit key alone (an
/// auditor's machine); anything altered exits 4 and names the first bad line.
#[test]
fn audit_verify_checks_the_database_and_an_export_with_the_audit_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&data, &["init"]);
    ok(&data, &["card", "bob"]);
    ok(&data, &["users", "role", "bob", "auditor"]);
    assert!(ok(&data, &["users", "show", "bob"]).contains("roles:             auditor"));
    ok(&data, &["users", "suspend", "bob"]);
    let report = ok(&data, &["audit", "verify"]);
    assert!(report.contains("the audit log checks"), "{report}");
    let export = dir.path().join("export.jsonl");
    let args = ["audit", "export", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "jsonl", "-o"];
    ok(&data, &[&args[..], &[export.to_str().unwrap()]].concat());
    let text = std::fs::read_to_string(&export).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["chain"]["seq"].as_u64(), first["event"].as_str()),
        (Some(1), Some("admin")),
        "{first}"
    );
    assert!(ok(&data, &["audit", "verify", "--file", export.to_str().unwrap()]).contains("checks"));
    // The auditor's machine: the export and the key, no data folder.
    let key = dir.path().join("audit.key");
    ok(&data, &["audit", "key", "-o", key.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);
    let elsewhere = dir.path().join("no-data-here");
    let check = |file: &std::path::Path| {
        run(
            &elsewhere,
            &["audit", "verify", "--file", file.to_str().unwrap(), "--key-file", key.to_str().unwrap()],
        )
    };
    let res = check(&export);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(!elsewhere.exists(), "no data folder made");
    // One exported line edited: exit 4, the line named.
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(&edited, text.replacen("\"suspend\"", "\"resume\"", 1)).unwrap();
    let res = check(&edited);
    assert_eq!(res.status.code(), Some(4));
    let out = String::from_utf8(res.stdout).unwrap();
    assert!(out.contains("EDITED") && out.contains("does not check"), "{out}");
    // A field slipped in after the stored line (a reader that takes the last duplicate key
    // would see it): the line is refused.
    let injected = dir.path().join("injected.jsonl");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = lines[0].rfind(",\"chain\":").unwrap();
    lines[0].insert_str(at, ",\"event\":\"login_failed\"");
    std::fs::write(&injected, lines.join("\n")).unwrap();
    assert_eq!(check(&injected).status.code(), Some(4));
    // A line deleted in the database: exit 4 there too.
    let db = rusqlite::Connection::open(data.join("matrixauth.db")).unwrap();
    db.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let res = run(&data, &["audit", "verify", "--json"]);
    assert_eq!(res.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!((v["ok"].as_bool(), v["findings"][0]["kind"].as_str()), (Some(false), Some("gap")), "{v}");
}

/// Issue 21, item 6: `[radius.rate]` reaches the running server, also when
/// `--radius` and `--radius-clients` replace the rest of `[radius]`: a name
/// past its burst gets no reply over a real socket, another name does, and
/// the drop gets one summary line on standard error, without the name.
#[test]
fn radius_rate_limits_from_the_configuration_drop_requests_over_a_real_socket() {
    use radius::{Attribute, Code, Packet, attr};
    const SECRET: &str = "a shared secret of 30 chars!!!";
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("clients.toml");
    std::fs::write(
        &clients,
        format!("[[client]]\nname = \"vpn1\"\naddress = \"127.0.0.1\"\nsecret = \"{SECRET}\"\nflow = \"challenge\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&clients, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = dir.path().join("matrixauth.toml");
    std::fs::write(
        &config,
        "data = \"data\"\n[http]\nlisten = \"127.0.0.1:0\"\n[radius]\nlisten = \"127.0.0.1:0\"\n\
         clients_file = \"clients.toml\"\n[radius.rate]\nname_per_minute = 1\nname_burst = 2\n",
    )
    .unwrap();
    let flags = ["--radius", "127.0.0.1:0", "--radius-clients", clients.to_str().unwrap()];
    for flags in [&[][..], &flags[..]] {
        let mut child = Command::new(BIN)
            .args(["serve", "--no-first-invitation", "--config"])
            .arg(&config)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.starts_with("RADIUS: ") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "no RADIUS line");
        }
        let addr = line.split_whitespace().nth(1).unwrap().trim_start_matches("udp://").to_owned();
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(&addr).unwrap();
        let mut sent = 0u8;
        let mut ask = |user: &str, wait: u64| {
            sent += 1;
            let authenticator = [sent; 16];
            let attributes = vec![
                Attribute::new(attr::USER_NAME, user.as_bytes()).unwrap(),
                Attribute::new(
                    attr::USER_PASSWORD,
                    &radius::hide_password(SECRET.as_bytes(), &authenticator, b"").unwrap(),
                )
                .unwrap(),
            ];
            let p = Packet { code: Code::AccessRequest, identifier: sent, authenticator, attributes };
            socket.send(&p.encode_request(SECRET.as_bytes()).unwrap()).unwrap();
            socket.set_read_timeout(Some(std::time::Duration::from_secs(wait))).unwrap();
            let mut buf = [0u8; 4096];
            socket.recv(&mut buf).ok().map(|n| Packet::decode(&buf[..n]).unwrap().code)
        };
        assert_eq!(ask("mallory-target", 10), Some(Code::AccessChallenge), "{flags:?}");
        assert_eq!(ask("mallory-target", 10), Some(Code::AccessChallenge), "{flags:?}");
        assert_eq!(ask("mallory-target", 1), None, "{flags:?}: the third within a minute: no reply");
        assert_eq!(ask("alice", 10), Some(Code::AccessChallenge), "{flags:?}: another name");
        child.kill().unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        child.wait().unwrap();
        assert_eq!(err.matches("dropped over the rate limits").count(), 1, "{flags:?}: {err}");
        assert!(err.contains("client vpn1: 1 request dropped over the rate limits"), "{err}");
        assert!(!err.contains("mallory"), "no User-Name in the log: {err}");
    }
}

/// The attacker's review (issue 21): a database set back to an older schema
/// (its MAC and chain columns dropped) is not sealed and linked as it is by
/// the next start or `db migrate`.
#[test]
fn a_database_set_back_to_an_older_schema_is_not_sealed_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&data, &["init"]);
    ok(&data, &["card", "bob"]);
    let seen = matrixauth_server::store::SCHEMA_VERSION.to_string();
    assert_eq!(std::fs::read_to_string(data.join("schema-seen")).unwrap().trim(), seen);
    let db = rusqlite::Connection::open(data.join("matrixauth.db")).unwrap();
    db.execute_batch(
        "DROP TABLE user_groups; DROP TABLE requests; ALTER TABLE invitations DROP COLUMN roles;
         ALTER TABLE invitations DROP COLUMN roles_mac;
         DROP INDEX audit_chain; DROP TABLE audit_heads; DROP TABLE roles;
         ALTER TABLE audit DROP COLUMN node; ALTER TABLE audit DROP COLUMN seq;
         ALTER TABLE audit DROP COLUMN prev; ALTER TABLE audit DROP COLUMN mac;
         ALTER TABLE audit DROP COLUMN subject; ALTER TABLE audit DROP COLUMN version;
         ALTER TABLE users DROP COLUMN access_mac; PRAGMA user_version = 6;",
    )
    .unwrap();
    drop(db);
    let res = run(&data, &["db", "migrate"]);
    assert_eq!(res.status.code(), Some(3));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains(&format!("older than the schema {seen} this data folder has seen")), "{err}");
    // Nothing was sealed: the user stays refused, and verify lists the unlinked lines.
    let db = rusqlite::Connection::open(data.join("matrixauth.db")).unwrap();
    let macs: i64 = db.query_row("SELECT COUNT(access_mac) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(macs, 0);
    std::fs::remove_file(data.join("schema-seen")).unwrap();
    let res = run(&data, &["audit", "verify"]);
    assert_eq!(res.status.code(), Some(4), "{}", String::from_utf8_lossy(&res.stdout));
}
