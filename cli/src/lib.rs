//! The `matrixauth` binary's library: the login server (`matrixauth serve`:
//! the web portal and RADIUS) and the admin commands over its data folder.
//!
//! The server refuses cross-origin posts and unknown host names, bounds
//! connections and their timing ([`listen`]) and limits API posts per
//! address ([`rate`]). Enrollment needs an administrator's invitation
//! ([`invite`]). It has no TLS: put it behind a reverse proxy.
//! `docs/SERVER.md` has the details.

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
pub mod invite;
pub mod keys;
pub mod listen;
pub mod net;
pub mod pages;
pub mod radius;
pub mod rate;
pub mod server;
pub mod store;
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
