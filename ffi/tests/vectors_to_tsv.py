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
  card     index serial_hex rows cols cell_len alphabet expires_at values_hex text_hex
           (nt.json's cards have index ntN and text "-"; its credentials are cred rows named nt:NAME)
  ntpolicy name min_pattern_len retry_window card_challenge_cells (0: the default)
  nt       mode keyring policy user_hex cred_or_card state_before authenticator_challenge peer_challenge
           user_name nt_response now outcome password_hash_hash(or -) state_after
  ntbad    name keyring policy user_hex cred state_before authenticator_challenge peer_challenge user_name
           nt_response (a proof field of the wrong length: refused, state unchanged)
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
nt = load("nt.json")
for name, c in nt["credentials"].items():
    out.append(["cred", "nt:" + name, h(c["fixed"]), str(c["fixed_at"])] + c["cells"])
for i, c in enumerate(nt["cards"]):
    out.append(["card", f"nt{i}", h(c["serial"]), str(c["rows"]), str(c["cols"]), str(c["cell_len"]), c["alphabet"],
                str(c["expires_at"] or 0), h(c["values"]), "-"])
for name, p in nt["policies"].items():
    out.append(["ntpolicy", name] + [str(p.get(f, 0)) for f in ("min_pattern_len", "retry_window", "card_challenge_cells")])
proof = lambda p: [p["authenticator_challenge"] or "-", p["peer_challenge"] or "-", p["user_name"] or "-",
                   p["nt_response"] or "-"]
for c in nt["cases"]:
    who = "nt:" + c["credential"] if c["mode"] == "pattern" else f'nt{c["card"]}'
    out.append(["nt", c["mode"], c["keyring"], c["policy"], h(c["user"]), who, c["state_before"]] + proof(c["proof"])
               + [str(c["now"]), c["outcome"], c["password_hash_hash"] or "-", c["state_after"]])
first = next(c for c in nt["cases"] if c["mode"] == "pattern" and c["outcome"] == "accepted")
for m in nt["malformed"]:
    out.append(["ntbad", m["name"], first["keyring"], first["policy"], h(first["user"]), "nt:" + first["credential"],
                first["state_before"]] + proof(m["proof"]))
sys.stdout.write("".join("\t".join(r) + "\n" for r in out))
