#!/usr/bin/env python3
"""RADIUS against real peers: Debian's radclient (freeradius-utils) and, when available,
pamtester with pam_radius_auth, talking to a running `matrixauth serve`. Run by
scripts/radius-test.sh, which starts the servers; see that script for the setup.

Usage: radius_peers.py CHALLENGE_PORT OTP_PORT HTTP_CHALLENGE HTTP_OTP SECRET [PAM_PORT PAM_SECRET]
Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import hashlib
import hmac
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import urllib.request

import mxtest
from mxtest import CELLS, answer, http, reply_text, rows_from_text, state_of

CH_PORT, OTP_PORT, HTTP_CH, HTTP_OTP, SECRET = sys.argv[1:6]
PAM_PORT, PAM_SECRET = (sys.argv[6], sys.argv[7]) if len(sys.argv) > 7 else (None, None)
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def radclient(port, attrs, code="auth", secret=SECRET, timeout=2):
    return mxtest.radclient(port, attrs, secret, code=code, timeout=timeout)


MA = "Message-Authenticator = 0x00"

# --- Status-Server, and the BlastRADIUS rules -------------------------------------------------
code, reply, out = radclient(CH_PORT, MA, code="status")
check("Status-Server is answered with Access-Accept", code == "Access-Accept", out)
code, reply, out = radclient(CH_PORT, 'User-Name = "alice", User-Password = "x"', timeout=1)
check("an Access-Request without Message-Authenticator is dropped", code is None, out)
code, reply, out = radclient(CH_PORT, f'User-Name = "alice", User-Password = "x", {MA}', secret="not the right secret!", timeout=1)
check("a request with the wrong secret is dropped", code is None, out)

# --- challenge flow ----------------------------------------------------------------------------
code, reply, out = radclient(CH_PORT, f'User-Name = "alice", User-Password = "", {MA}, Proxy-State = 0x0a0b0c')
check("challenge flow: a request without State gets Access-Challenge", code == "Access-Challenge", out)
first_attr = next((l.strip() for l in reply.splitlines() if l.startswith("\t")), "")
check("Message-Authenticator is the reply's first attribute", first_attr.startswith("Message-Authenticator"), reply)
check("Proxy-State is copied back", "Proxy-State = 0x0a0b0c" in reply, reply)
check("Session-Timeout says how long the challenge lives", re.search(r"Session-Timeout = 1[0-9]{2}", reply) is not None, reply)
text, state = reply_text(reply), state_of(reply)
rows = rows_from_text(text)
check("the grid arrives as Reply-Message text, 8 rows of 8", len(rows) == 8 and all(len(r) == 8 for r in rows), text)
code, reply, out = radclient(CH_PORT, f'User-Name = "alice", User-Password = "{answer(rows)}", State = 0x{state}, {MA}')
check("challenge flow: the right answer with that State is accepted", code == "Access-Accept", out)
m = re.search(r"Session-Timeout = (\d+)", reply)
check("the Access-Accept's Session-Timeout is session.max_seconds (8 h) without a window",
      m is not None and 28790 <= int(m.group(1)) <= 28800, reply)
code, reply, out = radclient(CH_PORT, f'User-Name = "alice", User-Password = "{answer(rows)}", State = 0x{state}, {MA}')
check("the same answer in a new request is refused (the challenge was used)", code == "Access-Reject", out)

# --- an access window ends the session; a suspended user gets a wrong answer's reply (issue 20) --
def admin(*args):
    return subprocess.run([os.environ["MATRIXAUTH_BIN"], *args, "--data", os.environ["MATRIXAUTH_DATA"]],
                          capture_output=True, text=True, timeout=60, check=True).stdout


def challenge_login(user, password_of=answer):
    code, reply, out = radclient(CH_PORT, f'User-Name = "{user}", User-Password = "", {MA}')
    rows = rows_from_text(reply_text(reply))
    return radclient(CH_PORT, f'User-Name = "{user}", User-Password = "{password_of(rows)}", State = 0x{state_of(reply)}, {MA}')


if "MATRIXAUTH_BIN" in os.environ:
    import time
    now = int(time.time())
    fmt = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
    end = (now // 60 + 90) * 60  # about 1.5 h from now, on a minute
    admin("users", "window", "add", "dave", "--from", fmt(now - 120), "--to", fmt(end))
    code, reply, out = challenge_login("dave")
    m = re.search(r"Session-Timeout = (\d+)", reply)
    left = end - int(time.time())
    check("inside an access window, Session-Timeout is the seconds left in it",
          code == "Access-Accept" and m is not None and abs(int(m.group(1)) - left) <= 5, (left, out))
    code, wrong, out = challenge_login("dave", lambda rows: "00pw0000")
    admin("users", "suspend", "dave")
    code2, right, out2 = challenge_login("dave")
    strip = lambda r: sorted(l for l in r.splitlines() if "Reply-Message" in l)
    check("a suspended user's right answer gets the Access-Reject of a wrong answer",
          code == code2 == "Access-Reject" and strip(wrong) == strip(right), out + out2)
    admin("users", "resume", "dave")
    code, reply, out = challenge_login("dave")
    check("resumed: accepted again", code == "Access-Accept", out)

# --- locked and unknown users --------------------------------------------------------------------
for i in range(5):
    code, reply, out = radclient(CH_PORT, f'User-Name = "carol", User-Password = "", {MA}')
    st = state_of(reply)
    code, reply, out = radclient(CH_PORT, f'User-Name = "carol", User-Password = "00pw0000", State = 0x{st}, {MA}')
code, reply, out = radclient(CH_PORT, f'User-Name = "carol", User-Password = "", {MA}')
check("a locked user is rejected and told until when", code == "Access-Reject" and "Locked until" in reply_text(reply), out)
code, reply, out = radclient(CH_PORT, f'User-Name = "nobody-here", User-Password = "", {MA}')
# A decoy's kind (grid or card cells) is a keyed function of the id, in the site's share of card
# holders (never below 1/32): either shape is right, and the same id gets the same one again.
decoy = reply_text(reply)
is_grid = len(rows_from_text(decoy)) == 8
is_card = "cells " in decoy and len(decoy.rsplit("cells ", 1)[-1].split()) == 3
check("an unknown user gets a (decoy) challenge like anyone: a grid or card cells",
      code == "Access-Challenge" and (is_grid or is_card), out)

# --- card mode: a grid-card holder is asked for cells ------------------------------------------
card_file = os.environ.get("CARD_FILE")
if card_file:
    card = open(card_file).read()
    values = {}
    lines = card.splitlines()
    cols = lines[1].split()
    for line in lines[2:]:
        parts = line.split()
        for col, v in zip(cols, parts[1:]):
            values[f"{col}{parts[0]}"] = v
    code, reply, out = radclient(CH_PORT, f'User-Name = "frank", User-Password = "", {MA}')
    prompt = reply_text(reply)
    cells = prompt.rsplit("cells ", 1)[-1].split()
    check("card mode: the challenge names three cells", code == "Access-Challenge" and len(cells) == 3, out)
    code, reply, out = radclient(CH_PORT, f'User-Name = "frank", User-Password = "{"".join(values[c] for c in cells)}", '
                                          f'State = 0x{state_of(reply)}, {MA}')
    check("card mode: the cells' values from the printed card are accepted", code == "Access-Accept", out)

# --- retransmission: the same datagram twice gets the same reply ----------------------------------
def md5(b):
    return hashlib.md5(b).digest()


def access_request(ident, auth, attrs):
    body = b"".join(bytes([t, len(v) + 2]) + v for t, v in attrs)
    pkt = bytes([1, ident]) + (20 + 18 + len(body)).to_bytes(2, "big") + auth + bytes([80, 18]) + bytes(16) + body
    mac = hmac.new(SECRET.encode(), pkt, hashlib.md5).digest()
    return pkt[:22] + mac + pkt[38:]


def hide(password, auth):
    p = password.encode()
    p += bytes(-len(p) % 16 or (16 if not p else 0))
    out, prev = b"", auth
    for i in range(0, len(p), 16):
        block = bytes(a ^ b for a, b in zip(p[i:i + 16], md5(SECRET.encode() + prev)))
        out += block
        prev = block
    return out


def udp(port, datagram, wait=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(datagram, ("127.0.0.1", int(port)))
    try:
        return s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()


code, reply, out = radclient(CH_PORT, f'User-Name = "dave", User-Password = "", {MA}')
st = bytes.fromhex(state_of(reply))
auth = os.urandom(16)
dgram = access_request(77, auth, [(1, b"dave"), (2, hide("00pw0000", auth)), (24, st)])
first, second = udp(CH_PORT, dgram), udp(CH_PORT, dgram)
check("a retransmission gets the cached reply, byte for byte", first is not None and first == second, repr((first, second)))
check("... and it was a rejection", first is not None and first[0] == 3)

# --- otp flow: the grid on the web portal, the answer over RADIUS; then a login ticket ---------
status, ch = http(HTTP_OTP, "/api/challenge", {"user": "bob"})
code, reply, out = radclient(OTP_PORT, f'User-Name = "bob", User-Password = "{answer(ch["matrix"])}", {MA}')
check("otp flow: the answer to the portal's grid is accepted", status == 200 and code == "Access-Accept", out)
code, reply, out = radclient(OTP_PORT, f'User-Name = "bob", User-Password = "{answer(ch["matrix"])}", {MA}')
check("otp flow: nothing pending any more, refused", code == "Access-Reject", out)
status, ch = http(HTTP_OTP, "/api/challenge", {"user": "bob"})
wide = "".join(chr(ord(c) + 0xFEE0) for c in answer(ch["matrix"]))
code, reply, out = radclient(OTP_PORT, f'User-Name = "bob", User-Password = "{wide}", {MA}')
check("otp flow: a full-width answer is folded and accepted", code == "Access-Accept", out)
status, ch = http(HTTP_OTP, "/api/challenge", {"user": "bob"})
status, v = http(HTTP_OTP, "/api/verify", {"user": "bob", "token": ch["token"], "answer": answer(ch["matrix"])})
ticket = v.get("redirect", "").split("ticket=")[-1]
code, reply, out = radclient(OTP_PORT, f'User-Name = "bob", User-Password = "{ticket}", {MA}')
check("a login ticket from the portal (a handle of at most 64 characters) logs in over RADIUS", len(ticket) <= 64 and code == "Access-Accept", out)
if "LONG_RADIUS" in os.environ:
    long_user = "vendor.user-with-a-long-id-030"
    status, ch = http(os.environ["LONG_HTTP"], "/api/challenge", {"user": long_user})
    status, v = http(os.environ["LONG_HTTP"], "/api/verify", {"user": long_user, "token": ch["token"], "answer": answer(ch["matrix"])})
    t = v.get("redirect", "").split("ticket=")[-1]
    code, reply, out = radclient(os.environ["LONG_RADIUS"], f'User-Name = "{long_user}", User-Password = "{t}", {MA}')
    check("a 30-byte user on a 30-byte client name redeems the portal's ticket through radclient",
          len(t) <= 64 and code == "Access-Accept", out)
code, reply, out = radclient(OTP_PORT, f'User-Name = "bob", User-Password = "{ticket}", {MA}')
check("... once: the replay is refused", code == "Access-Reject", out)

# --- a flood of garbage, then the server still answers -------------------------------------------
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rnd = random.Random(7)
for i in range(10_000):
    n = rnd.choice([0, 1, 19, 20, 21, 100, 4096, 4097, 5000])
    s.sendto(bytes(rnd.getrandbits(8) for _ in range(min(n, 64))) * (n // 64 + 1) if n else b"", ("127.0.0.1", int(CH_PORT)))
s.close()
code, reply, out = radclient(CH_PORT, MA, code="status")
check("after 10,000 garbage datagrams the server still answers", code == "Access-Accept", out)

# --- pamtester with pam_radius_auth: a Linux PAM client's challenge-response login --------------
if PAM_PORT:
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "pam_radius_auth.conf")
        with open(conf, "w") as f:
            f.write(f"127.0.0.1:{PAM_PORT} {PAM_SECRET} 3\n")
        os.chmod(conf, 0o600)
        module = next(p for p in ["/usr/lib/x86_64-linux-gnu/security/pam_radius_auth.so",
                                  "/lib/x86_64-linux-gnu/security/pam_radius_auth.so",
                                  "/usr/lib/security/pam_radius_auth.so"] if os.path.exists(p))
        with open(os.path.join(d, "mx-radius"), "w") as f:
            f.write(f"auth required {module} conf={conf}\naccount required pam_permit.so\n")
        env = dict(os.environ, LD_PRELOAD="libpam_wrapper.so", PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=d)
        p = subprocess.Popen(["pamtester", "mx-radius", "alice", "authenticate"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, bufsize=0)
        seen = ""
        p.stdin.write("first factor\n")  # pam_radius_auth's Password: prompt
        p.stdin.flush()
        import select
        deadline = 20
        while len(rows_from_text(seen)) < 8 and p.poll() is None:
            r, _, _ = select.select([p.stdout], [], [], deadline)
            if not r:
                break
            chunk = os.read(p.stdout.fileno(), 4096).decode("utf-8", "replace")
            if not chunk:
                break
            seen += chunk
        rows = rows_from_text(seen)
        if len(rows) == 8:
            p.stdin.write(answer(rows) + "\n")
            p.stdin.flush()
        rest, _ = p.communicate(timeout=30)
        seen += rest
        check("pamtester + pam_radius_auth: challenge-response login succeeds",
              p.returncode == 0 and "successfully authenticated" in seen, seen)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
