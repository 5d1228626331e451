#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The admin commands as a person runs them: the real binary, its exit
//! status and its output (issue 15, item 2).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use matrixauth_cli::keys;
use matrixauth_cli::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_matrixauth");

/// A mistyped `--data` is an error and creates nothing; before, it quietly
/// started an empty data folder and listed no users.
#[test]
fn a_mistyped_data_folder_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("matrixauth-dta");
    for args in [&["users"][..], &["audit"], &["audit", "prune"], &["unlock", "alice"], &["card", "bob"]] {
        let res = Command::new(BIN).args(args).arg("--data").arg(&typo).output().unwrap();
        assert!(!res.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(err.contains("no data folder at"), "{args:?}: {err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    let res = Command::new(BIN).args(["init", "--data"]).arg(&typo).output().unwrap();
    assert!(res.status.success());
    let res = Command::new(BIN).args(["users", "--data"]).arg(&typo).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stdout).starts_with("user\t"));
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
        let store = Store::open(&data.join("matrixauth.db"), keyring).unwrap();
        let lines: Vec<String> = (0..20_000)
            .map(|i| format!(r#"{{"time":{i},"user":null,"event":"filler","pad":"{}"}}"#, "x".repeat(64)))
            .collect();
        store.append_audit(&lines).unwrap();
    }
    let mut child = Command::new(BIN)
        .args(["audit", "--data"])
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
