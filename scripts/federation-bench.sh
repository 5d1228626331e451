#!/usr/bin/env bash
# Complete SAML logins per second (issue 22): a release `matrixauth serve` with the SAML IdP on, on
# 127.0.0.1 with its embedded SQLite store, THREADS enrolled users, and scripts/federation_load.py
# logging them in concurrently (AuthnRequest, grid, answer, signed Response) for SECONDS; then the
# signing cost against its floor (one ECDSA P-256 signature), from the release build of
# server/tests/saml.rs. Prints one JSON line per run. Run by scripts/bench.sh.
#
#   scripts/federation-bench.sh [THREADS ...] [-- SECONDS]      e.g. scripts/federation-bench.sh 1 8 -- 10
set -euo pipefail
cd "$(dirname "$0")/.."
counts=()
seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --) seconds=${2:-10}; shift $#;;
    *) counts+=("$1"); shift;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(8)
cargo build -q --release --locked -p matrixauth-server --bin matrixauth
bin=$PWD/target/release/matrixauth
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
http=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
sp="https://sp.bench/metadata"
cat > "$tmp/config.toml" <<TOML
[http]
listen = "127.0.0.1:$http"
api_rate = 0

[saml]
[[saml.sp]]
entity_id = "$sp"
acs = ["https://sp.bench/acs"]
sign_response = true
TOML
mkdir -m 700 "$tmp/data"
"$bin" init --data "$tmp/data" >/dev/null
max=$(printf '%s\n' "${counts[@]}" | sort -n | tail -1)
for i in $(seq 0 $((max - 1))); do "$bin" users invite "load$i" --data "$tmp/data" --json; done > "$tmp/links"
"$bin" serve --config "$tmp/config.toml" --data "$tmp/data" --no-first-invitation > "$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^matrixauth login portal: ' "$tmp/serve.log" 2>/dev/null && break; sleep 0.1; done
python3 scripts/mxtest.py enrol "$http" "$tmp/links"
for n in "${counts[@]}"; do
  python3 scripts/federation_load.py "$http" "$sp" "$n" "$seconds"
done
cargo test -q --release --locked -p matrixauth-server --test saml -- --ignored signing_cost_against_its_floor \
  --nocapture 2>/dev/null | grep '^{'
