#!/usr/bin/env bash
# Benchmarks (issue 7): criterion for every operation, its cryptographic floor and totp-rs, then
# the frontends against their ecosystems' TOTP peers: pyotp (Python), otplib (Node, against the
# WASM build) and liboath (C), then RADIUS logins per second. Prints one table. About 3 minutes; not part of CI (CI compiles
# the benches). docs/BENCHMARKS.md holds the latest table.
set -euo pipefail
cd "$(dirname "$0")/.."

peers=$(mktemp)
trap 'rm -f "$peers"' EXIT

echo "=== criterion (operations, floors, totp-rs)" >&2
cargo bench --locked -q -p matrixauth-benches --bench ops -- --warm-up-time 1 --measurement-time 3 --noplot >&2

echo "=== Python: pyotp vs matrixauth" >&2
bash scripts/python-test.sh >/dev/null
rm -rf target/wheels
target/pyenv/bin/maturin build --quiet --release --locked -m python/Cargo.toml -o target/wheels
target/pyenv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/*.whl
target/pyenv/bin/pip install -q --disable-pip-version-check pyotp==2.9.0
target/pyenv/bin/python benches/peers/python_bench.py | tee -a "$peers" >&2

echo "=== Node: otplib vs matrixauth (WASM)" >&2
bash scripts/wasm-build.sh  # always: a package left from older sources would measure old code
(cd benches/peers/node && { [ -d node_modules/otplib ] || npm ci --no-audit --no-fund >/dev/null; } && node bench.mjs) \
  | tee -a "$peers" >&2

echo "=== C: liboath vs libmatrixauth" >&2
if ! pkg-config --exists liboath 2>/dev/null; then
  apt-get install -y -qq liboath-dev >/dev/null 2>&1 || echo "liboath-dev not installable: C peer skipped" >&2
fi
if pkg-config --exists liboath; then
  cargo build --locked -q --release -p matrixauth-ffi
  # Linked through an install, as an appliance would (the SONAME is libmatrixauth.so.0).
  bash scripts/install-c.sh target/c-prefix > /dev/null
  cc -O2 -o target/release/c_bench benches/peers/c_bench.c $(pkg-config --cflags --libs liboath) \
    $(PKG_CONFIG_PATH=target/c-prefix/lib/pkgconfig pkg-config --cflags --libs matrixauth)
  target/release/c_bench | tee -a "$peers" >&2
fi

echo "=== RADIUS: complete logins per second on loopback (SQLite store)" >&2
bash scripts/radius-bench.sh 8 32 -- 10 | tee -a "$peers" >&2
echo "=== RADIUS: EAP-MSCHAPv2 logins per second (portal grid + four RADIUS round trips)" >&2
bash scripts/radius-bench.sh --eap 8 -- 10 | tee -a "$peers" >&2

echo "=== SAML: complete logins per second on loopback (SQLite store), signing cost against one P-256 signature" >&2
bash scripts/federation-bench.sh 1 8 -- 10 | tee -a "$peers" >&2

echo "=== clusters: one node on SQLite, one and two nodes on one PostgreSQL" >&2
bash scripts/cluster-bench.sh 8 10 | tee -a "$peers" >&2

echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(rustc --version)"
python3 benches/peers/table.py target/criterion "$peers"
