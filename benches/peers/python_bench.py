"""Python peer benchmark (scripts/bench.sh): pyotp's TOTP verify against matrixauth's verify.
Prints one JSON line per measurement: {"name": ..., "ns_per_op": ...}."""

import json
import timeit

import pyotp

import matrixauth as mx

T = 1_800_000_000


def measure(name, fn):
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    best = min(timer.repeat(repeat=5, number=n)) / n
    print(json.dumps({"name": name, "ns_per_op": best * 1e9}))


totp = pyotp.TOTP("JBSWY3DPEHPK3PXP")
code = totp.at(T)
measure("python_pyotp_totp_verify", lambda: totp.verify(code, for_time=T, valid_window=1))

kr = mx.Keyring(bytes([7] * 32))
auth = mx.Authenticator(kr)
cred = mx.PatternCredential(["B2", "G3", "D5", "A8", "H1", "E6"], fixed="pw", fixed_at=2)
state = mx.UserState()
ch = auth.issue_challenge("alice", state, now=T)
right = cred.respond(ch)
pending = state.to_bytes(kr, "alice")


def verify():
    s = mx.UserState.from_bytes(kr, "alice", pending)  # a server loads the user's state for every check
    assert auth.verify("alice", cred, s, ch.token, right, now=T + 1).accepted


measure("python_matrixauth_verify_right", verify)
