#!/usr/bin/env python3
"""Flattens core/tests/vectors/*.json into one tab-separated file the C tests read.

Every string field is hex-encoded UTF-8, so tabs, newlines and NULs in the vectors cannot break
a line. Record kinds (first column):
  key      name current_id (id hexkey)...
  cred     name fixed_hex fixed_at cell...
  verify   keyring user_hex cred state_before response_hex token now outcome state_after
           (token "-": answered without a token, verify_pending)
  reissue  keyring rows cols user_hex now state token matrix_digits
  state    keyring user_hex bytes_hex version consecutive since_success locked_until permanent
  badstate keyring user_hex bytes_hex
  sealed   keyring user_hex sealed_hex cred wrong_user_hex
  ticket   capacity_group_index keyring capacity ticket_hex audience_hex now expect(user_hex or -error)
"""
import json
import sys
from pathlib import Path

root = Path(sys.argv[1])
out = []
h = lambda s: s.encode().hex()
load = lambda n: json.loads((root / n).read_text())

creds = load("credentials.json")
for name, ring in creds["keyrings"].items():
    out.append(["key", name, str(ring["current"])] + [f'{k["id"]}:{k["key"]}' for k in ring["keys"]])
for name, c in creds["credentials"].items():
    out.append(["cred", name, h(c["fixed"]), str(c["fixed_at"])] + c["cells"])
for c in load("verify.json")["cases"]:
    out.append(["verify", c["keyring"], h(c["user"]), c["credential"], c["state_before"], h(c["response"]),
                c["token"] or "-", str(c["now"]), c["outcome"], c["state_after"]])
for c in load("challenges.json")["cases"]:
    out.append(["reissue", c["keyring"], str(c["rows"]), str(c["cols"]), h(c["user"]), str(c["now"]), c["state"],
                c["token"], c["matrix"]])
st = load("state.json")
for c in st["valid"]:
    out.append(["state", st["keyring"], h(st["user"]), c["bytes"], str(c["version"]), str(c["consecutive_failures"]),
                str(c["failures_since_success"]), str(c["locked_until"]), str(int(c["permanently_locked"]))])
r = st["rotated"]
out.append(["state", r["keyring"], h(r["user"]), r["bytes"], "-"])
for c in st["invalid"]:
    out.append(["badstate", st["keyring"], h(c["user"]), c["bytes"] or "-"])
sealed = load("sealed.json")
for c in sealed["cases"]:
    out.append(["sealed", c["keyring"], h(c["user"]), c["sealed"], c["credential"], h(sealed["wrong_user"])])
tickets = load("tickets.json")
for i, seq in enumerate(tickets["sequences"]):
    for s in seq["steps"]:
        expect = h(s["user"]) if "user" in s else "-" + s["error"]
        out.append(["ticket", str(i), tickets["keyring"], str(seq["capacity"]), h(s["ticket"]), h(s["audience"]),
                    str(s["now"]), expect])
cards = load("cards.json")
for i, c in enumerate(cards["cards"]):
    out.append(["card", str(i), h(c["serial"]), str(c["rows"]), str(c["cols"]), str(c["cell_len"]), c["alphabet"],
                str(c["expires_at"] or 0), h(c["values"]), h(c["text"])])
for c in cards["verify"]:
    out.append(["cardverify", str(c["card"]), c["keyring"], h(c["user"]), c["state_before"], h(c["response"]),
                c["token"] or "-", str(c["now"]), c["outcome"], c["state_after"]])
sys.stdout.write("".join("\t".join(r) + "\n" for r in out))
