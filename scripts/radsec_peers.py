#!/usr/bin/env python3
"""RadSec against a real peer: Debian's radclient sends UDP to radsecproxy, which forwards it over
TLS, with a client certificate, to a running `matrixauth serve` with [radius.radsec]. Run by
scripts/radsec-test.sh, which makes the certificates and starts the server and the proxies.

Usage: radsec_peers.py PROXY_CH PROXY_OTP PROXY_ROGUE HTTP_PORT SECRET
(environment: MATRIXAUTH_BIN, MATRIXAUTH_DATA, PKI, RADSEC_PORT)
Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import json
import os
import re
import subprocess
import sys
import time

import mxtest
from mxtest import MA, answer, http, reply_text, rows_from_text, state_of

PROXY_CH, PROXY_OTP, PROXY_ROGUE, HTTP, SECRET = sys.argv[1:6]
PKI, RADSEC_PORT = os.environ["PKI"], os.environ["RADSEC_PORT"]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def radclient(port, attrs, timeout=3):
    return mxtest.radclient(port, attrs, SECRET, timeout=timeout)


def audit():
    out = subprocess.run([os.environ["MATRIXAUTH_BIN"], "audit", "tail", "-n", "100000", "--json",
                          "--data", os.environ["MATRIXAUTH_DATA"]], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    lines = []
    for line in out.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def refusals(reason):
    return [e for e in audit() if e.get("event") == "radsec_refused" and e.get("reason") == reason]


def wait_for(what, seconds=10):
    """Polls WHAT until it is truthy or SECONDS pass; returns its last value."""
    end = time.monotonic() + seconds
    while True:
        value = what()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.2)


# --- challenge flow through radsecproxy -----------------------------------------------------------
code, reply, out = radclient(PROXY_CH, f'User-Name = "alice", User-Password = "", {MA}')
check("challenge flow over RadSec: a request without State gets Access-Challenge", code == "Access-Challenge", out)
rows, state = rows_from_text(reply_text(reply)), state_of(reply)
check("the grid arrives through radsecproxy, 8 rows of 8", len(rows) == 8 and all(len(r) == 8 for r in rows), reply)
check("Session-Timeout says how long the challenge lives", re.search(r"Session-Timeout = 1[0-9]{2}", reply) is not None, reply)
code, reply, out = radclient(PROXY_CH, f'User-Name = "alice", User-Password = "{answer(rows) if rows else "x"}", State = 0x{state}, {MA}')
check("challenge flow over RadSec: the right answer with that State is accepted", code == "Access-Accept", out)
m = re.search(r"Session-Timeout = (\d+)", reply)
check("the Access-Accept carries the session's Session-Timeout", m is not None and 28790 <= int(m.group(1)) <= 28800, reply)
code, reply, out = radclient(PROXY_CH, f'User-Name = "alice", User-Password = "{answer(rows) if rows else "x"}", State = 0x{state}, {MA}')
check("the same answer again is refused (the challenge was used)", code == "Access-Reject", out)
code, reply, out = radclient(PROXY_CH, f'User-Name = "erin", User-Password = "", {MA}')
code, reply, out = radclient(PROXY_CH, f'User-Name = "erin", User-Password = "00pw0000", State = 0x{state_of(reply)}, {MA}')
check("a wrong answer over RadSec is rejected", code == "Access-Reject" and "Login failed" in reply_text(reply), out)

# --- otp flow and a login ticket, through the other client certificate --------------------------
status, ch = http(HTTP, "/api/challenge", {"user": "bob"})
code, reply, out = radclient(PROXY_OTP, f'User-Name = "bob", User-Password = "{answer(ch["matrix"])}", {MA}')
check("otp flow over RadSec: the answer to the portal's grid is accepted", status == 200 and code == "Access-Accept", out)
code, reply, out = radclient(PROXY_OTP, f'User-Name = "bob", User-Password = "{answer(ch["matrix"])}", {MA}')
check("otp flow: nothing pending any more, refused", code == "Access-Reject", out)
status, ch = http(HTTP, "/api/challenge", {"user": "bob"})
status, v = http(HTTP, "/api/verify", {"user": "bob", "token": ch["token"], "answer": answer(ch["matrix"])})
ticket = v.get("redirect", "").split("ticket=")[-1] if isinstance(v, dict) else ""
code, reply, out = radclient(PROXY_OTP, f'User-Name = "bob", User-Password = "{ticket}", {MA}')
check("a login ticket from the portal logs in over RadSec (its audience is the client's name)", bool(ticket) and code == "Access-Accept", out)
code, reply, out = radclient(PROXY_OTP, f'User-Name = "bob", User-Password = "{ticket}", {MA}')
check("... once: the replay is refused", code == "Access-Reject", out)

# The client is its certificate: both proxies connect from 127.0.0.1, the audit names each by name.
lines = audit()
clients = {e.get("client") for e in lines if e.get("event") == "radius"}
check("each reply is audited under the client its certificate names", {"vpn-radsec-ch", "vpn-radsec-otp"} <= clients, str(clients))
ch_users = {e.get("user") for e in lines if e.get("event") == "radius" and e.get("client") == "vpn-radsec-ch"}
check("... and never under the other one", "bob" not in ch_users and "alice" in ch_users, str(ch_users))

# --- refused certificates -----------------------------------------------------------------------
code, reply, out = radclient(PROXY_ROGUE, f'User-Name = "alice", User-Password = "", {MA}', timeout=2)
check("through radsecproxy with a certificate from another CA: no reply", code is None, out)
untrusted = wait_for(lambda: refusals("untrusted_certificate"))
check("... the connection was refused and audited (untrusted_certificate)", bool(untrusted), json.dumps(untrusted))


def s_client(*cert):
    """openssl s_client to the RadSec port with CERT (a name under PKI) or none; returns its output."""
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{RADSEC_PORT}", "-CAfile", f"{PKI}/ca.pem",
            "-verify_return_error"]
    for c in cert:
        args += ["-cert", f"{PKI}/{c}.pem", "-key", f"{PKI}/{c}.key"]
    # A request would follow the handshake; the server closes the connection first.
    p = subprocess.run(args, input=b"\x01\x00\x00\x14" + bytes(16), capture_output=True, timeout=30)
    return (p.stdout + p.stderr).decode(errors="replace")


out = s_client("unknown")
fingerprint = subprocess.run(["openssl", "x509", "-in", f"{PKI}/unknown.pem", "-noout", "-fingerprint", "-sha256"],
                             capture_output=True, text=True, check=True).stdout.split("=")[-1].strip()
fingerprint = fingerprint.replace(":", "").lower()
unknown = wait_for(lambda: refusals("unknown_certificate"))
check("openssl s_client with a certificate of the right CA that no client names: refused and audited with its fingerprint",
      any(e.get("fingerprint") == fingerprint for e in unknown), out + json.dumps(unknown))
out = s_client()
none = wait_for(lambda: refusals("no_certificate"))
check("openssl s_client without a client certificate: refused and audited (no_certificate)", bool(none), out)
check("a refusal names the peer's address", all(e.get("peer", "").startswith("127.0.0.1:") for e in untrusted + unknown + none),
      json.dumps(untrusted + unknown + none))

# After all that, the good client still gets its replies.
code, reply, out = radclient(PROXY_CH, f'User-Name = "alice", User-Password = "", {MA}')
check("the trusted client is still served", code == "Access-Challenge", out)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
