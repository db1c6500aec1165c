"""The type-robust solver (docs/model.md, "Deals against the wrong type", on top of "The
solver").

IC and stability must hold for every agent (party, type) whose probability is at least
``tau``; less likely types may quit, and each party's value is its expected value over its
types, each type valued as in :mod:`detente.model.quitting`. The deal is the IR plan with the
best Nash score of the expected values, ties broken as in the plain solve. With one type per
party and ``tau`` ≤ 1 this is the plain solve (a tested invariant).

:func:`agent_frontier` is the full-frontier search itself: given agents as (party, world)
pairs and which of them must comply, every Pareto-optimal plan at the status quo over the
agents' values.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detente.errors import SolverLimitError
from detente.model.agents import Agent
from detente.model.bargaining import (
    better,
    disagreement,
    is_individually_rational,
    nash_score,
    stage_key,
)
from detente.model.game import FloatArray, Game
from detente.solvers import _robust_kernel
from detente.solvers._common import flows, scratch
from detente.solvers.bundles import agent_arrays, moves_of, stages_of
from detente.solvers.dp import _allocated, _layers
from detente.solvers.limits import MemoryBudget, check_size

__all__ = ["AgentFrontier", "RobustPlan", "RobustResult", "agent_frontier", "enforced", "expected", "solve_robust"]


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


@dataclass(frozen=True)
class AgentFrontier:
    """Every Pareto-optimal plan at the status quo over the agents' values (W per agent)."""

    plans: list[tuple[list[int], FloatArray]]  # (stages, W per agent)
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


def agent_frontier(
    base: Game,
    agents: Sequence[tuple[int, Game]],
    enforce: Sequence[bool] | None = None,
    max_transitions: int = 10_000_000,
    max_memory_mb: float | None = None,
) -> AgentFrontier:
    """The full Pareto frontier at the status quo over the values of ``agents``, each a
    (party index, the game of its world) pair on ``base``'s moves; ``enforce[a]``: agent a must
    comply at every stage and keep the final agreement (default: every agent), the others may
    quit. Exact: no bound on any bargaining rule prunes it."""
    check_size(base, max_transitions)
    started = time.perf_counter()
    budget = MemoryBudget(max_memory_mb)
    must = np.array([True] * len(agents) if enforce is None else list(enforce), dtype=np.bool_)
    M = moves_of(base)
    A = agent_arrays(agents)
    n_states = 1 << base.n_free
    budget.reserve(n_states * (12 + 8 * len(agents)), f"per-state tables of {n_states:,} states")
    u = np.empty((n_states, len(agents)))
    flows(M, A, u)
    eb = 8 * len(agents) + 9
    capacity = min(budget.free // eb, 2**31 - 1)
    if capacity < 1:
        raise SolverLimitError(budget.message("the search has no room left for the frontiers"))
    st = _allocated(n_states, len(agents), capacity, budget)
    order = np.concatenate(_layers(base.n_free))
    counters = np.zeros(2, dtype=np.int64)
    x = scratch(M, len(agents), 256)
    done, size = 0, 0
    while True:
        done, size, why = _robust_kernel.solve_agents(order, done, size, M, A, u, must, st, x, counters)
        if why == 0:
            break
        if why == 1:
            raise SolverLimitError(budget.message(f"the frontiers need more than {size:,} plans"))
        x = scratch(M, len(agents), 2 * len(x.c_j))  # a state had more candidates than x holds
    lo, n = int(st.starts[0]), int(st.counts[0])
    plans = [(stages_of(st.j, st.stage, st.next, e), st.val[e].copy()) for e in range(lo, lo + n)]
    return AgentFrontier(plans, int(counters[0]), int(counters[1]), size, time.perf_counter() - started)


def solve_robust(
    base: Game, agents: list[Agent], tau: float, max_transitions: int = 10_000_000, max_memory_mb: float | None = None
) -> RobustResult:
    enforce = enforced(agents, tau)
    found = agent_frontier(base, [(a.party_index, a.game) for a in agents], enforce, max_transitions, max_memory_mb)
    d_agents = np.array([disagreement(a.game).values[a.party_index] for a in agents])
    d_expected = expected(agents, d_agents, base.n_parties)
    frontier: list[RobustPlan] = []
    best: RobustPlan | None = None
    best_rank = None
    for stages, w in found.plans:
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
        transitions=found.transitions,
        candidates=found.candidates,
        entries=found.entries,
        seconds=found.seconds,
    )
