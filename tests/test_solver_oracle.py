"""The DP against the brute-force oracle on random scenarios (docs/model.md, "The solver")."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from detente.analysis.audit import audit_schedule
from detente.model.game import compile_game
from detente.scenario.model import Scenario
from detente.solvers.dp import solve_game
from oracle import describe, oracle_solve
from strategies import scenarios

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _compare(scenario: Scenario, enforce: bool = True) -> None:
    g = compile_game(scenario)
    dp = solve_game(g, enforce_ic=enforce, enforce_stable=enforce)
    oracle = oracle_solve(g, enforce=enforce)
    dp_stages = None if dp.best is None else dp.best.stages
    assert describe(g, dp_stages) == describe(g, oracle.stages)
    if dp.best is not None:
        assert oracle.values is not None
        np.testing.assert_allclose(dp.best.values, oracle.values, rtol=0, atol=1e-9)


@SETTINGS
@given(scenarios(max_free=4))
def test_dp_equals_oracle_up_to_4_moves(scenario: Scenario) -> None:
    _compare(scenario)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6))
def test_dp_equals_oracle_up_to_6_moves(scenario: Scenario) -> None:
    _compare(scenario)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=4, max_parties=3))
def test_dp_equals_oracle_three_parties(scenario: Scenario) -> None:
    _compare(scenario)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5))
def test_dp_equals_oracle_without_enforcement(scenario: Scenario) -> None:
    _compare(scenario, enforce=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5))
def test_every_solution_passes_its_audit(scenario: Scenario) -> None:
    """Certificate: the schedule returned is IC at every stage, stable, and beats no deal."""
    g = compile_game(scenario)
    dp = solve_game(g)
    if dp.best is None:
        return
    report = audit_schedule(scenario, [g.ids(s) for s in dp.best.stages], game=g)
    assert report.feasible and report.individually_rational and report.self_enforcing_deal
    for check in report.stages:
        assert check.slack is None or check.slack >= -1e-9
    assert [round(v, 9) for v in report.values.values()] == [round(float(v), 9) for v in dp.best.values]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6))
def test_parallel_layers_equal_the_oracle(scenario: Scenario) -> None:
    """Every layer split between two threads: the same answer as the oracle."""
    import detente.solvers.dp as dp

    saved = dp.PARALLEL_LAYER_SIZE
    dp.PARALLEL_LAYER_SIZE = 1
    try:
        g = compile_game(scenario)
        parallel = solve_game(g, workers=2)
        serial = solve_game(g, workers=1)
    finally:
        dp.PARALLEL_LAYER_SIZE = saved
    oracle = oracle_solve(g)
    assert describe(g, None if parallel.best is None else parallel.best.stages) == describe(g, oracle.stages)
    assert parallel.entries == serial.entries
    if parallel.best is not None and serial.best is not None:
        assert parallel.best.stages == serial.best.stages
        np.testing.assert_array_equal(parallel.best.values, serial.best.values)
