"""EAP over RADIUS against a real peer (issue 25): Debian's eapol_test (wpa_supplicant's EAP
peer and RADIUS client) logs in to a running `matrixauth serve --radius` with EAP-MSCHAPv2 (the
grid fetched from the portal, the answer as the password) and EAP-GTC (the grid in the GTC
prompt, read off eapol_test's control interface, the answer typed back through it).

usage: eap_peers.py RADIUS_PORT HTTP_PORT SECRET WORKDIR   (MATRIXAUTH_BIN, MATRIXAUTH_DATA set)
Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mxtest import answer, card_values, http, rows_from_text  # noqa: E402

RADIUS, HTTP, SECRET, WORK = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name)
    if not ok and detail:
        print("     " + str(detail)[-3000:].replace("\n", "\n     "))


def admin(*args):
    return subprocess.run([os.environ["MATRIXAUTH_BIN"], *args, "--data", os.environ["MATRIXAUTH_DATA"]],
                          capture_output=True, text=True, timeout=60, check=True).stdout


def failures(user):
    return json.loads(admin("users", "show", user, "--json"))["failuresSinceSuccess"]


def conf(name, method, user, password=None, ctrl=None):
    path = os.path.join(WORK, name + ".conf")
    with open(path, "w") as f:
        if ctrl:
            f.write(f"ctrl_interface={ctrl}\n")
        f.write(f'network={{\n\tkey_mgmt=IEEE8021X\n\teap={method}\n\tidentity="{user}"\n')
        if password is not None:
            f.write(f'\tpassword="{password}"\n')
        f.write("}\n")
    return path


def eapol_test(path, keys=True, wait=None):
    """Runs eapol_test; returns (exit code, output). `wait` is called while it runs (the GTC
    monitor)."""
    cmd = ["eapol_test", "-c", path, "-a", "127.0.0.1", "-p", str(RADIUS), "-s", SECRET, "-t", "20"]
    if not keys:
        cmd.append("-n")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    if wait:
        wait()
    out, _ = p.communicate(timeout=60)
    return p.returncode, out


def codes(out):
    return re.findall(r"RADIUS message: code=\d+ \((Access-\w+)\)", out)


def hexdump(out, label):
    m = re.search(re.escape(label) + r" - hexdump\(len=\d+\):((?: [0-9a-f]{2})+)", out)
    return bytes.fromhex(m.group(1).replace(" ", "")) if m else None


def grid_answer(user):
    status, ch = http(HTTP, "/api/challenge", {"user": user})
    assert status == 200, (status, ch)
    return answer(ch["matrix"])


# --- EAP-MSCHAPv2: the grid on the portal, the answer as the password ------------------------------
right = grid_answer("alice")
path = conf("mschapv2-alice", "MSCHAPV2", "alice", right)
rc, out = eapol_test(path)
check("EAP-MSCHAPv2 with the right answer to the portal's grid: Access-Accept, eapol_test SUCCESS",
      rc == 0 and codes(out)[-1:] == ["Access-Accept"] and out.rstrip().endswith("SUCCESS"), out)
send, recv, pmk = (hexdump(out, "MS-MPPE-Send-Key (sign)"), hexdump(out, "MS-MPPE-Recv-Key (crypt)"),
                   hexdump(out, "PMK from EAPOL"))
check("the MSK eapol_test derives equals the MPPE keys' content (Recv-Key | Send-Key)",
      send is not None and recv is not None and pmk == recv + send and "MPPE keys OK: 1  mismatch: 0" in out,
      (send, recv, pmk))
check("MSCHAPv2: the Success request carried the authenticator response eapol_test checked",
      "EAP-MSCHAPV2: Authentication succeeded" in out and "Invalid authenticator response" not in out, out)
check("no failure counted for alice", failures("alice") == 0)

rc, out = eapol_test(path)
check("the same answer replayed in a new conversation: refused (Access-Reject)",
      rc != 0 and codes(out)[-1:] == ["Access-Reject"], out)

grid_answer("alice")
rc, out = eapol_test(conf("mschapv2-wrong", "MSCHAPV2", "alice", "00pw0000"))
check("a wrong answer: Failure (E=691), then Access-Reject with EAP-Failure",
      rc != 0 and codes(out)[-1:] == ["Access-Reject"] and "E=691" in out
      and "CTRL-EVENT-EAP-FAILURE" in out, out)
check("the wrong answer counted one failure", failures("alice") == 1, failures("alice"))

# carol locks herself out with five wrong answers; then she is refused, with the lock's message.
for _ in range(5):
    grid_answer("carol")
    eapol_test(conf("mschapv2-carol", "MSCHAPV2", "carol", "00pw0000"))
shown = json.loads(admin("users", "show", "carol", "--json"))
check("five wrong EAP-MSCHAPv2 answers lock the user", shown["lock"] is not None, shown)
rc, out = eapol_test(conf("mschapv2-carol", "MSCHAPV2", "carol", "00pw0000"))
check("a locked user is refused (Access-Reject, 'Locked' in the Reply-Message)",
      rc != 0 and codes(out)[-1:] == ["Access-Reject"] and "Locked" in out, out)

# A grid-card holder: the portal names the cells, the values typed from the printed card (as
# printed: the peer hashes what was typed) are the password.
values = card_values(admin("card", "frank"))
status, ch = http(HTTP, "/api/challenge", {"user": "frank"})
card_answer = "".join(values[c] for c in ch.get("cells", []))
rc, out = eapol_test(conf("mschapv2-frank", "MSCHAPV2", "frank", card_answer))
check("EAP-MSCHAPv2 for a grid-card holder: the cells' values from the printed card are accepted",
      status == 200 and ch.get("kind") == "card" and len(ch["cells"]) == 3 and rc == 0
      and codes(out)[-1:] == ["Access-Accept"] and "MPPE keys OK: 1  mismatch: 0" in out, (ch, out))

# An unknown id gets the same conversation: a Challenge, a Failure request, a reject.
rc, out = eapol_test(conf("mschapv2-nobody", "MSCHAPV2", "nobody", "00pw0000"))
check("an unknown id: Challenge, Failure request (E=691) and Access-Reject, as a wrong answer's",
      rc != 0 and codes(out)[-1:] == ["Access-Reject"] and "E=691" in out, out)


# --- EAP-GTC: the grid in the prompt ----------------------------------------------------------------
def gtc(user, respond):
    """eapol_test with EAP-GTC and no password: it asks its control interface for the OTP with the
    GTC prompt; this monitor reads the prompt and types `respond(prompt)`. Returns (rc, out, prompt)."""
    ctrl = os.path.join(WORK, "ctrl-" + user)
    seen = {}

    def monitor():
        sock_path = os.path.join(ctrl, "test")
        for _ in range(100):
            if os.path.exists(sock_path):
                break
            time.sleep(0.1)
        me = os.path.join(WORK, f"mon-{user}")
        if os.path.exists(me):
            os.unlink(me)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(me)
        s.connect(sock_path)
        s.settimeout(20)
        s.send(b"ATTACH")
        s.recv(64)
        try:
            while True:
                m = s.recv(16384).decode("utf-8", "replace")
                req = re.search(r"CTRL-REQ-OTP-(\d+):\[?(.*?)\]? needed for SSID", m, re.S)
                if req:
                    seen["prompt"] = req.group(2)
                    s.send(f"CTRL-RSP-OTP-{req.group(1)}:{respond(req.group(2))}".encode())
                if "CTRL-EVENT-EAP-SUCCESS" in m or "CTRL-EVENT-EAP-FAILURE" in m:
                    break
        except socket.timeout:
            pass
        finally:
            s.close()
            os.unlink(me)

    rc, out = eapol_test(conf("gtc-" + user, "GTC", user, ctrl=ctrl), keys=False, wait=monitor)
    return rc, out, seen.get("prompt", "")


def grid(prompt):
    return answer(rows_from_text(prompt))


rc, out, prompt = gtc("bob", grid)
rows = rows_from_text(prompt)
check("EAP-GTC: the prompt is the grid (the challenge flow's Reply-Message text, 8 rows of 8)",
      prompt.startswith("Matrix login / マトリクス認証\n") and len(rows) == 8 and all(len(r) == 8 for r in rows),
      prompt)
check("EAP-GTC: the answer typed to the prompt's grid is accepted (Nak from MSCHAPv2 to GTC first)",
      rc == 0 and codes(out)[-1:] == ["Access-Accept"] and "method=26" in out, out)
rc, out, _ = gtc("bob", lambda prompt: "00pw0000")
check("EAP-GTC: a wrong answer is refused and counted", rc != 0 and codes(out)[-1:] == ["Access-Reject"]
      and failures("bob") == 1, out)
rc, out, prompt = gtc("nobody", grid)
check("EAP-GTC: an unknown id gets a grid too (a decoy's), and is refused",
      len(rows_from_text(prompt)) == 8 and rc != 0 and codes(out)[-1:] == ["Access-Reject"], out)

rc, out, prompt = gtc("frank", lambda prompt: "".join(values[c] for c in prompt.rsplit("cells ", 1)[-1].split()))
check("EAP-GTC for a grid-card holder: the prompt names three cells, their values are accepted",
      prompt.startswith("Grid card ") and len(prompt.rsplit("cells ", 1)[-1].split()) == 3 and rc == 0
      and codes(out)[-1:] == ["Access-Accept"], (prompt, out))

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
