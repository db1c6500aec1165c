"""FROZEN COPY for benchmarks only (commit 99c9c35, before branch and bound); do not edit.

The type-robust solver (docs/model.md, "Types and beliefs" on top of 'Which deal' and 'The solver').

IC and stability must hold for every agent (party, type) whose probability is at least
``tau``; less likely types may quit, and each party's value is its expected value over its
types, each type valued as in :mod:`detente.model.quitting`. The deal is the IR plan with the
best Nash score of the expected values, ties broken as in the plain solve. With one type per
party and ``tau`` ≤ 1 this is the plain solve (a tested invariant).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from baseline_solver import _robust_kernel
from baseline_solver.dp import party_subsets
from detente.model.agents import Agent
from detente.model.bargaining import (
    better,
    disagreement,
    is_individually_rational,
    nash_score,
    stage_key,
)
from detente.model.game import FloatArray, Game
from detente.model.stability import MAX_EXHAUSTIVE_CHEATS


@dataclass(frozen=True)
class RobustPlan:
    stages: list[int]
    agent_values: FloatArray  # W per agent
    expected: FloatArray  # per party: Σ over its types of probability × W


@dataclass(frozen=True)
class RobustResult:
    agents: list[Agent]
    enforced: list[bool]
    best: RobustPlan | None
    agent_disagreement: FloatArray
    expected_disagreement: FloatArray
    frontier: list[RobustPlan]
    transitions: int
    candidates: int
    entries: int
    seconds: float


def enforced(agents: list[Agent], tau: float) -> list[bool]:
    return [a.probability >= tau - 1e-12 for a in agents]


def expected(agents: list[Agent], values: FloatArray, n_parties: int) -> FloatArray:
    out = np.zeros(n_parties)
    for a, agent in enumerate(agents):
        out[agent.party_index] += agent.probability * values[a]
    return out


def solve_robust(base: Game, agents: list[Agent], tau: float, max_transitions: int = 10_000_000) -> RobustResult:
    del max_transitions  # the benchmarks call it within limits
    started = time.perf_counter()
    enforce = enforced(agents, tau)
    n = base.n_moves
    A = len(agents)
    own = np.zeros(A, dtype=np.int64)
    own_rev = np.zeros(A, dtype=np.int64)
    own_pays = np.zeros(A, dtype=np.int64)
    snap = np.zeros(A, dtype=np.int64)
    flow = np.empty((n, A))
    upfront = np.empty((A, n))
    rc = np.empty((A, n))
    lasting = np.empty((A, n))
    lasting_next = np.empty((A, n))
    tail = np.empty((A, n))
    verif = np.empty((A, n))
    verif_with = np.empty((A, n, n))
    unrec = np.empty(A)
    penalty = np.empty(A)
    delta = np.empty(A)
    for a, agent in enumerate(agents):
        g, p = agent.game, agent.party_index
        pays = 0
        for m in range(n):
            bit = 1 << m
            if g.reversal_pays(m):
                pays |= bit
            if g.owner[m] == p:
                own[a] |= bit
                if g.reversible[m]:
                    own_rev[a] |= bit
        own_pays[a] = pays & int(own[a])
        snap[a] = pays & ~int(own[a])
        flow[:, a] = g.flow[:, p]
        upfront[a] = g.upfront
        rc[a] = g.reversal_cost
        lasting[a] = g.lasting[p]
        lasting_next[a] = g.lasting_next[p]
        tail[a] = g.tail[p]
        verif[a] = g.verifiability
        verif_with[a] = g.verifiability_with
        unrec[a] = g.unreciprocated[p]
        penalty[a] = g.penalty[p]
        delta[a] = g.delta[p]
    subsets, offsets = party_subsets(base)
    masks = np.arange(1 << base.n_free, dtype=np.int64)
    order = masks[np.argsort(-np.bitwise_count(masks).astype(np.int64), kind="stable")]
    start, count, val, j, stage, nxt, counters = _robust_kernel.solve_agents(
        order,
        base.n_free,
        n,
        A,
        own,
        own_rev,
        own_pays,
        snap,
        flow,
        upfront,
        rc,
        lasting,
        lasting_next,
        tail,
        unrec,
        penalty,
        delta,
        np.array(enforce, dtype=np.bool_),
        verif,
        verif_with,
        np.array(base.requires, dtype=np.int64),
        np.int64(base.initial),
        subsets,
        offsets,
        base.n_parties,
        base.max_stages,
        MAX_EXHAUSTIVE_CHEATS,
    )
    d_agents = np.array([disagreement(a.game).values[a.party_index] for a in agents])
    d_expected = expected(agents, d_agents, base.n_parties)
    frontier: list[RobustPlan] = []
    best: RobustPlan | None = None
    best_rank = None
    for e in range(int(start[0]), int(start[0] + count[0])):
        stages = []
        node = e
        while node >= 0 and j[node] > 0:
            stages.append(int(stage[node]))
            node = int(nxt[node])
        w = val[e].copy()
        plan = RobustPlan(stages, w, expected(agents, w, base.n_parties))
        frontier.append(plan)
        if not is_individually_rational(plan.expected, d_expected):
            continue
        rank = (nash_score(plan.expected, d_expected, base.beta), stage_key(base, stages))
        if best_rank is None or better(rank[0], rank[1], best_rank[0], best_rank[1]):
            best, best_rank = plan, rank
    return RobustResult(
        agents=agents,
        enforced=enforce,
        best=best,
        agent_disagreement=d_agents,
        expected_disagreement=d_expected,
        frontier=frontier,
        transitions=int(counters[0]),
        candidates=int(counters[1]),
        entries=len(j),
        seconds=time.perf_counter() - started,
    )
