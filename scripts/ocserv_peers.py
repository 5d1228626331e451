#!/usr/bin/python3
"""A real SSL-VPN against the RADIUS door: the openconnect client, driven through its prompts with
pexpect, logging in to ocserv gateways whose RADIUS server is a running `matrixauth serve`.
Run by scripts/ocserv-test.sh, which starts the servers and gateways and sets the environment:

  CA                 the CA that signed the gateways' certificate (openconnect --cafile)
  OC_CHALLENGE       https://127.0.0.1:PORT, an ocserv on a `challenge` client
  OC_CHALLENGE_LOG   that ocserv's log (debug level 2: it shows the State radcli received)
  OC_OTP, HTTP_OTP   an ocserv on an `otp` client that takes tickets (named LONG_CLIENT), and
                     the portal of the server behind it (LONG_CLIENT is its tickets' audience)
  OC_SIGNED, HTTP_SIGNED   the same, with a server that hands out signed tickets
  LONG_USER, LONG_CLIENT   a 30-byte user id and a 30-byte client name
  MATRIXAUTH_BIN, MATRIXAUTH_DATA, CARD_FILE   the binary, the data folder, frank's printed card
  TUNNEL_NS_S, TUNNEL_NS_C, TUNNEL_URL, TUNNEL_SCRIPT, TUNNEL_MARK   the full-tunnel check
                     (gateway and client namespaces), or TUNNEL_SKIP with the reason it is skipped

Users: alice and bob (pattern B2 G3 D5 A8 H1 E6, "pw" after two digits), frank (a grid card),
LONG_USER (the same pattern). Needs Debian's python3-pexpect, hence /usr/bin/python3.
Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mxtest import answer, http, rows_from_text  # noqa: E402

E = os.environ
CA = E["CA"]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}", flush=True)


class Login:
    """One run of openconnect: `prompts` holds the text openconnect showed before each password
    prompt (the prompt's name in `labels`), `out` everything it printed, `cookie` the session
    cookie (`--authenticate`), `rc` its exit status."""

    def __init__(self, out, prompts, labels, rc):
        self.out, self.prompts, self.labels, self.rc = out, prompts, labels, rc
        m = re.search(r"^COOKIE='([^']+)'", out, re.M)
        self.cookie = m.group(1) if m else None

    def __repr__(self):
        return f"openconnect exited {self.rc}; it printed:\n{self.out}"


def openconnect(url, user, passwords, extra=(), prefix=(), until=None):
    """Runs openconnect (`--authenticate` unless `until` is given) against URL as USER and answers
    its password prompts in order: each item of passwords is a string or a function of the text
    shown before that prompt. A prompt beyond the list ends the run (a refused login that asks
    again). With `until`, a function called with the live child once all passwords were given;
    the client is then stopped with SIGINT."""
    args = [*prefix, "openconnect", "--cafile", CA, *extra, url]
    if until is None:
        args.insert(len(prefix) + 1, "--authenticate")
    env = dict(os.environ, LC_ALL="C.UTF-8")
    child = pexpect.spawn(args[0], args[1:], encoding="utf-8", timeout=30, env=env)
    out, prompts, labels, answers = "", [], [], list(passwords)
    try:
        while True:
            # Anchored at a line start: with --dump-http-traffic the form's label="Password:"
            # passes by too.
            i = child.expect([r"(?m)^Username:", r"(?m)^(Password\d*):", r"(?:Configured|Connected) as ", pexpect.EOF])
            out += child.before + (child.after if isinstance(child.after, str) else "")
            if i == 0:
                child.sendline(user)
            elif i == 1:
                prompts.append(child.before)
                labels.append(child.match.group(1))
                if not answers:
                    break
                a = answers.pop(0)
                child.sendline(a(child.before) if callable(a) else a)
            elif i == 2 and until is not None:
                child.expect(r"\r\n")
                out += child.before
                until(child)
                child.kill(signal.SIGINT)
                child.expect(pexpect.EOF, timeout=15)
                out += child.before
                break
            else:
                break
    except pexpect.TIMEOUT:
        out += (child.before or "") + "\n[timed out]"
    finally:
        child.close(force=True)
    login = Login(out, prompts, labels, child.exitstatus)
    if "--dump-http-traffic" not in extra:
        seen.append(login)
    return login


seen = []  # every run without the HTTP dump: what users saw


def grid_of(text):
    return rows_from_text(text)


def right(text):
    """The answer to the grid in TEXT (a decoy may ask for card cells instead: then a wrong one)."""
    rows = grid_of(text)
    return answer(rows) if len(rows) == 8 else "00pw0000"


def wrong(text):
    return "00pw0000" if right(text) != "00pw0000" else "11pw1111"


def forms_in_dump(out):
    """The XML bodies the gateway sent, from openconnect's --dump-http-traffic ('< ' lines)."""
    bodies, cur = [], None
    for line in out.replace("\r\n", "\n").split("\n"):
        if line.startswith("< <?xml"):
            cur = []
        if cur is not None and line.startswith("<"):
            cur.append(line[2:])
            if line.startswith("< </config-auth>"):
                bodies.append("\n".join(cur))
                cur = None
    return bodies


def audit(n=50):
    p = subprocess.run([E["MATRIXAUTH_BIN"], "audit", "tail", "-n", str(n), "--json", "--data", E["MATRIXAUTH_DATA"]],
                       capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def portal_ticket(port, user):
    """A web login on the portal at PORT; returns the ticket of its hand-off to the appliance."""
    status, ch = http(port, "/api/challenge", {"user": user})
    status2, v = http(port, "/api/verify", {"user": user, "token": ch["token"], "answer": answer(ch["matrix"])})
    redirect = v.get("redirect", "") if isinstance(v, dict) else ""
    return redirect.split("ticket=", 1)[1] if "ticket=" in redirect else None, (status, status2, v)


TITLE = "Matrix login / マトリクス認証"

# --- the challenge flow: username, a first password ocserv sends and the server ignores, then the
# grid as the second prompt ---------------------------------------------------------------------
t0 = time.monotonic()
ok = openconnect(E["OC_CHALLENGE"], "alice", ["anything", right])
took = time.monotonic() - t0
check("challenge flow: after Username and a first Password, the grid comes as a second prompt",
      ok.labels[:2] == ["Password", "Password1"] and len(grid_of(ok.prompts[1])) == 8, ok)
check("a right answer typed at the second prompt gets the session cookie (COOKIE=)",
      ok.cookie is not None and ok.rc == 0, ok)
shown = [l.strip("\r") for l in ok.prompts[1].split("\n")] if len(ok.prompts) > 1 else []
i = shown.index(TITLE) if TITLE in shown else -1
check("openconnect shows the grid as sent: the title, the header row A..H, 8 rows of 8 digits",
      i >= 0 and shown[i + 1].split() == list("ABCDEFGH")
      and all(re.fullmatch(r" ?[1-8]( \d){8}", r) for r in shown[i + 2:i + 10]), ok)
states = []
for line in open(E["OC_CHALLENGE_LOG"], encoding="utf-8", errors="replace"):
    m = re.search(r"Access-Challenge response stage \d+, State (.*)$", line.rstrip("\n"))
    if m:
        states.append(m.group(1))
check("the State ocserv holds (a C string) is printable ASCII, without NUL, and the login with it worked",
      len(states) >= 1 and all(re.fullmatch(r"[\x21-\x7e]{16,}", s) for s in states) and ok.cookie is not None,
      states)

refused = openconnect(E["OC_CHALLENGE"], "alice", ["", wrong], extra=["-v", "--dump-http-traffic"])
check("a wrong answer is refused (no cookie; ocserv answers 401)",
      refused.cookie is None and refused.rc != 0 and "401" in refused.out, refused)
forms = forms_in_dump(refused.out)
grid_forms = [f for f in forms if TITLE in f]
parsed = []
for f in grid_forms:
    try:
        parsed.append(ET.fromstring(f.encode()))
    except ET.ParseError as e:
        parsed.append(e)
messages = [p.findtext("auth/message") for p in parsed if isinstance(p, ET.Element)]
check("ocserv's challenge form (Reply-Message pasted into its XML unescaped) is well-formed XML",
      len(grid_forms) == 1 and len(messages) == 1, "\n---\n".join(forms))
check("... and its <message> is the grid openconnect showed, byte for byte",
      len(messages) == 1 and len(refused.prompts) > 1
      and messages[0].strip("\n") in refused.prompts[1].replace("\r\n", "\n"), (messages, refused.prompts[1:]))

unknown = openconnect(E["OC_CHALLENGE"], "nobody-here", ["", right])
check("an unknown user gets a second prompt like anyone (a grid or card cells), and is refused",
      len(unknown.prompts) > 1 and (len(grid_of(unknown.prompts[1])) == 8 or "cells " in unknown.prompts[1])
      and unknown.cookie is None, unknown)
for _ in range(5):
    openconnect(E["OC_CHALLENGE"], "dave", ["", wrong])
locked = openconnect(E["OC_CHALLENGE"], "dave", [""])
check("a locked user is refused at the first Password, and openconnect shows until when",
      locked.cookie is None and len(locked.prompts) == 2 and "Locked until" in locked.prompts[1], locked)

# --- a grid-card holder ------------------------------------------------------------------------
card = open(E["CARD_FILE"], encoding="utf-8").read().splitlines()
values, cols = {}, card[1].split()
for line in card[2:]:
    parts = line.split()
    for col, v in zip(cols, parts[1:]):
        values[f"{col}{parts[0]}"] = v
asked = []


def cells(text):
    m = re.search(r"cells ((?:[A-Z]\d+ ?)+)", text)
    asked[:] = m.group(1).split() if m else []
    return "".join(values.get(c, "") for c in asked)


frank = openconnect(E["OC_CHALLENGE"], "frank", ["", cells])
check("a card holder is asked for three cells at the second prompt",
      len(asked) == 3 and len(frank.prompts) > 1 and card[0].split()[-1] in frank.prompts[1], frank)
check("... and logs in with their values from the printed card", frank.cookie is not None, frank)

# --- the otp flow: the grid on the web portal, the answer (full-width) as openconnect's password ---
status, ch = http(E["HTTP_OTP"], "/api/challenge", {"user": "bob"})
wide = "".join(chr(ord(c) + 0xFEE0) for c in answer(ch["matrix"])) if status == 200 else ""
otp = openconnect(E["OC_OTP"], "bob", [wide])
check("otp flow: the portal's grid answered in full-width digits at the one Password prompt gets a cookie",
      status == 200 and otp.cookie is not None and otp.labels == ["Password"], otp)
again = openconnect(E["OC_OTP"], "bob", [wide])
check("otp flow: the same answer again is refused (nothing pending)", again.cookie is None, again)

# --- a ticket from the portal for a 30-byte user on a 30-byte client name ------------------------
user, client = E["LONG_USER"], E["LONG_CLIENT"]
ticket, why = portal_ticket(E["HTTP_OTP"], user)
redeem = openconnect(E["OC_OTP"], user, [ticket or ""])
check(f"a ticket for a {len(user.encode())}-byte user on a {len(client.encode())}-byte client name "
      f"({len(ticket or '')} characters; radcli keeps 112) logs in through ocserv",
      len(user.encode()) == 30 and len(client.encode()) == 30 and ticket is not None and redeem.cookie is not None,
      f"{why}\n{redeem}\naudit: {[a for a in audit() if 'ticket' in a.get('event', '')][-3:]}")
replay = openconnect(E["OC_OTP"], user, [ticket or ""])
check("... once: the same ticket again is refused", redeem.cookie is not None and replay.cookie is None, replay)

signed, why = portal_ticket(E["HTTP_SIGNED"], user)
cut = openconnect(E["OC_SIGNED"], user, [signed or ""])
refusals = [a for a in audit() if a.get("event") == "ticket_refused" and a.get("audience") == client]
check(f"a signed ticket ({len(signed or '')} characters) is cut by radcli to 112 bytes: refused, audited as truncated",
      signed is not None and len(signed) > 112 and cut.cookie is None
      and any(a.get("reason") == "truncated" for a in refusals), f"{why}\n{cut}\n{refusals}")

# --- a full tunnel, in two private namespaces --------------------------------------------------
if "TUNNEL_SKIP" in E:
    print(f"skip full tunnel: {E['TUNNEL_SKIP']}")
else:
    ns_s, ns_c = E["TUNNEL_NS_S"], E["TUNNEL_NS_C"]
    result = {}

    def up(child):
        # The script has run when the device has its address; then ping the gateway's end.
        for _ in range(50):
            if os.path.exists(E["TUNNEL_MARK"]):
                break
            time.sleep(0.1)
        addrs = subprocess.run(["ip", "-n", ns_s, "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
        m = re.search(r"\d+: vpns\d+\s+inet (\d+\.\d+\.\d+\.\d+)", addrs)
        result["gateway"] = m.group(1) if m else None
        result["mark"] = open(E["TUNNEL_MARK"]).read().strip() if os.path.exists(E["TUNNEL_MARK"]) else None
        if result["gateway"]:
            p = subprocess.run(["ip", "netns", "exec", ns_c, "ping", "-c", "2", "-W", "3", result["gateway"]],
                               capture_output=True, text=True, timeout=20)
            result["ping"] = (p.returncode, p.stdout + p.stderr)

    tun = openconnect(E["TUNNEL_URL"], "alice", ["", right], extra=["--script", E["TUNNEL_SCRIPT"]],
                      prefix=["ip", "netns", "exec", ns_c], until=up)
    check("full tunnel: openconnect in its own namespace connects through ocserv and gets an address",
          re.search(r"(?:Configured|Connected) as \d", tun.out) is not None and result.get("mark") is not None, f"{tun}\n{result}")
    check("... and the gateway's end of the tunnel answers ping through it",
          result.get("ping", (1,))[0] == 0, f"{result}")

texts = [(p, l.out) for l in seen for p in l.prompts]
check(f"no text openconnect showed ({len(texts)} prompts: grids, cells, rejections) has '<' or '&' (ocserv does not escape)",
      len(texts) >= 10 and all("<" not in p and "&" not in p for p, _ in texts),
      [out for p, out in texts if "<" in p or "&" in p][:1])

print(f"one challenge-flow login through ocserv took {took:.2f} s")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
