"""The compiled kernels' inputs, built here and nowhere else.

numba takes named tuples, so each kernel takes a few named bundles instead of dozens of
positional arrays:

- :class:`Agents`: per agent, the numbers of the world it lives in. The plain solve has one
  agent per party (its scenario's numbers); the type-robust solve one per (party, type), each in
  its type's world. Deviations, one-time costs and the final agreement's checks read only this
  bundle, so the plain and the robust DP share one implementation of them (``_common``).
- :class:`Moves`: what is common to every agent: the moves, who may do which in a stage, the
  limits of the search.
- :class:`Store`: the frontier entries of every state (see ``dp``), one flat set of arrays.

A plan's values are computed from these arrays with exactly the arithmetic of
:mod:`detente.model.payoffs` and :mod:`detente.model.deviation`, so that the solver and the
audit agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from detente.model.game import FloatArray, Game, IntArray
from detente.model.stability import MAX_EXHAUSTIVE_CHEATS


class Agents(NamedTuple):
    """Per agent a (a party, or a (party, type) pair): its world's numbers."""

    party: IntArray  # [a]: its party
    own: IntArray  # [a]: mask of its party's moves
    own_rev: IntArray  # [a]: its party's reversible moves
    own_pays: IntArray  # [a]: its own moves whose reversal pays it
    snap: IntArray  # [a]: the others' moves whose reversal pays their owner (its expected snapback)
    flow: FloatArray  # [m, a]: net flow of move m to a
    upfront: FloatArray  # [a, m]: upfront cost of m (paid by a if it owns m)
    rc: FloatArray  # [a, m]: reversal cost of m
    lasting: FloatArray  # [a, m]: a_a(L_m), see ``Game.lasting``
    lasting_next: FloatArray  # [a, m]: a_a(1 + L_m)
    tail: FloatArray  # [a, m]: δ_a^{L_m}/(1 − δ_a)
    verif: FloatArray  # [a, m]
    verif_with: FloatArray  # [a, m, e]
    unrec: FloatArray  # [a]: unreciprocated cost
    penalty: FloatArray  # [a]: defection penalty
    delta: FloatArray  # [a]: discount factor
    set_cost: FloatArray  # [a, k]: upfront costs of its party's set k of ``Moves.subsets``
    stage_cost: FloatArray  # [c, a]: o_a of the stage that combines the parties' sets as
    # ``Moves.strides`` numbers them (``_common.stage_costs``)


class Moves(NamedTuple):
    """The search's structure, the same for every agent."""

    n_free: int
    n_total: int
    n_parties: int
    requires: IntArray  # [m]: mask of the moves m requires
    initial: int  # mask of the moves in effect at the start
    subsets: IntArray  # per party, every set of its free moves of size 0..max_stage_moves
    offsets: IntArray  # [p]: where party p's sets start in ``subsets`` ([P]: the end)
    max_stages: int
    max_exhaustive: int  # covert cheats: every subset up to this many hidden moves
    most_stages: int  # most stages from one state: the product of the parties' set counts
    set_requires: IntArray  # [k]: what the moves of set k of ``subsets`` require, together
    strides: IntArray  # [p]: a stage whose party p uses its set i_p (its index in its part of
    # ``subsets``) is combination Σ_p i_p·strides[p] (< most_stages)
    into_start: IntArray  # [f + 1]: where the stages into state f start in ``into_*``; empty
    # when there are too many to keep (the passes then enumerate them: ``_common.into_edges``)
    into_from: NDArray[np.int32]  # [e]: the state a stage leads from
    into_combo: NDArray[np.int32]  # [e]: the stage's combination (see ``strides``)
    out_start: IntArray  # [f + 1]: the same stages by the state they lead from, in the order
    out_stage: NDArray[np.int32]  # of ``valid_stages``: the stage's moves
    out_combo: NDArray[np.int32]  # and its combination


class Store(NamedTuple):
    """Frontier entries, each a plan: values, stages, its first stage and the next entry.

    ``starts``/``counts`` locate a state's entries (stored in decreasing value of the first
    party). Narrow types where the range allows (stages ≤ 32, free moves ≤ 24, fewer than
    2^31 entries): the store is most of the solver's memory. ``suf1``/``sufj`` (two parties
    only): from each entry to its state's last, the largest V_1 and the fewest stages.
    """

    starts: IntArray  # [state]
    counts: NDArray[np.int32]  # [state]
    alive: NDArray[np.int8]  # [state]: 1 once some successor has entries (a state's stages
    # need only be looked at then, or if it can stop)
    val: FloatArray  # [entry, party]
    j: NDArray[np.int8]  # [entry]: number of stages
    stage: NDArray[np.int32]  # [entry]: its first stage (0 for "stop here")
    next: NDArray[np.int32]  # [entry]: the entry it continues with (−1: none)
    suf1: FloatArray  # [entry]
    sufj: NDArray[np.int8]  # [entry]


# Bytes a frontier entry takes in a Store, per party count (val, j, stage, next, suffixes).
def entry_bytes(n_parties: int) -> int:
    return 8 * n_parties + 1 + 4 + 4 + (9 if n_parties == 2 else 0)


def party_subsets(g: Game) -> tuple[IntArray, IntArray]:
    """Per party, every set of its free moves of size 0..max_stage_moves, the empty set first."""
    return _subsets(tuple(int(o) for o in g.owner), g.n_free, g.max_stage_moves, g.n_parties)


def _subsets(owner: tuple[int, ...], n_free: int, max_stage_moves: int, n_parties: int) -> tuple[IntArray, IntArray]:
    masks: list[int] = []
    offsets = [0]
    for p in range(n_parties):
        mine = [i for i in range(n_free) if owner[i] == p]
        for size in range(0, min(max_stage_moves, len(mine)) + 1):
            for combo in combinations(mine, size):
                masks.append(sum(1 << i for i in combo))
        offsets.append(len(masks))
    return np.array(masks, dtype=np.int64), np.array(offsets, dtype=np.int64)


def moves_of(g: Game) -> Moves:
    """The structure of a game's search (the same for every game of one shape: shared)."""
    return _structure(_shape(g))


class _Shape(NamedTuple):
    """What the search's structure depends on: who owns which move and what it requires, not
    the numbers."""

    n_free: int
    n_moves: int
    n_parties: int
    owner: tuple[int, ...]
    requires: tuple[int, ...]
    initial: int
    max_stage_moves: int
    max_stages: int


def _shape(g: Game) -> _Shape:
    return _Shape(g.n_free, g.n_moves, g.n_parties, tuple(int(o) for o in g.owner), g.requires, g.initial,
                  g.max_stage_moves, g.max_stages)


# Stages between states kept with a shape at most (24 bytes each, both ways; hanoi-2019 has 41,472).
EDGE_CAP = 1 << 20


@lru_cache(maxsize=8)
def _structure(shape: _Shape) -> Moves:
    """The :class:`Moves` of a shape. A simulation's worlds all share one: it is built once."""
    from detente.solvers._common import into_edges, out_edges  # _common reads this module's bundles

    subsets, offsets = _subsets(shape.owner, shape.n_free, shape.max_stage_moves, shape.n_parties)
    most = 1
    strides = np.empty(shape.n_parties, dtype=np.int64)
    for p in range(shape.n_parties):
        strides[p] = most
        most *= int(offsets[p + 1] - offsets[p])
    moves = Moves(
        n_free=shape.n_free,
        n_total=shape.n_moves,
        n_parties=shape.n_parties,
        requires=np.array(shape.requires, dtype=np.int64),
        initial=shape.initial,
        subsets=subsets,
        offsets=offsets,
        max_stages=shape.max_stages,
        max_exhaustive=MAX_EXHAUSTIVE_CHEATS,
        most_stages=most,
        set_requires=np.array([_union(shape.requires, int(k)) for k in subsets], dtype=np.int64),
        strides=strides,
        into_start=np.zeros(0, dtype=np.int64),
        into_from=np.zeros(0, dtype=np.int32),
        into_combo=np.zeros(0, dtype=np.int32),
        out_start=np.zeros(0, dtype=np.int64),
        out_stage=np.zeros(0, dtype=np.int32),
        out_combo=np.zeros(0, dtype=np.int32),
    )
    start, frm, combo = into_edges(moves, EDGE_CAP)
    moves = moves._replace(into_start=start, into_from=frm, into_combo=combo)
    if len(start):
        out_start, out_stage, out_combo = out_edges(moves, len(frm))
        moves = moves._replace(out_start=out_start, out_stage=out_stage, out_combo=out_combo)
    return moves


def _union(requires: tuple[int, ...], mask: int) -> int:
    out = 0
    for m in range(len(requires)):
        if (mask >> m) & 1:
            out |= requires[m]
    return out


def agent_arrays(agents: Sequence[tuple[int, Game]]) -> Agents:
    """The :class:`Agents` bundle of agents given as (party index, the game of its world).

    Agent a is party ``p`` in its game ``g``: its flows, one-time costs, reversal costs, lag
    weights, penalty and discount are p's there, and the snapback it expects is the other
    parties' reversal decisions in that game. All games share the moves' ids and order.
    """
    n = agents[0][1].n_moves
    count = len(agents)
    structure = _structure(_shape(agents[0][1]))
    subsets, offsets = structure.subsets, structure.offsets
    party = np.array([p for p, _ in agents], dtype=np.int64)
    set_cost = np.zeros((count, len(subsets)))
    own = np.zeros(count, dtype=np.int64)
    own_rev = np.zeros(count, dtype=np.int64)
    own_pays = np.zeros(count, dtype=np.int64)
    snap = np.zeros(count, dtype=np.int64)
    flow = np.empty((n, count))
    upfront = np.empty((count, n))
    rc = np.empty((count, n))
    lasting = np.empty((count, n))
    lasting_next = np.empty((count, n))
    tail = np.empty((count, n))
    verif = np.empty((count, n))
    verif_with = np.empty((count, n, n))
    unrec = np.empty(count)
    penalty = np.empty(count)
    delta = np.empty(count)
    for a, (p, g) in enumerate(agents):
        pays = g.paying  # the moves whose reversal pays their owner
        mine = g.owned(p)
        rev = mine & g.reversible_mask
        own[a], own_rev[a], own_pays[a], snap[a] = mine, rev, pays & mine, pays & ~mine
        flow[:, a] = g.flow[:, p]
        upfront[a] = g.upfront
        rc[a] = g.reversal_cost
        lasting[a] = g.lasting[p]
        lasting_next[a] = g.lasting_next[p]
        tail[a] = g.tail[p]
        verif[a] = g.verifiability
        verif_with[a] = g.verifiability_with
        unrec[a] = g.unreciprocated[p]
        penalty[a] = g.penalty[p]
        delta[a] = g.delta[p]
    from detente.solvers import _common  # it reads this module's bundles

    _common.set_costs(structure.subsets, offsets, party, upfront, set_cost)

    return Agents(
        party, own, own_rev, own_pays, snap, flow, upfront, rc, lasting, lasting_next, tail, verif,
        verif_with, unrec, penalty, delta, set_cost, _common.stage_costs(structure, party, set_cost, unrec),
    )


def party_agents(g: Game) -> Agents:
    """The plain solve's agents: one per party, all in the game's own world."""
    return agent_arrays([(p, g) for p in range(g.n_parties)])


def stages_of(store_j: NDArray[np.int8], store_stage: NDArray[np.int32], store_next: NDArray[np.int32], e: int) -> list[int]:
    """The schedule of frontier entry ``e``: its stages, followed through the next entries."""
    stages = []
    node = e
    while node >= 0 and store_j[node] > 0:
        stages.append(int(store_stage[node]))
        node = int(store_next[node])
    return stages


class Search(NamedTuple):
    """The plain DP's read-only tables for one solve (built by ``dp``)."""

    u: FloatArray  # [f, p]: u_p(f | initial), the flow of every state
    lower: FloatArray  # [f, j or 0, p]: least value of a plan of j stages worth keeping at f
    kmin: NDArray[np.int8]  # [f]: fewest stages from the status quo to f
    powk: FloatArray  # [k, p]: δ_p^k
    beta: FloatArray  # [p]: bargaining powers
    enforce_ic: bool
    enforce_stable: bool
    floor_count: int  # plans that cannot reach the Nash score (floor_count, floor_score) are
    floor_score: float  # dropped; floor_count −1: no floor
    beam: int  # > 0: the first pass (a few plans a state: ``_kernel._beam_frontier``); 0: exact
    lam: FloatArray  # [d, p]: tangents of the log-product, β_p/g°_p at gains g° > 0
    tang: FloatArray  # [f, k, d]: max over k-stage paths to f of Σ_p lam_dp·B_k(p) ([1, 1, 1]: none)
    tang_floor: FloatArray  # [d]: a plan is dropped when Σ_p lam_dp·(its best value at the
    # status quo) is below, for some d
    tang_base: FloatArray  # [d]: tang_floor = tang_base + e^{floor_score − tang_point}
    tang_point: FloatArray  # [d]: the log-product at g°


class Stages(NamedTuple):
    """The valid stages from one state (``_common.valid_stages``) and the odometer's scratch."""

    out: IntArray  # [t]: the stage masks
    combo: IntArray  # [t]: its combination of the parties' sets (``Moves.strides``)
    picks: IntArray  # [t, p]: which of party p's sets stage t uses (its index in its party's part
    # of ``Moves.subsets``; 0 is the empty set)
    avail: IntArray
    avail_idx: IntArray
    avail_start: IntArray
    odo: IntArray


class Scratch(NamedTuple):
    """One thread's working space (built by ``_common.scratch``)."""

    c_val: FloatArray  # candidates: values, stages, first stage, next entry
    c_j: IntArray
    c_stage: IntArray
    c_next: IntArray
    kept: IntArray  # indices of the candidates on the frontier
    rank: FloatArray  # the first pass: the Nash bound of the plan it keeps for its rank
    run_a: FloatArray  # per run (a valid stage with a live successor): a(s, S)
    run_d: FloatArray  # and each party's deviation
    run_pos: IntArray
    run_end: IntArray
    run_stage: IntArray
    heap: IntArray
    key: FloatArray
    z: Stages  # valid_stages' output and scratch
    pay: FloatArray  # [t, a]: a(s, S_t) of each valid stage (stage_payoffs)
    devs: FloatArray  # two parties: [a, the other party's set, own party's set empty or not]:
    # D_a at this state
    stop_val: FloatArray
    prefmax: FloatArray
    hidden: IntArray  # final_best's scratch
    work: FloatArray
