"""Complete SAML logins per second against a running `matrixauth serve` (scripts/federation-bench.sh):
each thread logs its own user in again and again — an SP's AuthnRequest over the Redirect binding,
the grid (/api/challenge), the answer (/api/verify with fed), and /fed/continue, which returns the
signed Response — over one keep-alive connection, for SECONDS. Prints one JSON line.

usage: federation_load.py PORT SP_ENTITY THREADS SECONDS"""
import base64
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxtest  # noqa: E402

PORT, SP, THREADS, SECONDS = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ORIGIN = f"http://127.0.0.1:{PORT}"
done, failed, lock = [], [], threading.Lock()


def authn_request(n):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
           f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-{n}-{os.urandom(8).hex()}" Version="2.0" '
           f'IssueInstant="{now}"><saml:Issuer>{SP}</saml:Issuer></samlp:AuthnRequest>')
    raw = zlib.compress(xml.encode())[2:-4]  # raw DEFLATE
    return urllib.parse.quote(base64.b64encode(raw).decode(), safe="")


def worker(index, deadline):
    user = f"load{index}"
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    api = {"content-type": "application/json", "origin": ORIGIN}
    n = 0
    while time.monotonic() < deadline:
        n += 1
        started = time.perf_counter()
        try:
            conn.request("GET", f"/saml/sso?SAMLRequest={authn_request(n)}")
            r = conn.getresponse()
            r.read()
            fed = r.getheader("location").split("=", 1)[1]
            conn.request("POST", "/api/challenge", json.dumps({"user": user}), api)
            ch = json.loads(conn.getresponse().read())
            body = {"user": user, "token": ch["token"], "answer": mxtest.answer(ch["matrix"]), "fed": fed}
            conn.request("POST", "/api/verify", json.dumps(body), api)
            r = conn.getresponse()
            v = json.loads(r.read())
            cookie = r.getheader("set-cookie").split(";")[0]
            conn.request("GET", v["redirect"], headers={"cookie": cookie})
            r = conn.getresponse()
            page = r.read()
            ok = r.status == 200 and b'name="SAMLResponse"' in page
        except Exception:  # noqa: BLE001 - counted as a failure
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        with lock:
            (done if ok else failed).append(time.perf_counter() - started)


deadline = time.monotonic() + SECONDS
threads = [threading.Thread(target=worker, args=(i, deadline)) for i in range(THREADS)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
lat = sorted(done)
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0  # noqa: E731
print(json.dumps({"name": "saml_logins", "threads": THREADS, "seconds": round(elapsed, 1), "logins": len(done),
                  "failed": len(failed), "per_second": round(len(done) / elapsed, 1),
                  "p50_ms": round(pct(0.5), 1), "p99_ms": round(pct(0.99), 1)}))
