# A throw-away PostgreSQL for tests and benchmarks, sourced by scripts/cluster-test.sh and
# scripts/cluster-bench.sh. Debian's server binaries (installed by scripts/setup.sh) run as an
# unprivileged user (PostgreSQL refuses root: the package's `postgres` user, else the caller),
# with the cluster in a temporary folder, listening only on 127.0.0.1 at a free port, password
# (SCRAM) authentication for the role `matrixauth`. Stopped by pg_stop (call it from a trap).
#
#   pg_start DIR        sets PG_URL (postgres://matrixauth:…@127.0.0.1:PORT/matrixauth), PG_PORT
#   pg_ctl_as stop|start  stops or starts the same cluster (the outage tests)
#   pg_stop             stops it, immediately
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
  python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"
}

pg_start() {
  PG_DIR="$1/pg"
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found (scripts/setup.sh installs postgresql)"; return 1; }
  mkdir -p "$PG_DIR"
  local pw
  pw=$(python3 -c "import secrets; print(secrets.token_hex(16))")
  printf '%s\n' "$pw" > "$PG_DIR.pw"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$PG_DIR" "$PG_DIR.pw"; chmod 755 "$1"; fi
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U matrixauth --pwfile="$PG_DIR.pw" --auth=scram-sha-256 \
    -E UTF8 --no-sync > "$PG_DIR.initdb.log" 2>&1 || { cat "$PG_DIR.initdb.log"; return 1; }
  PG_PORT=$(pg_free_port)
  pg_ctl_as start
  PG_URL="postgres://matrixauth:$pw@127.0.0.1:$PG_PORT/matrixauth"
  PGPASSWORD="$pw" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U matrixauth matrixauth
  export PG_URL PG_PORT
}

pg_ctl_as() {
  case "$1" in
    start) pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
             -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=200" start > /dev/null ;;
    stop) pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null ;;
  esac
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1
  return 0
}

# pg_app_role: a least-privilege role for the nodes (docs/DEPLOY.md): it reads and writes rows,
# never the schema. Sets PG_APP_URL. Run after the schema exists (`matrixauth init` / `db migrate`).
pg_app_role() {
  local pw
  pw=$(python3 -c "import secrets; print(secrets.token_hex(16))")
  PGPASSWORD=$(cat "$PG_DIR.pw") "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U matrixauth matrixauth <<SQL
CREATE ROLE matrixauth_app LOGIN PASSWORD '$pw';
GRANT CONNECT ON DATABASE matrixauth TO matrixauth_app;
GRANT USAGE ON SCHEMA public TO matrixauth_app;
GRANT SELECT ON matrixauth_schema TO matrixauth_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, decoys, invitations, windows, tickets, ticket_handles, roles, requests, user_groups TO matrixauth_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO matrixauth_app;
GRANT SELECT, INSERT, DELETE ON audit TO matrixauth_app;
GRANT USAGE ON SEQUENCE audit_id_seq, windows_id_seq, requests_id_seq TO matrixauth_app;
SQL
  PG_APP_URL="postgres://matrixauth_app:$pw@127.0.0.1:$PG_PORT/matrixauth"
  export PG_APP_URL
}
