"""The play of a schedule when anyone may quit (docs/model.md, "The play of a schedule").

Backward induction under one world's numbers. At the end (stage K + 1) every party whose
overt deviation from the final agreement beats keeping it quits; at stage k every party with
C_p = u_p(s_k) − o_p(S_k) + δ_p·W_p(k+1) below its deviation D_p(k) (by more than the
tolerance) quits at once, and its moves of the stage do not happen. A quitter gets the
deviation value of docs/model.md, "Deviations", with the other quitters' moves of the stage
absent too. Every other party q keeps the moves in effect for as long as they last — the
quitters' reversals last their lag L, every non-quitter's own snapback (a reversible move whose
reversal pays its owner) starts the next period and lasts 1 + L — less q's one-time costs of
the stage as performed and δ_q times the reversal costs of its snapback. If nobody quits,
W(k) = C(k). For a self-enforcing schedule the play is compliance and W = V.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.model.deviation import Deviation, lagged_value, overt_deviation, reversal_total
from detente.model.game import TOLERANCE, FloatArray, Game, bits
from detente.model.payoffs import flow_utility, one_time_cost, states_of, stop_value


@dataclass(frozen=True)
class PlayStep:
    """One stage of the backward induction (stage K + 1 is keeping the final agreement)."""

    stage: int
    comply: FloatArray  # C_p: going on with the schedule, as it will then be played
    deviate: FloatArray  # D_p, NaN where p has no deviation
    quitters: tuple[int, ...]
    values: FloatArray  # W(k)
    deviations: tuple[Deviation | None, ...]


@dataclass(frozen=True)
class Play:
    """What happens to a schedule in one world: who quits first, when, and what all get."""

    values: FloatArray  # W(1) per party
    steps: tuple[PlayStep, ...]  # stage 1 first, the final agreement last
    ends_at: int | None  # the first stage at which someone quits (K + 1: the final agreement)
    quitters: tuple[int, ...]  # who quits there

    @property
    def complied(self) -> bool:
        return self.ends_at is None


def play(g: Game, stages: list[int]) -> Play:
    """The play of ``stages`` (stage masks) in the world ``g``."""
    states = states_of(g, stages)
    k_count = len(stages)
    n = g.n_parties
    steps: list[PlayStep] = []
    keep = np.array([stop_value(g, states[-1], p) for p in range(n)])
    w = _step(g, states[-1], 0, keep, k_count + 1, steps)
    for k in range(k_count - 1, -1, -1):
        comply = np.array(
            [
                flow_utility(g, states[k + 1], p) - one_time_cost(g, stages[k], p) + float(g.delta[p]) * w[p]
                for p in range(n)
            ]
        )
        w = _step(g, states[k], stages[k], comply, k + 1, steps)
    steps.reverse()
    first = next((st for st in steps if st.quitters), None)
    return Play(
        values=w,
        steps=tuple(steps),
        ends_at=None if first is None else first.stage,
        quitters=() if first is None else first.quitters,
    )


def play_values(g: Game, stages: list[int]) -> FloatArray:
    """W(1) of :func:`play` alone (read-only), kept on the game per schedule. Computed by the
    compiled backward induction of :mod:`detente.solvers._play_kernel` (the same operations in
    the same order: the same bits), or, for a game with too many moves for its masks, by
    :func:`_python_values`."""
    plays: dict[tuple[int, ...], FloatArray] = g.__dict__.setdefault("_plays", {})
    key = tuple(stages)
    w = plays.get(key)
    if w is None:
        from detente.solvers._play_kernel import play_values as compiled  # numba only when used

        w = compiled(g, stages)
        if w is None:
            w = _python_values(g, stages)
        plays[key] = w
    return w


def _python_values(g: Game, stages: list[int]) -> FloatArray:
    """W(1) of :func:`play` alone. W(k) depends only on s_{k−1} and the stages from k on, so it
    is kept on the game under that key: plays of schedules that end alike share their backward
    induction, with the same arithmetic in the same order."""
    cache: dict[tuple[int, tuple[int, ...]], FloatArray] = g.__dict__.setdefault("_play_values", {})
    states = states_of(g, stages)
    k_count = len(stages)
    n = g.n_parties
    scratch: list[PlayStep] = []
    keys = [(states[k], tuple(stages[k:])) for k in range(k_count + 1)]
    top = next((k for k in range(k_count + 1) if keys[k] in cache), None)  # the longest suffix known
    if top is None:
        keep = np.array([stop_value(g, states[-1], p) for p in range(n)])
        w = cache[keys[k_count]] = _step(g, states[-1], 0, keep, k_count + 1, scratch)
        top = k_count
    else:
        w = cache[keys[top]]
    for k in range(top - 1, -1, -1):
        comply = np.array(
            [
                flow_utility(g, states[k + 1], p) - one_time_cost(g, stages[k], p) + float(g.delta[p]) * w[p]
                for p in range(n)
            ]
        )
        w = cache[keys[k]] = _step(g, states[k], stages[k], comply, k + 1, scratch)
    return w


def _step(g: Game, s_prev: int, stage: int, comply: FloatArray, k: int, steps: list[PlayStep]) -> FloatArray:
    """W(k) from C(k): who quits at stage k (from state ``s_prev``), and what each party gets."""
    n = g.n_parties
    devs = tuple(overt_deviation(g, s_prev, stage, p) for p in range(n))
    deviate = np.array([np.nan if d is None else d.value for d in devs])
    quitters = tuple(p for p in range(n) if devs[p] is not None and comply[p] < deviate[p] - TOLERANCE)
    if not quitters:
        steps.append(PlayStep(k, comply, deviate, (), comply.copy(), devs))
        return comply.copy()
    quit_own = 0
    for p in quitters:
        quit_own |= g.owned(p)
    absent = stage & quit_own
    values = np.empty(n)
    undone = 0
    final_devs: list[Deviation | None] = list(devs)
    for p in quitters:
        dev = overt_deviation(g, s_prev, stage, p, absent=absent & ~g.owned(p))
        assert dev is not None  # p had a deviation, and removing others' moves keeps it
        final_devs[p] = dev
        values[p] = dev.value
        undone |= dev.reversed
    performed = stage & ~absent
    x = s_prev | performed
    snapped = 0  # every non-quitter's own snapback
    for m in bits(x & ~undone):
        if int(g.owner[m]) not in quitters and g.reversal_pays(m):
            snapped |= 1 << m
    for q in range(n):
        if q in quitters:
            continue
        own_snap = snapped & g.owned(q)
        values[q] = (
            lagged_value(g, x, q, undone, snapped)
            - one_time_cost(g, performed, q)
            - float(g.delta[q]) * reversal_total(g, own_snap)
        )
    steps.append(PlayStep(k, comply, deviate, quitters, values, tuple(final_devs)))
    return values
