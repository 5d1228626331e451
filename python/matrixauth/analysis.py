"""How many observed logins until a shoulder-surfer knows the pattern?

Three answers, from the Rust core:

* :func:`expected_candidates` — the analytic expectation over random matrices;
* :func:`candidates` — the exact count for real observations;
* :func:`simulate` — a Monte-Carlo watcher that observes real logins and then tries its best
  guesses against the real verifier, lockout included.

An *observation* is a ``(matrix, digits)`` pair: the matrix shown (a :class:`Challenge`, rows
of digits, or the matrix text) and the pattern digits typed, with the fixed string removed (one
observed login reveals it anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from . import _native
from ._native import Authenticator, Challenge, Keyring, PatternCredential, Policy, UserState

Matrix = Union[Challenge, Sequence[Sequence[int]], str]
Observation = Tuple[Matrix, Union[str, Sequence[int]]]

__all__ = [
    "Observation",
    "SimulationResult",
    "candidates",
    "expected_candidates",
    "observations_to_unique",
    "sample_candidate",
    "simulate",
    "table",
]


def expected_candidates(cells: int = 64, length: int = 6, observed: int = 1) -> float:
    """Expected number of patterns (the true one included) consistent with ``observed``
    logins, for a grid of ``cells`` cells and patterns of ``length`` distinct cells."""
    return _native.expected_candidates(cells, length, observed)


def observations_to_unique(cells: int = 64, length: int = 6) -> int:
    """Observed logins after which fewer than half a wrong pattern is expected to remain."""
    return _native.observations_to_unique(cells, length)


def candidates(observations: Iterable[Observation], length: int, allow_repeats: bool = False) -> int:
    """Exact number of patterns of ``length`` cells consistent with every observation."""
    return _native.consistent_count(list(observations), length, allow_repeats)


def sample_candidate(
    observations: Iterable[Observation], length: int, allow_repeats: bool = False
) -> Optional[List[str]]:
    """One consistent pattern drawn uniformly at random (the watcher's best guess), as cell
    names, or ``None`` if no pattern fits."""
    return _native.sample_consistent(list(observations), length, allow_repeats)


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` measured for one number of observed logins."""

    observed: int
    trials: int
    mean_candidates: float
    unique_fraction: float
    takeover_fraction: float
    guesses_per_trial: int


def simulate(
    length: int = 6,
    observed: Sequence[int] = (1, 2, 3),
    trials: int = 200,
    policy: Optional[Policy] = None,
    start: int = 1_800_000_000,
) -> List[SimulationResult]:
    """Plays a watcher against the real verifier.

    For each trial a random credential is enrolled (the core's decoy generator, which follows
    the policy), the victim logs in ``k`` times while the watcher records each matrix and the
    digits typed, and then the watcher logs in as the victim: it draws uniformly from the
    patterns still consistent and tries them on fresh challenges until one is accepted or the
    next failure would lock the account (``max_consecutive_failures - 1`` guesses). Reports
    the mean exact candidate count, how often a single candidate remained, and how often the
    watcher got in.
    """
    policy = policy or Policy(min_pattern_len=min(6, length), max_pattern_len=max(length, 6))
    if not policy.min_pattern_len <= length <= policy.max_pattern_len:
        raise ValueError(
            f"length {length} is outside the policy's {policy.min_pattern_len}..{policy.max_pattern_len} cells"
        )
    auth = Authenticator(Keyring(Keyring.generate_key()), policy)
    guesses = max(1, policy.max_consecutive_failures - 1)
    results: List[SimulationResult] = []
    for k in observed:
        total = 0.0
        unique = 0
        taken = 0
        for t in range(trials):
            victim = _random_credential(auth, length)
            state = UserState()
            now = start + t * 10_000
            seen: List[Observation] = []
            for _ in range(k):
                ch = auth.issue_challenge("victim", state, now)
                typed = victim.respond(ch)
                assert auth.verify("victim", victim, state, ch.token, typed, now).accepted
                seen.append((ch, typed))  # the victim has no fixed string
                now += 1
            n = candidates(seen, length, policy.allow_repeated_cells)
            total += n
            unique += n == 1
            for _ in range(guesses):
                guess = sample_candidate(seen, length, policy.allow_repeated_cells)
                if guess is None:
                    break
                stolen = PatternCredential(guess)
                ch = auth.issue_challenge("victim", state, now)
                verdict = auth.verify("victim", victim, state, ch.token, stolen.respond(ch), now)
                now += 1
                if verdict.accepted:
                    taken += 1
                    break
        results.append(SimulationResult(k, trials, total / trials, unique / trials, taken / trials, guesses))
    return results


def _random_credential(auth: Authenticator, length: int) -> PatternCredential:
    # Distinct cells drawn uniformly; the first draw that passes the policy (weak patterns are
    # refused, as at enrollment).
    import secrets

    cells = auth.policy.rows * auth.policy.cols
    for _ in range(10_000):
        picks = secrets.SystemRandom().sample(range(cells), length)
        cred = PatternCredential(picks, cols=auth.policy.cols)
        try:
            auth.check_credential(cred)
            return cred
        except _native.PolicyError:
            continue
    raise ValueError(f"no random {length}-cell pattern passed the policy in 10,000 draws")


def table(lengths: Sequence[int] = (4, 6, 8), observed: Sequence[int] = (1, 2, 3), trials: int = 200) -> str:
    """The package README's table: expected and simulated candidates and takeover rates on an
    8×8 grid. ``python -m matrixauth [trials]`` prints it."""
    lines = [
        "| L | observed logins | expected candidates | mean exact candidates (simulated) | single candidate left | watcher gets in (4 guesses) |",
        "|---|---|---|---|---|---|",
    ]
    for length in lengths:
        policy = Policy(min_pattern_len=min(4, length), max_pattern_len=max(length, 4))
        for r in simulate(length, observed, trials, policy):
            lines.append(
                f"| {length} | {r.observed} | {expected_candidates(64, length, r.observed):.4g} | "
                f"{r.mean_candidates:.4g} | {r.unique_fraction:.0%} | {r.takeover_fraction:.0%} |"
            )
    return "\n".join(lines)
