#!/usr/bin/env bash
# An IKEv2 tunnel after a matrix login (issue 25, SPEC §17): strongSwan's charon as the IKEv2
# gateway (eap-radius, relaying EAP to `matrixauth serve --radius`) and as the client
# (eap-mschapv2, then eap-gtc), in two network namespaces joined by a veth pair. The gateway and
# matrixauth share the gateway's namespace (RADIUS on its 127.0.0.1); each charon runs in a
# private mount namespace with its own /run. The client's EAP secret is the answer to the grid
# the portal shows. Checks: the IKE SA and the CHILD SA come up (with EAP-MSCHAPv2 the gateway
# authenticates with the MSK it took from the MPPE keys, so a wrong key would fail the AUTH
# payload), traffic flows through ESP, a wrong answer gets no tunnel and counts a failure.
#
# Needs root (ip netns). If network namespaces are refused, it says SKIP and exits 0: that is the
# only case it skips. Installs strongSwan's Debian packages if missing. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=$$
gw=mxgw$tag cl=mxcl$tag
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$gw" 2>/dev/null || true
  ip netns del "$cl" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! command -v ip >/dev/null || ! ip netns add "$gw" 2>/dev/null; then
  echo "SKIP: network namespaces are refused here (ip netns add failed: not root, or no CAP_SYS_ADMIN); eapol_test (scripts/eap-test.sh) covers EAP"
  exit 0
fi
ip netns add "$cl"

need=""
[ -x /usr/lib/ipsec/charon ] || need="$need strongswan-charon"
command -v swanctl >/dev/null || need="$need strongswan-swanctl"
command -v pki >/dev/null || need="$need strongswan-pki"
[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-radius.so ] || need="$need libcharon-extra-plugins"
[ -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so ] || need="$need libstrongswan-extra-plugins"
command -v unshare >/dev/null || need="$need util-linux"
command -v ping >/dev/null || need="$need iputils-ping"
if [ -n "$need" ]; then
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq $need >/dev/null
fi

cargo build -q --locked -p matrixauth-server
bin=$PWD/target/debug/matrixauth

passed=0 failed=0
check() { # check NAME COMMAND...: runs COMMAND, counts the result
  local name=$1; shift
  if "$@"; then echo "ok   $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}

# ESP in the kernel (XFRM) if it has it, else strongSwan's own (kernel-libipsec: ESP in UDP through
# a TUN device, what the strongSwan project suggests for kernels without XFRM).
kernel="kernel-libipsec kernel-netlink" esp=libipsec
if ip netns exec "$gw" ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 mode tunnel \
  aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 2>/dev/null; then
  kernel="kernel-netlink" esp=xfrm
  ip netns exec "$gw" ip xfrm state flush
fi
[ "$esp" = xfrm ] || [ -c /dev/net/tun ] || { echo "neither XFRM nor /dev/net/tun: no ESP here"; exit 1; }
echo "ESP: $esp"

# The link: 10.231.0.1 (gateway) -- 10.231.0.2 (client). Behind the gateway, 10.232.0.1 (its
# "internal network", on lo); the client gets a virtual address from 10.233.0.0/24.
ip link add "mxa$tag" type veth peer name "mxb$tag"
ip link set "mxa$tag" netns "$gw"
ip link set "mxb$tag" netns "$cl"
ip -n "$gw" addr add 10.231.0.1/24 dev "mxa$tag"
ip -n "$cl" addr add 10.231.0.2/24 dev "mxb$tag"
for ns in "$gw" "$cl"; do ip -n "$ns" link set lo up; done
ip -n "$gw" link set "mxa$tag" up
ip -n "$cl" link set "mxb$tag" up
ip -n "$gw" addr add 10.232.0.1/32 dev lo

# matrixauth in the gateway's namespace: portal on 127.0.0.1:18080, RADIUS on 127.0.0.1:1812.
secret='strongswan eap-radius secret, 32!'
mkdir -m 700 "$tmp/data"
cat > "$tmp/clients.toml" <<TOML
[[client]]
name = "strongswan-gw"
address = "127.0.0.1/32"
secret = "$secret"
flow = "otp"
eap = ["mschapv2", "gtc"]
TOML
chmod 600 "$tmp/clients.toml"
ip netns exec "$gw" "$bin" serve --port 18080 --data "$tmp/data" --audience strongswan-gw \
  --radius 127.0.0.1:1812 --radius-clients "$tmp/clients.toml" > "$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^RADIUS: ' "$tmp/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^RADIUS: ' "$tmp/serve.log" || { cat "$tmp/serve.log"; echo "matrixauth serve did not start"; exit 1; }
for user in alice bob carol; do "$bin" users invite "$user" --data "$tmp/data" --json; done > "$tmp/links"
ip netns exec "$gw" python3 scripts/mxtest.py enrol 18080 "$tmp/links"

# The gateway's certificate, from a throwaway CA.
mkdir -p "$tmp/pki"
pki --gen --type ecdsa --size 256 --outform pem 2>>"$tmp/pki.log" > "$tmp/pki/ca.key"
pki --self --ca --lifetime 2 --in "$tmp/pki/ca.key" --dn "CN=matrixauth strongSwan test CA" --outform pem 2>>"$tmp/pki.log" > "$tmp/pki/ca.pem"
pki --gen --type ecdsa --size 256 --outform pem 2>>"$tmp/pki.log" > "$tmp/pki/gw.key"
pki --pub --in "$tmp/pki/gw.key" 2>>"$tmp/pki.log" | pki --issue --lifetime 2 --cacert "$tmp/pki/ca.pem" --cakey "$tmp/pki/ca.key" \
  --dn "CN=gw.matrixauth.test" --san gw.matrixauth.test --flag serverAuth --outform pem 2>>"$tmp/pki.log" > "$tmp/pki/gw.pem"

# charon_conf DIR PLUGINS [EXTRA]: strongswan.conf and swanctl directories for one charon.
charon_conf() {
  local dir=$1 plugins=$2 extra=${3:-}
  mkdir -p "$dir"/swanctl/{x509,x509ca,ecdsa,private,conf.d}
  cat > "$dir/strongswan.conf" <<CONF
charon {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints hmac kdf sha1 sha2 md5 aes gcm gmp $kernel socket-default vici $plugins
  plugins {
    vici { socket = unix://$dir/charon.vici }
    $extra
  }
  filelog {
    log { path = $dir/charon.log
          flush_line = yes
          default = 1
          ike = 2
          cfg = 2
          enc = 0
          time_format = %T }
  }
}
CONF
}

# start_charon NS DIR: charon in namespace NS with its own /run (its pid file lives there).
start_charon() {
  local ns=$1 dir=$2
  ip netns exec "$ns" unshare -m sh -c "mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF=$dir/strongswan.conf /usr/lib/ipsec/charon" \
    > "$dir/charon.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S "$dir/charon.vici" ] && return 0; sleep 0.1; done
  cat "$dir/charon.out" "$dir/charon.log" 2>/dev/null; echo "charon in $ns did not start"; exit 1
}
swan() { # swan DIR ARGS...: swanctl against DIR's charon
  local dir=$1 command=$2; shift 2
  SWANCTL_DIR=$dir/swanctl STRONGSWAN_CONF=$dir/strongswan.conf swanctl "$command" --uri "unix://$dir/charon.vici" "$@"
}

G=$tmp/gw C=$tmp/cl
charon_conf "$G" "eap-radius eap-identity" \
  "eap-radius { servers { matrixauth { address = 127.0.0.1
                                       auth_port = 1812
                                       secret = \"$secret\" } } }"
charon_conf "$C" "eap-mschapv2 eap-gtc eap-identity"
cp "$tmp/pki/gw.pem" "$G/swanctl/x509/"
cp "$tmp/pki/gw.key" "$G/swanctl/ecdsa/"
cp "$tmp/pki/ca.pem" "$C/swanctl/x509ca/"
cat > "$G/swanctl/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 10.231.0.1
    local { auth = pubkey
            certs = gw.pem
            id = gw.matrixauth.test }
    remote { auth = eap-radius
             eap_id = %any }
    pools = vpn
    children { rw { local_ts = 10.232.0.1/32
                    esp_proposals = aes128gcm16 } }
  }
}
pools { vpn { addrs = 10.233.0.0/24 } }
CONF
start_charon "$gw" "$G"
start_charon "$cl" "$C"
swan "$G" --load-all --noprompt > "$G/load.out"

# client USER METHOD SECRET: the client's connection for USER with METHOD and its EAP secret.
client() {
  local user=$1 method=$2 answer=$3
  cat > "$C/swanctl/swanctl.conf" <<CONF
connections {
  mx {
    version = 2
    remote_addrs = 10.231.0.1
    local { auth = $method
            id = $user
            eap_id = $user }
    remote { auth = pubkey
             id = gw.matrixauth.test }
    vips = 0.0.0.0
    children { mx { remote_ts = 10.232.0.1/32
                    esp_proposals = aes128gcm16 } }
  }
}
secrets { eap-user { id = $user
                     secret = "$answer" } }
CONF
  swan "$C" --load-all --noprompt > "$C/load.out"
}
grid_answer() { # the answer to the grid the portal shows USER now
  ip netns exec "$gw" python3 -c "
import sys; sys.path.insert(0, 'scripts'); import mxtest
status, ch = mxtest.http(18080, '/api/challenge', {'user': sys.argv[1]})
assert status == 200, (status, ch)
print(mxtest.answer(ch['matrix']))" "$1"
}
failures() { "$bin" users show "$1" --data "$tmp/data" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['failuresSinceSuccess'])"; }
up() { swan "$C" --initiate --child mx --timeout 20 > "$C/initiate.out" 2>&1; }
esp_traffic() { # ping through the tunnel; the CHILD SA's counters must move
  ip netns exec "$cl" ping -c 3 -i 0.2 -W 2 10.232.0.1 > /dev/null &&
    swan "$C" --list-sas > "$C/sas.out" &&
    grep -E '^ +in  .*, +[1-9][0-9]* packets' "$C/sas.out" | sed 's/^ */     /' | grep .
}
no_tunnel() { # the initiation fails at authentication (the gateway refused the EAP login)
  ! up && grep -Eq "AUTHENTICATION_FAILED|EAP_[A-Z0-9]+ method failed" "$C/initiate.out"
}
down() { swan "$C" --terminate --ike mx --timeout 10 > /dev/null 2>&1 || true; }

echo "strongSwan: $(dpkg-query -W -f '${Version}' strongswan-charon 2>/dev/null || echo unknown)"

# --- EAP-MSCHAPv2: the answer to the portal's grid as the EAP secret ---------------------------------
client alice eap-mschapv2 "$(grid_answer alice)"
check "EAP-MSCHAPv2: the IKEv2 tunnel comes up after a matrix login (IKE SA and CHILD SA)" up
msk_used() {
  grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$G/charon.log" &&
    grep -q "authentication of 'alice' with EAP successful" "$G/charon.log"
}
check "the gateway took its MSK from matrixauth's MPPE keys and the AUTH payload made with it verified" msk_used
check "traffic flows through the tunnel (ESP counters move)" esp_traffic
check "no failure counted for alice" test "$(failures alice)" = 0
down

# The same answer again: the grid was used, no tunnel.
check "the same answer again: no tunnel" no_tunnel
down

# --- a wrong answer: no tunnel, one failure ---------------------------------------------------------
grid_answer bob > /dev/null
client bob eap-mschapv2 "00pw0000"
check "EAP-MSCHAPv2 with a wrong answer: no tunnel" no_tunnel
check "the wrong answer counted one failure" test "$(failures bob)" = 1
down

# --- EAP-GTC: MSCHAPv2 offered first, the client Naks for GTC; the grid is the pending one --------
client carol eap-gtc "$(grid_answer carol)"
check "EAP-GTC: the IKEv2 tunnel comes up after a matrix login" up
check "EAP-GTC was used: MSCHAPv2 offered first, the client sent a Nak for GTC" \
  grep -q "requesting EAP_GTC authentication, sending EAP_NAK" "$C/initiate.out"
check "traffic flows through the GTC tunnel" esp_traffic
down

echo "RADIUS decisions audited: $("$bin" audit tail -n 1000 --json --data "$tmp/data" | grep -c '"client":"strongswan-gw"')"
echo "$passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then
  for f in "$G/charon.log" "$G/charon.out" "$C/charon.log" "$C/initiate.out" "$tmp/serve.log"; do echo "--- $f"; tail -${MX_LOG_LINES:-40} "$f"; done
  exit 1
fi
