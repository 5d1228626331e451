#!/usr/bin/env bash
# HTTPS in the server (issue 24) against real peers: curl and OpenSSL's s_client, with a test CA
# and certificates made by openssl in a temporary folder; the server on 127.0.0.1 at a free port.
#   1. bad certificate files refuse the start, naming the file: expired, mismatched key, not PEM;
#   2. the login page over https (curl --cacert), with Strict-Transport-Security; an enrolment and
#      a login through the API; the invitation link says https://;
#   3. TLS 1.1 refused by the server with an alert (curl is shown able to speak it to
#      openssl s_server -tls1_1 first, so the refusal is not curl's own);
#   4. a handshake flood from other loopback addresses (300 silent connections, 200 garbage
#      ClientHellos) while a login succeeds; every silent one is closed after the handshake timeout;
#   5. SIGHUP: a new certificate is served to new connections while a connection opened before
#      goes on; a bad new certificate keeps the one in use.
# Bounded in time; everything is stopped at the end, even on failure. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in curl openssl; do
  command -v "$tool" > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" > /dev/null
done
cargo build --locked -q -p matrixauth-server
bin="$PWD/target/debug/matrixauth"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
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
    grep -E '^(ok |login during|closed by|curl: )' "$tmp/check.out" | sed 's/^/     /' || true
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/     /' "$tmp/check.out" | head -20
  fi
}
port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }

# --- a test CA and server certificates for 127.0.0.1 and localhost ---------------------------------
cd "$tmp"
ossl() { openssl "$@" > /dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj /CN=matrixauth-test-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext
leaf() { # name, days (negative: expired)
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj /CN=localhost
  ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days "$2" -extfile ext
  chmod 600 "$1.key"
}
leaf a 2
leaf b 2
leaf old -1
printf 'not a certificate\n' > junk.pem
serial() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
served_serial() {
  openssl s_client -connect "127.0.0.1:$1" -servername localhost < /dev/null 2> /dev/null | openssl x509 -noout -serial | cut -d= -f2
}
cd - > /dev/null

# --- 1. bad files refuse the start, naming the file -------------------------------------------------
refused() { # expected text, then serve's TLS flags
  local want=$1
  shift
  local code=0
  timeout 30 "$bin" serve --data "$tmp/refused" --port "$(port)" --no-first-invitation "$@" > "$tmp/refused.log" 2>&1 || code=$?
  cat "$tmp/refused.log"
  [ "$code" = 2 ] && grep -qF -- "$want" "$tmp/refused.log" && ! grep -q 'PRIVATE KEY' "$tmp/refused.log"
}
check "an expired certificate refuses the start, naming the file" \
  refused "$tmp/old.pem: the certificate has expired" --tls-cert "$tmp/old.pem" --tls-key "$tmp/old.key"
check "a key that is not the certificate's refuses the start, naming the key file" \
  refused "$tmp/b.key: this key is not the key of the certificate in $tmp/a.pem" --tls-cert "$tmp/a.pem" --tls-key "$tmp/b.key"
check "a file that is not PEM refuses the start, naming it" \
  refused "$tmp/junk.pem: no certificate in it" --tls-cert "$tmp/junk.pem" --tls-key "$tmp/a.key"
check "a missing key file refuses the start, naming it" \
  refused "$tmp/none.key: cannot read it" --tls-cert "$tmp/a.pem" --tls-key "$tmp/none.key"

# --- the server: [http.tls] in a configuration file, the files swapped in place later --------------
cp "$tmp/a.pem" "$tmp/cert.pem"
cp "$tmp/a.key" "$tmp/key.pem"
https=$(port)
cat > "$tmp/config.toml" << EOF
data = "data"
[http]
listen = "127.0.0.1:$https"
api_rate = 0
[http.tls]
cert = "cert.pem"
key = "key.pem"
handshake_timeout_seconds = 2
EOF
"$bin" serve --config "$tmp/config.toml" --audience vpn.test > "$tmp/server.log" 2>&1 &
pids+=($!)
server=$!
for _ in $(seq 100); do grep -q '^no users yet' "$tmp/server.log" 2> /dev/null && break; sleep 0.1; done
base="https://127.0.0.1:$https"
c() { curl -sS --max-time 20 --cacert "$tmp/ca.pem" "$@"; }
check "the banner and the first invitation say https://" \
  grep -q "^matrixauth login portal: $base/" "$tmp/server.log"
check "the first invitation link is https" grep -q "$base/enroll#invite=" "$tmp/server.log"

# --- 2. pages and a login over https ----------------------------------------------------------------
page() {
  c -D "$tmp/head" -o "$tmp/body" "$base/" && grep -q '^HTTP/1.1 200' "$tmp/head" && grep -q '<html' "$tmp/body" \
    && grep -qi '^strict-transport-security: max-age=31536000' "$tmp/head"
}
check "curl --cacert gets the login page over https, with Strict-Transport-Security" page
check "curl without the CA refuses the server's certificate (it is the test CA's)" \
  bash -c "! curl -sS --max-time 20 -o /dev/null '$base/'"
post() { # path, JSON body
  c -H 'content-type: application/json' -H "origin: $base" -d "$2" "$base$1"
}
link=$("$bin" users invite alice --config "$tmp/config.toml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
check "users invite prints an https link" bash -c "[[ '$link' == $base/enroll#invite=* ]]"
invite=${link#*#invite=}
check "enrolment over https" bash -c "curl -sS --max-time 20 --cacert '$tmp/ca.pem' -H 'content-type: application/json' \
  -H 'origin: $base' -d '{\"invite\":\"$invite\",\"cells\":[\"B2\",\"G3\",\"D5\",\"A8\",\"H1\",\"E6\"],\"fixed\":\"pw\",\"fixedAt\":2}' \
  '$base/api/enroll' | grep -q patternSpaceBits"
login() {
  local ch body
  ch=$(post /api/challenge '{"user":"alice"}')
  body=$(python3 -c 'import json,sys; sys.path.insert(0,"scripts"); from mxtest import answer
c=json.loads(sys.argv[1]); print(json.dumps({"user":"alice","token":c["token"],"answer":answer(c["matrix"])}))' "$ch")
  post /api/verify "$body" | tee /dev/stderr | grep -q '"outcome":"accepted"'
}
check "a login over https (challenge, verify: accepted)" login

# --- 3. TLS 1.1 -----------------------------------------------------------------------------------
old11=(--tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT@SECLEVEL=0')
s11=$(port)
openssl s_server -accept "127.0.0.1:$s11" -cert "$tmp/a.pem" -key "$tmp/a.key" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
  -www -quiet > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do (: > "/dev/tcp/127.0.0.1/$s11") 2> /dev/null && break; sleep 0.1; done
check "control: this curl speaks TLS 1.1 to openssl s_server -tls1_1" \
  c "${old11[@]}" -o /dev/null "https://127.0.0.1:$s11/"
tls11() {
  local code=0
  c "${old11[@]}" -o /dev/null "$base/" 2> "$tmp/tls11.err" || code=$?
  cat "$tmp/tls11.err"
  echo "curl: exit $code"
  # 35, with the server's alert (rustls answers a TLS 1.1 ClientHello with handshake_failure)
  [ "$code" = 35 ] && grep -q 'alert handshake failure' "$tmp/tls11.err"
}
check "TLS 1.1 refused by the server (curl --tls-max 1.1: handshake failure)" tls11
check "TLS 1.2 accepted" c --tlsv1.2 --tls-max 1.2 -o /dev/null "$base/"
check "TLS 1.3 accepted" c --tlsv1.3 -o /dev/null "$base/"

# --- 4. a handshake flood -------------------------------------------------------------------------
flood() {
  python3 - "$https" << 'EOF'
import os, socket, subprocess, sys, time
port = int(sys.argv[1])
def conn(source):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s
# 300 silent connections from 127.0.0.2-11 (30 each, under the per-address limit of 64), and
# 200 ClientHellos of garbage (a TLS handshake record header, then random bytes) from 127.0.0.12-15.
silent = [conn(f"127.0.0.{2 + i % 10}") for i in range(300)]
garbage = [conn(f"127.0.0.{12 + i % 4}") for i in range(200)]
for s in garbage:
    s.sendall(b"\x16\x03\x01\x00\x40" + os.urandom(64))
started = time.monotonic()
# While they are open: a real login through curl.
login = subprocess.run(["bash", "-c", "login"], env=os.environ, capture_output=True, text=True, timeout=60)
print("login during the flood:", "accepted" if login.returncode == 0 else "FAILED " + login.stderr[-300:])
def closed(s, until):
    s.settimeout(max(0.1, until - time.monotonic()))
    try:
        while s.recv(4096):
            pass  # a TLS alert before the close
        return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True  # reset
until = started + 20  # a liveness bound: the handshake timeout is 2 s
n_silent = sum(closed(s, until) for s in silent)
n_garbage = sum(closed(s, until) for s in garbage)
print(f"closed by the server: {n_silent}/300 silent, {n_garbage}/200 garbage")
sys.exit(0 if login.returncode == 0 and n_silent == 300 and n_garbage == 200 else 1)
EOF
}
export -f login post c
export base tmp
check "a handshake flood (300 silent, 200 garbage) from loopback: a login succeeds, every flood connection is closed" flood
check "and the server still serves the page" page

# --- 5. SIGHUP reload -----------------------------------------------------------------------------
reload() {
  python3 - "$https" "$tmp" "$server" << 'EOF'
import os, signal, ssl, socket, subprocess, sys, time
port, tmp, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=f"{tmp}/ca.pem")
def get(s):
    s.sendall(f"GET /api/policy HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise SystemExit("connection closed")
        head += chunk
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return head.split(b"\r\n")[0].decode()
def serial(s):
    der = s.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der, capture_output=True)
    return out.stdout.decode().strip().split("=")[1]
want = lambda name: subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", f"{tmp}/{name}.pem"],
                                   capture_output=True, text=True).stdout.strip().split("=")[1]
def log_count(text):
    return open(f"{tmp}/server.log").read().count(text)
def hup_and_wait(text):
    before = log_count(text)
    os.kill(pid, signal.SIGHUP)
    for _ in range(100):
        if log_count(text) > before:
            return
        time.sleep(0.1)
    raise SystemExit(f"no log line {text!r} after SIGHUP")
ok = True
def expect(name, cond):
    global ok
    print(("ok   " if cond else "FAIL ") + name)
    ok = ok and cond
open_conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
expect("before: certificate a", serial(open_conn) == want("a") and get(open_conn) == "HTTP/1.1 200 OK")
# Replace the files in place, as an operator would, and reload.
for ext, name in (("pem", "cert.pem"), ("key", "key.pem")):
    data = open(f"{tmp}/b.{ext}", "rb").read()
    open(f"{tmp}/{name}", "wb").write(data)
hup_and_wait("TLS certificate reloaded")
fresh = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
expect("after SIGHUP a new connection gets certificate b", serial(fresh) == want("b") and get(fresh) == "HTTP/1.1 200 OK")
expect("the connection opened before the reload still answers", get(open_conn) == "HTTP/1.1 200 OK")
# A bad new certificate (expired): kept the old one, and the log says why.
for ext, name in (("pem", "cert.pem"), ("key", "key.pem")):
    open(f"{tmp}/{name}", "wb").write(open(f"{tmp}/old.{ext}", "rb").read())
hup_and_wait("kept the certificate in use")
expect("the log says why", "cert.pem: the certificate has expired" in open(f"{tmp}/server.log").read())
again = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
expect("after a bad SIGHUP certificate b is still served", serial(again) == want("b"))
expect("the server is still running", os.path.exists(f"/proc/{pid}"))
sys.exit(0 if ok else 1)
EOF
}
check "SIGHUP reloads the certificate without dropping a connection; a bad one is kept out" reload
b_served() { [ "$(serial "$tmp/b.pem")" = "$(served_serial "$https")" ]; }
check "openssl s_client sees certificate b after the reload" b_served

echo
echo "ops-tls: $passed passed, $failed failed"
[ "$failed" = 0 ]
