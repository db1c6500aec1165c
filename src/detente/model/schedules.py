"""Every valid schedule of a small game, in the tie-break order of docs/model.md, "Which deal".

A stage is valid when it is non-empty, each party owns at most ``max_stage_moves`` of its moves,
and every move's ``requires`` is in effect by the end of the stage; a schedule has at most
``max_stages`` stages. The count grows faster than 3^n for n free moves, so callers bound it.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import numpy as np

from detente.errors import SolverLimitError
from detente.model.game import Game
from detente.model.payoffs import missing_requirements


def valid_stages(g: Game, s: int) -> Iterator[int]:
    """Every valid stage from state ``s``, smaller stages first."""
    remaining = [m for m in range(g.n_free) if not (s >> m) & 1]
    for size in range(1, len(remaining) + 1):
        for combo in combinations(remaining, size):
            counts = np.bincount(g.owner[list(combo)], minlength=g.n_parties)
            if counts.max() > g.max_stage_moves:
                continue
            stage = sum(1 << m for m in combo)
            if any((stage >> m) & 1 for m, _ in missing_requirements(g, s | stage)):
                continue
            yield stage


def all_schedules(g: Game, limit: int) -> list[list[int]]:
    """Every valid schedule from the status quo, or a SolverLimitError past ``limit`` of them."""
    out: list[list[int]] = []

    def extend(s: int, prefix: list[int]) -> None:
        if prefix:
            out.append(prefix)
            if len(out) > limit:
                raise SolverLimitError(
                    f"more than {limit:,} valid schedules: too many to list every one "
                    '(use candidates = "solver" or "proposals")'
                )
        if len(prefix) == g.max_stages:
            return
        for stage in valid_stages(g, s):
            extend(s | stage, prefix + [stage])

    extend(g.initial, [])
    return out
