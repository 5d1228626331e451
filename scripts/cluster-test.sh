#!/usr/bin/env bash
# Clusters on PostgreSQL (issue 14): a throw-away PostgreSQL (scripts/lib/pg.sh: initdb in a
# temporary folder as an unprivileged user, 127.0.0.1 and a free port only), then
#   1. the store conformance suite against SQLite and this PostgreSQL;
#   2. two `matrixauth serve` nodes (HTTP and RADIUS) sharing it and one keyring, checked by
#      scripts/cluster_checks.py: a challenge from one node answered on the other (HTTP and
#      RADIUS), tickets redeemed once across nodes, 50 concurrent wrong answers over both nodes
#      counted exactly, an admin unlock seen by both, a node killed mid-burst, and PostgreSQL
#      stopped and restarted under running nodes (503 / no RADIUS reply, then reconnection);
#      before those, scripts/console_cluster.py: the console (issue 23) on both nodes.
#   3. registered terminals: two more nodes with [terminals] policy = "required"; a passkey
#      registered through one logs in on the other (headless Chromium, virtual authenticator).
# Everything is stopped at the end, even on failure. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
if [ ! -x "${PG_BIN:-/nonexistent}/initdb" ]; then
  echo "installing postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql > /dev/null
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
command -v radclient > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q freeradius-utils > /dev/null
cargo build --locked -q -p matrixauth-server
bin="$PWD/target/debug/matrixauth"
tmp=$(mktemp -d)
cleanup() {
  [ -f "$tmp/pids" ] && while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/pids"
  pg_stop
  [ -n "${KEEP:-}" ] && cp "$tmp"/*.log /tmp/ 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
pg_start "$tmp"
echo "--- PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (cluster in $tmp/pg, run as $( [ "$(id -u)" = 0 ] && echo postgres || id -un))"

echo "--- the store conformance suite and the tamper suite: SQLite and PostgreSQL"
MATRIXAUTH_TEST_DATABASE_URL="$PG_URL" cargo test --locked -q -p matrixauth-server --test store_conformance 2>&1 | tail -3
MATRIXAUTH_TEST_DATABASE_URL="$PG_URL" cargo test --locked -q -p matrixauth-server --test tamper 2>&1 | tail -3

echo "--- two nodes on one PostgreSQL"
port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
secret='cluster shared secret, 31 chrs'
printf '[[client]]\nname = "vpn1"\naddress = "127.0.0.1"\nsecret = "%s"\nflow = "challenge"\ntickets = true\n' "$secret" > "$tmp/clients.toml"
chmod 600 "$tmp/clients.toml"
# The URL (with its password) goes by environment, not argv, which every local user can read.
# The owner role creates the schema; the nodes and admin commands then run as a role that can
# only read and write rows (docs/DEPLOY.md).
mkdir -m 700 "$tmp/a" "$tmp/b"
MATRIXAUTH_DATABASE="$PG_URL" "$bin" init --data "$tmp/a" > /dev/null
pg_app_role
export MATRIXAUTH_DATABASE="$PG_APP_URL"
cp -p "$tmp/a/keyring" "$tmp/b/keyring" # one keyring on every node
node() {
  local name=$1 http radius
  http=$(port STREAM); radius=$(port DGRAM)
  "$bin" serve --node "$name" --data "$tmp/$name" --port "$http" --radius "127.0.0.1:$radius" --radius-clients "$tmp/clients.toml" \
    --audience vpn1 --api-rate 0 --no-first-invitation > "$tmp/$name.log" 2>&1 &
  echo $! >> "$tmp/pids"
  echo $! > "$tmp/$name.pid"
  for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^RADIUS: ' "$tmp/$name.log" || { cat "$tmp/$name.log"; echo "node $name did not start"; exit 1; }
  echo "$http $radius"
}
read -r http_a radius_a < <(node a)
read -r http_b radius_b < <(node b)
echo "--- the console on both nodes: a request filed on one and approved on the other, everyone off"
BIN="$bin" DATA_A="$tmp/a" HTTP_A="$http_a" HTTP_B="$http_b" python3 scripts/console_cluster.py
BIN="$bin" DATA_A="$tmp/a" HTTP_A="$http_a" HTTP_B="$http_b" RADIUS_A="$radius_a" RADIUS_B="$radius_b" \
  SECRET="$secret" PID_B="$(cat "$tmp/b.pid")" PG_DIR="$PG_DIR" PG_PORT="$PG_PORT" \
  python3 scripts/cluster_checks.py

echo "--- registered terminals across two nodes (headless Chromium, virtual authenticator)"
if [ ! -d server/e2e/node_modules/playwright-core ]; then
  (cd server/e2e && npm ci --no-audit --no-fund)
fi
ta=$(port STREAM); tb=$(port STREAM)
printf '[terminals]\npolicy = "required"\nrp_id = "localhost"\norigins = ["http://localhost:%s", "http://localhost:%s"]\n' \
  "$ta" "$tb" > "$tmp/terminals.toml"
for n in ta tb; do
  mkdir -m 700 "$tmp/$n"
  cp -p "$tmp/a/keyring" "$tmp/$n/keyring"
  p=$([ "$n" = ta ] && echo "$ta" || echo "$tb")
  "$bin" serve --node "$n" --data "$tmp/$n" --port "$p" --origin "http://localhost:$p" --config "$tmp/terminals.toml" \
    --api-rate 0 --no-first-invitation > "$tmp/$n.log" 2>&1 &
  echo $! >> "$tmp/pids"
  for _ in $(seq 100); do grep -q 'http://' "$tmp/$n.log" 2>/dev/null && break; sleep 0.1; done
  grep -q 'http://' "$tmp/$n.log" || { cat "$tmp/$n.log"; echo "node $n did not start"; exit 1; }
done
CLUSTER_A="http://localhost:$ta" CLUSTER_B="http://localhost:$tb" CLUSTER_DATA="$tmp/ta" \
  CLUSTER_CONFIG="$tmp/terminals.toml" MATRIXAUTH_BIN="$bin" command node --test server/e2e/terminals-cluster.e2e.mjs
