#!/usr/bin/env bash
# Complete RADIUS logins per second (issues 13 and 20): a release `matrixauth serve --radius` on
# 127.0.0.1 with its embedded SQLite store, USERS enrolled users, and benches/src/bin/radius_load.rs
# logging them in concurrently (challenge, answer, accept) for SECONDS. Prints one JSON line per
# run. Run by scripts/bench.sh.
#
#   scripts/radius-bench.sh [--eap] [USERS ...] [-- SECONDS]      e.g. scripts/radius-bench.sh 8 32 -- 10
#
# With --eap, each login is EAP-MSCHAPv2 as an IKEv2 gateway relays it (issue 25): the grid from
# the portal (one HTTP request), then Identity, Challenge, Response, Success and its ack (four
# RADIUS round trips), the Access-Accept's MPPE keys checked; the JSON line is
# "radius_eap_logins". The portal's API rate limit is off for the run.
#
# With MATRIXAUTH_BEFORE=/path/to/an/older/matrixauth, each concurrency is run against that binary
# too, alternating, in the same run on the same machine: how issue 20's before/after figures in
# docs/BENCHMARKS.md were made (the older binary built from 52307aa with
# `CARGO_TARGET_DIR=/tmp/before-target cargo build --release -p matrixauth-cli`).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=()
seconds=10
eap=""
while [ $# -gt 0 ]; do
  case "$1" in
    --) seconds=${2:-10}; shift $#;;
    --eap) eap=1; shift;;
    *) counts+=("$1"); shift;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(32)
cargo build -q --release --locked -p matrixauth-server -p matrixauth-benches --bin matrixauth --bin radius_load
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
secret='benchmark shared secret, 32 chr'
printf '[[client]]\nname = "bench"\naddress = "127.0.0.1"\nsecret = "%s"\nflow = "challenge"\n' "$secret" > "$tmp/c.toml"
[ -z "$eap" ] || printf 'eap = ["mschapv2"]\n' >> "$tmp/c.toml"
chmod 600 "$tmp/c.toml"
# The load logs a few users in thousands of times a second: the RADIUS rate limits are off. The
# flags replace [radius]'s listen and clients_file; [radius.rate] still applies.
printf '[radius]\nlisten = "127.0.0.1:0"\nclients_file = "c.toml"\n[radius.rate]\nclient_per_second = 0\nname_per_minute = 0\n' \
  > "$tmp/rate-off.toml"

# bench LABEL BIN USERS: a fresh data folder, USERS users, one load run; one JSON line.
bench() {
  local label=$1 bin=$2 users=$3
  local data="$tmp/data-$1-$3" http radius
  http=$(port STREAM); radius=$(port DGRAM)
  local config=()  # an older binary has no rate limits, and no [radius.rate] to read
  [ "$label" = this ] && config=(--config "$tmp/rate-off.toml")
  local mode=()
  [ -z "$eap" ] || { config+=(--api-rate 0); mode=("eap:$http"); }
  "$bin" serve --port "$http" --data "$data" --radius "127.0.0.1:$radius" \
    --radius-clients "$tmp/c.toml" "${config[@]}" --no-first-invitation > "$tmp/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/log" 2>/dev/null && break; sleep 0.1; done
  for i in $(seq 0 $((users - 1))); do
    "$bin" users invite "u$i" --data "$data" --json
  done > "$tmp/links"
  python3 scripts/mxtest.py enrol "$http" "$tmp/links"
  target/release/radius_load "127.0.0.1:$radius" "$secret" u "$users" "$seconds" "${mode[@]}" |
    sed "s/^{/{\"build\":\"$label\",/"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

for users in "${counts[@]}"; do
  if [ -n "${MATRIXAUTH_BEFORE:-}" ]; then
    bench before "$MATRIXAUTH_BEFORE" "$users"
  fi
  bench this target/release/matrixauth "$users"
done
