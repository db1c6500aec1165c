"""Seeded random two-party exchange problems for the solver benchmarks.

Moves alternate between the parties; each costs its owner and is worth more to the other
(gains from trade), some are reversible, a few are imperfectly verifiable, so that
self-enforcing deals exist and the frontiers are realistic rather than empty.
"""

from __future__ import annotations

import numpy as np

from detente.scenario.model import Move, Party, Scenario
from detente.scenario.schema import SolverSpec


def random_scenario(
    n_free: int, seed: int, max_stage_moves: int = 2, max_stages: int = 8, n_initial: int = 2
) -> Scenario:
    rng = np.random.default_rng(seed)
    parties = (
        Party("a", "A", float(rng.choice([0.85, 0.9, 0.95])), 0.5, float(rng.uniform(1, 3))),
        Party("b", "B", float(rng.choice([0.85, 0.9, 0.95])), 0.5, float(rng.uniform(1, 3))),
    )
    moves = []
    for i in range(n_free + n_initial):
        owner, other = ("a", "b") if i % 2 == 0 else ("b", "a")
        reversible = bool(rng.random() < 0.5)
        moves.append(
            Move(
                id=f"m{i:02d}",
                owner=owner,
                label=f"move {i}",
                cost=round(float(rng.uniform(0.5, 2.0)), 2),
                value={other: round(float(rng.uniform(1.0, 3.0)), 2)},
                upfront_cost=float(rng.choice([0.0, 0.0, 0.5])),
                reversible=reversible,
                reversal_cost=round(float(rng.uniform(0.0, 1.0)), 2) if reversible else 0.0,
                verifiability=float(rng.choice([1.0, 1.0, 1.0, 0.5])),
            )
        )
    initial = tuple(m.id for m in moves[n_free:])
    return Scenario(
        id=f"random-{n_free}-{seed}",
        title="random",
        parties=parties,
        moves=tuple(moves),
        initial=initial,
        solver=SolverSpec(max_stage_moves=max_stage_moves, max_stages=max_stages),
    )
