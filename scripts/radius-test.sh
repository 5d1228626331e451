#!/usr/bin/env bash
# RADIUS against real peers (issue 13): starts `matrixauth serve --radius` on 127.0.0.1 with free
# ports, one server per client flow over one shared data folder, enrols users through the web
# API, and drives them with Debian's radclient (freeradius-utils) and, through pam_wrapper,
# pamtester with pam_radius_auth (scripts/radius_peers.py has the checks). Installs the Debian
# packages it needs if they are missing. Everything stops at the end, even on failure.
# Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need=""
command -v radclient >/dev/null || need="$need freeradius-utils"
command -v pamtester >/dev/null || need="$need pamtester"
ls /usr/lib/x86_64-linux-gnu/security/pam_radius_auth.so /lib/x86_64-linux-gnu/security/pam_radius_auth.so \
  >/dev/null 2>&1 || need="$need libpam-radius-auth"
ls /usr/lib/x86_64-linux-gnu/libpam_wrapper.so* >/dev/null 2>&1 || need="$need libpam-wrapper"
if [ -n "$need" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

cargo build -q --locked -p matrixauth-server
bin=$PWD/target/debug/matrixauth
tmp=$(mktemp -d)
# Server pids go to a file: `serve` runs in a process substitution (a subshell), where an
# array would be lost and the servers would outlive the script.
cleanup() {
  if [ -f "$tmp/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$tmp/pids"
  fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
secret='a shared secret of 30 chars!!!'
# pam_radius_auth's configuration file splits on blanks: its secret has none.
pam_secret='pam-radius-secret-without-blanks'

# serve NAME FLOW TICKETS LEGACY [SECRET]: a server whose one client is 127.0.0.1 with FLOW;
# prints "HTTP RADIUS".
serve() {
  local name=$1 flow=$2 tickets=$3 legacy=$4 secret=${5:-$secret} http radius
  http=$(port STREAM); radius=$(port DGRAM)
  cat > "$tmp/$name.toml" <<TOML
[[client]]
name = "$name"
address = "127.0.0.1/32"
secret = "$secret"
flow = "$flow"
tickets = $tickets
legacy = $legacy
TOML
  chmod 600 "$tmp/$name.toml"
  "$bin" serve --port "$http" --data "$tmp/data" --audience "$name" --radius "127.0.0.1:$radius" \
    --radius-clients "$tmp/$name.toml" > "$tmp/$name.log" 2>&1 &
  echo $! >> "$tmp/pids"
  for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/$name.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^RADIUS: ' "$tmp/$name.log" || { cat "$tmp/$name.log"; echo "server $name did not start"; exit 1; }
  echo "$http $radius"
}

mkdir -m 700 "$tmp/data"
read -r http_ch radius_ch < <(serve vpn-challenge challenge false false)
# Enrollment needs the administrator's invitation: the token is the link's fragment.
for user in alice bob carol dave vendor.user-with-a-long-id-030; do
  "$bin" users invite "$user" --data "$tmp/data" --json
done > "$tmp/links"
python3 scripts/mxtest.py enrol "$http_ch" "$tmp/links"
# A grid-card holder, issued by the administrator's command (it prints the card).
"$bin" card frank --data "$tmp/data" > "$tmp/frank.card"
read -r http_otp radius_otp < <(serve vpn-otp otp true false)
# A 30-byte client name (the tickets' audience) for a 30-byte user id (issue 27): the ticket must
# still fit a RADIUS password.
read -r http_long radius_long < <(serve fortigate-branch-office-01-xyz otp true false)
# pam_radius_auth 2.0.0 (Debian 12) sends no Message-Authenticator: its client must be legacy.
read -r _ radius_pam < <(serve vpn-pam challenge false true "$pam_secret")

LONG_HTTP="$http_long" LONG_RADIUS="$radius_long" MATRIXAUTH_BIN="$bin" MATRIXAUTH_DATA="$tmp/data" CARD_FILE="$tmp/frank.card" python3 scripts/radius_peers.py "$radius_ch" "$radius_otp" "$http_ch" "$http_otp" "$secret" "$radius_pam" "$pam_secret"
echo "audit lines written by the RADIUS side: $(grep -c '"event":"radius"' <("$bin" audit tail -n 1000000 --json --data "$tmp/data"))"
