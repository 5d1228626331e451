#!/usr/bin/env python3
"""Paired timing test (issue 21, item 6): does a challenge for an unknown name take longer than
one for an enrolled pattern user? Driven by scripts/timing-pair.sh, which starts the server; see
that script for how to run it.

Usage: timing_pair.py HTTP_PORT RADIUS_PORT SECRET KNOWN_USER [ROUNDS]

Each round asks, in a random order, one challenge for KNOWN_USER and one for an unknown name over
RADIUS (an Access-Request without State on a `flow = "challenge"` client), and the same over HTTP
(`POST /api/challenge`), timing each request from send to reply on the client. With
MATRIXAUTH_TIMING_RAW=FILE the samples (µs) are also written to FILE as JSON. A round's
difference is unknown minus known, per door. The first WARMUP rounds are left out (they issue
the challenges, prepare statements and warm the connections); afterwards both names get the
same pending challenge again (`challenge_reissued`), which is what the finding measured.

Printed per door: the mean and median of each name, and of the paired differences the mean,
standard deviation and z = mean / (sd / sqrt(n)); then Yuen's test on the same differences
with TRIM (20 %) trimmed at each end: the trimmed mean, its standard error from the winsorized
standard deviation, and t = trimmed mean / se. Request times on a shared machine have heavy
tails (a scheduler stall, a WAL checkpoint, a fsync can add milliseconds to one request in
twenty), which swamp the plain mean; the trimmed test is the decision. The exit status is 1
when the trimmed |z| of either door is 3 or more, else 0.
"""
import gc
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import socket
import statistics
import sys
import time

WARMUP = 30
TRIM = 0.2
LIMIT = 3.0


def access_request(secret, ident, user):
    """An Access-Request with User-Name and Message-Authenticator (RFC 3579 §3.2)."""
    auth = os.urandom(16)
    name = user.encode()
    attrs = bytes([80, 18]) + bytes(16) + bytes([1, len(name) + 2]) + name
    pkt = bytes([1, ident]) + (20 + len(attrs)).to_bytes(2, "big") + auth + attrs
    mac = hmac.new(secret, pkt, hashlib.md5).digest()
    return pkt[:22] + mac + pkt[38:]


class Radius:
    def __init__(self, port, secret):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(("127.0.0.1", int(port)))
        self.sock.settimeout(5)
        self.secret = secret.encode()
        self.ident = 0

    def challenge(self, user):
        """Seconds from sending to the reply, and the reply's code."""
        self.ident = (self.ident + 1) % 256
        dgram = access_request(self.secret, self.ident, user)
        t0 = time.perf_counter_ns()
        self.sock.send(dgram)
        reply = self.sock.recv(4096)
        t1 = time.perf_counter_ns()
        return (t1 - t0) / 1e3, reply[0]


class Http:
    def __init__(self, port):
        self.port = int(port)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        self.headers = {"content-type": "application/json", "origin": f"http://127.0.0.1:{self.port}"}

    def challenge(self, user):
        """Microseconds from sending to the whole reply (one kept-alive connection), and the body."""
        body = json.dumps({"user": user})
        t0 = time.perf_counter_ns()
        self.conn.request("POST", "/api/challenge", body, self.headers)
        r = self.conn.getresponse()
        data = r.read()
        t1 = time.perf_counter_ns()
        return (t1 - t0) / 1e3, (r.status, data)


def trimmed(d, g):
    """Yuen's trimmed mean of d, its standard error (from the winsorized variance) and t."""
    n = len(d)
    k = int(g * n)
    s = sorted(d)
    kept = s[k:n - k]
    tmean = statistics.fmean(kept)
    lo, hi = s[k], s[n - k - 1]
    w = [min(max(x, lo), hi) for x in d]
    sw = statistics.stdev(w)
    se = sw / ((1 - 2 * k / n) * math.sqrt(n))
    return tmean, se, (tmean / se if se > 0 else 0.0)


def report(door, known, unknown):
    d = [u - k for k, u in zip(known, unknown)]
    n = len(d)
    mean, sd = statistics.fmean(d), statistics.stdev(d)
    z = mean / (sd / math.sqrt(n)) if sd > 0 else 0.0
    tmean, tse, tz = trimmed(d, TRIM)
    print(f"{door:6} n={n}  known: mean {statistics.fmean(known):8.1f} µs, median {statistics.median(known):8.1f}"
          f"  unknown: mean {statistics.fmean(unknown):8.1f} µs, median {statistics.median(unknown):8.1f}")
    print(f"{door:6} unknown - known: mean {mean:+7.1f} µs, sd {sd:7.1f}, z {z:+6.2f};"
          f"  trimmed {TRIM:.0%} each end: mean {tmean:+7.1f} µs, se {tse:5.1f}, z {tz:+6.2f}")
    return {"door": door, "n": n, "mean_us": round(mean, 2), "sd_us": round(sd, 2), "z": round(z, 2),
            "trimmed_mean_us": round(tmean, 2), "trimmed_z": round(tz, 2),
            "known_median_us": round(statistics.median(known), 1),
            "unknown_median_us": round(statistics.median(unknown), 1)}


def main():
    http_port, radius_port, secret, known = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    rnd = random.Random()
    radius, web = Radius(radius_port, secret), Http(http_port)

    # An unknown name whose decoy shows a grid, like the known pattern user (about 1 name in 32
    # gets a card-kind decoy, whose work is another kind's).
    for _ in range(100):
        unknown = "nobody-" + os.urandom(4).hex()
        _, (status, body) = web.challenge(unknown)
        if status == 200 and json.loads(body)["kind"] == "grid":
            break
    else:
        raise SystemExit("no grid-kind unknown name in 100 tries")
    _, (status, body) = web.challenge(known)
    if status != 200 or json.loads(body)["kind"] != "grid":
        raise SystemExit(f"{known} is not a pattern user: {status} {body[:200]!r}")

    times = {(door, who): [] for door in ("radius", "http") for who in ("known", "unknown")}
    names = {"known": known, "unknown": unknown}
    gc.disable()
    for i in range(WARMUP + rounds):
        tasks = [(door, who) for door in ("radius", "http") for who in ("known", "unknown")]
        rnd.shuffle(tasks)
        for door, who in tasks:
            if door == "radius":
                us, code = radius.challenge(names[who])
                if code != 11:
                    raise SystemExit(f"RADIUS: no Access-Challenge for {who} (code {code})")
            else:
                us, (status, _) = web.challenge(names[who])
                if status != 200:
                    raise SystemExit(f"HTTP: {status} for {who}")
            if i >= WARMUP:
                times[(door, who)].append(us)
    gc.enable()

    if os.environ.get("MATRIXAUTH_TIMING_RAW"):
        with open(os.environ["MATRIXAUTH_TIMING_RAW"], "w") as f:
            json.dump({f"{door} {who}": t for (door, who), t in times.items()}, f)
    print(f"known user {known!r}, unknown name {unknown!r}, {rounds} rounds after {WARMUP} warm-up rounds")
    results = [report(door, times[(door, "known")], times[(door, "unknown")]) for door in ("radius", "http")]
    print(json.dumps({"rounds": rounds, "results": results}))
    worst = max(abs(r["trimmed_z"]) for r in results)
    if worst >= LIMIT:
        print(f"FAIL: |z| = {worst:.2f} >= {LIMIT}: an unknown name's challenge is told apart by its timing")
        return 1
    print(f"ok: |z| < {LIMIT} at both doors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
