#!/usr/bin/env bash
# TLS to PostgreSQL (issue 24) against a real server: a throw-away PostgreSQL (scripts/lib/pg.sh,
# 127.0.0.1 and a free port only) with ssl=on, a test CA and a server certificate for `localhost`
# made by openssl, and pg_hba.conf accepting only `hostssl` connections. Then:
#   - a node with sslmode=verify-full&sslrootcert=ca.pem enrols and logs a user in, and
#     pg_stat_ssl shows its connections encrypted;
#   - verify-full to 127.0.0.1 (not a name in the certificate) is refused, verify-ca accepts it;
#   - a wrong CA is refused with a clear error; sslmode=disable is refused by the server;
#   - a remote host without sslmode needs sslrootcert or sslmode=disable (no connection tried);
#   - no error shows the URL's password.
# Bounded in time; everything is stopped at the end, even on failure. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
if [ ! -x "${PG_BIN:-/nonexistent}/initdb" ]; then
  echo "installing postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql > /dev/null
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
command -v openssl > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl > /dev/null
cargo build --locked -q -p matrixauth-server
bin="$PWD/target/debug/matrixauth"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  pg_stop
  [ -n "${KEEP:-}" ] && cp "$tmp"/*.log /tmp/ 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
check() { # name, then a command
  local name=$1
  shift
  if "$@" > "$tmp/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
    grep -E '^(matrixauth: |ssl |accepted)' "$tmp/check.out" | head -3 | sed 's/^/     /' || true
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/     /' "$tmp/check.out" | head -20
  fi
}

pg_start "$tmp"
pw=$(cat "$PG_DIR.pw")
echo "--- PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

# --- a test CA, a server certificate for localhost, and another CA ----------------------------------
mkdir "$tmp/pki"
(
  cd "$tmp/pki"
  ossl() { openssl "$@" > /dev/null 2>&1; }
  for ca in ca wrong-ca; do
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca.key" -out "$ca.pem" -days 2 \
      -subj "/CN=matrixauth test $ca" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  done
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=localhost
  printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext
  ossl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext
)
chmod 755 "$tmp/pki"
chmod 644 "$tmp/pki/"*.pem

# --- ssl=on, hostssl only ---------------------------------------------------------------------------
pg_ctl_as stop
install -m 600 "$tmp/pki/server.key" "$PG_DIR/data/server.key"
install -m 644 "$tmp/pki/server.pem" "$PG_DIR/data/server.crt"
[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR/data/server.key" "$PG_DIR/data/server.crt"
printf "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" | pg_as tee -a "$PG_DIR/data/postgresql.conf" > /dev/null
# Only TLS connections from TCP: a plaintext one finds no pg_hba.conf line.
pg_as sed -i -E 's/^host(\s)/hostssl\1/' "$PG_DIR/data/pg_hba.conf"
pg_ctl_as start

root="$tmp/pki/ca.pem"
full="postgres://matrixauth:$pw@localhost:$PG_PORT/matrixauth?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=$root"
admin() { # URL, then a command line of matrixauth
  local url=$1
  shift
  MATRIXAUTH_DATABASE="$url" timeout 60 "$bin" "$@" --data "$tmp/node"
}

# --- a node on verify-full ---------------------------------------------------------------------------
mkdir -m 700 "$tmp/node"
check "init over verify-full (certificate for localhost, CA from sslrootcert)" admin "$full" init
http=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
MATRIXAUTH_DATABASE="$full" "$bin" serve --data "$tmp/node" --port "$http" --no-first-invitation --api-rate 0 \
  > "$tmp/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^matrixauth login portal' "$tmp/node.log" 2> /dev/null && break; sleep 0.1; done
enrol_and_login() {
  admin "$full" users invite alice --json > "$tmp/links"
  python3 scripts/mxtest.py enrol "$http" "$tmp/links"
  python3 - "$http" << 'EOF'
import sys
sys.path.insert(0, "scripts")
from mxtest import answer, http
port = sys.argv[1]
status, ch = http(port, "/api/challenge", {"user": "alice"})
status, res = http(port, "/api/verify", {"user": "alice", "token": ch["token"], "answer": answer(ch["matrix"])})
print(res.get("outcome"))
sys.exit(0 if status == 200 and res.get("outcome") == "accepted" else 1)
EOF
}
check "a node on verify-full enrols alice and logs her in" enrol_and_login
encrypted() {
  PGPASSWORD="$pw" PGSSLMODE=require "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U matrixauth -At matrixauth -c \
    "SELECT 'ssl ' || s.ssl || ' ' || s.version || ' ' || count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
     WHERE a.application_name = 'matrixauth' GROUP BY s.ssl, s.version" | tee /dev/stderr | grep -q '^ssl true TLSv1\.[23] '
}
check "the node's connections are TLS (pg_stat_ssl)" encrypted
check "users list over verify-full sees alice" bash -c "MATRIXAUTH_DATABASE='$full' '$bin' users list --data '$tmp/node' | grep -q alice"

# --- what is refused ---------------------------------------------------------------------------------
refused() { # expected text, URL, then matrixauth arguments: fails, says why, never the password
  local want=$1 url=$2 code=0
  shift 2
  admin "$url" "$@" > "$tmp/err" 2>&1 || code=$?
  cat "$tmp/err"
  echo "exit $code"
  [ "$code" != 0 ] && grep -qF -- "$want" "$tmp/err" && ! grep -qF -- "$pw" "$tmp/err"
}
ip="postgres://matrixauth:$pw@127.0.0.1:$PG_PORT/matrixauth"
check "verify-full to 127.0.0.1 is refused: the certificate names localhost only" \
  refused "certificate not valid for name" "$ip?sslmode=verify-full&sslrootcert=$root" users list
check "verify-ca to 127.0.0.1 is accepted: the chain is the CA's" admin "$ip?sslmode=verify-ca&sslrootcert=$root" users list
wrong="postgres://matrixauth:$pw@localhost:$PG_PORT/matrixauth?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=$tmp/pki/wrong-ca.pem"
check "a wrong CA is refused with a clear error" refused "invalid peer certificate: UnknownIssuer" "$wrong" users list
check "sslmode=disable is refused by the server (hostssl only)" \
  refused "no encryption" "$ip?sslmode=disable" users list
remote="postgres://matrixauth:$pw@db.invalid:5432/matrixauth"
check "a remote host without sslmode needs sslrootcert (verify-full by default) or sslmode=disable" \
  refused "sslmode=verify-full (the default for a database on another host): needs sslrootcert" "$remote" users list
check "sslmode=prefer is refused for a remote host" refused "sslmode=prefer: only for a local database" "$remote?sslmode=prefer" users list
check "an unknown sslmode is refused" refused 'sslmode="allow"' "$ip?sslmode=allow" users list
check "an unreadable sslrootcert is refused, naming it" \
  refused "sslrootcert $tmp/pki/none.pem: cannot read it" "$ip?sslmode=verify-ca&sslrootcert=$tmp/pki/none.pem" users list
check "loopback without sslmode (prefer-like) uses the server's TLS (hostssl-only lets it in)" admin "$ip" users list

echo
echo "ops-pgtls: $passed passed, $failed failed"
[ "$failed" = 0 ]
