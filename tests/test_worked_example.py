"""docs/model.md, "Worked examples"'s hand-worked numbers, held by the reference functions, the audit and the DP."""

from __future__ import annotations

import pytest

from detente.analysis.audit import audit_schedule
from detente.model.deviation import overt_deviation
from detente.model.game import compile_game
from detente.model.payoffs import schedule_values
from detente.model.stability import covert_final, overt_final
from detente.scenario import load_bytes
from detente.solvers.dp import solve_game

WORKED = b"""
[scenario]
id = "worked-example"
title = "The worked example"
[[parties]]
id = "a"
name = "A"
discount = 0.9
unreciprocated_cost = 0.5
defection_penalty = 1.5
[[parties]]
id = "b"
name = "B"
discount = 0.8
defection_penalty = 1.0
[[moves]]
id = "a1"
owner = "a"
label = "a1"
cost = 1
value = { b = 3 }
reversible = true
reversal_cost = 0.5
[[moves]]
id = "b1"
owner = "b"
label = "b1"
cost = 2
value = { a = 4 }
[[moves]]
id = "b2"
owner = "b"
label = "b2"
cost = 1
value = { a = 1.5 }
upfront_cost = 1
verifiability = 0.3
[solver]
max_stage_moves = 2
"""


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_bytes(WORKED, "worked.toml")


def test_one_stage_schedule(scenario) -> None:  # type: ignore[no-untyped-def]
    g = compile_game(scenario)
    stage = g.mask(["a1", "b1", "b2"])
    values = schedule_values(g, [stage])
    assert values[0] == pytest.approx([45.0, -1.0])
    dev_a = overt_deviation(g, g.initial, stage, 0)
    dev_b = overt_deviation(g, g.initial, stage, 1)
    assert dev_a is not None and dev_a.value == pytest.approx(41.5)  # 5.5 + 0.9·4/0.1
    assert dev_b is not None and dev_b.value == pytest.approx(-1.0)  # 3 + 0.8·(−1)/0.2
    assert g.ids(dev_b.snapped) == ["a1"]
    final_a = overt_final(g, stage, 0)
    assert final_a.deviation is not None and final_a.deviation.value == pytest.approx(41.0)
    assert final_a.slack == pytest.approx(4.0)
    # b2 is an act done once (irreversible): it cannot be secretly undone at the final agreement
    assert covert_final(g, stage, 1) == []


def test_covert_cheat_on_an_ongoing_obligation() -> None:
    """The same numbers with b2 an ongoing obligation (reversible): X = (1 + 0.8·0.3·(−15))/(1 − 0.8·0.7)."""
    sc = load_bytes(WORKED.replace(b"upfront_cost = 1\n", b"upfront_cost = 1\nreversible = true\nreversal_cost = 9\n"), "w.toml")
    g = compile_game(sc)
    stage = g.mask(["a1", "b1", "b2"])
    (covert_b,) = covert_final(g, stage, 1)
    assert g.ids(covert_b.cheat) == ["b2"]
    assert covert_b.value == pytest.approx(-5.909090909, abs=1e-6)
    assert covert_b.holds


def test_reversal_lag_weakens_the_threat() -> None:
    """a1 with reversal_lag 2: undoing it still pays a (0.9²·1/0.1 = 8.1 > 0.5), but b's deviation
    keeps a1's value 3 for 1 + 2 periods: D_b = 3·(1 − 0.8³)/0.2 − 0.8·1/0.2 = 3.32, slack −4.32."""
    sc = load_bytes(WORKED.replace(b"reversal_cost = 0.5\n", b"reversal_cost = 0.5\nreversal_lag = 2\n"), "lag.toml")
    g = compile_game(sc)
    a1 = g.mask(["a1"]).bit_length() - 1
    assert g.reversal_pays(a1)
    stage = g.mask(["a1", "b1", "b2"])
    dev_b = overt_deviation(g, g.initial, stage, 1)
    assert dev_b is not None and dev_b.value == pytest.approx(3.32)
    assert g.ids(dev_b.snapped) == ["a1"]
    dev_a = overt_deviation(g, g.initial, stage, 0)
    assert dev_a is not None and dev_a.value == pytest.approx(41.5)  # b's moves cannot be undone
    report = audit_schedule(sc, [["a1", "b1", "b2"]])
    slacks = {(c.stage, c.party): c.slack for c in report.stages}
    assert slacks[(1, "b")] == pytest.approx(-4.32)
    assert slacks[(1, "a")] == pytest.approx(3.5)
    assert not report.feasible


def test_one_stage_audit_slacks(scenario) -> None:  # type: ignore[no-untyped-def]
    report = audit_schedule(scenario, [["a1", "b1", "b2"]])
    slacks = {(c.stage, c.party): c.slack for c in report.stages}
    assert slacks[(1, "a")] == pytest.approx(3.5)
    assert slacks[(1, "b")] == pytest.approx(0.0, abs=1e-12)
    assert report.feasible  # IC and stable, as the worked example says ...
    assert not report.individually_rational  # ... but b gets −1 < d_b = 0
    assert report.final.stable


def test_two_stage_audit(scenario) -> None:  # type: ignore[no-untyped-def]
    report = audit_schedule(scenario, [["a1"], ["b1", "b2"]])
    by = {(c.stage, c.party): c for c in report.stages}
    assert by[(2, "a")].slack == pytest.approx(4.0)
    assert by[(2, "b")].slack == pytest.approx(0.0, abs=1e-12)
    assert by[(1, "a")].comply == pytest.approx(39.0)
    assert by[(1, "a")].deviate == pytest.approx(-13.5)
    assert by[(1, "b")].deviate is None  # b has nothing to skip or reverse at stage 1


def test_solver_choice(scenario) -> None:  # type: ignore[no-untyped-def]
    g = compile_game(scenario)
    result = solve_game(g)
    assert result.best is not None
    assert [g.ids(s) for s in result.best.stages] == [["a1"], ["b2"], ["b1"]]
    assert result.best.values == pytest.approx([35.4, 3.8])
    assert result.disagreement.values == pytest.approx([0.0, 0.0])


def test_covert_path_pretending_an_act_due_at_the_stage(scenario) -> None:  # type: ignore[no-untyped-def]
    """b2 (irreversible, verifiability 0.3) is due at stage 1: b may pretend to perform it,
    saving its upfront cost 1 and its cost 1 a period until caught. X(2) is the stationary
    value −5.909; X(1) = 0 − 1 + 1 + 0.8·(0.3·(−15) + 0.7·(−5.909)) + 1 (upfront saved) = −5.909,
    against V_b(1) = −1: slack 4.909."""
    report = audit_schedule(scenario, [["a1", "b1", "b2"]])
    (check,) = [c for c in report.covert_path if c.party == "b"]
    assert check.stage == 1 and check.cheat == ["b2"]
    assert check.deviate == pytest.approx(-5.909090909, abs=1e-6)
    assert check.slack == pytest.approx(4.909090909, abs=1e-6)
