"""The brute-force oracle: every schedule, audited one by one (docs/model.md, "The solver"'s test oracle).

Obviously correct rather than fast: it enumerates every sequence of valid, disjoint, non-empty
stages up to ``max_stages``, checks each stage's IC and the final agreement with the Python
reference functions of :mod:`detente.model`, and picks the best by 'Which deal''s rule.
It shares with the DP only those reference functions, which are themselves tested against
the hand-worked numbers of docs/model.md, 'Worked examples'.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from detente.model.bargaining import (
    better,
    disagreement,
    is_individually_rational,
    nash_score,
    stage_key,
)
from detente.model.deviation import overt_deviation
from detente.model.game import TOLERANCE, Game, bits
from detente.model.payoffs import missing_requirements, schedule_values, states_of
from detente.model.stability import is_stable


@dataclass
class OracleResult:
    stages: list[int] | None
    values: np.ndarray | None
    schedules_seen: int


def valid_stages(g: Game, s: int) -> Iterator[int]:
    """Every non-empty stage from state s: ≤ max_stage_moves per party, requires met."""
    remaining = [m for m in range(g.n_free) if not (s >> m) & 1]
    for size in range(1, len(remaining) + 1):
        for combo in combinations(remaining, size):
            stage = sum(1 << m for m in combo)
            counts = np.bincount(g.owner[list(combo)], minlength=g.n_parties)
            if counts.max() > g.max_stage_moves:
                continue
            if any((stage >> m) & 1 for m, _ in missing_requirements(g, s | stage)):
                continue
            yield stage


def all_schedules(g: Game) -> Iterator[list[int]]:
    def extend(s: int, prefix: list[int]) -> Iterator[list[int]]:
        if prefix:
            yield prefix
        if len(prefix) == g.max_stages:
            return
        for stage in valid_stages(g, s):
            yield from extend(s | stage, prefix + [stage])

    yield from extend(g.initial, [])


def oracle_solve(g: Game, enforce: bool = True) -> OracleResult:
    dis = disagreement(g)
    stable_cache: dict[int, bool] = {}
    dev_cache: dict[tuple[int, int, int], float | None] = {}
    best = None
    best_rank = None
    seen = 0
    for stages in all_schedules(g):
        seen += 1
        states = states_of(g, stages)
        if enforce:
            final = states[-1]
            if final not in stable_cache:
                stable_cache[final] = is_stable(g, final)
            if not stable_cache[final]:
                continue
        values = schedule_values(g, stages)
        if enforce and not _all_ic(g, stages, states, values, dev_cache):
            continue
        if not is_individually_rational(values[0], dis.values):
            continue
        rank = (nash_score(values[0], dis.values, g.beta), stage_key(g, stages))
        if best_rank is None or better(rank[0], rank[1], best_rank[0], best_rank[1]):
            best, best_rank = (stages, values[0]), rank
    if best is None:
        return OracleResult(None, None, seen)
    return OracleResult(best[0], best[1], seen)


def _all_ic(g: Game, stages: list[int], states: list[int], values: np.ndarray, cache: dict) -> bool:
    for k, stage in enumerate(stages):
        for p in range(g.n_parties):
            key = (states[k], stage, p)
            if key not in cache:
                dev = overt_deviation(g, states[k], stage, p)
                cache[key] = None if dev is None else dev.value
            d = cache[key]
            if d is not None and values[k, p] < d - TOLERANCE:
                return False
    return True


def describe(g: Game, stages: list[int] | None) -> list[list[str]] | None:
    return None if stages is None else [g.ids(s) for s in stages]


__all__ = ["OracleResult", "all_schedules", "bits", "describe", "oracle_solve", "valid_stages"]
