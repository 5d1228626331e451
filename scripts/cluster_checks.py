#!/usr/bin/env python3
"""Two `matrixauth serve` nodes on one PostgreSQL (issue 14), checked with HTTP, Debian's radclient
and the real admin binary. Run by scripts/cluster-test.sh, which starts PostgreSQL and the nodes
and passes everything in the environment:

  BIN, DATA_A, MATRIXAUTH_DATABASE, HTTP_A, HTTP_B, RADIUS_A, RADIUS_B, SECRET, PID_B, PG_DIR, PG_PORT

Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from mxtest import CELLS, MA, answer, http, radclient, reply_text, rows_from_text, state_of

E = os.environ
BIN, DATA_A, SECRET = E["BIN"], E["DATA_A"], E["SECRET"]
HTTP_A, HTTP_B, RADIUS_A, RADIUS_B = E["HTTP_A"], E["HTTP_B"], E["RADIUS_A"], E["RADIUS_B"]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}", flush=True)


def admin(*args):
    """The real admin binary on node A's data folder and the shared database (MATRIXAUTH_DATABASE)."""
    p = subprocess.run([BIN, *args, "--data", DATA_A], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"matrixauth {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def show(user):
    return json.loads(admin("users", "show", user, "--json"))


def enrol(user, port):
    link = json.loads(admin("users", "invite", user, "--json"))["link"]
    body = {"invite": link.split("#invite=")[1], "cells": CELLS, "fixed": "pw", "fixedAt": 2}
    return http(port, "/api/enroll", body)


def login(user, verify_port, challenge_port):
    status, ch = http(challenge_port, "/api/challenge", {"user": user})
    if status != 200:
        return status, ch
    return http(verify_port, "/api/verify", {"user": user, "token": ch["token"], "answer": answer(ch["matrix"])})


def radius(port, user, password="", state=None):
    attrs = f'User-Name = "{user}", User-Password = "{password}", {MA}'
    if state:
        attrs += f", State = 0x{state}"
    return radclient(port, attrs, SECRET, timeout=2)


def pg(action):
    subprocess.run(["bash", "-c", f"source scripts/lib/pg.sh && pg_ctl_as {action}"], check=True, timeout=60)


# --- enrollment across nodes: invitations are rows of the shared database -------------------
for i, user in enumerate(["alice", "bob", "carol", "dave", "erin", "frank"]):
    status, body = enrol(user, HTTP_A if i % 2 == 0 else HTTP_B)
    check(f"{user} enrols on node {'AB'[i % 2]} with an invitation made by the admin command", status == 201, body)

# --- a challenge issued by one node is verified by the other --------------------------------
status, v = login("alice", HTTP_B, HTTP_A)
check("HTTP: challenge on A, answer on B: accepted", status == 200 and v.get("outcome") == "accepted", v)
redirect = v.get("redirect", "")
status, page = http(HTTP_B, redirect)
check("the ticket is redeemed on node B", status == 200, page)
status, page = http(HTTP_A, redirect)
check("the same ticket on node A: refused as replayed (one redemption across nodes)",
      status == 403 and b'data-reason="replayed"' in page, page)

code, reply, out = radius(RADIUS_A, "alice")
rows = rows_from_text(reply_text(reply))
st = state_of(reply)
check("RADIUS: Access-Challenge with the grid from node A", code == "Access-Challenge" and len(rows) == 8 and st, out)
code, reply, out = radius(RADIUS_B, "alice", answer(rows), st)
check("RADIUS: the answer with that State on node B: Access-Accept", code == "Access-Accept", out)

# A ticket from the portal, checked by the appliance over RADIUS on either server: once.
status, v = login("alice", HTTP_A, HTTP_A)
ticket = v.get("redirect", "=").split("ticket=")[1]
code, _, out = radius(RADIUS_B, "alice", ticket)
check("RADIUS: a portal ticket redeemed on node B: Access-Accept", code == "Access-Accept", out)
code, _, out = radius(RADIUS_A, "alice", ticket)
check("RADIUS: the same ticket on node A: Access-Reject", code == "Access-Reject", out)

# --- 50 concurrent wrong answers over both nodes ---------------------------------------------
replies = []
lock = threading.Lock()


def hammer(i, user, rounds):
    own, other = (HTTP_A, HTTP_B) if i % 2 == 0 else (HTTP_B, HTTP_A)
    for n in range(rounds):
        try:
            status, ch = http(own, "/api/challenge", {"user": user}, timeout=30)
            if status != 200:
                return
            status, v = http(other, "/api/verify", {"user": user, "token": ch["token"], "answer": f"{i % 10}{n % 10}pw0000"}, timeout=30)
        except OSError:
            continue  # a node went away (the kill test)
        with lock:
            replies.append((user, status, v.get("outcome") if isinstance(v, dict) else None))
        if status == 200 and v.get("outcome") == "locked":
            return


threads = [threading.Thread(target=hammer, args=(i, "bob", 3)) for i in range(50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
rejected = sum(1 for u, s, o in replies if o == "rejected")
bob = show("bob")
check(f"50 concurrent wrong answers over both nodes: {rejected} rejected replies, {bob['failuresSinceSuccess']} failures stored",
      rejected == bob["failuresSinceSuccess"] and rejected >= 5, bob)
sa, _ = http(HTTP_A, "/api/challenge", {"user": "bob"})
sb, _ = http(HTTP_B, "/api/challenge", {"user": "bob"})
check("both nodes see bob's lock (423)", (sa, sb) == (423, 423), (sa, sb))

# --- an admin unlock, seen by both nodes ------------------------------------------------------
admin("users", "unlock", "bob")
sa, _ = http(HTTP_A, "/api/challenge", {"user": "bob"})
sb, _ = http(HTTP_B, "/api/challenge", {"user": "bob"})
check("after `matrixauth users unlock bob`, both nodes show a grid", (sa, sb) == (200, 200), (sa, sb))

# --- a suspension, at once on both nodes and at both doors (issue 20) ------------------------
admin("users", "suspend", "alice")
status, v = login("alice", HTTP_B, HTTP_A)
check("suspended on the shared database: node B refuses alice's right answer as a wrong one",
      status == 200 and v.get("outcome") == "rejected" and "redirect" not in v, v)
code, reply, out = radius(RADIUS_A, "alice")
rows = rows_from_text(reply_text(reply))
code, reply, out = radius(RADIUS_B, "alice", answer(rows), state_of(reply))
check("suspended: node B's RADIUS rejects the right answer with the wrong answer's message",
      code == "Access-Reject" and "Login failed" in reply_text(reply), out)
check("suspended: no failure counted on alice", show("alice")["failuresSinceSuccess"] == 0, show("alice"))
admin("users", "resume", "alice")
status, v = login("alice", HTTP_A, HTTP_B)
check("resumed: node A accepts alice again", status == 200 and v.get("outcome") == "accepted", v)

# --- killing node B in the middle of a burst ---------------------------------------------------
replies.clear()
users = ["carol", "dave", "erin"]
errors = []
killed_at = []


def burst(i, user, until):
    """Challenge on one node, wrong answer on the other, for a fixed time (locks do not stop it)."""
    own, other = (HTTP_A, HTTP_B) if i % 2 == 0 else (HTTP_B, HTTP_A)
    n = 0
    while time.monotonic() < until:
        n += 1
        try:
            status, ch = http(own, "/api/challenge", {"user": user}, timeout=30)
            if status != 200:
                continue
            status, v = http(other, "/api/verify", {"user": user, "token": ch["token"], "answer": f"{i % 10}{n % 10}pw0000"}, timeout=30)
        except OSError as e:
            with lock:
                errors.append(str(e))
            time.sleep(0.01)
            continue
        with lock:
            replies.append((user, status, v.get("outcome") if isinstance(v, dict) else None, bool(killed_at)))


end = time.monotonic() + 1.5
threads = [threading.Thread(target=burst, args=(i, users[i % 3], end)) for i in range(24)]
for t in threads:
    t.start()
time.sleep(0.5)
before_kill = len(replies)
os.kill(int(E["PID_B"]), signal.SIGKILL)
killed_at.append(time.monotonic())
for t in threads:
    t.join()
# Every request of the burst involves both nodes, so after the kill they fail at node B.
check(f"node B was killed mid-burst: {before_kill} answers before, {len(errors)} requests cut off after",
      before_kill > 0 and len(errors) > 0, (before_kill, len(errors)))
audit = [json.loads(l) for l in admin("audit", "tail", "-n", "100000", "--json").splitlines()]
for user in users:
    got = sum(1 for u, s, o, _ in replies if u == user and o == "rejected")
    stored = show(user)["failuresSinceSuccess"]
    lines = sum(1 for e in audit if e.get("user") == user and e.get("event") == "verify" and e.get("outcome") == "rejected")
    check(f"node B killed mid-burst: {user}: {got} rejected replies received, {stored} failures stored, {lines} audit lines",
          stored >= got and stored == lines, (got, stored, lines))
corrupt = [u for u in json.loads(admin("users", "list", "--json")) if "corrupt" in u]
check("no half-written record: every state still authenticates", corrupt == [], corrupt)
status, v = login("frank", HTTP_A, HTTP_A)
check("node A keeps serving: frank logs in", status == 200 and v.get("outcome") == "accepted", v)

# --- PostgreSQL stopped and started again, the node left running -------------------------------
status, v = login("frank", HTTP_A, HTTP_A)
held = v.get("redirect", "=").split("ticket=")[1]  # a valid ticket, redeemed during the outage
check("database up: /readyz 200, /healthz 200",
      http(HTTP_A, "/readyz")[0] == 200 and http(HTTP_A, "/healthz")[0] == 200)
pg("stop")
status, body = http(HTTP_A, "/readyz")
check("database down: /readyz 503 (the monitoring server sees the node not ready)", status == 503, (status, body))
check("database down: /healthz still 200 (the process serves)", http(HTTP_A, "/healthz")[0] == 200)
status, v = http(HTTP_A, "/api/challenge", {"user": "frank"})
check("database down: HTTP 503 unavailable, never a grid or an accept",
      status == 503 and isinstance(v, dict) and v.get("error") == "unavailable", (status, v))
code, _, out = radius(RADIUS_A, "frank", "", None)
check("database down: the RADIUS request gets no reply (the appliance fails over)", code is None, out)
code, _, out = radius(RADIUS_A, "frank", held)
check("database down: a valid ticket gets no reply either (its replay row cannot be written)", code is None, out)
pg("start")
ok = False
for _ in range(20):
    status, v = login("frank", HTTP_A, HTTP_A)
    if status == 200 and v.get("outcome") == "accepted":
        ok = True
        break
    time.sleep(0.25)
check("database back: node A reconnects without a restart and frank logs in", ok, (status, v))
check("database back: /readyz 200 again", http(HTTP_A, "/readyz")[0] == 200)
code, _, out = radius(RADIUS_A, "frank")
check("database back: RADIUS answers again", code == "Access-Challenge", out)

p = subprocess.run([BIN, "audit", "verify", "--json", "--data", DATA_A], capture_output=True, text=True, timeout=120)
try:
    report = json.loads(p.stdout)
except ValueError:
    report = {"stdout": p.stdout, "stderr": p.stderr}
check("audit verify: each node's chain checks after the bursts, the kill and the outage (exit 0)",
      p.returncode == 0 and report.get("ok") is True and {"a", "b"} <= set(report.get("nodes", {})),
      (p.returncode, {k: report.get(k) for k in ("ok", "lines", "nodes")}, report.get("findings", [])[:3]))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
