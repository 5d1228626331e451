#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The Debian package's files (issue 24, item 6): the default configuration
//! it installs loads and serves, the unit runs the paths the package
//! installs, and `matrixauth generate` writes the man pages and completions.
//! `scripts/deb-test.sh` installs the real package; these run without it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_matrixauth");
const CONFIG: &str = include_str!("../debian/config.toml");
const UNIT: &str = include_str!("../debian/matrixauth.service");
const MANIFEST: &str = include_str!("../Cargo.toml");

/// `/etc/matrixauth/config.toml` as shipped is a valid file: the data
/// folder the unit's StateDirectory makes, HTTP on loopback 8080.
#[test]
fn the_packaged_configuration_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let f = matrixauth_server::config::File::load(&path).unwrap();
    assert_eq!(f.data.as_deref(), Some(std::path::Path::new("/var/lib/matrixauth")));
    assert_eq!(f.http.listen.as_deref(), Some("127.0.0.1:8080"));
    assert!(f.radius.is_none(), "RADIUS is off until the administrator configures clients");
}

/// `matrixauth serve --config` with the shipped file (its data folder moved
/// to a temporary one) starts and answers the portal.
#[test]
fn the_packaged_configuration_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text =
        CONFIG.replace("data = \"/var/lib/matrixauth\"", &format!("data = {:?}", data.display().to_string()));
    assert_ne!(text, CONFIG, "the data line moved");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--no-first-invitation", "--port", "0", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let addr = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{}", reply.lines().next().unwrap_or_default());
    assert!(data.join("keyring").exists());
}

/// The unit's paths are the package's: the binary it installs, the
/// configuration it installs, the data folder that configuration names;
/// and the hardening the issue asks for is there.
#[test]
fn the_unit_runs_what_the_package_installs() {
    let keys: Vec<(&str, &str)> =
        UNIT.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('=')).collect();
    let get = |k: &str| -> Vec<&str> { keys.iter().filter(|(key, _)| *key == k).map(|(_, v)| *v).collect() };
    let exec = get("ExecStart");
    assert_eq!(
        exec,
        ["/usr/bin/matrixauth serve --config /etc/matrixauth/config.toml --no-first-invitation"]
    );
    assert!(MANIFEST.contains(r#"["target/release/matrixauth", "usr/bin/", "755"]"#));
    assert!(MANIFEST.contains(r#"["debian/config.toml", "etc/matrixauth/config.toml", "640"]"#));
    assert_eq!(get("StateDirectory"), ["matrixauth"]);
    assert!(CONFIG.lines().any(|l| l == "data = \"/var/lib/matrixauth\""));
    for (key, value) in [
        ("User", "matrixauth"),
        ("Group", "matrixauth"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Restart", "on-failure"),
        ("UMask", "0077"),
        ("StateDirectoryMode", "0700"),
        ("ReadWritePaths", "/var/lib/matrixauth"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
    ] {
        assert_eq!(get(key), [value], "{key}");
    }
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `matrixauth generate man DIR`: a page for the command and for each
/// visible subcommand, none for the hidden ones; `completions`: bash, zsh
/// and fish.
#[test]
fn generate_writes_man_pages_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("man");
    let res = Command::new(BIN).args(["generate", "man"]).arg(&man).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let pages = files(&man);
    for page in [
        "matrixauth.1",
        "matrixauth-serve.1",
        "matrixauth-init.1",
        "matrixauth-users.1",
        "matrixauth-users-invite.1",
        "matrixauth-users-window-add.1",
        "matrixauth-audit-verify.1",
        "matrixauth-keys-rotate.1",
        "matrixauth-db-migrate.1",
        "matrixauth-card.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} missing from {pages:?}");
    }
    for hidden in ["matrixauth-generate.1", "matrixauth-unlock.1", "matrixauth-help.1"] {
        assert!(!pages.iter().any(|p| p == hidden), "{hidden} written");
    }
    let serve = std::fs::read_to_string(man.join("matrixauth-serve.1")).unwrap();
    assert!(serve.starts_with(".ie \\n(.g .ds Aq") || serve.contains(".TH matrixauth-serve 1"), "{serve}");
    assert!(serve.contains("\\-\\-config") && serve.contains("\\-\\-port"));

    let comp = dir.path().join("completions");
    let res = Command::new(BIN).args(["generate", "completions"]).arg(&comp).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(files(&comp), ["_matrixauth", "matrixauth.bash", "matrixauth.fish"]);
    let bash = std::fs::read_to_string(comp.join("matrixauth.bash")).unwrap();
    assert!(bash.contains("complete -F _matrixauth") && bash.contains("serve"), "{bash}");
    for file in ["_matrixauth", "matrixauth.bash", "matrixauth.fish"] {
        let text = std::fs::read_to_string(comp.join(file)).unwrap();
        assert!(text.contains("invite") && text.contains("--config"), "{file}");
        assert!(!text.contains("generate"), "{file} offers the hidden `generate`");
    }

    let res = Command::new(BIN).args(["generate", "pdf"]).arg(&comp).output().unwrap();
    assert_eq!(res.status.code(), Some(2), "a bad kind is a usage error");
}
