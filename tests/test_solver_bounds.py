"""Branch and bound against the full-frontier DP and the oracle (docs/model.md, "Branch and
bound on the Nash product"), and the kernels' shared paths (threads, agents)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente.solvers.dp as dp
from detente.model.bargaining import disagreement, is_individually_rational
from detente.model.game import compile_game
from detente.model.payoffs import flow_utility, one_time_cost, schedule_values
from detente.scenario.model import Scenario
from detente.solvers._common import (
    consistent,
    flow_sum,
    flows,
    scratch,
    stage_space,
    stages_into,
    valid_stages,
)
from detente.solvers._kernel import plan_values
from detente.solvers.bundles import Moves, moves_of, party_agents
from detente.solvers.dp import solve_game
from detente.solvers.limits import MemoryBudget
from detente.solvers.robust import agent_frontier
from oracle import all_schedules, describe, oracle_solve
from strategies import scenarios

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(a: dp.DPResult, b: dp.DPResult) -> None:
    assert (None if a.best is None else a.best.stages) == (None if b.best is None else b.best.stages)
    if a.best is not None and b.best is not None:
        np.testing.assert_array_equal(a.best.values, b.best.values)


@SETTINGS
@given(scenarios(max_free=6), st.booleans())
def test_the_bound_changes_nothing_but_the_work(scenario: Scenario, enforce: bool) -> None:
    """Bounded and full-frontier searches choose the same plan, bit for bit; the bounded
    frontier at the status quo is part of the full one and holds the chosen plan."""
    g = compile_game(scenario)
    bounded = solve_game(g, enforce_ic=enforce, enforce_stable=enforce)
    full = solve_game(g, enforce_ic=enforce, enforce_stable=enforce, full_frontier=True)
    _same(bounded, full)
    assert full.full_frontier  # the bounded one is full too when no floor was found
    kept = {tuple(p.stages) for p in full.frontier}
    assert {tuple(p.stages) for p in bounded.frontier} <= kept
    if bounded.best is not None:
        assert tuple(bounded.best.stages) in {tuple(p.stages) for p in bounded.frontier}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5), st.data())
def test_any_feasible_incumbent_gives_the_same_answer(scenario: Scenario, data: st.DataObject) -> None:
    """The floor may start from any feasible plan (the benchmark starts from the deal): the
    answer is the oracle's whatever the plan."""
    g = compile_game(scenario)
    oracle = oracle_solve(g)
    if oracle.stages is None:
        return
    dis = disagreement(g)
    feasible = []
    for stages in all_schedules(g):
        values = schedule_values(g, stages)[0]
        if is_individually_rational(values, dis.values) and oracle_solve_accepts(g, stages):
            feasible.append(values)
        if len(feasible) >= 20:
            break
    incumbent = data.draw(st.sampled_from(feasible)) if feasible else oracle.values
    result = solve_game(g, incumbent=incumbent)
    assert describe(g, None if result.best is None else result.best.stages) == describe(g, oracle.stages)


def oracle_solve_accepts(g, stages):  # type: ignore[no-untyped-def]
    """Whether the schedule is IC at every stage and ends stable (the oracle's own checks)."""
    from detente.model.deviation import overt_deviation
    from detente.model.game import TOLERANCE
    from detente.model.payoffs import states_of
    from detente.model.stability import is_stable

    states = states_of(g, stages)
    if not is_stable(g, states[-1]):
        return False
    values = schedule_values(g, stages)
    for k, stage in enumerate(stages):
        for p in range(g.n_parties):
            dev = overt_deviation(g, states[k], stage, p)
            if dev is not None and values[k, p] < dev.value - TOLERANCE:
                return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5, max_parties=3), st.booleans())
def test_a_hint_is_valued_as_the_model_values_it_and_kept_only_if_feasible(scenario: Scenario, enforce: bool) -> None:
    """``plan_values`` on every schedule: it keeps exactly the schedules that are IC at every
    stage and end stable (the oracle's own checks; with neither enforced, every schedule of at
    most max_stages valid stages), and values them bit for bit as ``schedule_values`` does."""
    g = compile_game(scenario)
    M, A = moves_of(g), party_agents(g)
    x = scratch(M, g.n_parties, 1)
    out = np.empty(g.n_parties)
    for stages in all_schedules(g):
        kept = plan_values(M, A, np.asarray(stages, dtype=np.int64), enforce, enforce, x, out)
        assert kept == (not enforce or oracle_solve_accepts(g, stages)), stages
        if kept:
            np.testing.assert_array_equal(out, schedule_values(g, stages)[0])
    # a stage that repeats a move, or none at all, is no schedule
    assert not plan_values(M, A, np.array([1, 1], dtype=np.int64), enforce, enforce, x, out)
    assert not plan_values(M, A, np.zeros(0, dtype=np.int64), enforce, enforce, x, out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5, max_parties=3), st.data())
def test_the_floor_is_the_best_ranked_feasible_rational_hint(scenario: Scenario, data: st.DataObject) -> None:
    """``_best_hint``, which values every hint unchecked and checks them in order of rank only
    until one passes, picks what checking every hint picks: the feasible, individually rational
    hint of the best Nash rank (ties: the first), if it outranks the plan known; and a hint's
    unchecked values are its checked values."""
    g = compile_game(scenario)
    M, A, dis = moves_of(g), party_agents(g), disagreement(g)
    schedules = list(all_schedules(g))
    if not schedules:
        return
    hints = data.draw(st.lists(st.sampled_from(schedules), min_size=1, max_size=8))
    known = data.draw(st.none() | st.sampled_from(schedules))
    known_values = None if known is None else schedule_values(g, known)[0]
    x = scratch(M, g.n_parties, 1)
    best, best_rank = known_values, (None if known is None else dp._rank(known_values, dis.values, g.beta))
    for h in hints:
        out, raw = np.empty(g.n_parties), np.empty(g.n_parties)
        stages = np.asarray(h, dtype=np.int64)
        assert plan_values(M, A, stages, True, True, x, raw, False)
        if plan_values(M, A, stages, True, True, x, out):
            np.testing.assert_array_equal(raw, out)
            rank = dp._rank(out, dis.values, g.beta)
            if rank[0] > 0 and np.all(out - dis.values >= -1e-9) and (best_rank is None or rank > best_rank):
                best, best_rank = out, rank
    found = dp._best_hint(M, A, g, dis, hints, True, True, known_values)
    assert (found is None) == (best is None)
    if found is not None:
        np.testing.assert_array_equal(found, best)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5), st.data())
def test_any_hints_give_the_same_answer(scenario: Scenario, data: st.DataObject) -> None:
    """Hints, feasible or not, valid or not, in any order, change the work, never the answer."""
    g = compile_game(scenario)
    oracle = oracle_solve(g)
    schedules = list(all_schedules(g))
    junk = st.lists(st.integers(0, (1 << g.n_free) - 1), max_size=4)
    hints = data.draw(st.lists(st.sampled_from(schedules) | junk, max_size=6)) if schedules else []
    result = solve_game(g, hints=hints)
    assert describe(g, None if result.best is None else result.best.stages) == describe(g, oracle.stages)
    if oracle.stages is not None and hints:
        _same(result, solve_game(g))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3), st.booleans())
def test_a_store_that_grows_from_one_entry_changes_nothing(scenario: Scenario, full: bool) -> None:
    """A one-thread pass's store starts small and doubles as it fills: starting it at a single
    entry (every pass grows it many times) gives the same plan, frontier and entries."""
    g = compile_game(scenario)
    saved = dp.INITIAL_ENTRIES_PER_STATE
    dp.INITIAL_ENTRIES_PER_STATE = 0
    try:
        small = solve_game(g, workers=1, full_frontier=full)
    finally:
        dp.INITIAL_ENTRIES_PER_STATE = saved
    usual = solve_game(g, workers=1, full_frontier=full)
    _same(small, usual)
    assert small.entries == usual.entries
    assert [(p.stages, p.values.tolist()) for p in small.frontier] == [(p.stages, p.values.tolist()) for p in usual.frontier]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3))
def test_threads_equal_the_oracle(scenario: Scenario) -> None:
    """Every layer of every pass split between two threads (staging stores appended to the
    store): the same plan and the same frontier sizes as one thread, and the oracle's answer."""
    saved = dp.PARALLEL_LAYER_SIZE, dp.SERIAL_STATES
    dp.PARALLEL_LAYER_SIZE, dp.SERIAL_STATES = 1, 0
    try:
        g = compile_game(scenario)
        two = solve_game(g, workers=2)
        two_full = solve_game(g, workers=2, full_frontier=True)
    finally:
        dp.PARALLEL_LAYER_SIZE, dp.SERIAL_STATES = saved
    one = solve_game(g, workers=1)
    one_full = solve_game(g, workers=1, full_frontier=True)
    _same(two, one)
    _same(two_full, one_full)
    assert two.entries == one.entries and two_full.entries == one_full.entries
    assert describe(g, None if two.best is None else two.best.stages) == describe(g, oracle_solve(g).stages)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5))
def test_the_agents_frontier_of_the_parties_is_the_full_frontier(scenario: Scenario) -> None:
    """One agent per party, all enforced: the robust kernel's frontier at the status quo holds
    the plain full-frontier DP's plans (it keeps plans that cannot be IR too)."""
    g = compile_game(scenario)
    found = agent_frontier(g, [(p, g) for p in range(g.n_parties)])
    full = solve_game(g, full_frontier=True)
    got = {tuple(stages): tuple(values) for stages, values in found.plans}
    for plan in full.frontier:
        assert tuple(plan.stages) in got
        assert got[tuple(plan.stages)] == tuple(plan.values)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5), st.floats(0.5, 3.0))
def test_an_incumbent_that_is_not_feasible_does_not_change_the_answer(scenario: Scenario, lift: float) -> None:
    """A caller's incumbent better than anything feasible cannot hide the answer."""
    g = compile_game(scenario)
    oracle = oracle_solve(g)
    if oracle.stages is None:
        return
    result = solve_game(g, incumbent=oracle.values + lift)
    assert describe(g, None if result.best is None else result.best.stages) == describe(g, oracle.stages)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6))
def test_the_flows_table_is_each_states_flow_sum(scenario: Scenario) -> None:
    """``flows`` builds each state's flow from the state without its highest move: bit for bit
    the sum in index order that ``model.payoffs.flow_utility`` computes."""
    g = compile_game(scenario)
    M, A = moves_of(g), party_agents(g)
    u = np.full((1 << g.n_free, g.n_parties), np.nan)
    flows(M, A, u)
    for f in range(1 << g.n_free):
        for p in range(g.n_parties):
            assert u[f, p] == flow_utility(g, f | g.initial, p)
            assert u[f, p] == flow_sum(A, p, np.int64(f | g.initial), M.n_total)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6))
def test_states_that_break_a_requirement_are_unreachable(scenario: Scenario) -> None:
    """The forward pass leaves out states holding a move without what it requires: no valid
    stage leads to one, so their bounds are +inf, as they were when every state was pulled."""
    g = compile_game(scenario)
    dis = disagreement(g)
    tables = dp._tables(g, moves_of(g), party_agents(g), dis, True, True, MemoryBudget(), 1)
    schedules = all_schedules(g)
    reached = {0} | {sum(stages[: k + 1]) for stages in schedules for k in range(len(stages))}
    for f in range(1 << g.n_free):
        if f not in reached:
            continue
        assert np.all(tables.lower[f, 0] < np.inf)
    for f in range(1 << g.n_free):
        broken = any((f | g.initial) >> m & 1 and g.requires[m] & ~(f | g.initial) for m in range(g.n_moves))
        if broken:
            assert np.all(tables.lower[f] == np.inf) and tables.kmin[f] == 127


def _no_kept_stages(M: Moves) -> Moves:
    none32 = np.zeros(0, dtype=np.int32)
    none64 = np.zeros(0, dtype=np.int64)
    return M._replace(into_start=none64, into_from=none32, into_combo=none32, out_start=none64, out_stage=none32, out_combo=none32)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3))
def test_the_kept_stages_are_the_enumerated_ones(scenario: Scenario) -> None:
    """The stages kept with the structure are, per state, those ``stages_into`` enumerates
    from states where every move has what it requires, in the same order, with their
    combinations; each combination's one-time cost is ``model.payoffs.one_time_cost``."""
    g = compile_game(scenario)
    M, A = moves_of(g), party_agents(g)
    assert len(M.into_start) == (1 << g.n_free) + 1
    z = stage_space(M)
    for f2 in range(1 << g.n_free):
        want = []
        if consistent(M, np.int64(f2 | g.initial)):
            n = stages_into(M, np.int64(f2), z)
            for t in range(n):
                f = f2 ^ int(z.out[t])
                if consistent(M, np.int64(f | g.initial)):
                    want.append((f, int(z.combo[t])))
                for p in range(g.n_parties):
                    assert A.stage_cost[int(z.combo[t]), p] == one_time_cost(g, int(z.out[t]), p)
        lo, hi = int(M.into_start[f2]), int(M.into_start[f2 + 1])
        assert [(int(f), int(c)) for f, c in zip(M.into_from[lo:hi], M.into_combo[lo:hi], strict=True)] == want
    for f in range(1 << g.n_free):
        ahead = []
        if consistent(M, np.int64(f | g.initial)):
            n = valid_stages(M, np.int64(f), z)
            ahead = [(int(z.out[t]), int(z.combo[t])) for t in range(n)]
        lo, hi = int(M.out_start[f]), int(M.out_start[f + 1])
        assert [(int(a), int(c)) for a, c in zip(M.out_stage[lo:hi], M.out_combo[lo:hi], strict=True)] == ahead


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3))
def test_the_passes_over_kept_stages_equal_the_enumerating_ones(scenario: Scenario) -> None:
    """Bounds and tangents from the kept stages equal, bit for bit, those from stages
    enumerated at each state (the way for shapes with too many stages to keep)."""
    g = compile_game(scenario)
    M, A = moves_of(g), party_agents(g)
    dis = disagreement(g)
    kept = dp._tables(g, M, A, dis, True, True, MemoryBudget(), 1)
    plain = dp._tables(g, _no_kept_stages(M), A, dis, True, True, MemoryBudget(), 1)
    np.testing.assert_array_equal(kept.lower, plain.lower, strict=True)
    np.testing.assert_array_equal(kept.kmin, plain.kmin, strict=True)
    result = solve_game(g, full_frontier=True)
    if result.best is None or not np.all(result.best.values - dis.values > 1e-9):
        return
    a = dp._tangent(g, M, A, kept, dis, result.best.values, MemoryBudget(), 1)
    b = dp._tangent(g, _no_kept_stages(M), A, plain, dis, result.best.values, MemoryBudget(), 1)
    np.testing.assert_array_equal(a.tang, b.tang, strict=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3), st.booleans())
def test_the_exact_pass_over_kept_stages_equals_the_enumerating_one(scenario: Scenario, enforce: bool) -> None:
    """The exact pass's store, entry for entry, whether it reads the kept stages or
    enumerates them at each state."""
    g = compile_game(scenario)
    M, A = moves_of(g), party_agents(g)
    dis = disagreement(g)
    stores = []
    for moves in (M, _no_kept_stages(M)):
        tables = dp._tables(g, moves, A, dis, enforce, enforce, MemoryBudget(), 1)
        filled = dp._run(g, moves, A, tables, MemoryBudget(), 1, np.zeros(2, dtype=np.int64), capacity=None)
        stores.append((filled.store, filled.size))
    (a, na), (b, nb) = stores
    assert na == nb
    for name in ("starts", "counts"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)
    for name in ("val", "j", "stage", "next"):
        np.testing.assert_array_equal(getattr(a, name)[:na], getattr(b, name)[:nb], strict=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3), st.booleans())
def test_tangents_from_the_bounds_pass_equal_their_own_pass(scenario: Scenario, kept: bool) -> None:
    """With a plan known before the forward pass, its tangents come from the bounds' pass:
    the same tables, bit for bit, as the bounds' pass followed by ``tangent_paths``."""
    g = compile_game(scenario)
    M, A = moves_of(g), party_agents(g)
    M = M if kept else _no_kept_stages(M)
    dis = disagreement(g)
    result = solve_game(g, full_frontier=True)
    if result.best is None:
        return
    tables, fused = dp._tables_and_tangents(g, M, A, dis, True, True, MemoryBudget(), 1, result.best.values)
    plain = dp._tables(g, M, A, dis, True, True, MemoryBudget(), 1)
    apart = dp._tangent(g, M, A, plain, dis, result.best.values, MemoryBudget(), 1)
    assert fused.tang.shape == apart.tang.shape
    with_tangents = fused.tang.shape[0] > 1  # else a placeholder, never read
    for name in ("u", "lower", "kmin", "lam", "tang", "tang_base", "tang_point"):
        if with_tangents or name not in ("tang", "tang_base", "tang_point"):
            np.testing.assert_array_equal(getattr(fused, name), getattr(apart, name), strict=True, err_msg=name)
    for name in ("lower", "kmin"):
        np.testing.assert_array_equal(getattr(tables, name), getattr(plain, name), strict=True, err_msg=name)
    assert tables.tang.shape == (1, 1, 1)
    if kept:  # two parties take a pass of their own over the kept stages: the general pass's tables
        general = dp._tables_and_tangents(g, _no_kept_stages(M), A, dis, True, True, MemoryBudget(), 1, result.best.values)[1]
        for name in ("lower", "kmin", "tang"):
            if with_tangents or name != "tang":
                np.testing.assert_array_equal(getattr(fused, name), getattr(general, name), strict=True, err_msg=name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=6, max_parties=3))
def test_the_paying_mask_is_each_moves_reversal_pays(scenario: Scenario) -> None:
    """``Game.paying``, computed for every move at once, is the mask of ``reversal_pays``."""
    g = compile_game(scenario)
    assert g.paying == sum(1 << m for m in range(g.n_moves) if g.reversal_pays(m))
