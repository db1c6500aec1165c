"""Which agreement: the disagreement point and the asymmetric Nash product (docs/model.md,
"Which deal")."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from detente.model.deviation import lagged_value, reversal_total
from detente.model.game import TOLERANCE, FloatArray, Game, bits


@dataclass(frozen=True)
class Disagreement:
    """No deal: the initial moves whose owners would reverse them, and each party's value."""

    values: FloatArray
    state: int  # s_0*
    reversed: int  # initial moves that would not survive without a deal


def disagreement(g: Game) -> Disagreement:
    """No deal: every initial move whose owner gains by undoing it is undone, after its lag;
    d_p = Σ_{m ∈ s_0} net_m[p]·a_p(n_m) − p's reversal costs, n_m = L_m for the moves undone.
    Kept on the game (read-only), which the solver, the offers game and the play all ask."""
    kept = g.__dict__.get("_disagreement")
    if kept is not None:
        return kept  # type: ignore[no-any-return]
    reversed_ = g.initial & g.paying
    state = g.initial & ~reversed_
    values = np.empty(g.n_parties)
    for p in range(g.n_parties):
        own_reversed = reversed_ & g.owned(p)
        values[p] = lagged_value(g, g.initial, p, reversed_, 0) - reversal_total(g, own_reversed)
    values.setflags(write=False)
    out = Disagreement(values, state, reversed_)
    object.__setattr__(g, "_disagreement", out)
    return out


def is_individually_rational(values: FloatArray, d: FloatArray) -> bool:
    """V_p(1) ≥ d_p for all p, with some strict gain (tolerance as in 'Deviations' (docs/model.md))."""
    gains = values - d
    return bool(np.all(gains >= -TOLERANCE) and np.any(gains > TOLERANCE))


def nash_score(values: FloatArray, d: FloatArray, beta: FloatArray) -> tuple[int, float]:
    """Σ β_p log(V_p − d_p), made total: (number of parties who gain, Σ over those who gain).

    The asymmetric Nash product is −∞ whenever some party gains nothing; 'Which deal' (docs/model.md) still
    admits such schedules. Ranking first by how many parties gain and then by the log-product
    over them keeps the product's order where it is finite and ranks the rest sensibly
    (docs/model.md, "Ties and zero gains").
    """
    gains = values - d
    positive = gains > TOLERANCE
    score = 0.0
    for p in np.flatnonzero(positive):
        score += float(beta[p]) * math.log(float(gains[p]))
    return int(positive.sum()), score


def stage_key(g: Game, stages: list[int]) -> tuple[int, tuple[tuple[int, ...], ...]]:
    """Section 6's tie-break: fewer stages, then the stages' sorted move ids, lexicographically.

    Free moves are indexed in id order, so sorted indices order like sorted ids.
    """
    return len(stages), tuple(tuple(bits(s)) for s in stages)


def better(
    score_a: tuple[int, float],
    key_a: tuple[int, tuple[tuple[int, ...], ...]],
    score_b: tuple[int, float],
    key_b: tuple[int, tuple[tuple[int, ...], ...]],
) -> bool:
    """Whether schedule a is preferred to b: a higher score, then (within 1e−9) the smaller key."""
    if score_a[0] != score_b[0]:
        return score_a[0] > score_b[0]
    if abs(score_a[1] - score_b[1]) > TOLERANCE:
        return score_a[1] > score_b[1]
    return key_a < key_b
