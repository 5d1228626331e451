//! The matrixauth login server (`matrixauth serve`) and its administration.
//!
//! The folders are the architecture (`docs/DESIGN.md` has the map):
//! - [`login`]: the login service, where every login is decided once
//!   (decoys, pattern or card, suspension, access windows and the session's
//!   end, tickets, typed audit events). No HTTP or RADIUS types.
//! - [`doors`]: the web portal ([`doors::http`]) and RADIUS
//!   ([`doors::radius`]). Each translates its wire format into the
//!   service's calls and its decisions into replies; they never use the
//!   store or each other.
//! - [`store`]: the rows, below the service (SQLite or PostgreSQL).
//! - [`admin`]: the administration commands, beside the doors, through the
//!   same service.
//!
//! `docs/SERVER.md` tells how to run it.

/// Writes a line for the operator to standard error, like `eprintln!`,
/// but a closed standard error (a daemon's) drops the line instead of
/// panicking the server.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::warn_line(&format!($($arg)*))
    };
}

/// The function behind [`warn!`].
pub fn warn_line(line: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

pub mod admin;
pub mod config;
pub mod doors;
pub mod keys;
pub mod login;
pub mod metrics;
pub mod net;
pub mod store;
pub mod syslog;
pub mod when;

use std::path::{Path, PathBuf};

/// The files of a data folder.
pub struct DataDir {
    /// The folder.
    pub root: PathBuf,
}

impl DataDir {
    /// The data folder at `root`, created owner-only if missing.
    pub fn open(root: &Path) -> Result<DataDir, String> {
        if !root.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        }
        Ok(DataDir { root: root.to_owned() })
    }

    /// The keyring file.
    pub fn keyring(&self) -> PathBuf {
        self.root.join("keyring")
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.root.join("matrixauth.db")
    }
}
