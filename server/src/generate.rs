//! `matrixauth generate man|completions DIR` (hidden): the man pages and
//! shell completions of the Debian package, written from the command line's
//! own definition, so they never drift from `--help`. A module of the
//! binary, not of the library: it needs the `Cli` of `main.rs`.

use std::path::Path;

use clap::ValueEnum;

/// What `generate` writes.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum What {
    /// `matrixauth.1` and one page per subcommand (`matrixauth-serve.1`,
    /// `matrixauth-users-invite.1`, …), hidden commands left out.
    Man,
    /// `matrixauth.bash`, `_matrixauth` (zsh) and `matrixauth.fish`, hidden
    /// commands left out.
    Completions,
}

/// Writes `what` for `cmd` into `dir`, created if missing.
pub(crate) fn write(cmd: clap::Command, what: What, dir: &Path) -> Result<(), String> {
    let err = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(err)?;
    match what {
        What::Man => clap_mangen::generate_to(cmd, dir).map_err(err),
        What::Completions => {
            // clap_complete offers hidden subcommands too: the command again without them.
            let mut cmd = clap::Command::new("matrixauth")
                .version(env!("CARGO_PKG_VERSION"))
                .args(cmd.get_arguments().cloned())
                .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
            for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh, clap_complete::Shell::Fish] {
                clap_complete::generate_to(shell, &mut cmd, "matrixauth", dir).map_err(err)?;
            }
            Ok(())
        }
    }
}
