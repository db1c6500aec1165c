"""The play of a schedule, compiled (docs/model.md, "The play of a schedule" and "Deviations").

Histories value every candidate schedule of every summit in every world by its play, thousands
of small backward inductions; in Python they were a quarter of a history's time. This is
:func:`detente.model.play.play`'s backward induction with exactly its operations, in its order
(sums over moves in index order, from 0.0; no fastmath), so that the values are the same bit for
bit: the Python code stays the reference, and a property test compares the two.
:func:`detente.model.play.play_values` calls it through :func:`play_values`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from detente.model.game import TOLERANCE, FloatArray, Game, IntArray

MAX_MOVES = 62  # masks are int64 here; a game with more moves is played in Python


class PlayArrays(NamedTuple):
    """One world's numbers, as the model's functions read them from the :class:`Game`."""

    flow: FloatArray  # [m, p]
    delta: FloatArray  # [p]
    lasting: FloatArray  # [p, m]
    lasting_next: FloatArray  # [p, m]
    tail: FloatArray  # [p, m]
    reversal_cost: FloatArray  # [m]
    upfront: FloatArray  # [m]
    unreciprocated: FloatArray  # [p]
    penalty: FloatArray  # [p]
    owner: IntArray  # [m]
    owned: IntArray  # [p]: mask of p's moves
    masks: IntArray  # [reversible, paying]


def arrays_of(g: Game) -> PlayArrays | None:
    """The arrays of ``g`` (kept on the game), or None when it has too many moves for int64 masks."""
    cached = g.__dict__.get("_play_arrays", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    out = None
    if g.n_moves <= MAX_MOVES:
        f64 = np.float64
        out = PlayArrays(
            np.ascontiguousarray(g.flow, dtype=f64),
            np.ascontiguousarray(g.delta, dtype=f64),
            np.ascontiguousarray(g.lasting, dtype=f64),
            np.ascontiguousarray(g.lasting_next, dtype=f64),
            np.ascontiguousarray(g.tail, dtype=f64),
            np.ascontiguousarray(g.reversal_cost, dtype=f64),
            np.ascontiguousarray(g.upfront, dtype=f64),
            np.ascontiguousarray(g.unreciprocated, dtype=f64),
            np.ascontiguousarray(g.penalty, dtype=f64),
            np.ascontiguousarray(g.owner, dtype=np.int64),
            np.array([g.owned(p) for p in range(g.n_parties)], dtype=np.int64),
            np.array([g.reversible_mask, g.paying], dtype=np.int64),
        )
    object.__setattr__(g, "_play_arrays", out)
    return out


def play_values(g: Game, stages: list[int]) -> FloatArray | None:
    """W(1) of the play of ``stages`` in ``g``, or None if ``g`` is too large for the kernel."""
    arrays = arrays_of(g)
    if arrays is None:
        return None
    return _play(arrays, np.int64(g.initial), np.array(stages, dtype=np.int64))  # type: ignore[no-any-return]


@njit(cache=True, nogil=True)
def _flow_utility(A, s, p):  # type: ignore[no-untyped-def]
    """u_p(s): ``model.payoffs.flow_utility``."""
    total = 0.0
    m = 0
    while (s >> m) != 0:
        if (s >> m) & 1:
            total += A.flow[m, p]
        m += 1
    return total


@njit(cache=True, nogil=True)
def _one_time_cost(A, stage, p):  # type: ignore[no-untyped-def]
    """o_p(S): ``model.payoffs.one_time_cost``."""
    total = 0.0
    alone = stage != 0
    m = 0
    while (stage >> m) != 0:
        if (stage >> m) & 1:
            if A.owner[m] == p:
                total += A.upfront[m]
            else:
                alone = False
        m += 1
    if alone:
        total += A.unreciprocated[p]
    return total


@njit(cache=True, nogil=True)
def _reversal_total(A, mask):  # type: ignore[no-untyped-def]
    """``model.deviation.reversal_total``."""
    total = 0.0
    m = 0
    while (mask >> m) != 0:
        if (mask >> m) & 1:
            total += A.reversal_cost[m]
        m += 1
    return total


@njit(cache=True, nogil=True)
def _lagged_value(A, x, p, undone, snapped):  # type: ignore[no-untyped-def]
    """``model.deviation.lagged_value``."""
    perp = 1.0 / (1.0 - A.delta[p])
    total = 0.0
    m = 0
    while (x >> m) != 0:
        if (x >> m) & 1:
            if (undone >> m) & 1:
                w = A.lasting[p, m]
            elif (snapped >> m) & 1:
                w = A.lasting_next[p, m]
            else:
                w = perp
            total += A.flow[m, p] * w
        m += 1
    return total


@njit(cache=True, nogil=True)
def _deviation(A, s_prev, stage, p, absent, out_reversed):  # type: ignore[no-untyped-def]
    """D_p(k) of ``model.deviation._overt_deviation``; returns (has one, value), and writes the
    moves p reverses to ``out_reversed[p]``."""
    own = A.owned[p]
    skipped = stage & own
    own_reversible = s_prev & own & A.masks[0]
    paying = A.masks[1]
    reversed_ = own_reversible & paying
    if skipped == 0:
        if own_reversible == 0:
            out_reversed[p] = 0
            return False, np.nan
        if reversed_ == 0:  # the least costly single reversal (ties: the lowest index)
            best = -1
            best_val = 0.0
            m = 0
            while (own_reversible >> m) != 0:
                if (own_reversible >> m) & 1:
                    v = -A.flow[m, p] * A.tail[p, m] - A.reversal_cost[m]
                    if best < 0 or v > best_val:
                        best = m
                        best_val = v
                m += 1
            reversed_ = np.int64(1) << best
    x = s_prev | (stage & ~own & ~absent)
    snapped = x & ~reversed_ & paying & ~own
    d = A.delta[p]
    value = _lagged_value(A, x, p, reversed_, snapped) - _reversal_total(A, reversed_) - d * A.penalty[p] / (1.0 - d)
    out_reversed[p] = reversed_
    return True, value


@njit(cache=True, nogil=True)
def _step(A, s_prev, stage, comply, has, dev, rev):  # type: ignore[no-untyped-def]
    """W(k) from C(k) in place in ``comply``: ``model.play._step``."""
    n = comply.shape[0]
    quit_own = np.int64(0)
    n_quit = 0
    for p in range(n):
        has[p], dev[p] = _deviation(A, s_prev, stage, p, np.int64(0), rev)
        if has[p] and comply[p] < dev[p] - TOLERANCE:
            quit_own |= A.owned[p]
            n_quit += 1
            has[p] = True
        else:
            has[p] = False  # from here on: whether p quits
    if n_quit == 0:
        return
    absent = stage & quit_own
    undone = np.int64(0)
    for p in range(n):
        if has[p]:
            _, comply[p] = _deviation(A, s_prev, stage, p, absent & ~A.owned[p], rev)
            undone |= rev[p]
    performed = stage & ~absent
    x = s_prev | performed
    paying = A.masks[1]
    snapped = np.int64(0)  # every non-quitter's own snapback
    rest = x & ~undone
    m = 0
    while (rest >> m) != 0:
        if ((rest >> m) & 1) != 0 and ((paying >> m) & 1) != 0 and not has[A.owner[m]]:
            snapped |= np.int64(1) << m
        m += 1
    for q in range(n):
        if has[q]:
            continue
        own_snap = snapped & A.owned[q]
        comply[q] = (
            _lagged_value(A, x, q, undone, snapped)
            - _one_time_cost(A, performed, q)
            - A.delta[q] * _reversal_total(A, own_snap)
        )


@njit(cache=True, nogil=True)
def _play(A, initial, stages):  # type: ignore[no-untyped-def]
    """W(1) of ``model.play.play``: the backward induction from the final agreement."""
    n = A.delta.shape[0]
    k_count = stages.shape[0]
    states = np.empty(k_count + 1, dtype=np.int64)
    states[0] = initial
    for k in range(k_count):
        states[k + 1] = states[k] | stages[k]
    has = np.zeros(n, dtype=np.bool_)
    dev = np.empty(n)
    rev = np.zeros(n, dtype=np.int64)
    w = np.empty(n)
    for p in range(n):
        w[p] = _flow_utility(A, states[k_count], p) / (1.0 - A.delta[p])
    _step(A, states[k_count], np.int64(0), w, has, dev, rev)
    for k in range(k_count - 1, -1, -1):
        for p in range(n):
            w[p] = _flow_utility(A, states[k + 1], p) - _one_time_cost(A, stages[k], p) + A.delta[p] * w[p]
        _step(A, states[k], stages[k], w, has, dev, rev)
    return w
