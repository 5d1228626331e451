//! The `matrixauth` binary's library: the browser login demo server
//! (`matrixauth serve`) and the admin commands over its data folder.
//!
//! The server shows how a portal uses the core. It refuses cross-origin
//! posts and unknown host names, bounds connections and their timing
//! ([`listen`]) and limits API posts per address ([`rate`]). It is not yet
//! a finished product: it has no TLS (put it behind a reverse proxy) and
//! its self-enrollment is open. `docs/DEMO.md` has the details.

pub mod admin;
pub mod keys;
pub mod listen;
pub mod pages;
pub mod radius;
pub mod rate;
pub mod server;
pub mod store;

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
