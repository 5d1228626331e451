#!/usr/bin/env bash
# RADIUS logins per second (issue 13): a release `matrixauth serve --radius` on 127.0.0.1 with its
# embedded SQLite store, USERS enrolled users, and benches/src/bin/radius_load.rs logging them in
# concurrently (challenge, answer, accept) for SECONDS. Prints one JSON line. Run by
# scripts/bench.sh; alone: scripts/radius-bench.sh [USERS] [SECONDS].
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-32}
seconds=${2:-10}
cargo build -q --release --locked -p matrixauth-server -p matrixauth-benches --bin matrixauth --bin radius_load
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
http=$(port STREAM); radius=$(port DGRAM)
secret='benchmark shared secret, 32 chr'
printf '[[client]]\nname = "bench"\naddress = "127.0.0.1"\nsecret = "%s"\nflow = "challenge"\n' "$secret" > "$tmp/c.toml"
chmod 600 "$tmp/c.toml"
target/release/matrixauth serve --port "$http" --data "$tmp/data" --radius "127.0.0.1:$radius" \
  --radius-clients "$tmp/c.toml" > "$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/log" 2>/dev/null && break; sleep 0.1; done
for i in $(seq 0 $((users - 1))); do
  target/release/matrixauth users invite "u$i" --data "$tmp/data" --json
done > "$tmp/links"
python3 scripts/mxtest.py enrol "$http" "$tmp/links"
target/release/radius_load "127.0.0.1:$radius" "$secret" u "$users" "$seconds"
