"""The type-robust solver (docs/model.md, "Types and beliefs") against a brute-force oracle, and its invariants.

Types are drawn directly as perturbed games (each agent's payoffs, costs and discount), so
the kernel is tested on agents far more varied than any scenario file would give.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.model.agents import Agent
from detente.model.bargaining import (
    better,
    disagreement,
    is_individually_rational,
    nash_score,
    stage_key,
)
from detente.model.game import TOLERANCE, Game, compile_game
from detente.model.quitting import may_quit
from detente.scenario.model import Scenario
from detente.solvers.dp import solve_game
from detente.solvers.robust import enforced, expected, solve_robust
from oracle import all_schedules, describe
from strategies import scenarios

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
values = st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def typed(draw: st.DrawFn, max_free: int = 4) -> tuple[Game, list[Agent]]:
    """A random game and, per party, one to three types: perturbed copies of its numbers."""
    g = compile_game(draw(scenarios(max_free=max_free)))
    out: list[Agent] = []
    for p, pid in enumerate(g.party_ids):
        n_types = draw(st.integers(1, 3))
        weights = [draw(st.integers(1, 9)) for _ in range(n_types)]
        for t in range(n_types):
            flow = g.flow.copy()
            upfront = g.upfront.copy()
            rc = g.reversal_cost.copy()
            delta = g.delta.copy()
            unrec = g.unreciprocated.copy()
            if t > 0:  # type 0 keeps the scenario's numbers
                for m in range(g.n_moves):
                    flow[m, p] += draw(values)
                    if g.owner[m] == p:
                        upfront[m] = max(0.0, upfront[m] + draw(values))
                        rc[m] = max(0.0, rc[m] + draw(values))
                delta[p] = draw(st.sampled_from([0.5, 0.7, 0.9, 0.95]))
                unrec[p] = max(0.0, unrec[p] + draw(values))
            game = dataclasses.replace(
                g, flow=flow, upfront=upfront, reversal_cost=rc, delta=delta, unreciprocated=unrec
            )
            out.append(Agent(pid, p, None if n_types == 1 else f"t{t}", weights[t] / sum(weights), game))
    return g, out


def oracle_robust(g: Game, agents: list[Agent], tau: float) -> tuple[list[int] | None, np.ndarray | None]:
    """Every schedule, each agent's choices by the reference of model.quitting, the best kept."""
    enforce = enforced(agents, tau)
    w_d = np.array([disagreement(a.game).values[a.party_index] for a in agents])
    d = expected(agents, w_d, g.n_parties)
    best, best_rank = None, None
    for stages in all_schedules(g):
        w = np.empty(len(agents))
        ok = True
        for i, a in enumerate(agents):
            choices = may_quit(a.game, a.party_index, stages)
            if enforce[i] and any(c.quits for c in choices):
                ok = False
                break
            w[i] = choices[0].value
        if not ok:
            continue
        e = expected(agents, w, g.n_parties)
        if not is_individually_rational(e, d):
            continue
        rank = (nash_score(e, d, g.beta), stage_key(g, stages))
        if best_rank is None or better(rank[0], rank[1], best_rank[0], best_rank[1]):
            best, best_rank = (stages, e), rank
    return (None, None) if best is None else best


@SETTINGS
@given(typed(), st.sampled_from([0.0, 0.25, 0.5, 1.01]))
def test_robust_equals_oracle(case: tuple[Game, list[Agent]], tau: float) -> None:
    g, agents = case
    result = solve_robust(g, agents, tau)
    stages, exp = oracle_robust(g, agents, tau)
    got = None if result.best is None else result.best.stages
    assert describe(g, got) == describe(g, stages)
    if result.best is not None:
        np.testing.assert_allclose(result.best.expected, exp, rtol=0, atol=1e-7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6))
def test_one_type_per_party_is_the_plain_solve(scenario: Scenario) -> None:
    g = compile_game(scenario)
    agents = [Agent(pid, p, None, 1.0, g) for p, pid in enumerate(g.party_ids)]
    robust = solve_robust(g, agents, 0.5)
    plain = solve_game(g)
    assert describe(g, None if robust.best is None else robust.best.stages) == describe(
        g, None if plain.best is None else plain.best.stages
    )
    if plain.best is not None and robust.best is not None:
        np.testing.assert_allclose(robust.best.expected, plain.best.values, rtol=0, atol=1e-12)


@SETTINGS
@given(typed())
def test_a_higher_threshold_never_lowers_the_best_nash_value(case: tuple[Game, list[Agent]]) -> None:
    """Raising τ drops constraints: the feasible set grows, so the best score cannot fall."""
    g, agents = case
    previous = None
    for tau in (0.0, 0.2, 0.4, 0.6, 0.8, 1.01):
        r = solve_robust(g, agents, tau)
        if r.best is None:
            assert previous is None, f"a deal at a lower threshold vanished at τ = {tau}"
            continue
        score = nash_score(r.best.expected, r.expected_disagreement, g.beta)
        if previous is not None:
            assert (score[0], score[1] + 1e-7) >= previous
        previous = score


@SETTINGS
@given(typed(), st.sampled_from([0.0, 0.3, 0.6]))
def test_every_enforced_type_complies_with_the_robust_deal(case: tuple[Game, list[Agent]], tau: float) -> None:
    g, agents = case
    r = solve_robust(g, agents, tau)
    if r.best is None:
        return
    for a, must in zip(agents, r.enforced, strict=True):
        choices = may_quit(a.game, a.party_index, r.best.stages)
        if must:
            assert not any(c.quits for c in choices), f"{a.party}/{a.type} would quit"
            for c in choices:
                assert c.deviate is None or c.comply >= c.deviate - TOLERANCE
