#!/usr/bin/env bash
# Paired timing test (issue 21, item 6; SPEC §13 "no door tells users apart"): starts a release
# `matrixauth serve` on 127.0.0.1 at free ports with a throw-away data folder, enrols one pattern
# user, then for ROUNDS rounds asks, in a random order within each round, a challenge for that
# user and for an unknown name, over RADIUS and over HTTP, and compares the two by a paired test
# (scripts/timing_pair.py prints the figures). Exits 1 when the trimmed |z| of a door is 3 or
# more: an unknown name's challenge is told apart from a user's by its timing.
#
#   scripts/timing-pair.sh [--postgres] [ROUNDS]        (ROUNDS: 300 by default; about 10 s)
#
# --postgres runs the server on a throw-away PostgreSQL (scripts/lib/pg.sh) instead of SQLite.
# MATRIXAUTH_BIN=/path/to/matrixauth measures another build (how docs/BENCHMARKS.md's "before"
# figures were made: a release build of the commit before the change). scripts/test.sh runs it
# (SQLite, 300 rounds) and runs it once more when it fails, since a shared 2-core machine can
# disturb one run; `scripts/timing-pair.sh 3000` and `--postgres 2000` are long runs made by hand
# (docs/BENCHMARKS.md has the figures, the statistic and why it trims).
set -euo pipefail
cd "$(dirname "$0")/.."
db=sqlite
rounds=300
for arg in "$@"; do
  case "$arg" in
    --postgres) db=postgres;;
    *) rounds=$arg;;
  esac
done
if [ -n "${MATRIXAUTH_BIN:-}" ]; then
  bin=$MATRIXAUTH_BIN
else
  cargo build -q --release --locked -p matrixauth-server --bin matrixauth
  bin=${CARGO_TARGET_DIR:-target}/release/matrixauth
fi
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  [ "$db" = postgres ] && pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$db" = postgres ]; then
  source scripts/lib/pg.sh
  pg_start "$tmp"
  # By environment, not argv: the URL holds a password.
  export MATRIXAUTH_DATABASE="$PG_URL"
fi
port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
secret='timing test shared secret, 32 c'
printf '[[client]]\nname = "timing"\naddress = "127.0.0.1"\nsecret = "%s"\nflow = "challenge"\n' "$secret" > "$tmp/c.toml"
chmod 600 "$tmp/c.toml"
mkdir -m 700 "$tmp/data"
# The test asks two names 600 times each from one client: the RADIUS rate limits (docs/RADIUS.md)
# are off, as in scripts/radius-bench.sh. The flags replace [radius]'s listen and clients_file;
# [radius.rate] still applies. A binary from before the limits refuses the key: it runs without.
printf '[radius]\nlisten = "127.0.0.1:0"\nclients_file = "c.toml"\n[radius.rate]\nclient_per_second = 0\nname_per_minute = 0\n' \
  > "$tmp/rate-off.toml"
config=(--config "$tmp/rate-off.toml")
"$bin" "${config[@]}" init --data "$tmp/data" > /dev/null 2>&1 || { config=(); "$bin" init --data "$tmp/data" > /dev/null; }
http=$(port STREAM); radius=$(port DGRAM)
# --api-rate 0: the test sends 1,300 challenges from one address, over the default 120 a minute.
"$bin" "${config[@]}" serve --port "$http" --data "$tmp/data" --radius "127.0.0.1:$radius" \
  --radius-clients "$tmp/c.toml" --api-rate 0 --no-first-invitation > "$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/log" 2>/dev/null && break; sleep 0.1; done
grep -q '^RADIUS: ' "$tmp/log" || { cat "$tmp/log"; echo "the server did not start"; exit 1; }
"$bin" users invite alice --data "$tmp/data" --json > "$tmp/links"
python3 scripts/mxtest.py enrol "$http" "$tmp/links"
echo "--- $("$bin" --version 2>/dev/null || echo matrixauth) on $db, $(nproc) cores"
python3 scripts/timing_pair.py "$http" "$radius" "$secret" alice "$rounds"
