"""Overt deviations and snapback (MODEL.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass

from detente.model.game import Game, bits
from detente.model.payoffs import flow_utility


@dataclass(frozen=True)
class Deviation:
    """p's best deviation: skip its moves of the stage and reverse ``reversed``."""

    value: float
    skipped: int
    reversed: int
    snapped: int  # the other parties' moves that snap back afterwards


def reverses(g: Game, p: int, candidates: int) -> int:
    """The moves of ``candidates`` (p's own, reversible) whose reversal pays p."""
    out = 0
    for m in bits(candidates):
        if g.reversal_pays(m):
            out |= 1 << m
    return out


def snapback(g: Game, x: int, p: int) -> int:
    """Moves of x owned by others than p that their owner would reverse once p defects."""
    out = 0
    for m in bits(x):
        if g.owner[m] != p and g.reversal_pays(m):
            out |= 1 << m
    return out


def reversal_total(g: Game, mask: int) -> float:
    total = 0.0
    for m in bits(mask):
        total += g.reversal_cost[m]
    return float(total)


def overt_deviation(g: Game, s_prev: int, stage: int, p: int) -> Deviation | None:
    """D_p(k) of section 4, or None when p has no deviation at this stage.

    A party with moves in the stage skips them all and reverses every own reversible move
    whose reversal pays. A party without moves in the stage can only reverse: every paying
    reversal, or if none pays the least costly single one; with nothing reversible it has
    no deviation.
    """
    own = g.owned(p)
    skipped = stage & own
    own_reversible = s_prev & own & _reversible_mask(g)
    reversed_ = reverses(g, p, own_reversible)
    if not skipped:
        if not own_reversible:
            return None
        if not reversed_:
            reversed_ = 1 << _least_costly(g, p, own_reversible)
    x = (s_prev | (stage & ~own)) & ~reversed_
    snapped = snapback(g, x, p)
    y = x & ~snapped
    d = g.delta[p]
    value = (
        flow_utility(g, x, p)
        - reversal_total(g, reversed_)
        + d * (flow_utility(g, y, p) - g.penalty[p]) / (1.0 - d)
    )
    return Deviation(float(value), skipped, reversed_, snapped)


def _reversible_mask(g: Game) -> int:
    out = 0
    for m in range(g.n_moves):
        if g.reversible[m]:
            out |= 1 << m
    return out


def _least_costly(g: Game, p: int, candidates: int) -> int:
    """The single reversal that loses p the least: min reversal_cost + (−flow)/(1−δ)... negated.

    Reversing m changes p's deviation value by −reversal_cost_m − flow[m, p]/(1 − δ_p);
    the least costly reversal maximises that change (ties: lowest index).
    """
    d = g.delta[p]
    return max(bits(candidates), key=lambda m: (-g.reversal_cost[m] - g.flow[m, p] / (1.0 - d), -m))
