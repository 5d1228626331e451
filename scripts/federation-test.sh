#!/usr/bin/env bash
# Federation against real peers (issue 22): starts two `matrixauth serve` nodes on 127.0.0.1 over
# one throw-away PostgreSQL (scripts/lib/pg.sh; the nodes as the least-privilege role), with a SAML
# service provider and an OpenID Connect client configured, enrols users through the web API, and runs scripts/federation_peers.py with Debian's
# /usr/bin/python3: pysaml2 7.0.1 as the SP (its RSA-SHA256-signed AuthnRequests and
# LogoutRequests; it validates our Response through xmlsec1), xmlsec1 1.2.37 --verify on every
# signed message, authlib 1.2.0 as the relying party (code + PKCE, ID token against the JWKS),
# then a real SP-initiated login in headless Chromium. Installs the Debian packages it needs if
# they are missing. Everything stops at the end, even on failure. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need=""
/usr/bin/python3 -c 'import saml2' 2>/dev/null || need="$need python3-pysaml2"
/usr/bin/python3 -c 'import authlib, requests' 2>/dev/null || need="$need python3-authlib python3-requests"
command -v xmlsec1 >/dev/null || need="$need xmlsec1"
command -v openssl >/dev/null || need="$need openssl"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
if [ -n "$need" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq $need >/dev/null
fi

source scripts/lib/pg.sh
cargo build -q --locked -p matrixauth-server
bin=$PWD/target/debug/matrixauth
tmp=$(mktemp -d)
cleanup() {
  if [ -f "$tmp/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/pids"
  fi
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
pg_start "$tmp"

port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
http=$(port); http2=$(port); sp_port=$(port); rp_port=$(port); web=$(port)
export SP_PORT=$sp_port
export SP_ENTITY="http://127.0.0.1:$sp_port/sp.xml" SP_ACS="http://127.0.0.1:$sp_port/acs"
export SP_SLO="http://127.0.0.1:$sp_port/slo" RP_REDIRECT="http://127.0.0.1:$rp_port/cb"
export RP_SECRET="rp-secret-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
# The SP's RSA key and certificate (pysaml2 signs with it; the IdP checks with the certificate).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/sp.key" -out "$tmp/sp.pem" -days 2 \
  -subj "/CN=pysaml2 test SP" 2>/dev/null
secret_hash=$(printf '%s' "$RP_SECRET" | sha256sum | cut -d' ' -f1)

# config PORT: one node's configuration (the nodes differ only in their port).
config() {
  cat <<TOML
[http]
listen = "127.0.0.1:$1"
origins = ["http://127.0.0.1:$1"]

[saml]
entity_id = "http://127.0.0.1:$http/saml/metadata"

[[saml.sp]]
entity_id = "$SP_ENTITY"
acs = ["$SP_ACS", "http://127.0.0.1:$web/saml/acs"]
slo = "$SP_SLO"
certificate = "$tmp/sp.pem"
want_signed_requests = true
sign_response = true

[oidc]
issuer = "http://127.0.0.1:$http"

[[oidc.client]]
client_id = "rp"
secret_sha256 = "$secret_hash"
redirect_uris = ["$RP_REDIRECT", "http://127.0.0.1:$web/oidc/cb"]
TOML
}
config "$http" > "$tmp/node1.toml"
config "$http2" > "$tmp/node2.toml"

mkdir -m 700 "$tmp/data"
# The owner role makes the schema; the nodes and the admin commands then run as the role that can
# only read and write rows (docs/DEPLOY.md). The URL goes by environment, not argv.
MATRIXAUTH_DATABASE="$PG_URL" "$bin" init --data "$tmp/data" >/dev/null
pg_app_role
export MATRIXAUTH_DATABASE="$PG_APP_URL"
for user in alice bob carol dave erin; do
  "$bin" users invite "$user" --data "$tmp/data" --json
done > "$tmp/links"

start() {
  "$bin" serve --config "$1" --node "$3" --data "$tmp/data" --no-first-invitation > "$2" 2>&1 &
  echo $! >> "$tmp/pids"
  for _ in $(seq 100); do grep -q '^matrixauth login portal: ' "$2" 2>/dev/null && break; sleep 0.1; done
  grep -q '^matrixauth login portal: ' "$2" || { cat "$2"; echo "server did not start"; exit 1; }
}
start "$tmp/node1.toml" "$tmp/node1.log" n1
start "$tmp/node2.toml" "$tmp/node2.log" n2
grep -q '^federation: SAML IdP' "$tmp/node1.log" || { cat "$tmp/node1.log"; exit 1; }
python3 scripts/mxtest.py enrol "$http" "$tmp/links"
"$bin" users group add alice vpn-users --data "$tmp/data" >/dev/null
"$bin" users group add alice 年度-管理 --data "$tmp/data" >/dev/null
"$bin" users group add erin vpn-users --data "$tmp/data" >/dev/null

MATRIXAUTH_BIN="$bin" MATRIXAUTH_DATA="$tmp/data" /usr/bin/python3 scripts/federation_peers.py "$http" "$http2" "$tmp"

# The browser half: a pysaml2 SP and an authlib RP as web applications, driven in headless
# Chromium (playwright-core, as scripts/e2e.sh) through the portal's grid.
command -v chromium >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq chromium >/dev/null
}
if [ ! -d server/e2e/node_modules/playwright-core ]; then
  (cd server/e2e && npm ci --no-audit --no-fund)
fi
SP_ENTITY="$SP_ENTITY" /usr/bin/python3 scripts/federation_browser_peers.py "http://127.0.0.1:$http" "$web" "$tmp" \
  > "$tmp/peers.log" 2>&1 &
echo $! >> "$tmp/pids"
for _ in $(seq 100); do grep -q '^peers on ' "$tmp/peers.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^peers on ' "$tmp/peers.log" || { cat "$tmp/peers.log"; echo "the browser peers did not start"; exit 1; }
start_ms=$(date +%s%3N)
PEERS="http://127.0.0.1:$web" node --test server/e2e/federation.e2e.mjs
echo "federation in Chromium: $(( $(date +%s%3N) - start_ms )) ms including the browser launch"
