"""The exact sequencing solver: DP over Pareto frontiers with branch and bound on the Nash
product (docs/model.md, "The solver")."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np

from detente.errors import SolverLimitError
from detente.model.bargaining import Disagreement, better, disagreement, stage_key
from detente.model.game import TOLERANCE, FloatArray, Game
from detente.solvers import _kernel
from detente.solvers._common import flows, scratch
from detente.solvers.bundles import (
    Agents,
    Moves,
    Scratch,
    Search,
    Store,
    entry_bytes,
    moves_of,
    party_agents,
    party_subsets,
    stages_of,
)
from detente.solvers.limits import MemoryBudget, check_size

__all__ = ["DPResult", "Plan", "party_subsets", "solve_game"]

T = TypeVar("T", Moves, Agents, Search)

# The bounds are loosened by this much of each party's scale of values (root units), far above
# the rounding of any path's sums, so that no plan the exact search needs is dropped.
MARGIN = 1e-9
# A plan is dropped when its Nash bound is below the floor by more than this (far above the
# tie tolerance: plans tied with the best within 1e−9 must survive for 'Which deal''s tie-break).
FLOOR_MARGIN = 1e-7
# Floors tried above the first pass's plan's log-product before its own (see solve_game).
OPTIMISTIC = (0.04, 0.01)
# Tangents are taken around the known plan's gains, each party's a factor TILT and TILT² apart.
TILT = 1.6
# Below this many states, one tangent and no optimistic floors: the exact pass is cheap anyway.
SMALL_STATES = 1 << 14
PARALLEL_LAYER_SIZE = 256  # smaller layers are not worth a thread
SERIAL_STATES = 1 << 13  # below this many states, threads cost more than they save
STAGING = 1 << 16  # entries a thread writes before they are appended to the store
INITIAL_ENTRIES_PER_STATE = 4  # a one-thread pass's store starts this big, and doubles as it fills


@dataclass(frozen=True)
class Plan:
    """A schedule found by the DP with its values V_p(1)."""

    stages: list[int]
    values: FloatArray


@dataclass(frozen=True)
class DPResult:
    best: Plan | None
    disagreement: Disagreement
    # Plans at the status quo: the whole Pareto frontier of IC plans with ``full_frontier``;
    # otherwise only those the bounded search kept (every plan that could win is among them)
    frontier: list[Plan]
    states: int  # states with plans in the last pass
    transitions: int  # (state, stage) transitions looked at, over every pass
    candidates: int  # plans generated before Pareto pruning, over every pass
    entries: int  # plans kept in the last pass
    seconds: float
    full_frontier: bool = True  # whether ``frontier`` is the whole Pareto frontier (no Nash bound)
    floor: float | None = None  # the log-product the last pass was bounded by, if any


def solve_game(
    g: Game,
    max_transitions: int = 10_000_000,
    enforce_ic: bool = True,
    enforce_stable: bool = True,
    workers: int | None = None,
    keep_frontier: bool = True,
    *,
    full_frontier: bool = False,
    incumbent: FloatArray | None = None,
    hints: Sequence[Sequence[int]] = (),
    max_memory_mb: float | None = None,
) -> DPResult:
    """Solve a compiled game exactly.

    With ``enforce_ic`` and ``enforce_stable`` off, the same search finds the best schedule
    if promises were enforceable: the benchmark a failed negotiation is measured against.

    By default the search is branch and bound: a first pass keeps a few plans a state and
    finds a feasible schedule; its Nash score is the floor, and the exact pass drops every plan
    whose Nash product provably cannot reach it. ``incumbent``: the values V(1) of a schedule
    known to be feasible (for the enforceable benchmark, the self-enforcing deal) start the
    floor instead of the first pass. ``hints``: schedules (stage masks) that may be feasible
    here, e.g. deals found in nearby worlds; each is checked as the DP would keep it, and the
    best feasible one (by Nash rank, if it beats ``incumbent``) starts the floor. The closer the
    floor to the answer, the less the exact pass keeps. ``full_frontier`` turns the bound off: ``frontier`` is
    then the whole Pareto frontier at the status quo (slower; for callers that need every
    candidate deal). The answer is the same either way.

    States are processed in layers of equal size (a stage only adds moves, so a layer needs
    only the layers above it); ``workers`` threads share each large layer (default: every
    core). The answer does not depend on ``workers``. Without ``keep_frontier`` only the
    chosen plan is rebuilt (``frontier`` is empty). ``max_memory_mb``: the memory limit (see
    :func:`detente.solvers.limits.memory_limit`).
    """
    check_size(g, max_transitions)
    started = time.perf_counter()
    budget = MemoryBudget(max_memory_mb)
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if (1 << g.n_free) < SERIAL_STATES:
        n_workers = 1
    dis = disagreement(g)
    M = moves_of(g)
    A = party_agents(g)
    known_values = None if incumbent is None or full_frontier else np.asarray(incumbent, dtype=float)
    if hints and not full_frontier:
        known_values = _best_hint(M, A, g, dis, hints, enforce_ic, enforce_stable, known_values)
    # with a plan known, its tangents come from the bounds' own pass
    tables, search = _tables_and_tangents(g, M, A, dis, enforce_ic, enforce_stable, budget, n_workers, known_values)
    counters = np.zeros(2, dtype=np.int64)
    if full_frontier:
        store = _run(g, M, A, tables, budget, n_workers, counters, capacity=None)
        return _choose(g, store, dis, counters, time.perf_counter() - started, keep_frontier, True, None)
    values = known_values if known_values is not None else _first_pass(g, M, A, tables, dis, budget, n_workers, counters)
    if values is None:  # no feasible plan known: the exact pass without a floor
        store = _run(g, M, A, tables, budget, n_workers, counters, capacity=None)
        return _choose(g, store, dis, counters, time.perf_counter() - started, keep_frontier, True, None)
    known = _rank(values, dis.values, g.beta)
    if known_values is None:
        search = _tangent(g, M, A, tables, dis, values, budget, n_workers)
    # The exact pass is far cheaper the closer its floor is to the best score, which may lie
    # above the plan known. So it first tries floors above it, highest first: a pass whose best
    # plan reaches its floor has kept every plan that could beat or tie it, and is the answer;
    # one that finds none only shows that the best score is below its floor (and costs little,
    # since little reaches such a floor). The last try is the known plan's own score.
    small = (1 << g.n_free) < SMALL_STATES  # the exact pass costs little anyway: no extra tries
    for lift in (0.0,) if small else (*OPTIMISTIC, 0.0):
        floor = (known[0], known[1] + lift)
        if lift and known[0] < g.n_parties:
            continue
        store = _run(g, M, A, _floored(search, floor), budget, n_workers, counters, capacity=None)
        result = _choose(g, store, dis, counters, time.perf_counter() - started, keep_frontier, False, floor[1])
        store.release()
        if result.best is not None and _rank(result.best.values, dis.values, g.beta) >= (floor[0], floor[1] - FLOOR_MARGIN * (1.0 + abs(floor[1]))):
            return result
    # Only a caller's incumbent that is not feasible after all gets here (the first pass's plan
    # always reaches its own floor): the search without a floor is exact whatever it was.
    store = _run(g, M, A, tables, budget, n_workers, counters, capacity=None)
    return _choose(g, store, dis, counters, time.perf_counter() - started, keep_frontier, True, None)


def _tables(
    g: Game, M: Moves, A: Agents, dis: Disagreement, enforce_ic: bool, enforce_stable: bool,
    budget: MemoryBudget, n_workers: int,
) -> Search:
    """The per-state tables: flows, the reachability bounds of the forward pass."""
    return _tables_and_tangents(g, M, A, dis, enforce_ic, enforce_stable, budget, n_workers, None)[0]


def _tables_and_tangents(
    g: Game, M: Moves, A: Agents, dis: Disagreement, enforce_ic: bool, enforce_stable: bool,
    budget: MemoryBudget, n_workers: int, values: FloatArray | None,
) -> tuple[Search, Search]:
    """``_tables``, and those tables with the tangents of ``_tangent`` around a plan worth
    ``values`` (if given and every party gains), both from one forward pass (the tangents'
    paths are the bounds' paths)."""
    n_states = 1 << g.n_free
    P = g.n_parties
    K = g.max_stages
    per_state = 8 * P + 1 + 8 + 4 + 1  # u, kmin, the store's start, count and alive
    # the stage axis of the bounds only helps where max_stages binds (a schedule has at most
    # n_free stages; measured, it pays where max_stages < n_free/3), and only if it costs a
    # small part of the limit
    axis = K + 1 if 3 * K < g.n_free and n_states * (per_state + 8 * P * (K + 1)) <= budget.free // 4 else 1
    budget.reserve(n_states * (per_state + 8 * P * axis), f"per-state tables of {n_states:,} states")
    budget.reserve(n_workers * _scratch_bytes(M, P) + (n_workers > 1) * n_workers * STAGING * entry_bytes(P), "working space")
    u = np.empty((n_states, P))
    flows(M, A, u)
    powk = np.ones((K + 1, P))
    for k in range(1, K + 1):
        powk[k] = powk[k - 1] * g.delta
    scale = _scale(g, dis)
    need0 = dis.values - TOLERANCE - MARGIN * scale
    lower = np.empty((n_states, axis, P))
    kmin = np.empty(n_states, dtype=np.int8)
    points = None if values is None else _tangent_points(g, dis, values, budget)
    lam = np.zeros((1, P)) if points is None else g.beta / points
    tang = np.empty((1, 1, 1)) if points is None else np.empty((n_states, min(K, g.n_free) + 1, len(points)))
    _forward(g, n_workers, M, A, lambda states, Mw, Aw: _kernel.reach_bounds(states, Mw, Aw, u, need0, powk, lower, kmin, lam, tang))
    _kernel.finish_bounds(need0, powk, lower, kmin)
    tables = Search(
        u, lower, kmin, powk, g.beta.astype(float), enforce_ic, enforce_stable, -1, 0.0, 0,
        np.zeros((1, P)), np.empty((1, 1, 1)), np.zeros(1), np.zeros(1), np.zeros(1),
    )
    return tables, tables if points is None else _with_tangents(g, dis, tables, points, lam, tang, scale)


def _scale(g: Game, dis: Disagreement) -> np.ndarray:
    """Each party's scale of values: no sum of discounted stage payoffs exceeds it."""
    return np.asarray(1.0 + np.abs(dis.values) + (np.abs(g.flow).sum(axis=0) + g.upfront.sum() + g.unreciprocated) / (1.0 - g.delta))


def _directions(gains: FloatArray) -> FloatArray:
    """Gains g° whose tangents bound the search: the known plan's, and around it (each party's
    gain a factor TILT and TILT² higher or lower), since the best plan's may point elsewhere."""
    out = [gains]
    for p in range(len(gains)):
        for r in (TILT, 1 / TILT) if len(gains) > 2 else (TILT, 1 / TILT, TILT**2, TILT**-2):
            g = gains.copy()
            g[p] *= r
            out.append(g)
        if len(gains) == 2:
            break  # with two parties, tilting either is the same set of directions
    return np.array(out)


def _tangent(
    g: Game, M: Moves, A: Agents, tables: Search, dis: Disagreement, values: FloatArray,
    budget: MemoryBudget, n_workers: int,
) -> Search:
    """``tables`` with tangents of the log-product around the gains of a plan worth
    ``values`` (every party must gain; ``_directions``), each a direction lam = β/g° with the
    paths' bound of ``tangent_paths``; fewer directions (or none) if the tables do not fit in a
    quarter of what is left of the memory limit."""
    points = _tangent_points(g, dis, values, budget)
    if points is None:
        return tables
    lam = g.beta / points
    tang = np.empty((1 << g.n_free, min(g.max_stages, g.n_free) + 1, len(points)))
    _forward(g, n_workers, M, A, lambda states, Mw, Aw: _kernel.tangent_paths(states, Mw, Aw, tables.u, lam, tables.powk, tables.lower, tables.kmin, tang))
    return _with_tangents(g, dis, tables, points, lam, tang)


def _tangent_points(g: Game, dis: Disagreement, values: FloatArray, budget: MemoryBudget) -> FloatArray | None:
    """The gains g° of ``_tangent``'s directions, their tables reserved; None for none."""
    gains = values - dis.values
    n_states = 1 << g.n_free
    depth = min(g.max_stages, g.n_free) + 1
    if not np.all(gains > TOLERANCE):
        return None
    points = _directions(gains)[:1] if n_states < SMALL_STATES else _directions(gains)
    while len(points) and n_states * depth * len(points) * 8 > budget.free // 4:
        points = points[: len(points) - 2] if len(points) > 1 else points[:0]
    if not len(points):
        return None
    budget.reserve(n_states * depth * len(points) * 8, "tangent bounds")
    return points


def _with_tangents(
    g: Game, dis: Disagreement, tables: Search, points: FloatArray, lam: FloatArray, tang: FloatArray,
    scale: np.ndarray | None = None,
) -> Search:
    """``tables`` with the tangents at ``points`` (directions ``lam``, paths' bounds ``tang``)."""
    scale = _scale(g, dis) if scale is None else scale
    return tables._replace(
        lam=lam,
        tang=tang,
        # Σ_p lam_p·d_p, less a slack for the rounding of sums of values up to each scale
        tang_base=(lam * dis.values).sum(axis=1) - MARGIN * (lam * scale).sum(axis=1),
        tang_point=np.log(points) @ g.beta,
    )


def _floored(search: Search, floor: tuple[int, float]) -> Search:
    """``search`` bounded by the Nash rank ``floor`` (gaining parties, log-product).

    A tangent taken at gains g° bounds every level: at the floor F the point of the level
    set in g°'s direction is g°·e^{F − S(g°)} (S the log-product; Σ β_p = 1), where the tangent
    is lam·e^{S(g°) − F}. A plan reaches F only if Σ_p lam_p·(V_p − d_p) ≥ e^{F − S(g°)}.
    """
    score = floor[1] - TOLERANCE - FLOOR_MARGIN * (1.0 + abs(floor[1]))
    tangent = floor[0] == len(search.beta) and search.tang.shape[0] > 1
    return search._replace(
        floor_count=floor[0],
        floor_score=score,
        tang_floor=search.tang_base + np.exp(score - search.tang_point) if tangent else np.full(len(search.tang_base), -np.inf),
    )


def _scratch_bytes(M: Moves, P: int) -> int:
    return M.most_stages * (24 * P + 56) + (8 << M.max_exhaustive) * 8


def _first_pass(
    g: Game, M: Moves, A: Agents, tables: Search, dis: Disagreement, budget: MemoryBudget,
    n_workers: int, counters: np.ndarray,
) -> FloatArray | None:
    """The floor: the values of the best schedule (by Nash rank) that a first pass finds, which
    keeps at most P + 1 plans a state, each still IC with its continuation (so every schedule it
    finds is feasible); None if it finds none."""
    n_states = 1 << g.n_free
    beam = g.n_parties + 1  # each party's best plan and the best by the Nash bound
    if n_states * beam * entry_bytes(g.n_parties) > budget.free // 2:
        return None  # no room for a first pass: the exact pass runs without a floor
    store = _run(g, M, A, tables._replace(beam=beam), budget, n_workers, counters, capacity=n_states * beam)
    best = None
    best_values = None
    lo, n = int(store.store.starts[0]), int(store.store.counts[0])
    for i in range(lo, lo + n):
        rank = _rank(store.val[i], dis.values, g.beta)
        if rank[0] > 0 and np.all(store.val[i] - dis.values >= -TOLERANCE) and (best is None or rank > best):
            best, best_values = rank, store.val[i].copy()
    store.release()
    return best_values


def _best_hint(
    M: Moves, A: Agents, g: Game, dis: Disagreement, hints: Sequence[Sequence[int]], enforce_ic: bool,
    enforce_stable: bool, known: FloatArray | None,
) -> FloatArray | None:
    """The values of the best-ranked of ``known`` and the feasible, individually rational
    ``hints`` (None if there is none). The hints are valued first, without the checks of
    feasibility (the same values), and checked in order of rank until one passes: most
    hints are never checked."""
    x = _scratch(M, g.n_parties, 256)
    sizes = [len(h) for h in hints]
    width = max(1, *sizes)
    lengths = np.array(sizes, dtype=np.int64)
    stages = np.array([[*h, *(0,) * (width - len(h))] for h in hints], dtype=np.int64)
    out = np.empty((len(hints), g.n_parties))
    valid = np.zeros(len(hints), dtype=np.bool_)
    _kernel.plans_values(M, A, stages, lengths, enforce_ic, enforce_stable, x, out, valid, False)
    counts, scores = _ranks(out, dis.values, g.beta)
    rational = valid & np.all(out - dis.values >= -TOLERANCE, axis=1) & (counts > 0)
    if known is not None:  # only a hint that outranks the plan known can replace it
        k_count, k_score = _rank(known, dis.values, g.beta)
        rational &= (counts > k_count) | ((counts == k_count) & (scores > k_score))
    rows = np.flatnonzero(rational)
    if not len(rows):
        return known
    order = rows[np.lexsort((rows, -scores[rows], -counts[rows]))]  # by rank; ties: the first hint
    values = np.empty(g.n_parties)
    if _kernel.first_feasible(M, A, stages, lengths, order, enforce_ic, enforce_stable, x, values) < 0:
        return known
    return values


def _ranks(values: np.ndarray, d: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_rank` of every row of ``values`` at once: the gaining parties and the
    log-products."""
    gains = values - d
    positive = gains > TOLERANCE
    logs = np.log(np.where(positive, gains, 1.0))
    return positive.sum(axis=1), (logs * beta).sum(axis=1)


def _rank(values: np.ndarray, d: np.ndarray, beta: np.ndarray) -> tuple[int, float]:
    """(gaining parties, weighted log-product over them): 'Which deal''s score."""
    counts, scores = _ranks(values[None, :], d, beta)
    return int(counts[0]), float(scores[0])


def _new_store(n_states: int, P: int, capacity: int, with_states: bool = True) -> Store:
    """A store for ``capacity`` entries, allocated once: its pages are only used as entries are
    written, so reserving the whole limit costs nothing until the frontiers need it."""
    sufs = capacity if P == 2 else 0
    return Store(
        np.zeros(n_states if with_states else 0, dtype=np.int64),
        np.zeros(n_states if with_states else 0, dtype=np.int32),
        np.zeros(n_states if with_states else 0, dtype=np.int8),
        np.empty((capacity, P)),
        np.empty(capacity, dtype=np.int8),
        np.empty(capacity, dtype=np.int32),
        np.empty(capacity, dtype=np.int32),
        np.empty(sufs),
        np.empty(sufs, dtype=np.int8),
    )


def _forward(
    g: Game, n_workers: int, M: Moves, A: Agents, kernel: Callable[[np.ndarray, Moves, Agents], None]
) -> None:
    """Run a forward pass ``kernel(states, M, A)`` over every state, smallest sets first: each
    layer of equal size after the layers below it, split between ``n_workers`` threads."""
    layers = _layers(g.n_free)[::-1]
    if n_workers == 1:
        kernel(_order(g.n_free, True), M, A)
        return
    inputs = [(M, A)] + [_copy(M, A)[:2] for _ in range(n_workers - 1)]
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for layer in layers:
            if len(layer) < PARALLEL_LAYER_SIZE:
                kernel(layer, M, A)
                continue
            chunks = np.array_split(layer, n_workers)
            list(pool.map(lambda c, w: kernel(c, *inputs[w]), chunks, range(len(chunks))))


def _allocated(n_states: int, P: int, capacity: int, budget: MemoryBudget) -> Store:
    """``_new_store``, smaller if the system will not reserve that much address space at once
    (strict overcommit): then the store fills sooner, and the solve stops with the limit's
    message."""
    while True:
        try:
            return _new_store(n_states, P, capacity)
        except MemoryError:
            if capacity <= n_states:
                raise SolverLimitError(budget.message("the system would not reserve memory for the frontiers")) from None
            capacity //= 2


@lru_cache(maxsize=8)
def _layers(n_free: int) -> list[np.ndarray]:
    """Free-move masks grouped by how many moves they hold, largest first (shared: never
    written to)."""
    masks = np.arange(1 << n_free, dtype=np.int64)
    sizes = np.bitwise_count(masks)
    return [masks[sizes == k] for k in range(n_free, -1, -1)]


@lru_cache(maxsize=16)
def _order(n_free: int, forward: bool) -> np.ndarray:
    """Every free-move mask as one array, layer by layer: the smallest sets first for a forward
    pass, the largest first for the frontiers (shared: never written to)."""
    return np.concatenate(_layers(n_free)[::-1] if forward else _layers(n_free))


def _run(
    g: Game, M: Moves, A: Agents, search: Search, budget: MemoryBudget, n_workers: int,
    counters: np.ndarray, capacity: int | None,
) -> _Filled:
    """One pass of the DP over every state; the store it fills."""
    n_states = 1 << g.n_free
    P = g.n_parties
    eb = entry_bytes(P)
    room = min(budget.free // eb, 2**31 - 1)
    if capacity is None or capacity > room:
        capacity = room
    if capacity < 1:
        raise SolverLimitError(budget.message("the search has no room left for the frontiers"))
    layers = _layers(g.n_free)
    if n_workers == 1:
        # one thread: the store starts small and doubles when it fills, up to the limit (a
        # store reserved whole costs its allocation at every solve of a simulation's thousands)
        limit = capacity
        store = _allocated(n_states, P, min(limit, max(1, INITIAL_ENTRIES_PER_STATE * n_states)), budget)
        capacity = len(store.j)
        budget.reserve(capacity * eb, "frontiers")  # released when the pass's store is done
        order = _order(g.n_free, False)
        idx, size, x = 0, 0, _scratch(M, P, 256)
        while idx < len(order):
            idx, size, why = _kernel.frontiers(order, idx, M, A, search, store, store, size, x, counters)
            if why == 1:
                if capacity >= limit:
                    raise SolverLimitError(_full(budget, size))
                grown = min(limit, max(1, 2 * capacity))
                budget.reserve((grown - capacity) * eb, "frontiers")
                try:
                    store = _grown(store, size, grown)
                except MemoryError:  # the system will not reserve that much (strict overcommit)
                    raise SolverLimitError(_full(budget, size)) from None
                capacity = grown
            if why == 2:
                x = _scratch(M, P, 2 * len(x.c_j))  # a state had more candidates than x holds
        return _Filled(store, size, budget, capacity * eb)
    store = _allocated(n_states, P, capacity, budget)
    capacity = len(store.j)
    budget.reserve(capacity * eb, "frontiers")  # released when the pass's store is done
    filled = _Filled(store, 0, budget, capacity * eb)
    lock = threading.Lock()
    inputs = [(M, A, search)] + [_copy(M, A, search) for _ in range(n_workers - 1)]
    staging = [_new_store(0, P, STAGING, with_states=False) for _ in range(n_workers)]
    scratches = [scratch(M, P, 256) for _ in range(n_workers)]
    tallies = [np.zeros(2, dtype=np.int64) for _ in range(n_workers)]

    def work(states: np.ndarray, w: int) -> None:
        Mw, Aw, Sw = inputs[w]
        out = staging[w]
        lo = 0
        while lo < len(states):
            idx, size, why = _kernel.frontiers(states, lo, Mw, Aw, Sw, store, out, 0, scratches[w], tallies[w])
            if why == 2:
                scratches[w] = scratch(M, P, 2 * len(scratches[w].c_j))
            elif why == 1 and size == 0:
                raise SolverLimitError(budget.message(f"a state's frontier outgrew {STAGING:,} plans"))
            with lock:
                base = filled.size
                if base + size > capacity:
                    raise SolverLimitError(_full(budget, base))
                for name in ("val", "j", "stage", "next", "suf1", "sufj"):
                    dst, src = getattr(store, name), getattr(out, name)
                    if len(src):
                        dst[base : base + size] = src[:size]
                done = states[lo:idx]
                done = done[store.counts[done] > 0]
                store.starts[done] += base
                filled.size = base + size
            lo = idx

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for layer in layers:
            if len(layer) < PARALLEL_LAYER_SIZE:
                work(layer, 0)
                continue
            chunks = np.array_split(layer, n_workers)
            list(pool.map(work, chunks, range(len(chunks))))
    for t in tallies:
        counters += t
    return filled


_LOCAL = threading.local()


def _scratch(M: Moves, P: int, ccap: int) -> Scratch:
    """This thread's working space for a shape, kept for its next solve (a simulation's
    thousands of solves share one): the kernels write everything in it before they read it."""
    kept: dict[tuple[int, int, int], tuple[Moves, Scratch]] = _LOCAL.__dict__.setdefault("scratch", {})
    key = (id(M), P, ccap)  # the entry holds M, so its id cannot be reused while it is kept
    if key not in kept or kept[key][0] is not M:
        if len(kept) >= 16:
            kept.clear()
        kept[key] = (M, scratch(M, P, ccap))
    return kept[key][1]


def _grown(store: Store, size: int, capacity: int) -> Store:
    """``store`` with room for ``capacity`` entries, its first ``size`` copied (the per-state
    arrays are kept as they are)."""
    bigger = _new_store(0, store.val.shape[1], capacity, with_states=False)
    for name in ("val", "j", "stage", "next", "suf1", "sufj"):
        src = getattr(store, name)
        if len(src):
            getattr(bigger, name)[:size] = src[:size]
    return bigger._replace(starts=store.starts, counts=store.counts, alive=store.alive)


def _copy(M: Moves, A: Agents, search: Search | None = None) -> tuple[Moves, Agents, Search | None]:
    """A worker's own copy of the read-only inputs.

    numba counts references to an array atomically at every call that passes it; two threads
    passing the same arrays fight over those counters, which costs more than the copy.
    """

    def dup(t: T) -> T:
        return type(t)._make(a.copy() if isinstance(a, np.ndarray) else a for a in t)

    return dup(M), dup(A), None if search is None else dup(search)


def _full(budget: MemoryBudget, size: int) -> str:
    return budget.message(f"the frontiers need more than {size:,} plans")


@dataclass
class _Filled:
    """A pass's store and how much of it is filled."""

    store: Store
    size: int
    budget: MemoryBudget
    reserved: int

    def release(self) -> None:
        """Give the store's share of the memory limit back (its arrays go with it)."""
        self.budget.release(self.reserved)
        self.reserved = 0

    @property
    def val(self) -> np.ndarray:
        return self.store.val


def _choose(
    g: Game,
    filled: _Filled,
    dis: Disagreement,
    counters: np.ndarray,
    seconds: float,
    keep_frontier: bool,
    full_frontier: bool,
    floor: float | None,
) -> DPResult:
    """Section 6 at the status quo: the IR plan with the best Nash score, ties broken.

    Scores are computed for the whole frontier at once; the scan that applies 'Which deal''s
    tolerance and tie-break runs over the plans in frontier order, as ``better`` defines it,
    only among those with the most gaining parties (no other can win).
    """
    store = filled.store
    lo, n = int(store.starts[0]), int(store.counts[0])
    values = store.val[lo : lo + n]
    gains = values - dis.values
    gaining, scores = _ranks(values, dis.values, g.beta)
    ir = np.all(gains >= -TOLERANCE, axis=1) & (gaining > 0)

    def stages(e: int) -> list[int]:
        return stages_of(store.j, store.stage, store.next, e)

    best: Plan | None = None
    if ir.any():
        most = int(gaining[ir].max())
        best_e: int | None = None
        best_rank: tuple[tuple[int, float], tuple[int, tuple[tuple[int, ...], ...]] | None] | None = None
        for i in np.flatnonzero(ir & (gaining == most)):
            score = (most, float(scores[i]))
            if best_rank is None:
                best_e, best_rank = int(i), (score, None)
                continue
            if abs(score[1] - best_rank[0][1]) > TOLERANCE:
                if score[1] > best_rank[0][1]:
                    best_e, best_rank = int(i), (score, None)
                continue
            key_best = best_rank[1] or stage_key(g, stages(lo + int(best_e)))  # type: ignore[arg-type]
            key_i = stage_key(g, stages(lo + int(i)))
            if better(score, key_i, best_rank[0], key_best):
                best_e, best_rank = int(i), (score, key_i)
            else:
                best_rank = (best_rank[0], key_best)
        assert best_e is not None
        best = Plan(stages(lo + best_e), values[best_e].copy())
    frontier = [Plan(stages(lo + i), values[i].copy()) for i in range(n)] if keep_frontier else []
    return DPResult(
        best=best,
        disagreement=dis,
        frontier=frontier,
        states=int(np.count_nonzero(store.counts)),
        transitions=int(counters[0]),
        candidates=int(counters[1]),
        entries=filled.size,
        seconds=seconds,
        full_frontier=full_frontier,
        floor=floor,
    )
