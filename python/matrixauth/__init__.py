"""Matrix authentication (マトリクス認証) for Python.

The server shows an 8×8 grid of random digits; the user types a memorised fixed string plus the
digits under a memorised pattern of cells. This package is a thin binding of the Rust core:
every rule (tokens, lockout, constant-time comparison, sealing) runs in Rust, the same code the
C library and the npm package use.

    import matrixauth as mx
    auth = mx.Authenticator(mx.Keyring(mx.Keyring.generate_key()))
    cred = mx.PatternCredential(["B2", "G3", "D5", "A8", "H1", "E6"], fixed="pw", fixed_at=2)
    state = mx.UserState()
    ch = auth.issue_challenge("alice", state)
    assert auth.verify("alice", cred, state, ch.token, cred.respond(ch)).accepted

Every ``now`` argument is optional Unix seconds and defaults to the clock. ``UserState``
objects are updated in place; persist ``state.to_bytes(keyring, user)``.
"""

from . import analysis
from ._native import (
    Authenticator,
    CardChallenge,
    CardExhaustedError,
    CardExpiredError,
    Challenge,
    Error,
    FormatError,
    GridCard,
    Keyring,
    LockedError,
    NtProof,
    NtVerdict,
    Outcome,
    PatternCredential,
    Policy,
    PolicyError,
    SealError,
    Strength,
    TicketError,
    TicketVerifier,
    UserState,
    Verdict,
    WeakPatternError,
    __version__,
    fold,
    parse_matrix_text,
    strength_for_length,
)

__all__ = [
    "Authenticator",
    "CardChallenge",
    "CardExhaustedError",
    "CardExpiredError",
    "Challenge",
    "Error",
    "FormatError",
    "GridCard",
    "Keyring",
    "LockedError",
    "NtProof",
    "NtVerdict",
    "Outcome",
    "PatternCredential",
    "Policy",
    "PolicyError",
    "SealError",
    "Strength",
    "TicketError",
    "TicketVerifier",
    "UserState",
    "Verdict",
    "WeakPatternError",
    "__version__",
    "analysis",
    "fold",
    "parse_matrix_text",
    "strength_for_length",
]
