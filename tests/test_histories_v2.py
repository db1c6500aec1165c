"""Histories with learning at summits, refused working-level rounds, their cost and shocks
(docs/model.md, "Summit versus working level"): hand-worked histories, the validation of the new
numbers, and the property that the comparison of strategies is a finding, not an assumption."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.parallel import Execution
from detente.scenario.loader import load_bytes
from detente.uncertainty.history import Draw, refusers, shock_period, simulate
from detente.uncertainty.simulate import run, worlds_for

# One move: A pays c a period for a1, worth 1 a period to A and to B; A knows c (owner), B reads
# it as c·exp(σε). The mediator proposes [[a1]] iff A complies under the average reading,
# (c + c·exp(σε))/2 ≤ 1; A signs iff its true c ≤ 1; B always signs. So for a history with c ≤ 1
# and ε > 0 a summit succeeds iff σ ≤ σ* = ln(2/c − 1)/ε: signing is monotone in σ.
MONO = b"""
[scenario]
id = "mono"
title = "Learning is all that matters"
[parameters]
c = { value = 0.8, owner = "a" }
[[parties]]
id = "a"
name = "A"
discount = 0.9
[[parties]]
id = "b"
name = "B"
discount = 0.9
[[moves]]
id = "a1"
owner = "a"
label = "a1"
cost = "c"
value = { a = 1, b = 1 }
[uncertainty]
misperception = 1.0
horizon = 6
c = { dist = "uniform", low = 0.5, high = 2.0 }
"""


def scenario(extra: str = "", **numbers: float) -> object:
    text = MONO
    numbers.setdefault("working_level_gain", 0.5)
    for key, value in numbers.items():
        text = text.replace(b"horizon = 6", f"horizon = 6\n{key} = {value}".encode())
    return load_bytes(text + extra.encode(), "mono.toml")


def history(sc, c: float, eps: float, rounds: int, chance: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    d = Draw({"c": c}, np.array([[0.0], [eps]]), chance)
    return simulate(sc, worlds_for(sc), d, rounds, {"c": "a"}, sc.solver.max_transitions)


def sigma_star(c: float, eps: float) -> float:
    return float(np.log(2 / c - 1) / eps)


def test_a_history_by_hand() -> None:
    """c = 0.8, ε = 1: σ* = ln 1.5 ≈ 0.405. With σ0 = 1 and ρ = 0.5 a summit succeeds once σ ≤
    0.405: working-2 signs at its first summit (σ = 0.25, period 2, the deal starts in period 3);
    summit-first never learns (summit_gain 1) and never signs."""
    sc = scenario()
    assert history(sc, 0.8, 1.0, 0).signed_at is None
    assert history(sc, 0.8, 1.0, 0).no_deal == "refused-offers"
    assert history(sc, 0.8, 1.0, 2).signed_at == 3
    # with summits teaching as much as rounds, summit-first signs at its third summit (σ = 0.25)
    assert history(scenario(summit_gain=0.5), 0.8, 1.0, 0).signed_at == 3
    # a true c above 1: no self-enforcing deal in the true world, whatever is learnt
    assert history(sc, 1.5, 1.0, 2).no_deal == "no-true-deal"


def test_refusals_shocks_and_costs_by_hand() -> None:
    sc = scenario(shock_hazard=0.5, working_level_cost=2.0, extra="[uncertainty.working_level_refusal]\nb = 0.5\n")
    chance = np.full((6, 3), 0.9)
    chance[0, 1] = 0.1  # B refuses the round of period 0
    assert refusers(chance, (0.0, 0.5), 0) == [1] and refusers(chance, (0.0, 0.5), 1) == []
    assert shock_period(chance, 0.5, 6) == 6
    o = history(sc, 0.8, 1.0, 2, chance)
    # period 0 refused (σ stays 1), period 1 held (σ 0.5): the summit at period 2 fails, then the
    # rounds of periods 3 and 4 (σ 0.125) and the summit of period 5 signs: the deal starts at 6
    assert o.working_refused == (0, 1) and o.working_held == 3 and o.signed_at == 6
    chance[3, 2] = 0.2  # a shock in period 3 ends the talks before the second summit
    o = history(sc, 0.8, 1.0, 2, chance)
    assert o.signed_at is None and o.no_deal == "shock"
    # the values: no deal is worth 0 to both; A and B each paid 2 for the round of period 1 (δ = 0.9)
    assert o.values == pytest.approx([-2 * 0.9, -2 * 0.9])


def test_defaults_keep_version_one() -> None:
    """Absent, the new numbers change nothing: the golden result of test_simulate still holds there;
    here, a zero hazard never shocks and an empty refusal table never refuses."""
    assert shock_period(np.zeros((4, 3)), 0.0, 4) == 4
    assert refusers(np.zeros((4, 3)), (), 0) == []


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        ("summit_gain = 1.5", "uncertainty.summit_gain", "must lie in (0, 1]"),
        ("summit_gain = 0.0", "uncertainty.summit_gain", "must lie in (0, 1]"),
        ("shock_hazard = 1.0", "uncertainty.shock_hazard", "must lie in [0, 1)"),
        ("shock_hazard = -0.1", "uncertainty.shock_hazard", "must lie in [0, 1)"),
        ("working_level_cost = -1.0", "uncertainty.working_level_cost", "must be ≥ 0"),
        ("working_level_cost = { c = 1.0 }", "uncertainty.working_level_cost.c", "unknown party"),
        ("working_level_refusal = { b = 1.5 }", "uncertainty.working_level_refusal.b", "must be [0, 1]"),
        ("working_level_refusal = { x = 0.5 }", "uncertainty.working_level_refusal.x", "unknown party"),
    ],
)
def test_bad_numbers_are_one_line(tmp_path, line: str, key: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    text = MONO.replace(b"horizon = 6", f"horizon = 6\n{line}".encode())
    with pytest.raises(ScenarioError) as err:
        load_bytes(text, "bad.toml")
    assert err.value.key == key and reason in err.value.reason
    if line.startswith("summit_gain = 1.5"):  # the command line: one line, exit 2, no traceback
        path = tmp_path / "bad.toml"
        path.write_bytes(text)
        done = subprocess.run(
            [sys.executable, "-m", "detente", "simulate", str(path), "--samples", "5", "--no-store"],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith(f"error: {path}: {key}")


@settings(max_examples=60, deadline=None)
@given(
    c=st.floats(0.5, 2.0),
    eps=st.floats(-3.0, 3.0),
    rho=st.floats(0.2, 0.95),
    rounds=st.integers(1, 3),
)
def test_when_summits_teach_as_much_summit_first_signs_no_later(c: float, eps: float, rho: float, rounds: int) -> None:
    """With summit_gain = ρ, no refusals and no cooldown, the misreading at period t is σ0·ρ^t
    under every strategy, and summit-first holds a summit in every period: it signs no later
    than any working-N (a property of any history, not of this scenario's numbers)."""
    sc = scenario(working_level_gain=rho, summit_gain=rho)
    first = history(sc, c, eps, 0).signed_at
    later = history(sc, c, eps, rounds).signed_at
    assert later is None or (first is not None and first <= later)


@settings(max_examples=60, deadline=None)
@given(c=st.floats(0.5, 1.0), eps=st.floats(0.05, 3.0), g1=st.floats(0.3, 1.0), g2=st.floats(0.3, 1.0))
def test_summit_first_signs_later_as_summits_teach_less(c: float, eps: float, g1: float, g2: float) -> None:
    """Monotone in summit_gain: where signing is monotone in σ (this scenario), a summit that
    teaches less never makes summit-first sign sooner; the slow oracle is σ* by hand."""
    lo, hi = sorted((g1, g2))
    a = history(scenario(summit_gain=lo), c, eps, 0).signed_at
    b = history(scenario(summit_gain=hi), c, eps, 0).signed_at
    assert b is None or (a is not None and a <= b)
    # the oracle: the first period t < 6 with σ0·g^t ≤ σ*, the deal starting at t + 1
    star = sigma_star(c, eps)
    expected = next((t + 1 for t in range(6) if lo**t <= star + 1e-12), None)
    if expected is not None and abs(lo ** (expected - 1) - star) > 1e-6:
        assert a == expected


def _advantage(summit_gain: float, rho: float, cost: float = 0.2) -> float:
    """B's expected value of the history under summit-first minus under working-1, on the same
    300 draws (B gains 1 a period from the deal, so the sooner it is signed the better for B)."""
    sc = scenario(working_level_gain=rho, summit_gain=summit_gain, working_level_cost=cost)
    r = run(sc, 300, seed=3, strategies=("summit-first", "working-1"), execution=Execution(1))
    sf, w1 = (s.expected_values["b"].estimate for s in r.strategies)
    assert sf is not None and w1 is not None
    return sf - w1


def test_the_comparison_is_a_finding() -> None:
    """Summits that teach as much as working-level rounds and cost less: summit-first wins;
    summits that teach nothing: it loses; and the advantage falls as summit_gain rises, so the
    crossover (the summit_gain at which working-1 starts to win) is where the numbers put it."""
    grid = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    adv = [_advantage(g, 0.5) for g in grid]
    assert adv[0] > 0 and adv[-1] < 0
    assert all(a >= b for a, b in zip(adv, adv[1:], strict=False))
    # the crossover moves with what working rounds teach: rounds that teach less (ρ = 0.7) let
    # summit-first keep its lead over a wider range of summit_gain
    cross = next(g for g, a in zip(grid, adv, strict=True) if a < 0)
    adv7 = [_advantage(g, 0.7) for g in grid]
    assert all(a >= b for a, b in zip(adv7, adv7[1:], strict=False))
    cross7 = next((g for g, a in zip(grid, adv7, strict=True) if a < 0), 1.1)
    assert cross7 >= cross


TYPED = b"""
[scenario]
id = "typed"
title = "A's cost is its type"
[parameters]
c = { value = 0.6, owner = "a" }
[[parties]]
id = "a"
name = "A"
discount = 0.9
[[parties]]
id = "b"
name = "B"
discount = 0.9
[[moves]]
id = "a1"
owner = "a"
label = "a1"
cost = "c"
value = { a = 1, b = 1 }
[[types]]
party = "a"
id = "cheap"
prior = 0.9
parameters = { c = 0.6 }
[[types]]
party = "a"
id = "dear"
prior = 0.1
parameters = { c = 1.2 }
[uncertainty]
misperception = 0.0
horizon = 4
"""


def test_types_by_hand() -> None:
    """B reads A's cost through its belief: 0.9·0.6 + 0.1·1.2 = 0.66. A cheap A (0.6): the
    mediator's average (0.6 + 0.66)/2 ≤ 1, both sign at once. A dear A (1.2): the average 0.93
    ≤ 1, so [[a1]] is proposed and A refuses; B, seeing the refusal, puts 1 − τ on "dear would
    refuse" and τ on "cheap would", so its belief in dear goes 0.1 → 0.09/0.18 = 0.5; then B
    reads 0.9, the average 1.05 > 1: nothing more is proposed, and the true world has no deal."""
    from detente.uncertainty.simulate import typing_of

    sc = load_bytes(TYPED, "typed.toml")
    typing = typing_of(sc, "prior")
    cheap = Draw({"c": 0.6}, np.zeros((2, 1)), None, np.array([0.5, 0.5]))
    dear = Draw({"c": 0.6}, np.zeros((2, 1)), None, np.array([0.95, 0.5]))
    o = simulate(sc, worlds_for(sc), cheap, 0, {"c": "a"}, sc.solver.max_transitions, typing)
    assert o.types == (0, -1) and o.signed_at == 1 and o.holds
    o = simulate(sc, worlds_for(sc), dear, 0, {"c": "a"}, sc.solver.max_transitions, typing)
    assert o.types == (1, -1) and o.signed_at is None and o.no_deal == "no-true-deal"
    assert o.summit_refused == (1, 0)
    assert np.isnan(o.learnt[0]) and o.learnt[1] == pytest.approx(0.4)


def test_p_signed_by_true_types() -> None:
    """Over many histories: a cheap A always signs, a dear one never; P(signed) is the share
    of cheap draws, within its interval of 0.9."""
    r = run(load_bytes(TYPED, "typed.toml"), 200, seed=1, strategies=("summit-first",), execution=Execution(1), beliefs="prior")
    (s,) = r.strategies
    assert s.signed_by_types["cheap"].estimate == 1.0 and s.signed_by_types["dear"].estimate == 0.0
    assert s.histories_by_types["cheap"] + s.histories_by_types["dear"] == 200
    assert s.no_deal["no-true-deal"].estimate == s.histories_by_types["dear"] / 200
    assert r.beliefs == "prior" and r.type_beliefs == {"a": {"cheap": 0.9, "dear": 0.1}}
    lo, hi = s.p_signed.low, s.p_signed.high
    assert lo is not None and hi is not None and lo <= 0.9 <= hi


def test_same_seed_same_result_with_types_and_frictions_on_every_executor() -> None:
    """Types, refusals, shocks and costs keep the determinism of version 1: 1 or 2 workers, Dask."""
    text = TYPED.replace(b"horizon = 4", b"horizon = 4\nshock_hazard = 0.2\nworking_level_cost = 0.1\nmisperception = 0.5")
    text = text.replace(b"misperception = 0.0\n", b"") + b"[uncertainty.working_level_refusal]\na = 0.3\n"
    sc = load_bytes(text, "typed.toml")
    volatile = {"seconds", "workers", "executor"}
    one = run(sc, 60, seed=4, execution=Execution(1)).model_dump(exclude=volatile)
    two = run(sc, 60, seed=4, execution=Execution(2)).model_dump(exclude=volatile)
    assert one == two
    assert one["strategies"][1]["working_refused"]["a"] > 0 and one["strategies"][0]["no_deal"]["shock"]["estimate"] > 0
    pytest.importorskip("distributed")
    dask = run(sc, 60, seed=4, execution=Execution(2, "local")).model_dump(exclude=volatile)
    assert dask == one
