"""The watcher analysis: exact counts, the analytic expectation, the simulator."""

import pytest

import matrixauth as mx
from matrixauth import analysis


def test_exact_count_with_real_observations():
    auth = mx.Authenticator(mx.Keyring(bytes(32)))
    cred = mx.PatternCredential(["B2", "G3", "D5", "A8", "H1", "E6"])
    state = mx.UserState()
    seen = []
    counts = []
    for k in range(3):
        ch = auth.issue_challenge("v", state, now=1_800_000_000 + k)
        typed = cred.respond(ch)
        assert auth.verify("v", cred, state, ch.token, typed, now=1_800_000_000 + k).accepted
        seen.append((ch, typed))
        counts.append(analysis.candidates(seen, 6))
    assert counts[0] > counts[1] >= counts[2] >= 1
    guess = analysis.sample_candidate(seen, 6)
    assert guess is not None and len(guess) == 6
    # The other observation forms give the same count.
    same = [(ch.render_text(), [int(d) for d in typed]) for ch, typed in seen]
    assert analysis.candidates(same, 6) == counts[2]


def test_analytic_model_against_the_simulator():
    # The analytic model (1 + 63/10^k)^L treats positions as independent and allows repeated
    # cells. With repeats allowed the simulated mean of exact counts is near it, but above it:
    # positions whose cells show the same digit share their candidates, which the model leaves
    # out, and the count's tail is heavy (one CI run saw +16.6 % over 1000 trials at k = 1), so
    # the bound is 25 %. With repeats forbidden (the default policy) the exact count is lower,
    # so the model errs on the safe side.
    with_repeats = analysis.simulate(6, [1, 3], 1000, mx.Policy(allow_repeated_cells=True))
    for r in with_repeats:
        expected = analysis.expected_candidates(64, 6, r.observed)
        assert abs(r.mean_candidates - expected) / expected < 0.25, (r, expected)
    distinct = analysis.simulate(6, [1], 1000)[0]
    assert distinct.mean_candidates < analysis.expected_candidates(64, 6, 1)
    assert distinct.unique_fraction == 0.0 and distinct.takeover_fraction < 0.01


def test_three_observations_usually_give_the_pattern_away():
    r = analysis.simulate(length=6, observed=[3], trials=40)[0]
    assert r.unique_fraction > 0.4
    assert r.takeover_fraction >= r.unique_fraction


def test_bad_observations():
    with pytest.raises(mx.FormatError):
        analysis.candidates([], 6)
    with pytest.raises(mx.FormatError):
        analysis.candidates([([[1] * 8] * 8, "12a")], 3)
    with pytest.raises(TypeError):
        analysis.candidates([1, 2], 3)  # type: ignore[list-item]
    assert "| 4 | 1 |" in analysis.table(lengths=(4,), observed=(1,), trials=3)


def test_simulate_refuses_a_length_the_policy_cannot_enrol():
    # Before this check, a policy whose minimum exceeds the length looped forever.
    with pytest.raises(ValueError):
        analysis.simulate(length=4, observed=[1], trials=1, policy=mx.Policy())
    with pytest.raises(ValueError):
        analysis.simulate(length=8, observed=[1], trials=1, policy=mx.Policy(max_pattern_len=6))
