#!/usr/bin/env python3
"""The console (issue 23) on two `matrixauth serve` nodes sharing one PostgreSQL, driven through
its own HTML forms (sessions, CSRF tokens, the grid login) with urllib. Run by
scripts/cluster-test.sh before scripts/cluster_checks.py, with the same environment:

  BIN, DATA_A, MATRIXAUTH_DATABASE, HTTP_A, HTTP_B

- a request filed on node B and approved on node A lets the vendor in on node B (refused before,
  outside the window they had);
- the same request approved on both nodes at once: one approval, one window;
- "everyone off" on node B refuses the vendor on node A; "everyone back" lets them in again.

Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
from http.cookiejar import CookieJar
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from mxtest import CELLS, answer, http

E = os.environ
BIN, DATA_A, HTTP_A, HTTP_B = E["BIN"], E["DATA_A"], E["HTTP_A"], E["HTTP_B"]
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
    p = subprocess.run([BIN, *args, "--data", DATA_A], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"matrixauth {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def enrol(user, *roles):
    args = ["users", "invite", user, "--json"] + [a for r in roles for a in ("--role", r)]
    link = json.loads(admin(*args))["link"]
    body = {"invite": link.split("#invite=")[1], "cells": CELLS, "fixed": "pw", "fixedAt": 2}
    status, reply = http(HTTP_A, "/api/enroll", body)
    if status != 201:
        raise SystemExit(f"enrollment of {user} failed: {status} {reply}")


def field(html, name):
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else None


class Console:
    """One browser's session on one node's console (its own cookie jar)."""

    def __init__(self, port):
        self.port = port
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, path, form=None):
        data = None if form is None else urllib.parse.urlencode(form).encode()
        headers = {"origin": f"http://127.0.0.1:{self.port}"} if form is not None else {}
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, r.read().decode(), r.geturl()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.geturl()

    def login(self, user):
        _, page, _ = self.call("/console/login")
        _, grid, _ = self.call("/console/login", {"user": user, "csrf": field(page, "csrf")})
        cells = dict(re.findall(r'data-cell="([A-H][1-8])"[^>]*>(\d)<', grid))
        rows = [[int(cells[f"{chr(65 + c)}{r + 1}"]) for c in range(8)] for r in range(8)]
        form = {"user": user, "token": field(grid, "token"), "answer": answer(rows), "csrf": field(grid, "csrf")}
        status, page, url = self.call("/console/login/answer", form)
        if status != 200 or not url.endswith("/console/requests"):
            raise SystemExit(f"console login of {user} on {self.port} failed: {status} {url}")
        self.csrf = field(page, "csrf")
        return self

    def post(self, path, form):
        return self.call(path, {**form, "csrf": self.csrf})


def portal(user, port):
    status, ch = http(port, "/api/challenge", {"user": user})
    if status != 200:
        return status, ch
    status, v = http(port, "/api/verify", {"user": user, "token": ch["token"], "answer": answer(ch["matrix"])})
    return v.get("outcome") if isinstance(v, dict) else (status, v)


def iso(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(time.time() + seconds_from_now))


def file_request(console, purpose, start, end):
    form = {"from": iso(start), "to": iso(end), "purpose": purpose, "work": "w", "targets": "web01",
            "operator": "o", "manager_approval": "m", "notes": ""}
    status, _, url = console.post("/console/requests", form)
    m = re.search(r"/console/requests/(\d+)\?ok=1$", url)
    if status != 200 or not m:
        raise SystemExit(f"filing failed: {status} {url}")
    return int(m.group(1))


enrol("cvendor")
enrol("cappr", "approver")
enrol("cboss", "admin")
# A window tomorrow: outside it now.
tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
admin("users", "window", "add", "cvendor", "--from", f"{tomorrow} 09:00", "--to", f"{tomorrow} 10:00")
check("before any approval the vendor is outside their window (node B)", portal("cvendor", HTTP_B) == "outside_window")

vendor_b = Console(HTTP_B).login("cvendor")
req = file_request(vendor_b, "cluster check", -300, 3600)
appr_a = Console(HTTP_A).login("cappr")
status, page, _ = appr_a.call("/console/requests")
check("node A's console lists the request filed on node B", f'data-request="{req}"' in page, page[:300])
status, page, url = appr_a.post(f"/console/requests/{req}/approve", {})
check("approved on node A", status == 200 and url.endswith(f"/console/requests/{req}?ok=1"), (status, url))
check("the approval on node A lets the vendor in on node B", portal("cvendor", HTTP_B) == "accepted")
status, page, _ = vendor_b.call(f"/console/requests/{req}")
check("node B's console shows the vendor the approval", 'id="state">承認済み<' in page or "approved" in page)

# The same request approved on both nodes at once: exactly one approval and one window.
req2 = file_request(vendor_b, "raced", 600, 1200)
boss_b = Console(HTTP_B).login("cboss")
windows_before = len(json.loads(admin("users", "show", "cvendor", "--json"))["windows"])
results = []
threads = [threading.Thread(target=lambda c=c: results.append(c.post(f"/console/requests/{req2}/approve", {})[0]))
           for c in (appr_a, boss_b)]
for t in threads:
    t.start()
for t in threads:
    t.join()
windows_after = len(json.loads(admin("users", "show", "cvendor", "--json"))["windows"])
check(f"approved on both nodes at once: one approval, one refusal {sorted(results)}, one window",
      sorted(results) == [200, 400] and windows_after == windows_before + 1, (results, windows_before, windows_after))

# Everyone off on node B: the vendor is refused on node A at once; back on, let in again.
status, page, _ = boss_b.post("/console/off", {"action": "suspend", "confirm": "yes"})
check("everyone off on node B", status == 200 and 'id="flash"' in page, (status, page[:300]))
check("everyone off on node B refuses the vendor on node A (a wrong answer's reply)",
      portal("cvendor", HTTP_A) == "rejected")
check("the approver is not suspended (node A)", portal("cappr", HTTP_A) == "accepted")
status, page, _ = Console(HTTP_A).login("cappr").post("/console/off", {"action": "resume", "confirm": "yes"})
check("everyone back on node A", status == 200, status)
check("the vendor is let in again on node B", portal("cvendor", HTTP_B) == "accepted")
lines = admin("audit", "tail", "-n", "200", "--json")
check("the workflow is in the shared audit log with its actors",
      '"event":"request_approved"' in lines and '"operator":"console:cboss"' in lines
      and '"action":"resume_all"' in lines)
# The cluster checks after this one start from no suspended and no role-less extra user.
admin("users", "remove", "cvendor")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
