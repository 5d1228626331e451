"""Property tests: respond→verify accepts; any one-character change is rejected."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

import matrixauth as mx

AUTH = mx.Authenticator(mx.Keyring(bytes(range(32))), mx.Policy(min_pattern_len=4, reject_weak_patterns=False))
FIXED = st.text(alphabet=string.ascii_letters + string.digits + "!#$%&*+-./:;=?@_", max_size=8).filter(
    lambda s: "-" not in s
)


@st.composite
def credentials(draw):
    cells = draw(st.lists(st.integers(0, 63), min_size=4, max_size=16, unique=True))
    fixed = draw(FIXED)
    at = draw(st.integers(0, len(cells)))
    return mx.PatternCredential(cells, fixed=fixed, fixed_at=at)


@settings(max_examples=150, deadline=None)
@given(credentials(), st.integers(0, 10**9))
def test_respond_then_verify_accepts(cred, t):
    state = mx.UserState()
    now = 1_700_000_000 + t
    ch = AUTH.issue_challenge("u", state, now=now)
    assert AUTH.verify("u", cred, state, ch.token, cred.respond(ch), now=now).accepted


@settings(max_examples=150, deadline=None)
@given(credentials(), st.data())
def test_any_one_character_change_rejects(cred, data):
    state = mx.UserState()
    ch = AUTH.issue_challenge("u", state, now=1_800_000_000)
    right = cred.respond(ch)
    i = data.draw(st.integers(0, len(right) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits).filter(lambda c: c.lower() != right[i].lower() and c != right[i]))
    wrong = right[:i] + replacement + right[i + 1 :]
    assert AUTH.verify("u", cred, state, ch.token, wrong, now=1_800_000_001).outcome == mx.Outcome.REJECTED
