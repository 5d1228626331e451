#!/usr/bin/env python3
"""The audit log to a real syslog collector (issue 24): Debian's rsyslog, started unprivileged in
the foreground with its own configuration on free 127.0.0.1 ports (imudp; imtcp with octet-counted
framing; imtcp with the gtls driver for TLS), writing what it receives to a file. Run by
scripts/syslog-test.sh, which builds the binary and passes BIN, TMP and PROMTOOL in the environment.

For each of tcp://, udp:// and tls://, a `matrixauth serve` whose audit lines go there:
- every event arrives once, in order, and is the line the database holds (`audit tail --json`),
  as an RFC 5424 message: facility authpriv, the event's severity, app-name matrixauth, the
  server's pid, msgid = the event's name, the JSON line as MSG;
and over TCP:
- with the collector stopped, logins still succeed, and /metrics counts the dropped lines;
- restarted, it gets every line written while it was down, then nothing twice;
- a server restart resumes where it stopped (lines written meanwhile by an admin command arrive);
- `promtool check metrics` passes on /metrics.

Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from mxtest import CELLS, answer, http

E = os.environ
BIN, TMP, PROMTOOL = E["BIN"], E["TMP"], E.get("PROMTOOL", "promtool")
passed = failed = 0
procs = []


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}\n{str(detail)[:3000]}", flush=True)


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(what, cond, timeout=40):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    return cond()


# --- the collector -------------------------------------------------------------------------------
UDP, TCP, TLS = free_port(socket.SOCK_DGRAM), free_port(), free_port()
OUT = {"udp": f"{TMP}/udp.log", "tcp": f"{TMP}/tcp.log", "tls": f"{TMP}/tls.log"}
os.makedirs(f"{TMP}/rsyslog", exist_ok=True)
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{TMP}/ca.key", "-out", f"{TMP}/ca.pem", "-days", "2", "-subj", "/CN=syslog test CA"],
               check=True, capture_output=True)
subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{TMP}/srv.key", "-out", f"{TMP}/srv.csr", "-subj", "/CN=localhost"],
               check=True, capture_output=True)
with open(f"{TMP}/ext", "w") as f:
    f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
subprocess.run(["openssl", "x509", "-req", "-in", f"{TMP}/srv.csr", "-CA", f"{TMP}/ca.pem", "-CAkey", f"{TMP}/ca.key",
                "-CAcreateserial", "-out", f"{TMP}/srv.pem", "-days", "2", "-extfile", f"{TMP}/ext"],
               check=True, capture_output=True)
# A CA that signed nothing the collector shows: a sender trusting only it must refuse the collector.
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{TMP}/other.key", "-out", f"{TMP}/other.pem", "-days", "2", "-subj", "/CN=other CA"],
               check=True, capture_output=True)
FIELDS = "%pri%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n"
conf = f"""
global(workDirectory="{TMP}/rsyslog" defaultNetstreamDriverCAFile="{TMP}/ca.pem"
       defaultNetstreamDriverCertFile="{TMP}/srv.pem" defaultNetstreamDriverKeyFile="{TMP}/srv.key")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string" string="{FIELDS}")
ruleset(name="udp") {{ action(type="omfile" file="{OUT['udp']}" template="fields") }}
ruleset(name="tcp") {{ action(type="omfile" file="{OUT['tcp']}" template="fields") }}
ruleset(name="tls") {{ action(type="omfile" file="{OUT['tls']}" template="fields") }}
input(type="imudp" address="127.0.0.1" port="{UDP}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{TCP}" ruleset="tcp" supportOctetCountedFraming="on")
input(type="imtcp" address="127.0.0.1" port="{TLS}" ruleset="tls" streamDriver.name="gtls"
      streamDriver.mode="1" streamDriver.authMode="anon")
"""
with open(f"{TMP}/rsyslog.conf", "w") as f:
    f.write(conf)
collector = None


def collector_start():
    global collector
    collector = subprocess.Popen(["rsyslogd", "-n", "-f", f"{TMP}/rsyslog.conf", "-i", f"{TMP}/rsyslog.pid"],
                                 stdout=open(f"{TMP}/rsyslogd.out", "a"), stderr=subprocess.STDOUT)
    procs.append(collector)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", TCP), timeout=1).close()
            return True
        except OSError:
            return False
    if not wait_for("rsyslogd", listening, 20):
        raise SystemExit("rsyslogd did not start: " + open(f"{TMP}/rsyslogd.out").read())


def collector_stop():
    collector.send_signal(signal.SIGTERM)
    collector.wait(timeout=30)


def received(kind):
    try:
        return [line.rstrip("\n").split("|", 6) for line in open(OUT[kind], encoding="utf-8")]
    except FileNotFoundError:
        return []


# --- the servers ---------------------------------------------------------------------------------
class Server:
    def __init__(self, name, target, ca=None):
        self.name, self.data = name, f"{TMP}/{name}"
        self.config = f"{TMP}/{name}.toml"
        with open(self.config, "w") as f:
            f.write(f'[syslog]\ntarget = "{target}"\n')
            if ca:
                f.write(f'ca = "{ca}"\n')
        self.port = free_port()
        self.proc = None

    def start(self):
        self.log = open(f"{TMP}/{self.name}.out", "a")
        self.proc = subprocess.Popen([BIN, "serve", "--config", self.config, "--data", self.data, "--port",
                                      str(self.port), "--no-first-invitation", "--node", self.name],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        procs.append(self.proc)
        if not wait_for("server", lambda: self.up(), 60):
            raise SystemExit(f"{self.name} did not start: " + open(f"{TMP}/{self.name}.out").read())

    def up(self):
        try:
            return http(self.port, "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)

    def admin(self, *args):
        p = subprocess.run([BIN, *args, "--data", self.data, "--node", self.name], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"matrixauth {' '.join(args)}: exit {p.returncode}: {p.stderr}")
        return p.stdout

    def audit(self):
        """This node's lines as the database holds them, oldest first."""
        lines = self.admin("audit", "tail", "-n", "100000", "--json").splitlines()
        return lines

    def enrol(self, user):
        link = json.loads(self.admin("users", "invite", user, "--json"))["link"]
        body = {"invite": link.split("#invite=")[1], "cells": CELLS, "fixed": "pw", "fixedAt": 2}
        return http(self.port, "/api/enroll", body)

    def login(self, user, right=True):
        status, ch = http(self.port, "/api/challenge", {"user": user})
        if status != 200:
            return status, ch
        a = answer(ch["matrix"]) if right else "00pw0000"
        return http(self.port, "/api/verify", {"user": user, "token": ch["token"], "answer": a})

    def metrics(self):
        status, body = http(self.port, "/metrics")
        return body.decode() if isinstance(body, bytes) else str(body)

    def metric(self, name):
        m = re.search(rf"^{name} (\S+)$", self.metrics(), re.M)
        return float(m.group(1)) if m else None

    def events(self):
        """Some of every kind: enrollment, challenges, an accepted login, wrong answers up to a lock,
        an unknown user (a decoy)."""
        self.enrol("alice")
        self.enrol("bob")
        self.login("alice")
        for _ in range(6):
            self.login("bob", right=False)
        self.login("nobody", right=False)


def same(server, kind, what):
    """The collector got the database's lines, in order, each once, as RFC 5424 messages."""
    db = server.audit()
    got = wait_for(what, lambda: len(received(kind)) >= len(db) and received(kind), 40) or received(kind)
    msgs = [r[6] if len(r) == 7 else None for r in got]
    check(f"{kind}: {what}: the collector got the {len(db)} lines of the database, in order, each once",
          msgs == db, "\n".join(difference(db, msgs)))
    pid = str(server.proc.pid)
    bad = []
    for r in got:
        if len(r) != 7:
            bad.append(r)
            continue
        pri, host, app, procid, msgid, sd, msg = r
        event = json.loads(msg)["event"]
        sev = int(pri) % 8
        want = {"tampered": 1}.get(event)
        if int(pri) // 8 != 10 or app != "matrixauth" or msgid != event or not sd.startswith("[meta sequenceId=") \
                or (want is not None and sev != want) or host in ("", "-"):
            bad.append(r)
        if event == "verify" and json.loads(msg).get("outcome") == "accepted" and sev != 6:
            bad.append(r)
        if event == "verify" and json.loads(msg).get("outcome") == "rejected" and sev not in (4, 5):
            bad.append(r)
    check(f"{kind}: {what}: each is RFC 5424: authpriv, the event's severity, matrixauth, msgid = event",
          not bad, bad[:5])
    return got, pid


def difference(a, b):
    out = []
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x != y:
            out.append(f"line {i}: database {x!r}\n        collector {y!r}")
    return out[:10]


try:
    collector_start()

    # --- TCP: order, once; the collector down and back; a server restart ---------------------------
    tcp = Server("tcp-node", f"tcp://127.0.0.1:{TCP}")
    tcp.start()
    tcp.events()
    got, pid = same(tcp, "tcp", "collector up")
    check("tcp: PROCID is the sending server's pid (also on the admin commands' lines it sends)",
          all(r[3] == pid for r in got), [r[3] for r in got][:5])
    before = len(received("tcp"))
    collector_stop()
    ok = 0
    for i in range(3):
        status, v = tcp.login("alice")
        ok += status == 200 and v.get("outcome") == "accepted"
    check("tcp: with the collector down, logins succeed (3 of 3 accepted)", ok == 3)
    dropped = wait_for("drops", lambda: (tcp.metric("matrixauth_syslog_dropped_total") or 0) > 0, 30)
    check("tcp: /metrics counts the lines dropped while the collector is down",
          dropped, tcp.metrics())
    check("tcp: /metrics says the collector is down", tcp.metric("matrixauth_syslog_up") == 0)
    out = open(f"{TMP}/tcp-node.out").read()
    check("tcp: the server's log says lines are dropped and will be re-sent",
          "matrixauth syslog: cannot send to tcp://" in out, out[-2000:])
    check("tcp: nothing reached the stopped collector", len(received("tcp")) == before)
    collector_start()
    same(tcp, "tcp", "collector restarted")
    resent = wait_for("resent", lambda: (tcp.metric("matrixauth_syslog_resent_total") or 0) > 0, 10)
    check("tcp: /metrics counts the lines re-sent from the database", resent, tcp.metrics())
    check("tcp: /metrics backlog back to 0", wait_for("backlog", lambda: tcp.metric("matrixauth_syslog_backlog") == 0, 20))

    p = subprocess.run([PROMTOOL, "check", "metrics"], input=tcp.metrics(), capture_output=True, text=True)
    check("promtool check metrics passes on /metrics", p.returncode == 0, p.stdout + p.stderr)
    # The scrape configuration and alert rules docs/OPERATIONS.md shows, as written.
    yaml = re.findall(r"```yaml\n(.*?)```", open("docs/OPERATIONS.md", encoding="utf-8").read(), re.S)
    with open(f"{TMP}/prometheus.yml", "w") as f:
        f.write(yaml[0] + "rule_files: [matrixauth.rules.yml]\n")
    with open(f"{TMP}/matrixauth.rules.yml", "w") as f:
        f.write(yaml[1])
    p = subprocess.run([PROMTOOL, "check", "config", f"{TMP}/prometheus.yml"], capture_output=True, text=True)
    check("promtool check config passes on docs/OPERATIONS.md's scrape configuration and alert rules",
          p.returncode == 0 and "SUCCESS: 5 rules found" in p.stdout, p.stdout + p.stderr)
    m = tcp.metrics()
    check("/metrics: logins by door and outcome, latency histogram, build info",
          re.search(r'^matrixauth_logins_total\{door="http",outcome="accepted"\} [1-9]', m, re.M)
          and 'matrixauth_login_duration_seconds_bucket{door="http",le="+Inf"}' in m
          and re.search(r'^matrixauth_build_info\{version="[^"]+"\} 1$', m, re.M)
          and re.search(r'^matrixauth_locks_total\{door="http"\} [1-9]', m, re.M)
          and "decoy" not in m and "suspended" not in m, m)

    # The server stopped; an admin command writes lines meanwhile; started again, it sends them.
    tcp.stop()
    tcp.admin("users", "suspend", "bob")
    tcp.start()
    tcp.login("alice")
    same(tcp, "tcp", "server restarted (lines written while it was stopped)")

    # --- UDP -------------------------------------------------------------------------------------
    udp = Server("udp-node", f"udp://127.0.0.1:{UDP}")
    udp.start()
    udp.events()
    same(udp, "udp", "collector up")

    # --- TLS (rsyslog's gtls driver) ---------------------------------------------------------------
    tls = Server("tls-node", f"tls://127.0.0.1:{TLS}", ca=f"{TMP}/ca.pem")
    tls.start()
    tls.events()
    same(tls, "tls", "collector up")

    wrong = Server("wrong-ca", f"tls://127.0.0.1:{TLS}", ca=f"{TMP}/other.pem")
    n = len(received("tls"))
    wrong.start()
    wrong.events()
    refused = wait_for("refused", lambda: (wrong.metric("matrixauth_syslog_dropped_total") or 0) > 0, 30)
    status, v = wrong.login("alice")
    check("tls: a collector whose certificate the CA did not sign gets nothing; logins go on, drops counted",
          refused and len(received("tls")) == n and status == 200 and v.get("outcome") == "accepted",
          open(f"{TMP}/wrong-ca.out").read()[-2000:])
except Exception as e:  # noqa: BLE001 (any error is a failure of the run, with its message)
    check("the run completed", False, repr(e))
finally:
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
