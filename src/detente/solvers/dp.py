"""The exact sequencing solver: DP over Pareto frontiers (MODEL.md sections 6 and 7)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from detente.model.bargaining import (
    Disagreement,
    better,
    disagreement,
    is_individually_rational,
    nash_score,
    stage_key,
)
from detente.model.game import FloatArray, Game
from detente.model.stability import MAX_EXHAUSTIVE_CHEATS
from detente.solvers import _kernel
from detente.solvers.limits import check_size

# The pruning bounds take (max_stages + 1)·P floats per state: skipped above this size.
MAX_BOUNDED_FREE_MOVES = 20


@dataclass(frozen=True)
class Plan:
    """A schedule found by the DP with its values V_p(1)."""

    stages: list[int]
    values: FloatArray


@dataclass(frozen=True)
class DPResult:
    best: Plan | None
    disagreement: Disagreement
    frontier: list[Plan]  # the Pareto frontier at the status quo (every IC plan worth keeping)
    states: int
    transitions: int
    candidates: int  # plans generated before Pareto pruning
    entries: int
    seconds: float


def party_subsets(g: Game) -> tuple[np.ndarray, np.ndarray]:
    """Per party, every set of its free moves of size 0..max_stage_moves, the empty set first."""
    masks: list[int] = []
    offsets = [0]
    for p in range(g.n_parties):
        mine = [i for i in range(g.n_free) if g.owner[i] == p]
        for size in range(0, min(g.max_stage_moves, len(mine)) + 1):
            for combo in combinations(mine, size):
                masks.append(sum(1 << i for i in combo))
        offsets.append(len(masks))
    return np.array(masks, dtype=np.int64), np.array(offsets, dtype=np.int64)


def solve_game(
    g: Game,
    max_transitions: int = 10_000_000,
    enforce_ic: bool = True,
    enforce_stable: bool = True,
) -> DPResult:
    """Solve a compiled game exactly.

    With ``enforce_ic`` and ``enforce_stable`` off, the same search finds the best schedule
    if promises were enforceable: the benchmark a failed negotiation is measured against.
    """
    check_size(g, max_transitions)
    started = time.perf_counter()
    subsets, offsets = party_subsets(g)
    dis = disagreement(g)
    rev_pays = np.array([g.reversal_pays(m) for m in range(g.n_moves)], dtype=np.bool_)
    ent_val, ent_j, ent_stage, ent_next, start, count, transitions, candidates = _kernel.solve_kernel(
        g.n_free,
        g.n_moves,
        g.n_parties,
        g.owner,
        g.flow,
        g.upfront,
        g.reversal_cost,
        g.reversible,
        rev_pays,
        np.array(g.requires, dtype=np.int64),
        np.int64(g.initial),
        g.delta,
        g.unreciprocated,
        g.penalty,
        g.verifiability,
        g.verifiability_with,
        subsets,
        offsets,
        g.max_stages,
        enforce_ic,
        enforce_stable,
        MAX_EXHAUSTIVE_CHEATS,
        dis.values,
        g.n_free <= MAX_BOUNDED_FREE_MOVES,
    )
    frontier: list[Plan] = []
    best: Plan | None = None
    best_rank: tuple[tuple[int, float], tuple[int, tuple[tuple[int, ...], ...]]] | None = None
    for e in range(int(start[0]), int(start[0] + count[0])):
        stages = []
        node = e
        while node >= 0 and ent_j[node] > 0:
            stages.append(int(ent_stage[node]))
            node = int(ent_next[node])
        plan = Plan(stages, ent_val[e].copy())
        frontier.append(plan)
        if not is_individually_rational(plan.values, dis.values):
            continue
        rank = (nash_score(plan.values, dis.values, g.beta), stage_key(g, stages))
        if best_rank is None or better(rank[0], rank[1], best_rank[0], best_rank[1]):
            best, best_rank = plan, rank
    return DPResult(
        best=best,
        disagreement=dis,
        frontier=frontier,
        states=int(np.count_nonzero(count)),
        transitions=int(transitions),
        candidates=int(candidates),
        entries=len(ent_j),
        seconds=time.perf_counter() - started,
    )
