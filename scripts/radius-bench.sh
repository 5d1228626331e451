#!/usr/bin/env bash
# RADIUS logins per second (issue 13): a release `matrixauth serve --radius` on 127.0.0.1 with its
# embedded SQLite store, USERS enrolled users, and benches/src/bin/radius_load.rs logging them in
# concurrently (challenge, answer, accept) for SECONDS. Prints one JSON line. Run by
# scripts/bench.sh; alone: scripts/radius-bench.sh [USERS] [SECONDS].
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-32}
seconds=${2:-10}
cargo build -q --release --locked -p matrixauth-cli -p matrixauth-benches --bin matrixauth --bin radius_load
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
python3 - "$http" "$tmp/links" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
for line in open(sys.argv[2]):
    invite = json.loads(line)["link"].split("#invite=")[1]
    body = {"invite": invite, "cells": ["B2", "G3", "D5", "A8", "H1", "E6"], "fixed": "pw", "fixedAt": 2}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/enroll", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json", "origin": f"http://127.0.0.1:{port}"})
    assert urllib.request.urlopen(req).status == 201
PY
target/release/radius_load "127.0.0.1:$radius" "$secret" u "$users" "$seconds"
