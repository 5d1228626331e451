#!/usr/bin/env bash
# A real SSL-VPN against the RADIUS door (issue 27, item 4): ocserv 1.1.6 (Debian 12, RADIUS
# through radcli) in front of `matrixauth serve --radius`, and the openconnect client driven
# through its prompts with pexpect (scripts/ocserv_peers.py has the checks). Everything listens on
# 127.0.0.1 with free ports; a throw-away CA signs the gateway's certificate. When network
# namespaces can be made (root), one full tunnel also comes up between two private namespaces.
# Installs the Debian packages it needs if they are missing. Everything stops at the end, even on
# failure. Part of scripts/test.sh.
#
# Servers (one data folder):
#   ocserv-challenge                 flow challenge, legacy (radcli sends no Message-Authenticator)
#   ocserv-branch-office-gateway01   flow otp, tickets (a 30-byte name: the tickets' audience)
#   the same client name again, on a server that hands out signed tickets (too long for radcli)
# and one ocserv per server. MATRIXAUTH_BIN=PATH skips the build and uses that binary.
set -euo pipefail
cd "$(dirname "$0")/.."

need=""
command -v ocserv >/dev/null || need="$need ocserv"
command -v openconnect >/dev/null || need="$need openconnect"
command -v certtool >/dev/null || need="$need gnutls-bin"
/usr/bin/python3 -c 'import pexpect' 2>/dev/null || need="$need python3-pexpect"
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq $need >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $need >/dev/null; }
fi

if [ -z "${MATRIXAUTH_BIN:-}" ]; then
  cargo build -q --locked -p matrixauth-server
  bin=$PWD/target/debug/matrixauth
else
  bin=$MATRIXAUTH_BIN
fi
tmp=$(mktemp -d)
started=$(date +%s)

# Every process started here is a child of this shell (no subshells), so cleanup can wait for it.
pids=()
namespaces=()
cleanup() {
  local p ns
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }

# --- a throw-away CA and the gateway's certificate ---------------------------------------------
certtool --generate-privkey --key-type=ecdsa --outfile "$tmp/ca-key.pem" 2>/dev/null
printf 'cn = "matrixauth ocserv test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' > "$tmp/ca.tmpl"
certtool --generate-self-signed --load-privkey "$tmp/ca-key.pem" --template "$tmp/ca.tmpl" \
  --outfile "$tmp/ca.pem" 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --outfile "$tmp/server-key.pem" 2>/dev/null
# 10.213.0.1 is the gateway's address inside the private namespaces of the tunnel check.
printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\nip_address = "10.213.0.1"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' \
  > "$tmp/server.tmpl"
certtool --generate-certificate --load-privkey "$tmp/server-key.pem" --load-ca-certificate "$tmp/ca.pem" \
  --load-ca-privkey "$tmp/ca-key.pem" --template "$tmp/server.tmpl" --outfile "$tmp/server-cert.pem" 2>/dev/null

secret='ocserv-radius-secret-0123456789'
long_client=ocserv-branch-office-gateway01
long_user=vendor.user-with-a-long-id-030

# clients NAME FLOW TICKETS: the clients file NAME.toml with one legacy client, 127.0.0.1.
clients() {
  cat > "$tmp/$1.toml" <<TOML
[[client]]
name = "$1"
address = "127.0.0.1/32"
secret = "$secret"
flow = "$2"
tickets = $3
# radcli 1.2.11 (ocserv 1.1.6) sends no Message-Authenticator.
legacy = true
TOML
  chmod 600 "$tmp/$1.toml"
}

# serve TAG CLIENT [ARGS…]: `matrixauth serve` with CLIENT's file as its RADIUS clients and
# CLIENT as the portal's audience; sets http and radius to its ports. With NETNS set, it runs in
# that namespace (on its own 127.0.0.1).
serve() {
  local tag=$1 client=$2
  shift 2
  http=$(port STREAM)
  radius=$(port DGRAM)
  ${NETNS:+ip netns exec "$NETNS"} "$bin" serve --port "$http" --data "$tmp/data" --audience "$client" \
    --radius "127.0.0.1:$radius" --radius-clients "$tmp/$client.toml" "$@" > "$tmp/$tag.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/$tag.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^RADIUS: ' "$tmp/$tag.log" || { cat "$tmp/$tag.log"; echo "server $tag did not start"; exit 1; }
}

# gateway TAG RADIUS_PORT [LISTEN [TCP UDP]]: an ocserv whose RADIUS server is 127.0.0.1:RADIUS_PORT,
# in the foreground, with its configuration, sockets and log in the temp folder; sets gw to its
# TCP port. With NETNS set, it runs in that namespace and listens on LISTEN.
gateway() {
  local tag=$1 rport=$2 listen=${3:-127.0.0.1} tcp=${4:-$(port STREAM)} udp=${5:-}
  # radcli: the `servers` file holds the secret per server host (without the port).
  echo "127.0.0.1 $secret" > "$tmp/$tag.servers"
  chmod 600 "$tmp/$tag.servers"
  cat > "$tmp/$tag.radcli.conf" <<CONF
nas-identifier $tag
authserver 127.0.0.1:$rport
acctserver 127.0.0.1:$rport
servers $tmp/$tag.servers
dictionary /etc/radcli/dictionary
default_realm
radius_timeout 5
radius_retries 1
bindaddr 127.0.0.1
CONF
  cat > "$tmp/$tag.ocserv.conf" <<CONF
auth = "radius[config=$tmp/$tag.radcli.conf,groupconfig=false]"
listen-host = $listen
tcp-port = $tcp
${udp:+udp-port = $udp}
socket-file = $tmp/$tag.sock
occtl-socket-file = $tmp/$tag.occtl
use-occtl = false
pid-file = $tmp/$tag.pid
server-cert = $tmp/server-cert.pem
server-key = $tmp/server-key.pem
# As TOOLCHAIN.md has it for this sandbox (the checks also passed with "true" here, 2026-12-06).
isolate-workers = false
max-clients = 16
max-same-clients = 0
rate-limit-ms = 0
max-ban-score = 0
auth-timeout = 60
cookie-timeout = 300
keepalive = 32400
dpd = 90
mobile-dpd = 1800
device = vpns
ipv4-network = 192.168.99.0/24
CONF
  # -d 2 logs the State radcli got, which the checks read.
  ${NETNS:+ip netns exec "$NETNS"} ocserv -f -d 2 -c "$tmp/$tag.ocserv.conf" > "$tmp/$tag.ocserv.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q 'sec-mod initialized' "$tmp/$tag.ocserv.log" 2>/dev/null &&
      ${NETNS:+ip netns exec "$NETNS"} bash -c ": </dev/tcp/$listen/$tcp" 2>/dev/null && break
    sleep 0.1
  done
  grep -q 'sec-mod initialized' "$tmp/$tag.ocserv.log" || { cat "$tmp/$tag.ocserv.log"; echo "ocserv $tag did not start"; exit 1; }
  gw=$tcp
}

mkdir -m 700 "$tmp/data"
clients ocserv-challenge challenge false
clients "$long_client" otp true
serve challenge ocserv-challenge
http_ch=$http radius_ch=$radius
for user in alice bob dave "$long_user"; do
  "$bin" users invite "$user" --data "$tmp/data" --json
done > "$tmp/links"
python3 scripts/mxtest.py enrol "$http_ch" "$tmp/links"
"$bin" card frank --data "$tmp/data" > "$tmp/frank.card"
serve otp "$long_client"
http_otp=$http radius_otp=$radius
serve signed "$long_client" --appliance-ticket signed
http_signed=$http radius_signed=$radius

gateway challenge "$radius_ch"
gw_ch=$gw
gateway otp "$radius_otp"
gw_otp=$gw
gateway signed "$radius_signed"
gw_signed=$gw

# --- a full tunnel, when namespaces can be made: gateway and client in two private namespaces
# joined by a veth pair, the gateway's RADIUS server on the gateway namespace's own loopback. ----
tunnel=()
ns_s=mxoc-s-$$ ns_c=mxoc-c-$$
if ip netns add "$ns_s" 2>/dev/null; then
  namespaces+=("$ns_s")
  if ip netns add "$ns_c" && namespaces+=("$ns_c") &&
     ip -n "$ns_s" link add mxoc-s type veth peer name mxoc-c netns "$ns_c" &&
     ip -n "$ns_s" addr add 10.213.0.1/30 dev mxoc-s && ip -n "$ns_c" addr add 10.213.0.2/30 dev mxoc-c &&
     ip -n "$ns_s" link set lo up && ip -n "$ns_s" link set mxoc-s up &&
     ip -n "$ns_c" link set lo up && ip -n "$ns_c" link set mxoc-c up; then
    NETNS=$ns_s serve tunnel ocserv-challenge
    NETNS=$ns_s gateway tunnel "$radius" 10.213.0.1 4443 4443
    # openconnect's --script: only the tun device, its address and a route to the VPN network
    # (no DNS, nothing outside the namespace).
    cat > "$tmp/vpnc-script" <<SH
#!/bin/sh
if [ "\$reason" = connect ]; then
  ip link set dev "\$TUNDEV" up mtu "\${INTERNAL_IP4_MTU:-1300}"
  ip addr add "\$INTERNAL_IP4_ADDRESS/32" dev "\$TUNDEV"
  ip route add 192.168.99.0/24 dev "\$TUNDEV"
  echo "\$TUNDEV \$INTERNAL_IP4_ADDRESS" > "$tmp/tunnel-up"
fi
SH
    chmod 755 "$tmp/vpnc-script"
    tunnel=("TUNNEL_NS_S=$ns_s" "TUNNEL_NS_C=$ns_c" "TUNNEL_URL=https://10.213.0.1:4443"
            "TUNNEL_SCRIPT=$tmp/vpnc-script" "TUNNEL_MARK=$tmp/tunnel-up")
  else
    tunnel=("TUNNEL_SKIP=the namespaces or their veth pair could not be set up")
  fi
else
  tunnel=("TUNNEL_SKIP=ip netns add failed (not root, or no network namespaces here)")
fi

env MATRIXAUTH_BIN="$bin" MATRIXAUTH_DATA="$tmp/data" CARD_FILE="$tmp/frank.card" CA="$tmp/ca.pem" \
  OC_CHALLENGE="https://127.0.0.1:$gw_ch" OC_OTP="https://127.0.0.1:$gw_otp" OC_SIGNED="https://127.0.0.1:$gw_signed" \
  OC_CHALLENGE_LOG="$tmp/challenge.ocserv.log" HTTP_OTP="$http_otp" HTTP_SIGNED="$http_signed" \
  LONG_USER="$long_user" LONG_CLIENT="$long_client" "${tunnel[@]}" \
  /usr/bin/python3 scripts/ocserv_peers.py
echo "ocserv + openconnect checks took $(( $(date +%s) - started )) s"
