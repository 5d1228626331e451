#!/usr/bin/env bash
# Builds the Debian package target/debian/matrixauth_VERSION-1_ARCH.deb and prints its path
# (docs/OPERATIONS.md, "The package"): a release build of the server, its man pages and shell
# completions written by the binary itself (`matrixauth generate`, from the clap definition, so
# they match --help), then `cargo deb --no-build`, which packs what [package.metadata.deb] in
# server/Cargo.toml lists. cargo-deb is installed by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$PWD/$target ;; esac

cargo build -q --release --locked -p matrixauth-server --bin matrixauth >&2
# cargo-deb reads these from target/release/deb/ (its name for "$target/release/deb/").
out=$target/release/deb
rm -rf "$out"
"$target/release/matrixauth" generate man "$out/man"
gzip -9n "$out"/man/*.1
"$target/release/matrixauth" generate completions "$out/completions"
# --strip: the release profile keeps debug info (benches, profiling); the package does not need it.
cargo deb -p matrixauth-server --no-build --locked --fast --strip >&2
deb=$(ls -t "$target"/debian/matrixauth_*.deb | head -1)
[ -f "$deb" ] || { echo "deb.sh: no package was built" >&2; exit 1; }
echo "$deb"
