#!/usr/bin/env bash
# Complete RADIUS logins per second (issue 14) for three deployments on this machine:
#   sqlite     one release `matrixauth serve` on its embedded SQLite store;
#   pg-1       one node on a throw-away PostgreSQL (scripts/lib/pg.sh, default settings: fsync on);
#   pg-2       two nodes on that PostgreSQL, sharing one keyring, each loaded by its own generator.
# benches/src/bin/radius_load.rs logs USERS_PER_NODE enrolled users in per node, one thread each
# (Access-Request, Access-Challenge with the grid, answer, Access-Accept), for SECONDS. Server,
# database and load generators share the machine. Prints one JSON line per deployment (the sum of
# logins/s over the nodes and the worst p99). Run by scripts/bench.sh; alone:
#   scripts/cluster-bench.sh [USERS_PER_NODE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
users=${1:-8}
seconds=${2:-10}
cargo build -q --release --locked -p matrixauth-server -p matrixauth-benches --bin matrixauth --bin radius_load
bin=target/release/matrixauth
tmp=$(mktemp -d)
cleanup() {
  [ -f "$tmp/pids" ] && while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/pids"
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
secret='benchmark shared secret, 32 chr'
printf '[[client]]\nname = "bench"\naddress = "127.0.0.1"\nsecret = "%s"\nflow = "challenge"\n' "$secret" > "$tmp/c.toml"
chmod 600 "$tmp/c.toml"
# The load logs a few users in thousands of times a second: the RADIUS rate limits are off. The
# flags replace [radius]'s listen and clients_file; [radius.rate] still applies.
printf '[radius]\nlisten = "127.0.0.1:0"\nclients_file = "c.toml"\n[radius.rate]\nclient_per_second = 0\nname_per_minute = 0\n' \
  > "$tmp/rate-off.toml"

# node NAME DATA: starts a node, prints "HTTP RADIUS".
node() {
  local http radius
  http=$(port STREAM); radius=$(port DGRAM)
  "$bin" serve --data "$2" --port "$http" --radius "127.0.0.1:$radius" --radius-clients "$tmp/c.toml" \
    --config "$tmp/rate-off.toml" --api-rate 0 --no-first-invitation > "$tmp/$1.log" 2>&1 &
  echo $! >> "$tmp/pids"
  for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/$1.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^RADIUS: ' "$tmp/$1.log" || { cat "$tmp/$1.log" >&2; exit 1; }
  echo "$http $radius"
}

# enrol DATA HTTP PREFIX: USERS users PREFIX0.. through invitations and the portal.
enrol() {
  for i in $(seq 0 $((users - 1))); do "$bin" users invite "$3$i" --data "$1" --json; done > "$tmp/links"
  python3 scripts/mxtest.py enrol "$2" "$tmp/links"
}

# cpu PIDS...: CPU seconds (user + system) the processes used so far.
cpu() {
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
pg_pids() { pgrep -u "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" postgres | tr '\n' ' '; }

# report NAME NODES FILES...: the sum of the generators' logins/s, the worst p99.
report() {
  python3 - "$@" <<'PY'
import json, sys
name, nodes, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = [json.loads(open(f).read()) for f in files]
print(json.dumps({"name": f"cluster_{name}", "nodes": nodes, "users": sum(r["concurrency"] for r in runs),
                  "logins": sum(r["logins"] for r in runs),
                  "logins_per_second": round(sum(r["logins_per_second"] for r in runs)),
                  "p50_ms": max(r["p50_ms"] for r in runs), "p99_ms": max(r["p99_ms"] for r in runs)}))
PY
}

# --- one node, SQLite
mkdir -m 700 "$tmp/s"
read -r http radius < <(node s "$tmp/s")
enrol "$tmp/s" "$http" u
target/release/radius_load "127.0.0.1:$radius" "$secret" u "$users" "$seconds" > "$tmp/s.json"
report sqlite 1 "$tmp/s.json"
kill "$(tail -1 "$tmp/pids")"

# --- PostgreSQL: one node, then two
pg_start "$tmp"
export MATRIXAUTH_DATABASE="$PG_URL"
mkdir -m 700 "$tmp/a" "$tmp/b"
"$bin" init --data "$tmp/a" > /dev/null
cp -p "$tmp/a/keyring" "$tmp/b/keyring"
read -r http_a radius_a < <(node a "$tmp/a")
enrol "$tmp/a" "$http_a" a
target/release/radius_load "127.0.0.1:$radius_a" "$secret" a "$users" "$seconds" > "$tmp/a1.json"
report pg-1 1 "$tmp/a1.json"
read -r http_b radius_b < <(node b "$tmp/b")
enrol "$tmp/b" "$http_b" b
nodes=$(tail -2 "$tmp/pids" | tr '\n' ' ')
# Where the two cores go during the two-node run: the database's processes against the nodes'.
pg_before=$(cpu $(pg_pids)); nodes_before=$(cpu $nodes)
target/release/radius_load "127.0.0.1:$radius_a" "$secret" a "$users" "$seconds" > "$tmp/a2.json" &
target/release/radius_load "127.0.0.1:$radius_b" "$secret" b "$users" "$seconds" > "$tmp/b2.json"
wait %1
pg_cpu=$(( $(cpu $(pg_pids)) - pg_before )); nodes_cpu=$(( $(cpu $nodes) - nodes_before ))
report pg-2 2 "$tmp/a2.json" "$tmp/b2.json"
hz=$(getconf CLK_TCK)
echo "{\"name\": \"cluster_pg-2_cpu\", \"seconds\": $seconds, \"postgres_cpu_seconds\": $(awk "BEGIN{print $pg_cpu/$hz}"), \"nodes_cpu_seconds\": $(awk "BEGIN{print $nodes_cpu/$hz}"), \"cores\": $(nproc)}"
