"""A scenario compiled to arrays: the plain data every solver and audit works on.

Moves are indexed free moves first, then the initial ones, each group sorted by id. A set of
moves is an ``int`` bit mask over these indices. Because free moves are sorted by id, comparing
stages as sorted id lists (docs/model.md, "Which deal"'s tie-break) is comparing their bit masks from the
lowest bit up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from detente.scenario.model import Move, Party, Scenario

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
TOLERANCE = 1e-9  # docs/model.md, "Deviations": IC holds within this tolerance


@dataclass(frozen=True, eq=False)
class Game:
    """Arrays for one resolved scenario. ``flow[m, p]`` = value_m[p] − [owner(m) = p]·cost_m."""

    party_ids: tuple[str, ...]
    move_ids: tuple[str, ...]
    n_free: int
    owner: IntArray
    flow: FloatArray
    upfront: FloatArray
    reversible: NDArray[np.bool_]
    reversal_cost: FloatArray
    lag: IntArray  # reversal_lag L_m: periods from deciding to undo m until it is undone
    verifiability: FloatArray
    verifiability_with: FloatArray  # [m, e]: verifiability of m while e is in effect, or -1
    requires: tuple[int, ...]  # mask of required moves, per move
    delta: FloatArray
    unreciprocated: FloatArray
    penalty: FloatArray
    beta: FloatArray
    initial: int
    max_stage_moves: int
    max_stages: int

    @property
    def n_parties(self) -> int:
        return len(self.party_ids)

    @property
    def n_moves(self) -> int:
        return len(self.move_ids)

    @property
    def free(self) -> int:
        return (1 << self.n_free) - 1

    def owned(self, p: int) -> int:
        """Mask of the moves party ``p`` owns."""
        masks = self.__dict__.get("_owned")
        if masks is None:
            masks = tuple(_mask(int(i) for i in np.flatnonzero(self.owner == q)) for q in range(self.n_parties))
            object.__setattr__(self, "_owned", masks)
        return masks[p]  # type: ignore[no-any-return]

    @property
    def paying(self) -> int:
        """Mask of the moves whose owner would undo them (:meth:`reversal_pays`)."""
        mask = self.__dict__.get("_paying")
        if mask is None:
            # reversal_pays for every move at once: the same products and comparisons
            moves = np.arange(self.n_moves)
            saved = -self.flow[moves, self.owner] * self.tail[self.owner, moves]
            mask = _mask(np.flatnonzero(self.reversible & (saved > self.reversal_cost)))
            object.__setattr__(self, "_paying", mask)
        return mask

    @property
    def reversible_mask(self) -> int:
        mask = self.__dict__.get("_reversible")
        if mask is None:
            mask = _mask(int(i) for i in np.flatnonzero(self.reversible))
            object.__setattr__(self, "_reversible", mask)
        return mask

    def reversal_pays(self, m: int) -> bool:
        """docs/model.md, "Deviations": the owner o undoes m iff what it saves once the move is
        gone, δ_o^L (cost − value_o)/(1 − δ_o), exceeds the reversal cost."""
        o = int(self.owner[m])
        return bool(self.reversible[m]) and -self.flow[m, o] * self.tail[o, m] > self.reversal_cost[m]

    @property
    def perpetuity(self) -> FloatArray:
        """a_p(∞) = 1/(1 − δ_p): the present value of a flow of 1 forever."""
        return 1.0 / (1.0 - self.delta)

    @property
    def tail(self) -> FloatArray:
        """[p, m]: δ_p^{L_m}/(1 − δ_p), a flow of 1 from L_m periods on, forever."""
        return _tables(self)[0]

    @property
    def lasting(self) -> FloatArray:
        """[p, m]: a_p(L_m) = (1 − δ_p^{L_m})/(1 − δ_p), a flow of 1 for L_m periods (a move its
        owner undoes stays in effect that long)."""
        return _tables(self)[1]

    @property
    def lasting_next(self) -> FloatArray:
        """[p, m]: a_p(1 + L_m), a flow of 1 for 1 + L_m periods (a move another party decides to
        undo from the next period on)."""
        return _tables(self)[2]

    def mask(self, move_ids: tuple[str, ...] | list[str] | set[str]) -> int:
        index = {mid: i for i, mid in enumerate(self.move_ids)}
        return _mask(index[mid] for mid in move_ids)

    def ids(self, mask: int) -> list[str]:
        """The move ids of a mask, sorted."""
        return sorted(self.move_ids[i] for i in bits(mask))


def _tables(g: Game) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The present-value weights of docs/model.md, "Deviations", computed once per game."""
    cached = g.__dict__.get("_weights")
    if cached is None:
        cached = presence_weights(g.delta, g.lag)
        object.__setattr__(g, "_weights", cached)
    return cached


def presence_weights(delta: FloatArray, lag: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(tail, lasting, lasting_next) of :class:`Game`, for discounts ``delta`` and lags ``lag``.

    a(n) = (1 − δ^n)/(1 − δ); tail = δ^L/(1 − δ) = a(∞) − a(L). The solver's kernels take these
    very arrays, so that the reference functions and the kernels agree bit for bit."""
    d = delta[:, None]
    lag_f = lag[None, :].astype(np.float64)
    powers = d**lag_f
    tail = powers / (1.0 - d)
    lasting = (1.0 - powers) / (1.0 - d)
    lasting_next = (1.0 - powers * d) / (1.0 - d)
    return tail, lasting, lasting_next


def bits(mask: int) -> list[int]:
    """Indices of the set bits of ``mask``, ascending."""
    out = []
    while mask:
        low = mask & -mask  # the lowest set bit
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _mask(indices: object) -> int:
    out = 0
    for i in indices:  # type: ignore[attr-defined]
        out |= 1 << int(i)
    return out


def compile_game(scenario: Scenario) -> Game:
    """Build the :class:`Game` of a resolved scenario (docs/model.md, "Flows and values" and "Which deal")."""
    initial = set(scenario.initial)
    free = sorted(m.id for m in scenario.moves if m.id not in initial)
    fixed = sorted(initial)
    order = free + fixed
    index = {mid: i for i, mid in enumerate(order)}
    parties = tuple(p.id for p in scenario.parties)
    pindex = {pid: i for i, pid in enumerate(parties)}
    by_id = {m.id: m for m in scenario.moves}
    n, k = len(order), len(parties)

    owner = np.empty(n, dtype=np.int64)
    rows = _MoveRows(np.zeros((n, k)), np.zeros(n), np.zeros(n, dtype=np.bool_), np.zeros(n),
                     np.zeros(n, dtype=np.int64), np.ones(n), np.full((n, n), -1.0))
    requires = []
    for i, mid in enumerate(order):
        m = by_id[mid]
        owner[i] = pindex[m.owner]
        rows.fill(i, m, pindex, index)
        requires.append(_mask(index[r] for r in m.requires))

    return Game(
        party_ids=parties,
        move_ids=tuple(order),
        n_free=len(free),
        owner=owner,
        flow=rows.flow,
        upfront=rows.upfront,
        reversible=rows.reversible,
        reversal_cost=rows.reversal_cost,
        lag=rows.lag,
        verifiability=rows.verifiability,
        verifiability_with=rows.verifiability_with,
        requires=tuple(requires),
        **_party_numbers(scenario.parties)._asdict(),
        initial=_mask(index[mid] for mid in fixed),
        max_stage_moves=scenario.solver.max_stage_moves,
        max_stages=scenario.solver.max_stages,
    )


def with_numbers(g: Game, moves: Sequence[Move], parties: Sequence[Party] | None) -> Game:
    """``g`` with these moves' numbers (and, if given, every party's) in place of its own: the
    game ``compile_game`` builds from the scenario they were resolved in, when every other
    move's numbers are the same in both (and every move's owner and requirements). The rows are filled by the very code of
    ``compile_game``, so the two agree bit for bit (a test)."""
    index = {mid: i for i, mid in enumerate(g.move_ids)}
    pindex = {pid: i for i, pid in enumerate(g.party_ids)}
    rows = _MoveRows(g.flow.copy(), g.upfront.copy(), g.reversible.copy(), g.reversal_cost.copy(),
                     g.lag.copy(), g.verifiability.copy(), g.verifiability_with.copy())
    for m in moves:
        i = index[m.id]
        rows.flow[i] = 0.0
        rows.verifiability_with[i] = -1.0
        rows.fill(i, m, pindex, index)
    numbers = _party_numbers(parties) if parties is not None else _PartyRows(g.delta, g.unreciprocated, g.penalty, g.beta)
    out = replace(
        g,
        flow=rows.flow,
        upfront=rows.upfront,
        reversible=rows.reversible,
        reversal_cost=rows.reversal_cost,
        lag=rows.lag,
        verifiability=rows.verifiability,
        verifiability_with=rows.verifiability_with,
        delta=numbers.delta,
        unreciprocated=numbers.unreciprocated,
        penalty=numbers.penalty,
        beta=numbers.beta,
    )
    g.owned(0)  # the same owners: the same masks, computed once for g
    object.__setattr__(out, "_owned", g.__dict__["_owned"])
    if "_reversible" in g.__dict__ and np.array_equal(out.reversible, g.reversible):
        object.__setattr__(out, "_reversible", g.__dict__["_reversible"])
    if np.array_equal(out.delta, g.delta) and np.array_equal(out.lag, g.lag):  # the same weights
        object.__setattr__(out, "_weights", _tables(g))
    return out


@dataclass(frozen=True)
class _MoveRows:
    """The per-move arrays of a :class:`Game`, one row per move."""

    flow: FloatArray
    upfront: FloatArray
    reversible: NDArray[np.bool_]
    reversal_cost: FloatArray
    lag: IntArray
    verifiability: FloatArray
    verifiability_with: FloatArray

    def fill(self, i: int, m: Move, pindex: dict[str, int], index: dict[str, int]) -> None:
        """Row i from move m (its flow row zero and its verifiability_with row −1 before)."""
        for pid, v in m.value.items():
            self.flow[i, pindex[pid]] += v
        self.flow[i, pindex[m.owner]] -= m.cost
        self.upfront[i] = m.upfront_cost
        self.reversible[i] = m.reversible
        self.reversal_cost[i] = m.reversal_cost
        self.lag[i] = m.reversal_lag
        self.verifiability[i] = m.verifiability
        for eid, v in m.verifiability_with.items():
            self.verifiability_with[i, index[eid]] = v


class _PartyRows(NamedTuple):
    """The per-party arrays of a :class:`Game`."""

    delta: FloatArray
    unreciprocated: FloatArray
    penalty: FloatArray
    beta: FloatArray


def _party_numbers(parties: Sequence[Party]) -> _PartyRows:
    """The per-party arrays of a :class:`Game`: discounts, one-time costs and bargaining weights."""
    delta = np.array([p.discount for p in parties])
    powers = [p.bargaining_power for p in parties]
    if all(b is not None for b in powers):
        beta = np.array(powers, dtype=float)
    else:
        beta = np.array([1.0 / (-math.log(d)) for d in delta])  # Rubinstein's limit ('Which deal' (docs/model.md))
    beta = beta / beta.sum()
    return _PartyRows(
        delta,
        np.array([p.unreciprocated_cost for p in parties]),
        np.array([p.defection_penalty for p in parties]),
        beta,
    )
