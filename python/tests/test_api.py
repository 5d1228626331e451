"""Every SPEC behaviour reachable from Python, with explicit ``now``."""

import pytest

import matrixauth as mx

T0 = 1_800_000_000
CELLS = ["B2", "G3", "D5", "A8", "H1", "E6"]


@pytest.fixture()
def auth():
    return mx.Authenticator(mx.Keyring(mx.Keyring.generate_key()))


@pytest.fixture()
def cred():
    return mx.PatternCredential(CELLS, fixed="pw", fixed_at=2)


def test_accept_refresh_duplicate_and_respond_forms(auth, cred):
    state = mx.UserState()
    ch = auth.issue_challenge("alice", state, now=T0)
    assert len(ch.matrix) == 8 and all(len(r) == 8 and all(0 <= d <= 9 for d in r) for r in ch.matrix)
    assert ch.expires_at == T0 + 180 and not ch.reissue and ch.event["event"] == "challenge_issued"
    again = auth.issue_challenge("alice", state, now=T0 + 30)
    assert again.reissue and again.token == ch.token and again.matrix == ch.matrix
    answer = cred.respond(ch)
    assert cred.respond(ch.matrix) == answer == cred.respond(ch.render_text())
    assert answer[2:4] == "pw" and len(answer) == 8
    v = auth.verify("alice", cred, state, ch.token, answer, now=T0 + 31)
    assert v.accepted and v.outcome is mx.Outcome.ACCEPTED and str(v.outcome) == "accepted"
    assert v.event["outcome"] == "accepted"
    assert auth.verify("alice", cred, state, ch.token, answer, now=T0 + 32).outcome == mx.Outcome.DUPLICATE
    # Within the retry window another answer is a counted failure; after it, stale.
    assert auth.verify("alice", cred, state, ch.token, "00pw000000", now=T0 + 33).outcome == mx.Outcome.REJECTED
    assert state.consecutive_failures == 1
    assert auth.verify("alice", cred, state, ch.token, answer, now=T0 + 61).outcome == mx.Outcome.STALE
    assert auth.policy.retry_window == 30 and mx.Policy(retry_window=0).retry_window == 0
    with pytest.raises(mx.PolicyError):
        mx.Policy(retry_window=181)


def test_answer_oracle_costs_failures_or_reveals_nothing(auth, cred):
    """Guesses at an answered token: counted inside the retry window, stale after it."""
    kr = auth.keyring
    state = mx.UserState()
    ch = auth.issue_challenge("alice", state, now=T0)  # an attacker can obtain this token too
    real = cred.respond(ch)
    assert auth.verify("alice", cred, state, ch.token, real, now=T0 + 5).accepted
    saved = state.to_bytes(kr, "alice")
    guesses = [f"{i % 100:02d}pw{(i * 7919) % 10000:04d}" for i in range(2000)]
    guesses = [g for g in guesses if g != real]
    guesses.insert(1000, real)
    late = mx.UserState.from_bytes(kr, "alice", saved)
    outcomes = {str(auth.verify("alice", cred, late, ch.token, g, now=T0 + 35).outcome) for g in guesses}
    outcomes |= {str(auth.verify_pending("alice", cred, late, g, now=T0 + 35).outcome) for g in guesses}
    assert outcomes == {"stale"} and late.to_bytes(kr, "alice") == saved
    counts: dict = {}
    for g in guesses:
        o = str(auth.verify("alice", cred, state, ch.token, g, now=T0 + 6).outcome)
        counts[o] = counts.get(o, 0) + 1
    assert counts == {"rejected": 5, "locked": len(guesses) - 5}
    assert state.failures_since_success == 5


def test_full_width_and_spaces_are_folded(auth, cred):
    state = mx.UserState()
    ch = auth.issue_challenge("alice", state, now=T0)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in cred.respond(ch))
    assert mx.fold(wide + "\u3000") == cred.respond(ch)
    assert auth.verify("alice", cred, state, ch.token, wide + "\u3000", now=T0 + 1).accepted


def test_expired_consumes_and_does_not_count(auth, cred):
    state = mx.UserState()
    ch = auth.issue_challenge("alice", state, now=T0)
    v = auth.verify("alice", cred, state, ch.token, cred.respond(ch), now=T0 + 180)
    assert v.outcome == mx.Outcome.EXPIRED and state.consecutive_failures == 0
    fresh = auth.issue_challenge("alice", state, now=T0 + 181)
    assert fresh.token != ch.token and not fresh.reissue


def test_lockout_timing_doubling_and_permanent(auth, cred):
    state = mx.UserState()
    now = T0
    lengths = []
    for lock in range(3):
        for _ in range(5):
            ch = auth.issue_challenge("alice", state, now=now)
            assert auth.verify("alice", cred, state, ch.token, "nope", now=now).outcome == mx.Outcome.REJECTED
        assert state.locked_until is not None
        lengths.append(state.locked_until - now)
        with pytest.raises(mx.LockedError) as e:
            auth.issue_challenge("alice", state, now=now + 1)
        assert e.value.locked_until == state.locked_until and e.value.code == "locked"
        assert state.is_locked(now=state.locked_until - 1) and not state.is_locked(now=state.locked_until)
        now = state.locked_until
    assert lengths == [900, 1800, 3600]
    assert state.failures_since_success == 15
    # A right answer while locked is still "locked" (the answer is not examined).
    ch = auth.issue_challenge("alice", state, now=now)
    for _ in range(5):
        auth.verify("alice", cred, state, auth.issue_challenge("alice", state, now=now).token, "x", now=now)
    assert state.is_locked(now=now)
    before = state.to_bytes(auth.keyring, "alice")
    assert auth.verify("alice", cred, state, ch.token, cred.respond(ch), now=now).outcome == mx.Outcome.LOCKED
    assert state.to_bytes(auth.keyring, "alice") == before
    # Admin unlock clears everything.
    event = auth.unlock("alice", state, now=now)
    assert event["event"] == "unlock" and state.failures_since_success == 0 and not state.is_locked(now=now)


def test_permanent_lock_after_100(cred):
    policy = mx.Policy(max_consecutive_failures=1000, max_total_failures=100)
    auth = mx.Authenticator(mx.Keyring(bytes(32)), policy)
    state = mx.UserState()
    for i in range(100):
        ch = auth.issue_challenge("alice", state, now=T0 + i)
        auth.verify("alice", cred, state, ch.token, "0", now=T0 + i)
    assert state.permanently_locked
    with pytest.raises(mx.LockedError) as e:
        auth.issue_challenge("alice", state, now=T0 + 10**6)
    assert e.value.locked_until is None


def test_state_round_trip_and_corruption(auth):
    state = mx.UserState()
    auth.issue_challenge("alice", state, now=T0)
    kr = auth.keyring
    data = state.to_bytes(kr, "alice")
    assert isinstance(data, bytes)
    assert mx.UserState.from_bytes(kr, "alice", data).to_bytes(kr, "alice") == data
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01
        with pytest.raises(mx.FormatError):
            mx.UserState.from_bytes(kr, "alice", bytes(bad))
    with pytest.raises(mx.FormatError):
        mx.UserState.from_bytes(kr, "alice", data[:-1])
    # Another user's row, another keyring: refused (a database writer cannot clear a lock).
    with pytest.raises(mx.FormatError):
        mx.UserState.from_bytes(kr, "bob", data)
    with pytest.raises(mx.FormatError):
        mx.UserState.from_bytes(mx.Keyring(bytes(32)), "alice", data)
    with pytest.raises(mx.FormatError):
        mx.UserState.from_bytes(kr, "alice", mx.UserState().to_bytes(mx.Keyring(bytes(32)), "alice"))
    with pytest.raises(TypeError):
        mx.UserState.from_bytes(kr, "alice", "not bytes")  # type: ignore[arg-type]


def test_tokens_forged_other_user_and_garbage(auth, cred):
    state = mx.UserState()
    ch = auth.issue_challenge("alice", state, now=T0)
    before = state.to_bytes(auth.keyring, "alice")
    t = ch.token
    forged = t[:20] + ("B" if t[20] == "A" else "A") + t[21:]
    for token in [forged, "", "x" * (1 << 20), "\x00", "🙂", t + "A", t[:-1]]:
        assert auth.verify("alice", cred, state, token, cred.respond(ch), now=T0 + 1).outcome == mx.Outcome.INVALID
    assert auth.verify("bob", cred, state, t, cred.respond(ch), now=T0 + 1).outcome == mx.Outcome.INVALID
    assert state.to_bytes(auth.keyring, "alice") == before


def test_tickets(auth):
    key = mx.Keyring.generate_key()
    auth = mx.Authenticator(mx.Keyring(key))
    verifier = mx.TicketVerifier(mx.Keyring(key), capacity=2)
    t = auth.issue_ticket("alice", "vpn.example", now=T0)
    assert verifier.redeem(t, "vpn.example", now=T0 + 1) == "alice"
    reasons = []
    for ticket, aud, now in [
        (t, "vpn.example", T0 + 2),
        (auth.issue_ticket("alice", "vpn.example", now=T0), "other", T0 + 1),
        (auth.issue_ticket("alice", "vpn.example", now=T0), "vpn.example", T0 + 30),
        ("garbage", "vpn.example", T0),
    ]:
        with pytest.raises(mx.TicketError) as e:
            verifier.redeem(ticket, aud, now=now)
        reasons.append(e.value.reason)
    assert reasons == ["replayed", "wrong_audience", "expired", "malformed"]
    with pytest.raises(mx.TicketError) as e:
        mx.TicketVerifier(mx.Keyring(bytes(32))).redeem(auth.issue_ticket("a", "v", now=T0), "v", now=T0)
    assert e.value.reason == "forged"
    # A full replay cache refuses rather than accepting without protection.
    verifier.redeem(auth.issue_ticket("b", "vpn.example", now=T0), "vpn.example", now=T0 + 1)
    with pytest.raises(mx.TicketError) as e:
        verifier.redeem(auth.issue_ticket("c", "vpn.example", now=T0), "vpn.example", now=T0 + 1)
    assert e.value.reason == "cache_full"


def test_sealing_and_rotation(cred):
    k1, k2 = mx.Keyring.generate_key(), mx.Keyring.generate_key()
    kr = mx.Keyring(k1, key_id=1)
    blob = cred.seal(kr, "alice")
    assert isinstance(blob, bytes) and b"pw" not in blob
    assert mx.PatternCredential.open(kr, "alice", blob).respond([[1] * 8] * 8) == cred.respond([[1] * 8] * 8)
    with pytest.raises(mx.SealError):
        mx.PatternCredential.open(kr, "mallory", blob)
    with pytest.raises(mx.SealError):
        mx.PatternCredential.open(mx.Keyring(k2), "alice", blob)
    kr.rotate(k2, 2)
    assert kr.current_key_id == 2 and sorted(kr.key_ids) == [1, 2]
    mx.PatternCredential.open(kr, "alice", blob)
    kr.remove_key(1)
    with pytest.raises(mx.SealError):
        mx.PatternCredential.open(kr, "alice", blob)
    card = mx.GridCard.generate(serial="MX-PY-1")
    assert mx.GridCard.open(kr, "alice", card.seal(kr, "alice")).value("C3") == card.value("C3")


def test_enrollment_rules_and_strength(auth):
    auth.check_credential(mx.PatternCredential(CELLS))
    with pytest.raises(mx.WeakPatternError) as e:
        auth.check_credential(mx.PatternCredential(["A1", "B1", "C1", "D1", "E1", "F1"]))
    assert e.value.weakness == "straight_line" and isinstance(e.value, mx.PolicyError)
    with pytest.raises(mx.PolicyError) as p:
        auth.check_credential(mx.PatternCredential(["A1", "C5", "H2"]))
    assert p.value.violation == "too_short" and p.value.limit == 6
    s = auth.strength(mx.PatternCredential(CELLS))
    assert s.pattern_space == 64 * 63 * 62 * 61 * 60 * 59
    assert s.guess_probability == 1e-6 and s.observations_to_unique == 3
    with pytest.raises(mx.PolicyError):
        mx.Policy(min_pattern_len=2)


def test_cards(auth):
    card = mx.GridCard.generate(serial="MX-PY-2", cell_len=2)
    assert "MX-PY-2" in card.render_text() and card.render_svg().lstrip().startswith(("<svg", "<?xml"))
    state = mx.UserState()
    served = 0
    now = T0
    while True:
        try:
            cc = auth.issue_card_challenge("alice", card, state, now=now)
        except mx.CardExhaustedError:
            break
        assert len(cc.cells) == 3
        assert cc.remaining == 20 - served
        assert cc.cells == sorted(set(cc.cells), key=cc.cells.index)
        assert auth.verify_card("alice", card, state, cc.token, card.respond(cc).lower(), now=now).accepted
        served += 1
        now += 1
    assert served == 21 and state.card_cells_used("MX-PY-2") == 63
    expired = mx.GridCard.generate(expires_at=T0)
    with pytest.raises(mx.CardExpiredError):
        auth.issue_card_challenge("bob", expired, mx.UserState(), now=T0)


def test_bad_input_is_a_clear_error(auth, cred):
    state = mx.UserState()
    with pytest.raises(mx.FormatError):
        mx.Keyring(b"short")
    with pytest.raises(TypeError):
        mx.Keyring("a string")  # type: ignore[arg-type]
    with pytest.raises(mx.FormatError):
        mx.PatternCredential(["B2", "B0"])
    with pytest.raises(TypeError):
        mx.PatternCredential("B2G3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mx.PatternCredential([1.5, 2])  # type: ignore[list-item]
    with pytest.raises(mx.FormatError):
        mx.PatternCredential(CELLS, fixed="ｐｗ\x07")
    with pytest.raises(mx.FormatError):
        mx.PatternCredential(CELLS, fixed="pw", fixed_at=7)
    # Index 64 with 8 columns is A9: a real cell, outside the 8×8 policy grid.
    with pytest.raises(mx.PolicyError) as outside:
        auth.check_credential(mx.PatternCredential([64, 1, 10, 20, 30, 40], cols=8))
    assert outside.value.violation == "cell_outside_grid"
    with pytest.raises(mx.FormatError):
        mx.PatternCredential([0, 1], cols=27)
    with pytest.raises(mx.FormatError):
        auth.issue_challenge("", state, now=T0)
    with pytest.raises(mx.FormatError):
        auth.issue_challenge("alice", state, now=-1)
    with pytest.raises(mx.FormatError):
        auth.issue_challenge("alice", state, now=10**15)
    with pytest.raises((OverflowError, TypeError)):
        auth.issue_challenge("alice", state, now=10**30)
    with pytest.raises(TypeError):
        auth.issue_challenge("alice", state, now=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cred.respond(42)  # type: ignore[arg-type]
    with pytest.raises(mx.FormatError):
        cred.respond([[1, 2], [3]])
    with pytest.raises(mx.FormatError):
        mx.GridCard.generate(alphabet="emoji")
    ch = auth.issue_challenge("alice", state, now=T0)
    assert auth.verify("alice", cred, state, ch.token, "9" * 100_000, now=T0).outcome == mx.Outcome.REJECTED


def test_no_secrets_in_repr_or_errors():
    cred = mx.PatternCredential(CELLS, fixed="S3cretFix", fixed_at=2)
    assert "S3cretFix" not in repr(cred) and "B2" not in repr(cred)
    # One text for every credential: not even the length shows.
    other = mx.PatternCredential(["A1", "C2", "E5", "G7", "B8", "H3", "D4", "F6"], fixed="", fixed_at=0)
    assert repr(cred) == repr(other) == "PatternCredential(<redacted>)"
    kr = mx.Keyring(bytes(32))
    assert len(cred.seal(kr, "alice")) == len(other.seal(kr, "alice"))
    auth = mx.Authenticator(mx.Keyring(bytes(32)), mx.Policy(min_pattern_len=8))
    with pytest.raises(mx.PolicyError) as e:
        auth.check_credential(cred)
    text = str(e.value) + repr(e.value)
    assert "S3cretFix" not in text and "G3" not in text
    card = mx.GridCard.from_values("MX-1", "12" * 64)
    assert "12121212" not in repr(card)


def test_nt_proof_lengths_repr_and_nothing_pending(auth, cred):
    ac, pc, resp = bytes(range(16)), bytes(range(16, 32)), bytes(range(100, 124))
    for bad in (
        (ac[:15], pc, resp),
        (ac + b"x", pc, resp),
        (ac, b"", resp),
        (ac, pc, resp[:23]),
        (ac, pc, resp + b"x"),
    ):
        with pytest.raises(mx.FormatError) as e:
            mx.NtProof(*bad, b"alice")
        assert e.value.code == "format"
    with pytest.raises(TypeError):
        mx.NtProof(ac, pc, resp, "alice")  # the name is bytes, as the peer hashed it
    proof = mx.NtProof(ac, pc, resp, b"alice")
    assert (proof.authenticator_challenge, proof.peer_challenge, proof.nt_response, proof.user_name) == (
        ac,
        pc,
        resp,
        b"alice",
    )
    assert resp.hex() not in repr(proof) and "alice" in repr(proof)
    state = mx.UserState()
    v = auth.verify_pending_nt("alice", cred, state, proof, T0)
    assert v.outcome == mx.Outcome.STALE and not v.accepted and v.password_hash_hash is None
    assert repr(v) == "NtVerdict(outcome=stale)"
    # A wrong NT-Response to the pending challenge is a counted failure; a card check of it is invalid.
    auth.issue_challenge("alice", state, T0)
    card = mx.GridCard.generate("MX-NT")
    assert auth.verify_card_pending_nt("alice", card, state, proof, T0 + 1).outcome == mx.Outcome.INVALID
    v = auth.verify_pending_nt("alice", cred, state, proof, T0 + 1)
    assert v.outcome == mx.Outcome.REJECTED and v.password_hash_hash is None
    assert state.failures_since_success == 1
    with pytest.raises(mx.FormatError):
        auth.verify_pending_nt("", cred, state, proof, T0 + 2)
