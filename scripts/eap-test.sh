#!/usr/bin/env bash
# EAP over RADIUS against a real peer (issue 25, SPEC §17): starts `matrixauth serve --radius` on
# 127.0.0.1 with free ports and one client with eap = ["mschapv2", "gtc"], enrols users through
# the web API, and drives Debian's eapol_test (package eapoltest: wpa_supplicant's EAP peer and
# RADIUS client) through EAP-MSCHAPv2 (the grid from the portal, the MSK checked against the MPPE
# keys) and EAP-GTC (the grid in the prompt); scripts/eap_peers.py has the checks. Installs
# eapoltest if missing. Everything stops at the end, even on failure. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v eapol_test >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq eapoltest >/dev/null
fi

cargo build -q --locked -p matrixauth-server
bin=$PWD/target/debug/matrixauth
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
secret='a shared secret of 30 chars!!!'
http=$(port STREAM); radius=$(port DGRAM)
cat > "$tmp/clients.toml" <<TOML
[[client]]
name = "ikev2-gw"
address = "127.0.0.1/32"
secret = "$secret"
flow = "otp"
eap = ["mschapv2", "gtc"]
TOML
chmod 600 "$tmp/clients.toml"
mkdir -m 700 "$tmp/data" "$tmp/work"
"$bin" serve --port "$http" --data "$tmp/data" --audience ikev2-gw --radius "127.0.0.1:$radius" \
  --radius-clients "$tmp/clients.toml" > "$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^RADIUS: ' "$tmp/serve.log" || { cat "$tmp/serve.log"; echo "matrixauth serve did not start"; exit 1; }

for user in alice bob carol; do
  "$bin" users invite "$user" --data "$tmp/data" --json
done > "$tmp/links"
python3 scripts/mxtest.py enrol "$http" "$tmp/links"

echo "eapol_test: $(eapol_test -v 2>&1 | head -1)"
MATRIXAUTH_BIN="$bin" MATRIXAUTH_DATA="$tmp/data" python3 scripts/eap_peers.py "$radius" "$http" "$secret" "$tmp/work"
