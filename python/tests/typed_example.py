"""A typed test-automation script: checked with ``mypy --strict`` against the shipped stubs."""

from __future__ import annotations

from typing import List, Optional

import matrixauth as mx


def login(page_text: str, cred: mx.PatternCredential) -> str:
    rows: List[List[int]] = mx.parse_matrix_text(page_text)
    return cred.respond(rows)


def main() -> int:
    kr = mx.Keyring(mx.Keyring.generate_key(), key_id=1)
    auth = mx.Authenticator(kr, mx.Policy(min_pattern_len=6))
    cred = mx.PatternCredential(["B2", "G3", "D5", "A8", "H1", "E6"], fixed="pw", fixed_at=2)
    state = mx.UserState()
    ch: mx.Challenge = auth.issue_challenge("alice", state)
    verdict: mx.Verdict = auth.verify("alice", cred, state, ch.token, login(ch.render_text(), cred))
    outcome: mx.Outcome = verdict.outcome
    until: Optional[int] = state.locked_until
    n: int = mx.analysis.candidates([(ch, login(ch.render_text(), cred).replace("pw", ""))], 6)
    try:
        mx.TicketVerifier(kr).redeem("x", "vpn")
    except mx.TicketError as e:
        reason: str = e.reason
        print(reason)
    proof = mx.NtProof(bytes(16), bytes(16), bytes(24), b"alice")
    nt: mx.NtVerdict = auth.verify_pending_nt("alice", cred, state, proof)
    hash_hash: Optional[bytes] = nt.password_hash_hash
    assert nt.outcome == mx.Outcome.STALE and hash_hash is None
    print(outcome, until, n, auth.strength(cred).candidates_after[0])
    return 0 if verdict.accepted else 1


if __name__ == "__main__":
    raise SystemExit(main())
