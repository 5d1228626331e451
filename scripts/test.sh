#!/usr/bin/env bash
# Runs every test of the project: the README's test command, and what .ci/run runs. It first
# installs what the tests need (scripts/setup.sh), skipping what is present, so it is the whole
# setup on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "toolchain: install what is missing (scripts/setup.sh)"
bash scripts/setup.sh

step "format"
cargo fmt --all -- --check

step "every shell block in the README and docs is valid shell"
bash scripts/check-shell-blocks.sh

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy for wasm32 (the WASM tests only compile there)"
cargo clippy -p matrixauth-wasm --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "Rust tests (unit, integration, property, golden vectors, doctests)"
cargo test --workspace --locked

step "rustdoc (missing docs and broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -p matrixauth -p matrixauth-radius -p matrixauth-server --no-deps --locked

step "core builds for wasm32-unknown-unknown"
cargo build -p matrixauth --target wasm32-unknown-unknown --release --locked

step "constant time: identical instruction counts across secret inputs (valgrind callgrind)"
bash scripts/ct-count.sh

step "C library: header, symbols, C tests under ASan/UBSan and valgrind, install + example"
bash scripts/ffi-test.sh

step "Python package: maturin wheel in a fresh venv, pytest over the installed wheel, mypy --strict"
bash scripts/python-test.sh

step "WASM package: build, Node tests, wasm-bindgen-test in Node and headless Chromium"
bash scripts/wasm-test.sh

step "demo server: end to end in headless Chromium"
bash scripts/e2e.sh

step "console: end to end in headless Chromium (roles, a request approved, everyone off, report, export)"
bash scripts/console-e2e.sh

step "RADIUS against real peers: radclient, pamtester + pam_radius_auth"
bash scripts/radius-test.sh

step "EAP over RADIUS against a real peer: eapol_test, EAP-MSCHAPv2 (MSK = MPPE keys) and EAP-GTC"
bash scripts/eap-test.sh

step "an IKEv2 tunnel after a matrix login: strongSwan gateway (eap-radius) and client in two network namespaces"
bash scripts/strongswan-test.sh

step "RadSec (RADIUS over TLS) against a real peer: radclient through radsecproxy, refused certificates"
bash scripts/radsec-test.sh
step "federation against real peers: pysaml2 SP, xmlsec1, authlib RP, and both through the grid in headless Chromium"
bash scripts/federation-test.sh

step "timing: an unknown name's challenge costs what a user's does (paired, RADIUS and HTTP, 300 rounds)"
# A shared CI machine can disturb one run: a failure is run once more, and only two fail CI.
bash scripts/timing-pair.sh || { echo "--- |z| >= 3: once more, to tell a leak from a disturbance"; bash scripts/timing-pair.sh; }

step "ocserv + openconnect: a real SSL-VPN against the RADIUS door"
bash scripts/ocserv-test.sh

step "HTTPS: curl and openssl against the server's TLS (certificates, TLS 1.1 refused, handshake flood, SIGHUP reload)"
bash scripts/ops-tls-test.sh

step "clusters: the store conformance suite on SQLite and PostgreSQL, two nodes on one PostgreSQL"
bash scripts/cluster-test.sh

step "TLS to PostgreSQL: ssl=on with a test CA, hostssl only (verify-full, verify-ca, wrong CA, disable refused)"
bash scripts/ops-pgtls-test.sh
step "syslog to rsyslog (udp, tcp, tls), a collector outage, /metrics through promtool"
bash scripts/syslog-test.sh
step "Debian package: cargo deb, dpkg -i, owners and modes, init and serve as the service user, remove, purge"
bash scripts/deb-test.sh

step "benchmarks compile (running them is scripts/bench.sh)"
cargo bench --no-run --locked -q -p matrixauth-benches

step "fuzzing: every target built and run for 10 s (scripts/fuzz.sh runs longer)"
bash scripts/fuzz.sh 10

step "terminal demo runs (scripted answers)"
# grep reads to the end (not -q): an early exit closes the pipe while the demo still prints, and
# with pipefail its broken-pipe panic failed the step now and then.
printf 'wrong\n\n' | cargo run -q --example login --locked | grep '=> rejected' > /dev/null

echo
echo "all tests passed"
