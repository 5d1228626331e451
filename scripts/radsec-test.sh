#!/usr/bin/env bash
# RadSec (RADIUS over TLS, RFC 6614) against a real peer (issue 24): starts `matrixauth serve` on
# 127.0.0.1 with free ports and a [radius.radsec] listener whose two clients are known by their
# certificates' fingerprints, and Debian's radsecproxy in front of it, one instance per client
# certificate: radclient sends UDP to radsecproxy, which forwards over TLS with that certificate.
# A third radsecproxy holds a certificate from another CA, and openssl s_client presents a
# certificate of the right CA that no client names, and none at all: all refused and audited.
# The test certificates are made here with openssl. Checks in scripts/radsec_peers.py, then every
# check of scripts/radius_peers.py (the UDP door's) through the proxies. Installs
# radsecproxy and radclient if they are missing. Everything stops at the end, even on failure.
# Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need=""
command -v radclient >/dev/null || need="$need freeradius-utils"
command -v radsecproxy >/dev/null || [ -x /usr/sbin/radsecproxy ] || need="$need radsecproxy"
command -v openssl >/dev/null || need="$need openssl"
if [ -n "$need" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
radsecproxy=$(command -v radsecproxy || echo /usr/sbin/radsecproxy)

cargo build -q --locked -p matrixauth-server
bin=$PWD/target/debug/matrixauth
tmp=$(mktemp -d)
cleanup() {
  if [ -f "$tmp/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/pids"
  fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }

# --- test certificates: a CA, the server (IP SAN 127.0.0.1), three clients, and a rogue CA's ---
pki=$tmp/pki
mkdir -m 700 "$pki"
ca() { # NAME SUBJECT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$pki/$1.key" -out "$pki/$1.pem" 2>/dev/null
}
leaf() { # NAME CN CA EXTENSIONS
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
  printf '%s\n' "$4" > "$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial -days 2 \
    -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'
ca ca "matrixauth test CA"
ca rogue "some other CA"
leaf server matrixauth-radsec ca 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1'
leaf vpn-ch fortigate-branch ca "$client_ext"
leaf vpn-otp pulse-gateway ca "$client_ext"
leaf unknown not-a-client ca "$client_ext"
# The rogue certificate has the same subject as a real client: the subject proves nothing.
leaf impostor fortigate-branch rogue "$client_ext"
fp() { openssl x509 -in "$pki/$1.pem" -noout -fingerprint -sha256; }

# --- the server: both clients over RadSec only (no UDP listener) ------------------------------
http=$(port STREAM); radsec=$(port STREAM)
cat > "$tmp/config.toml" <<TOML
[radius.radsec]
listen = "127.0.0.1:$radsec"
cert = "pki/server.pem"
key = "pki/server.key"
ca = "pki/ca.pem"

[[radius.radsec.client]]
name = "vpn-radsec-ch"
certificates = ["$(fp vpn-ch)"]
flow = "challenge"

[[radius.radsec.client]]
name = "vpn-radsec-otp"
certificates = ["$(fp vpn-otp)"]
flow = "otp"
tickets = true
TOML
mkdir -m 700 "$tmp/data"
"$bin" serve --config "$tmp/config.toml" --port "$http" --data "$tmp/data" --audience vpn-radsec-otp \
  > "$tmp/server.log" 2>&1 &
echo $! >> "$tmp/pids"
for _ in $(seq 100); do grep -q '^RadSec: ' "$tmp/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^RadSec: ' "$tmp/server.log" || { cat "$tmp/server.log"; echo "the server did not start"; exit 1; }

# --- radsecproxy: UDP from radclient on 127.0.0.1, TLS to the server with CERT --------------------
secret='radclient-to-radsecproxy-secret'
proxy() { # NAME CERT: starts radsecproxy; prints its UDP port
  local name=$1 cert=$2 udp
  udp=$(port DGRAM)
  cat > "$tmp/$name.conf" <<CONF
ListenUDP 127.0.0.1:$udp
LogLevel 3
LogDestination file://$tmp/$name.log
tls matrixauth {
    CACertificateFile $pki/ca.pem
    CertificateFile $pki/$cert.pem
    CertificateKeyFile $pki/$cert.key
}
client radclient {
    host 127.0.0.1
    type udp
    secret $secret
}
server matrixauth {
    host 127.0.0.1
    port $radsec
    type tls
    tls matrixauth
    secret radsec
}
realm * {
    server matrixauth
}
CONF
  "$radsecproxy" -f -c "$tmp/$name.conf" -i "$tmp/$name.pid" > "$tmp/$name.out" 2>&1 &
  echo $! >> "$tmp/pids"
  for _ in $(seq 50); do [ -s "$tmp/$name.log" ] && break; sleep 0.1; done
  echo "$udp"
}
proxy_ch=$(proxy proxy-ch vpn-ch)
proxy_otp=$(proxy proxy-otp vpn-otp)
proxy_rogue=$(proxy proxy-rogue impostor)

# Enrollment needs the administrator's invitation: the token is the link's fragment.
for user in alice bob carol dave erin vendor.user-with-a-long-id-030; do
  "$bin" users invite "$user" --data "$tmp/data" --json
done > "$tmp/links"
python3 scripts/mxtest.py enrol "$http" "$tmp/links"
"$bin" card frank --data "$tmp/data" > "$tmp/frank.card"

status=0
# Each checker's output is kept for the total at the end.
checks() { "$@" | tee -a "$tmp/checks"; return "${PIPESTATUS[0]}"; }
MATRIXAUTH_BIN="$bin" MATRIXAUTH_DATA="$tmp/data" PKI="$pki" RADSEC_PORT="$radsec" \
  checks python3 scripts/radsec_peers.py "$proxy_ch" "$proxy_otp" "$proxy_rogue" "$http" "$secret" || status=$?
# The UDP door's own checks (scripts/radius_peers.py), every one through radsecproxy and RadSec.
echo "--- the RADIUS checks of scripts/radius_peers.py, through radsecproxy"
MATRIXAUTH_BIN="$bin" MATRIXAUTH_DATA="$tmp/data" CARD_FILE="$tmp/frank.card" \
  checks python3 scripts/radius_peers.py "$proxy_ch" "$proxy_otp" "$http" "$http" "$secret" || status=$?
if [ "$status" -ne 0 ]; then
  for f in server.log proxy-ch.log proxy-otp.log proxy-rogue.log; do echo "--- $f"; tail -n 30 "$tmp/$f" || true; done
fi
echo
awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 } END { printf "radsec: %d passed, %d failed\n", p, f }' "$tmp/checks"
exit "$status"
