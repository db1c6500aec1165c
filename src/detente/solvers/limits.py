"""How big a problem the exact solver attempts (MODEL.md section 7: limits are explicit)."""

from __future__ import annotations

from math import comb

from detente.errors import SolverLimitError
from detente.model.game import Game

MAX_FREE_MOVES = 24  # 2^24 states: the per-state tables alone take about 400 MB
MAX_TOTAL_MOVES = 62  # masks are 64-bit integers in the compiled kernel


def transition_bound(g: Game) -> int:
    """Upper bound on (state, stage) pairs the DP visits, ignoring ``requires``.

    For a party with n free moves and at most m per stage: Σ_r C(n, r) Σ_{j ≤ m} C(n − r, j)
    (r of its moves already in effect). Parties choose independently, so the bound is the
    product over parties, less the empty stage at each of the 2^n states.
    """
    m = g.max_stage_moves
    total = 1
    for p in range(g.n_parties):
        n = sum(1 for i in range(g.n_free) if g.owner[i] == p)
        total *= sum(comb(n, r) * sum(comb(n - r, j) for j in range(min(m, n - r) + 1)) for r in range(n + 1))
    return total - (1 << g.n_free)


def check_size(g: Game, max_transitions: int) -> int:
    """Refuse, with the numbers, a problem the exact DP would take hours over."""
    if g.n_moves > MAX_TOTAL_MOVES:
        raise SolverLimitError(
            f"{g.n_moves} moves: the exact solver handles at most {MAX_TOTAL_MOVES} moves in all"
        )
    if g.n_free > MAX_FREE_MOVES:
        raise SolverLimitError(
            f"{g.n_free} free moves: the exact solver handles at most {MAX_FREE_MOVES} "
            "(2^n states); fix some moves in scenario.initial or drop some"
        )
    bound = transition_bound(g)
    if bound > max_transitions:
        raise SolverLimitError(
            f"up to {bound:,} (state, stage) transitions exceed solver.max_transitions = "
            f"{max_transitions:,}; lower solver.max_stage_moves, drop moves, or raise the limit"
        )
    return bound
