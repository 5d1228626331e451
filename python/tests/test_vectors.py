"""The core's golden vectors, read and checked from Python."""

import json
import math

import pytest

import matrixauth as mx


def keyring(v, name):
    spec = v("credentials.json")["keyrings"][name]
    current = next(k for k in spec["keys"] if k["id"] == spec["current"])
    kr = mx.Keyring(bytes.fromhex(current["key"]), current["id"])
    for k in spec["keys"]:
        if k["id"] != spec["current"]:
            kr.add_verification_key(bytes.fromhex(k["key"]), k["id"])
    return kr


def credential(v, name):
    c = v("credentials.json")["credentials"][name]
    return mx.PatternCredential(c["cells"], c["fixed"], c["fixed_at"])


def probe(rows=8, cols=8):
    return [[(r * 3 + c) % 10 for c in range(cols)] for r in range(rows)]


def test_cell_names(vectors):
    v = vectors("cells.json")
    for c in v["valid"]:
        if c["index_8x8"] is None:
            continue
        want = str((c["row"] * 3 + c["col"]) % 10)
        assert mx.PatternCredential([c["name"]]).respond(probe()) == want
        assert mx.PatternCredential([c["index_8x8"]], cols=8).respond(probe()) == want
    for name in v["invalid"]:
        with pytest.raises(mx.FormatError):
            mx.PatternCredential([name])


def test_folding(vectors):
    for c in vectors("fold.json"):
        assert mx.fold(c["input"]) == c["folded"]


def test_responses(vectors):
    for c in vectors("responses.json")["cases"]:
        rows = [[int(d) for d in c["matrix"][r * c["cols"] : (r + 1) * c["cols"]]] for r in range(c["rows"])]
        assert credential(vectors, c["credential"]).respond(rows) == c["response"]


def test_challenges_reissue_identically(vectors):
    for c in vectors("challenges.json")["cases"]:
        kr = keyring(vectors, c["keyring"])
        auth = mx.Authenticator(kr, mx.Policy(rows=c["rows"], cols=c["cols"]))
        state = mx.UserState.from_bytes(kr, c["user"], bytes.fromhex(c["state"]))
        ch = auth.issue_challenge(c["user"], state, c["now"])
        assert ch.reissue
        assert ch.token == c["token"]
        assert "".join(str(d) for row in ch.matrix for d in row) == c["matrix"]
        assert ch.render_text() == c["matrix_text"]
        assert mx.parse_matrix_text(c["matrix_text"]) == ch.matrix
        assert (ch.issued_at, ch.expires_at, ch.seq) == (c["issued_at"], c["expires_at"], c["seq"])
        assert state.to_bytes(kr, c["user"]).hex() == c["state"]


def test_verify_steps(vectors):
    v = vectors("verify.json")
    policy = mx.Policy(**v["policy"])
    pending = 0
    for c in v["cases"]:
        kr = keyring(vectors, c["keyring"])
        auth = mx.Authenticator(kr, policy)
        state = mx.UserState.from_bytes(kr, c["user"], bytes.fromhex(c["state_before"]))
        cred = credential(vectors, c["credential"])
        if c["token"] is None:  # answered without a token
            verdict = auth.verify_pending(c["user"], cred, state, c["response"], c["now"])
            pending += 1
        else:
            verdict = auth.verify(c["user"], cred, state, c["token"], c["response"], c["now"])
        assert str(verdict.outcome) == c["outcome"], c["name"]
        assert verdict.event == json.loads(c["event"]), c["name"]
        assert state.to_bytes(kr, c["user"]).hex() == c["state_after"], c["name"]
    assert pending >= 3


def test_state_bytes(vectors):
    v = vectors("state.json")
    kr, user = keyring(vectors, v["keyring"]), v["user"]
    for c in v["valid"]:
        s = mx.UserState.from_bytes(kr, user, bytes.fromhex(c["bytes"]))
        assert s.to_bytes(kr, user).hex() == c["bytes"]
        assert s.version == c["version"]
        assert s.consecutive_failures == c["consecutive_failures"]
        assert s.failures_since_success == c["failures_since_success"]
        assert s.lock_level == c["lock_level"]
        assert (s.locked_until or 0) == c["locked_until"]
        assert s.permanently_locked == c["permanently_locked"]
        assert s.pending_expires_at == c["pending_expires_at"]
    for c in v["invalid"]:
        with pytest.raises(mx.FormatError):
            mx.UserState.from_bytes(kr, c["user"], bytes.fromhex(c["bytes"]))
    r = v["rotated"]
    rotated = keyring(vectors, r["keyring"])
    s = mx.UserState.from_bytes(rotated, r["user"], bytes.fromhex(r["bytes"]))
    assert mx.UserState.from_bytes(kr, user, s.to_bytes(kr, user)).version == s.version


def test_sealed_records(vectors):
    v = vectors("sealed.json")
    for c in v["cases"]:
        kr = keyring(vectors, c["keyring"])
        sealed = bytes.fromhex(c["sealed"])
        opened = mx.PatternCredential.open(kr, c["user"], sealed)
        assert opened.respond(probe()) == credential(vectors, c["credential"]).respond(probe())
        with pytest.raises(mx.SealError):
            mx.PatternCredential.open(kr, v["wrong_user"], sealed)


def test_tickets(vectors):
    v = vectors("tickets.json")
    for seq in v["sequences"]:
        verifier = mx.TicketVerifier(keyring(vectors, v["keyring"]), seq["capacity"])
        for step in seq["steps"]:
            if "error" in step:
                with pytest.raises(mx.TicketError) as e:
                    verifier.redeem(step["ticket"], step["audience"], step["now"])
                assert e.value.reason == step["error"]
            else:
                assert verifier.redeem(step["ticket"], step["audience"], step["now"]) == step["user"]


def test_strength(vectors):
    for c in vectors("strength.json")["cases"]:
        s = mx.strength_for_length(mx.Policy(rows=c["rows"], cols=c["cols"], min_pattern_len=4), c["len"])
        assert s.pattern_space == c["pattern_space"]
        assert s.pattern_space_bits == c["pattern_space_bits"]
        assert s.guess_probability == c["guess_probability"]
        assert math.isclose(s.online_success_before_permanent_lock, c["online_success_before_permanent_lock"], rel_tol=1e-12)
        assert list(s.candidates_after) == c["candidates_after"]
        assert s.observations_to_unique == c["observations_to_unique"]


def test_cards(vectors):
    v = vectors("cards.json")
    cards = [
        mx.GridCard.from_values(c["serial"], c["values"], c["rows"], c["cols"], c["cell_len"], c["alphabet"], c["expires_at"])
        for c in v["cards"]
    ]
    kr = keyring(vectors, "k1")
    for card, spec in zip(cards, v["cards"]):
        assert card.render_text() == spec["text"]
        assert mx.GridCard.open(kr, "alice", bytes.fromhex(spec["sealed_k1_alice"])).render_text() == spec["text"]
    auth = mx.Authenticator(kr)
    for ch in v["challenges"]:
        state = mx.UserState.from_bytes(kr, ch["user"], bytes.fromhex(ch["state"]))
        got = auth.issue_card_challenge(ch["user"], cards[ch["card"]], state, ch["now"])
        assert got.reissue and got.token == ch["token"] and got.cells == ch["cells"]
        assert got.remaining == ch["remaining"] and got.expires_at == ch["expires_at"]
        assert cards[ch["card"]].respond(got) == ch["answer"]
    for c in v["verify"]:
        state = mx.UserState.from_bytes(kr, c["user"], bytes.fromhex(c["state_before"]))
        card = cards[c["card"]]
        if c["token"] is None:
            verdict = auth.verify_card_pending(c["user"], card, state, c["response"], c["now"])
        else:
            verdict = auth.verify_card(c["user"], card, state, c["token"], c["response"], c["now"])
        assert str(verdict.outcome) == c["outcome"], c["name"]
        assert verdict.event == json.loads(c["event"]), c["name"]
        assert state.to_bytes(kr, c["user"]).hex() == c["state_after"], c["name"]


def nt_proof(p):
    return mx.NtProof(
        bytes.fromhex(p["authenticator_challenge"]),
        bytes.fromhex(p["peer_challenge"]),
        bytes.fromhex(p["nt_response"]),
        bytes.fromhex(p["user_name"]),
    )


def test_nt(vectors):
    """verify_pending_nt and verify_card_pending_nt (MSCHAPv2) against nt.json."""
    v = vectors("nt.json")
    creds = {n: mx.PatternCredential(c["cells"], c["fixed"], c["fixed_at"]) for n, c in v["credentials"].items()}
    cards = [
        mx.GridCard.from_values(c["serial"], c["values"], c["rows"], c["cols"], c["cell_len"], c["alphabet"], c["expires_at"])
        for c in v["cards"]
    ]
    accepted = 0
    for c in v["cases"]:
        kr = keyring(vectors, c["keyring"])
        auth = mx.Authenticator(kr, mx.Policy(**v["policies"][c["policy"]]))
        state = mx.UserState.from_bytes(kr, c["user"], bytes.fromhex(c["state_before"]))
        proof = nt_proof(c["proof"])
        if c["mode"] == "pattern":
            verdict = auth.verify_pending_nt(c["user"], creds[c["credential"]], state, proof, c["now"])
        else:
            verdict = auth.verify_card_pending_nt(c["user"], cards[c["card"]], state, proof, c["now"])
        assert str(verdict.outcome) == c["outcome"], c["name"]
        assert verdict.accepted == (c["outcome"] == "accepted"), c["name"]
        want = c["password_hash_hash"]
        assert verdict.password_hash_hash == (bytes.fromhex(want) if want else None), c["name"]
        assert verdict.event == json.loads(c["event"]), c["name"]
        assert state.to_bytes(kr, c["user"]).hex() == c["state_after"], c["name"]
        if want:
            assert want not in repr(verdict)
            accepted += 1
    assert accepted >= 10
    # A proof field of the wrong length is a FormatError, before any state is touched.
    first = next(c for c in v["cases"] if c["outcome"] == "accepted" and c["mode"] == "pattern")
    for m in v["malformed"]:
        with pytest.raises(mx.FormatError):
            nt_proof(m["proof"])
    kr = keyring(vectors, first["keyring"])
    state = mx.UserState.from_bytes(kr, first["user"], bytes.fromhex(first["state_before"]))
    auth = mx.Authenticator(kr, mx.Policy(**v["policies"][first["policy"]]))
    with pytest.raises(TypeError):
        auth.verify_pending_nt(first["user"], creds[first["credential"]], state, first["proof"], first["now"])
    assert state.to_bytes(kr, first["user"]).hex() == first["state_before"]
