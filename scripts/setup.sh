#!/usr/bin/env bash
# Installs what the tests need, skipping what is present: rustfmt, clippy, the wasm32 target,
# Debian's valgrind, pkg-config, g++, libssl-dev, chromium, chromium-driver, fonts-noto-cjk, postgresql, radsecproxy,
# rsyslog, rsyslog-gnutls, prometheus (promtool) and Node.js,
# cbindgen 0.29.4, cargo-deb 3.8.0 (the Debian package, scripts/deb.sh) and
# the wasm-bindgen CLI at the version Cargo.lock pins. scripts/test.sh runs it first, so the
# README's test command is the whole setup on a fresh machine. (The RADIUS, Python and fuzzing
# scripts install their own extras: freeradius-utils, pamtester, the pip packages, cargo-fuzz.)
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never

rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
missing=""
# curl and openssl: the HTTPS and PostgreSQL TLS tests' peers and test CA (scripts/ops-*-test.sh).
for tool in valgrind pkg-config g++ curl openssl; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
# Headless browser tests: Debian's Chromium and its WebDriver (never a downloaded browser).
# The server's WebAuthn library (webauthn-rs, registered terminals) links OpenSSL.
[ -e /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -x /usr/bin/chromedriver ] || missing="$missing chromium-driver"
command -v node >/dev/null || missing="$missing nodejs npm"
# Without them headless Chromium draws every Japanese string of the pages as boxes.
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$missing fonts-noto-cjk"
# The cluster tests' throw-away database (scripts/cluster-test.sh; server binaries only, run by hand).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
# The RadSec peer (scripts/radsec-test.sh): radclient's UDP forwarded over TLS.
[ -x /usr/sbin/radsecproxy ] || missing="$missing radsecproxy"
# The syslog collector and the metrics checker of scripts/syslog-test.sh.
command -v rsyslogd >/dev/null || missing="$missing rsyslog"
ls /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || missing="$missing rsyslog-gnutls"
command -v promtool >/dev/null || missing="$missing prometheus"
if [ -n "$missing" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
if ! cbindgen --version 2>/dev/null | grep -q ' 0.29.4$'; then
  cargo install --locked cbindgen --version 0.29.4
fi
if ! cargo deb --version 2>/dev/null | grep -qx 'cargo-deb 3.8.0'; then
  cargo install --locked cargo-deb --version 3.8.0
fi
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want"; then
  # Pinned to Cargo.lock's wasm-bindgen; not --locked (its lockfile pins a crate the registry lacks).
  cargo install wasm-bindgen-cli --version "$want"
fi
cargo --version
rustc --version
node --version
chromium --version 2>/dev/null || true

