"""Overt deviations and snapback, with reversal lags (docs/model.md, "Deviations").

A deviator p at stage k skips its moves of the stage and may decide to undo R, a set of its own
reversible moves in effect; the others' moves of the stage happen anyway. Every move then stays
in effect for n_m periods counted from period k, with a_p(n) = (1 − δ_p^n)/(1 − δ_p):

    n_m = L_m       m ∈ R (p undoes its own move; L_m its reversal lag)
    n_m = 1 + L_m   m owned by q ≠ p, reversible, and undoing it pays q (snapback)
    n_m = ∞         otherwise

    D_p(k) = Σ_m net_m[p]·a_p(n_m) − Σ_{m∈R} reversal_cost_m − δ_p·penalty_p/(1 − δ_p)

With every lag 0 this is the lag-free formula: own reversals count for no period, snapped
moves for one, the rest forever.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.model.game import Game, bits


@dataclass(frozen=True)
class Deviation:
    """p's best deviation: skip its moves of the stage and reverse ``reversed``."""

    value: float
    skipped: int
    reversed: int
    snapped: int  # the other parties' moves that snap back afterwards


def reverses(g: Game, p: int, candidates: int) -> int:
    """The moves of ``candidates`` (p's own, reversible) whose reversal pays p."""
    return candidates & g.paying


def snapback(g: Game, x: int, p: int) -> int:
    """Moves of x owned by others than p that their owner would reverse once p defects."""
    return x & g.paying & ~g.owned(p)


def reversal_total(g: Game, mask: int) -> float:
    total = 0.0
    for m in bits(mask):
        total += g.reversal_cost[m]
    return float(total)


def lagged_value(g: Game, x: int, p: int, undone: int, snapped: int) -> float:
    """Σ_{m ∈ x} net_m[p]·a_p(n_m): ``undone`` last L_m periods, ``snapped`` 1 + L_m, the rest
    forever. Summed in move order, as the compiled kernels do."""
    perp = 1.0 / (1.0 - float(g.delta[p]))
    lasting = g.lasting
    lasting_next = g.lasting_next
    total = 0.0
    for m in bits(x):
        if (undone >> m) & 1:
            w = lasting[p, m]
        elif (snapped >> m) & 1:
            w = lasting_next[p, m]
        else:
            w = perp
        total += g.flow[m, p] * w
    return float(total)


def penalty_value(g: Game, p: int) -> float:
    """δ_p·penalty_p/(1 − δ_p): the defection penalty from the next period on, forever."""
    d = float(g.delta[p])
    return d * float(g.penalty[p]) / (1.0 - d)


def overt_deviation(g: Game, s_prev: int, stage: int, p: int, absent: int = 0) -> Deviation | None:
    """D_p(k) of docs/model.md, "Deviations", or None when p has no deviation at this stage.

    A party with moves in the stage skips them all and undoes every own reversible move whose
    reversal pays. A party without moves in the stage can only undo: every paying reversal, or
    if none pays the least costly single one; with nothing reversible it has no deviation.
    ``absent``: other moves of the stage that do not happen either (other parties quitting at
    the same stage, in the play of a schedule).
    """
    key = (s_prev, stage, p, absent)
    cache = g.__dict__.setdefault("_deviations", {})
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    dev = _overt_deviation(g, s_prev, stage, p, absent)
    cache[key] = dev
    return dev


def _overt_deviation(g: Game, s_prev: int, stage: int, p: int, absent: int) -> Deviation | None:
    own = g.owned(p)
    skipped = stage & own
    own_reversible = s_prev & own & g.reversible_mask
    reversed_ = reverses(g, p, own_reversible)
    if not skipped:
        if not own_reversible:
            return None
        if not reversed_:
            reversed_ = 1 << _least_costly(g, p, own_reversible)
    x = s_prev | (stage & ~own & ~absent)
    snapped = snapback(g, x & ~reversed_, p)
    value = lagged_value(g, x, p, reversed_, snapped) - reversal_total(g, reversed_) - penalty_value(g, p)
    return Deviation(float(value), skipped, reversed_, snapped)


def _least_costly(g: Game, p: int, candidates: int) -> int:
    """The single reversal that loses p the least.

    Undoing m changes p's deviation value by −δ_p^{L_m}·net_m[p]/(1 − δ_p) − reversal_cost_m;
    the least costly reversal maximises that change (ties: lowest index).
    """
    tail = g.tail
    return max(bits(candidates), key=lambda m: (-g.flow[m, p] * tail[p, m] - g.reversal_cost[m], -m))
